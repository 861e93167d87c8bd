from gatehouse.service_main import run_service
from services.audit.bootstrap import bootstrap

run_service("audit", bootstrap)
