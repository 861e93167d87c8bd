#!/usr/bin/env bash
# Runs the image as the manifests do (read-only root file system, uid 10001, tmpfs on /tmp and the
# data directory): NATS, the five services and the gateway, each in its own podman container on
# the host network. Passes when the gateway's /healthz reports every component up; removes the
# containers either way.
#
#   deploy/image/smoke.sh            (or `make image-smoke`, after `make image`)
#
# SMOKE_PORT (default 18080) is the gateway's port; NATS and the services take the next ones.
set -euo pipefail

IMAGE=${IMAGE:-gatehouse:dev}
PORT=${SMOKE_PORT:-18080}
NATS_PORT=$((PORT + 1))
SERVICES=(identity mfa tokens uploads audit)
PREFIX=gatehouse-smoke-$$
# runc with cgroupfs: Debian 12's crun refuses hosts with a hybrid cgroup hierarchy. Explicit
# ulimits: podman's defaults exceed the hard limits of a host that cannot raise them.
FILES=$(ulimit -Hn); [ "$FILES" = unlimited ] && FILES=1048576
RUNTIME_OPTS=${PODMAN_RUN_OPTS:---runtime runc --cgroup-manager cgroupfs --ulimit nofile=$FILES:$FILES --ulimit nproc=4096:4096}
# U=true: the data tmpfs belongs to the container's user (Kubernetes: fsGroup on an emptyDir).
read -r -a RUN <<<"podman run --detach --pull never $RUNTIME_OPTS --network host --read-only --user 10001:10001 --tmpfs /tmp --mount type=tmpfs,destination=/var/lib/gatehouse,U=true"

names=()
cleanup() {
    for name in "${names[@]}"; do podman rm --force --time 5 "$name" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

start() {  # start NAME ARGS...: one container, remembered for clean-up
    local name=$PREFIX-$1; shift
    names+=("$name")
    "${RUN[@]}" --name "$name" "$@" >/dev/null
}

environment=(-e "GATEHOUSE_NATS_URL=nats://127.0.0.1:$NATS_PORT")
for index in "${!SERVICES[@]}"; do
    service=${SERVICES[$index]}
    environment+=(-e "GATEHOUSE_${service^^}_ADDRESS=127.0.0.1:$((NATS_PORT + 1 + index))")
done

started=$(date +%s)
start nats --entrypoint nats-server "$IMAGE" -js -a 127.0.0.1 -p "$NATS_PORT" -sd /var/lib/gatehouse/nats
for index in "${!SERVICES[@]}"; do
    start "${SERVICES[$index]}" "${environment[@]}" \
        -e "GATEHOUSE_LISTEN_ADDRESS=127.0.0.1:$((NATS_PORT + 1 + index))" "$IMAGE" "services.${SERVICES[$index]}"
done
start gateway "${environment[@]}" -e GATEHOUSE_HOST=127.0.0.1 -e "GATEHOUSE_PORT=$PORT" "$IMAGE" gateway

health=""
for _ in $(seq 60); do
    health=$(curl -fsS "http://127.0.0.1:$PORT/healthz" 2>/dev/null) && break
    sleep 1
done
echo "healthz after $(($(date +%s) - started)) s: ${health:-no answer}"
if [ -z "$health" ]; then
    for name in "${names[@]}"; do echo "== $name"; podman logs --tail 5 "$name" 2>&1 || true; done
    exit 1
fi

gateway=$PREFIX-gateway
user=$(podman exec "$gateway" id -u)
if podman exec "$gateway" touch /opt/gatehouse/probe 2>/dev/null; then
    echo "the root file system is writable"; exit 1
fi
[ "$user" = 10001 ] || { echo "runs as uid $user, not 10001"; exit 1; }
echo "ok: uid $user, read-only root file system, every component up"
