"""deploy/k8s, checked offline: both overlays render, every object is valid against the Kubernetes
schemas, and the rules the design asks for hold (limits, probes, locked-down containers, one
database URL and only its own keys per service, a three-node NATS cluster with the stream at
three replicas, pinned images in prod)."""

from __future__ import annotations

import copy
import importlib.util
import re
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest

from gatehouse.embedded_nats import nats_server_binary
from gatehouse.settings import SERVICES
from tests.k8s_render import K8S, OVERLAYS, ROOT, containers, of_kind, render, workloads

# The oldest Kubernetes the manifests support (gRPC probes are GA since 1.27) and the newest
# whose schemas the validator bundles.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
PROCESSES = ("gateway", *SERVICES)


@pytest.fixture(params=OVERLAYS)
def objects(request) -> tuple[dict, ...]:
    return render(request.param)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_rendered_object_is_valid_against_the_kubernetes_schemas(objects, version):
    for item in objects:
        kubernetes_validate.validate(item, version, strict=True)


def test_the_schema_check_refuses_a_misspelt_field():
    deployment = copy.deepcopy(of_kind(render("dev"), "Deployment")["gateway"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"tcpSocket": {"port": 8080}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)


def test_every_process_has_a_deployment_a_service_and_a_disruption_budget(objects):
    deployments, services = of_kind(objects, "Deployment"), of_kind(objects, "Service")
    budgets = of_kind(objects, "PodDisruptionBudget")
    assert set(deployments) == set(PROCESSES)
    assert {port["port"] for port in services["gateway"]["spec"]["ports"]} == {80}
    for name in SERVICES:
        assert [port["port"] for port in services[name]["spec"]["ports"]] == [50051]
    for name, workload in workloads(objects).items():
        assert budgets[name]["spec"]["selector"] == workload["spec"]["selector"], name
        assert budgets[name]["spec"]["maxUnavailable"] == 1


def test_each_deployment_runs_its_process_from_the_one_image(objects):
    for name, deployment in of_kind(objects, "Deployment").items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"].split(":")[0] == "gatehouse"
        (module,) = container["args"]
        assert module == ("gateway" if name == "gateway" else f"services.{name}")
        assert importlib.util.find_spec(f"{module}.__main__") is not None


def test_every_container_has_requests_limits_and_probes(objects):
    for name, _pod, container in containers(objects):
        resources = container["resources"]
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[bound]), (name, bound)
        assert "readinessProbe" in container and "livenessProbe" in container, name


def test_every_pod_runs_locked_down(objects):
    for name, pod, container in containers(objects):
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, name
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["capabilities"]["drop"] == ["ALL"] and "add" not in context["capabilities"], name


def test_the_namespace_enforces_the_restricted_pod_security_standard(objects):
    (namespace,) = of_kind(objects, "Namespace").values()
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert all(item["metadata"].get("namespace") == namespace["metadata"]["name"]
               for item in objects if item["kind"] != "Namespace")


def test_services_are_probed_over_grpc_health_and_the_gateway_over_healthz(objects):
    for name, _pod, container in containers(objects):
        if name in SERVICES:
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert container[probe]["grpc"] == {"port": 50051}, (name, probe)
        if name == "gateway":
            assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"


def test_gatehouse_processes_write_only_to_their_volumes(objects):
    for name, pod, container in containers(objects):
        if name not in PROCESSES:
            continue
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]] and "emptyDir" in volumes[mounts["/var/lib/gatehouse"]], name
        if name == "uploads":
            claim = volumes[mounts["/var/lib/gatehouse/files"]]["persistentVolumeClaim"]["claimName"]
            assert claim in of_kind(objects, "PersistentVolumeClaim")


def _secret_environment(container) -> dict[str, tuple[str, str]]:
    return {item["name"]: (item["valueFrom"]["secretKeyRef"]["name"], item["valueFrom"]["secretKeyRef"]["key"])
            for item in container.get("env", []) if "secretKeyRef" in item.get("valueFrom", {})}


def _keys_read_by(service: str) -> set[str]:
    source = (ROOT / "services" / service / "bootstrap.py").read_text()
    return {f"GATEHOUSE_{name.upper()}_KEY" for name in re.findall(r'settings\.secret\("(\w+)"\)', source)}


