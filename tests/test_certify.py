"""certify against the fake LMS: a good LMS passes, strict and configured LMSs get their verdicts,
usage errors exit 2 (each quirk's catching check: tests/test_certify_quirks.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import harness.certify.checks  # noqa: F401  (registers every check: REGISTRY is complete)
from fake_lms import LMSConfig, MountSpec
from fake_lms.live import FakeLMS
from fake_lms.quirks import catalogue
from harness.certify.registry import REGISTRY
from tests.certify_cli import (
    certify,
    fake,
    launch_urls,
    report,
    results,
    serve_launch_urls,
    verdicts,
)

pytestmark = pytest.mark.slow


def test_a_conformant_lms_works(tmp_path):
    with fake(tmp_path) as lms:
        r = certify(*launch_urls(lms), "--report-dir", str(tmp_path / "rep"), "--timeout", "5")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verdict: WORKS" in r.stdout
    assert "writes only what a We Are launch writes" in r.stdout.splitlines()[0]
    statuses = results(tmp_path / "rep")
    assert "fail" not in statuses.values()
    assert statuses["fetch.single-use"] == "pass"
    assert statuses["fetch.get-refused"] == "pass"
    assert statuses["cmi5.session"] == "pass"
    assert verdicts(tmp_path / "rep") == {"weare-documented": "works", "cmi5-full": "works"}
    for name in ("report.html", "junit.xml", "evidence.json", "certificate.json"):
        assert (tmp_path / "rep" / name).stat().st_size > 0


def test_reports_hold_no_token_or_api_key(tmp_path):
    with fake(tmp_path) as lms:
        args = launch_urls(lms, 1)
        r = certify(*args, "--report-dir", str(tmp_path / "rep"))
        tokens = lms.app.extensions["weare"].secrets().tokens()  # (the store keeps digests)
        assert tokens
    assert r.returncode == 0, r.stdout
    import base64

    for path in (tmp_path / "rep").iterdir():
        text = path.read_text()
        for token in tokens:
            assert token not in text
            assert base64.b64encode(f":{token}".encode()).decode() not in text, path.name
    assert "[redacted" in (tmp_path / "rep" / "results.json").read_text()


def test_strict_cmi5_lms_gives_a_verdict_per_behaviour(tmp_path):
    """The default enforce mount refuses We Are's documented Completed; the cmi5 flow works."""
    with fake(tmp_path, mode="enforce") as lms:
        r = certify(*launch_urls(lms), "--report-dir", str(tmp_path / "rep"))
    assert r.returncode == 0, r.stdout
    assert verdicts(tmp_path / "rep") == {
        "weare-documented": "will-not-work",
        "cmi5-full": "works",
    }
    assert results(tmp_path / "rep")["statement.completed"] == "fail"
    assert "11.0.0.0-3" in r.stdout
    assert "This LMS enforces cmi5 session rules; We Are's documented flow is refused" in r.stdout
    assert "the full cmi5 flow works" in r.stdout
    # The header a vendor forwards: date (UTC), version, target, options, counts, top fixes.
    page = (tmp_path / "rep" / "report.html").read_text()
    for text in (r.stdout, page):
        assert re.search(r"started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(UTC\)", text)
        assert "weare-harness certify 0.1" in text and "timeout 10 s" in text
        assert f"{len(REGISTRY)} checks" in text and "destination http://127.0.0.1:" in text
        assert "WORKS ONLY WITH THE FULL cmi5 FLOW" in text  # never plain WORKS
    assert "top fixes:\n  1. statement.completed" in r.stdout
    assert "Top fixes" in page
    blockers = page.index(">statement.completed<")
    assert blockers < page.index(">launch.actor<")  # blockers first


def test_strict_cmi5_lms_with_one_launch_url(tmp_path):
    """Both behaviours share one launch: the documented flow goes first, the cmi5 flow works."""
    with fake(tmp_path, mode="enforce") as lms:
        r = certify(*launch_urls(lms, 1), "--report-dir", str(tmp_path / "rep"))
    assert r.returncode == 0, r.stdout
    assert verdicts(tmp_path / "rep") == {
        "weare-documented": "will-not-work",
        "cmi5-full": "works",
    }


