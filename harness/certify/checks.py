"""certify's checks, in the order a We Are launch meets them. `CHECKS` lists them all.

Each check is a named function given the context; it returns a Finding whose detail quotes
what was sent and what came back. Its entry names the rule and source, why it matters for
We Are, and how a vendor fixes it.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fake_lms.xapi.validation import is_iri, is_uuid, validate_agent
from harness.certify.context import CertContext, basic_credential
from harness.certify.recorder import Exchange

PASS, WARN, FAIL, UNSUPPORTED, SKIPPED = "pass", "warn", "fail", "unsupported", "skipped"
XAPI_HEADERS = ("authorization", "content-type", "x-experience-api-version")
SLOW_WARN_S, SLOW_FAIL_S = 1.0, 2.0


@dataclass
class Finding:
    status: str
    detail: str
    exchanges: list[Exchange] = field(default_factory=list)


@dataclass(frozen=True)
class CertCheck:
    id: str
    title: str
    rule: str
    why: str
    fix: str
    func: Callable[[CertContext], Finding]


def _answer(ex: Exchange) -> str:
    """One readable line for what came back: the error, a redirect, a page title or the body."""
    if ex.error:
        return ex.error
    if ex.status is not None and 300 <= ex.status < 400:
        return f"{ex.status} redirect to {ex.header('Location')!r}"
    if "<html" in ex.response_body[:200].lower():
        title = re.search(r"<title>(.*?)</title>", ex.response_body, re.IGNORECASE | re.DOTALL)
        return f"{ex.status} (an HTML page{': ' + title.group(1).strip() if title else ''})"
    return f"{ex.status} {ex.response_body[:160]!r}"


# --- the launch URL ----------------------------------------------------------------------------


def launch_required_parameters(ctx: CertContext) -> Finding:
    if not ctx.has_launch:
        return Finding(SKIPPED, "no launch URL given (--launch-url)")
    if ctx.launch_error:
        return Finding(FAIL, ctx.launch_error)
    missing = [n for n in ("endpoint", "fetch", "registration") if n not in ctx.params]
    if missing:
        return Finding(
            WARN,
            f"actor and activityId are present; {missing} absent: We Are then uses the API URL "
            "and key configured in the integration (seed steps 2 and 3)",
        )
    return Finding(PASS, "actor, activityId, endpoint, fetch and registration are present")


def launch_no_html_entities(ctx: CertContext) -> Finding:
    if not ctx.has_launch:
        return Finding(SKIPPED, "no launch URL given")
    url = ctx.inputs.launch_urls[0]
    if "&amp;" in url:
        return Finding(FAIL, "the launch URL separates its pairs with '&amp;' instead of '&'")
    return Finding(PASS, "pairs are separated by '&'")


def launch_values_encoded(ctx: CertContext) -> Finding:
    if not ctx.has_launch or ctx.launch_error:
        return Finding(SKIPPED, "no readable launch URL")
    raw = urlsplit(ctx.inputs.launch_urls[0]).query
    unencoded = [
        pair.split("=", 1)[0]
        for pair in raw.split("&")
        if "=" in pair and re.search(r'[{}"\s<>|\\^`]|[^\x00-\x7f]', pair.split("=", 1)[1])
    ]
    if unencoded:
        return Finding(WARN, f"values not URL-encoded: {unencoded} (cmi5 8.1.0.0-8)")
    return Finding(PASS, "every value is URL-encoded")


def launch_actor_is_account_agent(ctx: CertContext) -> Finding:
    if not ctx.has_launch or ctx.launch_error:
        return Finding(SKIPPED, "no readable launch URL")
    problems = validate_agent(ctx.actor, "actor")
    if problems:
        return Finding(
            FAIL, f"actor {ctx.params['actor'][:120]} is not a valid xAPI Agent: {problems[0].rule}"
        )
    account = ctx.actor.get("account")
    if not isinstance(account, dict):
        ifi = next((k for k in ("mbox", "mbox_sha1sum", "openid") if k in ctx.actor), "?")
        return Finding(FAIL, f"actor is identified by {ifi}, not by an account (homePage, name)")
    return Finding(PASS, f"actor account {account.get('name')!r} at {account.get('homePage')!r}")


def launch_registration_uuid(ctx: CertContext) -> Finding:
    if not ctx.has_launch or ctx.launch_error:
        return Finding(SKIPPED, "no readable launch URL")
    registration = ctx.params.get("registration")
    if registration is None:
        return Finding(SKIPPED, "no registration parameter (optional for We Are)")
    if not is_uuid(registration):
        return Finding(FAIL, f"registration {registration[:60]!r} is not a UUID")
    return Finding(PASS, f"registration {registration} is a UUID")


def launch_activity_id_iri(ctx: CertContext) -> Finding:
    if not ctx.has_launch or ctx.launch_error:
        return Finding(SKIPPED, "no readable launch URL")
    activity = ctx.params["activityId"]
    if not is_iri(activity):
        return Finding(FAIL, f"activityId {activity[:80]!r} is not an absolute IRI")
    return Finding(PASS, f"activityId {activity}")


# --- where and with what We Are sends ---------------------------------------------------------


def destination_resolved(ctx: CertContext) -> Finding:
    endpoint = ctx.params.get("endpoint")
    ctx.destination = endpoint or ctx.inputs.endpoint
    if not ctx.destination:
        return Finding(FAIL, "no endpoint parameter and no --endpoint (API URL): nowhere to send")
    parts = urlsplit(ctx.destination)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return Finding(FAIL, f"destination {ctx.destination!r} is not an http(s) URL")
    source = "the endpoint launch parameter" if endpoint else "the API URL (--endpoint)"
    return Finding(PASS, f"We Are sends to {ctx.destination} ({source})")


def fetch_returns_token(ctx: CertContext) -> Finding:
    fetch = ctx.params.get("fetch")
    if not fetch:
        if ctx.inputs.api_key:
            ctx.authorization = f"Basic {basic_credential(ctx.inputs.api_key)}"
            ctx.credentials = "api-key"
            return Finding(SKIPPED, "no fetch parameter: We Are uses the configured API key")
        return Finding(FAIL, "no fetch parameter and no --api-key: We Are cannot authenticate")
    ex = ctx.fetch("fetch (POST)", fetch)
    token = ctx.token_from(ex)
    ok_type = (ex.header("Content-Type") or "").startswith("application/json")
    if ex.status != 200 or token is None:
        return Finding(
            FAIL, f"POST {fetch} answered {_answer(ex)}; expected 200 with auth-token", [ex]
        )
    ctx.http.add_secret(token)
    ctx.token = token
    ctx.credentials = "fetch-token"
    if token.lower().startswith("basic "):
        ctx.authorization = token
        return Finding(
            FAIL, "the auth-token already starts with 'Basic ': We Are sends 'Basic Basic …'", [ex]
        )
    ctx.authorization = f"Basic {token}"
    if not ok_type:
        return Finding(
            WARN, f"token given, but Content-Type is {ex.header('Content-Type')!r}", [ex]
        )
    return Finding(PASS, "POST answered 200 application/json with an auth-token", [ex])


def fetch_single_use(ctx: CertContext) -> Finding:
    fetch = ctx.params.get("fetch")
    if not fetch or ctx.token is None:
        return Finding(SKIPPED, "no token was fetched")
    ex = ctx.fetch("fetch again (POST)", fetch)
    body = ex.json()
    if ctx.token_from(ex):
        return Finding(FAIL, "a second POST handed out an auth-token again", [ex])
    if ex.status == 200 and isinstance(body, dict) and str(body.get("error-code")) in "123":
        return Finding(PASS, f"second POST: error-code {body.get('error-code')}", [ex])
    return Finding(
        WARN, f"second POST answered {_answer(ex)}; cmi5 expects 200 with error-code 1", [ex]
    )


def fetch_get_refused(ctx: CertContext) -> Finding:
    extra = ctx.inputs.launch_urls[1:]
    if not extra:
        return Finding(SKIPPED, "needs a second, unused launch URL (--launch-url twice)")
    try:
        from harness.story.client import parse_launch

        fetch = parse_launch(extra[0]).get("fetch")
    except Exception as exc:
        return Finding(FAIL, f"the second launch URL is unreadable: {exc}")
    if not fetch:
        return Finding(SKIPPED, "the second launch URL has no fetch parameter")
    ex = ctx.fetch("fetch (GET)", fetch, method="GET")
    if ctx.token_from(ex):
        return Finding(FAIL, "GET on the fetch URL handed out an auth-token", [ex])
    return Finding(PASS, f"GET answered {ex.status} without a token", [ex])


def cors_preflight(ctx: CertContext) -> Finding:
    if not ctx.destination:
        return Finding(SKIPPED, "no destination")
    ex = ctx.http.request(
        "CORS preflight",
        "OPTIONS",
        ctx.statements,
        headers={
            "Origin": ctx.inputs.origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": ",".join(XAPI_HEADERS),
        },
    )
    origin = ex.header("Access-Control-Allow-Origin")
    allowed = {
        h.strip().lower() for h in (ex.header("Access-Control-Allow-Headers") or "").split(",")
    }
    missing = [h for h in XAPI_HEADERS if h not in allowed and "*" not in allowed]
    if (
        ex.status is not None
        and ex.status < 400
        and origin in (ctx.inputs.origin, "*")
        and not missing
    ):
        return Finding(PASS, f"preflight {ex.status}, origin and headers allowed", [ex])
    detail = (
        f"preflight answered {_answer(ex)}; Allow-Origin {origin!r}; headers not allowed {missing}"
    )
    if not ctx.has_launch:
        return Finding(
            UNSUPPORTED,
            "not supported by this LRS (matters only for statements sent "
            f"from the browser): {detail}",
            [ex],
        )
    return Finding(FAIL, detail, [ex])


def launch_data_readable(ctx: CertContext) -> Finding:
    if not ctx.params.get("fetch") or ctx.authorization is None:
        return Finding(SKIPPED, "only for cmi5 launches (with fetch)")
    ex = ctx.http.request(
        "LMS.LaunchData",
        "GET",
        ctx.resource("activities/state"),
        headers=ctx.xapi_headers(),
        params={
            "stateId": "LMS.LaunchData",
            "activityId": ctx.params["activityId"],
            "agent": ctx.params["actor"],
            "registration": ctx.params.get("registration", ""),
        },
    )
    data = ex.json()
    if ex.status == 200 and isinstance(data, dict) and "contextTemplate" in data:
        return Finding(
            PASS, f"launchMode {data.get('launchMode')!r}, moveOn {data.get('moveOn')!r}", [ex]
        )
    return Finding(FAIL, f"GET LMS.LaunchData answered {_answer(ex)}", [ex])


def completion_accepted(ctx: CertContext) -> Finding:
    if not ctx.destination or ctx.authorization is None:
        return Finding(SKIPPED, "no destination or no credentials")
    stmt = ctx.completion()
    ex = ctx.http.request(
        "POST Completed statement",
        "POST",
        ctx.statements,
        headers=ctx.xapi_headers(body=True),
        body=stmt,
    )
    ids = ex.json()
    if ex.status == 200 and isinstance(ids, list) and stmt["id"] in ids:
        ctx.statement_id = stmt["id"]
        return Finding(PASS, "the Completed statement was accepted (200 with its id)", [ex])
    if ex.status == 400 and "version" in ex.response_body.lower():
        return Finding(FAIL, f"X-Experience-API-Version 1.0.3 refused: {_answer(ex)}", [ex])
    worked = [
        e
        for e in ctx.http.exchanges[:-1]
        if e.status == 200 and e.method == "GET" and e.request_headers.get("Authorization")
    ]
    if ex.status == 401 and worked:
        return Finding(
            FAIL,
            f"answered 401 to credentials it accepted for {worked[-1].label!r}: "
            "401 means unknown credentials; refusing a known client is 403 "
            f"({_answer(ex)})",
            [ex],
        )
    requirement = re.search(r'"requirement":\s*"([^"]+)"', ex.response_body)
    hint = f" (cmi5 {requirement.group(1)})" if requirement else ""
    return Finding(FAIL, f"POST statements answered {_answer(ex)}{hint}", [ex])


def statement_put(ctx: CertContext) -> Finding:
    if not ctx.destination or ctx.authorization is None:
        return Finding(SKIPPED, "no destination or no credentials")
    stmt = ctx.completion()
    ex = ctx.http.request(
        "PUT statement",
        "PUT",
        ctx.statements,
        headers=ctx.xapi_headers(body=True),
        body=stmt,
        params={"statementId": stmt["id"]},
    )
    if ex.status == 204:
        return Finding(PASS, "PUT with statementId answered 204", [ex])
    return Finding(FAIL, f"PUT answered {_answer(ex)}; expected 204", [ex])


def version_header_on_responses(ctx: CertContext) -> Finding:
    xapi = [
        e
        for e in ctx.http.exchanges
        if e.status
        and ctx.destination
        and e.url.startswith(ctx.destination.rstrip("/"))
        and e.method != "OPTIONS"
    ]
    if not xapi:
        return Finding(SKIPPED, "no xAPI response to look at")
    lacking = [e for e in xapi if not e.header("X-Experience-API-Version")]
    if lacking:
        return Finding(
            FAIL,
            f"{len(lacking)} of {len(xapi)} xAPI responses lack X-Experience-API-Version",
            lacking[:3],
        )
    return Finding(PASS, f"all {len(xapi)} xAPI responses carry X-Experience-API-Version")


def statement_read_back(ctx: CertContext) -> Finding:
    if ctx.statement_id is None:
        return Finding(SKIPPED, "no statement was accepted")
    ex = ctx.http.request(
        "GET statement back",
        "GET",
        ctx.statements,
        headers=ctx.xapi_headers(),
        params={"statementId": ctx.statement_id},
    )
    body = ex.json()
    if ex.status == 200 and isinstance(body, dict) and body.get("id") == ctx.statement_id:
        return Finding(PASS, "the statement reads back by id", [ex])
    if ex.status in (401, 403):
        return Finding(
            WARN, f"reading back is not permitted with these credentials ({ex.status})", [ex]
        )
    return Finding(FAIL, f"the accepted statement does not read back: {_answer(ex)}", [ex])


def trailing_slash_tolerated(ctx: CertContext) -> Finding:
    if not ctx.destination or ctx.authorization is None:
        return Finding(SKIPPED, "no destination or no credentials")
    ex = ctx.http.request(
        "GET statements (no trailing slash)",
        "GET",
        ctx.statements,
        headers=ctx.xapi_headers(),
        params={"limit": "1"},
    )
    if ex.status is not None and 300 <= ex.status < 400:
        return Finding(
            FAIL,
            f"{ctx.statements} redirects ({ex.status} to "
            f"{ex.header('Location')!r}); a redirected POST loses its body",
            [ex],
        )
    if ex.status == 404:
        return Finding(FAIL, f"{ctx.statements} answered 404", [ex])
    return Finding(PASS, f"endpoint + 'statements' answered {ex.status}", [ex])


def malformed_refused(ctx: CertContext) -> Finding:
    if not ctx.destination or ctx.authorization is None:
        return Finding(SKIPPED, "no destination or no credentials")
    bad = {"verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}, "object": {"id": "x"}}
    ex = ctx.http.request(
        "POST malformed statement",
        "POST",
        ctx.statements,
        headers=ctx.xapi_headers(body=True),
        body=bad,
    )
    if ex.status == 400:
        return Finding(PASS, "a statement without actor was refused with 400", [ex])
    return Finding(FAIL, f"a statement without actor answered {_answer(ex)}; expected 400", [ex])


def bad_credentials_refused(ctx: CertContext) -> Finding:
    if not ctx.destination:
        return Finding(SKIPPED, "no destination")
    wrong = "Basic d2VhcmUtaGFybmVzczpub3QtYS1yZWFsLWtleQ=="  # weare-harness:not-a-real-key
    ex = ctx.http.request(
        "POST with wrong credentials",
        "POST",
        ctx.statements,
        headers=ctx.xapi_headers(body=True, authorization=wrong),
        body=ctx.completion(),
    )
    if ex.status in (401, 403):
        return Finding(PASS, f"wrong credentials refused with {ex.status}", [ex])
    return Finding(FAIL, f"wrong credentials answered {_answer(ex)}; expected 401 or 403", [ex])


def state_resource(ctx: CertContext) -> Finding:
    if not ctx.destination or ctx.authorization is None:
        return Finding(SKIPPED, "no destination or no credentials")
    if ctx.params.get("fetch"):
        return Finding(SKIPPED, "checked through LMS.LaunchData")
    ex = ctx.http.request(
        "GET a State document",
        "GET",
        ctx.resource("activities/state"),
        headers=ctx.xapi_headers(),
        params={
            "stateId": "weare-harness-probe",
            "activityId": "https://weare-harness.dev/certification/story",
            "agent": '{"mbox":"mailto:certification@weare-harness.dev"}',
        },
    )
    if ex.status in (200, 404) and ex.header("X-Experience-API-Version") is not None:
        return Finding(PASS, f"the State resource answers ({ex.status})", [ex])
    return Finding(
        UNSUPPORTED,
        f"not supported by this LRS: GET activities/state answered "
        f"{_answer(ex)} (We Are's documented flow does not need it)",
        [ex],
    )


def no_server_errors(ctx: CertContext) -> Finding:
    for _ in range(4):  # a few extra reads: intermittent 5xx show up over repetition
        if ctx.destination and ctx.authorization:
            ctx.http.request(
                "GET statements (stability)",
                "GET",
                ctx.statements,
                headers=ctx.xapi_headers(),
                params={"limit": "1"},
            )
    errors = [e for e in ctx.http.exchanges if e.status is not None and e.status >= 500]
    if errors:
        return Finding(
            FAIL,
            f"{len(errors)} of {len(ctx.http.exchanges)} requests answered 5xx: "
            + ", ".join(f"{e.label} → {e.status}" for e in errors[:4]),
            errors[:4],
        )
    return Finding(PASS, f"no 5xx in {len(ctx.http.exchanges)} requests")


def response_times(ctx: CertContext) -> Finding:
    timed = [e for e in ctx.http.exchanges if e.status is not None or e.error]
    if not timed:
        return Finding(SKIPPED, "no request was made")
    times = sorted(e.seconds for e in timed)
    slowest = max(timed, key=lambda e: e.seconds)
    summary = (
        f"p50 {statistics.median(times) * 1000:.0f} ms, slowest {slowest.seconds:.2f} s "
        f"({slowest.label})"
    )
    if any(e.error and "no answer" in e.error for e in timed) or slowest.seconds > SLOW_FAIL_S:
        return Finding(FAIL, summary, [slowest])
    if slowest.seconds > SLOW_WARN_S:
        return Finding(WARN, summary, [slowest])
    return Finding(PASS, summary)


SEED = "seed: Technical documentation"
CHECKS: tuple[CertCheck, ...] = (
    CertCheck(
        "launch.required-parameters",
        "The launch URL carries We Are's parameters",
        "seed: Required Query Parameters (actor, activityId); cmi5 §8.1",
        "Without actor and activityId We Are cannot tell who finished what.",
        "Add actor (JSON Agent) and activityId (IRI) to the launch URL's query.",
        launch_required_parameters,
    ),
    CertCheck(
        "launch.no-html-entities",
        "Query pairs are separated by '&', not '&amp;'",
        "cmi5 §8.1: name/value pairs in the query string",
        "We Are reads '&amp;actor' as a parameter named 'amp;actor' and finds no actor.",
        "Do not HTML-escape the launch URL when you build or store it.",
        launch_no_html_entities,
    ),
    CertCheck(
        "launch.values-encoded",
        "Launch values are URL-encoded",
        "cmi5 8.1.0.0-8",
        "Unencoded JSON or spaces break some browsers and proxies.",
        "URL-encode every value (encodeURIComponent / urllib.parse.quote).",
        launch_values_encoded,
    ),
    CertCheck(
        "launch.actor",
        "The actor is an xAPI Agent identified by an account",
        "seed: actor; xAPI-D §2.4.2; cmi5 9.2.0.0-3",
        "We Are echoes the actor in every statement; an invalid one is refused by the LRS.",
        'Send {"objectType":"Agent","account":{"homePage":"<your LMS>","name":"<learner id>"}}.',
        launch_actor_is_account_agent,
    ),
    CertCheck(
        "launch.registration-uuid",
        "The registration is a UUID",
        "seed: registration; cmi5 8.1.4.0-1; xAPI-D §2.4.6",
        "We Are echoes it as context.registration, which must be a UUID or the LRS refuses it.",
        "Generate registrations as UUIDs (RFC 4122).",
        launch_registration_uuid,
    ),
    CertCheck(
        "launch.activity-id",
        "The activityId is an absolute IRI",
        "seed: activityId; cmi5 8.1.5.0-1",
        "It becomes the statement's object id.",
        "Use an absolute URL/IRI as activityId.",
        launch_activity_id_iri,
    ),
    CertCheck(
        "destination",
        "We Are knows where to send",
        "seed: The endpoint query parameter has precedence.",
        "Completions go to the endpoint parameter, or to the configured API URL.",
        "Give the endpoint launch parameter, or configure the API URL in We Are.",
        destination_resolved,
    ),
    CertCheck(
        "fetch.token",
        "The fetch URL answers POST with an auth-token",
        "cmi5 8.2.1.0-2, 8.2.1.0-3, 8.2.2.0-1",
        "Without a token We Are cannot authenticate.",
        'Answer POST with 200 application/json {"auth-token": "<base64 credential>"}; '
        "hand out the credential without the 'Basic ' prefix.",
        fetch_returns_token,
    ),
    CertCheck(
        "fetch.single-use",
        "A second POST to the fetch URL gets an error, not a token",
        "cmi5 8.2.3.0-1, 8.2.3.2-1",
        "A reusable token lets anyone who sees the URL write as the learner.",
        'Hand the token out once; answer later calls 200 {"error-code": "1", ...}.',
        fetch_single_use,
    ),
    CertCheck(
        "fetch.get-refused",
        "GET on the fetch URL hands out no token",
        "cmi5 8.2.1.0-2",
        "A GET can be cached or prefetched and leak the token.",
        "Answer GET with 405 (or an error-code); only POST gives the token.",
        fetch_get_refused,
    ),
    CertCheck(
        "cors.preflight",
        "The CORS preflight allows We Are's origin and headers",
        "Fetch standard (CORS); xAPI-C §3.3 headers",
        "Statements sent from the learner's browser are blocked without it.",
        "Answer OPTIONS with Access-Control-Allow-Origin and Allow-Headers including "
        "Authorization, Content-Type and X-Experience-API-Version.",
        cors_preflight,
    ),
    CertCheck(
        "cmi5.launch-data",
        "LMS.LaunchData is readable with the token",
        "cmi5 §10.1 (10.1.0.0-1)",
        "cmi5 AUs read their context template there.",
        "Write LMS.LaunchData in the State API before each launch.",
        launch_data_readable,
    ),
    CertCheck(
        "statement.completed",
        "The Completed statement We Are sends is accepted",
        f"{SEED}: Example request from We Are to your LMS",
        "This is the completion the customer expects to see in the LMS.",
        "Accept the statement with 200 and its id; if you enforce cmi5, note that We Are's "
        "documented flow sends only this statement.",
        completion_accepted,
    ),
    CertCheck(
        "statement.put",
        "PUT with statementId answers 204",
        "xAPI-C §2.1.1",
        "Some We Are deployments store statements by id.",
        "Support PUT /statements?statementId=… with 204.",
        statement_put,
    ),
    CertCheck(
        "statement.read-back",
        "An accepted statement can be read back",
        "xAPI-C §2.1.2 (stored means retrievable)",
        "A statement answered 200 but not stored is a lost completion.",
        "Store what you acknowledge; allow GET ?statementId= for the same credentials.",
        statement_read_back,
    ),
    CertCheck(
        "xapi.trailing-slash",
        "endpoint + 'statements' works without redirects",
        "cmi5 8.1.1.0-3",
        "A redirected POST is resent as GET by many clients: the statement is lost.",
        "Serve <endpoint>statements directly (no 301/302, no trailing-slash requirement).",
        trailing_slash_tolerated,
    ),
    CertCheck(
        "xapi.malformed-refused",
        "A malformed statement is refused with 400",
        "xAPI-D §2.2; xAPI-C §3.2",
        "An LRS that accepts anything cannot be trusted to validate.",
        "Validate statements and answer 400 with a message.",
        malformed_refused,
    ),
    CertCheck(
        "auth.bad-credentials",
        "Wrong credentials are refused with 401 or 403",
        "xAPI-C §4",
        "Anyone could write completions otherwise.",
        "Authenticate every xAPI request.",
        bad_credentials_refused,
    ),
    CertCheck(
        "xapi.documents",
        "The State resource answers",
        "xAPI-C §2.3",
        "Not needed by the documented We Are flow; needed by cmi5 AUs.",
        "Implement the State resource.",
        state_resource,
    ),
    CertCheck(
        "xapi.no-server-errors",
        "No request is answered with 5xx",
        "xAPI-C §3.2",
        "A 5xx on the completion loses it unless We Are retries.",
        "Find the cause in the LRS logs; valid requests never deserve a 500.",
        no_server_errors,
    ),
    CertCheck(
        "xapi.version-header",
        "Responses carry X-Experience-API-Version",
        "xAPI-C §3.3 (XAPI-00333)",
        "Clients check the version the LRS speaks.",
        "Add X-Experience-API-Version: 1.0.3 to every response.",
        version_header_on_responses,
    ),
    CertCheck(
        "performance.response-times",
        "Responses arrive quickly",
        f"weare-harness: warn above {SLOW_WARN_S:g} s, fail above {SLOW_FAIL_S:g} s",
        "Learners close the tab; a slow LRS loses completions sent from the page.",
        "Answer xAPI requests in well under a second.",
        response_times,
    ),
)
