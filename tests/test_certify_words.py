"""An LMS's own words, whatever their shape: the cmi5 requirement id, the error word, a message.

`read_words` is proved on every shape of answer real LMSs give (our fake LMS's body, a Node
LMS's `violatedReqId`, nested error lists, plain text, HTML) and on what must not be read as a
requirement (a version, a date, an id the `@cmi5/requirements` catalogue lacks). The shipped
catalogue is proved equal to the npm package's ids. Over real HTTP, certify against a strict
cmi5 LMS on loopback that words its refusals in each shape names the cause `cmi5-rule` with the
requirement and says so in plain words; a launch abandoned by a newer one is named
`session-abandoned`, and only then.
"""

from __future__ import annotations

import json

import pytest

from harness.certify.causes import diagnose
from harness.certify.context import CertInputs
from harness.certify.recorder import Exchange
from harness.certify.run import certify
from harness.certify.words import read_words
from harness.cmi5_requirements import CatalogueError, parse_catalogue, requirement_ids
from tests.real_lms import SHAPES, RealLMS, real_lms
from tests.test_requirement_ids import load_catalogue, needs_catalogue

REAL_LMS_403 = json.dumps(
    {
        "statusCode": 403,
        "error": "Forbidden",
        "message": "11.0.0.0-3 - The AU MUST retrieve the Learner Preferences document",
        "violatedReqId": "11.0.0.0-3",
    }
)
FAKE_LMS_403 = json.dumps(
    {
        "status": 403,
        "error": "statement before the learner preferences were read",
        "section": "cmi5 §11",
        "violations": [{"row": 3, "rule": "x", "path": "$", "status": 403}],
        "requirement": "11.0.0.0-3",
    }
)


# -- read_words: every shape ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "requirement", "error", "message"),
    [
        (FAKE_LMS_403, "11.0.0.0-3", None, "statement before the learner preferences were read"),
        (
            REAL_LMS_403,
            "11.0.0.0-3",
            "Forbidden",
            "The AU MUST retrieve the Learner Preferences document",
        ),
        (
            '{"errors":[{"code":"8.1.2.0-2"}]}',
            "8.1.2.0-2",
            None,
            '{"errors": [{"code": "8.1.2.0-2"}]}',
        ),
        (
            '{"a": {"b": [{"c": {"why": "session over", "ruleId": "9.3.6.0-2 (d2)"}}]}}',
            "9.3.6.0-2 (d2)",
            None,
            '{"a": {"b": [{"c": {"why": "session over", "ruleId": "9.3.6.0-2 (d2)"}}]}}',
        ),
        (
            "403 Forbidden: 11.0.0.0-3 - preferences not read",
            "11.0.0.0-3",
            "Forbidden",
            "preferences not read",
        ),
        (
            "<!doctype html><html><head><title>403 Forbidden</title></head><body><h1>Forbidden"
            "</h1><p>Refused under cmi5 9.3.0.0-4.</p></body></html>",
            "9.3.0.0-4",
            "Forbidden",
            "Refused under cmi5 9.3.0.0-4.",
        ),
        (
            '{"error": "invalid_token", "error_description": "token expired"}',
            None,
            "invalid_token",
            "token expired",
        ),
        ('{"error-code": "1", "error-text": "already fetched"}', None, None, "already fetched"),
    ],
)
def test_the_words_of_every_shape(body, requirement, error, message):
    words = read_words(body)
    assert (words.requirement, words.error, words.message) == (requirement, error, message)


@pytest.mark.parametrize(
    "body",
    [
        '{"version": "1.0.3", "message": "xAPI 1.0.3 only"}',
        "refused on 2024-06-05T13:05:36.253062Z by LMS 10.2.1",
        '{"requirement": "99.1.1.0-1"}',  # the id's shape, but not in the catalogue
        '{"requirement": "11.0.0.0-3.1"}',  # a longer dotted number
        "build 1.11.0.0-3",  # part of a longer dotted number
        '{"success": true}',
        "",
    ],
)
def test_no_requirement_is_read_where_none_is_named(body):
    assert read_words(body).requirement is None


def test_the_message_is_short_and_spaces_are_collapsed():
    words = read_words(json.dumps({"message": "a  \n b " * 100}))
    assert len(words.message) == 200 and "  " not in words.message


# -- the shipped catalogue --------------------------------------------------------------------


@needs_catalogue
def test_the_shipped_ids_are_the_npm_packages_ids():
    assert sorted(requirement_ids()) == sorted(load_catalogue())


def test_the_shipped_catalogue_holds_the_ids_certify_names():
    ids = requirement_ids()
    assert {"11.0.0.0-3", "8.1.2.0-2", "8.1.2.0-2 (d)", "9.3.6.0-2 (d2)"} <= ids
    assert "99.1.1.0-1" not in ids


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("not json", "not JSON"),
        ('{"ids": []}', "non-empty list"),
        ('{"ids": ["8.1.2.0-2", "1.0.3"]}', "'1.0.3' is not a requirement id"),
        ('{"ids": ["8.1.2.0-2", "8.1.2.0-2"]}', "listed twice"),
        ("[]", "non-empty list"),
    ],
)
def test_a_broken_catalogue_is_a_clear_error(text, fault):
    with pytest.raises(CatalogueError, match=fault) as caught:
        parse_catalogue(text, "harness/data/x.json")
    assert str(caught.value).startswith("harness/data/x.json: ")


# -- causes over real HTTP --------------------------------------------------------------------


