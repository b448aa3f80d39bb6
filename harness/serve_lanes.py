"""Worker threads for `serve` in two lanes, so that large request bodies cannot hold them all.

A request whose body is `large_body_bytes` or more (a batch of thousands of statements: seconds
of validation) runs in its own lane of `large_body_threads`, one at a time per credential (the
Authorization header) in the order they arrived; every other request runs on the `threads`
worker threads, which large bodies never hold (a large batch is stored in short transactions,
`staged_batch`, so writes are not queued behind it either), and the interpreter shares its
time with them while a large body is in flight (`large_body_in_flight`). waitress hands over a
connection (a "task") once a request on it has arrived complete; its body size is known then.

A third lane, of one thread, serves the small statement writes (POST or PUT to a statements
resource), one after the other. Several threads writing statements at once served fewer of them
than one: each SQLite call inside the store's write transaction lets the GIL go, another thread
takes it for its own Python, and the holder of the write lock waits to get it back while every
other writer waits for the lock (`bench/request_cost.py --load singles`, 4 clients, interleaved
runs: the lock held 1.11 ms per write for 0.41 ms of its holder's CPU, 416-417 POSTs/s, before
the lane; 0.24 ms for 0.21 ms, 529-555 POSTs/s, with it). A statement write that would wait
behind a slow one (a write running for more than `WRITE_LANE_PATIENCE_S`: a quirk's delay, a
busy store) or behind `WRITE_LANE_MAX_QUEUED` others goes to the ordinary threads instead, so
the lane never holds a write back for long.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from waitress.task import ThreadedTaskDispatcher


class LaneDispatcher(ThreadedTaskDispatcher):
    """waitress's dispatcher for ordinary requests, with a second one for large bodies."""

    def __init__(self, large_body_bytes: int, large_body_threads: int) -> None:
        super().__init__()
        self.large_body_bytes = large_body_bytes
        self.large_body_threads = large_body_threads
        self.large = _LargeLane()
        self.writes = _WriteLane()
        self.lane_lock = threading.Lock()
        self.waiting: dict[str, deque[Any]] = {}  # per credential running a large body: the next

    def set_thread_count(self, count: int) -> None:
        super().set_thread_count(count)
        self.large.set_thread_count(self.large_body_threads if count else 0)
        self.writes.set_thread_count(1 if count else 0)

    def add_task(self, task: Any) -> None:
        credential = self.large_body_credential(task)
        if credential is None:
            if is_statement_write(task, self.large_body_bytes) and self.writes.admit():
                self.writes.add_task(_Write(task, self.writes))  # type: ignore[arg-type]
                return
            super().add_task(task)
            return
        with self.lane_lock:
            if credential in self.waiting:  # this credential's large body is running
                self.waiting[credential].append(task)
                return
            self.waiting[credential] = deque()
        # waitress queues any object with service() and cancel() (its channels, at first);
        # its stubs name only Task
        self.large.add_task(_LargeBody(task, credential, self))  # type: ignore[arg-type]

    def large_body_credential(self, task: Any) -> str | None:
        """The credential whose large body `task` (a channel) is to serve next, or None."""
        requests = getattr(task, "requests", None)
        if not requests or requests[0].body_bytes_received < self.large_body_bytes:
            return None
        authorization = requests[0].headers.get("AUTHORIZATION", "")
        return hashlib.sha256(authorization.encode("latin-1", "replace")).hexdigest()

    def finished(self, credential: str) -> None:
        """A large body of `credential` was served: start its next one, if any."""
        with self.lane_lock:
            queue = self.waiting.get(credential)
            if not queue:
                self.waiting.pop(credential, None)
                return
            task = queue.popleft()
        # waitress queues any object with service() and cancel() (its channels, at first);
        # its stubs name only Task
        self.large.add_task(_LargeBody(task, credential, self))  # type: ignore[arg-type]

    def shutdown(self, cancel_pending: bool = True, timeout: int = 5) -> bool:
        with self.lane_lock:
            waiting = [task for queue in self.waiting.values() for task in queue]
            self.waiting.clear()
        done = super().shutdown(cancel_pending, timeout)
        done = self.large.shutdown(cancel_pending, timeout) and done
        done = self.writes.shutdown(cancel_pending, timeout) and done
        if cancel_pending:
            for task in waiting:
                task.cancel()
        return done


# While a large body is served, the interpreter hands the GIL over every 0.5 ms, not every 5.
LARGE_BODY_SWITCH_INTERVAL_S = 0.0005
_SWITCH_INTERVAL_S = sys.getswitchinterval()
_in_flight_lock = threading.Lock()
_in_flight = 0
_collector_was_enabled = True


