"""The private surfaces of other projects that the project uses, each checked as used, so an
upgrade that moves one fails here, by name, instead of in a slow-client or load test.

waitress has no public API for a per-request deadline, for answering a client that half-closed,
or for a second lane of worker threads: harness/serve_server.py and harness/serve_lanes.py use
its channel and dispatcher internals, and constraints.txt pins the version they were written
for (`make setup` installs with it). argparse's help formatter has no public hook for the
defaults our --help lists. Everything else the project takes from these libraries is public.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import inspect
import logging
import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server
from waitress.task import ThreadedTaskDispatcher

from harness.cli.args import HelpFormatter
from harness.queue_log import WAITRESS_QUEUE_LOGGER, queue_depth
from harness.serve_lanes import LaneDispatcher
from harness.serve_server import ServerLimits, SlowClientChannel, _listeners, make_server

ROOT = Path(__file__).resolve().parent.parent


def _parameters(func: Callable) -> list[str]:
    return list(inspect.signature(func).parameters)


def _pins() -> dict[str, str]:
    text = (ROOT / "constraints.txt").read_text()
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", text, re.MULTILINE))


def test_waitress_is_the_version_constraints_txt_pins():
    pinned = _pins()["waitress"]
    installed = importlib.metadata.version("waitress")
    assert installed == pinned, (
        f"waitress {installed} is installed, constraints.txt pins {pinned}: install with "
        "`pip install -c constraints.txt -e '.[dev]'`, or check this file's surfaces and raise the pin"
    )


@pytest.mark.parametrize(
    ("func", "parameters"),
    [
        (HTTPChannel.__init__, ["self", "server", "sock", "addr", "adj", "map"]),
        (HTTPChannel.handle_read, ["self"]),
        (HTTPChannel.handle_write, ["self"]),
        (HTTPChannel.handle_close, ["self"]),
        (HTTPChannel.readable, ["self"]),
        (HTTPChannel.writable, ["self"]),
        (HTTPChannel.received, ["self", "data"]),
        (HTTPChannel.service, ["self"]),
        (HTTPChannel.cancel, ["self"]),
        (BaseWSGIServer.maintenance, ["self", "now"]),
        (ThreadedTaskDispatcher.__init__, ["self"]),
        (ThreadedTaskDispatcher.set_thread_count, ["self", "count"]),
        (ThreadedTaskDispatcher.add_task, ["self", "task"]),
        (ThreadedTaskDispatcher.shutdown, ["self", "cancel_pending", "timeout"]),
        (ThreadedTaskDispatcher.start_new_thread, ["self", "target", "thread_no"]),
        (argparse.HelpFormatter._get_help_string, ["self", "action"]),
    ],
    ids=lambda value: getattr(value, "__qualname__", "") if callable(value) else "",
)
def test_the_methods_we_override_or_call_keep_their_signature(func, parameters):
    assert _parameters(func) == parameters


def test_create_server_still_takes_a_dispatcher_and_servers_their_channel_class():
    assert "_dispatcher" in _parameters(create_server)
    assert BaseWSGIServer.channel_class is HTTPChannel
    assert "map" in _parameters(MultiSocketServer.__init__)


@pytest.fixture
def listener() -> Iterator[BaseWSGIServer]:
    """`serve`'s waitress server on a free port, with no worker threads: requests stay queued."""
    limits = ServerLimits(threads=0, header_timeout=0.01, large_body_bytes=8)
    server = make_server(lambda environ, start: [], "127.0.0.1", 0, limits)
    [one] = _listeners(server)
    try:
        yield one
    finally:
        server.close()


@pytest.fixture
def channel(listener) -> Iterator[tuple[SlowClientChannel, socket.socket]]:
    """A channel of that server on one end of a socket pair; the test is the client."""
    ours, client = socket.socketpair()
    channel = listener.channel_class(listener, ours, ("127.0.0.1", 1), listener.adj, map={})
    assert isinstance(channel, SlowClientChannel)
    try:
        yield channel, client
    finally:
        channel.close()
        client.close()


def _answer(client: socket.socket) -> bytes:
    client.settimeout(5)
    return client.recv(65536)


def test_a_slow_head_is_found_by_maintenance_and_answered_408(listener, channel):
    ch, client = channel
    for name in ("adj", "socket", "last_activity", "requests", "total_outbufs_len"):
        assert hasattr(ch, name), name
    assert isinstance(ch.adj.recv_bytes, int)
    assert ch.received(b"GET /xapi/default/about HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert ch.request is not None and ch.request.headers_finished is False
    assert (ch.requests, ch.will_close, ch.close_when_flushed) == ([], False, False)
    assert ch in listener.active_channels.values()
    time.sleep(0.05)
    listener.maintenance(time.time())  # the deadline's pass over active_channels
    assert ch.request is None and ch.close_when_flushed
    assert ch.total_outbufs_len == ch.current_outbuf_count > 0
    ch.handle_write()
    answer = _answer(client)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
    assert b"header timeout of 0.01 s" in answer


def test_a_large_body_reaches_its_lane_with_the_size_and_credential_it_is_sorted_by(
    listener, channel
):
    ch, _client = channel
    lanes = listener.task_dispatcher
    assert isinstance(lanes, LaneDispatcher)
    body = b'{"a": "0123456789"}'
    head = (
        "POST /xapi/default/statements HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Basic dTpw\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    ch.received(head + body)  # complete: waitress hands the channel to the dispatcher
    [request] = ch.requests
    assert request.body_bytes_received == len(body)
    assert request.headers["AUTHORIZATION"] == "Basic dTpw"
    assert lanes.large_body_credential(ch) in lanes.waiting
    assert lanes.shutdown(cancel_pending=True, timeout=1)  # cancels the queued channel
    assert ch.will_close


def test_waitress_reports_the_queue_depth_as_one_int_argument_on_its_queue_logger():
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    logger = logging.getLogger(WAITRESS_QUEUE_LOGGER)
    logger.addHandler(handler)
    try:
        dispatcher = ThreadedTaskDispatcher()  # no threads: every task waits
        dispatcher.add_task(object())
        dispatcher.add_task(object())
    finally:
        logger.removeHandler(handler)
    assert [queue_depth(record) for record in seen] == [1, 2]


def test_the_help_formatter_still_asks_our_hook_for_each_option_help():
    parser = argparse.ArgumentParser(prog="x", formatter_class=HelpFormatter)
    parser.add_argument("--port", type=int, default=8080, help="the port")
    assert "the port (default: 8080)" in " ".join(parser.format_help().split())