def test_api_url_and_key_path(tmp_path):
    config = LMSConfig(
        db_path=str(tmp_path / "lms.db"),
        mounts=[MountSpec.parse("default"), MountSpec.parse("lrs:vendor:k3y-secret")],
    )
    with FakeLMS(config) as lms:
        r = certify(
            "--endpoint",
            lms.endpoint("lrs"),
            "--api-key",
            "vendor:k3y-secret",
            "--report-dir",
            str(tmp_path / "rep"),
        )
    assert r.returncode == 0, r.stdout
    statuses = results(tmp_path / "rep")
    assert statuses["statement.completed"] == "pass"
    assert statuses["launch.actor"] == "skipped"
    behaviours = report(tmp_path / "rep")["behaviours"]
    assert behaviours["weare-documented"]["verdict"].startswith("works")
    assert behaviours["cmi5-full"]["verdict"] == "not-tested"
    assert "launch URL" in behaviours["cmi5-full"]["reason"]
    for name in ("report.html", "results.json", "history.jsonl", "junit.xml"):
        assert "k3y-secret" not in (tmp_path / "rep" / name).read_text(), name
    # The command line is recorded, its --api-key value redacted.
    assert "--api-key '[redacted]'" in report(tmp_path / "rep")["meta"]["command"]


def test_default_report_dir_is_reports_certify(tmp_path):
    with fake(tmp_path) as lms:
        r = certify(*launch_urls(lms, 1), cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    out = tmp_path / "reports" / "certify"
    assert "reports written to reports/certify" in r.stdout
    for name in ("report.html", "results.json", "junit.xml", "evidence.json", "certificate.json"):
        assert (out / name).is_file(), name


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--endpoint", "http://x.example/xapi/"],
        ["--launch-url", "not a url"],
        ["--endpoint", "ftp://x/", "--api-key", "a:b"],
        ["--launch-url", "http://x/", "--timeout", "0"],
    ],
)
def test_usage_errors_exit_2_with_one_line(args):
    r = certify(*args, timeout=30)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1


def test_quirks_command_lists_every_quirk_as_json():
    r = subprocess.run(
        [sys.executable, "-m", "harness", "quirks", "--json"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 0
    listed = {q["name"]: q for q in json.loads(r.stdout)}
    assert set(listed) == set(catalogue())
    assert len(listed) >= 12
    assert all(q["description"] for q in listed.values())


def test_certify_against_weare_harness_serve(tmp_path):
    """The default `serve` (an enforcing mount): per-behaviour verdicts, exit 0; observe: all works."""
    import requests

    from tests.serve_process import ServeProcess

    with ServeProcess(tmp_path / "serve.db") as serve:
        r = certify(*serve_launch_urls(serve), "--report-dir", str(tmp_path / "enforce"))
        assert r.returncode == 0, r.stdout + r.stderr
        assert verdicts(tmp_path / "enforce") == {
            "weare-documented": "will-not-work",
            "cmi5-full": "works",
        }
        assert "This LMS enforces cmi5 session rules" in r.stdout
        patched = requests.patch(
            serve.base_url + "/api/mounts/default",
            json={"mode": "observe"},
            auth=tuple(serve.api_key.split(":", 1)),
            timeout=10,
        )
        assert patched.status_code == 200, patched.text
        r = certify(*serve_launch_urls(serve), "--report-dir", str(tmp_path / "observe"))
        assert r.returncode == 0, r.stdout + r.stderr
        assert verdicts(tmp_path / "observe") == {"weare-documented": "works", "cmi5-full": "works"}


def test_certify_against_serve_mode_observe_works(tmp_path):
    """`serve --mode observe` records cmi5 violations instead of refusing: both behaviours work."""
    from tests.serve_process import ServeProcess

    with ServeProcess(tmp_path / "observe.db", "--mode", "observe") as serve:
        assert any("mode: observe" in line for line in serve.banner), serve.banner
        r = certify(*serve_launch_urls(serve), "--report-dir", str(tmp_path / "report"))
        assert r.returncode == 0, r.stdout + r.stderr
        assert verdicts(tmp_path / "report") == {"weare-documented": "works", "cmi5-full": "works"}
        assert "This LMS enforces cmi5 session rules" not in r.stdout
