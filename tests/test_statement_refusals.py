"""What the LRS says when it refuses a statement: POST /statements over real HTTP answers 400
with every violation's JSON path, its rule in words (the value received, the value expected)
and the xAPI section, exactly; and what the spec allows is stored (200). Each case is read off
xAPI 1.0.3 Data (xAPI-D) or the 2.0.0 deltas of cmi5-xapi-rules.md §5.8."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fake_lms.live import FakeLMS
from tests.factories import statement

AGENT = {"objectType": "Agent", "mbox": "mailto:a@example.com"}
AGENT_B = {"objectType": "Agent", "mbox": "mailto:b@example.com"}
TWO_IFIS = {"mbox": "mailto:a@example.com", "openid": "https://id.example.com/a"}
IRI = "an absolute IRI with a scheme (RFC 3987)"
INTERACTION_TYPES = (
    "true-false", "choice", "fill-in", "long-fill-in", "matching",
    "performance", "sequencing", "likert", "numeric", "other",
)  # fmt: skip
NEEDS_ONE_IFI = "an Agent needs exactly one of mbox, mbox_sha1sum, openid, account; found"


@pytest.fixture(scope="module")
def lrs(module_lms: FakeLMS) -> FakeLMS:
    """One LRS for the module: each case posts a statement of its own and reads only its answer."""
    return module_lms


def stmt(**changes: Any) -> dict[str, Any]:
    """The factory's valid statement with dotted paths set ("result.score.raw": 5)."""
    out = copy.deepcopy(statement())
    for dotted, value in changes.items():
        node = out
        *parents, last = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = copy.deepcopy(value)
    return out


def post(lrs: FakeLMS, body: Any, version: str) -> Any:
    return lrs.client(version=version).post(lrs.endpoint() + "statements", json=body)


def refusal(lrs: FakeLMS, body: Any, version: str = "1.0.3") -> list[tuple[str, str, str]]:
    r = post(lrs, body, version)
    assert r.status_code == 400, r.text
    return [(v["path"], v["rule"], v["section"]) for v in r.json()["violations"]]


def assert_stored(lrs: FakeLMS, body: dict[str, Any], version: str = "1.0.3") -> None:
    r = post(lrs, body, version)
    assert r.status_code == 200, r.text
    got = lrs.client(version=version).get(
        lrs.endpoint() + "statements", params={"statementId": body["id"]}
    )
    assert got.status_code == 200, got.text


