from gatehouse.service_main import run_service
from services.tokens.bootstrap import bootstrap

run_service("tokens", bootstrap)
