from gatehouse.service_main import run_service
from services.uploads.bootstrap import bootstrap

run_service("uploads", bootstrap)
