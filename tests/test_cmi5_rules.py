"""The cmi5 checks (rules doc §4.9): one broken rule per case, and the nearest valid statement."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from fake_lms.cmi5 import rules
from fake_lms.cmi5.rules import (
    CHECKS,
    Check,
    Cmi5Violation,
    SessionView,
    apply,
    check_agent_profile_request,
    check_batch,
    check_state_request,
    check_statement,
    check_token_state,
    is_defined,
)
from fake_lms.cmi5.vocab import (
    CATEGORY_CMI5,
    CATEGORY_MOVEON,
    EXT_MASTERY_SCORE,
    EXT_SESSION_ID,
    VERB_ABANDONED,
    VERB_COMPLETED,
    VERB_FAILED,
    VERB_INITIALIZED,
    VERB_LAUNCHED,
    VERB_PASSED,
    VERB_SATISFIED,
    VERB_TERMINATED,
    VERB_VOIDED,
    VERB_WAIVED,
)
from fake_lms.findings import FAIL
from fake_lms.xapi.validation import validate_statement
from tests.factories import CMI5_LEARNER

ACTOR = CMI5_LEARNER
REGISTRATION = "760e3480-ba55-4991-94b0-01820dbd23a2"
SESSION_ID = "9c1b7f0e-3f55-4a55-8f5c-6f1f4b0c2a11"
ACTIVITY_ID = "https://lms.example.com/activities/au/7a1c"
PUBLISHER_ID = "https://publisher.example.com/au/quiz-1"
VERB_EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
OTHER_EXT = "https://lms.example.com/xapi/extensions/tenant"
VERB_SHORT = {
    "initialized": VERB_INITIALIZED,
    "completed": VERB_COMPLETED,
    "passed": VERB_PASSED,
    "failed": VERB_FAILED,
    "terminated": VERB_TERMINATED,
}


def make_view(**changes: Any) -> SessionView:
    """A Normal-mode session, masteryScore 0.8, prefs read, initialized already accepted."""
    view = SessionView(
        session_id=SESSION_ID,
        registration=REGISTRATION,
        actor=copy.deepcopy(ACTOR),
        activity_id=ACTIVITY_ID,
        publisher_id=PUBLISHER_ID,
        launch_mode="Normal",
        mastery_score=0.8,
        move_on="CompletedAndPassed",
        context_template={
            "contextActivities": {"grouping": [{"id": PUBLISHER_ID}]},
            "extensions": {EXT_SESSION_ID: SESSION_ID},
        },
        state="initialized",
        prefs_fetched=True,
        verbs=[VERB_INITIALIZED],
        registration_completed=False,
        registration_passed=False,
    )
    return replace(view, **changes)


def launched_view(**changes: Any) -> SessionView:
    """The session right after launch: nothing accepted from the AU yet."""
    return make_view(state="launched", verbs=[], **changes)


def make_statement(verb: str) -> dict[str, Any]:
    """A valid AU statement per rules doc §4.10 ("experienced" = a cmi5 allowed statement)."""
    verb_id = VERB_SHORT.get(verb, VERB_EXPERIENCED)
    stmt: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "timestamp": "2024-05-01T12:00:05.123Z",
        "actor": copy.deepcopy(ACTOR),
        "verb": {"id": verb_id, "display": {"en-US": verb}},
        "object": {"id": ACTIVITY_ID, "objectType": "Activity"},
        "context": {
            "registration": REGISTRATION,
            "contextActivities": {
                "grouping": [{"id": PUBLISHER_ID}],
                "category": [{"id": CATEGORY_CMI5}],
            },
            "extensions": {EXT_SESSION_ID: SESSION_ID},
        },
    }
    category = stmt["context"]["contextActivities"]["category"]
    if verb == "experienced":
        del stmt["context"]["contextActivities"]["category"]
        stmt["object"] = {"id": "https://publisher.example.com/au/quiz-1/page-3"}
    elif verb == "completed":
        stmt["result"] = {"completion": True, "duration": "PT14M3.2S"}
        category.append({"id": CATEGORY_MOVEON})
    elif verb in ("passed", "failed"):
        scaled = 0.85 if verb == "passed" else 0.5
        stmt["result"] = {
            "score": {"scaled": scaled, "raw": round(scaled * 100), "min": 0, "max": 100},
            "success": verb == "passed",
            "duration": "PT14M3.2S",
        }
        category.append({"id": CATEGORY_MOVEON})
        stmt["context"]["extensions"][EXT_MASTERY_SCORE] = 0.8
    elif verb == "terminated":
        stmt["result"] = {"duration": "PT14M10S"}
    return stmt


def rows(violations: list[Cmi5Violation]) -> set[int]:
    return {v.row for v in violations}


def facts(violations: list[Cmi5Violation]) -> list[tuple[int, str, str, int]]:
    """(row, requirement, path, status) of each violation, each of which also says in one line
    what is wrong."""
    for v in violations:
        assert isinstance(v.rule, str) and v.rule and "\n" not in v.rule, v
    return [(v.row, v.requirement, v.path, v.status) for v in violations]


@pytest.mark.parametrize(
    "verb", ["initialized", "completed", "passed", "failed", "terminated", "experienced"]
)
def test_fixture_statements_are_valid_xapi(verb):
    assert validate_statement(make_statement(verb)) == []


@pytest.mark.parametrize("verb", ["completed", "passed", "failed", "terminated", "experienced"])
def test_valid_statement_in_initialized_session_has_no_violation(verb):
    assert check_statement(make_statement(verb), make_view()) == []


def test_initialized_is_accepted_right_after_launch():
    assert check_statement(make_statement("initialized"), launched_view()) == []


# --- one case per rule ---------------------------------------------------------------------------


def _set(*keys: str | int, value: Any) -> Callable[[dict], None]:
    def mutate(stmt: dict) -> None:
        node = stmt
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return mutate


def _drop(*keys: str) -> Callable[[dict], None]:
    def mutate(stmt: dict) -> None:
        node = stmt
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return mutate


def _drop_category(category: str) -> Callable[[dict], None]:
    def mutate(stmt: dict) -> None:
        acts = stmt["context"]["contextActivities"]
        acts["category"] = [a for a in acts["category"] if a["id"] != category]

    return mutate


def _add_move_on(stmt: dict) -> None:
    stmt["context"]["contextActivities"].setdefault("category", []).append({"id": CATEGORY_MOVEON})


def _nothing(stmt: dict) -> None:
    return None


MBOX_AGENT = {"objectType": "Agent", "mbox": "mailto:learner@example.com"}
ACCOUNT_GROUP = {
    "objectType": "Group",
    "account": {"homePage": "https://lms.example.com", "name": "team-1"},
}
TEMPLATE_WITH_EXTRA = {
    "contextActivities": {"grouping": [{"id": PUBLISHER_ID}]},
    "extensions": {EXT_SESSION_ID: SESSION_ID, OTHER_EXT: "acme"},
}

# (id, row, requirement, verb, base view changes (valid and broken), broken view changes, mutate)
CASES: list[tuple[str, int, str, str, dict, dict, Callable[[dict], None]]] = [
    ("after-terminated", 2, "9.3.0.0-5", "experienced", {}, {"state": "terminated"}, _nothing),
    ("after-abandoned", 2, "9.3.6.0-2", "completed", {}, {"state": "abandoned"}, _nothing),
    ("before-prefs", 3, "11.0.0.0-3", "completed", {}, {"prefs_fetched": False}, _nothing),
    (
        "before-prefs-allowed",
        3,
        "11.0.0.0-3",
        "experienced",
        {},
        {"prefs_fetched": False},
        _nothing,
    ),
    (
        "before-initialized",
        4,
        "9.3.0.0-4",
        "completed",
        {},
        {"state": "launched", "verbs": []},
        _nothing,
    ),
    (
        "allowed-before-initialized",
        4,
        "9.3.0.0-4",
        "experienced",
        {},
        {"state": "launched", "verbs": []},
        _nothing,
    ),
    (
        "initialized-without-cmi5-category",
        4,
        "9.3.0.0-4",
        "initialized",
        {"state": "launched", "verbs": []},
        {},
        _drop("context", "contextActivities", "category"),
    ),
    (
        "initialized-twice",
        5,
        "9.3.2.0-3",
        "initialized",
        {"state": "launched", "verbs": []},
        {"state": "initialized", "verbs": [VERB_INITIALIZED]},
        _nothing,
    ),
    (
        "failed-twice",
        6,
        "9.3.0.0-2",
        "failed",
        {},
        {"verbs": [VERB_INITIALIZED, VERB_FAILED]},
        _nothing,
    ),
    (
        "completed-twice-in-session",
        6,
        "9.3.0.0-2",
        "completed",
        {},
        {"verbs": [VERB_INITIALIZED, VERB_COMPLETED]},
        _nothing,
    ),
    (
        "passed-after-failed",
        7,
        "9.3.0.0-3",
        "passed",
        {},
        {"verbs": [VERB_INITIALIZED, VERB_FAILED]},
        _nothing,
    ),
    (
        "failed-after-passed-in-session",
        7,
        "9.3.0.0-3",
        "failed",
        {},
        {"verbs": [VERB_INITIALIZED, VERB_PASSED]},
        _nothing,
    ),
    (
        "completed-again-in-registration",
        8,
        "9.3.0.0-6",
        "completed",
        {},
        {"registration_completed": True},
        _nothing,
    ),
    (
        "passed-again-in-registration",
        9,
        "9.3.0.0-7",
        "passed",
        {},
        {"registration_passed": True},
        _nothing,
    ),
    (
        "failed-after-passed-in-registration",
        10,
        "9.3.0.0-8",
        "failed",
        {},
        {"registration_passed": True},
        _nothing,
    ),
    (
        "au-sends-launched",
        11,
        "9.3.0.0-1",
        "terminated",
        {},
        {},
        _set("verb", "id", value=VERB_LAUNCHED),
    ),
    (
        "au-sends-abandoned",
        11,
        "9.3.0.0-1",
        "terminated",
        {},
        {},
        _set("verb", "id", value=VERB_ABANDONED),
    ),
    (
        "au-sends-waived",
        11,
        "9.3.0.0-1",
        "completed",
        {},
        {},
        _set("verb", "id", value=VERB_WAIVED),
    ),
    (
        "au-sends-satisfied",
        11,
        "9.3.0.0-1",
        "terminated",
        {},
        {},
        _set("verb", "id", value=VERB_SATISFIED),
    ),
    (
        "other-verb-with-cmi5-category",
        11,
        "9.3.0.0-1",
        "terminated",
        {},
        {},
        _set("verb", "id", value=VERB_EXPERIENCED),
    ),
    (
        "voiding",
        12,
        "6.3.0.0-1",
        "experienced",
        {},
        {},
        lambda s: s.update(
            verb={"id": VERB_VOIDED, "display": {"en-US": "voided"}},
            object={"objectType": "StatementRef", "id": str(uuid.uuid4())},
        ),
    ),
    ("id-missing", 13, "9.1.0.0-1", "completed", {}, {}, _drop("id")),
    ("timestamp-missing", 14, "9.7.0.0-1", "terminated", {}, {}, _drop("timestamp")),
    (
        "timestamp-offset",
        14,
        "9.7.0.0-2",
        "terminated",
        {},
        {},
        _set("timestamp", value="2024-05-01T14:00:05.123+02:00"),
    ),
    (
        "timestamp-without-zone",
        14,
        "9.7.0.0-2",
        "experienced",
        {},
        {},
        _set("timestamp", value="2024-05-01T12:00:05"),
    ),
    (
        "actor-with-name",
        15,
        "8.1.3.0-3",
        "completed",
        {},
        {},
        _set("actor", "name", value="Learner"),
    ),
    (
        "actor-other-account",
        15,
        "8.1.3.0-3",
        "experienced",
        {},
        {},
        _set("actor", "account", "name", value="u-1"),
    ),
    (
        "actor-mbox",
        16,
        "9.2.0.0-3",
        "terminated",
        {},
        {"actor": MBOX_AGENT},
        _set("actor", value=MBOX_AGENT),
    ),
    (
        "actor-group",
        16,
        "9.2.0.0-2",
        "terminated",
        {},
        {"actor": ACCOUNT_GROUP},
        _set("actor", value=ACCOUNT_GROUP),
    ),
    (
        "object-publisher-id",
        17,
        "8.1.5.0-6",
        "completed",
        {},
        {},
        _set("object", "id", value=PUBLISHER_ID),
    ),
    (
        "object-without-id",
        17,
        "9.4.0.0-1",
        "terminated",
        {},
        {},
        _set("object", value={"objectType": "Agent", "mbox": "mailto:a@example.com"}),
    ),
    ("context-missing", 18, "9.6.0.0-1", "terminated", {}, {}, _drop("context")),
    (
        "context-activities-missing",
        18,
        "10.2.1.0-6",
        "terminated",
        {},
        {},
        _drop("context", "contextActivities"),
    ),
    (
        "grouping-replaced",
        19,
        "10.2.1.0-7",
        "completed",
        {},
        {},
        _set("context", "contextActivities", "grouping", value=[{"id": ACTIVITY_ID}]),
    ),
    (
        "grouping-missing",
        19,
        "10.2.1.0-6",
        "terminated",
        {},
        {},
        _drop("context", "contextActivities", "grouping"),
    ),
    (
        "grouping-reordered",
        19,
        "10.2.1.0-6",
        "experienced",
        {},
        {},
        _set(
            "context",
            "contextActivities",
            "grouping",
            value=[{"id": "https://x.example.com/g"}, {"id": PUBLISHER_ID}],
        ),
    ),
    (
        "session-id-altered",
        19,
        "10.2.1.0-7",
        "completed",
        {},
        {},
        _set("context", "extensions", EXT_SESSION_ID, value="other-session"),
    ),
    (
        "template-extension-missing",
        19,
        "10.2.1.0-6",
        "terminated",
        {"context_template": TEMPLATE_WITH_EXTRA},
        {},
        _nothing,  # base adds the extension, see test body
    ),
    (
        "registration-missing",
        20,
        "9.6.1.0-1",
        "completed",
        {},
        {},
        _drop("context", "registration"),
    ),
    (
        "registration-other",
        20,
        "9.6.1.0-1",
        "experienced",
        {},
        {},
        _set("context", "registration", value=str(uuid.uuid4())),
    ),
    (
        "session-id-missing",
        21,
        "9.6.3.1-4",
        "terminated",
        {},
        {},
        _drop("context", "extensions", EXT_SESSION_ID),
    ),
    (
        "session-id-missing-allowed",
        21,
        "9.6.3.1-4",
        "experienced",
        {},
        {},
        _drop("context", "extensions"),
    ),
    (
        "completion-on-terminated",
        22,
        "9.5.3.0-2",
        "terminated",
        {},
        {},
        _set("result", "completion", value=True),
    ),
    (
        "completed-completion-false",
        22,
        "9.5.3.0-1",
        "completed",
        {},
        {},
        _set("result", "completion", value=False),
    ),
    (
        "completed-completion-absent",
        22,
        "9.5.3.0-1",
        "completed",
        {},
        {},
        _drop("result", "completion"),
    ),
    (
        "success-on-terminated",
        23,
        "9.5.2.0-3",
        "terminated",
        {},
        {},
        _set("result", "success", value=True),
    ),
    (
        "success-on-completed",
        23,
        "9.5.2.0-3",
        "completed",
        {},
        {},
        _set("result", "success", value=True),
    ),
    (
        "passed-success-false",
        23,
        "9.5.2.0-1",
        "passed",
        {},
        {},
        _set("result", "success", value=False),
    ),
    ("passed-success-absent", 23, "9.5.2.0-1", "passed", {}, {}, _drop("result", "success")),
    (
        "failed-success-true",
        23,
        "9.5.2.0-2",
        "failed",
        {},
        {},
        _set("result", "success", value=True),
    ),
    (
        "score-on-completed",
        24,
        "9.5.1.0-2",
        "completed",
        {},
        {},
        _set("result", "score", value={"scaled": 0.9}),
    ),
    (
        "raw-without-min-max",
        25,
        "9.5.1.0-3",
        "passed",
        {},
        {},
        _set("result", "score", value={"scaled": 0.85, "raw": 85}),
    ),
    (
        "raw-zero-without-max",
        25,
        "9.5.1.0-3",
        "failed",
        {},
        {},
        _set("result", "score", value={"raw": 0, "min": 0}),
    ),
    (
        "passed-below-mastery",
        26,
        "9.3.4.0-2",
        "passed",
        {},
        {},
        _set("result", "score", "scaled", value=0.79),
    ),
    (
        "failed-at-mastery",
        27,
        "9.3.5.0-2",
        "failed",
        {},
        {},
        _set("result", "score", "scaled", value=0.8),
    ),
    (
        "failed-above-mastery",
        27,
        "9.3.5.0-2",
        "failed",
        {},
        {},
        _set("result", "score", "scaled", value=0.95),
    ),
    (
        "mastery-extension-missing",
        28,
        "9.6.3.2-2",
        "passed",
        {},
        {},
        _drop("context", "extensions", EXT_MASTERY_SCORE),
    ),
    (
        "mastery-extension-other",
        28,
        "9.6.3.2-2",
        "failed",
        {},
        {},
        _set("context", "extensions", EXT_MASTERY_SCORE, value=0.7),
    ),
    (
        "mastery-extension-string",
        28,
        "9.6.3.2-2",
        "passed",
        {},
        {},
        _set("context", "extensions", EXT_MASTERY_SCORE, value="0.8"),
    ),
    ("terminated-without-duration", 29, "9.5.4.1-1", "terminated", {}, {}, _drop("result")),
    (
        "completed-without-duration",
        29,
        "9.5.4.1-2",
        "completed",
        {},
        {},
        _drop("result", "duration"),
    ),
    ("passed-without-duration", 29, "9.5.4.1-3", "passed", {}, {}, _drop("result", "duration")),
    ("failed-without-duration", 29, "9.5.4.1-4", "failed", {}, {}, _drop("result", "duration")),
    (
        "completed-without-move-on",
        30,
        "9.6.2.2-1",
        "completed",
        {},
        {},
        _drop_category(CATEGORY_MOVEON),
    ),
    ("passed-without-move-on", 30, "9.6.2.2-1", "passed", {}, {}, _drop_category(CATEGORY_MOVEON)),
    ("move-on-on-terminated", 31, "9.6.2.2-2", "terminated", {}, {}, _add_move_on),
    ("move-on-on-allowed", 31, "9.6.2.2-2", "experienced", {}, {}, _add_move_on),
    ("completed-in-browse", 32, "10.2.2.0-2", "completed", {}, {"launch_mode": "Browse"}, _nothing),
    ("passed-in-review", 32, "10.2.2.0-3", "passed", {}, {"launch_mode": "Review"}, _nothing),
    ("failed-in-browse", 32, "10.2.2.0-2", "failed", {}, {"launch_mode": "Browse"}, _nothing),
]


SESSION_ID_PATH = '$.context.extensions["https://w3id.org/xapi/cmi5/context/extensions/sessionid"]'
MASTERY_PATH = '$.context.extensions["https://w3id.org/xapi/cmi5/context/extensions/masteryscore"]'
TENANT_PATH = '$.context.extensions["https://lms.example.com/xapi/extensions/tenant"]'
# The exact JSON path each case's violation names (the place to fix, errors that teach).
CASE_PATHS = {
    "after-terminated": "$",
    "after-abandoned": "$",
    "before-prefs": "$",
    "before-prefs-allowed": "$",
    "before-initialized": "$.verb.id",
    "allowed-before-initialized": "$.verb.id",
    "initialized-without-cmi5-category": "$.context.contextActivities.category",
    "initialized-twice": "$.verb.id",
    "failed-twice": "$.verb.id",
    "completed-twice-in-session": "$.verb.id",
    "passed-after-failed": "$.verb.id",
    "failed-after-passed-in-session": "$.verb.id",
    "completed-again-in-registration": "$.verb.id",
    "passed-again-in-registration": "$.verb.id",
    "failed-after-passed-in-registration": "$.verb.id",
    "au-sends-launched": "$.verb.id",
    "au-sends-abandoned": "$.verb.id",
    "au-sends-waived": "$.verb.id",
    "au-sends-satisfied": "$.verb.id",
    "other-verb-with-cmi5-category": "$.verb.id",
    "voiding": "$.verb.id",
    "id-missing": "$.id",
    "timestamp-missing": "$.timestamp",
    "timestamp-offset": "$.timestamp",
    "timestamp-without-zone": "$.timestamp",
    "actor-with-name": "$.actor",
    "actor-other-account": "$.actor",
    "actor-mbox": "$.actor",
    "actor-group": "$.actor.objectType",
    "object-publisher-id": "$.object.id",
    "object-without-id": "$.object",
    "context-missing": "$.context",
    "context-activities-missing": "$.context.contextActivities",
    "grouping-replaced": "$.context.contextActivities.grouping[0].id",
    "grouping-missing": "$.context.contextActivities.grouping[0]",
    "grouping-reordered": "$.context.contextActivities.grouping[0]",
    "session-id-altered": SESSION_ID_PATH,
    "template-extension-missing": TENANT_PATH,
    "registration-missing": "$.context.registration",
    "registration-other": "$.context.registration",
    "session-id-missing": SESSION_ID_PATH,
    "session-id-missing-allowed": SESSION_ID_PATH,
    "completion-on-terminated": "$.result.completion",
    "completed-completion-false": "$.result.completion",
    "completed-completion-absent": "$.result.completion",
    "success-on-terminated": "$.result.success",
    "success-on-completed": "$.result.success",
    "passed-success-false": "$.result.success",
    "passed-success-absent": "$.result.success",
    "failed-success-true": "$.result.success",
    "score-on-completed": "$.result.score",
    "raw-without-min-max": "$.result.score",
    "raw-zero-without-max": "$.result.score",
    "passed-below-mastery": "$.result.score.scaled",
    "failed-at-mastery": "$.result.score.scaled",
    "failed-above-mastery": "$.result.score.scaled",
    "mastery-extension-missing": MASTERY_PATH,
    "mastery-extension-other": MASTERY_PATH,
    "mastery-extension-string": MASTERY_PATH,
    "terminated-without-duration": "$.result.duration",
    "completed-without-duration": "$.result.duration",
    "passed-without-duration": "$.result.duration",
    "failed-without-duration": "$.result.duration",
    "completed-without-move-on": "$.context.contextActivities.category",
    "passed-without-move-on": "$.context.contextActivities.category",
    "move-on-on-terminated": "$.context.contextActivities.category",
    "move-on-on-allowed": "$.context.contextActivities.category",
    "completed-in-browse": "$.verb.id",
    "passed-in-review": "$.verb.id",
    "failed-in-browse": "$.verb.id",
}


def _base(case_id: str, verb: str) -> dict:
    stmt = make_statement(verb)
    if case_id == "template-extension-missing":
        stmt["context"]["extensions"][OTHER_EXT] = "acme"
    return stmt


@pytest.mark.parametrize(
    ("row", "requirement", "verb", "base", "broken", "mutate", "case_id"),
    [
        pytest.param(r, req, verb, b, k, m, cid, id=f"row{r}-{cid}")
        for cid, r, req, verb, b, k, m in CASES
    ],
)
def test_each_rule_refuses_exactly_its_fault(row, requirement, verb, base, broken, mutate, case_id):
    valid = _base(case_id, verb)
    valid_view = make_view(**base)
    assert check_statement(valid, valid_view) == [], "the nearest valid statement must pass"

    bad = copy.deepcopy(valid)
    if case_id == "template-extension-missing":
        del bad["context"]["extensions"][OTHER_EXT]
    mutate(bad)
    if row != 16:  # row 16 needs a non-account launch actor, which row 15 would otherwise flag
        assert validate_statement(bad) == [], "the broken statement must still be valid xAPI"
    found = check_statement(bad, replace(valid_view, **broken))

    assert [(v.row, v.requirement, v.path) for v in found] == [
        (row, requirement, CASE_PATHS[case_id])
    ]
    violation = found[0]
    assert violation.status == 403
    assert violation.rule and "\n" not in violation.rule


def test_every_statement_row_has_a_case():
    covered = {case[1] for case in CASES}
    assert covered == set(range(2, 33))
    assert set(CASE_PATHS) == {case[0] for case in CASES}


def test_row_16_launch_actors_are_valid_xapi_actors():
    for actor in (MBOX_AGENT, ACCOUNT_GROUP):
        stmt = make_statement("terminated")
        stmt["actor"] = actor
        assert validate_statement(stmt) == []


@pytest.mark.parametrize(
    "stamp",
    [
        "2024-05-01T12:00:05Z",
        "2024-05-01T12:00:05+00",
        "2024-05-01T12:00:05+0000",
        "2024-05-01T12:00:05.1+00:00",
    ],
)
def test_utc_timestamps_in_every_spelling_are_accepted(stamp):
    stmt = make_statement("terminated")
    stmt["timestamp"] = stamp
    assert check_statement(stmt, make_view()) == []


def test_violation_quotes_the_offending_and_expected_values():
    stmt = make_statement("completed")
    stmt["object"]["id"] = PUBLISHER_ID
    (violation,) = check_statement(stmt, make_view())
    assert PUBLISHER_ID in violation.rule and ACTIVITY_ID in violation.rule
    assert violation.path == "$.object.id"
    assert violation.as_dict() == {
        "row": 17,
        "requirement": "8.1.5.0-6",
        "rule": violation.rule,
        "path": "$.object.id",
        "status": 403,
    }


def test_long_offending_values_are_truncated():
    stmt = make_statement("experienced")
    stmt["context"]["registration"] = str(uuid.uuid4())
    stmt["actor"] = {
        "objectType": "Agent",
        "account": {"homePage": "https://lms.example.com", "name": "x" * 500},
    }
    found = check_statement(stmt, make_view())
    assert all(len(v.rule) < 400 for v in found)


def test_all_violations_are_reported_sorted_by_row():
    stmt = make_statement("passed")
    del stmt["id"]
    stmt["timestamp"] = "2024-05-01T14:00:05+02:00"
    stmt["result"]["score"]["scaled"] = 0.5
    stmt["context"]["registration"] = str(uuid.uuid4())
    found = check_statement(stmt, make_view(prefs_fetched=False, launch_mode="Review"))
    assert [v.row for v in found] == [3, 13, 14, 20, 26, 32]


def test_paths_name_the_extension_key():
    stmt = make_statement("terminated")
    del stmt["context"]["extensions"][EXT_SESSION_ID]
    (violation,) = check_statement(stmt, make_view(), path="$[3]")
    assert violation.path == f'$[3].context.extensions["{EXT_SESSION_ID}"]'


def test_session_id_missing_is_reported_once_not_also_as_template_fault():
    stmt = make_statement("completed")
    stmt["context"]["extensions"] = {}
    assert [v.row for v in check_statement(stmt, make_view())] == [21]


def test_single_activity_object_counts_as_one_element_list():
    stmt = make_statement("terminated")
    stmt["context"]["contextActivities"] = {
        "grouping": {"id": PUBLISHER_ID},
        "category": {"id": CATEGORY_CMI5},
    }
    assert validate_statement(stmt) == []
    assert is_defined(stmt)
    assert check_statement(stmt, make_view()) == []


def test_au_may_add_context_values_after_the_template():
    stmt = make_statement("completed")
    acts = stmt["context"]["contextActivities"]
    acts["grouping"].append({"id": "https://publisher.example.com/course"})
    acts["parent"] = [{"id": "https://publisher.example.com/module-2"}]
    stmt["context"]["extensions"]["https://publisher.example.com/ext/attempt"] = 2
    stmt["context"]["language"] = "en-US"
    assert check_statement(stmt, make_view()) == []


def test_masteryscore_zero_is_enforced():
    stmt = make_statement("failed")
    stmt["result"]["score"]["scaled"] = 0.0
    stmt["context"]["extensions"][EXT_MASTERY_SCORE] = 0
    found = check_statement(stmt, make_view(mastery_score=0.0))
    assert [(v.row, v.requirement) for v in found] == [(27, "9.3.5.0-2")]


def test_scores_are_not_judged_without_mastery_score():
    stmt = make_statement("passed")
    stmt["result"]["score"]["scaled"] = 0.1
    del stmt["context"]["extensions"][EXT_MASTERY_SCORE]
    assert check_statement(stmt, make_view(mastery_score=None)) == []


def test_unscored_passed_needs_no_masteryscore_extension():
    stmt = make_statement("passed")
    del stmt["result"]["score"]
    del stmt["context"]["extensions"][EXT_MASTERY_SCORE]
    assert check_statement(stmt, make_view()) == []


def test_scaled_score_narrowing_is_not_refused():
    """A16: cmi5 narrows score types (scaled 0..1, integer raw); the LMS does not refuse."""
    stmt = make_statement("failed")
    stmt["result"]["score"] = {"scaled": -0.5, "raw": 12.5, "min": 0, "max": 100}
    assert check_statement(stmt, make_view()) == []


def test_allowed_statements_are_exempt_from_verb_rules():
    stmt = make_statement("experienced")
    stmt["verb"]["id"] = VERB_COMPLETED  # a "completed" without the cmi5 category is allowed
    stmt["result"] = {"score": {"scaled": 0.1}, "success": False}
    assert not is_defined(stmt)
    assert check_statement(stmt, make_view(launch_mode="Browse", registration_completed=True)) == []


def test_allowed_statements_are_fine_in_browse_and_review():
    for mode in ("Browse", "Review"):
        assert check_statement(make_statement("experienced"), make_view(launch_mode=mode)) == []


# --- sessions ------------------------------------------------------------------------------------


def test_normal_session_sequence_is_accepted_in_order():
    view = launched_view()
    for verb in ("initialized", "experienced", "completed", "passed", "experienced", "terminated"):
        stmt = make_statement(verb)
        assert check_statement(stmt, view) == [], verb
        view = apply(view, stmt)
    assert view.state == "terminated"
    assert view.verbs == [VERB_INITIALIZED, VERB_COMPLETED, VERB_PASSED, VERB_TERMINATED]
    assert view.registration_completed and view.registration_passed


def test_same_sequence_is_accepted_as_one_batch():
    stmts = [make_statement(v) for v in ("initialized", "completed", "passed", "terminated")]
    assert check_batch(stmts, launched_view()) == []


def test_browse_mode_refuses_completed():
    view = make_view(launch_mode="Browse")
    found = check_statement(make_statement("completed"), view)
    assert [(v.row, v.requirement) for v in found] == [(32, "10.2.2.0-2")]
    for verb in ("initialized", "terminated"):
        v = launched_view(launch_mode="Browse") if verb == "initialized" else view
        assert check_statement(make_statement(verb), v) == []


def test_batch_with_two_completed_is_refused():
    stmts = [make_statement("completed"), make_statement("completed")]
    found = check_batch(stmts, make_view())
    assert facts(found) == [
        (6, "9.3.0.0-2", "$[1].verb.id", 403),
        (8, "9.3.0.0-6", "$[1].verb.id", 403),
    ]


def test_batch_with_two_initialized_is_refused():
    stmts = [make_statement("initialized"), make_statement("initialized")]
    found = check_batch(stmts, launched_view())
    assert [(v.row, v.path) for v in found] == [(5, "$[1].verb.id")]


def test_batch_statement_after_terminated_is_refused():
    stmts = [make_statement("terminated"), make_statement("experienced")]
    found = check_batch(stmts, make_view())
    assert [(v.row, v.requirement, v.path) for v in found] == [(2, "9.3.0.0-5", "$[1]")]


def test_batch_of_statements_before_initialized_names_each():
    stmts = [
        make_statement("experienced"),
        make_statement("initialized"),
        make_statement("experienced"),
    ]
    found = check_batch(stmts, launched_view())
    assert [(v.row, v.path) for v in found] == [(4, "$[0].verb.id")]


def test_batch_violations_are_sorted_by_row_then_statement():
    first = make_statement("completed")
    del first["id"]
    second = make_statement("passed")
    second["context"]["registration"] = str(uuid.uuid4())
    third = make_statement("terminated")
    del third["id"]
    found = check_batch([first, second, third], make_view())
    assert facts(found) == [
        (13, "9.1.0.0-1", "$[0].id", 403),
        (13, "9.1.0.0-1", "$[2].id", 403),
        (20, "9.6.1.0-1", "$[1].context.registration", 403),
    ]


def test_batch_does_not_change_the_callers_view():
    view = make_view()
    check_batch([make_statement("completed"), make_statement("terminated")], view)
    assert view.verbs == [VERB_INITIALIZED] and view.state == "initialized"
    assert not view.registration_completed


def test_failed_after_passed_in_registration_is_refused():
    found = check_statement(make_statement("failed"), make_view(registration_passed=True))
    assert [(v.row, v.requirement) for v in found] == [(10, "9.3.0.0-8")]


def test_failed_may_repeat_across_sessions_until_passed():
    assert check_statement(make_statement("failed"), make_view()) == []
    assert check_statement(make_statement("passed"), make_view()) == []


def test_apply_returns_a_new_view_and_leaves_the_old_one():
    view = launched_view()
    after = apply(view, make_statement("initialized"))
    assert after is not view
    assert view.state == "launched" and view.verbs == []
    assert after.state == "initialized" and after.verbs == [VERB_INITIALIZED]


def test_apply_ignores_allowed_statements():
    view = make_view()
    after = apply(view, make_statement("experienced"))
    assert after == view and after.verbs is not view.verbs


@pytest.mark.parametrize("verb", [{"id": 5}, VERB_COMPLETED, {}], ids=["number", "string", "no-id"])
def test_apply_ignores_a_defined_statement_without_a_verb_id(verb):
    """Only a verb IRI moves the session: a cmi5 defined statement whose verb has no string id
    (refused as row 11) leaves the session's verbs as they were."""
    view = make_view()
    stmt = {**make_statement("completed"), "verb": verb}
    assert facts(check_statement(stmt, view)) == [(11, "9.3.0.0-1", "$.verb.id", 403)]
    after = apply(view, stmt)
    assert after == view and after.verbs is not view.verbs


