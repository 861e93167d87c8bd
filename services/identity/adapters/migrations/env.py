from gatehouse.eventstore.migrations import run_env
from services.identity.adapters.tables import metadata

run_env(metadata)
