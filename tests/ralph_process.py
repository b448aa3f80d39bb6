"""Ralph (a third-party LRS, installed by `make setup` into .harness/ralph-venv) on loopback:
the one way the tests and the bench (bench/targets.py) start it.

Its fs backend keeps only the first statement written to a fresh store ("create" mode) and
answers 500 to later writes; `append=True` runs its app with the backend appending, so a load's
every statement is kept. Both run through bench/ralph_launcher.py (the one place that sets the
mode, in Ralph's process; Ralph itself is not changed).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.loopback import free_port

RALPH = Path(__file__).resolve().parent.parent / ".harness" / "ralph-venv" / "bin" / "ralph"
ABSENT = "Ralph is not installed (make setup installs it into .harness/ralph-venv)"
LAUNCHER = Path(__file__).resolve().parent.parent / "bench" / "ralph_launcher.py"
START_TIMEOUT_S = 60


class RalphError(RuntimeError):
    """Ralph could not be set up or started; the message ends with the last line it wrote."""


def _last_line(text: str) -> str:
    return (text.strip().splitlines() or ["no output"])[-1]


@contextmanager
def ralph_lrs(workdir: Path, user: str, secret: str, *, append: bool = False) -> Iterator[str]:
    """Ralph's xAPI endpoint (fs backend in `workdir`), opened by USER:SECRET, until exit."""
    env = {
        **os.environ,
        "RALPH_APP_DIR": str(workdir / "app"),
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(workdir / "data"),
    }
    (workdir / "app").mkdir()
    (workdir / "data").mkdir()
    made = subprocess.run(
        [str(RALPH), "auth", "-u", user, "-p", secret, "-s", "all",
         "-M", f"mailto:{user}@example.com", "-w"],
        env=env, capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        raise RalphError(f"`ralph auth` exited {made.returncode}: {_last_line(made.stderr)}")
    port = free_port()
    log = workdir / "ralph.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(RALPH.with_name("python")), str(LAUNCHER), "--port", str(port),
             "--operation", "append" if append else "create"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None:
                    last = _last_line(log.read_text(errors="replace"))
                    raise RalphError(
                        f"Ralph exited while starting ({proc.returncode}): {last}"
                    ) from None
                if time.monotonic() > deadline:
                    raise RalphError(f"Ralph did not listen within {START_TIMEOUT_S} s") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/xAPI/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