def test_apply_sets_registration_flags():
    view = apply(make_view(), make_statement("completed"))
    assert view.registration_completed and not view.registration_passed
    view = apply(view, make_statement("passed"))
    assert view.registration_passed


def test_apply_failed_sets_no_registration_flag():
    view = apply(make_view(), make_statement("failed"))
    assert view.verbs[-1] == VERB_FAILED
    assert not view.registration_passed and not view.registration_completed


def test_is_defined_follows_the_cmi5_category():
    assert is_defined(make_statement("completed"))
    assert not is_defined(make_statement("experienced"))
    assert not is_defined({"verb": {"id": VERB_COMPLETED}})


# --- token state (rows 1-2) ----------------------------------------------------------------------


def test_token_not_fetched_is_refused():
    found = check_token_state(launched_view(), token_fetched=False)
    assert facts(found) == [(1, "8.1.2.0-2", "header:Authorization", 403)]


@pytest.mark.parametrize("state", ["terminated", "abandoned"])
def test_token_of_ended_session_is_refused(state):
    found = check_token_state(make_view(state=state), token_fetched=True)
    assert facts(found) == [(2, "8.1.2.0-2", "header:Authorization", 403)]
    assert state in found[0].rule


@pytest.mark.parametrize("state", ["launched", "initialized"])
def test_fetched_token_of_open_session_is_accepted(state):
    assert check_token_state(make_view(state=state), token_fetched=True) == []


