"""certify's checks judged on answers built in memory: each check's status at its boundaries.

tests/test_certify_judged_values.py and the certify oracle prove the checks against real LMSs;
these cases pin each status an answer leads to (a 404 on the trailing-slash probe, an https
destination, an error-code just outside cmi5's list) through `run_checks`, the function certify
itself calls, and run in milliseconds, so that `make mutation` can afford them.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from fake_lms.findings import ABSENT, render
from harness.certify.context import CertContext, CertInputs
from harness.certify.recorder import Exchange
from harness.certify.run import CheckOutcome, run_checks

ID = "6f9619ff-8b86-4011-b42d-00c04fc964ff"
ACTOR = '{"objectType":"Agent","account":{"homePage":"https://lms.example","name":"l-1"}}'
PARAMS = {
    "endpoint": "https://lrs.example/xapi/",
    "fetch": "https://lms.example/fetch/abcdefgh",
    "actor": ACTOR,
    "registration": ID,
    "activityId": "https://lms.example/au",
}


def launch_with(**changed: str | None) -> str:
    """The launch URL with some values changed (None: left out), each percent-encoded once."""
    params = {name: value for name, value in {**PARAMS, **changed}.items() if value is not None}
    return "https://story.example/?" + urlencode(params, quote_via=quote)


LAUNCH = launch_with()


def answered(
    status: int | None,
    body: Any = "",
    *,
    headers: dict[str, str] | None = None,
    sent: Any = "",
    label: str = "request",
    url: str = "https://lrs.example/xapi/statements",
    method: str = "POST",
    seconds: float = 0.1,
    error: str | None = None,
    request_headers: dict[str, str] | None = None,
) -> Exchange:
    text = body if isinstance(body, str) else json.dumps(body)
    return Exchange(
        label=label,
        method=method,
        url=url,
        request_headers=request_headers or {},
        request_body=sent if isinstance(sent, str) else json.dumps(sent),
        status=status,
        response_headers=headers or {},
        response_body=text,
        error=error,
        seconds=seconds,
        raw=text,
    )


def context(*launch_urls: str, **inputs: Any) -> CertContext:
    urls = list(launch_urls) if launch_urls else [LAUNCH]
    return CertContext.create(CertInputs(urls, **inputs))


CITED = re.compile(r"(?<![\d.])\d+\.\d+\.\d+\.\d+-\d+")


def cites_only_its_own_requirements(found: CheckOutcome) -> None:
    """The cmi5 requirement ids a finding cites are among those its check is registered with,
    besides the ids the LMS's own answer named (relayed as they came)."""
    relayed = {i for e in found.finding.evidence for i in CITED.findall(e.response_body)}
    cited = set(CITED.findall(found.finding.detail)) - relayed
    assert cited <= set(CITED.findall(found.check.source)), (found.check.id, cited)


def outcome(ctx: CertContext, check_id: str) -> CheckOutcome:
    outcomes = run_checks(ctx)
    for found in outcomes:
        cites_only_its_own_requirements(found)
    return next(o for o in outcomes if o.check.id == check_id)


def status(ctx: CertContext, check_id: str) -> str:
    return outcome(ctx, check_id).status


def sending(name: str, exchange: Exchange, ctx: CertContext | None = None) -> CertContext:
    ctx = ctx or context()
    ctx.sent[name] = exchange
    ctx.http.exchanges.append(exchange)
    return ctx


# -- xapi.py ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (answered(200), "pass"),
        (answered(400), "pass"),
        (answered(405), "pass"),
        (answered(404), "fail"),
        (answered(301, headers={"Location": "https://lrs.example/xapi/statements/"}), "fail"),
        (answered(302), "fail"),
        (answered(308), "fail"),
        (answered(299), "pass"),
        (answered(None, error="connection refused"), "skipped"),
    ],
)
def test_the_trailing_slash_probe(answer, expected):
    assert status(sending("trailing-slash", answer), "xapi.trailing-slash") == expected


def test_a_trailing_slash_probe_never_sent_is_skipped():
    assert status(context(), "xapi.trailing-slash") == "skipped"


ORIGIN = "https://weare.example.com"
ALL_HEADERS = "Authorization, Content-Type, X-Experience-API-Version"


