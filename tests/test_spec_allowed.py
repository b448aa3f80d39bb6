"""What xAPI allows is stored, with a journal warning where only a SHOULD is broken; what it
forbids (a MUST) stays refused. Over real HTTP, on xAPI 1.0.3 and 2.0.0 requests."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import statement

BOTH = pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
EMPTY = "xAPI-D §2.2.s2.b1"
ACTIVITY = {"id": "https://example.com/activities/parent"}


def post(lms, body: Any, version: str = "1.0.3"):
    return lms.client(version=version).post(lms.endpoint() + "statements", json=body)


def warnings_of_last_post(lms) -> list[dict[str, Any]]:
    entries = lms.admin("GET", "mounts/default/journal").json()["entries"]
    last = [e for e in entries if e["method"] == "POST"][-1]
    return [v for v in last["verdicts"] if v["verdict"] == "warning"]


def assert_stored_with_warning(lms, stmt: dict, path: str, section: str, version: str) -> None:
    r = post(lms, stmt, version)
    assert r.status_code == 200, r.text
    got = lms.client(version=version).get(
        lms.endpoint() + "statements", params={"statementId": stmt["id"]}
    )
    assert got.status_code == 200
    warned = [w for w in warnings_of_last_post(lms) if w["section"].startswith(section)]
    assert warned, warnings_of_last_post(lms)
    assert path in warned[0]["paths"], warned


def substatement(**inner: Any) -> dict[str, Any]:
    base = statement()
    sub = {k: base[k] for k in ("actor", "verb", "object")}
    return statement(object={"objectType": "SubStatement", **sub, **inner})


# --- issue item 1: an empty Activity definition ---------------------------------------------


@BOTH
def test_an_empty_activity_definition_is_stored_with_a_warning(lms, version) -> None:
    """xAPI 1.0.3 Data §2.2.s2.b1: "Statements and other objects SHOULD NOT include properties
    with a value of an empty object." §2.4.4.1: definition is an Optional Object whose
    properties are all Recommended or Optional -- nothing makes {} invalid, so the LRS stores it
    and the journal warns (before: 400 minProperties)."""
    stmt = statement()
    stmt["object"]["definition"] = {}
    assert_stored_with_warning(lms, stmt, "$[0].object.definition", EMPTY, version)


@BOTH
def test_an_empty_definition_in_a_substatement_is_stored_with_a_warning(lms, version) -> None:
    """xAPI 1.0.3 Data §2.4.4.3.s8.b2: "A SubStatement MUST be validated as a Statement" --
    so it is held to the same rules, no stricter: §2.2.s2.b1 is a SHOULD NOT."""
    stmt = substatement(object={"id": "https://example.com/a", "definition": {}})
    assert_stored_with_warning(lms, stmt, "$[0].object.object.definition", EMPTY, version)


@BOTH
def test_an_empty_definition_of_a_context_activity_is_stored_with_a_warning(lms, version) -> None:
    """xAPI 1.0.3 Data §2.4.6.2.s4.b2: context activity values are Activity Objects, whose
    definition is the same Optional Object (§2.4.4.1); {} is a SHOULD NOT (§2.2.s2.b1)."""
    stmt = statement()
    stmt["context"]["contextActivities"] = {"parent": [{**ACTIVITY, "definition": {}}]}
    path = "$[0].context.contextActivities.parent[0].definition"
    assert_stored_with_warning(lms, stmt, path, EMPTY, version)


# --- issue item 7: refusals the spec does not demand ----------------------------------------


@BOTH
@pytest.mark.parametrize(
    ("dotted", "path"),
    [
        ("verb.display", "$[0].verb.display"),
        ("object.definition.name", "$[0].object.definition.name"),
        ("object.definition.description", "$[0].object.definition.description"),
    ],
)
def test_an_empty_language_map_is_stored_with_a_warning(lms, version, dotted, path) -> None:
    """xAPI 1.0.3 Data §4.2: a language map "SHOULD be populated as fully as possible" and
    §2.2.s2.b1 says objects SHOULD NOT be empty; verb display, name and description are
    "Recommended" (§2.4.3, §2.4.4.1). No MUST asks for a first entry (before: 400)."""
    stmt = statement()
    stmt["object"]["definition"]["description"] = {"en": "x"}
    node = stmt
    *parents, last = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = {}
    assert_stored_with_warning(lms, stmt, path, EMPTY, version)


@BOTH
@pytest.mark.parametrize("key", ["parent", "grouping", "category", "other"])
def test_an_empty_context_activity_list_is_stored_with_a_warning(lms, version, key) -> None:
    """xAPI 1.0.3 Data §2.4.6.2.s4.b2: "Every value in the contextActivities Object MUST be
    either a single Activity Object or an array of Activity Objects" -- [] is such an array
    (before: 400 minItems)."""
    stmt = statement()
    stmt["context"]["contextActivities"] = {key: []}
    path = f"$[0].context.contextActivities.{key}"
    assert_stored_with_warning(lms, stmt, path, "xAPI-D §2.4.6.2.s4.b2", version)


@BOTH
def test_an_empty_context_activities_object_is_stored_with_a_warning(lms, version) -> None:
    """xAPI 1.0.3 Data §2.2.s2.b1 (SHOULD NOT); ADL's LRS test suite removed XAPI-00095 (reject
    an empty contextActivities) per the 02/08/2017 spec call."""
    stmt = statement()
    stmt["context"]["contextActivities"] = {}
    assert_stored_with_warning(lms, stmt, "$[0].context.contextActivities", EMPTY, version)


@BOTH
@pytest.mark.parametrize("timestamp", ["0000-01-01T00:00:00Z", "0000-02-29T23:59:59.999+01:00"])
def test_a_year_0000_timestamp_is_stored(lms, version, timestamp) -> None:
    """xAPI 1.0.3 Data §4.5.s1.b1: "A Timestamp MUST be formatted according to ISO 8601".
    ISO 8601 years run 0000-9999 and 0000 is a leap year of the proleptic Gregorian calendar
    (before: 400 "not a real date and time")."""
    stmt = statement(timestamp=timestamp)
    r = post(lms, stmt, version)
    assert r.status_code == 200, r.text
    assert warnings_of_last_post(lms) == []


@BOTH
@pytest.mark.parametrize("duration", ["PT1.5H", "P0.5Y", "P1DT0.25H"])
def test_a_fraction_on_the_lowest_order_duration_component_is_stored(lms, version, duration):
    """xAPI 1.0.3 Data §4.6.s1.b1: "A Duration MUST be expressed using the format for Duration
    in ISO 8601:2004(E) section 4.4.3.2", which allows a decimal fraction on the lowest-order
    component (before: 400 for anything but seconds)."""
    r = post(lms, statement(result={"duration": duration}), version)
    assert r.status_code == 200, r.text


@BOTH
def test_a_duration_finer_than_hundredths_is_stored_without_a_warning(lms, version) -> None:
    """xAPI 1.0.3 Data §4.6.s1.b4: the LRS SHOULD* NOT reject a Duration with more than 0.01 s
    precision (2.0.0: shall not) and compares only to 0.01 s (§4.6.s1.b5). Providers SHOULD
    send at most 0.01 s (§4.6.s1.b2), but common cmi5 clients send milliseconds, so no warning."""
    r = post(lms, statement(result={"duration": "PT0.1237S"}), version)
    assert r.status_code == 200, r.text
    assert warnings_of_last_post(lms) == []


@BOTH
def test_a_timestamp_without_a_zone_is_stored_with_a_warning(lms, version) -> None:
    """xAPI 1.0.3 Data §4.5.s1.b4: "A Timestamp SHOULD* include the time zone." """
    stmt = statement(timestamp="2024-06-05T13:05:36.253")
    assert_stored_with_warning(lms, stmt, "$[0].timestamp", "xAPI-D §4.5.s1.b4", version)


def test_a_space_between_date_and_time_is_2_0_only(lms) -> None:
    """1.0.3 Data §4.5.s1.b1: a Timestamp MUST be ISO 8601, which separates date and time with
    'T' (ISO 8601:2004 §4.3.2). 2.0.0 takes RFC 3339, whose §5.6 NOTE allows a space, and
    ADL's 2.0 LRS test suite expects "2008-09-15 15:53:00.601+00:00" to be accepted."""
    r = post(lms, statement(timestamp="2008-09-15 15:53:00.601+00:00"), "1.0.3")
    assert r.status_code == 400
    assert r.json()["violations"][0]["path"] == "$[0].timestamp"
    r = post(lms, statement(timestamp="2008-09-15 15:53:00.601+00:00"), "2.0.0")
    assert r.status_code == 200, r.text


