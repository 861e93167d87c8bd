"""Reading what a running instance exposes: /metrics of each process, published envelopes, logs."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from pathlib import Path

import nats
import requests
from prometheus_client.parser import text_string_to_metric_families

from gatehouse.events.v1 import envelope_pb2


def metrics_of(url: str) -> dict[tuple[str, frozenset], float]:
    """{(sample name, labels): value} scraped from a /metrics URL."""
    answer = requests.get(url, timeout=5)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def service_metrics_url(gatehouse, service: str) -> str:
    """Where `service` of this instance serves /metrics (its port file under run/)."""
    port = (Path(gatehouse.data_dir) / "run" / f"{service}.metrics-port").read_text().strip()
    return f"http://127.0.0.1:{port}/metrics"


def sample(metrics: dict, name: str, **labels: str) -> float:
    """The value of `name` with exactly `labels`, or 0."""
    return metrics.get((name, frozenset(labels.items())), 0.0)


def raw_upload(gatehouse, token: str, wheel: Path, request_id: str, **overrides: str) -> requests.Response:
    """POST /legacy/ as twine does for `wheel`, with an X-Request-ID header."""
    content = wheel.read_bytes()
    name, version = wheel.name.split("-")[:2]
    fields = {":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1",
              "name": name, "version": version, "filetype": "bdist_wheel", "pyversion": "py3",
              "sha256_digest": hashlib.sha256(content).hexdigest(), **overrides}
    return requests.post(f"{gatehouse.url}/legacy/", data=fields, auth=("__token__", token),
                         files={"content": (wheel.name, content, "application/octet-stream")},
                         headers={"X-Request-ID": request_id}, timeout=60)


async def _envelopes(nats_url: str, stream: str) -> list[envelope_pb2.EventEnvelope]:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        state = (await js.stream_info(stream)).state
        found = []
        for sequence in range(state.first_seq, state.last_seq + 1):
            found.append(envelope_pb2.EventEnvelope.FromString((await js.get_msg(stream, sequence)).data))
        return found
    finally:
        await client.close()


def published_envelopes(nats_url: str, stream: str = "GATEHOUSE_EVENTS") -> list[envelope_pb2.EventEnvelope]:
    """Every envelope the stream holds, oldest first (read by sequence; no consumer is created)."""
    return asyncio.run(_envelopes(nats_url, stream))


def wait_for_envelopes(nats_url: str, wanted, timeout: float = 15.0) -> list[envelope_pb2.EventEnvelope]:
    """Polls the stream until `wanted(envelope)` holds for some; returns those."""
    deadline = time.monotonic() + timeout
    while True:
        matching = [envelope for envelope in published_envelopes(nats_url) if wanted(envelope)]
        if matching or time.monotonic() > deadline:
            return matching
        time.sleep(0.2)


def log_lines(gatehouse, process: str) -> list[dict]:
    """The JSON log lines of one process of this instance (lines that are not JSON are skipped)."""
    lines = []
    for line in (Path(gatehouse.data_dir) / "logs" / f"{process}.log").read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines
