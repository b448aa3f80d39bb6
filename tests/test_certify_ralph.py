"""certify's API-URL-and-key path against a real third-party LRS: Ralph, started here on loopback.

Ralph serves statements only, so the checks that need documents or CORS must say "not
supported by this LRS". Ralph 5.1.0's fs backend keeps only the first statement written to a
fresh store and answers 500 to later writes: certify must name that cause (a 500 on a second
write), not crash and not advise "Support PUT".
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.ralph_process import ABSENT, RALPH, ralph_lrs

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not RALPH.exists(), reason=ABSENT),
]


@pytest.fixture
def ralph(tmp_path):
    with ralph_lrs(tmp_path, "certify", "s3cret-ralph") as endpoint:
        yield endpoint


def test_certify_reports_ralph_check_by_check(ralph, tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "certify",
            "--endpoint",
            ralph,
            "--api-key",
            "certify:s3cret-ralph",
            "--report-dir",
            str(tmp_path / "rep"),
            "--driver",  # Ralph's LRS as a server-side API-key client meets it
            "http",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    data = json.loads((tmp_path / "rep" / "results.json").read_text())
    checks = {c["id"]: c for c in data["checks"]}
    # The documented completion is the first write to a fresh store: accepted.
    assert checks["statement.completed"]["status"] == "pass", r.stdout
    # Documents and CORS are outside what Ralph serves: reported, not crashed on.
    for name in ("cors.preflight", "xapi.documents"):
        assert checks[name]["status"] == "unsupported"
        assert "not supported by this LRS" in checks[name]["detail"]
    # Ralph's fs backend answers 500 to the second write: named as that, not as "Support PUT".
    put = checks["statement.put"]
    assert put["status"] == "fail"
    assert put["advice"]["cause"] == "server-error"
    assert "500 on a second write" in put["advice"]["observed"]
    assert "'POST Completed statement' was accepted" in put["advice"]["observed"]
    assert "Support PUT" not in put["how_to_fix"]
    assert "500 on a second write" in r.stdout
    assert put["curl"].startswith("curl -i -X PUT ")
    assert "Authorization: Basic <redacted>" in put["curl"]
    assert checks["xapi.no-server-errors"]["status"] == "fail"
    # No launch URL: the full cmi5 flow is not tested; the documented flow is blocked by 5xx.
    assert data["behaviours"]["cmi5-full"]["verdict"] == "not-tested"
    assert data["behaviours"]["weare-documented"]["verdict"] == "will-not-work"
    assert r.returncode == 1
    for name in ("report.html", "results.json", "junit.xml", "evidence.json"):
        assert "s3cret-ralph" not in (tmp_path / "rep" / name).read_text()
