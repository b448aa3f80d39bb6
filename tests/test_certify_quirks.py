"""certify against the fake LMS with each quirk: every quirk is caught by a named check, and the
harmless ones still get "works" (a file of its own so a test worker takes it beside test_certify)."""

from __future__ import annotations

import pytest

from fake_lms.quirks import catalogue
from tests.certify_cli import certify, fake, launch_urls, report, verdicts

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