def cause_of(cert, check_id: str) -> dict:
    """The cause a failed check was given, with every field (the requirement id included)."""
    outcome = next(o for o in cert.outcomes if o.check.id == check_id)
    assert outcome.cause is not None, outcome.finding.detail
    return {**outcome.cause.as_dict(), "cause": outcome.cause.name}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_strict_lms_in_its_own_words_is_named_a_cmi5_rule(shape):
    """The documented Completed refused 403 naming 11.0.0.0-3, in each shape of answer."""
    with real_lms(RealLMS(shape=SHAPES[shape])) as lms:
        cert = certify(CertInputs([lms.launch(), lms.launch()], timeout=5))
    advice = cause_of(cert, "statement.completed")
    assert advice["cause"] == "cmi5-rule", advice
    assert advice["requirement"] == "11.0.0.0-3"
    assert "naming cmi5 requirement 11.0.0.0-3" in advice["observed"]
    assert "preferences were not read" in advice["observed"]
    assert "Grant the credentials" not in advice["fix"]
    assert cert.plain_words() == (
        "This LMS enforces cmi5 session rules; We Are's documented flow is refused "
        "(403, cmi5 11.0.0.0-3), the full cmi5 flow works."
    )


def test_a_made_up_requirement_id_is_no_cmi5_rule():
    def made_up(status: int, requirement: str, message: str):
        return 403, "application/json", json.dumps({"error": "Forbidden", "reqId": "99.1.1.0-1"})

    with real_lms(RealLMS(shape=made_up)) as lms:
        cert = certify(CertInputs([lms.launch()], timeout=5))
    assert cause_of(cert, "statement.completed")["cause"] == "forbidden"


def test_a_session_abandoned_by_a_newer_launch_is_named_so():
    """Two launches of one registration: making the second abandoned the first (cmi5 §9.3.6)."""
    with real_lms(RealLMS(abandon_on_relaunch=True)) as lms:
        cert = certify(CertInputs([lms.launch(), lms.launch()], timeout=5))
    advice = cause_of(cert, "statement.completed")
    assert advice["cause"] == "session-abandoned", advice
    assert advice["requirement"] == "8.1.2.0-2"
    words = "this launch's session was abandoned by a newer launch for the same registration"
    assert words in advice["observed"]
    assert words in advice["why"].lower()
    assert "another learner or registration" in advice["fix"]
    assert "after the previous one was used" in advice["fix"]
    # the newer launch's own session is not abandoned: the full flow on it works (from Python,
    # --driver http: browser.judged caps it at works-with-warnings)
    assert cert.behaviours["cmi5-full"].verdict == "works-with-warnings"


def test_the_same_refusal_without_another_launch_is_not_called_abandoned():
    """One launch URL: nothing in the run shows another launch, so the rule is named as such."""
    with real_lms(RealLMS(abandon_on_relaunch=True)) as lms:
        first = lms.launch()
        lms.launch()  # made, but not given to certify
        cert = certify(CertInputs([first], timeout=5))
    advice = cause_of(cert, "statement.completed")
    assert advice["cause"] == "cmi5-rule", advice
    assert advice["requirement"] == "8.1.2.0-2"


def test_an_abandoned_message_without_an_id_is_named_too():
    def words_only(status: int, requirement: str, message: str):
        return status, "text/plain", "Session abandoned: launched again"

    with real_lms(RealLMS(abandon_on_relaunch=True, shape=words_only)) as lms:
        cert = certify(CertInputs([lms.launch(), lms.launch()], timeout=5))
    advice = cause_of(cert, "statement.completed")
    assert advice["cause"] == "session-abandoned", advice
    assert advice["requirement"] is None


# -- blocked in the browser: the fetch POST is a simple request --------------------------------


def exchange(label: str, method: str, url: str, **answer) -> Exchange:
    return Exchange(label, method, url, {}, "", **answer)


BLOCKED = "blocked in the browser (TypeError: Failed to fetch)"
PREFLIGHT_OK = exchange(
    "CORS preflight",
    "OPTIONS",
    "https://lms.example/xapi/statements",
    status=204,
    response_headers={
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Experience-API-Version",
    },
)
PREFLIGHT_REFUSED = exchange(
    "CORS preflight", "OPTIONS", "https://lms.example/xapi/statements", status=404
)


def test_a_blocked_fetch_leads_with_allow_origin_on_its_own_answer():
    fetch = exchange(
        "in the browser: fetch (POST)", "POST", "https://lms.example/fetch/1", error=BLOCKED
    )
    found = diagnose(fetch, [fetch, PREFLIGHT_OK])
    assert found is not None and found.name == "blocked-in-browser"
    assert found.fix.startswith("Put Access-Control-Allow-Origin")
    assert "fetch URL itself" in found.fix
    assert "no preflight" in found.observed
    assert "preflight" not in found.fix.replace("no preflight is involved", "")
    assert "204" not in found.observed  # a preflight that passed is not quoted as the problem
    refused = diagnose(fetch, [fetch, PREFLIGHT_REFUSED])
    assert refused is not None and "404" in refused.observed  # one that failed is
    assert refused.fix.startswith("Put Access-Control-Allow-Origin")


def test_a_blocked_xapi_request_keeps_the_preflight_advice():
    post = exchange(
        "in the browser: POST completed statement",
        "POST",
        "https://lms.example/xapi/statements",
        error=BLOCKED,
    )
    found = diagnose(post, [post, PREFLIGHT_REFUSED])
    assert found is not None and found.name == "blocked-in-browser"
    assert found.fix.startswith("Answer OPTIONS")
    assert "preflight was refused: 404" in found.observed
