"""Worker threads for `serve` in two lanes, so that large request bodies cannot hold them all.

A request whose body is `large_body_bytes` or more (a batch of thousands of statements: seconds
of validation) runs in its own lane of `large_body_threads`, one at a time per credential (the
Authorization header) in the order they arrived; every other request runs on the `threads`
worker threads, which large bodies never hold (a large batch is stored in short transactions,
`staged_batch`, so writes are not queued behind it either), and the interpreter shares its
time with them while a large body is in flight (`large_body_in_flight`). waitress hands over a
connection (a "task") once a request on it has arrived complete; its body size is known then.
"""

from __future__ import annotations

import gc
import hashlib
import sys
import threading
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
        self.lane_lock = threading.Lock()
        self.waiting: dict[str, deque[Any]] = {}  # per credential running a large body: the next

    def set_thread_count(self, count: int) -> None:
        super().set_thread_count(count)
        self.large.set_thread_count(self.large_body_threads if count else 0)

    def add_task(self, task: Any) -> None:
        credential = self.large_body_credential(task)
        if credential is None:
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
