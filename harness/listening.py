"""Where `serve` listens, and whether a server can listen on an address.

`serve --port PORT` listens on PORT (the fake LMS), PORT + STORY_OFFSET (the reference story)
and PORT + CONTENT_OFFSET (imported course content) unless told otherwise; `doctor` checks the
same three ports.
"""

from __future__ import annotations

import socket

MAX_PORT = 65535
STORY_OFFSET = 1
CONTENT_OFFSET = 2


def listen_problem(host: str, port: int) -> str | None:
    """Why a server could not listen on host:port now (the system's words), or None if it can."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None
