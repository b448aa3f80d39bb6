"""The LRS as any xAPI client meets it: CORS, paths, validation, auth, headers, errors, speed."""

from __future__ import annotations

import statistics
from typing import Any

from harness.certify.answer import answer
from harness.certify.causes import slow_answer
from harness.certify.context import CertContext
from harness.certify.recorder import Exchange
from harness.certify.registry import (
    BLOCKER,
    FAIL,
    PASS,
    SKIPPED,
    UNSUPPORTED,
    WARN,
    WARNING,
    Finding,
    check,
    requires_response,
)

XAPI_HEADERS = ("authorization", "content-type", "x-experience-api-version")
SLOW_WARN_S, SLOW_FAIL_S = 1.0, 2.0
CORS = "Fetch standard (CORS)"
ERRORS = "xAPI-C §3.2"  # error codes: 400 for a malformed request, never 5xx for a valid one
VERSION = "header:X-Experience-API-Version"
ALLOW = "header:Access-Control-Allow-"
AUTH = "xAPI-C §4"
HEADERS = "xAPI-C §3.3"
SPEED = f"weare-harness: warn above {SLOW_WARN_S:g} s, fail above {SLOW_FAIL_S:g} s"
STATE = "xAPI-C §2.3"


@check(
    "cors.preflight",
    title="The CORS preflight allows We Are's origin and headers",
    source="Fetch standard (CORS); xAPI-C §3.3 headers",
    severity=BLOCKER,
    why="Statements sent from the learner's browser are blocked without it.",
    fix="Answer OPTIONS with Access-Control-Allow-Origin and Allow-Headers including "
    "Authorization, Content-Type and X-Experience-API-Version.",
)
@requires_response("preflight")
def cors_preflight(ctx: CertContext) -> Finding:
    ex = ctx.sent["preflight"]
    origin = ex.header("Access-Control-Allow-Origin")
    allowed = {
        h.strip().lower() for h in (ex.header("Access-Control-Allow-Headers") or "").split(",")
    }
    missing = [h for h in XAPI_HEADERS if h not in allowed and "*" not in allowed]
    origins = [ctx.inputs.origin, "*"]
    # the first fault: the origin, the headers, else the status (a preflight under 400 passes)
    compared: dict[str, Any] = {"requirement": CORS, "actual": ex.status}
    if origin not in origins:
        compared |= {"path": f"{ALLOW}Origin", "expected": origins, "actual": origin}
    elif missing:
        compared |= {"path": f"{ALLOW}Headers", "expected": [], "actual": missing}
    if ex.status is not None and ex.status < 400 and origin in origins and not missing:
        return Finding(PASS, f"preflight {ex.status}, origin and headers allowed", [ex], **compared)
    detail = (
        f"preflight answered {answer(ex)}; Allow-Origin {origin!r} (expected "
        f"{ctx.inputs.origin!r} or '*'); headers not allowed {missing}"
    )
    if not ctx.has_launch:
        return Finding(
            UNSUPPORTED,
            "not supported by this LRS (matters only for statements sent "
            f"from the browser): {detail}",
            [ex],
            **compared,
        )
    return Finding(FAIL, detail, [ex], **compared)


@check(
    "xapi.trailing-slash",
    title="endpoint + 'statements' works without redirects",
    source="cmi5 8.1.1.0-3",
    severity=BLOCKER,
    why="A redirected POST is resent as GET by many clients: the statement is lost.",
    fix="Serve <endpoint>statements directly (no 301/302, no trailing-slash requirement).",
)
@requires_response("trailing-slash")
def trailing_slash_tolerated(ctx: CertContext) -> Finding:
    ex = ctx.sent["trailing-slash"]
    answered: dict[str, Any] = {"requirement": "8.1.1.0-3", "actual": ex.status}
    if ex.status is not None and 300 <= ex.status < 400:
        return Finding(
            FAIL,
            f"{ctx.statements} redirects ({ex.status} to {ex.header('Location')!r}); "
            "expected an answer without redirect",
            [ex],
            **answered,
        )
    if ex.status == 404:
        return Finding(
            FAIL, f"{ctx.statements} answered 404; expected the resource", [ex], **answered
        )
    return Finding(PASS, f"endpoint + 'statements' answered {ex.status}", [ex], **answered)


@check(
    "xapi.malformed-refused",
    title="A malformed statement is refused with 400",
    source="xAPI-D §2.2; xAPI-C §3.2",
    severity=WARNING,
    why="An LRS that accepts anything cannot be trusted to validate.",
    fix="Validate statements and answer 400 with a message.",
)
@requires_response("malformed")
def malformed_refused(ctx: CertContext) -> Finding:
    ex = ctx.sent["malformed"]
    compared: dict[str, Any] = {"requirement": ERRORS, "expected": 400, "actual": ex.status}
    if ex.status == 400:
        return Finding(PASS, "a statement without actor was refused with 400", [ex], **compared)
    return Finding(
        FAIL, f"a statement without actor answered {answer(ex)}; expected 400", [ex], **compared
    )


@check(
    "auth.bad-credentials",
    title="Wrong credentials are refused with 401 or 403",
    source=AUTH,
    severity=WARNING,
    why="Anyone could write completions otherwise.",
    fix="Authenticate every xAPI request.",
)
@requires_response("bad-credentials")
def bad_credentials_refused(ctx: CertContext) -> Finding:
    ex = ctx.sent["bad-credentials"]
    compared: dict[str, Any] = {"requirement": AUTH, "expected": [401, 403], "actual": ex.status}
    if ex.status in (401, 403):
        return Finding(PASS, f"wrong credentials refused with {ex.status}", [ex], **compared)
    return Finding(
        FAIL, f"wrong credentials answered {answer(ex)}; expected 401 or 403", [ex], **compared
    )


