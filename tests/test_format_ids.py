"""GET statements with format=ids (xAPI-C §2.1.3), per object kind, on both versions.

The parameter table says, in 1.0.3 and 2.0.0 alike: "If ids, only include minimum information
necessary in Agent, Activity, Verb and Group Objects to identify them. For Anonymous Groups this
means including the minimum information needed to identify each member."

What identifies each kind (xAPI-D §2.4): an Activity its "id" (objectType is optional and
defaults to Activity, §2.4.4.1); a Verb its "id" (§2.4.3); an Agent its one Inverse Functional
Identifier (§2.4.2.1), plus objectType where the Agent is a statement's object ("This property is
optional except when the Agent is used as a Statement's object"); a Group its objectType
(required, §2.4.2.2) and IFI, or, when anonymous, its members. Everything that is not one of those
four kinds (result, timestamps, registration, extensions, StatementRef) is returned as stored.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

VERSIONS = ("1.0.3", "2.0.0")
ANN = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"}
BOB = {"name": "Bob", "account": {"homePage": "https://lms.example.com", "name": "bob"}}
TEAM = {
    "objectType": "Group",
    "name": "Team",
    "mbox": "mailto:team@example.com",
    "member": [ANN, BOB],
}
CREW = {"objectType": "Group", "name": "Crew", "member": [ANN, BOB]}  # anonymous
ACTIVITY = {
    "objectType": "Activity",
    "id": "https://weare.example.com/stories/42",
    "definition": {
        "name": {"en-US": "Story 42"},
        "type": "http://adlnet.gov/expapi/activities/lesson",
    },
}
VERB = {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}}


def statement(**changes: Any) -> dict[str, Any]:
    stmt = {
        "id": str(uuid.uuid4()),
        "actor": ANN,
        "verb": VERB,
        "object": ACTIVITY,
        "result": {"score": {"scaled": 0.5}, "duration": "PT1M"},
        "timestamp": "2024-06-05T13:05:36.253Z",
    }
    stmt.update(changes)
    return stmt


def as_ids(lms, stmt: dict[str, Any], version: str) -> dict[str, Any]:
    client = lms.client(version=version)
    url = lms.endpoint() + "statements"
    r = client.post(url, json=stmt)
    assert r.status_code == 200, r.text
    got = client.get(url, params={"statementId": stmt["id"], "format": "ids"})
    assert got.status_code == 200, got.text
    return got.json()


@pytest.mark.parametrize("version", VERSIONS)
def test_activity_object_is_only_its_id(lms, version):
    """An Activity becomes {"id": ...}: no objectType, no definition."""
    assert as_ids(lms, statement(), version)["object"] == {"id": ACTIVITY["id"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_verb_is_only_its_id(lms, version):
    assert as_ids(lms, statement(), version)["verb"] == {"id": VERB["id"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_agent_actor_is_only_its_ifi(lms, version):
    """No name, and no objectType where it is optional (the actor defaults to Agent)."""
    got = as_ids(lms, statement(actor=BOB), version)
    assert got["actor"] == {"account": BOB["account"]}
    assert as_ids(lms, statement(), version)["actor"] == {"mbox": ANN["mbox"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_agent_object_keeps_object_type(lms, version):
    """objectType is required on an Agent used as a statement's object (xAPI-D §2.4.2.1)."""
    got = as_ids(lms, statement(object=ANN), version)
    assert got["object"] == {"objectType": "Agent", "mbox": ANN["mbox"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_identified_group_is_object_type_and_ifi_without_members(lms, version):
    got = as_ids(lms, statement(actor=TEAM, object=TEAM), version)
    assert got["actor"] == {"objectType": "Group", "mbox": TEAM["mbox"]}
    assert got["object"] == {"objectType": "Group", "mbox": TEAM["mbox"]}


@pytest.mark.parametrize("version", VERSIONS)
def test_anonymous_group_is_its_members_by_ifi(lms, version):
    """ "For Anonymous Groups this means including the minimum information needed to identify
    each member.\""""
    got = as_ids(lms, statement(actor=CREW), version)
    assert got["actor"] == {
        "objectType": "Group",
        "member": [{"mbox": ANN["mbox"]}, {"account": BOB["account"]}],
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_substatement_parts_are_reduced_too(lms, version):
    sub = {
        "objectType": "SubStatement",
        "actor": ANN,
        "verb": VERB,
        "object": ACTIVITY,
        "result": {"success": True},
    }
    got = as_ids(lms, statement(object=sub), version)
    assert got["object"] == {
        "objectType": "SubStatement",
        "actor": {"mbox": ANN["mbox"]},
        "verb": {"id": VERB["id"]},
        "object": {"id": ACTIVITY["id"]},
        "result": {"success": True},
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_statement_ref_is_returned_as_is(lms, version):
    """A StatementRef is no Agent, Activity, Verb or Group: objectType and id, both required."""
    ref = {"objectType": "StatementRef", "id": str(uuid.uuid4())}
    assert as_ids(lms, statement(object=ref), version)["object"] == ref


@pytest.mark.parametrize("version", VERSIONS)
def test_context_agents_groups_and_activities_are_reduced(lms, version):
    context = {
        "registration": str(uuid.uuid4()),
        "instructor": ANN,
        "team": TEAM,
        "contextActivities": {
            "parent": [ACTIVITY],
            "grouping": [{"id": "https://weare.example.com/c"}],
        },
        "extensions": {"http://example.com/ext": {"objectType": "Activity", "keep": True}},
    }
    got = as_ids(lms, statement(context=context), version)["context"]
    assert got == {
        "registration": context["registration"],
        "instructor": {"mbox": ANN["mbox"]},
        "team": {"objectType": "Group", "mbox": TEAM["mbox"]},
        "contextActivities": {
            "parent": [{"id": ACTIVITY["id"]}],
            "grouping": [{"id": "https://weare.example.com/c"}],
        },
        "extensions": context["extensions"],
    }


def test_2_0_context_agents_and_groups_are_reduced(lms):
    """xAPI 2.0 contextAgents / contextGroups hold an Agent / a Group: those are reduced, the
    wrapper (objectType contextAgent/contextGroup, relevantTypes) is kept."""
    context = {
        "contextAgents": [
            {"objectType": "contextAgent", "agent": ANN, "relevantTypes": ["http://example.com/t"]}
        ],
        "contextGroups": [{"objectType": "contextGroup", "group": CREW}],
    }
    got = as_ids(lms, statement(context=context), "2.0.0")["context"]
    assert got == {
        "contextAgents": [
            {
                "objectType": "contextAgent",
                "agent": {"mbox": ANN["mbox"]},
                "relevantTypes": ["http://example.com/t"],
            }
        ],
        "contextGroups": [
            {
                "objectType": "contextGroup",
                "group": {
                    "objectType": "Group",
                    "member": [{"mbox": ANN["mbox"]}, {"account": BOB["account"]}],
                },
            }
        ],
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_everything_else_is_returned_as_stored(lms, version):
    """format only concerns Agent, Activity, Verb and Group objects; authority is an Agent."""
    stmt = statement()
    got = as_ids(lms, stmt, version)
    exact = (
        lms.client(version=version)
        .get(lms.endpoint() + "statements", params={"statementId": stmt["id"]})
        .json()
    )
    for key in ("id", "result", "timestamp", "stored", "version"):
        assert got[key] == exact[key]
    assert got["authority"] == {"account": exact["authority"]["account"]}


def test_statement_list_and_its_more_pages_use_ids_too(lms):
    """The format holds for the StatementResult and for each page behind `more`."""
    client, url = lms.client(), lms.endpoint() + "statements"
    assert client.post(url, json=[statement(), statement()]).status_code == 200
    page = client.get(url, params={"format": "ids", "limit": 1}).json()
    assert page["statements"][0]["object"] == {"id": ACTIVITY["id"]}
    assert page["more"]
    rest = client.get(lms.base_url + page["more"]).json()
    assert rest["statements"][0]["object"] == {"id": ACTIVITY["id"]}
    assert rest["statements"][0]["actor"] == {"mbox": ANN["mbox"]}
