"""The NetworkPolicies of deploy/k8s, evaluated as Kubernetes evaluates them (a pod selected by
any policy of a direction is isolated in it; a connection needs the source's egress and the
destination's ingress), over the pods the overlays render: only the gateway is reachable from
outside, the services accept only the gateway and each other, only they reach NATS and only
the services reach PostgreSQL."""

from __future__ import annotations

import ipaddress

import pytest

from gatehouse.settings import SERVICES
from tests.k8s_render import OVERLAYS, of_kind, render, workloads

OUTSIDE = {"ip": "203.0.113.7"}  # a client on the internet
POSTGRESQL = {"ip": "198.51.100.5"}  # the external database
KUBE_DNS = {"labels": {"k8s-app": "kube-dns"}, "namespace": {"kubernetes.io/metadata.name": "kube-system"}}


def selects(selector: dict, labels: dict) -> bool:
    """Whether a label selector matches `labels` (an empty selector matches everything)."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        present, value = expression["key"] in labels, labels.get(expression["key"])
        matched = {"In": present and value in expression.get("values", []),
                   "NotIn": not present or value not in expression.get("values", []),
                   "Exists": present, "DoesNotExist": not present}[expression["operator"]]
        if not matched:
            return False
    return True


def peer_matches(peer: dict, other: dict, own_namespace: dict) -> bool:
    if "ipBlock" in peer:
        if "ip" not in other:
            return False  # pod addresses are not what ipBlock is for
        address = ipaddress.ip_address(other["ip"])
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(excluded) for excluded in block.get("except", []))
    if "labels" not in other:
        return False
    namespace = other.get("namespace", own_namespace)
    if "namespaceSelector" in peer:
        return selects(peer["namespaceSelector"], namespace) and selects(peer.get("podSelector", {}), other["labels"])
    return namespace == own_namespace and selects(peer["podSelector"], other["labels"])


def direction_allows(policies, direction: str, pod: dict, other: dict, port: int, namespace: dict) -> bool:
    """Whether `pod`'s policies of `direction` (Ingress/Egress) allow traffic with `other` on `port`."""
    isolating = [policy for policy in policies
                 if direction in policy["spec"]["policyTypes"] and selects(policy["spec"]["podSelector"], pod["labels"])]
    if not isolating:
        return True
    peers_key = "from" if direction == "Ingress" else "to"
    for policy in isolating:
        for rule in policy["spec"].get(direction.lower(), []):
            ports = rule.get("ports")
            if ports and not any(item.get("port") == port and item.get("protocol", "TCP") == "TCP" for item in ports):
                continue
            if not rule.get(peers_key) or any(peer_matches(peer, other, namespace) for peer in rule[peers_key]):
                return True
    return False


class Cluster:
    """The rendered overlay's pods and policies, with the connection question both ways."""

    def __init__(self, objects):
        (namespace,) = of_kind(objects, "Namespace").values()
        self.namespace = {"kubernetes.io/metadata.name": namespace["metadata"]["name"]}
        self.policies = list(of_kind(objects, "NetworkPolicy").values())
        self.pods = {name: {"labels": workload["spec"]["template"]["metadata"]["labels"]}
                     for name, workload in workloads(objects).items()}

    def can_connect(self, source, destination, port: int) -> bool:
        source = self.pods[source] if isinstance(source, str) else source
        destination = self.pods[destination] if isinstance(destination, str) else destination
        egress = "labels" not in source or "namespace" in source or direction_allows(
            self.policies, "Egress", source, destination, port, self.namespace)
        ingress = "labels" not in destination or "namespace" in destination or direction_allows(
            self.policies, "Ingress", destination, source, port, self.namespace)
        return egress and ingress


@pytest.fixture(params=OVERLAYS)
def cluster(request) -> Cluster:
    return Cluster(render(request.param))


def test_every_pod_is_isolated_both_ways_by_default(cluster):
    for direction in ("Ingress", "Egress"):
        assert any(direction in policy["spec"]["policyTypes"] and policy["spec"]["podSelector"] == {}
                   for policy in cluster.policies), direction
    for name in cluster.pods:
        assert not cluster.can_connect(name, OUTSIDE, 443), name


def test_only_the_gateway_is_reachable_from_outside(cluster):
    assert cluster.can_connect(OUTSIDE, "gateway", 8080)
    assert not cluster.can_connect(OUTSIDE, "gateway", 9090)
    for name in (*SERVICES, "nats"):
        for port in (50051, 4222, 6222, 8222):
            assert not cluster.can_connect(OUTSIDE, name, port), (name, port)


def test_services_accept_only_the_gateway_and_each_other(cluster):
    for name in SERVICES:
        assert cluster.can_connect("gateway", name, 50051), name
        assert all(cluster.can_connect(other, name, 50051) for other in SERVICES), name
        assert not cluster.can_connect("nats", name, 50051), name
        assert not cluster.can_connect(name, "gateway", 8080), name


def test_only_the_gateway_and_the_services_reach_nats_and_only_nats_nodes_route_to_each_other(cluster):
    for name in ("gateway", *SERVICES):
        assert cluster.can_connect(name, "nats", 4222), name
        assert not cluster.can_connect(name, "nats", 6222), name
    assert cluster.can_connect("nats", "nats", 6222)
    assert not cluster.can_connect("nats", "nats", 4222)


def test_only_the_services_reach_postgresql_and_only_identity_sends_mail(cluster):
    for name in SERVICES:
        assert cluster.can_connect(name, POSTGRESQL, 5432), name
        assert cluster.can_connect(name, POSTGRESQL, 587) == (name == "identity"), name
    assert not cluster.can_connect("gateway", POSTGRESQL, 5432)
    assert not cluster.can_connect("nats", POSTGRESQL, 5432)


def test_every_pod_may_resolve_names(cluster):
    for name in cluster.pods:
        assert direction_allows(cluster.policies, "Egress", cluster.pods[name], KUBE_DNS, 53, cluster.namespace), name
