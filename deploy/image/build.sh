#!/usr/bin/env bash
# Builds the Gatehouse image from the root Dockerfile with buildah: no Docker engine needed.
#
#   deploy/image/build.sh            (or `make image`)
#
# IMAGE names the result (default gatehouse:dev, stored as localhost/gatehouse:dev).
# PYTHON_IMAGE picks the base. Unset, the base is made here from Debian packages (debootstrap:
# bookworm with its python3) and kept as localhost/gatehouse-base:bookworm, because a machine that
# reaches only the package registries cannot pull python:3.12-slim-bookworm. Where a container
# registry is reachable, PYTHON_IMAGE=python:3.12-slim-bookworm builds the Dockerfile as written.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IMAGE=${IMAGE:-gatehouse:dev}
LOCAL_BASE=localhost/gatehouse-base:bookworm
PYTHON_IMAGE=${PYTHON_IMAGE:-$LOCAL_BASE}
# The Debian packages the Dockerfile's stages rely on: `python` and `python -m venv`, and a CA
# bundle for pip. useradd and groupadd come with the minimal base (passwd).
BASE_PACKAGES=python3,python3-venv,python-is-python3,ca-certificates

install_tools() {
    local missing=()
    for tool in buildah podman runc debootstrap; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [ ${#missing[@]} -eq 0 ] && return
    echo "installing ${missing[*]} (Debian packages)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
}

# A root file system from Debian's packages, committed as a one-layer image.
build_local_base() {
    local rootfs container mountpoint
    rootfs=$(mktemp -d /var/tmp/gatehouse-base.XXXXXX)
    trap 'rm -rf "$rootfs"; trap - RETURN' RETURN
    echo "debootstrap: bookworm, minbase + $BASE_PACKAGES"
    debootstrap --variant=minbase --include="$BASE_PACKAGES" bookworm "$rootfs" >"$rootfs.log" 2>&1 \
        || { tail -20 "$rootfs.log"; return 1; }
    rm -f "$rootfs.log"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    container=$(buildah from scratch)
    mountpoint=$(buildah mount "$container")
    cp -a "$rootfs"/. "$mountpoint"/
    buildah umount "$container" >/dev/null
    buildah config --env LANG=C.UTF-8 --cmd python3 "$container"
    buildah commit -q "$container" "$LOCAL_BASE" >/dev/null
    buildah rm "$container" >/dev/null
}

install_tools
if [ "$PYTHON_IMAGE" = "$LOCAL_BASE" ] && ! buildah inspect --type image "$LOCAL_BASE" >/dev/null 2>&1; then
    build_local_base
fi

# RUN steps see the host's CA bundle (mounted read-only, never copied into a layer), so pip
# trusts what the host trusts, e.g. a TLS-inspecting proxy's CA.
mounts=()
[ -f /etc/ssl/certs/ca-certificates.crt ] \
    && mounts+=(--volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
# chroot isolation: no container runtime, cgroups or daemon is needed for the RUN steps.
buildah bud --isolation chroot --layers "${mounts[@]}" \
    --build-arg PYTHON_IMAGE="$PYTHON_IMAGE" --tag "$IMAGE" --file "$ROOT/Dockerfile" "$ROOT"
