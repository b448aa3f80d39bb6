"""`serve` against idle, slow and oversized clients, over real sockets on 127.0.0.1.

waitress's defaults (100 connections, no deadline for a request head) let a handful of idle
sockets stop every other client; `serve` raises the limit and answers 408 to slow requests,
431 to oversized heads and 414 to overlong URLs, each with a reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from fake_lms.app import MAX_URL_BYTES
from harness.serve_server import ServerLimits
from tests.raw_http import connect, exchange, read_answer, status
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServeProcess]:
    db = tmp_path_factory.mktemp("slow-clients") / "lms.db"
    with ServeProcess(db, "--header-timeout", "0.5", "--request-timeout", "1.5") as running:
        yield running


ABOUT = b"GET /xapi/default/about HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def test_150_idle_connections_do_not_stop_a_normal_request(server):
    idle = [connect(server) for _ in range(150)]
    slow = [connect(server) for _ in range(20)]
    try:
        for sock in slow:
            sock.sendall(b"GET /xapi/default/about HTTP/1.1\r\nHost: 1")
        # waitress's default limit (100 open connections) left this one waiting forever
        assert status(exchange(server, ABOUT)) == 200
    finally:
        for sock in idle + slow:
            sock.close()


def test_a_request_head_that_arrives_too_slowly_is_answered_408(server):
    with connect(server) as sock:
        sock.sendall(b"GET /xapi/default/about HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = read_answer(sock)
    assert status(answer) == 408, answer[:200]
    assert "header timeout of 0.5 s" in json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]


def test_a_body_that_arrives_too_slowly_is_answered_408(server):
    with connect(server) as sock:
        sock.sendall(
            b"POST /xapi/default/statements HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{"
        )
        answer = read_answer(sock)
    assert status(answer) == 408, answer[:200]
    assert "request timeout of 1.5 s" in answer.decode()


def test_an_overlong_url_is_answered_414_with_the_limit(server):
    path = b"/xapi/default/statements?activity=" + b"a" * MAX_URL_BYTES
    answer = exchange(server, b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert status(answer) == 414, answer[:200]
    body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert f"more than the limit of {MAX_URL_BYTES}" in body["error"]


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET /xapi/default/about HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
        + b"a" * 70_000
        + b"\r\n\r\n",
    ],
    ids=["url", "header"],
)
def test_a_head_beyond_the_header_limit_is_answered_431(server, raw):
    assert len(raw) > ServerLimits().max_header_bytes
    answer = exchange(server, raw)
    assert status(answer) == 431, answer[:200]
    assert b"exceeds max_header" in answer


def test_a_limit_flag_out_of_range_exits_2_with_one_line(tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "serve",
            "--db",
            str(tmp_path / "x.db"),
            "--threads",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2, r.stderr
    assert "--threads must be greater than 0, got 0" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
