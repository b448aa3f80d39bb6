"""The statements the LMS writes: valid xAPI, and what the rules doc asks of each (§4.3, §4.4)."""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import replace

import pytest

from fake_lms.cmi5 import lms_statements as ls
from fake_lms.cmi5.rules import SessionView, check_statement, is_defined
from fake_lms.cmi5.vocab import (
    ACTIVITY_TYPE_BLOCK,
    ACTIVITY_TYPE_COURSE,
    CATEGORY_CMI5,
    CATEGORY_MOVEON,
    EXT_LAUNCH_MODE,
    EXT_LAUNCH_PARAMETERS,
    EXT_LAUNCH_URL,
    EXT_MASTERY_SCORE,
    EXT_MOVE_ON,
    EXT_SESSION_ID,
    RESULT_EXT_REASON,
    VERB_ABANDONED,
    VERB_LAUNCHED,
    VERB_SATISFIED,
    VERB_WAIVED,
)
from fake_lms.xapi.validation import is_duration, is_uuid, validate_statement
from tests.factories import CMI5_LEARNER

ACTOR = CMI5_LEARNER
AUTHORITY = {
    "objectType": "Agent",
    "account": {"homePage": "https://lms.example.com", "name": "fake-lms"},
}
REGISTRATION = "760e3480-ba55-4991-94b0-01820dbd23a2"
SESSION_ID = "9c1b7f0e-3f55-4a55-8f5c-6f1f4b0c2a11"
ACTIVITY_ID = "https://lms.example.com/activities/au/7a1c"
PUBLISHER_ID = "https://publisher.example.com/au/quiz-1"
BLOCK_LMS_ID = "https://lms.example.com/activities/block/3"
BLOCK_PUBLISHER_ID = "https://publisher.example.com/block/part-1"
TS = "2024-05-01T12:00:00.000Z"
LAUNCH_URL = (
    "https://content.example.com/au/index.html?lang=fr&endpoint=https%3A%2F%2Flms.example.com%2Fxapi"
    "&fetch=https%3A%2F%2Flms.example.com%2Ffetch%2Fabc&actor=%7B%7D&registration="
    + REGISTRATION
    + "&activityId=https%3A%2F%2Flms.example.com%2Factivities%2Fau%2F7a1c#start"
)
UTC = re.compile(r"(Z|\+00:?(?:00)?)$")


def make_view(**changes) -> SessionView:
    view = SessionView(
        session_id=SESSION_ID,
        registration=REGISTRATION,
        actor=copy.deepcopy(ACTOR),
        activity_id=ACTIVITY_ID,
        publisher_id=PUBLISHER_ID,
        launch_mode="Normal",
        mastery_score=0.8,
        move_on="CompletedAndPassed",
        context_template=ls.context_template(SESSION_ID, PUBLISHER_ID),
        state="initialized",
        prefs_fetched=True,
        verbs=[],
        registration_completed=False,
        registration_passed=False,
    )
    return replace(view, **changes)


def build_launched(
    view: SessionView | None = None, launch_parameters: str | None = "Start=1"
) -> dict:
    return ls.launched(
        view or make_view(),
        launch_url=LAUNCH_URL,
        launch_parameters=launch_parameters,
        authority=AUTHORITY,
        timestamp=TS,
    )


def build_abandoned(view: SessionView | None = None) -> dict:
    return ls.abandoned(view or make_view(), duration="PT5M", authority=AUTHORITY, timestamp=TS)


WAIVE_SESSION = "5e0a3c1d-8c0b-4a1e-9d7e-2b9f6f0f4c22"


def build_waived(view: SessionView | None = None) -> dict:
    return ls.waived(
        view or make_view(),
        reason="Tested Out",
        new_session_id=WAIVE_SESSION,
        authority=AUTHORITY,
        timestamp=TS,
    )


def build_satisfied() -> dict:
    return ls.satisfied(
        actor=ACTOR,
        registration=REGISTRATION,
        object_id=BLOCK_LMS_ID,
        activity_type=ACTIVITY_TYPE_BLOCK,
        publisher_id=BLOCK_PUBLISHER_ID,
        session_id=SESSION_ID,
        authority=AUTHORITY,
        timestamp=TS,
    )


BUILDERS = {
    "launched": build_launched,
    "abandoned": build_abandoned,
    "waived": build_waived,
    "satisfied": build_satisfied,
}


