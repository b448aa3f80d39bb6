"""certify as users run it (`python -m harness certify` in a subprocess) against a fake LMS, and
what its reports say: helpers shared by the certify test files."""

from __future__ import annotations

import json
import subprocess
import sys

import requests

from fake_lms import LMSConfig, MountSpec
from fake_lms.live import FakeLMS


def certify(*args: str, timeout: float = 120, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "certify", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def fake(tmp_path, mode: str = "observe", quirks: tuple[str, ...] = ()) -> FakeLMS:
    config = LMSConfig(
        db_path=str(tmp_path / "lms.db"), mounts=[MountSpec("default", mode=mode)], quirks=quirks
    )
    return FakeLMS(config)


def launch_urls(lms, n: int = 2) -> list[str]:
    out = []
    for _ in range(n):
        r = lms.admin("POST", "launches", json={"au_url": "http://127.0.0.1:9/story"})
        assert r.status_code == 201, r.text
        out += ["--launch-url", r.json()["launch_url"]]
    return out


def report(report_dir) -> dict:
    return json.loads((report_dir / "results.json").read_text())


def results(report_dir) -> dict[str, str]:
    return {c["id"]: c["status"] for c in report(report_dir)["checks"]}


def verdicts(report_dir) -> dict[str, str]:
    return {n: b["verdict"] for n, b in report(report_dir)["behaviours"].items()}


def serve_launch_urls(serve, n: int = 2) -> list[str]:
    """`--launch-url` arguments for n fresh launches from a `weare-harness serve` process."""
    out = []
    for _ in range(n):
        r = requests.post(
            serve.base_url + "/api/launches",
            json={"au_url": "http://127.0.0.1:9/story"},
            auth=tuple(serve.api_key.split(":", 1)),
            timeout=10,
        )
        assert r.status_code == 201, r.text
        out += ["--launch-url", r.json()["launch_url"]]
    return out
