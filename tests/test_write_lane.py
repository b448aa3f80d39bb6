"""`serve`'s statement-write lane: small statement writes are served one after the other by one
thread, everything else by the ordinary threads, and a write never waits behind a slow one.

Several threads writing statements at once served fewer than one (harness/serve_lanes.py). These
tests run `serve`'s server (`make_server`) in a thread of this process on 127.0.0.1, with a WSGI
app that answers with the name of the thread serving it, and look at the lane's rules directly.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

from harness import serve_lanes
from harness.serve_lanes import WRITE_LANE_MAX_QUEUED, _Write, _WriteLane, is_statement_write

LARGE = 1024 * 1024
SLOW_MARK = b"slow"


def thread_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers with the serving thread's name; a body of `slow` keeps the thread 0.5 s."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    if body == SLOW_MARK:
        time.sleep(0.5)
    name = threading.current_thread().name.encode()
    start_response("200 OK", [("Content-Length", str(len(name)))])
    return [name]


def channel(command: str, path: str, body_bytes: int = 100) -> SimpleNamespace:
    """A channel as the dispatcher sees it: the next request's method, path and body size."""
    request = SimpleNamespace(command=command, path=path, body_bytes_received=body_bytes)
    return SimpleNamespace(requests=[request])


def test_small_statement_writes_are_the_lanes() -> None:
    for method in ("POST", "PUT"):
        for path in ("/xapi/default/statements", "/xapi/m1/statements/", "/xapi/m1//statements"):
            assert is_statement_write(channel(method, path), LARGE), (method, path)


def test_other_requests_are_not() -> None:
    assert not is_statement_write(channel("GET", "/xapi/default/statements"), LARGE)
    assert not is_statement_write(channel("POST", "/xapi/default/activities/state"), LARGE)
    assert not is_statement_write(channel("POST", "/api/launches"), LARGE)
    assert not is_statement_write(channel("POST", "/xapi/default/statements", LARGE), LARGE)
    assert not is_statement_write(SimpleNamespace(requests=[]), LARGE)


def test_the_lane_takes_no_more_than_its_queue() -> None:
    lane = _WriteLane()
    assert all(lane.admit() for _ in range(WRITE_LANE_MAX_QUEUED))
    assert not lane.admit()
    lane.serving()  # one leaves the queue for the thread
    assert lane.admit()


def test_the_lane_takes_nothing_behind_a_slow_write() -> None:
    lane = _WriteLane()
    assert lane.admit()
    lane.serving()
    assert lane.admit()  # the write being served began just now
    lane.serving()
    lane.started = time.monotonic() - 10 * serve_lanes.WRITE_LANE_PATIENCE_S
    assert not lane.admit()
    lane.served()
    assert lane.admit()


def test_writes_run_in_the_lane_and_reads_on_the_ordinary_threads(served) -> None:
    server = served(thread_app)
    status, name = server.request("POST", "/xapi/default/statements", b"[]")
    assert (status, name) == (200, b"waitress-writes-0")
    status, name = server.request("GET", "/xapi/default/statements")
    assert status == 200 and name.startswith(b"waitress-") and b"writes" not in name


def test_a_write_behind_a_slow_one_goes_to_the_ordinary_threads(served) -> None:
    server = served(thread_app)
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(server.request, "POST", "/xapi/default/statements", SLOW_MARK)
        time.sleep(0.1)  # the slow write holds the lane's thread
        started = time.monotonic()
        status, name = server.request("POST", "/xapi/default/statements", b"[]")
        waited = time.monotonic() - started
        assert slow.result(timeout=10) == (200, b"waitress-writes-0")
    assert status == 200 and b"writes" not in name, name
    assert waited < 0.3, f"the write waited {waited:.2f} s behind the slow one"


def test_a_write_cancelled_in_the_queue_leaves_it() -> None:
    lane = _WriteLane()
    cancelled: list[bool] = []
    assert all(lane.admit() for _ in range(WRITE_LANE_MAX_QUEUED))
    queued = _Write(SimpleNamespace(cancel=lambda: cancelled.append(True)), lane)
    queued.cancel()  # (a server shutting down cancels what is still queued)
    assert cancelled == [True]
    assert lane.admit()  # its place in the queue is free again
