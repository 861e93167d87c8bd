from gatehouse.eventstore.migrations import run_env
from services.uploads.adapters.tables import metadata

run_env(metadata)