# --- xAPI-D §2.2.s4.b1.b2/b3: a value of the wrong JSON type, named with what arrived ------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"result__completion": "true"},
            (
                "$[0].result.completion",
                'expected a boolean, got string "true"',
                "xAPI-D §2.4.5 XAPI-00075",
            ),
            id="boolean-as-string",
        ),
        pytest.param(
            {"result__score__raw": "0.65"},
            (
                "$[0].result.score.raw",
                'expected a number, got string "0.65"',
                "xAPI-D §2.4.5.1 XAPI-00082",
            ),
            id="number-as-string",
        ),
        pytest.param(
            {"actor__name": 5},
            ("$[0].actor.name", "expected a string, got number 5", "xAPI-D §2.4.2.1 XAPI-00033"),
            id="name-as-number",
        ),
        pytest.param(
            {"verb__id": True},
            ("$[0].verb.id", "expected a string, got boolean true", "xAPI-D §2.4.3 XAPI-00044"),
            id="verb-id-as-boolean",
        ),
        pytest.param(
            {"result__response": {}},
            (
                "$[0].result.response",
                "expected a string, got object {}",
                "xAPI-D §2.4.5 XAPI-00076",
            ),
            id="response-as-object",
        ),
        pytest.param(
            {"context__revision": []},
            (
                "$[0].context.revision",
                "expected a string, got array []",
                "xAPI-D §2.4.6 XAPI-00089",
            ),
            id="revision-as-array",
        ),
        pytest.param(
            {"result": "done"},
            ("$[0].result", 'expected an object, got string "done"', "xAPI-D §2.4.5"),
            id="result-as-string",
        ),
        pytest.param(
            {"attachments": {}},
            ("$[0].attachments", "expected an array, got object {}", "xAPI-D §2.4.11 XAPI-00025"),
            id="attachments-as-object",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_named_with_the_type_and_value_received(
    lrs, changes, expected
) -> None:
    """xAPI-D §2.2.s4.b1: the LRS MUST reject statements "with strings where numbers are
    required" and "with strings where booleans are required"; every property has one type."""
    assert refusal(lrs, stmt(**changes)) == [expected]


def test_an_attachment_length_must_be_a_whole_non_negative_number(lrs) -> None:
    """xAPI-D §2.4.11: length is an "Integer", "the length of the Attachment data in octets"."""
    attachment = {
        "usageType": "http://example.com/attachment-usage/test",
        "display": {"en-US": "a"},
        "contentType": "text/plain",
        "sha2": "a" * 64,
        "fileUrl": "http://example.com/a.txt",
    }
    where, section = "$[0].attachments[0].length", "xAPI-D §2.4.11 XAPI-00102"
    half = stmt(attachments=[{**attachment, "length": 1.5}])
    assert refusal(lrs, half) == [(where, "expected an integer, got number 1.5", section)]
    negative = stmt(attachments=[{**attachment, "length": -1}])
    assert refusal(lrs, negative) == [(where, "-1 is below the minimum 0", section)]


# --- xAPI-D §2.2.s4.b1.b4-b7: formats, enumerations, ranges, keys -------------------------------


def test_a_scaled_score_outside_minus_one_to_one_names_the_bound_it_crosses(lrs) -> None:
    """xAPI-D §2.4.5.1: scaled is a "Decimal number between -1 and 1, inclusive"."""
    where, section = "$[0].result.score.scaled", "xAPI-D §2.4.5.1 XAPI-00083"
    assert refusal(lrs, stmt(result__score__scaled=1.5)) == [
        (where, "1.5 is above the maximum 1", section)
    ]
    assert refusal(lrs, stmt(result__score__scaled=-1.5)) == [
        (where, "-1.5 is below the minimum -1", section)
    ]
    assert_stored(lrs, stmt(result__score__scaled=-1))
    assert_stored(lrs, stmt(result__score__scaled=1))


def test_an_enumerated_value_in_the_wrong_case_is_told_values_are_case_sensitive(lrs) -> None:
    """xAPI-D §2.2.s4.b1.b6: reject "where the case of a value restricted to enumerated values
    does not match an enumerated value given in this specification exactly"."""
    case = "xAPI-D §2.2 XAPI-00009"
    agent = stmt(actor={**AGENT, "objectType": "agent"})
    assert refusal(lrs, agent) == [
        (
            "$[0].actor.objectType",
            'expected "Agent" or "Group"; got "agent" (values are case-sensitive)',
            case,
        )
    ]
    activity = stmt(object__objectType="activity")
    kinds = '"Activity" or "Agent" or "Group" or "SubStatement" or "StatementRef"'
    assert refusal(lrs, activity) == [
        (
            "$[0].object.objectType",
            f'expected {kinds}; got "activity" (values are case-sensitive)',
            case,
        )
    ]


def test_an_unknown_interaction_type_lists_the_ten_the_spec_defines(lrs) -> None:
    """xAPI-D §2.4.4.1: interactionType is one of true-false, choice, fill-in, long-fill-in,
    matching, performance, sequencing, likert, numeric or other."""
    kinds = " or ".join(f'"{k}"' for k in INTERACTION_TYPES)
    assert refusal(lrs, stmt(object__definition__interactionType="essay")) == [
        (
            "$[0].object.definition.interactionType",
            f'expected {kinds}; got "essay"',
            "xAPI-D §2.4.4.1 XAPI-00049",
        )
    ]


def test_an_mbox_without_mailto_says_what_an_mbox_is(lrs) -> None:
    """xAPI-D §2.4.2.3: mbox is "mailto:email address"; §2.2.s4.b1.b4 non-format-following."""
    assert refusal(lrs, stmt(actor={"mbox": "a@example.com"})) == [
        (
            "$[0].actor.mbox",
            "\"a@example.com\" is not a 'mailto:' IRI with an email address",
            "xAPI-D §2.4.2.3 XAPI-00038",
        )
    ]


def test_an_offending_value_is_quoted_whole_up_to_80_characters_and_unescaped(lrs) -> None:
    """A 400 quotes the value it refuses (xAPI-D §2.2.s4.b1.b8, an IRI without a scheme): as
    JSON, non-ASCII letters as they are, and cut with an ellipsis past 80 characters."""
    section = "xAPI-D §2.4.3 XAPI-00044"
    fits = '"' + "x" * 78 + '"'  # 80 characters
    assert refusal(lrs, stmt(verb__id="x" * 78)) == [
        ("$[0].verb.id", f"{fits} is not {IRI}", section)
    ]
    cut = '"' + "x" * 78 + "…"  # 79 characters of the 81 and the ellipsis
    assert refusal(lrs, stmt(verb__id="x" * 79)) == [
        ("$[0].verb.id", f"{cut} is not {IRI}", section)
    ]
    assert refusal(lrs, stmt(verb__id="x" * 200)) == [
        ("$[0].verb.id", f"{cut} is not {IRI}", section)
    ]
    assert refusal(lrs, stmt(verb__id="été")) == [("$[0].verb.id", f'"été" is not {IRI}', section)]


def test_a_missing_required_property_names_the_object_it_belongs_to(lrs) -> None:
    """xAPI-D §2.4.3: a Verb's id is Required."""
    assert refusal(lrs, stmt(verb={"display": {"en-US": "completed"}})) == [
        (
            "$[0].verb.id",
            "required property 'id' is missing from the Verb",
            "xAPI-D §2.4.3 XAPI-00044",
        )
    ]


def test_a_substatement_with_an_id_is_told_the_key_is_not_allowed_there(lrs) -> None:
    """xAPI-D §2.4.4.3: a SubStatement "MUST NOT have the "id", "stored", "version" or
    "authority" properties"."""
    sub = {
        "objectType": "SubStatement",
        "id": "2a5a4bd4-3c7e-4f1d-9a27-6f0d1c5c7f10",
        "actor": AGENT,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
        "object": {"id": "https://example.com/activities/a"},
    }
    assert refusal(lrs, stmt(object=sub)) == [
        ("$[0].object.id", "'id' is not allowed in this SubStatement", "xAPI-D §2.4.4.3 XAPI-00070")
    ]


def test_relevant_types_when_present_must_not_be_empty(lrs) -> None:
    """xAPI 2.0.0 contextAgents/contextGroups: relevantTypes is optional but, if present, a
    non-empty list of IRIs (cmi5-xapi-rules.md §5.8 item 3)."""
    entry = {"objectType": "contextAgent", "agent": AGENT, "relevantTypes": []}
    assert refusal(lrs, stmt(context__contextAgents=[entry]), "2.0.0") == [
        (
            "$[0].context.contextAgents[0].relevantTypes",
            "relevantTypes, when present, must list at least one Activity type IRI",
            "xAPI 2.0 contextAgents/contextGroups",
        )
    ]
    entry["relevantTypes"] = ["https://example.com/roles/coach"]
    assert_stored(lrs, stmt(context__contextAgents=[entry]), "2.0.0")


# --- xAPI-D §2.4.2: Agents and Groups, wherever they stand -----------------------------------------


@pytest.mark.parametrize(
    ("changes", "version", "expected"),
    [
        pytest.param(
            {"actor": {"objectType": "Agent", "name": "x"}},
            "1.0.3",
            [("$[0].actor", f"{NEEDS_ONE_IFI} none", "xAPI-D §2.4.2.1 XAPI-00034")],
            id="actor-without-ifi",
        ),
        pytest.param(
            {"actor": {"objectType": "Agent", **TWO_IFIS}},
            "1.0.3",
            [("$[0].actor", f"{NEEDS_ONE_IFI} 2 (mbox, openid)", "xAPI-D §2.4.2.1 XAPI-00034")],
            id="actor-with-two-ifis",
        ),
        pytest.param(
            {"actor": {"objectType": "Group", **TWO_IFIS}},
            "1.0.3",
            [
                (
                    "$[0].actor",
                    "a Group has at most one IFI; this one has 2 (mbox, openid)",
                    "xAPI-D §2.4.2.2 XAPI-00037",
                )
            ],
            id="identified-group-with-two-ifis",
        ),
        pytest.param(
            {"actor": {"objectType": "Group", "name": "g", "member": []}},
            "1.0.3",
            [
                (
                    "$[0].actor.member",
                    "an anonymous Group (no IFI) must list its members in 'member'",
                    "xAPI-D §2.4.2.2 XAPI-00037",
                )
            ],
            id="anonymous-group-without-members",
        ),
        pytest.param(
            {"object": {"objectType": "Agent", **TWO_IFIS}},
            "1.0.3",
            [("$[0].object", f"{NEEDS_ONE_IFI} 2 (mbox, openid)", "xAPI-D §2.4.2.1 XAPI-00034")],
            id="agent-object-with-two-ifis",
        ),
        pytest.param(
            {"context__instructor": {"objectType": "Agent", "name": "x"}},
            "1.0.3",
            [("$[0].context.instructor", f"{NEEDS_ONE_IFI} none", "xAPI-D §2.4.2.1 XAPI-00034")],
            id="instructor-without-ifi",
        ),
        pytest.param(
            {"context__team": {"objectType": "Group", **TWO_IFIS}},
            "1.0.3",
            [
                (
                    "$[0].context.team",
                    "a Group has at most one IFI; this one has 2 (mbox, openid)",
                    "xAPI-D §2.4.2.2 XAPI-00037",
                )
            ],
            id="team-with-two-ifis",
        ),
        pytest.param(
            {"authority": {"objectType": "Agent", **TWO_IFIS}},
            "1.0.3",
            [("$[0].authority", f"{NEEDS_ONE_IFI} 2 (mbox, openid)", "xAPI-D §2.4.2.1 XAPI-00034")],
            id="authority-agent-with-two-ifis",
        ),
        pytest.param(
            {
                "context__contextAgents": [
                    {"objectType": "contextAgent", "agent": {"objectType": "Agent", "name": "x"}}
                ]
            },
            "2.0.0",
            [
                (
                    "$[0].context.contextAgents[0].agent",
                    f"{NEEDS_ONE_IFI} none",
                    "xAPI-D §2.4.2.1 XAPI-00034",
                )
            ],
            id="context-agent-without-ifi",
        ),
        pytest.param(
            {
                "context__contextGroups": [
                    {"objectType": "contextGroup", "group": {"objectType": "Group", "name": "g"}}
                ]
            },
            "2.0.0",
            [
                (
                    "$[0].context.contextGroups[0].group.member",
                    "an anonymous Group (no IFI) must list its members in 'member'",
                    "xAPI-D §2.4.2.2 XAPI-00037",
                )
            ],
            id="context-group-anonymous-without-members",
        ),
    ],
)
def test_every_agent_and_group_of_a_statement_is_identified_as_the_spec_asks(
    lrs, changes, version, expected
) -> None:
    """xAPI-D §2.4.2.1.s2: an Agent "MUST be identified by one (1) of the four types of Inverse
    Functional Identifiers" and "MUST NOT include more than one"; §2.4.2.2: an Identified Group
    "MUST include exactly one (1) Inverse Functional Identifier", an Anonymous Group "MUST
    include a 'member' property listing constituent Agents" -- as actor, object, instructor,
    team, authority, and (2.0.0) in contextAgents and contextGroups alike."""
    assert refusal(lrs, stmt(**changes), version) == expected


def test_an_agent_or_group_object_without_object_type_is_told_to_declare_it(lrs) -> None:
    """xAPI-D §2.4.4.2: "Statements that specify an Agent or Group as an Object MUST specify
    an 'objectType' property"; without one an object is read as an Activity."""
    rule = "an Agent or Group used as the object must declare objectType"
    expected = [("$[0].object.objectType", rule, "xAPI-D §2.4.4.2 XAPI-00065")]
    assert refusal(lrs, stmt(object={"mbox": "mailto:a@example.com"})) == expected
    assert refusal(lrs, stmt(object={"member": [AGENT]})) == expected


def test_an_agent_with_members_is_refused_for_the_key_alone(lrs) -> None:
    """xAPI-D §2.4.2.2: member is a Group's property; an Agent carrying one is refused for that
    key, and its would-be members are not judged as a Group's."""
    actor = {**AGENT, "member": [{"name": "nobody"}]}
    assert refusal(lrs, stmt(actor=actor)) == [
        ("$[0].actor.member", "'member' is not allowed in this Agent", "xAPI-D §2.4.2.2 XAPI-00035")
    ]


def test_a_group_inside_a_group_is_refused_once_as_not_an_agent(lrs) -> None:
    """xAPI-D §2.4.2.2: a Group's member is "the members of this Group ... Array of Agent
    Objects" (Groups MUST NOT contain Groups): the one fault is that the member is a Group."""
    inner = {"objectType": "Group", **TWO_IFIS}
    actor = {"objectType": "Group", "name": "g", "member": [inner]}
    assert refusal(lrs, stmt(actor=actor)) == [
        (
            "$[0].actor.member[0].objectType",
            'a Group\'s members must be Agents; got "Group"',
            "xAPI-D §2.4.2.2 XAPI-00036",
        )
    ]


def test_an_agent_object_with_a_definition_is_refused_for_the_key_alone(lrs) -> None:
    """xAPI-D §2.4.4.2: an Agent as object has an Agent's properties; a definition belongs to
    an Activity (§2.4.4.1), so it is an unknown key here, not an interaction to judge."""
    obj = {**AGENT, "definition": {"correctResponsesPattern": ["a"]}}
    allowed = "objectType, name, mbox, mbox_sha1sum, openid, account"
    assert refusal(lrs, stmt(object=obj)) == [
        (
            "$[0].object.definition",
            f"unknown key 'definition' in the Agent (allowed: {allowed})",
            "xAPI-D §2.2 XAPI-00010",
        )
    ]


# --- xAPI-D §2.4.9: authority --------------------------------------------------------------------


def test_an_authority_group_is_an_anonymous_pair_of_agents(lrs) -> None:
    """xAPI-D §2.4.9.s3.b1: "Authority MUST be an Agent, except in 3-legged OAuth, where it
    MUST be a Group with two Agents. The two Agents represent an application and user
    together." The pair is anonymous (no IFI)."""
    member_rule = "an authority Group must have exactly two Agents (OAuth consumer and user); has"
    none = stmt(authority={"objectType": "Group", "member": []})
    assert refusal(lrs, none) == [
        ("$[0].authority.member", f"{member_rule} 0", "xAPI-D §2.4.9 XAPI-00098")
    ]
    three = stmt(authority={"objectType": "Group", "member": [AGENT, AGENT_B, AGENT]})
    assert refusal(lrs, three) == [
        ("$[0].authority.member", f"{member_rule} 3", "xAPI-D §2.4.9 XAPI-00100")
    ]
    named = {"objectType": "Group", "mbox": "mailto:g@example.com", "member": [AGENT, AGENT_B]}
    assert refusal(lrs, stmt(authority=named)) == [
        (
            "$[0].authority",
            "an authority Group must be anonymous (the OAuth consumer and the user, no IFI)",
            "xAPI-D §2.4.9 XAPI-00098",
        )
    ]


# --- xAPI-D §2.4.4.1: interaction activities -------------------------------------------------------


def test_interaction_definitions_name_the_component_list_at_fault(lrs) -> None:
    """xAPI-D §2.4.4.1: Interaction Activities "MUST have a valid interactionType"; each
    component list belongs to given interaction types (choices: choice, sequencing; scale:
    likert ...); "Within an array of interaction components, all id values MUST be distinct"."""
    section = "xAPI-D §2.4.4.1"
    definition = "$[0].object.definition"
    assert refusal(lrs, stmt(object__definition__correctResponsesPattern=["a"])) == [
        (
            f"{definition}.correctResponsesPattern",
            "correctResponsesPattern is given but interactionType is missing",
            f"{section} XAPI-00064",
        )
    ]
    likert = {"interactionType": "likert", "choices": [{"id": "a"}]}
    assert refusal(lrs, stmt(object__definition=likert)) == [
        (
            f"{definition}.choices",
            "'choices' is only for interactionType choice or sequencing; here it is \"likert\"",
            section,
        )
    ]
    twice = {"interactionType": "likert", "scale": [{"id": "a"}, {"id": "a"}]}
    assert refusal(lrs, stmt(object__definition=twice)) == [
        (
            f"{definition}.scale[1].id",
            "interaction component id \"a\" appears twice in 'scale'",
            f"{section} XAPI-00058",
        )
    ]


def test_a_single_context_activity_has_its_definition_judged_too(lrs) -> None:
    """xAPI-D §2.4.6.2: a contextActivities value is "an Activity Object or an array of
    Activity Objects"; the single Activity's definition is held to §2.4.4.1 all the same."""
    category = {
        "id": "https://example.com/activities/quiz",
        "definition": {"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]},
    }
    assert refusal(lrs, stmt(context__contextActivities={"category": category})) == [
        (
            "$[0].context.contextActivities.category.definition.choices[1].id",
            "interaction component id \"a\" appears twice in 'choices'",
            "xAPI-D §2.4.4.1 XAPI-00058",
        )
    ]


# --- xAPI-D §2.4.5.1, §2.4.6: score and context ------------------------------------------------------


def test_score_bounds_quote_the_values_that_disagree(lrs) -> None:
    """xAPI-D §2.4.5.1: min is a "Decimal number less than max (if present)", raw a "Decimal
    number between min and max (if present, otherwise unrestricted), inclusive"."""
    section = "xAPI-D §2.4.5.1"
    assert refusal(lrs, stmt(result__score={"min": 5, "max": 5})) == [
        ("$[0].result.score.min", "min 5 must be less than max 5", f"{section} XAPI-00081")
    ]
    assert refusal(lrs, stmt(result__score={"min": 0, "max": 10, "raw": -1})) == [
        ("$[0].result.score.raw", "raw -1 is below min 0", f"{section} XAPI-00082")
    ]
    assert refusal(lrs, stmt(result__score={"min": 0, "max": 10, "raw": 11})) == [
        ("$[0].result.score.raw", "raw 11 is above max 10", f"{section} XAPI-00082")
    ]


def test_revision_on_a_statement_about_an_agent_names_the_object_kind(lrs) -> None:
    """xAPI-D §2.4.6.s4.b1: "The revision property MUST only be used if the Statement's Object
    is an Activity"."""
    assert refusal(lrs, stmt(object=AGENT, context__revision="r1")) == [
        (
            "$[0].context.revision",
            "context.revision is only allowed when the object is an Activity, not an Agent",
            "xAPI-D §2.4.6 XAPI-00084",
        )
    ]


# --- xAPI-D §4.5, §2.4.10, §2.3.2: timestamps, version, voiding --------------------------------------


def test_timestamp_refusals_quote_the_timestamp(lrs) -> None:
    """xAPI-D §4.5: "A Timestamp MUST be formatted according to ISO 8601" -- whose calendar has
    no 30 February and which separates date and time with 'T' (RFC 3339's space is 2.0.0's)."""
    section = "xAPI-D §4.5 XAPI-00022"
    assert refusal(lrs, stmt(timestamp="2015-02-30T00:00:00Z")) == [
        ("$[0].timestamp", '"2015-02-30T00:00:00Z" is not a real date and time', section)
    ]
    space = (
        '"2015-11-18 12:17:00Z" separates date and time with a space: RFC 3339 allows it, but'
        " xAPI 1.0.3 requires ISO 8601, which separates them with 'T' (2.0.0 accepts it)"
    )
    assert refusal(lrs, stmt(timestamp="2015-11-18 12:17:00Z")) == [
        ("$[0].timestamp", space, section)
    ]


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param("0000-02-29T00:00:00Z", id="year-0000-is-a-leap-year"),
        pytest.param("0000-06-30T23:59:60Z", id="leap-second-in-year-0000"),
        pytest.param("9999-06-30T23:59:60Z", id="leap-second-in-year-9999"),
    ],
)
def test_iso_8601_instants_at_the_ends_of_the_calendar_are_stored(lrs, timestamp) -> None:
    """ISO 8601 numbers the years 0000-9999 in the proleptic Gregorian calendar (0000 is 1 BC,
    a leap year) and writes a leap second as second 60: each of these is a real instant."""
    assert_stored(lrs, stmt(timestamp=timestamp))


