"""The LRSs the bench loads: `weare-harness serve` and Ralph, each started on loopback.

Both are context managers that give an `Endpoint` (where the statements resource is and
the Authorization header that opens it) and stop their server on exit.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.serve_process import ServeProcess  # noqa: E402

RALPH = ROOT / ".harness" / "ralph-venv" / "bin" / "ralph"
RALPH_PYTHON = RALPH.with_name("python")
LAUNCHER = Path(__file__).with_name("ralph_launcher.py")
START_TIMEOUT_S = 60


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


class WeareTarget:
    """`weare-harness serve` (waitress, full validation, SQLite WAL, journal on) on a fresh
    temporary store file."""

    name = "weare-harness"

    def __init__(self, *extra: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-weare-")
        self.db = Path(self._tmp.name) / "bench.db"
        self.server = ServeProcess(self.db, *extra, api_key="bench:s3cret-bench")

    def __enter__(self) -> Endpoint:
        self.server.start()
        host_port = self.server.base_url.removeprefix("http://")
        host, _, port = host_port.partition(":")
        return Endpoint(
            self.name, host, int(port), "/xapi/default/statements", basic("bench", "s3cret-bench")
        )

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RalphError(RuntimeError):
    """Ralph could not be set up or started: the bench reports weare-harness alone."""


class RalphTarget:
    """Ralph 5.1.0's LRS (FastAPI on uvicorn, its file backend) started by bench/ralph_launcher.py,
    which makes the file backend append (Ralph's own runserver refuses a second write)."""

    name = "Ralph"
    user, secret = "bench", "s3cret-bench"

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-ralph-")
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Endpoint:
        try:
            return self._start()
        except BaseException:
            self.__exit__()
            raise

    def _start(self) -> Endpoint:
        root = Path(self._tmp.name)
        (root / "app").mkdir()
        (root / "data").mkdir()
        env = {
            **os.environ,
            "RALPH_APP_DIR": str(root / "app"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(root / "data"),
        }
        made = subprocess.run(
            [
                str(RALPH),
                "auth",
                "-u",
                self.user,
                "-p",
                self.secret,
                "-s",
                "all",
                "-w",
                "-M",
                "mailto:bench@example.com",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            check=False,
        )
        if made.returncode != 0:
            last = (made.stderr.strip().splitlines() or ["no output"])[-1]
            raise RalphError(f"`ralph auth` exited {made.returncode}: {last}")
        port = _free_port()
        log = root / "ralph.log"
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(RALPH_PYTHON), str(LAUNCHER), "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = log.read_text(errors="replace")
                last = (err.strip().splitlines() or ["no output"])[-1]
                raise RalphError(f"Ralph exited while starting ({self.proc.returncode}): {last}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RalphError(f"Ralph did not listen within {START_TIMEOUT_S} s")
        return Endpoint(
            self.name, "127.0.0.1", port, "/xAPI/statements", basic(self.user, self.secret)
        )

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._tmp.cleanup()