@contextmanager
def large_body_in_flight() -> Iterator[None]:
    """Run a large body with the interpreter set for the small requests beside it.

    A small request gives up the GIL at each SQLite call and socket operation and must win it
    back each time from the thread validating a large body, which keeps it for the whole
    switch interval (5 ms): dozens of such waits made a one-statement POST take 250 ms. The
    interval is 0.5 ms while a large body is in flight (measured: p99 262 → 52 ms, the large
    bodies themselves no slower; bench/large_bodies_bench.py). The cyclic garbage collector
    waits too: a full collection over a 10,000-statement batch's objects held the GIL for up
    to 140 ms at once; reference counting still frees everything acyclic meanwhile, and the
    collector runs again once no large body is in flight.
    """
    global _in_flight, _collector_was_enabled
    with _in_flight_lock:
        _in_flight += 1
        if _in_flight == 1:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
            sys.setswitchinterval(LARGE_BODY_SWITCH_INTERVAL_S)
    try:
        yield
    finally:
        with _in_flight_lock:
            _in_flight -= 1
            if _in_flight == 0:
                if _collector_was_enabled:
                    gc.enable()
                sys.setswitchinterval(_SWITCH_INTERVAL_S)


class _LargeLane(ThreadedTaskDispatcher):
    """The large-body lane: its threads are named apart from the others, for logs."""

    def start_new_thread(self, target: Any, thread_no: int) -> None:
        name = f"waitress-large-{thread_no}"
        threading.Thread(target=target, name=name, args=(thread_no,), daemon=True).start()


class _LargeBody:
    """A channel's large-body request in the large lane; tells the lanes when it is served."""

    def __init__(self, channel: Any, credential: str, lanes: LaneDispatcher) -> None:
        self.channel = channel
        self.credential = credential
        self.lanes = lanes

    def service(self) -> None:
        try:
            with large_body_in_flight():
                self.channel.service()
        finally:
            self.lanes.finished(self.credential)

    def cancel(self) -> None:
        self.channel.cancel()


# A statement write waits in the write lane only behind a write that started less than this ago,
# and behind fewer than WRITE_LANE_MAX_QUEUED others; else the ordinary threads serve it.
WRITE_LANE_PATIENCE_S = 0.01
WRITE_LANE_MAX_QUEUED = 3
_STATEMENTS_PATH = re.compile(r"^/xapi/[^/]+/+statements/?$")


def is_statement_write(task: Any, large_body_bytes: int) -> bool:
    """Whether `task` (a channel) is to serve a statement POST or PUT of a small body next."""
    requests = getattr(task, "requests", None)
    if not requests:
        return False
    request = requests[0]
    return (
        request.command in ("POST", "PUT")
        and bool(_STATEMENTS_PATH.match(request.path))
        and request.body_bytes_received < large_body_bytes
    )


class _WriteLane(ThreadedTaskDispatcher):
    """The statement-write lane: one thread, writes served in arrival order."""

    # Its queue is meant to be deep: waitress's "Task queue depth" warning would fire for
    # every write that finds the thread busy (harness/queue_log.py explains the others).
    queue_logger = logging.getLogger("weare_harness.write_lane")
    queue_logger.addHandler(logging.NullHandler())
    queue_logger.propagate = False

    def __init__(self) -> None:
        super().__init__()
        self.state_lock = threading.Lock()
        self.queued = 0
        self.started: float | None = None  # when the write being served began

    def admit(self) -> bool:
        """Take a place in the queue for a new write if it would wait here only briefly; False
        (and no place taken): the ordinary threads are to serve it."""
        with self.state_lock:
            if self.queued >= WRITE_LANE_MAX_QUEUED:
                return False
            started = self.started
            if started is not None and time.monotonic() - started > WRITE_LANE_PATIENCE_S:
                return False
            self.queued += 1
            return True

    def serving(self) -> None:
        with self.state_lock:
            self.queued -= 1
            self.started = time.monotonic()

    def served(self) -> None:
        with self.state_lock:
            self.started = None

    def start_new_thread(self, target: Any, thread_no: int) -> None:
        name = f"waitress-writes-{thread_no}"
        threading.Thread(target=target, name=name, args=(thread_no,), daemon=True).start()


class _Write:
    """A channel's statement write in the write lane."""

    def __init__(self, channel: Any, lane: _WriteLane) -> None:
        self.channel = channel
        self.lane = lane

    def service(self) -> None:
        self.lane.serving()
        try:
            self.channel.service()
        finally:
            self.lane.served()

    def cancel(self) -> None:
        with self.lane.state_lock:
            self.lane.queued -= 1
        self.channel.cancel()
