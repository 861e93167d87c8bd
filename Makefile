# The two commands a new user needs: `make run` and `make test`. Each does its own set-up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PROTOS := $(shell find proto -name '*.proto')
GENERATED := gatehouse/events/v1/envelope_pb2.py
BUF := .tools/node_modules/.bin/buf
AXE := .tools/node_modules/axe-core/axe.min.js

.PHONY: setup run test test-unit test-integration lint-proto bench clean image image-smoke

setup: $(STAMP) $(GENERATED)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

# Python code for the protos is generated, never committed (see .gitignore).
$(GENERATED): $(PROTOS) $(STAMP)
	$(PY) -m grpc_tools.protoc -Iproto --python_out=. --grpc_python_out=. --pyi_out=. $(PROTOS)
	@touch $(GENERATED)

# buf (npm package @bufbuild/buf) lints the protos when npm is available.
$(BUF):
	@command -v npm >/dev/null 2>&1 && npm install --silent --no-audit --no-fund --prefix .tools @bufbuild/buf >/dev/null 2>&1 || echo "npm or @bufbuild/buf unavailable: proto lint will be skipped"

# axe-core (npm) is injected into every page the browser tests visit (accessibility checks).
$(AXE):
	@command -v npm >/dev/null 2>&1 && npm install --silent --no-audit --no-fund --prefix .tools axe-core >/dev/null 2>&1 || echo "npm or axe-core unavailable: accessibility checks will be skipped"

lint-proto: $(BUF)
	cd proto && ../$(BUF) lint

run: setup
	$(PY) -m gatehouse.supervisor

# Two workers, one test module each at a time: integration tests mostly wait (process start-up,
# TOTP steps, NATS outages), so this halves the wall-clock time on two cores.
PYTEST_WORKERS ?= 2
test: setup $(BUF) $(AXE)
	$(PY) -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile

test-unit: setup
	$(PY) -m pytest -q -p no:cacheprovider -m "not integration"

test-integration: setup
	$(PY) -m pytest -q -p no:cacheprovider tests/integration

# The container image from the Dockerfile, built with buildah (no Docker engine): see
# deploy/k8s/README.md. image-smoke runs every process from it read-only and checks /healthz.
image:
	bash deploy/image/build.sh

image-smoke:
	bash deploy/image/smoke.sh

clean:
	rm -rf $(VENV) .tools var .bench-venv

# Benchmarks print a table; they are not tests. The projection benchmark runs a second time on
# PostgreSQL (a fresh database, dropped afterwards); BENCH_DATABASE_URL= skips that row.
# Each benchmark also writes its headline figures under var/bench/; the run ends with one table
# of them all (bench.summary). UPLOAD_BENCH_MB=500 tries the large upload at 500 MB (the limit
# is raised for it); the peer comparison installs pypiserver and devpi-server into .bench-venv/.
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/gh_bench
UPLOAD_BENCH_MB ?= 50
UPLOAD_PEERS_SECONDS ?= 10
BENCH_SINCE := $(shell date +%s)
bench: setup
	$(PY) -m bench.event_latency 200
	$(PY) -m bench.tokens_verification 5000
	$(PY) -m bench.hostile_tokens 200
	$(PY) -m bench.login_latency 50
	$(PY) -m bench.mfa_rate_limit 1000 32
	$(PY) -m bench.audit_projection 20000
	@if [ -n "$(BENCH_DATABASE_URL)" ]; then GATEHOUSE_BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -m bench.audit_projection 20000; fi
	$(PY) -m bench.audit_lag 500 20
	$(PY) -m bench.audit_lag 500 20 http
	$(PY) -m bench.audit_query 1000000
	$(PY) -m bench.upload_large --size-mb $(UPLOAD_BENCH_MB)
	$(PY) -m bench.upload_peers $(UPLOAD_PEERS_SECONDS) 8
	$(PY) -m bench.summary --since $(BENCH_SINCE)
