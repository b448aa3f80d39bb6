"""The waitress server behind `weare-harness serve`, with limits idle and slow clients cannot beat.

waitress reads request heads and bodies in its event loop, so an idle or slow client costs a
socket, not a worker thread; what takes the server down is its default limit of 100 open
connections (after which nothing new is accepted) and the lack of any deadline for a request
that arrives a byte at a time. Here the limit is high (with `poll()`, which has no 1024-socket
ceiling, and enough file descriptors), and a request whose head or body does not arrive in time
is answered 408 and closed.

A client that sends a whole request and then shuts down its sending side (`nc -N`, some proxies)
is answered too: waitress closes a connection at the end of its input even while a request it
received is waiting for a worker thread, so that request was dropped, or stored unanswered.
"""

from __future__ import annotations

import json
import resource
import time
from dataclasses import dataclass
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from harness.serve_lanes import LaneDispatcher

FD_HEADROOM = 64  # descriptors beyond the connection limit: store, logs, the listening socket


@dataclass(frozen=True)
class ServerLimits:
    """Every number that bounds what clients can hold; docs/limits.md lists them."""

    threads: int = 4  # worker threads running the app
    connection_limit: int = 2000  # open connections before waitress stops accepting
    channel_timeout: float = 30.0  # seconds an idle (keep-alive) connection stays open
    header_timeout: float = 10.0  # seconds from a request's first byte to the end of its head
    request_timeout: float = 60.0  # seconds from a request's first byte to the end of its body
    max_header_bytes: int = 65536  # request line + headers; beyond: 431
    cleanup_interval: float = 1.0  # seconds between checks of the timeouts above
    request_lookahead: int = 4  # requests read ahead; lets the app see a client disconnect
    large_body_bytes: int = 1024 * 1024  # a body this large runs in the large-body lane
    large_body_threads: int = 2  # that lane's threads; one large body per credential at a time

    def adjustments(self) -> dict[str, Any]:
        """The waitress settings these limits make."""
        return {
            "threads": self.threads,
            "connection_limit": self.connection_limit,
            "channel_timeout": self.channel_timeout,
            "cleanup_interval": self.cleanup_interval,
            "max_request_header_size": self.max_header_bytes,
            "channel_request_lookahead": self.request_lookahead,
            "asyncore_use_poll": True,
            "backlog": 2048,
        }


