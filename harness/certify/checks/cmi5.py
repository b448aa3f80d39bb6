"""The full cmi5 AU session: LMS.LaunchData, learner preferences, initialized … terminated."""

from __future__ import annotations

from harness.certify.answer import answer
from harness.certify.checks.statements import refused
from harness.certify.context import CertContext
from harness.certify.registry import (
    BLOCKER,
    FAIL,
    PASS,
    Finding,
    check,
    requires_sent,
)

FULL = ("cmi5-full",)
SESSION = ("cmi5.initialized", "cmi5.completed", "cmi5.terminated")


@check(
    "cmi5.launch-data",
    title="LMS.LaunchData is readable with the token",
    source="cmi5 §10.1 (10.1.0.0-1)",
    severity=BLOCKER,
    why="A cmi5 AU reads its context template there before it sends anything.",
    fix="Write LMS.LaunchData in the State API before each launch.",
    behaviours=FULL,
)
@requires_sent("cmi5.launch-data")
def launch_data_readable(ctx: CertContext) -> Finding:
    ex = ctx.sent["cmi5.launch-data"]
    data = ex.json()
    if ex.status == 200 and isinstance(data, dict) and "contextTemplate" in data:
        return Finding(
            PASS, f"launchMode {data.get('launchMode')!r}, moveOn {data.get('moveOn')!r}", [ex]
        )
    return Finding(
        FAIL, f"GET LMS.LaunchData answered {answer(ex)}; expected 200 with contextTemplate", [ex]
    )


@check(
    "cmi5.learner-preferences",
    title="The learner preferences answer 200 or 404",
    source="cmi5 §11.0 (agent profile cmi5LearnerPreferences)",
    severity=BLOCKER,
    why="A cmi5 AU stops when it cannot read the learner's preferences.",
    fix="Serve GET agents/profile?profileId=cmi5LearnerPreferences with 200, or 404 if none.",
    behaviours=FULL,
)
@requires_sent("cmi5.preferences")
def learner_preferences(ctx: CertContext) -> Finding:
    ex = ctx.sent["cmi5.preferences"]
    if ex.status == 404 or (ex.status == 200 and isinstance(ex.json(), dict)):
        return Finding(PASS, f"learner preferences answered {ex.status}", [ex])
    return Finding(FAIL, f"learner preferences answered {answer(ex)}; expected 200 or 404", [ex])


@check(
    "cmi5.session",
    title="The cmi5 session's initialized, completed and terminated are accepted",
    source="cmi5 §9.3 (9.3.0.0-*), §11.0",
    severity=BLOCKER,
    why="This is the completion a cmi5 AU sends; refused, the LMS never sees it.",
    fix="Accept the cmi5 statements of a launched session with 200 and their ids.",
    behaviours=FULL,
    core=True,
)
@requires_sent("cmi5.initialized")
def session_accepted(ctx: CertContext) -> Finding:
    sent = [ctx.sent[name] for name in SESSION if name in ctx.sent]
    for ex in sent:
        if ex.status != 200 or not isinstance(ex.json(), list):
            return refused(ex, ex.label)
    verbs = ", ".join(ex.label.split()[1] for ex in sent)
    return Finding(PASS, f"{verbs} accepted (200 with their ids)", sent)
