"""Worker threads for `serve` in two lanes, so that large request bodies cannot hold them all.

A request whose body is `large_body_bytes` or more (a batch of thousands of statements: seconds
of validation) runs in its own lane of `large_body_threads`, one at a time per credential (the
Authorization header) in the order they arrived; every other request runs on the `threads`
worker threads, which large bodies never hold (a write still waits for the store's write
transaction, which one large batch holds while it is stored). waitress hands over a connection
(a "task") once a request on it has arrived complete; its body size is known then.
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
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
        self.large.add_task(_LargeBody(task, credential, self))

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
        self.large.add_task(_LargeBody(task, credential, self))

    def shutdown(self, cancel_pending: bool = True, timeout: float = 5) -> bool:
        with self.lane_lock:
            waiting = [task for queue in self.waiting.values() for task in queue]
            self.waiting.clear()
        done = super().shutdown(cancel_pending, timeout)
        done = self.large.shutdown(cancel_pending, timeout) and done
        if cancel_pending:
            for task in waiting:
                task.cancel()
        return done


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
            self.channel.service()
        finally:
            self.lanes.finished(self.credential)

    def cancel(self) -> None:
        self.channel.cancel()
