from gatehouse.service_main import run_service
from services.mfa.bootstrap import bootstrap

run_service("mfa", bootstrap)
