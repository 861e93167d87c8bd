from gatehouse.eventstore.migrations import run_env
from services.mfa.adapters.tables import metadata

run_env(metadata)
