"""`serve`'s companion servers: the reference story and the course content, each an origin of
its own on a port next to the LMS's, served by waitress in a thread of the same process."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Self, TypeVar

from harness.errors import UsageError
from harness.listening import MAX_PORT
from harness.serve_server import ServerLimits, make_server


class BackgroundServer:
    """A WSGI app on waitress in a daemon thread until `close()` (OSError if it cannot listen)."""

    def __init__(
        self,
        app: Any,
        host: str,
        port: int,
        limits: ServerLimits | None = None,
        public_host: str | None = None,
    ) -> None:
        """Listen on host:port; its URL names `public_host` (default `host`), which other
        machines can open (`host` may be 0.0.0.0)."""
        self.server = make_server(app, host, port, limits or ServerLimits())
        self.base_url = f"http://{public_host or host}:{self.server.effective_port}"
        self._thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.close()


S = TypeVar("S", bound=BackgroundServer)


def companion_port(given: int | None, lms_port: int, offset: int, flag: str, off: str) -> int:
    """A companion's port: `given` (its flag), else the LMS port + `offset` (a free one when the
    LMS port is 0); a port out of 0..65535 is a usage error naming where it came from and how
    to avoid it (`off`: the flag that turns the companion off, or "")."""
    if given is not None:
        port, named = given, f"{flag} {given}"
    else:
        port = lms_port + offset if lms_port else 0
        named = f"{flag} (default --port + {offset} = {port})"
    if not 0 <= port <= MAX_PORT:
        instead = f"give {flag} PORT" + (f" or {off}" if off else "")
        raise UsageError(f"{named} is not a port in 0..{MAX_PORT}; {instead}")
    return port


def start_companion(
    make: Callable[[], S], what: str, where: str, flag: str, off: str, started: list[Any]
) -> S:
    """`make()` a companion server; when it cannot listen on `where` (host:port), close the
    servers already `started` and raise a usage error naming `flag`."""
    try:
        return make()
    except OSError as exc:
        for server in reversed(started):
            server.close()
        instead = f"pick another {flag}" + (f" or use {off}" if off else "")
        raise UsageError(
            f"cannot listen on {where} for {what} ({flag}): {exc.strerror or exc}; {instead}"
        ) from exc