def test_a_statement_version_other_than_1_0_is_refused_on_a_1_0_3_request(lrs) -> None:
    """xAPI-D §2.4.10.s3.b2: "An LRS MUST reject all Statements with a version specified that
    does not start with 1.0."; a 2.0.0 request takes "2.0.0" (cmi5-xapi-rules.md §5.8)."""
    assert refusal(lrs, stmt(version="2.0.0")) == [
        (
            "$[0].version",
            'statement version "2.0.0" is not accepted on an xAPI 1.0.3 request;'
            " it must start with '1.0.'",
            "xAPI-D §2.4.10 XAPI-00101",
        )
    ]
    assert_stored(lrs, stmt(version="2.0.0"), "2.0.0")


def test_a_voiding_statement_about_an_activity_is_refused(lrs) -> None:
    """xAPI-D §2.3.2.s2.b1: "the Object of that voiding Statement MUST have the objectType
    property set to StatementRef"."""
    voiding = stmt(verb={"id": "http://adlnet.gov/expapi/verbs/voided"})
    assert refusal(lrs, voiding) == [
        (
            "$[0].object",
            "a statement with verb 'voided' must have a StatementRef as its object",
            "xAPI-D §2.3.2 XAPI-00017",
        )
    ]


# --- query parameters: xAPI-D §2.2.s4.b4 -------------------------------------------------------------


def test_a_since_in_month_13_is_a_400_naming_since(lrs) -> None:
    """xAPI-D §2.2.s4.b4: "The LRS MUST validate parameter values to the same standards
    required for values of the same types in Statements": a timestamp of month 13 is no
    ISO 8601 timestamp, so the GET is refused naming the parameter."""
    r = lrs.client().get(lrs.endpoint() + "statements", params={"since": "2015-13-01T00:00:00Z"})
    assert r.status_code == 400, r.text
    assert [(v["path"], v["rule"]) for v in r.json()["violations"]] == [
        ("query:since", "since '2015-13-01T00:00:00Z' is not an ISO 8601 timestamp")
    ]
