"""An upload spoken over a raw socket, so a test can stop half-way through the body (a client that
goes away) or hold it open while a service is killed."""

from __future__ import annotations

import base64
import hashlib
import socket
import time
import uuid
from pathlib import Path


def wheel_fields(wheel: Path, name: str, version: str) -> dict[str, str]:
    """The form fields twine sends for `wheel`."""
    return {
        ":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1", "name": name,
        "version": version, "filetype": "bdist_wheel", "pyversion": "py3", "summary": "A project for Gatehouse's tests",
        "requires_python": ">=3.9", "sha256_digest": hashlib.sha256(wheel.read_bytes()).hexdigest(),
    }


def multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[str, bytes]:
    """(content type, body) of a multipart/form-data upload with the file part last."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode() + content + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


class RawUpload:
    """POST /legacy/ over a socket: `send(n)` writes the next n bytes of the body."""

    def __init__(self, url: str, token: str, content_type: str, body: bytes):
        host, port = url.removeprefix("http://").split(":")
        self.body, self.sent = body, 0
        self.socket = socket.create_connection((host, int(port)), timeout=60)
        credentials = base64.b64encode(f"__token__:{token}".encode()).decode()
        head = (f"POST /legacy/ HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {credentials}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\nUser-Agent: raw-upload/1\r\n"
                "Connection: close\r\n\r\n")
        self.socket.sendall(head.encode())

    def send(self, count: int | None = None) -> None:
        end = len(self.body) if count is None else self.sent + count
        self.socket.sendall(self.body[self.sent:end])
        self.sent = min(end, len(self.body))

    def response(self) -> tuple[int, str]:
        """(status, whole response text) once the server answers and closes."""
        received = b""
        while chunk := self.socket.recv(65536):
            received += chunk
        self.socket.close()
        text = received.decode("latin-1")
        return int(text.split(" ", 2)[1]), text

    def abandon(self) -> None:
        """Goes away without finishing the body (a reset, as a killed client's kernel sends)."""
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.socket.close()


def incoming_files(data_dir: Path) -> list[Path]:
    """What sits in files/.incoming (uploads being received, or left behind)."""
    directory = data_dir / "files" / ".incoming"
    return sorted(directory.iterdir()) if directory.is_dir() else []


def stored_files(data_dir: Path, suffix: str) -> list[Path]:
    """Stored files (outside .incoming) whose name ends with `suffix`."""
    root = data_dir / "files"
    return sorted(p for p in root.rglob(f"*{suffix}") if ".incoming" not in p.parts) if root.is_dir() else []


def wait_until(condition, timeout: float = 30.0, step: float = 0.05) -> bool:
    """Polls `condition()` until it is true (returns True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())
