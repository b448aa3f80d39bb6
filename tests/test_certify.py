"""certify against the fake LMS: a good LMS passes, every quirk is caught by a named check."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from fake_lms import LMSConfig, MountSpec
from fake_lms.live import FakeLMS
from fake_lms.quirks import catalogue
from harness.certify.registry import REGISTRY

pytestmark = pytest.mark.slow

# The check that must fail for each quirk.
# quirk -> the check that catches it and the status it gets there (a warning when We Are's
# completions still arrive).
CAUGHT_BY = {
    "reusable-fetch-token": ("fetch.single-use", "fail"),
    "fetch-empty-error-code": ("fetch.single-use", "fail"),
    "fetch-get-only": ("fetch.token", "fail"),
    "fetch-application-error": ("fetch.token", "fail"),
    "fetch-no-cors": ("fetch.token", "fail"),  # the browser cannot read the auth-token
    "no-cors-preflight": ("cors.preflight", "fail"),
    "preflight-without-version-header": ("cors.preflight", "fail"),
    "token-with-basic-prefix": ("fetch.token", "fail"),
    "401-for-403": ("statement.completed", "fail"),
    "cmi5-errors-in-message": ("statement.completed", "fail"),  # on an enforcing mount
    "no-version-header": ("xapi.version-header", "fail"),
    "xapi-2-only": ("statement.completed", "fail"),
    "requires-trailing-slash": ("xapi.trailing-slash", "fail"),
    "amp-launch-url": ("launch.no-html-entities", "fail"),
    "mbox-actor": ("launch.actor", "warn"),  # a valid Agent: completions still arrive
    "registration-not-uuid": ("launch.registration-uuid", "fail"),
    "drops-statements": ("statement.read-back", "fail"),
    "error-every-3rd": ("xapi.no-server-errors", "fail"),
    "slow-responses": ("performance.response-times", "fail"),
    "statements-401": ("statement.completed", "fail"),
    "statements-403": ("statement.completed", "fail"),
    "statements-503": ("statement.completed", "fail"),
    "relaunch-abandons": ("fetch.token", "fail"),  # the second launch abandons the first one
    "statement-as-list": ("statement.read-back", "warn"),  # stored, read back in another shape
    "ok-without-ids": ("statement.completed", "fail"),
}
ENFORCING = ("401-for-403", "cmi5-errors-in-message")
BROWSER_ONLY = ("fetch-no-cors",)  # CORS on the fetch answer: only a browser enforces it
# Quirks under which We Are's completions arrive all the same: certify must say both work.
HARMLESS = {
    "stale-content-length": "the browser sends JSON.stringify's compact bytes, and so does "
    "certify: the proxy's stale Content-Length is right for them",
    "eventual-read": "a statement readable a moment later is stored: read back with retries",
}


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


def test_every_quirk_has_a_catching_check():
    assert not set(CAUGHT_BY) & set(HARMLESS)
    assert set(CAUGHT_BY) | set(HARMLESS) == set(catalogue())


@pytest.mark.parametrize("quirk", sorted(HARMLESS))
def test_certify_says_works_despite_a_harmless_quirk(tmp_path, quirk):
    with fake(tmp_path, quirks=(quirk,)) as lms:
        r = certify(*launch_urls(lms), "--report-dir", str(tmp_path / "rep"), "--timeout", "5")
    assert r.returncode == 0, r.stdout
    assert verdicts(tmp_path / "rep") == {"weare-documented": "works", "cmi5-full": "works"}


@pytest.mark.parametrize("quirk", sorted(CAUGHT_BY))
def test_certify_flags_each_quirk(tmp_path, quirk):
    mode = "enforce" if quirk in ENFORCING else "observe"
    # From Python, except what only a browser sees: the browser modes of every check and quirk
    # are proved in-process by tests/test_verdict_oracle_certify.py, with one shared Chromium.
    driver = "browser" if quirk in BROWSER_ONLY else "http"
    # An LRS slower than the 1 s We Are is given here: each request ends at 1 s, not at 2.5.
    timeout = "1" if quirk == "slow-responses" else "5"
    with fake(tmp_path, mode=mode, quirks=(quirk,)) as lms:
        r = certify(
            *launch_urls(lms), "--report-dir", str(tmp_path / "rep"), "--timeout", timeout,
            "--driver", driver,
        )  # fmt: skip
    check, status = CAUGHT_BY[quirk]
    data = report(tmp_path / "rep")
    outcome = next(c for c in data["checks"] if c["id"] == check)
    assert outcome["status"] == status, r.stdout
    # Every behaviour the check decides is degraded or broken by it, as its severity says.
    blocks = outcome["severity"] == "blocker" and status == "fail"
    expected = "will-not-work" if blocks else "works-with-warnings"
    for behaviour in outcome["behaviours"]:
        assert data["behaviours"][behaviour]["verdict"] in (expected, "will-not-work"), r.stdout
    works = any(b["verdict"].startswith("works") for b in data["behaviours"].values())
    assert r.returncode == (0 if works else 1), r.stdout


def test_fetch_empty_error_code_is_caught_with_the_value_shown(tmp_path):
    with fake(tmp_path, quirks=("fetch-empty-error-code",)) as lms:
        r = certify(*launch_urls(lms), "--report-dir", str(tmp_path / "rep"), "--timeout", "5")
    check = next(c for c in report(tmp_path / "rep")["checks"] if c["id"] == "fetch.single-use")
    assert check["status"] == "fail"
    assert "error-code ''" in check["detail"] and "8.2.3.2-1" in check["detail"]
    assert r.returncode == 0  # a warning: completions still arrive
    assert verdicts(tmp_path / "rep")["weare-documented"] == "works-with-warnings"


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


def serve_launch_urls(serve, n: int = 2) -> list[str]:
    """`--launch-url` arguments for n fresh launches from a `weare-harness serve` process."""
    import requests

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


def test_a_fetch_answer_without_cors_fails_both_behaviours_in_the_browser(tmp_path):
    """The fetch answer lacks Access-Control-Allow-Origin: the page never reads its token (and
    the blocked POST used it up); certify in Chromium says so, naming the missing header."""
    with fake(tmp_path, quirks=("fetch-no-cors",)) as lms:
        r = certify(*launch_urls(lms), "--report-dir", str(tmp_path / "rep"), "--timeout", "5")
    assert r.returncode == 1, r.stdout
    assert verdicts(tmp_path / "rep") == {
        "weare-documented": "will-not-work",
        "cmi5-full": "will-not-work",
    }
    fetch = next(c for c in report(tmp_path / "rep")["checks"] if c["id"] == "fetch.token")
    assert "Access-Control-Allow-Origin" in fetch["detail"], fetch["detail"]
    assert "Access-Control-Allow-Origin" in fetch["advice"]["fix"], fetch["advice"]
    used = next(c for c in report(tmp_path / "rep")["checks"] if c["id"] == "fetch.single-use")
    assert used["status"] == "pass"  # certify's own second POST: the token was used up


def test_cmi5_rules_named_in_another_lms_shape_are_read(tmp_path):
    """An enforcing LMS naming the rule as violatedReqId / in its message: certify still says
    the LMS enforces cmi5 session rules, naming 11.0.0.0-3."""
    with fake(tmp_path, mode="enforce", quirks=("cmi5-errors-in-message",)) as lms:
        r = certify(*launch_urls(lms), "--report-dir", str(tmp_path / "rep"), "--timeout", "5")
    assert "This LMS enforces cmi5 session rules" in r.stdout, r.stdout
    assert "11.0.0.0-3" in r.stdout
    completed = next(
        c for c in report(tmp_path / "rep")["checks"] if c["id"] == "statement.completed"
    )
    assert completed["advice"]["cause"] == "cmi5-rule"
    assert "requirement" not in completed["exchanges"][0]["response_body"]