class SlowClientChannel(HTTPChannel):
    """A connection that remembers when the request it is receiving began to arrive, and that
    answers the requests it received before the client stopped sending."""

    request_started = 0.0
    input_ended = False  # the client shut down its sending side with requests still to answer
    in_write = False  # a worker thread is handing output over and sending it

    def handle_read(self) -> None:
        if self.socket is None:  # a channel is made with the socket it reads; closed since
            return
        try:
            data = self.socket.recv(self.adj.recv_bytes)
        except OSError:  # reset or gone: nobody is left to answer
            self.handle_close()
            return
        if data:
            self.last_activity = time.time()
            self.received(data)
        elif self.requests or self.total_outbufs_len:
            self.input_ended = True  # answer what arrived complete, then close
        else:
            self.handle_close()

    def readable(self) -> bool:
        return not self.input_ended and super().readable()

    def writable(self) -> bool:
        """Whether the event loop has output of this connection to send now.

        A worker thread sends its output itself, within `write_soon` (waitress's `send_bytes` is
        1). waitress's own answer is "yes" whenever output is pending, and a socket is nearly
        always ready to write, so while a worker was between handing output over and having sent
        it, the loop went round without sleeping, tens of rounds per request, each holding the
        GIL the worker needed to finish sending (bench/request_cost.py: waitress's main thread
        took 1.2 ms of CPU per request under cmi5 learners, more than a third of the server's).
        Here that output is the worker's until `write_soon` returns, unless the worker waits for
        the loop (past waitress's output high watermark)."""
        if self.answered_all() or self.will_close or self.close_when_flushed:
            return True
        if not self.total_outbufs_len:
            return False
        return not self.in_write or self.total_outbufs_len > self.adj.outbuf_high_watermark

    def write_soon(self, data: Any) -> int:
        """waitress's, with `in_write` held; what it could not send is the loop's afterwards."""
        self.in_write = True
        try:
            sent: int = super().write_soon(data)
            return sent
        finally:
            self.in_write = False
            if self.total_outbufs_len:
                self.server.pull_trigger()  # (the loop may have looked while in_write held)

    def handle_write(self) -> None:
        if self.answered_all():
            self.close_when_flushed = True
        super().handle_write()

    def answered_all(self) -> bool:
        """Whether the client stopped sending and every request it completed has been served."""
        return self.input_ended and not self.requests

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_started = time.monotonic()
        return super().received(data)

    def overdue(self, now: float, limits: ServerLimits) -> str | None:
        """Why this connection's request is too slow, or None."""
        request = self.request
        if request is None or self.requests or self.will_close or self.close_when_flushed:
            return None
        waited = now - self.request_started
        if not request.headers_finished and waited > limits.header_timeout:
            limit = f"the header timeout of {limits.header_timeout:g} s"
            return f"the request head did not arrive within {limit}"
        if waited > limits.request_timeout:
            limit = f"the request timeout of {limits.request_timeout:g} s"
            return f"the request did not arrive within {limit}"
        return None

    def refuse_slow(self, reason: str) -> None:
        """Answer 408 with the reason and close once it is sent (runs in the event loop)."""
        body = json.dumps({"status": 408, "error": reason, "section": "HTTP"}).encode()
        head = (
            "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        with self.outbuf_lock:
            self.outbufs[-1].append(head + body)
            self.current_outbuf_count += len(head) + len(body)
            self.total_outbufs_len += len(head) + len(body)
        self.request = None
        self.close_when_flushed = True


def _listeners(server: Any) -> list[BaseWSGIServer]:
    if isinstance(server, MultiSocketServer):
        if server.map is None:  # create_server gives every server its socket map
            return []
        # the map holds waitress's dispatchers (servers, channels); its stubs say sockets
        return [s for s in server.map.values() if isinstance(s, BaseWSGIServer)]  # type: ignore[misc]
    return [server]


def _add_deadlines(listener: BaseWSGIServer, limits: ServerLimits) -> None:
    idle_maintenance = listener.maintenance

    def maintenance(now: float) -> None:
        # waitress: close connections idle past channel_timeout. Its stubs type `now` (a
        # time.time()) as int and active_channels (a dict of channels) as one channel.
        idle_maintenance(now)  # type: ignore[arg-type]
        mono = time.monotonic()
        for channel in list(listener.active_channels.values()):  # type: ignore[attr-defined]
            if isinstance(channel, SlowClientChannel):
                reason = channel.overdue(mono, limits)
                if reason is not None:
                    channel.refuse_slow(reason)

    listener.channel_class = SlowClientChannel
    listener.maintenance = maintenance  # type: ignore[method-assign]


def raise_fd_limit(limits: ServerLimits) -> str | None:
    """Let this process hold `connection_limit` sockets; a warning if the hard limit forbids it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = limits.connection_limit + FD_HEADROOM
    if soft != resource.RLIM_INFINITY and soft < needed:
        new = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    if soft != resource.RLIM_INFINITY and soft < needed:
        return (
            f"only {soft} open files allowed (ulimit -n): fewer than --connection-limit "
            f"{limits.connection_limit} connections can be served"
        )
    return None


def make_server(app: Any, host: str, port: int, limits: ServerLimits) -> Any:
    """A waitress server for `app` on host:port with `limits` (OSError if it cannot listen)."""
    lanes = LaneDispatcher(limits.large_body_bytes, limits.large_body_threads)
    lanes.set_thread_count(limits.threads)
    try:
        server = create_server(
            app,
            host=host,
            port=port,
            ident="weare-harness",
            _dispatcher=lanes,  # waitress's hook for its own dispatcher
            **limits.adjustments(),
        )
    except BaseException:
        lanes.shutdown(timeout=1)
        raise
    for listener in _listeners(server):
        _add_deadlines(listener, limits)
    return server