@check(
    "xapi.documents",
    title="The State resource answers",
    source=STATE,
    severity=WARNING,
    why="Not needed by the documented We Are flow; needed by cmi5 AUs.",
    fix="Implement the State resource.",
)
@requires_response("state")
def state_resource(ctx: CertContext) -> Finding:
    ex = ctx.sent["state"]
    versioned = ex.header("X-Experience-API-Version") is not None
    compared: dict[str, Any] = {"requirement": STATE, "expected": [200, 404], "actual": ex.status}
    if ex.status in (200, 404) and not versioned:
        compared = {"requirement": STATE, "path": VERSION, "expected": "1.0.3", "actual": None}
    if ex.status in (200, 404) and versioned:
        return Finding(PASS, f"the State resource answers ({ex.status})", [ex], **compared)
    return Finding(
        UNSUPPORTED,
        f"not supported by this LRS: GET activities/state answered {answer(ex)} (expected 200 "
        "or 404 with X-Experience-API-Version; We Are's documented flow does not need it)",
        [ex],
        **compared,
    )


def _answered(ctx: CertContext) -> list[Exchange]:
    return [e for e in ctx.http.exchanges if e.status is not None]


@check(
    "xapi.no-server-errors",
    title="No request is answered with 5xx",
    source="xAPI-C §3.2",
    severity=BLOCKER,
    why="A 5xx on the completion loses it unless We Are retries.",
    fix="Find the cause in the LRS logs; valid requests never deserve a 500.",
)
def no_server_errors(ctx: CertContext) -> Finding:
    answered = _answered(ctx)
    if not answered:
        return Finding(SKIPPED, "no response to judge", requirement=ERRORS)
    errors = [e for e in answered if e.status is not None and e.status >= 500]
    compared: dict[str, Any] = {
        "requirement": ERRORS,
        "expected": [],
        "actual": [e.label for e in errors],
    }
    if errors:
        return Finding(
            FAIL,
            f"{len(errors)} of {len(answered)} answered requests got 5xx: "
            + ", ".join(f"{e.label} → {e.status}" for e in errors[:4]),
            errors[:4],
            **compared,
        )
    return Finding(PASS, f"no 5xx in {len(answered)} answered requests", **compared)


@check(
    "xapi.version-header",
    title="Responses carry X-Experience-API-Version",
    source=f"{HEADERS} (XAPI-00333)",
    severity=WARNING,
    why="Clients check the version the LRS speaks.",
    fix="Add X-Experience-API-Version: 1.0.3 to every response.",
)
def version_header_on_responses(ctx: CertContext) -> Finding:
    xapi = [
        e
        for e in _answered(ctx)
        if e.request_headers.get("Authorization")
        and e.method != "OPTIONS"
        and "/fetch" not in e.url
        and e.status is not None
        and e.status < 500
    ]
    if not xapi:
        return Finding(SKIPPED, "no authenticated xAPI response to look at", requirement=HEADERS)
    lacking = [e for e in xapi if not e.header("X-Experience-API-Version")]
    compared: dict[str, Any] = {
        "requirement": HEADERS,
        "path": VERSION,
        "expected": [],
        "actual": [e.label for e in lacking],
    }
    if lacking:
        return Finding(
            FAIL,
            f"{len(lacking)} of {len(xapi)} xAPI responses lack X-Experience-API-Version; "
            "expected it on every response",
            lacking[:3],
            diagnose=False,
            **compared,
        )
    return Finding(
        PASS, f"all {len(xapi)} xAPI responses carry X-Experience-API-Version", **compared
    )


@check(
    "performance.response-times",
    title="Responses arrive quickly",
    source=SPEED,
    severity=BLOCKER,
    why="Learners close the tab; a slow LRS loses completions sent from the page.",
    fix="Answer xAPI requests in well under a second.",
)
def response_times(ctx: CertContext) -> Finding:
    answered = _answered(ctx)
    if not answered:
        return Finding(SKIPPED, "no response to judge")
    timeouts = [e for e in ctx.http.exchanges if e.error and e.error.startswith("no answer")]
    times = sorted(e.seconds for e in answered)
    slowest = max(answered, key=lambda e: e.seconds)
    summary = (
        f"p50 {statistics.median(times) * 1000:.0f} ms over {len(answered)} answers, slowest "
        f"{slowest.seconds:.2f} s ({slowest.label})"
    )
    if timeouts:
        return Finding(
            FAIL,
            f"{len(timeouts)} of {len(ctx.http.exchanges)} requests got no answer within "
            f"{ctx.inputs.timeout:g} s, the time We Are waits ({timeouts[0].label}); " + summary,
            timeouts[:1],
            requirement=SPEED,
            expected=[],
            actual=[e.label for e in timeouts],
        )
    for limit, status in ((SLOW_FAIL_S, FAIL), (SLOW_WARN_S, WARN)):
        if slowest.seconds > limit:
            return Finding(
                status,
                f"{summary}; expected under {limit:g} s",
                [slowest],
                cause=slow_answer(slowest, limit),
                requirement=SPEED,
                expected=limit,
                actual=slowest.seconds,
            )
    return Finding(PASS, summary, requirement=SPEED, expected=SLOW_WARN_S, actual=slowest.seconds)
