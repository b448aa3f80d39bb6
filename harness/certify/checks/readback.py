"""Stored means retrievable: every statement a behaviour sent, read back by id (xAPI-C §2.1.2).

A statement may become readable a moment after it was acknowledged (the flow retries for a
bounded time, honouring X-Experience-API-Consistent-Through); one that appears late passes,
one that never appears is a lost completion. A statement answered as a one-element list instead
of the Statement object is stored, read back in the wrong shape: a warning naming the shape.
"""

from __future__ import annotations

from typing import Any

from harness.certify.answer import answer
from harness.certify.context import CertContext
from harness.certify.flow import READ_BACK_PREFIX
from harness.certify.recorder import Exchange
from harness.certify.registry import (
    BLOCKER,
    FAIL,
    PASS,
    SKIPPED,
    WARN,
    Finding,
    check,
    requires_response,
)

STORED, ONE = "xAPI-C §2.1.2", "xAPI-C §2.1.3"
RULE = f"{STORED} (stored means retrievable), {ONE} (GET by statementId: one Statement)"


def _late(ctx: CertContext, name: str) -> str:
    note = (ctx.notes.get("read_back") or {}).get(name) or {}
    if note.get("attempts", 1) > 1:
        return f" after {note['attempts']} reads over {note['seconds']:g} s (eventually consistent)"
    return ""


def judge_read_back(ctx: CertContext, name: str, what: str) -> Finding:
    """One read-back: PASS (perhaps late), WARN for a list shape or a refused read, else FAIL."""
    ex: Exchange = ctx.sent[name]
    wanted = (ctx.notes.get("read_back") or {}).get(name, {}).get("statement_id")
    body: Any = ex.json()
    late = _late(ctx, name)
    read = body.get("id") if isinstance(body, dict) else None
    by_id: dict[str, Any] = {
        "requirement": STORED,
        "path": "$.id",
        "expected": wanted,
        "actual": read,
    }
    if ex.status == 200 and isinstance(body, dict) and read == wanted:
        return Finding(PASS, f"{what} reads back by id{late}", [ex], **by_id)
    if ex.status == 200:
        listed = body if isinstance(body, list) else None
        if isinstance(body, dict) and isinstance(body.get("statements"), list):
            listed = body["statements"]
        if listed is not None and any(
            isinstance(s, dict) and s.get("id") == wanted for s in listed
        ):
            array = isinstance(body, list)
            shape = "a JSON array" if array else "a StatementResult"
            return Finding(
                WARN,
                f"{what} is stored, but GET ?statementId= answered {shape} of {len(listed)} "
                "instead of the Statement object (xAPI-C §2.1.3); clients reading it by id "
                f"find no statement{late}",
                [ex],
                diagnose=False,
                requirement=ONE,
                path="$",
                expected="Statement",
                actual="array" if array else "StatementResult",
            )
    if ex.status in (401, 403):
        return Finding(
            WARN,
            f"reading {what} back is not permitted with these credentials ({ex.status})",
            [ex],
            requirement=STORED,
            expected=200,
            actual=ex.status,
        )
    return Finding(
        FAIL, f"{what} ({wanted}) does not read back{late or ''}: {answer(ex)}", [ex], **by_id
    )


@check(
    "statement.read-back",
    title="The accepted Completed statement can be read back",
    source=RULE,
    severity=BLOCKER,
    why="A statement answered 200 but not stored is a lost completion.",
    fix="Store what you acknowledge; allow GET ?statementId= for the same credentials.",
    behaviours=("weare-documented",),
)
@requires_response("documented.read-back")
def statement_read_back(ctx: CertContext) -> Finding:
    return judge_read_back(ctx, "documented.read-back", "the accepted Completed statement")


@check(
    "cmi5.read-back",
    title="Every accepted statement of the cmi5 session can be read back",
    source=f"{RULE}; cmi5 8.1.2.0-2 (the token may end with the session)",
    severity=BLOCKER,
    why="An LRS that acknowledges the session's statements and drops them loses the completion.",
    fix="Store what you acknowledge; allow GET ?statementId= for the session's token.",
    behaviours=("cmi5-full",),
)
def cmi5_read_back(ctx: CertContext) -> Finding:
    names = [n for n in ctx.sent if n.startswith(READ_BACK_PREFIX)]
    if not names:
        reasons = {n: r for n, r in ctx.not_sent.items() if n.startswith(READ_BACK_PREFIX)}
        why = "; ".join(f"{n.removeprefix(READ_BACK_PREFIX)}: {r}" for n, r in reasons.items())
        return Finding(
            SKIPPED, f"nothing to read back ({why or 'the full cmi5 flow was not played'})"
        )
    findings = []
    for name in names:
        verb = name.removeprefix(READ_BACK_PREFIX)
        ex = ctx.sent[name]
        if ex.status is None:
            findings.append(
                Finding(
                    FAIL,
                    f"the {verb} statement's read-back got {ex.error}",
                    [ex],
                    requirement=STORED,
                )
            )
            continue
        found = judge_read_back(ctx, name, f"the {verb} statement")
        if verb == "terminated" and found.status == WARN and ex.status in (401, 403):
            # cmi5 8.1.2.0-2: the token may end with the session; the LMS may refuse this read.
            found = Finding(
                PASS,
                f"the session ended: reading terminated back with its token answered {ex.status} "
                "(cmi5 8.1.2.0-2 lets the token end with the session)",
                [ex],
                requirement="8.1.2.0-2",
                actual=ex.status,
            )
        findings.append(found)
    worst = next((f for status in (FAIL, WARN) for f in findings if f.status == status), None)
    if worst is not None:
        return worst
    return Finding(
        PASS,
        "; ".join(f.detail for f in findings),
        [ex for f in findings for ex in f.evidence],
        requirement=STORED,
    )