@pytest.mark.parametrize(
    ("code", "headers", "launch", "expected"),
    [
        (204, {"Access-Control-Allow-Origin": ORIGIN, "Access-Control-Allow-Headers": ALL_HEADERS}, True, "pass"),
        (200, {"access-control-allow-origin": "*", "access-control-allow-headers": "*"}, True, "pass"),
        (399, {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": ALL_HEADERS.lower()}, True, "pass"),
        (400, {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*"}, True, "fail"),
        (204, {"Access-Control-Allow-Origin": "https://other.example", "Access-Control-Allow-Headers": "*"}, True, "fail"),
        (204, {"Access-Control-Allow-Origin": ORIGIN, "Access-Control-Allow-Headers": "Authorization, Content-Type"}, True, "fail"),
        (204, {"Access-Control-Allow-Origin": ORIGIN}, True, "fail"),
        (204, {"Access-Control-Allow-Headers": "*"}, True, "fail"),
        (204, {"Access-Control-Allow-Origin": ORIGIN}, False, "unsupported"),
    ],
)  # fmt: skip
def test_the_cors_preflight(code, headers, launch, expected):
    ctx = context() if launch else CertContext.create(CertInputs([], endpoint="https://lrs/x/"))
    preflight = answered(code, headers=headers, method="OPTIONS")
    assert status(sending("preflight", preflight, ctx), "cors.preflight") == expected


@pytest.mark.parametrize(
    ("name", "check_id", "passing", "failing"),
    [
        ("malformed", "xapi.malformed-refused", (400,), (200, 401, 403, 422, 500)),
        ("bad-credentials", "auth.bad-credentials", (401, 403), (200, 400, 404, 500)),
    ],
)
def test_refusals_by_status(name, check_id, passing, failing):
    for code in passing:
        assert status(sending(name, answered(code)), check_id) == "pass", code
    for code in failing:
        assert status(sending(name, answered(code)), check_id) == "fail", code


@pytest.mark.parametrize(
    ("code", "headers", "expected"),
    [
        (200, {"X-Experience-API-Version": "1.0.3"}, "pass"),
        (404, {"x-experience-api-version": ""}, "pass"),
        (200, {}, "unsupported"),
        (403, {"X-Experience-API-Version": "1.0.3"}, "unsupported"),
        (204, {"X-Experience-API-Version": "1.0.3"}, "unsupported"),
    ],
)
def test_the_state_resource(code, headers, expected):
    assert status(sending("state", answered(code, headers=headers)), "xapi.documents") == expected


def recorded(*exchanges: Exchange) -> CertContext:
    ctx = context()
    ctx.http.exchanges.extend(exchanges)
    return ctx


def test_no_server_errors():
    assert status(recorded(), "xapi.no-server-errors") == "skipped"
    assert status(recorded(answered(None, error="DNS failure")), "xapi.no-server-errors") == (
        "skipped"
    )
    assert status(recorded(answered(200), answered(499)), "xapi.no-server-errors") == "pass"
    assert status(recorded(answered(200), answered(500)), "xapi.no-server-errors") == "fail"
    found = outcome(
        recorded(*(answered(503, label=f"r{i}") for i in range(6))), "xapi.no-server-errors"
    )
    assert (found.status, [e.label for e in found.finding.evidence]) == ("fail", ["r0", "r1", "r2", "r3"])  # fmt: skip


AUTH = {"Authorization": "Basic x"}
VERSION = {"X-Experience-API-Version": "1.0.3"}


def xapi_answer(code: int, headers: dict[str, str], **kwargs: Any) -> Exchange:
    return answered(code, headers=headers, request_headers=kwargs.pop("auth", AUTH), **kwargs)


@pytest.mark.parametrize(
    ("exchanges", "expected"),
    [
        ([xapi_answer(200, VERSION), xapi_answer(400, VERSION)], "pass"),
        ([xapi_answer(200, VERSION), xapi_answer(400, {})], "fail"),
        ([xapi_answer(499, {})], "fail"),
        ([xapi_answer(200, VERSION), xapi_answer(500, {})], "pass"),  # a 5xx is judged apart
        ([xapi_answer(200, VERSION), xapi_answer(200, {}, method="OPTIONS")], "pass"),
        ([xapi_answer(200, VERSION), xapi_answer(200, {}, url="https://lms.example/fetch/a")], "pass"),
        ([xapi_answer(200, VERSION), xapi_answer(200, {}, auth={})], "pass"),
        ([xapi_answer(200, {}, auth={})], "skipped"),
        ([xapi_answer(500, {})], "skipped"),
    ],
)  # fmt: skip
def test_the_version_header_on_responses(exchanges, expected):
    assert status(recorded(*exchanges), "xapi.version-header") == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        ((0.1, 0.5), "pass"),
        ((0.1, 1.0), "pass"),
        ((0.1, 1.01), "warn"),
        ((0.1, 2.0), "warn"),
        ((2.01, 0.1), "fail"),
    ],
)
def test_response_times(seconds, expected):
    ctx = recorded(*(answered(200, seconds=s, label=f"r{s}") for s in seconds))
    found = outcome(ctx, "performance.response-times")
    assert found.status == expected
    if expected != "pass":
        assert [e.label for e in found.finding.evidence] == [f"r{max(seconds)}"]


def test_a_request_without_an_answer_in_time_fails_response_times():
    ctx = recorded(answered(200), answered(None, error="no answer within 10 s", label="late"))
    found = outcome(ctx, "performance.response-times")
    assert (found.status, [e.label for e in found.finding.evidence]) == ("fail", ["late"])
    refused = recorded(answered(200), answered(None, error="connection refused"))
    assert status(refused, "performance.response-times") == "pass"
    assert status(recorded(), "performance.response-times") == "skipped"


# -- launch.py -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("https://lrs.example/xapi/", "pass"),
        ("http://lrs.example/xapi/", "pass"),
        ("https://lrs.example/xapi", "warn"),
        ("ftp://lrs.example/xapi/", "fail"),
        ("https:///xapi/", "fail"),
        ("lrs.example/xapi/", "fail"),
        (None, "fail"),
    ],
)
def test_the_destination_from_the_api_url(endpoint, expected):
    ctx = CertContext.create(CertInputs([], endpoint=endpoint))
    assert status(ctx, "destination") == expected


def test_the_endpoint_parameter_is_the_destination_before_the_api_url():
    ctx = context(endpoint="ftp://configured.example/")
    assert (ctx.destination, status(ctx, "destination")) == ("https://lrs.example/xapi/", "pass")


@pytest.mark.parametrize(
    ("launch", "expected"),
    [
        (LAUNCH, "pass"),
        (launch_with(registration=None), "warn"),
        (launch_with(fetch=None), "warn"),
        (launch_with(endpoint=None), "warn"),
        (launch_with(actor=None), "fail"),
        (launch_with(activityId=None), "fail"),
    ],
)
def test_the_required_parameters(launch, expected):
    assert status(context(launch), "launch.required-parameters") == expected


def test_launch_checks_without_a_launch_url_are_skipped():
    ctx = CertContext.create(CertInputs([], endpoint="https://lrs.example/xapi/"))
    for check_id in (
        "launch.required-parameters",
        "launch.no-html-entities",
        "launch.values-encoded",
        "launch.fetch-url",
        "launch.actor",
        "launch.registration-uuid",
        "launch.activity-id",
    ):
        assert status(ctx, check_id) == "skipped", check_id


