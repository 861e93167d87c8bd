from gatehouse.eventstore.migrations import run_env
from services.tokens.adapters.tables import metadata

run_env(metadata)
