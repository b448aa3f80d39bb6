"""The console of run and certify: plain whole lines when piped, colour and a bar on a terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time

import pytest

from fake_lms import LMSConfig, MountSpec
from fake_lms.live import FakeLMS
from harness.console import plural

pytestmark = pytest.mark.slow

SELECTION = "precedence-endpoint"  # 8 scenarios, about 0.5 s over http
SGR = re.compile(r"\x1b\[[0-9;]*m")  # a colour or style code
BAR = "━"  # what rich draws the progress bar with
LINE = re.compile(r"^\[[ \d]\d?/\d+\] (PASS|FAIL|ERROR|SKIP) [a-z0-9-]+ \(\d+\.\d\d s\)(: .+)?$")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return {**env, "COLUMNS": "120", "TERM": "xterm-256color", **extra}


def on_a_terminal(args: list[str], env: dict[str, str], timeout: float = 60) -> str:
    """The command's output as a terminal sees it (a pseudo-terminal), escapes included."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdout is the pty
        os.execvpe(sys.executable, [sys.executable, "-m", "harness", *args], env)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(fd)
        os.waitpid(pid, 0)
    return out.decode("utf-8", "replace")


def piped(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env or _env(),
    )


def test_plural_for_one_and_two():
    assert plural(1, "scenario") == "1 scenario"
    assert plural(2, "scenario") == "2 scenarios"
    assert plural(0, "error") == "0 errors"
    assert plural(1, "mutant caught", "mutants caught") == "1 mutant caught"
    assert plural(3, "mutant caught", "mutants caught") == "3 mutants caught"


def test_piped_run_is_plain_whole_lines_without_a_bar(tmp_path):
    """Two workers finish scenarios at once; each still gets its own whole line, no escapes, and
    a failed one says why (its first failed check)."""
    args = ["run", "-k", SELECTION, "--workers", "2", "--au", "mutant:ignores-endpoint"]
    r = piped([*args, "--report-dir", str(tmp_path)])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "\x1b" not in r.stdout and BAR not in r.stdout and "\r" not in r.stdout
    lines = r.stdout.splitlines()
    progress = [line for line in lines if line.startswith("[")]
    assert len(progress) == 8 and all(LINE.match(line) for line in progress), lines
    assert sorted(int(line[1:].split("/")[0]) for line in progress) == list(range(1, 9))
    failed = [line for line in progress if " FAIL " in line]
    assert failed and all(re.search(r" s\): \S", line) for line in failed), failed
    assert f"{len(failed)} scenarios did not pass:" in lines
    assert lines[-2].startswith(
        f"FAILED: 8 scenarios, {8 - len(failed)} passed, {len(failed)} failed"
    )
    assert lines[-1].startswith(f"reports written to {tmp_path}: junit.xml, results.json")


def test_run_on_a_terminal_has_colour_and_a_progress_bar(tmp_path):
    args = ["run", "-k", SELECTION, "--workers", "2", "--report-dir", str(tmp_path)]
    out = on_a_terminal(args, _env())
    assert SGR.search(out), out[-500:]
    assert BAR in out and "8/8" in out and "ETA" in out
    assert "PASSED" in out


def test_no_color_on_a_terminal_drops_every_colour_code(tmp_path):
    args = ["run", "-k", SELECTION, "--workers", "2", "--report-dir", str(tmp_path)]
    out = on_a_terminal(args, _env(NO_COLOR="1"))
    assert not SGR.search(out), SGR.findall(out)[:5]
    assert "PASS" in out and "8 scenarios" in out


def test_certify_shows_a_progress_bar_on_a_terminal(tmp_path):
    config = LMSConfig(db_path=str(tmp_path / "lms.db"), mounts=[MountSpec("default")])
    with FakeLMS(config) as lms:
        launches = []
        for _ in range(2):
            r = lms.admin("POST", "launches", json={"au_url": "http://127.0.0.1:9/story"})
            launches += ["--launch-url", r.json()["launch_url"]]
        out = on_a_terminal(
            ["certify", *launches, "--report-dir", str(tmp_path / "rep")], _env(), timeout=90
        )
    assert BAR in out and "certify" in out and "ETA" in out, out[-800:]
    assert "verdict:" in out


def test_mutation_on_a_terminal_counts_mutants_times_scenarios(tmp_path):
    from harness.story.behaviour import mutants

    pairs = len(mutants())  # one scenario per mutant
    args = ["run", "--mutation", "-k", "precedence-endpoint-url-fetch-key", "--workers", "2"]
    args += ["--report-dir", str(tmp_path)]
    out = on_a_terminal(args, _env())
    assert BAR in out and f"{pairs}/{pairs}" in out, out[-800:]
    assert "1 scenario per mutant" in out and "(1 scenario failed)" in out
    assert "(0 scenarios failed)" in out or "SURVIVED" not in out