def test_html_entities_and_encoding():
    assert status(context(), "launch.no-html-entities") == "pass"
    assert status(context(LAUNCH.replace("&", "&amp;")), "launch.no-html-entities") == "fail"
    assert status(context(), "launch.values-encoded") == "pass"
    assert status(context(LAUNCH.replace("&", "&amp;")), "launch.values-encoded") == "pass"
    for raw in ('{"a"}', "a b", "a<b", "a|b", "a\\b", "a^b", "a`b", "é", "a>b"):
        assert status(context(f"{LAUNCH}&extra={raw}"), "launch.values-encoded") == "fail", raw
    assert status(context(LAUNCH + "&flag"), "launch.values-encoded") == "pass"


@pytest.mark.parametrize(
    ("fetch", "expected"),
    [
        ("https://lms.example/fetch/abcdefgh", "pass"),
        ("http://lms.example/fetch/abcdefgh", "pass"),
        ("https%3A%2F%2Flms.example%2Ffetch%2Fabcdefgh", "fail"),  # encoded twice
        ("/fetch/abcdefgh", "fail"),
        (None, "skipped"),
    ],
)
def test_the_fetch_url(fetch, expected):
    assert status(context(launch_with(fetch=fetch)), "launch.fetch-url") == expected


def test_every_launch_url_s_fetch_is_judged():
    twice = launch_with(fetch="/fetch/abcdefgh")
    assert status(context(LAUNCH, twice), "launch.fetch-url") == "fail"


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (ACTOR, "pass"),
        ('{"objectType":"Agent","mbox":"mailto:l@lms.example"}', "warn"),
        ('{"objectType":"Agent","account":{"homePage":"https://lms.example"}}', "fail"),
        ('{"objectType":"Agent"}', "fail"),
        ("[1]", "skipped"),  # unreadable: launch.required-parameters fails it
    ],
)
def test_the_actor(actor, expected):
    ctx = context(launch_with(actor=actor))
    assert status(ctx, "launch.actor") == expected


@pytest.mark.parametrize(
    ("registration", "expected"),
    [(ID, "pass"), (ID.upper(), "pass"), ("r-1", "fail"), (ID[:-1], "fail"), (None, "skipped")],
)
def test_the_registration(registration, expected):
    assert status(context(launch_with(registration=registration)), "launch.registration-uuid") == (
        expected
    )


def test_the_activity_id():
    au = "https://lms.example/au"
    assert status(context(), "launch.activity-id") == "pass"
    assert status(context(expected_activity_id=au), "launch.activity-id") == "pass"
    assert status(context(expected_activity_id=au + "/2"), "launch.activity-id") == "fail"
    assert status(context(launch_with(activityId="au-1")), "launch.activity-id") == "fail"


# -- fetch.py --------------------------------------------------------------------------------------

JSON = {"Content-Type": "application/json; charset=utf-8"}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (answered(200, {"auth-token": "dXNlcjpzZWNyZXQ="}, headers=JSON), "pass"),
        (answered(200, {"auth-token": "dXNlcjpzZWNyZXQ="}, headers={"Content-Type": "text/plain"}), "warn"),
        (answered(200, {"auth-token": "dXNlcjpzZWNyZXQ="}), "warn"),
        (answered(200, {"auth-token": "Basic dXNlcjpzZWNyZXQ="}, headers=JSON), "fail"),
        (answered(200, {"auth-token": "basic dXNlcjpzZWNyZXQ="}, headers=JSON), "fail"),
        (answered(201, {"auth-token": "dXNlcjpzZWNyZXQ="}, headers=JSON), "fail"),
        (answered(200, {"auth-token": ""}, headers=JSON), "fail"),
        (answered(200, {"error-code": "2"}, headers=JSON), "fail"),
        (answered(None, error="connection refused"), "fail"),
    ],
)  # fmt: skip
def test_the_fetch_token(answer, expected):
    assert status(sending("fetch", answer), "fetch.token") == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (answered(200, {"error-code": "1", "error-text": "already"}), "pass"),
        (answered(200, {"error-code": "2"}), "warn"),
        (answered(200, {"error-code": "3"}), "warn"),
        (answered(200, {"error-code": 1}), "fail"),
        (answered(200, {"error-code": "4"}), "fail"),
        (answered(200, {}), "fail"),
        (answered(200, ["1"]), "fail"),
        (answered(401, {"error-code": "1"}), "fail"),
        (answered(200, {"auth-token": "t2"}), "fail"),
    ],
)
def test_a_second_fetch(answer, expected):
    assert status(sending("fetch-again", answer), "fetch.single-use") == expected


def test_a_fetch_by_get():
    assert status(sending("fetch-get", answered(405)), "fetch.get-refused") == "pass"
    assert (
        status(sending("fetch-get", answered(200, {"auth-token": "t"})), "fetch.get-refused")
        == "fail"
    )
    assert status(context(), "fetch.get-refused") == "skipped"


# -- statements.py ---------------------------------------------------------------------------------

SENT = {"id": ID, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}}


@pytest.mark.parametrize(
    ("code", "body", "sent", "expected"),
    [
        (200, [ID], SENT, "pass"),
        (200, ["other", ID], SENT, "pass"),
        (200, ["other"], {"verb": {}}, "pass"),  # no id sent: any id is the LRS's own
        (200, ["other"], SENT, "fail"),
        (200, [], SENT, "fail"),
        (200, {"success": True}, SENT, "fail"),
        (204, "", SENT, "fail"),
        (201, [ID], SENT, "fail"),
        (400, {"error": "bad", "requirement": "9.3.0.0-4"}, SENT, "fail"),
        (None, "", SENT, "fail"),
    ],
)
def test_the_completed_statement_is_stored(code, body, sent, expected):
    ex = answered(code, body, sent=sent, error=None if code else "connection refused")
    assert status(sending("documented.completed", ex), "statement.completed") == expected


def test_a_put_answers_204():
    assert status(sending("documented.put", answered(204)), "statement.put") == "pass"
    for code in (200, 201, 400):
        assert status(sending("documented.put", answered(code)), "statement.put") == "fail"


# -- cmi5.py ---------------------------------------------------------------------------------------

