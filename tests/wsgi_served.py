"""A WSGI app on `serve`'s server (`harness.serve_server.make_server`) in a thread of the test
process, on 127.0.0.1: the `served` fixture makes them and closes them after the test."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterable, Iterator

import pytest

from harness.serve_server import ServerLimits, make_server

App = Callable[..., Iterable[bytes]]


class Served:
    """A WSGI app on `make_server` in a thread."""

    def __init__(self, app: App) -> None:
        self.server = make_server(app, "127.0.0.1", 0, ServerLimits())
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def request(self, method: str = "GET", path: str = "/", body: bytes = b"") -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body or None)
            answer = conn.getresponse()
            return answer.status, answer.read()
        finally:
            conn.close()

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def served() -> Iterator[Callable[[App], Served]]:
    made: list[Served] = []

    def make(app: App) -> Served:
        made.append(Served(app))
        return made[-1]

    yield make
    for server in made:
        server.close()
