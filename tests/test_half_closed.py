"""A client that sends a whole request and then shuts down its sending side is answered.

`nc -N`, some proxies and tools end their input with a FIN (socket.shutdown(SHUT_WR)) and
wait for the answer. waitress closed such a connection as soon as it read the end of input,
also while the request it had received waited for a worker thread: most of these requests went
unanswered, and POSTed statements were lost or stored without an answer.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from tests.factories import statement
from tests.raw_http import connect, post_statements, read_answer, status
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow

REQUESTS = 20
ABOUT = b"GET /xapi/default/about HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServeProcess]:
    with ServeProcess(tmp_path_factory.mktemp("half-closed") / "lms.db") as running:
        yield running


def half_closed(server: ServeProcess, raw: bytes) -> bytes:
    """Send a whole request, shut down the sending side, read the answer until the close."""
    with connect(server) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        answer = read_answer(sock)
        assert sock.recv(1) == b"", "the connection stayed open after the answer"
    return answer


def test_half_closed_gets_are_answered(server):
    statuses = [status(half_closed(server, ABOUT)) for _ in range(REQUESTS)]
    assert statuses == [200] * REQUESTS


def test_half_closed_posts_are_answered_and_stored(server):
    sent = [statement() for _ in range(REQUESTS)]
    answers = [half_closed(server, post_statements(server, json.dumps(s).encode())) for s in sent]
    assert [status(a) for a in answers] == [200] * REQUESTS
    assert [json.loads(a.split(b"\r\n\r\n", 1)[1]) for a in answers] == [[s["id"]] for s in sent]
    client = server.client()
    for s in sent:
        got = client.get(server.endpoint + "statements", params={"statementId": s["id"]})
        assert got.status_code == 200, f"statement {s['id']} was answered but not stored"


def test_pipelined_requests_before_the_half_close_are_all_answered(server):
    with connect(server) as sock:
        sock.sendall(ABOUT * 3)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK\r\n") == 3, received[:300]
