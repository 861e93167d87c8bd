"""Verify a Gatehouse security-log export offline: python3 verify_export.py < export.jsonl

Standard library only. Each line is one event; its hash must be SHA-256 of its prev_hash
(32 bytes) followed by the canonical JSON of the fields below, and where the export holds
two consecutive versions of a stream, the later one's prev_hash must be the earlier's hash.
"""
import base64, hashlib, json, sys

CANONICAL = ("actor", "id", "payload", "service", "stream", "subjects", "time_us", "type", "version")


def main(lines) -> int:
    last = {}  # (service, stream) -> (version, hash)
    events = sorted((json.loads(line) for line in lines if line.strip()), key=lambda e: (e["service"], e["stream"], e["version"]))
    for event in events:
        base64.b64decode(event["payload"], validate=True)
        body = json.dumps({k: event[k] for k in CANONICAL}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        expected = hashlib.sha256(bytes.fromhex(event["prev_hash"]) + body.encode()).hexdigest()
        previous = last.get((event["service"], event["stream"]))
        linked = previous is None or previous[0] + 1 != event["version"] or previous[1] == event["prev_hash"]
        if expected != event["hash"] or not linked:
            print(f"BROKEN: event {event['id']} ({event['stream']} v{event['version']})", file=sys.stderr)
            return 1
        last[(event["service"], event["stream"])] = (event["version"], event["hash"])
    print(f"OK: {len(events)} events verified")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.stdin))
