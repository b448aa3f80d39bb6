"""HTTP/1.1 over raw sockets to a `serve` subprocess, for tests of what waitress does with the
bytes: half-closed, slow, idle or oversized clients."""

from __future__ import annotations

import base64
import socket
import time
from pathlib import Path

from tests.serve_process import ServeProcess


def connect(server: ServeProcess) -> socket.socket:
    host, _, port = server.base_url.removeprefix("http://").partition(":")
    return socket.create_connection((host, int(port)), timeout=10)


def exchange(server: ServeProcess, raw: bytes) -> bytes:
    """Send raw bytes, read until the server closes or the answer is complete."""
    with connect(server) as sock:
        sock.sendall(raw)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> bytes:
    """One answer: its head and Content-Length bytes of body, or what came before the close."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def status(answer: bytes) -> int:
    assert answer, "the server closed the connection without an answer"
    return int(answer.split(b" ", 2)[1])


def post_statements(server: ServeProcess, body: bytes) -> bytes:
    """A POST of `body` to the default mount's statements, with the server's credentials."""
    auth = base64.b64encode(server.api_key.encode()).decode()
    head = (
        "POST /xapi/default/statements HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Basic {auth}\r\nX-Experience-API-Version: 1.0.3\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def wait_until_read(server: ServeProcess, timeout: float = 30.0) -> None:
    """Wait until the server has read every byte clients sent it on loopback (Linux: the send
    and receive queues of each connection to its port in /proc/net/tcp are empty)."""
    port = int(server.base_url.rsplit(":", 1)[1])
    deadline = time.monotonic() + timeout
    while _queued_bytes(port):
        assert time.monotonic() < deadline, f"the server did not read its input in {timeout} s"
        time.sleep(0.02)


def _queued_bytes(port: int) -> int:
    """Bytes clients sent to `port` that its listener has not read yet."""
    queued = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        _, local, remote, state, queues, *_ = line.split()
        tx, rx = (int(q, 16) for q in queues.split(":"))
        if state != "01":  # ESTABLISHED
            continue
        if int(local.split(":")[1], 16) == port:
            queued += rx  # the server's unread input
        elif int(remote.split(":")[1], 16) == port:
            queued += tx  # a client's bytes not yet taken in by the server's side
    return queued
