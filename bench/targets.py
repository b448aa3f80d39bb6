"""The LRSs the bench loads: `weare-harness serve` and Ralph, each started on loopback.

Both are context managers that give an `Endpoint` (where the statements resource is and
the Authorization header that opens it) and stop their server on exit.
"""

from __future__ import annotations

import base64
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# RalphError is lrs_bench's to catch: Ralph did not start, the bench measures weare-harness alone.
from tests.ralph_process import RALPH, RalphError, ralph_lrs  # noqa: E402, F401
from tests.serve_process import ServeProcess  # noqa: E402

RALPH_PYTHON = RALPH.with_name("python")
API_KEY = "bench:s3cret-bench"  # USER:SECRET of every `serve` the benches start


@dataclass(frozen=True)
class Endpoint:
    """The statements resource of one LRS, as the load clients reach it."""

    name: str
    host: str
    port: int
    statements_path: str  # e.g. /xapi/default/statements
    authorization: str  # the Authorization header's value

    def headers(self, *, body: bool) -> dict[str, str]:
        headers = {"Authorization": self.authorization, "X-Experience-API-Version": "1.0.3"}
        if body:
            headers["Content-Type"] = "application/json"
        return headers


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def serve_endpoint(server: ServeProcess, name: str = "weare-harness") -> Endpoint:
    """The default mount's statements resource of a started `serve`, opened by its API key."""
    host, _, port = server.base_url.removeprefix("http://").partition(":")
    user, _, secret = server.api_key.partition(":")
    return Endpoint(name, host, int(port), "/xapi/default/statements", basic(user, secret))


class WeareTarget:
    """`weare-harness serve` (waitress, full validation, SQLite WAL, journal on) on a fresh
    temporary store file."""

    name = "weare-harness"

    def __init__(self, *extra: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-weare-")
        self.db = Path(self._tmp.name) / "bench.db"
        self.server = ServeProcess(self.db, *extra, api_key=API_KEY)

    def __enter__(self) -> Endpoint:
        self.server.start()
        return serve_endpoint(self.server, self.name)

    def __exit__(self, *exc: object) -> None:
        try:
            self.server.terminate()
        except Exception:
            self.server.__exit__()
        self._tmp.cleanup()


def ralph_installed() -> str | None:
    """None when Ralph can run here, else why not."""
    if not RALPH.exists() or not RALPH_PYTHON.exists():
        return f"Ralph is not installed ({RALPH} is missing; `make setup` installs it)"
    return None


class RalphTarget:
    """Ralph 5.1.0's LRS (FastAPI on uvicorn, its file backend), started as the tests start it
    (tests/ralph_process.py), with the file backend appending (Ralph's own runserver refuses a
    second write). A failure to start raises RalphError: the bench reports weare-harness alone."""

    name = "Ralph"
    user, secret = "bench", "s3cret-bench"

    def __init__(self) -> None:
        self._stack = ExitStack()

    def __enter__(self) -> Endpoint:
        try:
            root = Path(
                self._stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ralph-"))
            )
            url = self._stack.enter_context(ralph_lrs(root, self.user, self.secret, append=True))
        except BaseException:
            self._stack.close()
            raise
        port = int(url.removeprefix("http://127.0.0.1:").partition("/")[0])
        return Endpoint(
            self.name, "127.0.0.1", port, "/xAPI/statements", basic(self.user, self.secret)
        )

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
