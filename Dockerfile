# syntax=docker/dockerfile:1
# One image for every Gatehouse process. The argument picks the entry point:
#   docker run IMAGE gateway             the gateway (the default)
#   docker run IMAGE services.identity   a service (identity, mfa, tokens, uploads, audit)
# Without a Docker engine, `make image` builds this file with buildah (deploy/k8s/README.md).
# It runs as an unprivileged user and needs no writable root file system: mount volumes
# (Kubernetes: emptyDir) on /tmp and on /var/lib/gatehouse (uploads: its files volume there).
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/gatehouse
# The dependencies in a layer of their own: rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && /opt/gatehouse/bin/pip install -r /tmp/requirements.txt
COPY proto ./proto
COPY gatehouse ./gatehouse
COPY services ./services
COPY gateway ./gateway
# The protobuf modules are generated here, never committed; the byte code is compiled now
# because the running container cannot write it.
RUN /opt/gatehouse/bin/python -m grpc_tools.protoc -Iproto --python_out=. --grpc_python_out=. \
        $(find proto -name '*.proto') \
    && /opt/gatehouse/bin/pip install --no-deps . \
    && /opt/gatehouse/bin/python -m compileall -q /opt/gatehouse

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 gatehouse \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin gatehouse \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/gatehouse
COPY --from=build /opt/gatehouse /opt/gatehouse
ENV PATH=/opt/gatehouse/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GATEHOUSE_DATA=/var/lib/gatehouse \
    GATEHOUSE_HOST=0.0.0.0 \
    GATEHOUSE_PORT=8080 \
    GATEHOUSE_LISTEN_ADDRESS=[::]:50051
WORKDIR /var/lib/gatehouse
USER 10001:10001
# 8080: the gateway's HTTP; 50051: a service's gRPC (and grpc.health.v1).
EXPOSE 8080 50051
ENTRYPOINT ["python", "-m"]
CMD ["gateway"]
