"""Tiny real HTTP servers on 127.0.0.1 for tests: an answer function decides each reply.

`answering(func)` serves until the block ends; `func(method, path, body)` returns (status,
headers, body) (with `headers=True`, `func(method, path, body, request_headers)`). `serving(handler)` does the same for any http.server handler. `dead_port()` is
a port nothing listens on, `free_port()` one to start a server on, `free_port_pair()` a port P
with P and P+1 free (`free_ports(count)`: P to P+count-1); `black_hole()` accepts connections and never answers.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

Reply = tuple[int, dict[str, str], bytes]
AnswerFunc = Callable[..., Reply]


@contextmanager
def answering(func: AnswerFunc, *, headers: bool = False) -> Iterator[str]:
    """A server whose every request is answered by func; yields its base URL. With `headers`,
    func is also given the request's headers (a dict)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            extra = (dict(self.headers),) if headers else ()
            status, reply_headers, payload = func(self.command, self.path, body, *extra)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
                self.send_response(status)
                for name, value in reply_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = _any

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as base:
        yield base


@contextmanager
def serving(handler: Callable[..., BaseHTTPRequestHandler]) -> Iterator[str]:
    """Any http.server handler on a free 127.0.0.1 port, in a thread; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def html_page(method: str, path: str, body: bytes) -> Reply:
    """A web server (say, a login page) where an API should be: 200 HTML to everything."""
    page = b"<!doctype html><html><head><title>Sign in</title></head><body>Sign in</body></html>"
    return 200, {"Content-Type": "text/html; charset=utf-8"}, page


def server_error(method: str, path: str, body: bytes) -> Reply:
    """A broken application server: 500 with a JSON error to everything."""
    return 500, {"Content-Type": "application/json"}, b'{"error": "internal server error"}'


def dead_port() -> int:
    """A loopback port nothing listens on (see `free_port`)."""
    return free_port()


def _ephemeral_ports() -> range:
    """The ports the kernel hands out for port 0 and for outgoing connections."""
    try:
        low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    return range(low, high + 1)


def free_ports(count: int) -> int:
    """A port P with P ... P+count-1 free on loopback (bounded tries), outside the ephemeral range.

    A port the kernel once gave for port 0 is handed out again to any other server asking for
    port 0, or to a client connection, before the test binds it: under parallel tests one did
    ("Address already in use"). Outside that range only a port someone asks for by number can
    be taken in between."""
    ephemeral = _ephemeral_ports()
    last = 65535 - count
    candidates = [
        p for p in range(10000, last) if p not in ephemeral and p + count - 1 not in ephemeral
    ]
    for port in random.sample(candidates, 20):
        try:
            with contextlib.ExitStack() as stack:
                for n in range(count):
                    stack.enter_context(socket.socket()).bind(("127.0.0.1", port + n))
        except OSError:
            continue
        return port
    raise AssertionError(f"no {count} consecutive free loopback ports in 20 tries")


def free_port() -> int:
    """A loopback port nothing listens on now, for a server the test starts on it."""
    return free_ports(1)


def free_port_pair() -> int:
    """A port P with P and P+1 free (a server per pytest-xdist worker, say)."""
    return free_ports(2)


@contextmanager
def black_hole() -> Iterator[int]:
    """A port that accepts connections and never answers; yields the port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()
