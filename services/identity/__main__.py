from gatehouse.service_main import run_service
from services.identity.bootstrap import bootstrap

run_service("identity", bootstrap)
