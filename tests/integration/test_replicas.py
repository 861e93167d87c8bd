"""Two replicas of the gateway and of every service behind one NATS and one database (PostgreSQL
with GATEHOUSE_TEST_DATABASE_URL, as in CI's second pass; else SQLite files both share): the flow
(log in, token, twine upload, security logs, Simple API) works through either gateway, and the
audit projection, fed by two audit consumers on one durable, holds every event exactly once, and
both consumers project a share of a burst (each replica's gatehouse_consumer_handled_events_total)."""

from __future__ import annotations

import asyncio

import pytest
import requests
import sqlalchemy as sa

from bench.audit_events import Publisher, failed_logins
from tests.integration.audit_helpers import audit_engine, wait_until
from tests.integration.flow import Maintainer, build_project, twine_upload
from tests.integration.harness import drop_postgres_databases, postgres_base_url
from tests.integration.observability_helpers import metrics_of, published_envelopes, sample
from tests.integration.replicas import ReplicatedGatehouse


@pytest.fixture(scope="module")
def replicated(tmp_path_factory, nats):
    database_url = postgres_base_url()  # else both replicas share the SQLite files
    instance = ReplicatedGatehouse(tmp_path_factory.mktemp("replicas") / "data", nats.url, database_url)
    try:
        instance.start()
        yield instance
    finally:
        instance.stop()
        if database_url:
            drop_postgres_databases(database_url)


@pytest.fixture(scope="module")
def rita(replicated) -> Maintainer:
    maintainer = Maintainer(replicated.gateways[0], "rita", "rita@example.org", "correct-horse-battery-staple-42")
    maintainer.create_with_cli()
    maintainer.log_in()
    return maintainer


def _through(maintainer: Maintainer, gateway) -> Maintainer:
    maintainer.gatehouse = gateway  # the session cookie is the same for both (same host)
    return maintainer


def test_both_gateways_are_healthy(replicated):
    for gateway in replicated.gateways:
        assert requests.get(f"{gateway.url}/healthz", timeout=10).status_code == 200


def test_the_flow_passes_across_gateways(replicated, rita, tmp_path):
    first, second = replicated.gateways
    token = _through(rita, second).create_token("replicated")
    files = build_project(tmp_path, "replicated-demo", "1.0")
    done = twine_upload(second, token["token"], files)
    assert done.returncode == 0, done.stdout + done.stderr
    project_log = _through(rita, first).wait_for_events(
        "projects", "replicated-demo", {"project:release:created", "file:file:added"}, timeout=15)
    assert {event["tag"] for event in project_log} >= {"project:release:created", "file:file:added"}
    page = requests.get(f"{first.url}/simple/replicated-demo/", timeout=10)
    assert page.status_code == 200 and all(path.name in page.text for path in files)


def _burst_names(log: list[dict]) -> list[str]:
    return sorted(event["additional"]["name"] for event in log if event["tag"] == "account:api_token:added"
                  and event["additional"].get("name", "").startswith("burst-"))


def test_the_audit_projection_is_exactly_once_with_two_consumers(replicated, rita, nats):
    for number, gateway in enumerate(replicated.gateways * 10):
        _through(rita, gateway).create_token(f"burst-{number}")
    wanted = sorted(f"burst-{number}" for number in range(20))
    # Events committed through one replica may wait for the other's relay (it holds the lease).
    log = _through(rita, replicated.gateways[1]).wait_for_log(
        "users", "rita", lambda log: _burst_names(log) == wanted, timeout=30)
    assert _burst_names(log) == wanted  # each once
    engine = audit_engine(replicated.gateways[0])

    def projected_all() -> bool:
        published = [envelope.event_id for envelope in published_envelopes(nats.url)]
        with engine.connect() as connection:
            ids = connection.execute(sa.text("SELECT event_id FROM security_events")).scalars().all()
        return sorted(ids) == sorted(set(published))  # none lost, none extra

    wait_until(projected_all, timeout=30)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM parked_events")).scalar() == 0
    engine.dispose()
    for replica in range(2):  # both replicas of the tokens service issued some (round robin)
        metrics = metrics_of(replicated.metrics_url("tokens", replica))
        assert sample(metrics, "gatehouse_grpc_requests_total", service="tokens", method="IssueToken", outcome="OK") > 0
    verified = replicated.gateways[1].cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert replicated.alive()


BURST_IP = "198.51.100.77"
BURST, WAVES, WAVE_PAUSE = 300, 20, 0.2  # ~4 s of events: several one-second fetches of each replica


def _publish_in_waves(nats_url: str, envelopes, waves: int, pause: float) -> None:
    async def run():
        size = -(-len(envelopes) // waves)
        async with Publisher(nats_url) as publisher:
            for start in range(0, len(envelopes), size):
                for envelope in envelopes[start:start + size]:
                    await publisher.publish(envelope)
                await asyncio.sleep(pause)

    asyncio.run(run())


def _handled_by_each(replicated) -> list[float]:
    """Events each audit replica's projector committed since it started (its own counter)."""
    return [sample(metrics_of(replicated.metrics_url("audit", replica)), "gatehouse_consumer_handled_events_total",
                   consumer="audit-projector") for replica in range(2)]


def test_both_audit_replicas_project_a_share_of_a_burst(replicated, nats):
    engine = audit_engine(replicated.gateways[0])

    def settled(wanted_from_burst: int):
        """(counters, projected rows) once the burst's events are in and the counters add up
        to the rows (every row projected by exactly one replica), else None."""
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT count(*) FROM security_events")).scalar()
            burst = connection.execute(sa.text("SELECT count(DISTINCT event_id) FROM security_events "
                                               "WHERE actor_ip = :ip"), {"ip": BURST_IP}).scalar()
        handled = _handled_by_each(replicated)
        return (handled, rows) if burst == wanted_from_burst and sum(handled) == rows else None

    before, rows_before = wait_until(lambda: settled(0), timeout=30)
    envelopes = failed_logins(BURST, ip=BURST_IP)
    _publish_in_waves(nats.url, envelopes, WAVES, WAVE_PAUSE)
    # One stream's burst split over two replicas is put in order by waiting (services/audit/README):
    # 30 s or so here, for 300 events of one chain.
    after, rows_after = wait_until(lambda: settled(BURST), timeout=150)
    engine.dispose()
    shares = [now - then for now, then in zip(after, before)]
    # Every row projected meanwhile (the burst's, each once) by exactly one replica, and by both in turn.
    assert sum(shares) == rows_after - rows_before >= BURST
    assert all(share > 0 for share in shares), shares
    assert replicated.alive()