def view_for(name: str, stmt: dict) -> SessionView:
    """The session a statement of this kind is about, for check_statement."""
    if name == "waived":
        return make_view(context_template=ls.context_template(WAIVE_SESSION, PUBLISHER_ID))
    if name == "satisfied":
        return make_view(
            activity_id=BLOCK_LMS_ID,
            publisher_id=BLOCK_PUBLISHER_ID,
            context_template=ls.context_template(SESSION_ID, BLOCK_PUBLISHER_ID),
        )
    return make_view()


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_builder_writes_valid_xapi(name):
    assert validate_statement(BUILDERS[name]()) == []


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_builder_writes_a_cmi5_defined_statement_per_the_rules(name):
    """Each passes every AU-statement check except row 11 (the verb is the LMS's own)."""
    stmt = BUILDERS[name]()
    assert is_defined(stmt)
    found = check_statement(stmt, view_for(name, stmt))
    assert [(v.row, v.requirement) for v in found] == [(11, "9.3.0.0-1")]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_builder_sets_id_timestamp_authority_and_session(name):
    stmt = BUILDERS[name]()
    assert is_uuid(stmt["id"])
    assert stmt["timestamp"] == TS and UTC.search(stmt["timestamp"])
    assert stmt["authority"] == AUTHORITY
    assert stmt["actor"] == ACTOR
    assert stmt["context"]["registration"] == REGISTRATION
    assert stmt["context"]["extensions"][EXT_SESSION_ID]
    assert stmt["context"]["contextActivities"]["grouping"][0]["id"] in (
        PUBLISHER_ID,
        BLOCK_PUBLISHER_ID,
    )
    assert {"id": CATEGORY_CMI5} in stmt["context"]["contextActivities"]["category"]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_call_gets_a_fresh_id(name):
    assert BUILDERS[name]()["id"] != BUILDERS[name]()["id"]


def test_builders_do_not_share_the_views_objects():
    view = make_view()
    stmt = build_launched(view)
    stmt["actor"]["account"]["name"] = "changed"
    stmt["context"]["contextActivities"]["grouping"].append({"id": "https://x.example.com"})
    stmt["context"]["extensions"]["https://x.example.com/e"] = 1
    stmt["authority"]["account"]["name"] = "changed"
    assert view.actor == ACTOR
    assert view.context_template == ls.context_template(SESSION_ID, PUBLISHER_ID)
    assert AUTHORITY["account"]["name"] == "fake-lms"


def test_launched_carries_the_launch_extensions():
    stmt = build_launched()
    assert stmt["verb"]["id"] == VERB_LAUNCHED
    assert stmt["object"]["id"] == ACTIVITY_ID
    ext = stmt["context"]["extensions"]
    assert ext[EXT_SESSION_ID] == SESSION_ID
    assert ext[EXT_LAUNCH_MODE] == "Normal"
    assert ext[EXT_MOVE_ON] == "CompletedAndPassed"
    assert ext[EXT_LAUNCH_PARAMETERS] == "Start=1"
    assert ext[EXT_MASTERY_SCORE] == 0.8
    assert "result" not in stmt
    assert {"id": CATEGORY_MOVEON} not in stmt["context"]["contextActivities"]["category"]


def test_launched_url_loses_only_the_cmi5_pairs():
    url = build_launched()["context"]["extensions"][EXT_LAUNCH_URL]
    assert url == "https://content.example.com/au/index.html?lang=fr#start"


def test_launched_url_without_query_is_kept():
    assert (
        ls.strip_launch_parameters("https://c.example.com/a.html") == "https://c.example.com/a.html"
    )
    assert (
        ls.strip_launch_parameters("https://c.example.com/a.html?endpoint=x&fetch=y")
        == "https://c.example.com/a.html"
    )


def test_launched_omits_unset_launch_parameters_and_mastery_score():
    stmt = build_launched(
        make_view(mastery_score=None, launch_mode="Browse"), launch_parameters=None
    )
    ext = stmt["context"]["extensions"]
    assert EXT_LAUNCH_PARAMETERS not in ext and EXT_MASTERY_SCORE not in ext
    assert ext[EXT_LAUNCH_MODE] == "Browse"
    assert validate_statement(stmt) == []


