"""The full cmi5 AU session: LMS.LaunchData, learner preferences, initialized … terminated."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from harness.certify.answer import answer
from harness.certify.checks.statements import not_stored, refused
from harness.certify.context import CertContext
from harness.certify.registry import (
    BLOCKER,
    FAIL,
    PASS,
    WARN,
    Finding,
    check,
    requires_sent,
)

FULL = ("cmi5-full",)
WRITTEN = "10.1.0.0-1"  # LMS.LaunchData is written before each launch
PREFERENCES = "11.0.0.0-5"  # the learner preferences document holds both preferences
SESSION = ("cmi5.initialized", "cmi5.completed", "cmi5.terminated")


LAUNCH_MODES = ("Normal", "Browse", "Review")  # cmi5 §10.2.2
MOVE_ON = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")
AUDIO = ("on", "off")  # cmi5 §11.2
LANGUAGES = re.compile(r"[-A-Za-z0-9]+(?:,[-A-Za-z0-9]+)*")  # RFC 5646 tags, comma-separated


class Fault(NamedTuple):
    """A property of a cmi5 document missing or invalid: in words, the requirement id, where
    (JSON path), the values allowed and the value found (None when missing)."""

    words: str
    requirement: str
    path: str
    expected: list[str]
    actual: Any


def launch_data_faults(data: dict[str, Any]) -> list[Fault]:
    """The properties cmi5 §10.2 requires of LMS.LaunchData that are missing or invalid."""
    faults = []
    for name, allowed, requirement in (
        ("launchMode", LAUNCH_MODES, "10.2.2.0-4"),
        ("moveOn", MOVE_ON, "10.2.5.0-1"),
    ):
        if name not in data:
            words = f"no {name} (cmi5 {requirement}; expected one of {list(allowed)})"
        elif data[name] not in allowed:
            words = f"{name} {data[name]!r} is not one of {list(allowed)} (cmi5 {requirement})"
        else:
            continue
        faults.append(Fault(words, requirement, f"$.{name}", list(allowed), data.get(name)))
    return faults


@check(
    "cmi5.launch-data",
    title="LMS.LaunchData is readable with the token and holds what cmi5 requires",
    source="cmi5 §10.1 (10.1.0.0-1), §10.2 (10.2.1.0-1, 10.2.2.0-4, 10.2.5.0-1)",
    severity=BLOCKER,
    why="A cmi5 AU reads its context template, launch mode and moveOn there before it sends "
    "anything.",
    fix="Write LMS.LaunchData in the State API before each launch, with contextTemplate, "
    "launchMode and moveOn.",
    behaviours=FULL,
)
@requires_sent("cmi5.launch-data")
def launch_data_readable(ctx: CertContext) -> Finding:
    ex = ctx.sent["cmi5.launch-data"]
    data = ex.json()
    if ex.status != 200 or not isinstance(data, dict):
        where: dict[str, Any] = {"expected": 200, "actual": ex.status}
        return Finding(
            FAIL,
            f"GET LMS.LaunchData answered {answer(ex)}; expected 200 with contextTemplate",
            [ex],
            requirement=WRITTEN,
            **(where if ex.status != 200 else {"path": "$"}),
        )
    template = data.get("contextTemplate")
    if not isinstance(template, dict):
        return Finding(
            FAIL,
            f"LMS.LaunchData's contextTemplate is {template!r}, not an object (cmi5 10.2.1.0-1): "
            "an AU has no context for its statements",
            [ex],
            requirement="10.2.1.0-1",
            path="$.contextTemplate",
            actual=template,
        )
    faults = launch_data_faults(data)
    if faults:
        first = faults[0]
        return Finding(
            WARN,
            f"LMS.LaunchData: {'; '.join(fault.words for fault in faults)}",
            [ex],
            requirement=first.requirement,
            path=first.path,
            expected=first.expected,
            actual=first.actual,
        )
    return Finding(
        PASS,
        f"launchMode {data.get('launchMode')!r}, moveOn {data.get('moveOn')!r}",
        [ex],
        requirement=WRITTEN,
    )


def preference_faults(prefs: dict[str, Any]) -> tuple[list[str], list[str], str]:
    """(invalid values, missing properties, JSON path of the first of them) of a
    cmi5LearnerPreferences document (cmi5 §11)."""
    invalid: list[str] = []
    missing: list[str] = []
    paths: list[str] = []
    language = prefs.get("languagePreference")
    if "languagePreference" not in prefs:
        missing.append("languagePreference")
        paths.append("$.languagePreference")
    elif not isinstance(language, str) or not LANGUAGES.fullmatch(language):
        invalid.append(
            f"languagePreference {language!r} is not a comma-separated list of RFC 5646 tags "
            "(cmi5 11.1.0.0-1)"
        )
        paths.insert(0, "$.languagePreference")
    if "audioPreference" not in prefs:
        missing.append("audioPreference")
        paths.append("$.audioPreference")
    elif prefs["audioPreference"] not in AUDIO:
        invalid.append(
            f"audioPreference {prefs['audioPreference']!r} is not 'on' or 'off' (cmi5 §11.2)"
        )
        paths.insert(len(invalid) - 1, "$.audioPreference")
    return invalid, missing, paths[0] if paths else "$"


@check(
    "cmi5.learner-preferences",
    title="The learner preferences answer 404, or 200 with a preferences document",
    source="cmi5 §11.0 (agent profile cmi5LearnerPreferences; 11.0.0.0-5), §11.1 (11.1.0.0-1)",
    severity=BLOCKER,
    why="A cmi5 AU stops when it cannot read the learner's preferences.",
    fix="Serve GET agents/profile?profileId=cmi5LearnerPreferences with 200 and "
    '{"languagePreference": …, "audioPreference": "on"|"off"}, or 404 if none.',
    behaviours=FULL,
)
@requires_sent("cmi5.preferences")
def learner_preferences(ctx: CertContext) -> Finding:
    ex = ctx.sent["cmi5.preferences"]
    answered: dict[str, Any] = {
        "requirement": PREFERENCES,
        "expected": [200, 404],
        "actual": ex.status,
    }
    if ex.status == 404:
        return Finding(PASS, "learner preferences answered 404 (none yet)", [ex], **answered)
    prefs = ex.json()
    if ex.status != 200:
        return Finding(
            FAIL,
            f"learner preferences answered {answer(ex)}; expected 200 or 404",
            [ex],
            **answered,
        )
    shown = ex.response_body.strip()[:120] or "an empty body"
    if not isinstance(prefs, dict):
        return Finding(
            FAIL,
            f"learner preferences answered 200 with {shown}, not a JSON object with "
            "languagePreference and audioPreference (cmi5 11.0.0.0-5)",
            [ex],
            requirement=PREFERENCES,
            path="$",
            actual=prefs,
        )
    invalid, missing, where = preference_faults(prefs)
    found: dict[str, Any] = {
        "requirement": PREFERENCES,
        "path": where,
        "actual": prefs.get(where[2:]),
    }
    if invalid or len(missing) == 2:
        faults = invalid + ([f"no {' and no '.join(missing)}"] if missing else [])
        return Finding(
            FAIL,
            f"learner preferences answered 200 with {shown}: not a preferences document "
            f"({'; '.join(faults)}; cmi5 11.0.0.0-5)",
            [ex],
            **found,
        )
    if missing:
        return Finding(
            WARN,
            f"learner preferences lack {missing[0]} (cmi5 11.0.0.0-5 requires languagePreference "
            "and audioPreference)",
            [ex],
            **found,
        )
    return Finding(PASS, f"learner preferences answered 200: {shown}", [ex], **answered)


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
        if not_stored(ex) is not None:
            return refused(ex, ex.label)
    verbs = ", ".join(name.removeprefix("cmi5.") for name in SESSION if name in ctx.sent)
    return Finding(PASS, f"{verbs} accepted (200 with their ids)", sent)