# --- State resource (rows 20, 33, 34) ------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE", "put"])
def test_launch_data_writes_are_refused(method):
    found = check_state_request(
        method, "LMS.LaunchData", ACTOR, ACTIVITY_ID, REGISTRATION, make_view()
    )
    assert facts(found) == [(33, "10.2.1.0-5", "query:stateId", 403)]


def test_launch_data_read_is_accepted():
    assert (
        check_state_request("GET", "LMS.LaunchData", ACTOR, ACTIVITY_ID, REGISTRATION, make_view())
        == []
    )


def test_delete_of_all_au_state_is_refused_as_launch_data_delete():
    found = check_state_request("DELETE", None, ACTOR, ACTIVITY_ID, REGISTRATION, make_view())
    assert facts(found) == [(33, "10.2.1.0-5", "query:stateId", 403)]
    other = check_state_request(
        "DELETE", None, ACTOR, "https://publisher.example.com/other", REGISTRATION, make_view()
    )
    assert other == []


def test_au_state_documents_may_be_written():
    for method in ("PUT", "POST", "DELETE"):
        assert (
            check_state_request(method, "bookmark", ACTOR, ACTIVITY_ID, REGISTRATION, make_view())
            == []
        )


def test_state_request_for_other_agent_is_refused():
    other = {
        "objectType": "Agent",
        "account": {"homePage": "https://lms.example.com", "name": "u-2"},
    }
    found = check_state_request(
        "GET", "LMS.LaunchData", other, ACTIVITY_ID, REGISTRATION, make_view()
    )
    assert facts(found) == [(34, "8.1.3.0-3", "query:agent", 403)]
    named = {**ACTOR, "name": "Learner"}
    assert [
        v.row for v in check_state_request("GET", "x", named, ACTIVITY_ID, None, make_view())
    ] == [34]


