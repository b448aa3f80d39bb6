"""We Are's documented flow: the Completed statement accepted, stored by PUT, read back."""

from __future__ import annotations

import json
from typing import Any

from harness.certify.answer import answer
from harness.certify.context import CertContext
from harness.certify.recorder import Exchange
from harness.certify.registry import (
    BLOCKER,
    FAIL,
    PASS,
    WARNING,
    Finding,
    check,
    requires_response,
    requires_sent,
)
from harness.certify.words import read_words

SEED = "seed: Technical documentation"
STORED = "xAPI-C §2.1.2"  # POST answers 200 with the ids of the statements it stored
PUT = "xAPI-C §2.1.1"  # PUT with statementId answers 204
DOCUMENTED = ("weare-documented",)


def requirement_id(ex: Exchange) -> str | None:
    """The cmi5 requirement id an LMS names in its refusal, in whatever shape it words it."""
    return read_words(ex.response_body).requirement


def refused(ex: Exchange, what: str) -> Finding:
    """A statement not stored: what came back, why it is not an acknowledgement of the sent
    statement, and the cmi5 requirement the LMS names."""
    requirement = requirement_id(ex)
    hint = f" (cmi5 {requirement})" if requirement else ""
    if ex.status is not None and 200 <= ex.status < 300:
        why = not_stored(ex)
        return Finding(
            FAIL,
            f"{what} {why}; expected 200 with its id ({STORED})",
            [ex],
            requirement=STORED,
            path="$",
            expected=sent_id(ex),
            actual=ex.json(),
        )
    return Finding(
        FAIL,
        f"{what} answered {answer(ex)}{hint}; expected 200 with its id",
        [ex],
        requirement=STORED,
        expected=200,
        actual=ex.status,
    )


def sent_id(ex: Exchange) -> str | None:
    """The id of the statement a POST sent (None when it sent none or not one statement)."""
    try:
        body = json.loads(ex.request_body)
    except ValueError:
        return None
    found = body.get("id") if isinstance(body, dict) else None
    return found if isinstance(found, str) else None


def not_stored(ex: Exchange) -> str | None:
    """Why a statement POST's answer does not say the statement was stored; None when it does:
    200 with a JSON array of ids holding the sent statement's id (xAPI-C §2.1.2)."""
    ids: Any = ex.json()
    wanted = sent_id(ex)
    if ex.status == 200 and isinstance(ids, list) and ids:
        if wanted is None or wanted in ids:
            return None
        return f"answered 200 with ids {json.dumps(ids)[:120]} without the sent id {wanted}"
    if ex.status == 200 and isinstance(ids, list):
        return "answered 200 with an empty list of ids"
    shape = ex.response_body.strip()
    if isinstance(ids, dict | list | str | int | float | bool):
        shape = json.dumps(ids)
    shown = f" {shape[:120]}" if shape else " with an empty body"
    return f"answered {ex.status}{shown} without the statement ids"


@check(
    "statement.completed",
    title="The Completed statement We Are sends is accepted",
    source=f"{SEED}: Example request from We Are to your LMS; {STORED}",
    severity=BLOCKER,
    why="This is the completion the customer expects to see in the LMS.",
    fix="Store the statement and answer 200 with a JSON array holding its id.",
    behaviours=DOCUMENTED,
    core=True,
)
@requires_sent("documented.completed")
def completion_accepted(ctx: CertContext) -> Finding:
    ex = ctx.sent["documented.completed"]
    if not_stored(ex) is None:
        return Finding(
            PASS,
            "the Completed statement was accepted (200 with its id)",
            [ex],
            requirement=STORED,
            path="$",
            expected=sent_id(ex),
            actual=ex.json(),
        )
    return refused(ex, "POST statements (Completed)")


@check(
    "statement.put",
    title="PUT with statementId answers 204",
    source=PUT,
    severity=WARNING,
    why="Some We Are deployments store statements by id.",
    fix="Support PUT /statements?statementId=… with 204.",
    behaviours=DOCUMENTED,
)
@requires_response("documented.put")
def statement_put(ctx: CertContext) -> Finding:
    ex = ctx.sent["documented.put"]
    compared: dict[str, Any] = {"requirement": PUT, "expected": 204, "actual": ex.status}
    if ex.status == 204:
        return Finding(PASS, "PUT with statementId answered 204", [ex], **compared)
    return Finding(FAIL, f"PUT answered {answer(ex)}; expected 204", [ex], **compared)
