"""The fetch URL (cmi5 §8.2): POST once for the auth-token, errors after, no token for GET."""

from __future__ import annotations

from typing import Any

from harness.certify.answer import answer
from harness.certify.context import CertContext
from harness.certify.registry import (
    BLOCKER,
    FAIL,
    PASS,
    WARN,
    WARNING,
    Finding,
    check,
    requires_response,
    requires_sent,
)

# cmi5 8.2.3.2-1: error-code is exactly one of these strings; "1" for a second call.
ERROR_CODES = ("1", "2", "3")
ALREADY_FETCHED = "1"
TOKEN = "$.auth-token"


def answered_200(status: int | None, path: str) -> dict[str, Any]:
    """The fields of a fault in an answer that should be 200: the status when it is not, else
    where in the 200's body the fault is."""
    return {"expected": 200, "actual": status} if status != 200 else {"path": path}


@check(
    "fetch.token",
    title="The fetch URL answers POST with an auth-token",
    source="cmi5 8.2.1.0-2, 8.2.1.0-3, 8.2.2.0-1, 8.2.2.0-5 (the token is the bare credential)",
    severity=BLOCKER,
    why="Without a token We Are cannot authenticate.",
    fix='Answer POST with 200 application/json {"auth-token": "<base64 credential>"}; '
    "hand out the credential without the 'Basic ' prefix.",
)
@requires_sent("fetch")
def fetch_returns_token(ctx: CertContext) -> Finding:
    ex = ctx.sent["fetch"]
    token = ctx.token_from(ex)
    if ex.status != 200 or token is None:
        return Finding(
            FAIL,
            f"POST {ex.url} answered {answer(ex)}; expected 200 with an auth-token",
            [ex],
            requirement="8.2.1.0-3",
            **answered_200(ex.status, TOKEN),
        )
    if token.lower().startswith("basic "):
        return Finding(
            FAIL,
            "the auth-token starts with 'Basic ': We Are sends 'Basic Basic …'; expected the "
            "bare credential (cmi5 8.2.2.0-5)",
            [ex],
            requirement="8.2.2.0-5",
            path=TOKEN,
        )
    content_type = ex.header("Content-Type") or ""
    compared: dict[str, Any] = {
        "requirement": "8.2.2.0-1",
        "path": "header:Content-Type",
        "expected": "application/json",
        "actual": content_type,
    }
    if not content_type.startswith("application/json"):
        return Finding(
            WARN,
            f"token given, but Content-Type is {content_type!r}; expected JSON",
            [ex],
            **compared,
        )
    return Finding(PASS, "POST answered 200 application/json with an auth-token", [ex], **compared)


@check(
    "fetch.single-use",
    title="A second POST to the fetch URL gets error-code 1, not a token",
    source="cmi5 8.2.3.0-1, 8.2.3.2-1",
    severity=WARNING,
    why="A reusable token lets anyone who sees the URL write as the learner.",
    fix='Hand the token out once; answer later calls 200 {"error-code": "1", "error-text": …}.',
)
@requires_response("fetch-again")
def fetch_single_use(ctx: CertContext) -> Finding:
    ex = ctx.sent["fetch-again"]
    if ctx.token_from(ex):
        return Finding(
            FAIL,
            "a second POST handed out an auth-token again",
            [ex],
            requirement="8.2.3.0-1",
            path=TOKEN,
        )
    body = ex.json()
    code = body.get("error-code") if isinstance(body, dict) else None
    if ex.status != 200 or not isinstance(body, dict):
        return Finding(
            FAIL,
            f"second POST answered {answer(ex)}; expected 200 with error-code "
            f"{ALREADY_FETCHED!r} (8.2.3.2-1)",
            [ex],
            requirement="8.2.3.2-1",
            **answered_200(ex.status, "$"),
        )
    compared: dict[str, Any] = {
        "requirement": "8.2.3.2-1",
        "path": "$.error-code",
        "expected": ALREADY_FETCHED,
        "actual": code,
    }
    if code == ALREADY_FETCHED:
        return Finding(PASS, f"second POST: error-code {code!r}", [ex], **compared)
    if code in ERROR_CODES:
        return Finding(
            WARN,
            f"second POST: error-code {code!r}; a token already handed out is error-code "
            f"{ALREADY_FETCHED!r} (8.2.3.2-1)",
            [ex],
            **compared,
        )
    return Finding(
        FAIL,
        f"second POST: error-code {code!r}; expected exactly one of {list(ERROR_CODES)}, "
        f"{ALREADY_FETCHED!r} for a token already handed out (8.2.3.2-1)",
        [ex],
        **compared,
    )


@check(
    "fetch.get-refused",
    title="GET on the fetch URL hands out no token",
    source="cmi5 8.2.1.0-2",
    severity=WARNING,
    why="A GET can be cached or prefetched and leak the token.",
    fix="Answer GET with 405 (or an error-code); only POST gives the token.",
)
@requires_response("fetch-get")
def fetch_get_refused(ctx: CertContext) -> Finding:
    ex = ctx.sent["fetch-get"]
    where: dict[str, Any] = {"requirement": "8.2.1.0-2", "path": TOKEN}
    if ctx.token_from(ex):
        return Finding(
            FAIL, "GET on the fetch URL handed out an auth-token; expected none", [ex], **where
        )
    return Finding(PASS, f"GET answered {ex.status} without a token", [ex], **where)