TEMPLATE = {"extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "s"}}


@pytest.mark.parametrize(
    ("code", "data", "expected"),
    [
        (200, {"contextTemplate": TEMPLATE, "launchMode": "Normal", "moveOn": "Completed"}, "pass"),
        (200, {"contextTemplate": TEMPLATE, "launchMode": "Review", "moveOn": "NotApplicable"}, "pass"),
        (200, {"contextTemplate": TEMPLATE, "launchMode": "normal", "moveOn": "Completed"}, "warn"),
        (200, {"contextTemplate": TEMPLATE, "launchMode": "Browse", "moveOn": "Done"}, "warn"),
        (200, {"contextTemplate": TEMPLATE, "launchMode": "Normal"}, "warn"),
        (200, {"contextTemplate": [], "launchMode": "Normal", "moveOn": "Completed"}, "fail"),
        (200, [], "fail"),
        (201, {"contextTemplate": TEMPLATE, "launchMode": "Normal", "moveOn": "Completed"}, "fail"),
    ],
)  # fmt: skip
def test_launch_data(code, data, expected):
    found = outcome(sending("cmi5.launch-data", answered(code, data)), "cmi5.launch-data")
    assert found.status == expected


@pytest.mark.parametrize(
    ("code", "prefs", "expected"),
    [
        (404, "", "pass"),
        (200, {"languagePreference": "en-US,fr-FR", "audioPreference": "off"}, "pass"),
        (200, {"languagePreference": "en-US", "audioPreference": "on"}, "pass"),
        (200, {"languagePreference": "en-US"}, "warn"),
        (200, {"audioPreference": "on"}, "warn"),
        (200, {}, "fail"),
        (200, {"languagePreference": "en-US,", "audioPreference": "on"}, "fail"),
        (200, {"languagePreference": 5, "audioPreference": "on"}, "fail"),
        (200, {"languagePreference": "en-US", "audioPreference": "On"}, "fail"),
        (200, {"languagePreference": "en US"}, "fail"),
        (200, "[]", "fail"),
        (403, "", "fail"),
    ],
)
def test_learner_preferences(code, prefs, expected):
    found = outcome(sending("cmi5.preferences", answered(code, prefs)), "cmi5.learner-preferences")
    assert found.status == expected


def session(*answers: tuple[str, int, Any]) -> CertContext:
    ctx = context()
    for verb, code, body in answers:
        sending(f"cmi5.{verb}", answered(code, body, sent={"id": f"{verb}-id"}, label=verb), ctx)
    return ctx


def test_the_cmi5_session():
    ok = [("initialized", 200, ["initialized-id"]), ("completed", 200, ["completed-id"])]
    assert status(session(*ok, ("terminated", 200, ["terminated-id"])), "cmi5.session") == "pass"
    assert status(session(*ok), "cmi5.session") == "pass"
    found = outcome(session(*ok, ("terminated", 403, {"error": "x"})), "cmi5.session")
    assert (found.status, [e.label for e in found.finding.evidence]) == ("fail", ["terminated"])
    assert status(session(("initialized", 200, ["x"])), "cmi5.session") == "fail"
    assert status(session(("completed", 200, ["completed-id"])), "cmi5.session") == "skipped"


# -- readback.py -----------------------------------------------------------------------------------


def read_back(code: int | None, body: Any, *, attempts: int = 1, error: str | None = None):
    ctx = sending("documented.read-back", answered(code, body, method="GET", error=error))
    ctx.notes["read_back"] = {
        "documented.read-back": {"statement_id": ID, "attempts": attempts, "seconds": 1.5}
    }
    return outcome(ctx, "statement.read-back")


@pytest.mark.parametrize(
    ("code", "body", "expected"),
    [
        (200, {"id": ID}, "pass"),
        (200, [{"id": ID}], "warn"),
        (200, {"statements": [{"id": "x"}, {"id": ID}]}, "warn"),
        (200, {"statements": [{"id": "x"}]}, "fail"),
        (200, ["x", {"id": "y"}], "fail"),
        (200, {"id": "other"}, "fail"),
        (401, "", "warn"),
        (403, "", "warn"),
        (404, "", "fail"),
        (201, {"id": ID}, "fail"),
    ],
)
def test_the_documented_read_back(code, body, expected):
    assert read_back(code, body).status == expected


def test_a_late_read_back_passes_saying_so():
    assert read_back(200, {"id": ID}, attempts=3).status == "pass"
    assert read_back(None, "", error="connection refused").status == "skipped"


def cmi5_read_backs(*answers: tuple[str, int | None, Any]) -> CheckOutcome:
    ctx = context()
    notes = {}
    for verb, code, body in answers:
        name = f"cmi5.read-back.{verb}"
        error = None if code else "connection refused"
        sending(name, answered(code, body, method="GET", label=verb, error=error), ctx)
        notes[name] = {"statement_id": f"{verb}-id"}
    ctx.notes["read_back"] = notes
    return outcome(ctx, "cmi5.read-back")


def test_the_cmi5_read_back():
    good = [
        ("initialized", 200, {"id": "initialized-id"}),
        ("completed", 200, {"id": "completed-id"}),
    ]
    found = cmi5_read_backs(*good)
    assert (found.status, [e.label for e in found.finding.evidence]) == (
        "pass",
        ["initialized", "completed"],
    )
    assert cmi5_read_backs(*good, ("terminated", 401, "")).status == "pass"
    assert cmi5_read_backs(*good, ("terminated", 403, "")).status == "pass"
    assert cmi5_read_backs(("completed", 401, ""), *good[:1]).status == "warn"
    assert cmi5_read_backs(*good, ("terminated", 404, "")).status == "fail"
    assert cmi5_read_backs(("terminated", 200, [{"id": "terminated-id"}])).status == "warn"
    worst = cmi5_read_backs(("initialized", 401, ""), ("completed", 404, ""))
    assert (worst.status, [e.label for e in worst.finding.evidence]) == ("fail", ["completed"])
    assert cmi5_read_backs(("completed", None, "")).status == "fail"
    assert status(context(), "cmi5.read-back") == "skipped"


# -- browser.py ------------------------------------------------------------------------------------


def test_browser_judged():
    assert status(context(driver="browser"), "browser.judged") == "pass"
    assert status(context(driver="http"), "browser.judged") == "warn"


# -- the findings' fields --------------------------------------------------------------------------
# What each finding rests on (requirement), where (path) and what it compared (expected, actual):
# the fields reports, tools and these tests read instead of the words.

STORED, TOKEN, VERSION_HEADER = "xAPI-C §2.1.2", "$.auth-token", "header:X-Experience-API-Version"
SPEED = "weare-harness: warn above 1 s, fail above 2 s"
MODES, MOVE_ON = ["Normal", "Browse", "Review"], [
    "Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable",
]  # fmt: skip
GOOD = {"contextTemplate": TEMPLATE, "launchMode": "Normal", "moveOn": "Completed"}
LACKING = ["x-experience-api-version"]
NO_REDIRECT = {"Location": "https://lrs.example/xapi/statements/"}
TOKEN_JSON = {"auth-token": "dXNlcjpzZWNyZXQ="}
BASIC = {"auth-token": "Basic dXNlcjpzZWNyZXQ="}
MISSING = ["endpoint", "fetch", "registration"]


def sent(name: str, code: int, body: Any = "", **kwargs: Any):
    return lambda: sending(name, answered(code, body, **kwargs))


def launched(url: str = LAUNCH, **inputs: Any):
    return lambda: context(url, **inputs)


def api_url(endpoint: str | None):
    return lambda: CertContext.create(CertInputs([], endpoint=endpoint))


def times(*seconds: float):
    return lambda: recorded(*(answered(200, seconds=s, label=f"r{s}") for s in seconds))


A = ABSENT
FIELDS = [
    # xapi.py
    (sent("trailing-slash", 301, headers=NO_REDIRECT), "xapi.trailing-slash", "fail", "8.1.1.0-3", "", A, 301),
    (sent("trailing-slash", 404), "xapi.trailing-slash", "fail", "8.1.1.0-3", "", A, 404),
    (sent("trailing-slash", 405), "xapi.trailing-slash", "pass", "8.1.1.0-3", "", A, 405),
    (sent("preflight", 204, method="OPTIONS", headers={"Access-Control-Allow-Origin": "https://o.example", "Access-Control-Allow-Headers": "*"}),
     "cors.preflight", "fail", "Fetch standard (CORS)", "header:Access-Control-Allow-Origin", [ORIGIN, "*"], "https://o.example"),
    (sent("preflight", 204, method="OPTIONS", headers={"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization, Content-Type"}),
     "cors.preflight", "fail", "Fetch standard (CORS)", "header:Access-Control-Allow-Headers", [], LACKING),
    (sent("preflight", 400, method="OPTIONS", headers={"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*"}),
     "cors.preflight", "fail", "Fetch standard (CORS)", "", A, 400),
    (sent("preflight", 204, method="OPTIONS", headers={"Access-Control-Allow-Origin": ORIGIN, "Access-Control-Allow-Headers": ALL_HEADERS}),
     "cors.preflight", "pass", "Fetch standard (CORS)", "", A, 204),
    (sent("malformed", 200), "xapi.malformed-refused", "fail", "xAPI-C §3.2", "", 400, 200),
    (sent("malformed", 400), "xapi.malformed-refused", "pass", "xAPI-C §3.2", "", 400, 400),
    (sent("bad-credentials", 200), "auth.bad-credentials", "fail", "xAPI-C §4", "", [401, 403], 200),
    (sent("bad-credentials", 403), "auth.bad-credentials", "pass", "xAPI-C §4", "", [401, 403], 403),
    (sent("state", 200), "xapi.documents", "unsupported", "xAPI-C §2.3", VERSION_HEADER, "1.0.3", None),
    (sent("state", 403, headers=VERSION), "xapi.documents", "unsupported", "xAPI-C §2.3", "", [200, 404], 403),
    (sent("state", 404, headers=VERSION), "xapi.documents", "pass", "xAPI-C §2.3", "", [200, 404], 404),
    (lambda: recorded(answered(200, label="a"), answered(503, label="b")), "xapi.no-server-errors", "fail", "xAPI-C §3.2", "", [], ["b"]),
    (lambda: recorded(answered(200, label="a")), "xapi.no-server-errors", "pass", "xAPI-C §3.2", "", [], []),
    (lambda: recorded(), "xapi.no-server-errors", "skipped", "xAPI-C §3.2", "", A, A),
    (lambda: recorded(xapi_answer(200, VERSION, label="a"), xapi_answer(400, {}, label="b")),
     "xapi.version-header", "fail", "xAPI-C §3.3", VERSION_HEADER, [], ["b"]),
    (lambda: recorded(xapi_answer(200, VERSION, label="a")), "xapi.version-header", "pass", "xAPI-C §3.3", VERSION_HEADER, [], []),
    (lambda: recorded(), "xapi.version-header", "skipped", "xAPI-C §3.3", "", A, A),
    (times(0.1, 0.5), "performance.response-times", "pass", SPEED, "", 1.0, 0.5),
    (times(0.1, 1.5), "performance.response-times", "warn", SPEED, "", 1.0, 1.5),
    (times(2.5, 0.1), "performance.response-times", "fail", SPEED, "", 2.0, 2.5),
    (lambda: recorded(answered(200), answered(None, error="no answer within 10 s", label="late")),
     "performance.response-times", "fail", SPEED, "", [], ["late"]),
    # launch.py
    (launched(), "launch.required-parameters", "pass", "seed: Required Query Parameters", "", MISSING, MISSING),
    (launched(launch_with(registration=None)), "launch.required-parameters", "warn", "seed: Required Query Parameters", "query:registration", MISSING, ["endpoint", "fetch"]),
    (launched(launch_with(endpoint=None, fetch=None)), "launch.required-parameters", "warn", "seed: Required Query Parameters", "query:endpoint", MISSING, ["registration"]),
    (launched(launch_with(actor=None)), "launch.required-parameters", "fail", "seed: Required Query Parameters", "query:actor", A, A),
    (launched(LAUNCH.replace("&", "&amp;")), "launch.no-html-entities", "fail", "cmi5 §8.1", "query", 0, 4),
    (launched(), "launch.no-html-entities", "pass", "cmi5 §8.1", "query", 0, 0),
    (launched(f"{LAUNCH}&extra=a b&more={{}}"), "launch.values-encoded", "fail", "8.1.0.0-8", "query:extra", [], ["extra", "more"]),
    (launched(), "launch.values-encoded", "pass", "8.1.0.0-8", "query", [], []),
    (launched(launch_with(fetch="/fetch/abcdefgh")), "launch.fetch-url", "fail", "8.1.2.0-1", "query:fetch", A, ["/fetch/abcdefgh"]),
    (launched(launch_with(fetch="http://lms.example/f")), "launch.fetch-url", "pass", "8.1.2.0-1", "query:fetch", A, "http"),
    (launched(launch_with(fetch=None)), "launch.fetch-url", "skipped", "8.1.2.0-1", "query:fetch", A, A),
    (launched(launch_with(actor='{"objectType":"Agent","mbox":"mailto:l@lms.example"}')),
     "launch.actor", "warn", "9.2.0.0-3", "query:actor.account", "account", "mbox"),
    (launched(launch_with(actor='{"objectType":"Agent","account":{"homePage":"https://lms.example"}}')),
     "launch.actor", "fail", "xAPI-D §2.4.2.4 XAPI-00043", "query:actor.account.name", A, A),
    (launched(), "launch.actor", "pass", "9.2.0.0-3", "query:actor.account", "account", "account"),
    (launched(launch_with(registration="r-1")), "launch.registration-uuid", "fail", "8.1.4.0-1", "query:registration", A, "r-1"),
    (launched(), "launch.registration-uuid", "pass", "8.1.4.0-1", "query:registration", A, ID),
    (launched(launch_with(registration=None)), "launch.registration-uuid", "skipped", "8.1.4.0-1", "query:registration", A, A),
    (launched(launch_with(activityId="au-1")), "launch.activity-id", "fail", "8.1.5.0-1", "query:activityId", A, "au-1"),
    (launched(), "launch.activity-id", "pass", "8.1.5.0-1", "query:activityId", A, PARAMS["activityId"]),
    (launched(expected_activity_id="https://lms.example/au/2"), "launch.activity-id", "fail", "8.1.5.0-4", "query:activityId", "https://lms.example/au/2", PARAMS["activityId"]),
    (launched(expected_activity_id=PARAMS["activityId"]), "launch.activity-id", "pass", "8.1.5.0-4", "query:activityId", PARAMS["activityId"], PARAMS["activityId"]),
    (api_url("https://lrs.example/xapi"), "destination", "warn", "8.1.1.0-3", "", "https://lrs.example/xapi/", "https://lrs.example/xapi"),
    (api_url("ftp://lrs.example/xapi/"), "destination", "fail", "seed: The endpoint query parameter has precedence.", "", A, "ftp://lrs.example/xapi/"),
    (api_url(None), "destination", "fail", "seed: The endpoint query parameter has precedence.", "query:endpoint", A, A),
    (launched(), "destination", "pass", "8.1.1.0-3", "query:endpoint", PARAMS["endpoint"], PARAMS["endpoint"]),
    # fetch.py
    (sent("fetch", 201, TOKEN_JSON, headers=JSON), "fetch.token", "fail", "8.2.1.0-3", "", 200, 201),
    (sent("fetch", 200, {"auth-token": ""}, headers=JSON), "fetch.token", "fail", "8.2.1.0-3", TOKEN, A, A),
    (sent("fetch", 200, BASIC, headers=JSON), "fetch.token", "fail", "8.2.2.0-5", TOKEN, A, A),
    (sent("fetch", 200, TOKEN_JSON, headers={"Content-Type": "text/plain"}), "fetch.token", "warn", "8.2.2.0-1", "header:Content-Type", "application/json", "text/plain"),
    (sent("fetch", 200, TOKEN_JSON), "fetch.token", "warn", "8.2.2.0-1", "header:Content-Type", "application/json", ""),
    (sent("fetch", 200, TOKEN_JSON, headers=JSON), "fetch.token", "pass", "8.2.2.0-1", "header:Content-Type", "application/json", JSON["Content-Type"]),
    (sent("fetch-again", 200, {"auth-token": "t2"}), "fetch.single-use", "fail", "8.2.3.0-1", TOKEN, A, A),
    (sent("fetch-again", 401, {"error-code": "1"}), "fetch.single-use", "fail", "8.2.3.2-1", "", 200, 401),
    (sent("fetch-again", 200, ["1"]), "fetch.single-use", "fail", "8.2.3.2-1", "$", A, A),
    (sent("fetch-again", 200, {"error-code": "2"}), "fetch.single-use", "warn", "8.2.3.2-1", "$.error-code", "1", "2"),
    (sent("fetch-again", 200, {"error-code": 1}), "fetch.single-use", "fail", "8.2.3.2-1", "$.error-code", "1", 1),
    (sent("fetch-again", 200, {"error-code": "1"}), "fetch.single-use", "pass", "8.2.3.2-1", "$.error-code", "1", "1"),
    (sent("fetch-get", 200, {"auth-token": "t"}), "fetch.get-refused", "fail", "8.2.1.0-2", TOKEN, A, A),
    (sent("fetch-get", 405), "fetch.get-refused", "pass", "8.2.1.0-2", TOKEN, A, A),
    # statements.py
    (sent("documented.completed", 200, [ID], sent=SENT), "statement.completed", "pass", STORED, "$", ID, [ID]),
    (sent("documented.completed", 200, ["other"], sent=SENT), "statement.completed", "fail", STORED, "$", ID, ["other"]),
    (sent("documented.completed", 200, ["other"], sent=[SENT]), "statement.completed", "pass", STORED, "$", None, ["other"]),
    (sent("documented.completed", 400, {"error": "bad"}, sent=SENT), "statement.completed", "fail", STORED, "", 200, 400),
    (sent("documented.put", 200), "statement.put", "fail", "xAPI-C §2.1.1", "", 204, 200),
    (sent("documented.put", 204), "statement.put", "pass", "xAPI-C §2.1.1", "", 204, 204),
    # cmi5.py
    (sent("cmi5.launch-data", 201, GOOD), "cmi5.launch-data", "fail", "10.1.0.0-1", "", 200, 201),
    (sent("cmi5.launch-data", 200, []), "cmi5.launch-data", "fail", "10.1.0.0-1", "$", A, A),
    (sent("cmi5.launch-data", 200, {**GOOD, "contextTemplate": []}), "cmi5.launch-data", "fail", "10.2.1.0-1", "$.contextTemplate", A, []),
    (sent("cmi5.launch-data", 200, {**GOOD, "launchMode": "normal", "moveOn": "Done"}), "cmi5.launch-data", "warn", "10.2.2.0-4", "$.launchMode", MODES, "normal"),
    (sent("cmi5.launch-data", 200, {"contextTemplate": TEMPLATE, "launchMode": "Review"}), "cmi5.launch-data", "warn", "10.2.5.0-1", "$.moveOn", MOVE_ON, None),
    (sent("cmi5.launch-data", 200, GOOD), "cmi5.launch-data", "pass", "10.1.0.0-1", "", A, A),
    (sent("cmi5.preferences", 403), "cmi5.learner-preferences", "fail", "11.0.0.0-5", "", [200, 404], 403),
    (sent("cmi5.preferences", 404), "cmi5.learner-preferences", "pass", "11.0.0.0-5", "", [200, 404], 404),
    (sent("cmi5.preferences", 200, []), "cmi5.learner-preferences", "fail", "11.0.0.0-5", "$", A, []),
    (sent("cmi5.preferences", 200, {}), "cmi5.learner-preferences", "fail", "11.0.0.0-5", "$.languagePreference", A, None),
    (sent("cmi5.preferences", 200, {"languagePreference": "en-US", "audioPreference": "On"}),
     "cmi5.learner-preferences", "fail", "11.0.0.0-5", "$.audioPreference", A, "On"),
    (sent("cmi5.preferences", 200, {"languagePreference": 5, "audioPreference": "On"}),
     "cmi5.learner-preferences", "fail", "11.0.0.0-5", "$.languagePreference", A, 5),
    (sent("cmi5.preferences", 200, {"audioPreference": "On"}),
     "cmi5.learner-preferences", "fail", "11.0.0.0-5", "$.audioPreference", A, "On"),
    (sent("cmi5.preferences", 200, {"languagePreference": "en US"}),
     "cmi5.learner-preferences", "fail", "11.0.0.0-5", "$.languagePreference", A, "en US"),
    (sent("cmi5.preferences", 200, {"languagePreference": "en-US"}),
     "cmi5.learner-preferences", "warn", "11.0.0.0-5", "$.audioPreference", A, None),
    (sent("cmi5.preferences", 200, {"audioPreference": "off"}),
     "cmi5.learner-preferences", "warn", "11.0.0.0-5", "$.languagePreference", A, None),
    (sent("cmi5.preferences", 200, {"languagePreference": "fr", "audioPreference": "on"}),
     "cmi5.learner-preferences", "pass", "11.0.0.0-5", "", [200, 404], 200),
    # browser.py
    (launched(driver="http"), "browser.judged", "warn", "seed: We Are runs in the learner's browser", "", "browser", "http"),
    (launched(driver="browser"), "browser.judged", "pass", "seed: We Are runs in the learner's browser", "", "browser", "browser"),
]  # fmt: skip


def fields(found: CheckOutcome) -> tuple[Any, ...]:
    f = found.finding
    return (f.status, f.requirement, f.path, f.expected, f.actual)


@pytest.mark.parametrize(
    ("make", "check_id", "verdict", "requirement", "path", "expected", "actual"), FIELDS
)
def test_the_fields_of_each_finding(make, check_id, verdict, requirement, path, expected, actual):
    found = outcome(make(), check_id)
    assert fields(found) == (verdict, requirement, path, expected, actual), found.finding.detail
    assert render(found.finding) == found.finding.detail  # certify's words stay its own sentence


@pytest.mark.parametrize(
    ("code", "body", "verdict", "requirement", "path", "expected", "actual"),
    [
        (200, {"id": ID}, "pass", STORED, "$.id", ID, ID),
        (200, [{"id": ID}], "warn", "xAPI-C §2.1.3", "$", "Statement", "array"),
        (200, {"statements": [{"id": ID}]}, "warn", "xAPI-C §2.1.3", "$", "Statement", "StatementResult"),
        (401, "", "warn", STORED, "", 200, 401),
        (404, "", "fail", STORED, "$.id", ID, None),
        (200, {"id": "other"}, "fail", STORED, "$.id", ID, "other"),
    ],
)  # fmt: skip
def test_the_fields_of_a_read_back(code, body, verdict, requirement, path, expected, actual):
    assert fields(read_back(code, body)) == (verdict, requirement, path, expected, actual)


def test_the_fields_of_the_cmi5_read_back():
    good = ("initialized", 200, {"id": "initialized-id"})
    ended = cmi5_read_backs(good, ("terminated", 403, ""))
    assert fields(ended) == ("pass", STORED, "", A, A)
    assert "the session ended: reading terminated back with its token answered 403" in (
        ended.finding.detail
    )
    lost = cmi5_read_backs(good, ("completed", None, ""))
    assert fields(lost) == ("fail", STORED, "", A, A)
    assert lost.finding.detail == "the completed statement's read-back got connection refused"


@pytest.mark.parametrize(
    ("code", "body", "detail"),
    [
        (200, ["other"], f'POST statements (Completed) answered 200 with ids ["other"] without the sent id {ID}; expected 200 with its id (xAPI-C §2.1.2)'),
        (200, [], "POST statements (Completed) answered 200 with an empty list of ids; expected 200 with its id (xAPI-C §2.1.2)"),
        (200, {"success": True}, 'POST statements (Completed) answered 200 {"success": true} without the statement ids; expected 200 with its id (xAPI-C §2.1.2)'),
        (204, "", "POST statements (Completed) answered 204 with an empty body without the statement ids; expected 200 with its id (xAPI-C §2.1.2)"),
        (200, " stored ", "POST statements (Completed) answered 200 stored without the statement ids; expected 200 with its id (xAPI-C §2.1.2)"),
        (400, {"error": "bad", "requirement": "9.3.0.0-4"}, """POST statements (Completed) answered 400 '{"error": "bad", "requirement": "9.3.0.0-4"}' (cmi5 9.3.0.0-4); expected 200 with its id"""),
    ],
)  # fmt: skip
def test_the_words_of_a_statement_not_stored(code, body, detail):
    ex = answered(code, body, sent=SENT, headers={"Content-Type": "text/plain"})
    found = outcome(sending("documented.completed", ex), "statement.completed")
    assert found.finding.detail == detail


def test_a_late_read_back_says_how_late():
    found = read_back(200, {"id": ID}, attempts=3)
    assert found.finding.detail == (
        "the accepted Completed statement reads back by id after 3 reads over 1.5 s "
        "(eventually consistent)"
    )
    lost = read_back(404, "", attempts=2)
    assert lost.finding.detail.startswith(
        f"the accepted Completed statement ({ID}) does not read back after 2 reads over 1.5 s "
        "(eventually consistent): "
    )


@pytest.mark.parametrize(
    ("prefs", "detail"),
    [
        ({}, "learner preferences answered 200 with {}: not a preferences document (no languagePreference and no audioPreference; cmi5 11.0.0.0-5)"),
        ({"languagePreference": "en US"}, """learner preferences answered 200 with {"languagePreference": "en US"}: not a preferences document (languagePreference 'en US' is not a comma-separated list of RFC 5646 tags (cmi5 11.1.0.0-1); no audioPreference; cmi5 11.0.0.0-5)"""),
        ({"languagePreference": "en", "audioPreference": "On"}, """learner preferences answered 200 with {"languagePreference": "en", "audioPreference": "On"}: not a preferences document (audioPreference 'On' is not 'on' or 'off' (cmi5 §11.2); cmi5 11.0.0.0-5)"""),
        ({"languagePreference": "en"}, "learner preferences lack audioPreference (cmi5 11.0.0.0-5 requires languagePreference and audioPreference)"),
        ({"audioPreference": "on"}, "learner preferences lack languagePreference (cmi5 11.0.0.0-5 requires languagePreference and audioPreference)"),
    ],
)  # fmt: skip
def test_the_words_of_learner_preferences(prefs, detail):
    ctx = sending("cmi5.preferences", answered(200, prefs))
    assert outcome(ctx, "cmi5.learner-preferences").finding.detail == detail


@pytest.mark.parametrize(
    ("body", "shape"),
    [([{"id": ID}], "a JSON array of 1"), ({"statements": [{"id": "x"}, {"id": ID}]}, "a StatementResult of 2")],
)  # fmt: skip
def test_a_read_back_in_a_list_names_its_shape(body, shape):
    found = read_back(200, body)
    assert found.finding.detail == (
        f"the accepted Completed statement is stored, but GET ?statementId= answered {shape} "
        "instead of the Statement object (xAPI-C §2.1.3); clients reading it by id find no "
        "statement"
    )
    assert (found.finding.diagnose, found.cause) == (False, None)  # a good answer's shape
    assert [e.method for e in found.finding.evidence] == ["GET"]


def test_the_words_of_a_read_back_on_time():
    assert read_back(200, {"id": ID}).finding.detail == (
        "the accepted Completed statement reads back by id"
    )
    lost = read_back(404, "")
    assert lost.finding.detail.startswith(
        f"the accepted Completed statement ({ID}) does not read back: 404"
    )
    refused = read_back(403, "")
    assert (refused.finding.detail, [e.method for e in refused.finding.evidence]) == (
        "reading the accepted Completed statement back is not permitted with these credentials "
        "(403)",
        ["GET"],
    )


def test_a_read_back_of_no_statement_or_no_json_fails_on_its_id():
    unknown = sending("documented.read-back", answered(200, {"id": ID}, method="GET"))
    assert fields(outcome(unknown, "statement.read-back")) == ("fail", STORED, "$.id", None, ID)
    assert fields(read_back(200, "not json")) == ("fail", STORED, "$.id", ID, None)
    assert fields(read_back(200, 5)) == ("fail", STORED, "$.id", ID, None)  # no list to search


def test_a_statement_post_answered_outside_2xx_or_with_no_named_requirement():
    ex = answered(300, {"error": "moved"}, sent=SENT)
    found = outcome(sending("documented.completed", ex), "statement.completed")
    assert fields(found) == ("fail", STORED, "", 200, 300)
    assert found.finding.detail == (
        "POST statements (Completed) answered 300 redirect to None; expected 200 with its id"
    )
    assert [e.status for e in found.finding.evidence] == [300]
    stored = ["x"]
    numbered = answered(200, stored, sent={"id": 5})  # an id that is no string is no sent id
    found = outcome(sending("documented.completed", numbered), "statement.completed")
    assert fields(found) == ("pass", STORED, "$", None, stored)


def test_long_answers_are_shown_to_120_characters():
    ids = ["a" * 200]
    found = outcome(
        sending("documented.completed", answered(200, ids, sent=SENT)), "statement.completed"
    )
    assert f"with ids {json.dumps(ids)[:120]} without the sent id" in found.finding.detail
    assert [e.status for e in found.finding.evidence] == [200]
    body = "b" * 200
    found = outcome(
        sending("documented.completed", answered(200, body, sent=SENT)), "statement.completed"
    )
    assert f"answered 200 {body[:120]} without the statement ids" in found.finding.detail
