"""`serve`'s event loop leaves a worker's output to the worker while it sends it, and still sends every byte.

waitress's loop counted a connection as writable whenever output was pending; a socket is nearly
always ready to write, so the loop went round without sleeping while a worker held output it was
about to send, taking the GIL the worker needed (harness/serve_server.py,
`SlowClientChannel.writable`). These tests run the server of `serve` (`make_server`) in a thread
of this process, on 127.0.0.1, with WSGI apps that hold their output, and ask a connection what
the loop asks it.
"""

from __future__ import annotations

import http.client
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from harness.serve_server import ServerLimits, SlowClientChannel, make_server

HOLD_S = 0.6


def holding_app(body: bytes, hold_s: float) -> Callable[..., Iterable[bytes]]:
    """Sends `body`, then keeps its worker thread `hold_s` seconds before the request ends."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Length", str(len(body)))])
        yield body
        time.sleep(hold_s)  # (the worker is still serving: the body was handed over)

    return app


@pytest.fixture
def channel() -> Iterator[SlowClientChannel]:
    """A connection of `serve`'s server on one end of a socket pair, outside any event loop."""
    server = make_server(holding_app(b"", 0), "127.0.0.1", 0, ServerLimits())
    ours, theirs = socket.socketpair()
    made = SlowClientChannel(server, ours, ("127.0.0.1", 0), server.adj, map={})
    yield made
    theirs.close()
    ours.close()
    server.close()


def test_output_a_worker_is_sending_is_not_the_loops(channel):
    channel.total_outbufs_len = 100
    channel.in_write = True
    # waitress: writable, so the loop went round without sleeping until the worker had sent it
    assert not channel.writable()
    channel.in_write = False
    assert channel.writable()


def test_output_past_the_high_watermark_is_the_loops_while_the_worker_waits(channel):
    channel.in_write = True
    channel.total_outbufs_len = channel.adj.outbuf_high_watermark + 1
    assert channel.writable()


def test_a_connection_to_close_is_the_loops_while_a_worker_writes(channel):
    channel.in_write = True
    channel.total_outbufs_len = 10
    channel.close_when_flushed = True
    assert channel.writable()
    channel.close_when_flushed, channel.will_close = False, True
    assert channel.writable()


def test_nothing_pending_is_not_writable(channel):
    assert not channel.writable()


def test_the_loop_sends_what_a_worker_left_while_the_worker_goes_on(served):
    # 8 MiB: more than the socket takes at once, less than the high watermark. The client reads
    # only once the worker has handed everything over and gone on to something else (a hold).
    body = os.urandom(1024) * (8 * 1024)
    handed_over, hold_ended = threading.Event(), threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Length", str(len(body)))])
        yield body
        handed_over.set()
        time.sleep(HOLD_S)
        hold_ended.set()

    server = served(app)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", "/")
        assert handed_over.wait(10)
        got = conn.getresponse().read()
        ended_first = hold_ended.is_set()
    finally:
        conn.close()
    assert got == body
    assert not ended_first, "the rest of the answer waited for the worker's request to end"
    assert hold_ended.wait(10)
    time.sleep(0.2)  # (the worker's request ends before the server closes)


def test_output_a_worker_could_not_send_is_sent_when_its_request_ends(served):
    # 32 MiB: more than the socket takes at once and than waitress's output high watermark,
    # where the worker waits for the loop to send; the client reads it all
    body = os.urandom(1024) * (32 * 1024)
    server = served(holding_app(body, 0.2))
    status, got = server.request()
    assert status == 200
    assert got == body


def test_a_slow_reader_gets_a_large_answer_whole(served):
    body = bytes(range(256)) * (4 * 4096)  # 4 MiB
    server = served(holding_app(body, 0.0))
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", "/")
        answer = conn.getresponse()
        got = bytearray()
        while chunk := answer.read(256 * 1024):
            got += chunk
            time.sleep(0.01)  # a client reading slowly: the socket fills, sends are partial
    finally:
        conn.close()
    assert bytes(got) == body