# --- what the spec does demand stays refused --------------------------------------------------


@BOTH
@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"timestamp": "2015-11-18"}, "$[0].timestamp"),  # §4.5.s1.b1: a date-time, not a date
        ({"timestamp": "2015-02-30T12:00:00Z"}, "$[0].timestamp"),  # no 30 February
        ({"timestamp": "0001-02-29T00:00:00Z"}, "$[0].timestamp"),  # 0001 is no leap year
        ({"id": "{2a5a4bd4-3c7e-4f1d-9a27-6f0d1c5c7f10}"}, "$[0].id"),  # §4.4 standard form
        ({"verb": {"id": "completed"}}, "$[0].verb.id"),  # §2.2.s4.b1.b8: IRIs have a scheme
        ({"result": {"duration": "PT1.5H30M"}}, "$[0].result.duration"),  # fraction not last
    ],
)
def test_what_a_must_forbids_stays_refused(lms, version, changes, path) -> None:
    """xAPI 1.0.3 Data §2.2.s4.b1.b4: the LRS MUST reject "any non-format-following key or
    value ... where a string with a particular format (such as mailto IRI, UUID, or IRI) is
    required"; §4.5.s1.b1 and §4.6.s1.b1 fix the Timestamp and Duration formats."""
    r = post(lms, statement(**changes), version)
    assert r.status_code == 400
    assert path in [v["path"] for v in r.json()["violations"]]


# --- the warning verdicts ----------------------------------------------------------------------


def test_a_statement_that_breaks_no_should_gets_no_warning(lms) -> None:
    r = post(lms, statement())
    assert r.status_code == 200
    assert warnings_of_last_post(lms) == []


def test_warnings_of_a_batch_are_one_verdict_per_kind_with_a_count(lms) -> None:
    """A batch of 50 statements with an empty verb display writes one warning verdict (count
    50, the first 10 paths), not 50: the journal stays readable under load."""
    batch = []
    for _ in range(50):
        stmt = statement(id=str(uuid.uuid4()))
        stmt["verb"]["display"] = {}
        batch.append(stmt)
    assert post(lms, batch).status_code == 200
    [warning] = warnings_of_last_post(lms)
    assert warning["count"] == 50 and len(warning["paths"]) == 10
    assert warning["paths"][0] == "$[0].verb.display"
    assert warning["section"].startswith(EMPTY) and "SHOULD NOT" in warning["section"]
