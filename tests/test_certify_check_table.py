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
