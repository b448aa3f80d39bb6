"""ADL's LRS conformance suite against a real `serve` subprocess, for the tests that guard it.

The suite (adlnet/lrs-conformance-test-suite; on no package registry) is looked for at
$WEARE_ADL_SUITE_DIR, else at ../shared/conformance/adl-lrs-suite beside the repository (or
beside the local repository it was cloned from, as a CI job's clean clone is); where it is absent the test skips and says where to put it. Its folder may be read-only: it is copied
to .harness/adl-suite/<digest of its files>/ and npm-installed there once (with
tests/adl/package-lock.json when the suite's dependencies are the ones it pins), under a lock
so that two pytest-xdist workers install it once between them.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import stat
import subprocess
from pathlib import Path

import pytest

from tests.adl_verdict import Verdict, verdict
from tests.serve_process import ServeProcess

SOURCE = "https://github.com/adlnet/lrs-conformance-test-suite"
COMMIT = "2ec25f2eb8ccfcb7cb63ec2679dbd965f9f6ffdc"
ENV = "WEARE_ADL_SUITE_DIR"
REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIR = REPO.parent / "shared" / "conformance" / "adl-lrs-suite"
CACHE = REPO / ".harness" / "adl-suite"
PINS = Path(__file__).parent / "adl"  # package-lock.json and the keep-alive preload
SKIPPED = ("node_modules", "logs", ".git")
INSTALL_TIMEOUT = 900
RUN_TIMEOUT = 600


def _origin_dir() -> Path | None:
    """Beside the repository this one was cloned from (a CI job's clean clone of a local
    repository), when its origin is a local folder."""
    try:
        url = subprocess.run(
            ["git", "-C", str(REPO), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    origin = Path(url.removeprefix("file://"))
    if not url or not origin.is_absolute() or not origin.is_dir():
        return None
    return origin.resolve().parent / "shared" / "conformance" / "adl-lrs-suite"


def suite_dir() -> Path:
    """The suite's folder; skips where it is absent, fails where $WEARE_ADL_SUITE_DIR is wrong."""
    named = os.environ.get(ENV)
    where = Path(named) if named else DEFAULT_DIR
    if (where / "bin" / "console_runner.js").is_file():
        return where
    beside_origin = None if named else _origin_dir()
    if beside_origin is not None and (beside_origin / "bin" / "console_runner.js").is_file():
        return beside_origin
    if named:
        pytest.fail(f"{ENV}={named}: no bin/console_runner.js there (expected a clone of {SOURCE})")
    pytest.skip(
        f"ADL's LRS conformance suite is not at {where}: clone {SOURCE} (commit {COMMIT[:8]}) "
        f"there, or set {ENV} to its folder"
    )


def _digest(source: Path, lock: bytes) -> str:
    h = hashlib.sha256(lock)
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if set(rel.parts) & set(SKIPPED) or not path.is_file():  # as copytree leaves them out
            continue
        h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _lock_for(source: Path) -> bytes:
    """The pinned lock file when it pins exactly the suite's dependencies, else b""."""
    lock = (PINS / "package-lock.json").read_bytes()
    wanted = json.loads((source / "package.json").read_text()).get("dependencies")
    pinned = json.loads(lock)["packages"][""].get("dependencies")
    return lock if wanted == pinned else b""


def _writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def installed_copy(source: Path) -> Path:
    """A writable copy of the suite with its npm dependencies, installed once per suite digest."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"ADL's suite is at {source} but {tool} is not installed (Node.js >= 18)")
    lock = _lock_for(source)
    target = CACHE / _digest(source, lock)
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if (target / ".installed").is_file():
            return target
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(*SKIPPED))
        _writable(target)
        if lock:
            (target / "package-lock.json").write_bytes(lock)
        # `npm install`, not `npm ci`: one of the suite's dependencies asks for chai@latest,
        # which a lock file cannot stay in sync with; the lock still pins everything else.
        command = ["npm", "install", "--no-audit", "--no-fund"]
        done = subprocess.run(
            [*command, "--loglevel=error"],
            cwd=target,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} in {target} failed: {done.stderr[-2000:]}")
        (target / ".installed").touch()
    return target


def _run_suite(suite: Path, endpoint: str, user: str, secret: str, version: str) -> str:
    """Run the console runner; returns its output with the secret redacted."""
    preload = f"--require {PINS / 'no_keepalive.js'}"
    env = {**os.environ, "NODE_OPTIONS": f"{os.environ.get('NODE_OPTIONS', '')} {preload}"}
    argv = ["node", "bin/console_runner.js", "-e", endpoint, "-a", "-u", user, "-p", secret]
    proc = subprocess.Popen(
        [*argv, "-x", version],
        cwd=suite,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its mocha child goes with it on a timeout
    )
    try:
        out, _ = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        out += f"\n(killed after {RUN_TIMEOUT} s)"
    basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return out.replace(basic, "[redacted]").replace(secret, "[redacted]")


def run_against_serve(version: str, tmp_path: Path) -> Verdict:
    """The whole suite on xAPI `version` against `serve --mode plain --xapi-version version`."""
    suite = installed_copy(suite_dir())
    # hex: a urlsafe token can start with '-', which the runner's -p takes for an option
    user, secret = "adl", secrets.token_hex(16)
    extra = ("--mode", "plain", "--xapi-version", version, "--no-story")
    with ServeProcess(tmp_path / "lms.db", *extra, api_key=f"{user}:{secret}") as serve:
        out = _run_suite(suite, serve.base_url + "/xapi/default", user, secret, version)
    written = re.findall(r"Full run log written to (.+\.log)", out)
    if not written:
        pytest.fail(f"ADL's suite wrote no run log; its output ended:\n{out[-3000:]}")
    log_path = Path(written[-1].strip())
    log = json.loads(log_path.read_text())
    log_path.unlink()  # it records every request, Authorization headers included
    return verdict(log, version)