def test_each_service_gets_its_own_database_url_and_exactly_the_keys_it_reads(objects):
    for name, _pod, container in containers(objects):
        if name not in SERVICES:
            continue
        secrets = _secret_environment(container)
        databases = {variable: ref for variable, ref in secrets.items() if variable.endswith("_DATABASE_URL")}
        assert databases == {f"GATEHOUSE_{name.upper()}_DATABASE_URL": ("gatehouse-databases", name)}
        keys = {variable for variable in secrets if variable.endswith("_KEY")}
        assert keys == _keys_read_by(name), name
    gateway = next(container for name, _pod, container in containers(objects) if name == "gateway")
    assert _secret_environment(gateway) == {}


def test_every_secret_the_manifests_read_is_documented():
    readme = (K8S / "README.md").read_text()
    for _name, _pod, container in containers(render("prod")):
        for secret, key in _secret_environment(container).values():
            assert secret in readme and key in readme, (secret, key)


def test_the_configuration_points_each_process_at_the_services_and_nats(objects):
    (config,) = [item["data"] for item in objects if item["kind"] == "ConfigMap" and item["metadata"]["name"] == "gatehouse-config"]
    services = of_kind(objects, "Service")
    for name in SERVICES:
        address = config[f"GATEHOUSE_{name.upper()}_ADDRESS"]
        assert address.startswith("dns:///"), address  # resolved to every pod, balanced round robin
        host, port = address.removeprefix("dns:///").split(":")
        assert host == name and int(port) in {p["port"] for p in services[name]["spec"]["ports"]}
        assert services[name]["spec"]["clusterIP"] == "None"  # headless: the name lists the pods
    assert config["GATEHOUSE_LISTEN_ADDRESS"] == "[::]:50051"
    for url in config["GATEHOUSE_NATS_URL"].split(","):
        host, port = url.removeprefix("nats://").split(":")
        assert int(port) in {p["port"] for p in services[host]["spec"]["ports"]}
    assert config["GATEHOUSE_STREAM_REPLICAS"] == "3"


def test_nats_is_a_three_node_jetstream_cluster_on_persistent_volumes(objects):
    nats = of_kind(objects, "StatefulSet")["nats"]
    assert nats["spec"]["replicas"] == 3 and nats["spec"]["podManagementPolicy"] == "Parallel"
    headless = of_kind(objects, "Service")[nats["spec"]["serviceName"]]
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    (claim,) = nats["spec"]["volumeClaimTemplates"]
    mounts = {mount["name"]: mount["mountPath"] for mount in nats["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    configuration = of_kind(objects, "ConfigMap")["nats-config"]["data"]["nats.conf"]
    assert f"store_dir: {mounts[claim['metadata']['name']]}" in configuration
    routes = re.findall(r"nats://([\w.-]+):6222", configuration)
    assert routes == [f"nats-{number}.{nats['spec']['serviceName']}" for number in range(3)]


def test_the_nats_configuration_is_accepted_by_nats_server(tmp_path):
    path = tmp_path / "nats.conf"
    path.write_text(of_kind(render("prod"), "ConfigMap")["nats-config"]["data"]["nats.conf"])
    done = subprocess.run([nats_server_binary(), "-t", "-c", str(path)], env={"POD_NAME": "nats-0"},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr


def test_the_gateway_and_uploads_scale_horizontally(objects):
    autoscalers = of_kind(objects, "HorizontalPodAutoscaler")
    assert {hpa["spec"]["scaleTargetRef"]["name"] for hpa in autoscalers.values()} == {"gateway", "uploads"}
    for hpa in autoscalers.values():
        assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


def test_prod_pins_every_image_and_runs_two_replicas_of_everything():
    objects = render("prod")
    for name, _pod, container in containers(objects):
        repository, _, tag = container["image"].rpartition(":")
        assert repository and tag and tag != "latest" and "/" not in tag, (name, container["image"])
    assert all(deployment["spec"]["replicas"] >= 2 for deployment in of_kind(objects, "Deployment").values())
    assert of_kind(objects, "Service")["gateway"]["spec"]["type"] == "LoadBalancer"


def test_only_the_gateway_is_exposed_outside_the_cluster(objects):
    for name, service in of_kind(objects, "Service").items():
        if name != "gateway":
            assert service["spec"].get("type", "ClusterIP") == "ClusterIP", name


def test_the_readme_shows_how_to_apply_each_overlay():
    readme = (K8S / "README.md").read_text()
    for overlay in OVERLAYS:
        assert f"kubectl apply -k deploy/k8s/overlays/{overlay}" in readme
        assert Path(K8S / "overlays" / overlay / "kustomization.yaml").exists()