def test_launched_keeps_template_additions_first():
    template = ls.context_template(SESSION_ID, PUBLISHER_ID)
    template["contextActivities"]["grouping"].append({"id": "https://lms.example.com/course/42"})
    template["extensions"]["https://lms.example.com/ext/tenant"] = "acme"
    stmt = build_launched(make_view(context_template=template))
    acts = stmt["context"]["contextActivities"]
    assert [a["id"] for a in acts["grouping"]] == [
        PUBLISHER_ID,
        "https://lms.example.com/course/42",
    ]
    assert stmt["context"]["extensions"]["https://lms.example.com/ext/tenant"] == "acme"
    assert [(v.row) for v in check_statement(stmt, make_view(context_template=template))] == [11]


def test_abandoned_has_duration_and_no_move_on():
    stmt = build_abandoned()
    assert stmt["verb"]["id"] == VERB_ABANDONED
    assert stmt["result"] == {"duration": "PT5M"}
    assert stmt["object"]["id"] == ACTIVITY_ID
    assert {"id": CATEGORY_MOVEON} not in stmt["context"]["contextActivities"]["category"]


def test_waived_has_success_completion_reason_move_on_and_new_session():
    stmt = build_waived()
    assert stmt["verb"]["id"] == VERB_WAIVED
    assert stmt["result"]["success"] is True and stmt["result"]["completion"] is True
    assert stmt["result"]["extensions"][RESULT_EXT_REASON] == "Tested Out"
    assert {"id": CATEGORY_MOVEON} in stmt["context"]["contextActivities"]["category"]
    assert stmt["context"]["extensions"][EXT_SESSION_ID] == WAIVE_SESSION != SESSION_ID
    assert stmt["object"]["id"] == ACTIVITY_ID


def test_satisfied_object_is_the_lms_block_with_its_type():
    stmt = build_satisfied()
    assert stmt["verb"]["id"] == VERB_SATISFIED
    assert stmt["object"] == {
        "id": BLOCK_LMS_ID,
        "objectType": "Activity",
        "definition": {"type": ACTIVITY_TYPE_BLOCK},
    }
    assert stmt["context"]["contextActivities"]["grouping"] == [{"id": BLOCK_PUBLISHER_ID}]
    assert stmt["context"]["extensions"] == {EXT_SESSION_ID: SESSION_ID}


def test_satisfied_course_is_valid():
    stmt = ls.satisfied(
        actor=ACTOR,
        registration=REGISTRATION,
        object_id="https://lms.example.com/course/42",
        activity_type=ACTIVITY_TYPE_COURSE,
        publisher_id="https://publisher.example.com/course",
        session_id=str(uuid.uuid4()),
        authority=AUTHORITY,
        timestamp=TS,
    )
    assert validate_statement(stmt) == []
    assert stmt["object"]["definition"]["type"] == ACTIVITY_TYPE_COURSE


def test_satisfied_refuses_other_types_and_publisher_ids():
    kwargs = {
        "actor": ACTOR,
        "registration": REGISTRATION,
        "object_id": BLOCK_LMS_ID,
        "activity_type": ACTIVITY_TYPE_BLOCK,
        "publisher_id": BLOCK_PUBLISHER_ID,
        "session_id": SESSION_ID,
        "authority": AUTHORITY,
        "timestamp": TS,
    }
    with pytest.raises(ValueError):
        ls.satisfied(**{**kwargs, "activity_type": "http://adlnet.gov/expapi/activities/module"})
    with pytest.raises(ValueError):
        ls.satisfied(**{**kwargs, "object_id": BLOCK_PUBLISHER_ID})


def test_context_template_holds_session_id_and_publisher_grouping():
    assert ls.context_template("s-1", PUBLISHER_ID) == {
        "contextActivities": {"grouping": [{"id": PUBLISHER_ID}]},
        "extensions": {EXT_SESSION_ID: "s-1"},
    }


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (843.2, "PT14M3.2S"),
        (0, "PT0S"),
        (0.004, "PT0S"),
        (0.5, "PT0.5S"),
        (59.999, "PT1M"),
        (60, "PT1M"),
        (3600, "PT1H"),
        (3661.25, "PT1H1M1.25S"),
        (90000, "PT25H"),
        (12, "PT12S"),
    ],
)
def test_iso_duration(seconds, expected):
    assert ls.iso_duration(seconds) == expected
    assert is_duration(expected)


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf")])
def test_iso_duration_refuses_impossible_values(bad):
    with pytest.raises(ValueError):
        ls.iso_duration(bad)
