"""We Are's documented flow: the Completed statement accepted, stored by PUT, read back."""

from __future__ import annotations

import re

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

SEED = "seed: Technical documentation"
REQUIREMENT = re.compile(r'"requirement":\s*"([^"]+)"')
DOCUMENTED = ("weare-documented",)


def requirement_id(ex: Exchange) -> str | None:
    """The cmi5 requirement id an LMS names in its refusal, if any."""
    found = REQUIREMENT.search(ex.response_body)
    return found.group(1) if found else None


def refused(ex: Exchange, what: str) -> Finding:
    """A statement not accepted: the answer, and the cmi5 requirement the LMS names."""
    requirement = requirement_id(ex)
    hint = f" (cmi5 {requirement})" if requirement else ""
    return Finding(FAIL, f"{what} answered {answer(ex)}{hint}; expected 200 with its id", [ex])


@check(
    "statement.completed",
    title="The Completed statement We Are sends is accepted",
    source=f"{SEED}: Example request from We Are to your LMS",
    severity=BLOCKER,
    why="This is the completion the customer expects to see in the LMS.",
    fix="Accept the statement with 200 and its id.",
    behaviours=DOCUMENTED,
    core=True,
)
@requires_sent("documented.completed")
def completion_accepted(ctx: CertContext) -> Finding:
    ex = ctx.sent["documented.completed"]
    ids = ex.json()
    if ex.status == 200 and isinstance(ids, list) and ctx.notes.get("documented_id") in ids:
        return Finding(PASS, "the Completed statement was accepted (200 with its id)", [ex])
    return refused(ex, "POST statements (Completed)")


@check(
    "statement.put",
    title="PUT with statementId answers 204",
    source="xAPI-C §2.1.1",
    severity=WARNING,
    why="Some We Are deployments store statements by id.",
    fix="Support PUT /statements?statementId=… with 204.",
    behaviours=DOCUMENTED,
)
@requires_response("documented.put")
def statement_put(ctx: CertContext) -> Finding:
    ex = ctx.sent["documented.put"]
    if ex.status == 204:
        return Finding(PASS, "PUT with statementId answered 204", [ex])
    return Finding(FAIL, f"PUT answered {answer(ex)}; expected 204", [ex])
