from gatehouse.eventstore.migrations import run_env
from services.audit.adapters.tables import metadata

run_env(metadata)
