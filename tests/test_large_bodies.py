"""Large request bodies cannot hold every worker thread of `serve`.

A batch of thousands of statements takes seconds to validate and store. waitress ran it on
one of its `--threads` like any request, so as many maximum-size batches as threads left a
one-statement POST waiting for them all (6-8 s with 4 × 16 MB). Bodies of 1 MiB or more now
run in their own lane, one per credential at a time: a cheap request waits for at most one
large body of a credential (for its write to the store), never for a queue of them.
The latency this buys is measured by `bench/large_bodies_bench.py`, not here.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest

from harness.serve_server import ServerLimits
from tests.factories import statement
from tests.raw_http import connect, post_statements, read_answer, status, wait_until_read
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow

THREADS = 2
LARGE_BODIES = THREADS + 2  # enough to fill every thread and queue behind them


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServeProcess]:
    db = tmp_path_factory.mktemp("large-bodies") / "lms.db"
    with ServeProcess(db, "--threads", str(THREADS)) as running:
        yield running


def large_batch() -> list[dict]:
    """Just over the large-body size, in statements that take a while to judge."""
    batch, size = [], 0
    while size < ServerLimits().large_body_bytes * 1.2:
        batch.append(statement(result={"response": "r" * 400}))
        size += len(json.dumps(batch[-1])) + 2
    return batch


class Posted:
    """A POST sent whole on its own connection; the answer is read in a thread, timed."""

    def __init__(self, server: ServeProcess, body: bytes) -> None:
        self.sock = connect(server)
        self.sock.settimeout(300)
        self.sock.sendall(post_statements(server, body))
        self.answer = b""
        self.answered_at = 0.0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        self.answer = read_answer(self.sock)
        self.answered_at = time.monotonic()
        self.sock.close()

    def wait(self) -> bytes:
        self.thread.join(timeout=300)
        return self.answer


def test_a_small_post_waits_for_at_most_one_large_body_of_its_credential(server):
    batches = [large_batch() for _ in range(LARGE_BODIES)]
    large = [Posted(server, json.dumps(b).encode()) for b in batches]
    wait_until_read(server)  # every large body is in the server: running or queued
    sent_at = time.monotonic()
    small = Posted(server, json.dumps(statement()).encode())
    assert status(small.wait()) == 200
    assert all(status(p.wait()) == 200 for p in large)
    ahead = [p for p in large if sent_at < p.answered_at < small.answered_at]
    assert len(ahead) <= 1, (
        f"the one-statement POST was answered after {len(ahead)} large bodies sent before it"
    )
    client = server.client()
    last = batches[-1][-1]["id"]
    assert client.get(server.endpoint + "statements", params={"statementId": last}).ok


def test_the_interpreter_is_shared_while_large_bodies_run_and_restored_after():
    """While any large body is in flight: threads switch every 0.5 ms and the cyclic collector
    waits; when the last one ends, both are as they were (bench/large_bodies_bench.py measures
    what this buys: a one-statement POST's p99 beside 4 × 16 MiB batches)."""
    import gc
    import sys

    from harness.serve_lanes import LARGE_BODY_SWITCH_INTERVAL_S, large_body_in_flight

    before = sys.getswitchinterval()
    assert gc.isenabled() and before > LARGE_BODY_SWITCH_INTERVAL_S
    with large_body_in_flight():
        with large_body_in_flight():  # a second credential's large body
            assert sys.getswitchinterval() == pytest.approx(LARGE_BODY_SWITCH_INTERVAL_S)
            assert not gc.isenabled()
        assert not gc.isenabled(), "one large body is still in flight"
    assert gc.isenabled() and sys.getswitchinterval() == pytest.approx(before)
    gc.disable()  # a process that had turned the collector off keeps it off
    try:
        with large_body_in_flight():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
