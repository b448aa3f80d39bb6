"""waitress's "Task queue depth is N" warnings, said as one explained line at most once a minute.

waitress logs that line for every request that finds no idle worker thread; under a burst it is
a stream of bare numbers a user takes for an error. Requests in the queue are answered in turn,
so it is a note about capacity (--threads), not a failure."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

from harness.words import plural

WAITRESS_QUEUE_LOGGER = "waitress.queue"
INTERVAL_S = 60.0


def queue_depth(record: logging.LogRecord) -> int | None:
    """The depth a queue-depth record reports, read from its arguments (waitress logs
    `"Task queue depth is %d", depth` on its queue logger), not from its text; None for any
    other record."""
    args = record.args
    if isinstance(args, tuple) and len(args) == 1 and type(args[0]) is int:
        return args[0]
    return None


class QueueDepthNote(logging.Filter):
    """Rewrites the first queue-depth record of each interval into one explained line and drops
    the rest of that interval; other records pass unchanged."""

    def __init__(
        self,
        threads: int,
        interval: float = INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.threads = threads
        self.interval = interval
        self.clock = clock
        self._last: float | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        depth = queue_depth(record)
        if depth is None:
            return True
        now = self.clock()
        if self._last is not None and now - self._last < self.interval:
            return False
        self._last = now
        record.msg = (
            f"{plural(depth, 'request')} waiting for one of the "
            f"{plural(self.threads, 'worker thread')}; "
            "they are answered in turn (busy, not broken). Raise --threads if this persists "
            f"(said at most once every {self.interval:g} s)"
        )
        record.args = ()
        return True


def explain_queue_depth(threads: int, interval: float = INTERVAL_S) -> logging.Logger:
    """Make waitress's queue logger print explained notes on stderr instead of bare numbers."""
    logger = logging.getLogger(WAITRESS_QUEUE_LOGGER)
    for old in [f for f in logger.filters if isinstance(f, QueueDepthNote)]:
        logger.removeFilter(old)
    logger.addFilter(QueueDepthNote(threads, interval))
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False
    return logger