def test_state_request_without_agent_is_a_400():
    found = check_state_request(
        "GET", "LMS.LaunchData", None, ACTIVITY_ID, REGISTRATION, make_view()
    )
    assert facts(found) == [(34, "8.1.3.0-3", "query:agent", 400)]


def test_state_request_for_other_registration_is_refused():
    found = check_state_request(
        "GET", "bookmark", ACTOR, ACTIVITY_ID, str(uuid.uuid4()), make_view()
    )
    assert facts(found) == [(20, "8.1.4.0-3", "query:registration", 403)]
    assert check_state_request("GET", "bookmark", ACTOR, ACTIVITY_ID, None, make_view()) == []


def test_state_request_reports_all_faults_sorted():
    found = check_state_request(
        "PUT", "LMS.LaunchData", MBOX_AGENT, ACTIVITY_ID, str(uuid.uuid4()), make_view()
    )
    assert facts(found) == [
        (20, "8.1.4.0-3", "query:registration", 403),
        (33, "10.2.1.0-5", "query:stateId", 403),
        (34, "8.1.3.0-3", "query:agent", 403),
    ]


# --- Agent Profile resource (rows 34, 35) --------------------------------------------------------

PREFS = "cmi5LearnerPreferences"


def _prefs(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def test_valid_preferences_write_has_no_violation():
    body = _prefs({"languagePreference": "en-US,fr-FR,fr-BE", "audioPreference": "on"})
    for method in ("PUT", "POST"):
        found = check_agent_profile_request(
            method, PREFS, ACTOR, body, "application/json; charset=utf-8", make_view()
        )
        assert found == []


def test_preferences_read_and_delete_have_no_violation():
    assert check_agent_profile_request("GET", PREFS, ACTOR, b"", "", make_view()) == []
    assert check_agent_profile_request("DELETE", PREFS, ACTOR, b"", "", make_view()) == []


@pytest.mark.parametrize(
    ("body", "content_type", "requirement", "path"),
    [
        (b"languagePreference=en", "text/plain", "11.0.0.0-5", "header:Content-Type"),
        (b"{not json", "application/json", "11.0.0.0-5", "$"),
        (_prefs(["en-US", "on"]), "application/json", "11.0.0.0-5", "$"),
        (
            _prefs({"audioPreference": "on"}),
            "application/json",
            "11.0.0.0-5",
            "$.languagePreference",
        ),
        (
            _prefs({"languagePreference": "en-US"}),
            "application/json",
            "11.0.0.0-5",
            "$.audioPreference",
        ),
        (
            _prefs({"languagePreference": "en-US, fr-FR", "audioPreference": "on"}),
            "application/json",
            "11.1.0.0-1",
            "$.languagePreference",
        ),
        (
            _prefs({"languagePreference": "", "audioPreference": "on"}),
            "application/json",
            "11.1.0.0-1",
            "$.languagePreference",
        ),
        (
            _prefs({"languagePreference": "en-US,,fr", "audioPreference": "off"}),
            "application/json",
            "11.1.0.0-1",
            "$.languagePreference",
        ),
        (
            _prefs({"languagePreference": "en-US-", "audioPreference": "off"}),
            "application/json",
            "11.1.0.0-1",
            "$.languagePreference",
        ),
        (
            _prefs({"languagePreference": ["en-US"], "audioPreference": "off"}),
            "application/json",
            "11.1.0.0-1",
            "$.languagePreference",
        ),
        (
            _prefs({"languagePreference": "en-US", "audioPreference": "loud"}),
            "application/json",
            "11.0.0.0-5",
            "$.audioPreference",
        ),
    ],
)
def test_malformed_preferences_write_is_refused(body, content_type, requirement, path):
    found = check_agent_profile_request("PUT", PREFS, ACTOR, body, content_type, make_view())
    assert facts(found) == [(35, requirement, path, 403)]


def test_one_character_tags_after_a_comma_are_accepted():
    body = _prefs({"languagePreference": "en,x-a,de-CH", "audioPreference": "off"})
    assert (
        check_agent_profile_request("PUT", PREFS, ACTOR, body, "application/json", make_view())
        == []
    )


def test_other_profiles_are_not_checked_for_preference_shape():
    found = check_agent_profile_request(
        "PUT", "bookmarks", ACTOR, b"anything", "text/plain", make_view()
    )
    assert found == []


def test_agent_profile_request_for_other_agent_is_refused():
    found = check_agent_profile_request("GET", PREFS, MBOX_AGENT, b"", "", make_view())
    assert facts(found) == [(34, "11.0.0.0-1", "query:agent", 403)]


def test_agent_profile_request_without_agent_is_a_400():
    found = check_agent_profile_request("GET", PREFS, None, b"", "", make_view())
    assert facts(found) == [(34, "11.0.0.0-1", "query:agent", 400)]


# --- the registry --------------------------------------------------------------------------------


def test_registry_lists_every_row_once_per_check_in_row_order():
    assert {c.row for c in CHECKS} == set(range(1, 36))
    assert [c.row for c in CHECKS] == sorted(c.row for c in CHECKS)
    names = [c.name for c in CHECKS]
    assert len(names) == len(set(names))
    for check in CHECKS:
        assert isinstance(check, Check)
        assert check.func.__name__ == check.name
        assert getattr(rules, check.name) is check.func
        assert check.scope in ("statement", "token", "state", "agent_profile")
        assert check.section.startswith("cmi5 §")
        assert "(d" not in check.requirement
        assert check.func.__doc__


def test_every_reported_requirement_is_registered_for_its_row():
    registered: dict[int, set[str]] = {}
    for check in CHECKS:
        registered.setdefault(check.row, set()).update(check.requirement.split(", "))
    for case_id, row, requirement, *_ in CASES:
        assert requirement in registered[row], case_id


# --- checks no one can weaken unnoticed ---------------------------------------------------------


def test_every_template_activity_is_checked_not_only_the_first():
    """cmi5 §10.2.1 (10.2.1.0-6): the context MUST contain every contextTemplate value; a
    template with two grouping activities whose first is present still needs the second."""
    second = "https://publisher.example.com/course/7"
    template = {
        "contextActivities": {"grouping": [{"id": PUBLISHER_ID}, {"id": second}]},
        "extensions": {EXT_SESSION_ID: SESSION_ID},
    }
    view = make_view(context_template=template)
    stmt = make_statement("experienced")
    found = check_statement(stmt, view)
    assert [(v.row, v.requirement, v.path) for v in found] == [
        (19, "10.2.1.0-6", "$.context.contextActivities.grouping[1]")
    ]
    stmt["context"]["contextActivities"]["grouping"].append({"id": second})
    assert check_statement(stmt, view) == []


def test_a_defined_statement_before_initialized_does_not_start_the_session():
    """cmi5 §9.3.2 (9.3.0.0-4): only the cmi5 defined initialized starts the session, so in one
    batch a completed before it leaves every later statement before initialized too."""
    stmts = [make_statement("completed"), make_statement("experienced")]
    found = check_batch(stmts, launched_view())
    assert facts(found) == [
        (4, "9.3.0.0-4", "$[0].verb.id", 403),
        (4, "9.3.0.0-4", "$[1].verb.id", 403),
    ]


def test_terminated_right_after_launch_ends_the_session():
    """cmi5 §9.3.8 (9.3.0.0-5): terminated MUST be the last statement, even in a session that was
    never initialized; a statement after it in the same batch is refused as after terminated."""
    stmts = [make_statement("terminated"), make_statement("experienced")]
    found = check_batch(stmts, launched_view())
    assert facts(found) == [(2, "9.3.0.0-5", "$[1]", 403), (4, "9.3.0.0-4", "$[0].verb.id", 403)]


def test_malformed_preferences_report_every_fault_sorted_by_row():
    """cmi5 §11 (11.0.0.0-1, 11.0.0.0-5): another agent writing an empty preferences object
    hears about the agent (row 34) and both missing properties (row 35), in row order."""
    found = check_agent_profile_request(
        "PUT", PREFS, MBOX_AGENT, _prefs({}), "application/json", make_view()
    )
    assert facts(found) == [
        (34, "11.0.0.0-1", "query:agent", 403),
        (35, "11.0.0.0-5", "$.languagePreference", 403),
        (35, "11.0.0.0-5", "$.audioPreference", 403),
    ]


def test_every_template_value_is_checked_after_a_fault():
    """cmi5 §10.2.1 (10.2.1.0-6, 10.2.1.0-7) and §9.6.3.1 (9.6.3.1-4): a fault in one template
    value (contextActivities missing, session id missing, a grouping replaced) does not stop the
    check of the others; each is reported at its own path."""
    template = {
        "contextActivities": {"grouping": [{"id": PUBLISHER_ID}], "parent": [{"id": OTHER_EXT}]},
        "extensions": {EXT_SESSION_ID: SESSION_ID, OTHER_EXT: "acme"},
        "language": "en-US",
    }
    view = make_view(context_template=template)
    stmt = make_statement("experienced")
    context = stmt["context"]
    context["contextActivities"]["grouping"] = [{"id": "https://publisher.example.com/other"}]
    del context["extensions"][EXT_SESSION_ID]
    context["language"] = "fr-FR"
    assert facts(check_statement(stmt, view)) == [
        (19, "10.2.1.0-7", "$.context.contextActivities.grouping[0].id", 403),
        (19, "10.2.1.0-6", "$.context.contextActivities.parent[0]", 403),
        (19, "10.2.1.0-6", TENANT_PATH, 403),
        (19, "10.2.1.0-7", "$.context.language", 403),
        (21, "9.6.3.1-4", SESSION_ID_PATH, 403),
    ]
    del context["contextActivities"]
    assert facts(check_statement(stmt, view)) == [
        (18, "10.2.1.0-6", "$.context.contextActivities", 403),
        (19, "10.2.1.0-6", TENANT_PATH, 403),
        (19, "10.2.1.0-7", "$.context.language", 403),
        (21, "9.6.3.1-4", SESSION_ID_PATH, 403),
    ]


def test_passed_at_exactly_the_mastery_score_is_accepted():
    """cmi5 §9.3.4 (9.3.4.0-2): passed needs scaled >= masteryScore, so equal is a pass."""
    stmt = make_statement("passed")
    stmt["result"]["score"]["scaled"] = 0.8
    assert check_statement(stmt, make_view(mastery_score=0.8)) == []


def test_launch_actor_without_object_type_is_an_agent():
    """cmi5 §9.2 (9.2.0.0-2) with xAPI-D §2.4.2.1: an actor without objectType is an Agent, so
    a defined statement from such a launch actor is not refused as a non-Agent."""
    actor = {"account": ACTOR["account"]}
    stmt = make_statement("completed")
    stmt["actor"] = copy.deepcopy(actor)
    assert check_statement(stmt, make_view(actor=actor)) == []


@pytest.mark.parametrize("actor", [ACCOUNT_GROUP, MBOX_AGENT], ids=["group", "mbox-agent"])
def test_allowed_statements_are_exempt_from_the_defined_actor_and_score_rules(actor):
    """cmi5 §9.2 (9.2.0.0-2/-3) and §9.5.1 (9.5.1.0-3) judge cmi5 defined statements only; a
    cmi5 allowed statement from a Group or an mbox Agent, with a bare raw score, hears only that
    its actor is not the launch actor (8.1.3.0-3)."""
    stmt = make_statement("experienced")
    stmt["verb"]["id"] = VERB_PASSED
    stmt["actor"] = actor
    stmt["result"] = {"score": {"raw": 5}}
    assert facts(check_statement(stmt, make_view())) == [(15, "8.1.3.0-3", "$.actor", 403)]


def test_score_on_completed_is_one_fault_not_also_a_range_fault():
    """cmi5 §9.5.1: a score on completed is 9.5.1.0-2 alone; 9.5.1.0-3 (raw needs min and max)
    judges scores on passed and failed."""
    stmt = make_statement("completed")
    stmt["result"]["score"] = {"raw": 5}
    assert facts(check_statement(stmt, make_view())) == [(24, "9.5.1.0-2", "$.result.score", 403)]


def test_a_template_value_carried_unaltered_is_accepted():
    """cmi5 §10.2.1 (10.2.1.0-7): a context that carries a scalar contextTemplate value as it is
    (here `language`) follows the template."""
    template = {**make_view().context_template, "language": "en-US"}
    stmt = make_statement("experienced")
    stmt["context"]["language"] = "en-US"
    assert check_statement(stmt, make_view(context_template=template)) == []


# --- what a violation shows: the offending value, where it differs, the verb ------------------


def _registration_refused(registration: Any) -> Cmi5Violation:
    stmt = make_statement("experienced")
    stmt["context"]["registration"] = registration
    (violation,) = check_statement(stmt, make_view())
    assert facts([violation]) == [(20, "9.6.1.0-1", "$.context.registration", 403)]
    return violation


@pytest.mark.parametrize(
    ("registration", "shown"),
    [
        ("é" * 78, '"' + "é" * 78 + '"'),  # 80 characters of JSON: shown whole
        ("é" * 79, '"' + "é" * 78 + "…"),  # 81: cut to 80, the last one the ellipsis
        ({"b": "1", "a": "2"}, '{"b": "1", "a": "2"}'),  # keys in the order sent
        (uuid.UUID(REGISTRATION), f"\"UUID('{REGISTRATION}')\""),  # a Python value: its repr
    ],
    ids=["80-characters", "81-characters", "object", "python-uuid"],
)
def test_the_offending_value_is_shown_as_sent_and_cut_at_80_characters(registration, shown):
    """Errors that teach: the offending value as JSON, non-ASCII as it is, keys unsorted, at
    most 80 characters; a value JSON cannot hold (a uuid.UUID from a Python caller) is shown by
    its repr rather than crashing the check."""
    violation = _registration_refused(registration)
    assert f"context.registration is {shown};" in violation.rule


LONG_NAME = "L" * 70
LONG_ACTOR = {
    "objectType": "Agent",
    "account": {"homePage": "https://x.example", "name": LONG_NAME},
}


@pytest.mark.parametrize(
    ("actor", "differs"),
    [
        (
            {"account": LONG_ACTOR["account"]},
            'actor.objectType is missing (expected "Agent")',
        ),
        (
            {"objectType": "Agent"},
            'actor.account is missing (expected {"homePage": "https://x.example", "name": "'
            + "L" * 16
            + "…)",
        ),
        (
            {**LONG_ACTOR, "name": "N" * 70},
            'actor.name ("' + "N" * 58 + "…) is not in the launch actor",
        ),
        (
            {"objectType": "Agent", "account": {"homePage": "https://x.example", "name": "x" * 70}},
            'actor.account.name is "' + "x" * 58 + '…, expected "' + "L" * 58 + "…",
        ),
        ("x" * 70, 'actor is "' + "x" * 58 + '…, expected {"objectType": "Agent", "account"'),
    ],
    ids=["key-missing", "object-missing", "key-added", "value-differs", "not-an-object"],
)
def test_an_actor_mismatch_names_the_first_difference_and_its_values(actor, differs):
    """cmi5 §9.2 / 8.1.3.0-3: the violation says where the actor first differs from the launch
    actor (a JSON path below `actor`) and both values there, each cut to 60 characters."""
    stmt = make_statement("experienced")
    stmt["actor"] = actor
    (violation,) = check_statement(stmt, make_view(actor=copy.deepcopy(LONG_ACTOR)))
    assert facts([violation]) == [(15, "8.1.3.0-3", "$.actor", 403)]
    assert f"actor differs from the launch actor: {differs}" in violation.rule


def test_a_violation_names_the_verb_by_its_cmi5_name_or_its_iri():
    """A cmi5 verb is named as cmi5 names it (second "completed"); any other verb by its IRI."""
    view = make_view(verbs=[VERB_INITIALIZED, VERB_COMPLETED])
    (repeated,) = check_statement(make_statement("completed"), view)
    assert facts([repeated]) == [(6, "9.3.0.0-2", "$.verb.id", 403)]
    assert repeated.rule.startswith(f'second completed in session "{SESSION_ID}";')
    stmt = make_statement("experienced")
    del stmt["id"]
    (no_id,) = check_statement(stmt, make_view())
    assert facts([no_id]) == [(13, "9.1.0.0-1", "$.id", 403)]
    assert no_id.rule.startswith(f'statement with verb "{VERB_EXPERIENCED}" without an id;')


def test_template_faults_name_the_template_value_and_the_one_sent():
    """cmi5 §10.2.1: a template fault names the context value (relative JSON path), what was
    sent and what the template holds; activities by id and position."""
    second = "https://publisher.example.com/course/7"
    template = {
        "contextActivities": {"grouping": [{"id": PUBLISHER_ID}, {"id": second}]},
        "extensions": {EXT_SESSION_ID: SESSION_ID, OTHER_EXT: "acme"},
    }
    view = make_view(context_template=template)
    stmt = make_statement("experienced")
    context = stmt["context"]
    context["contextActivities"]["grouping"] = [{"id": second}, {"id": PUBLISHER_ID}]
    context["extensions"][OTHER_EXT] = "other"
    found = check_statement(stmt, view)
    assert facts(found) == [
        (19, "10.2.1.0-6", "$.context.contextActivities.grouping[0]", 403),
        (19, "10.2.1.0-6", "$.context.contextActivities.grouping[1]", 403),
        (19, "10.2.1.0-7", TENANT_PATH, 403),
    ]
    assert found[0].rule.startswith(
        f'template activity "{PUBLISHER_ID}" is at contextActivities.grouping[1]; expected it at [0]'
    )
    name = TENANT_PATH.removeprefix("$.")
    assert found[2].rule.startswith(f'{name} is "other"; expected the contextTemplate value "acme"')
    context["contextActivities"]["grouping"] = [{"id": "https://publisher.example.com/x"}]
    del context["extensions"][OTHER_EXT]
    found = check_statement(stmt, view)
    assert facts(found) == [
        (19, "10.2.1.0-7", "$.context.contextActivities.grouping[0].id", 403),
        (19, "10.2.1.0-6", "$.context.contextActivities.grouping[1]", 403),
        (19, "10.2.1.0-6", TENANT_PATH, 403),
    ]
    assert found[0].rule.startswith(
        'contextActivities.grouping[0] is "https://publisher.example.com/x"; expected the '
        f'template activity "{PUBLISHER_ID}"'
    )
    assert found[1].rule.startswith(
        f'contextActivities.grouping lacks the template activity "{second}"; expected it at [1]'
    )
    assert found[2].rule.startswith(f'{name} is missing; expected the contextTemplate value "acme"')


def test_a_preferences_write_without_content_type_shows_it_empty():
    """cmi5 §11 (11.0.0.0-5): no Content-Type is no application/json; the violation shows ""."""
    body = json.dumps({"languagePreference": "en-US", "audioPreference": "on"}).encode()
    view = make_view()
    found = check_agent_profile_request("PUT", "cmi5LearnerPreferences", ACTOR, body, None, view)  # type: ignore[arg-type]
    assert facts(found) == [(35, "11.0.0.0-5", "header:Content-Type", 403)]
    assert found[0].rule.startswith('learner preferences written as "";')


def test_a_check_reports_a_failed_finding():
    assert rules.found("$.id", "no id").status == FAIL


@pytest.mark.parametrize(
    ("verb", "change", "expected"),
    [
        (
            "completed",
            {"result": "x"},
            [
                (22, "9.5.3.0-1", "$.result.completion", 403),
                (29, "9.5.4.1-2", "$.result.duration", 403),
            ],
        ),
        ("passed", {"result": {"score": 5, "success": True, "duration": "PT1M"}}, []),
        ("completed", {"verb": VERB_COMPLETED}, [(11, "9.3.0.0-1", "$.verb.id", 403)]),
        ("completed", {"context": "x"}, [(18, "9.6.0.0-1", "$.context", 403)]),
        (
            "completed",
            {
                "context": {
                    "registration": REGISTRATION,
                    "contextActivities": {
                        "grouping": [{"id": PUBLISHER_ID}],
                        "category": [CATEGORY_CMI5],
                    },
                    "extensions": {EXT_SESSION_ID: SESSION_ID},
                }
            },
            [],
        ),
    ],
    ids=["result", "score", "verb", "context", "category-of-strings"],
)
def test_a_part_of_the_wrong_json_type_is_read_as_absent(verb, change, expected):
    """The checks expect valid xAPI, but a part of the wrong JSON type (a string for an object,
    IRIs in place of Activities) is read as absent, never crashes them: a score that is not an
    object is no score; a category of strings holds no cmi5 activity, so the statement is cmi5
    allowed."""
    stmt = {**make_statement(verb), **change}
    assert facts(check_statement(stmt, make_view())) == expected


def test_a_statement_that_is_not_an_object_lacks_everything():
    found = check_statement(None, make_view())  # type: ignore[arg-type]
    assert facts(found) == [
        (13, "9.1.0.0-1", "$.id", 403),
        (14, "9.7.0.0-1", "$.timestamp", 403),
        (15, "8.1.3.0-3", "$.actor", 403),
        (18, "9.6.0.0-1", "$.context", 403),
    ]
    assert not is_defined(None)  # type: ignore[arg-type]
