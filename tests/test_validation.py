"""xAPI statement validation: every rule has a failing example (path + section) and its nearest
passing one. The LRS-TS traps of cmi5-xapi-rules.md §5.9 have tests named after them."""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from fake_lms.xapi import schema_check, validation
from fake_lms.xapi.jsonbody import JSONBodyError, child_path, parse_json
from fake_lms.xapi.validation import (
    Violation,
    agent_ifi,
    check_batch,
    is_duration,
    is_iri,
    is_language_tag,
    is_uuid,
    parse_timestamp,
    validate_actor,
    validate_agent,
    validate_statement,
    validate_statements,
)

UUID = "2a5a4bd4-3c7e-4f1d-9a27-6f0d1c5c7f10"
OTHER_UUID = "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
ACCOUNT = {"homePage": "https://lms.example.com", "name": "1625378"}
ACTIVITY = {"id": "https://weare.example.com/stories/42"}
ATTACHMENT = {
    "usageType": "http://example.com/attachment-usage/test",
    "display": {"en-US": "A test attachment"},
    "contentType": "text/plain; charset=ascii",
    "length": 27,
    "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
    "fileUrl": "http://over.there.com/file.txt",
}


def statement(**changes: Any) -> dict[str, Any]:
    """A valid cmi5-style statement; keyword arguments replace (or, with None, drop) top-level keys."""
    stmt: dict[str, Any] = {
        "id": UUID,
        "actor": {"objectType": "Agent", "name": "Learner", "account": dict(ACCOUNT)},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en-US": "completed"},
        },
        "object": {
            "objectType": "Activity",
            "id": "https://weare.example.com/stories/42",
            "definition": {
                "type": "http://adlnet.gov/expapi/activities/lesson",
                "name": {"en-US": "Story 42"},
            },
        },
        "result": {"completion": True, "duration": "PT4M35.14S"},
        "context": {
            "registration": OTHER_UUID,
            "contextActivities": {
                "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
                "grouping": [{"id": "https://lms.example.com/courses/7"}],
            },
            "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "s-1"},
        },
        "timestamp": "2024-06-05T13:05:36.253062Z",
    }
    for key, value in changes.items():
        if value is None:
            stmt.pop(key, None)
        else:
            stmt[key] = value
    return copy.deepcopy(stmt)


def with_(stmt: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """Copy of stmt with the value at a dotted path ("result.score.raw") set; a missing
    intermediate object is created."""
    out = copy.deepcopy(stmt)
    node = out
    *parents, last = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return out


def without(stmt: dict[str, Any], dotted: str) -> dict[str, Any]:
    out = copy.deepcopy(stmt)
    node = out
    *parents, last = dotted.split(".")
    for key in parents:
        node = node[key]
    del node[last]
    return out


def _raw_schema() -> dict[str, Any]:
    text = resources.files("fake_lms").joinpath("schemas", "statement.json").read_text("utf-8")
    return json.loads(text)


STOCK = Draft202012Validator(_raw_schema())  # unmodified jsonschema, $refs and all


def agrees_with_stock_jsonschema(stmt: Any) -> None:
    """Differential: the compiled validator (fastjsonschema) accepts exactly what stock jsonschema
    accepts on the unmodified schema file, and the explanation finds exactly its errors."""
    theirs = sorted(tuple(map(str, e.path)) for e in STOCK.iter_errors(stmt))
    assert schema_check.STATEMENT.accepts(stmt) is (not theirs), theirs
    ours = sorted(tuple(map(str, e.path)) for e in schema_check.STATEMENT.errors(stmt))
    assert ours == theirs


def problems(stmt: Any, version: str = "1.0.3") -> list[Violation]:
    """validate_statement, after checking the schema verdict against stock jsonschema."""
    agrees_with_stock_jsonschema(stmt)
    return validate_statement(stmt, version=version)


def assert_valid(stmt: Any, version: str = "1.0.3") -> None:
    found = problems(stmt, version)
    assert found == [], found


def assert_rejected(stmt: Any, path: str, section: str, version: str = "1.0.3") -> Violation:
    """The statement is rejected with a violation at `path` citing exactly `section`."""
    found = problems(stmt, version)
    at_path = [v for v in found if v.path == path]
    assert at_path, f"no violation at {path}; got {found}"
    assert section in [v.section for v in at_path], f"{path}: {at_path}"
    return next(v for v in at_path if v.section == section)


# --- strict JSON bodies ------------------------------------------------------------------------


def test_duplicate_json_keys_are_rejected_with_the_path_of_the_repeat() -> None:
    body = '{"actor": {"mbox": "mailto:a@b.c", "mbox": "mailto:x@y.z"}, "verb": {}}'
    with pytest.raises(JSONBodyError) as err:
        parse_json(body)
    assert err.value.path == "$.actor.mbox"
    assert err.value.section == "xAPI-D §2.2 XAPI-00021"
    assert "mbox" in err.value.rule


def test_duplicate_key_inside_a_batch_names_the_statement_index() -> None:
    with pytest.raises(JSONBodyError) as err:
        parse_json(b'[{"id": 1}, {"verb": {"display": {"en-US": "a", "en-US": "b"}}}]')
    assert err.value.path == '$[1].verb.display["en-US"]'


def test_distinct_keys_parse_in_order() -> None:
    assert parse_json('{"b": 1, "a": [1, 2.5, "x", null, true]}') == {
        "b": 1,
        "a": [1, 2.5, "x", None, True],
    }


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinite_numbers_are_rejected_with_their_path(token: str) -> None:
    with pytest.raises(JSONBodyError) as err:
        parse_json('{"result": {"score": {"scaled": ' + token + "}}}")
    assert err.value.path == "$.result.score.scaled"
    assert err.value.section == "xAPI-D §2.2 XAPI-00014"


@pytest.mark.parametrize("key", ["raw", "min", "max"])
def test_an_integer_score_beyond_any_double_is_refused_not_a_500(key: str) -> None:
    """RFC 8259 §6: numbers beyond IEEE double range do not interoperate; `1e400` already parses
    as infinity and is refused, and an integer of 400 digits (which `math.isfinite` cannot even
    take: OverflowError, a 500 before) is refused the same way with its path."""
    digits = "1" + "0" * 400
    body = json.loads(f'{{"result": {{"score": {{"{key}": {digits}}}}}}}')
    stmt = statement(result=body["result"])
    found = [v for v in validate_statement(stmt) if v.path == f"$.result.score.{key}"]
    assert found and "finite" in found[0].rule, validate_statement(stmt)


def test_trailing_garbage_after_the_json_value_is_rejected() -> None:
    with pytest.raises(JSONBodyError) as err:
        parse_json('{"a": 1} {"b": 2}')
    assert (err.value.path, err.value.section) == ("$", "xAPI-D §2.2 XAPI-00014")
    assert "Extra data" in err.value.rule


def test_empty_body_is_malformed_json() -> None:
    with pytest.raises(JSONBodyError, match="empty"):
        parse_json(b"  ")


def test_invalid_utf8_is_rejected() -> None:
    with pytest.raises(JSONBodyError) as err:
        parse_json(b'{"name": "Zo\xeb"}')
    assert err.value.section == "xAPI-C §1.4 XAPI-00015"
    assert "0xeb" in err.value.rule


def test_byte_order_mark_is_rejected() -> None:
    with pytest.raises(JSONBodyError, match="byte order mark"):
        parse_json(b'\xef\xbb\xbf{"a": 1}')


def test_unpaired_surrogate_escape_is_rejected_with_its_path() -> None:
    with pytest.raises(JSONBodyError) as err:
        parse_json('{"actor": {"name": "x\\ud800y"}}')
    assert (err.value.path, err.value.section) == ("$.actor.name", "xAPI-C §1.4 XAPI-00015")


def test_utf8_text_and_paired_surrogate_escapes_parse() -> None:
    assert parse_json('{"name": "Zoë \\ud83d\\ude00"}'.encode()) == {"name": "Zoë 😀"}


def test_json_body_error_is_a_value_error_with_a_readable_message() -> None:
    err = JSONBodyError("$.a", "bad", "xAPI-C §1.4")
    assert isinstance(err, ValueError)
    assert str(err) == "$.a: bad (xAPI-C §1.4)"
    assert err.as_dict() == {"path": "$.a", "rule": "bad", "section": "xAPI-C §1.4"}


# --- the schema file and the validator built on it ----------------------------------------------


def test_statement_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = _raw_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_schema_object_with_properties_forbids_unknown_keys() -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            # if-conditions and the Agent/Group/Activity switches only pick the closed branch
            switch = "if" in node or where.endswith("/if")
            if "properties" in node and not switch:
                assert node.get("additionalProperties") is False, where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(_raw_schema(), "#")


class _Counting:
    """Stands in for the stock explainer: counts the statements it is asked to explain."""

    def __init__(self, real: Any) -> None:
        self.real, self.asked = real, 0

    def iter_errors(self, instance: Any) -> Any:
        self.asked += 1
        return self.real.iter_errors(instance)


def test_only_a_refused_statement_is_walked_by_stock_jsonschema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stock jsonschema builds a validator per subschema (~3k statements/s): valid statements,
    schema-valid ones refused by a named rule included, are judged by the compiled validator."""
    spy = _Counting(schema_check.STATEMENT.explainer)
    monkeypatch.setattr(schema_check.STATEMENT, "explainer", spy)
    assert validate_statement(statement()) == []
    assert validate_statement(with_(statement(), "result.score", {"raw": 5, "max": 1}))
    assert spy.asked == 0
    assert validate_statement(statement(actor={"objectType": "agent"}, verb={}, x=None, y=1))
    assert spy.asked == 1


# --- statement: required properties, nulls, unknown keys, id ------------------------------------


def test_a_typical_cmi5_statement_is_valid() -> None:
    assert_valid(statement())
    assert_valid(statement(id=None, result=None, context=None, timestamp=None))


@pytest.mark.parametrize(
    ("missing", "section"),
    [
        ("actor", "xAPI-D §2.2 XAPI-00003"),
        ("verb", "xAPI-D §2.2 XAPI-00004"),
        ("object", "xAPI-D §2.2 XAPI-00005"),
    ],
)
def test_statement_without_actor_verb_or_object_is_rejected(missing: str, section: str) -> None:
    assert_rejected(without(statement(), missing), f"$.{missing}", section)


def test_a_statement_that_is_not_an_object_is_rejected() -> None:
    assert_rejected(["not", "a", "statement"], "$", "xAPI-D §2.2")


@pytest.mark.parametrize(
    "dotted",
    ["actor.name", "context.registration", "object.definition.moreInfo", "result.success"],
)
def test_null_in_a_non_extension_field_is_rejected(dotted: str) -> None:
    v = assert_rejected(with_(statement(), dotted, None), f"$.{dotted}", "xAPI-D §2.2 XAPI-00001")
    assert "null" in v.rule


def test_null_as_a_language_map_value_is_rejected() -> None:
    stmt = with_(statement(), "verb.display", {"en-US": None})
    assert_rejected(stmt, '$.verb.display["en-US"]', "xAPI-D §2.2 XAPI-00001")


@pytest.mark.parametrize(
    "dotted", ["context.extensions", "result.extensions", "object.definition.extensions"]
)
def test_null_and_any_value_inside_extensions_is_accepted(dotted: str) -> None:
    values = {"http://example.com/null": None, "http://example.com/o": {"a": [None, {}]}}
    assert_valid(with_(statement(), dotted, values))


def test_unknown_key_is_rejected() -> None:
    v = assert_rejected(statement(foo=1), "$.foo", "xAPI-D §2.2 XAPI-00010")
    assert "'foo'" in v.rule


def test_key_with_the_wrong_case_is_rejected_naming_the_right_spelling() -> None:
    stmt = statement(Context={"Registration": "this-is-my-registration-id"})
    v = assert_rejected(stmt, "$.Context", "xAPI-D §2.2 XAPI-00008")
    assert "'context'" in v.rule


def test_an_unknown_object_type_key_does_not_hide_other_complaints() -> None:
    found = problems(statement(objectType="Statement", id="x"))
    assert {(v.path, v.section) for v in found} == {
        ("$.objectType", "xAPI-D §2.2 XAPI-00010"),
        ("$.id", "xAPI-D §2.4.1 XAPI-00027"),
    }


def test_the_we_are_seed_example_statement_is_rejected_for_capitalised_keys() -> None:
    """The example in seed/we-are-lms-integration.txt writes Context/Registration/Extensions."""
    stmt = statement(context=None, Context={"Registration": "r", "Extensions": {"": "s"}})
    assert_rejected(stmt, "$.Context", "xAPI-D §2.2 XAPI-00008")


@pytest.mark.parametrize(
    "bad",
    [
        12345,
        {"key": "should fail"},
        "AA97B177-9383-4934-8543-0F91A7A028368",
        "MA97B177-9383-4934-8543-0F91A7A02836",
        "12345678-1234-5678-1234-567812345678",
        "",
    ],
)
def test_statement_id_that_is_not_a_uuid_is_rejected(bad: Any) -> None:
    assert_rejected(statement(id=bad), "$.id", "xAPI-D §2.4.1 XAPI-00027")


def test_statement_id_in_upper_case_is_a_uuid() -> None:
    assert_valid(statement(id=UUID.upper()))


# --- actor: Agents, Groups, IFIs -----------------------------------------------------------------


def test_agent_with_two_ifis_is_rejected() -> None:
    actor = {"mbox": "mailto:a@example.com", "account": dict(ACCOUNT)}
    v = assert_rejected(statement(actor=actor), "$.actor", "xAPI-D §2.4.2.1 XAPI-00034")
    assert "mbox, account" in v.rule


def test_agent_without_an_ifi_is_rejected() -> None:
    assert_rejected(statement(actor={"name": "Nobody"}), "$.actor", "xAPI-D §2.4.2.1 XAPI-00034")


@pytest.mark.parametrize(
    "actor",
    [
        {"mbox": "mailto:a@example.com"},
        {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
        {"openid": "http://toby.openid.example.org/"},
        {"objectType": "Agent", "account": ACCOUNT},
    ],
)
def test_agent_with_exactly_one_ifi_is_accepted(actor: dict[str, Any]) -> None:
    assert_valid(statement(actor=actor))


def test_object_type_agent_in_lower_case_is_rejected() -> None:
    actor = {"objectType": "agent", "account": ACCOUNT}
    v = assert_rejected(statement(actor=actor), "$.actor.objectType", "xAPI-D §2.2 XAPI-00009")
    assert '"agent"' in v.rule and "case-sensitive" in v.rule


@pytest.mark.parametrize("mbox", ["http://should.fail.com", "mailto:should.fail.com", "a@b.c", ""])
def test_mbox_that_is_not_a_mailto_iri_is_rejected(mbox: str) -> None:
    stmt = statement(actor={"mbox": mbox})
    assert_rejected(stmt, "$.actor.mbox", "xAPI-D §2.4.2.3 XAPI-00038")


@pytest.mark.parametrize("sha1", ["abc", "zz31e95054c018b10727ccffd2ef2ec3a016ee9", {"a": 1}])
def test_mbox_sha1sum_that_is_not_40_hex_digits_is_rejected(sha1: Any) -> None:
    stmt = statement(actor={"mbox_sha1sum": sha1})
    assert_rejected(stmt, "$.actor.mbox_sha1sum", "xAPI-D §2.4.2.3 XAPI-00039")


def test_openid_that_is_not_a_uri_is_rejected() -> None:
    stmt = statement(actor={"openid": "ab=c://should.fail.com"})
    assert_rejected(stmt, "$.actor.openid", "xAPI-D §2.4.2.3 XAPI-00040")


def test_account_without_name_is_rejected() -> None:
    stmt = statement(actor={"account": {"homePage": "https://lms.example.com"}})
    assert_rejected(stmt, "$.actor.account.name", "xAPI-D §2.4.2.4 XAPI-00043")


def test_account_name_that_is_not_a_string_is_rejected() -> None:
    stmt = statement(actor={"account": {"homePage": "https://x.example", "name": {"k": 1}}})
    assert_rejected(stmt, "$.actor.account.name", "xAPI-D §2.4.2.4 XAPI-00043")


def test_account_home_page_that_is_not_an_irl_is_rejected() -> None:
    stmt = statement(actor={"account": {"homePage": "lms.example.com", "name": "1"}})
    assert_rejected(stmt, "$.actor.account.homePage", "xAPI-D §2.4.2.4 XAPI-00042")


def test_anonymous_group_without_members_is_rejected() -> None:
    stmt = statement(actor={"objectType": "Group", "name": "Team"})
    assert_rejected(stmt, "$.actor.member", "xAPI-D §2.4.2.2 XAPI-00037")
    stmt = statement(actor={"objectType": "Group", "member": []})
    assert_rejected(stmt, "$.actor.member", "xAPI-D §2.4.2.2 XAPI-00037")


def test_anonymous_group_with_members_and_identified_group_without_them_are_accepted() -> None:
    members = [{"mbox": "mailto:a@example.com"}, {"objectType": "Agent", "account": ACCOUNT}]
    assert_valid(statement(actor={"objectType": "Group", "member": members}))
    assert_valid(statement(actor={"objectType": "Group", "mbox": "mailto:team@example.com"}))


def test_identified_group_with_two_ifis_is_rejected() -> None:
    group = {"objectType": "Group", "mbox": "mailto:t@example.com", "openid": "http://o.example"}
    assert_rejected(statement(actor=group), "$.actor", "xAPI-D §2.4.2.2 XAPI-00037")


def test_group_member_that_is_a_group_is_rejected() -> None:
    inner = {"objectType": "Group", "mbox": "mailto:inner@example.com", "member": []}
    group = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}, inner]}
    v = assert_rejected(
        statement(actor=group), "$.actor.member[1].objectType", "xAPI-D §2.4.2.2 XAPI-00036"
    )
    assert "members must be Agents" in v.rule
    # the misread member yields no further complaints ("member" unknown in an Agent, ...)
    assert [x.path for x in validate_statement(statement(actor=group))] == [v.path]


def test_group_member_with_two_ifis_is_rejected() -> None:
    member = {"mbox": "mailto:a@example.com", "openid": "http://a.example"}
    group = {"objectType": "Group", "member": [member]}
    assert_rejected(statement(actor=group), "$.actor.member[0]", "xAPI-D §2.4.2.1 XAPI-00034")


def test_member_on_an_agent_is_rejected() -> None:
    actor = {"mbox": "mailto:a@example.com", "member": [{"mbox": "mailto:b@example.com"}]}
    assert_rejected(statement(actor=actor), "$.actor.member", "xAPI-D §2.4.2.2 XAPI-00035")


# --- verb ------------------------------------------------------------------------------------------


def test_verb_without_an_iri_id_is_rejected() -> None:
    assert_rejected(
        statement(verb={"display": {"en": "x"}}), "$.verb.id", "xAPI-D §2.4.3 XAPI-00044"
    )
    stmt = statement(verb={"id": "completed"})
    assert_rejected(stmt, "$.verb.id", "xAPI-D §2.4.3 XAPI-00044")


def test_verb_without_display_is_accepted() -> None:
    assert_valid(statement(verb={"id": "http://adlnet.gov/expapi/verbs/completed"}))


@pytest.mark.parametrize("display", ["completed", ["en-US"]])
def test_verb_display_that_is_not_a_language_map_is_rejected(display: Any) -> None:
    stmt = with_(statement(), "verb.display", display)
    assert_rejected(stmt, "$.verb.display", "xAPI-D §2.4.3 XAPI-00045")


@pytest.mark.parametrize(
    "tag", ["de-419-DE", "a-DE", "ar-a-aaa-b-bbb-a-ccc", "something", "a12345", "en_US", "en-"]
)
def test_language_map_key_that_is_not_an_rfc_5646_tag_is_rejected(tag: str) -> None:
    stmt = with_(statement(), "verb.display", {"en-US": "completed", tag: "x"})
    v = assert_rejected(stmt, child_path("$.verb.display", tag), "xAPI-D §2.2 XAPI-00013")
    assert json.dumps(tag) in v.rule


@pytest.mark.parametrize(
    "tag",
    [
        "de",
        "tlh",
        "zh-Hant",
        "zh-cmn-Hans-CN",
        "sr-Latn-RS",
        "sl-rozaj-biske",
        "de-CH-1901",
        "hy-Latn-IT-arevela",
        "es-419",
        "az-Arab-x-AZE-derbend",
        "x-whatever",
        "i-enochian",
        "en-a-bbb-x-a-ccc",
    ],
)
def test_language_map_key_that_is_an_rfc_5646_tag_is_accepted(tag: str) -> None:
    assert_valid(with_(statement(), "verb.display", {tag: "x"}))


def test_language_map_value_that_is_not_a_string_is_rejected() -> None:
    stmt = with_(statement(), "object.definition.name", {"en-US": 42})
    assert_rejected(stmt, '$.object.definition.name["en-US"]', "xAPI-D §4.2 XAPI-00121")


# --- object: Activity, definition, interactions ----------------------------------------------------


def test_object_type_in_the_wrong_case_or_unknown_is_rejected() -> None:
    stmt = with_(statement(), "object.objectType", "activity")
    assert_rejected(stmt, "$.object.objectType", "xAPI-D §2.2 XAPI-00009")
    stmt = with_(statement(), "object.objectType", "Thing")
    assert_rejected(stmt, "$.object.objectType", "xAPI-D §2.4.4 XAPI-00046")


def test_activity_without_object_type_is_accepted() -> None:
    assert_valid(statement(object=dict(ACTIVITY)))


def test_activity_without_an_iri_id_is_rejected() -> None:
    stmt = statement(object={"objectType": "Activity"})
    assert_rejected(stmt, "$.object.id", "xAPI-D §2.4.4.1 XAPI-00047")
    stmt = statement(object={"id": "ab=c://should.fail.com"})
    assert_rejected(stmt, "$.object.id", "xAPI-D §2.4.4.1 XAPI-00047")


@pytest.mark.parametrize("definition", ["should error", 12345])
def test_non_object_definition_is_rejected(definition: Any) -> None:
    """An empty definition {} is accepted: see tests/test_spec_allowed.py (xAPI-D §2.2.s2.b1)."""
    stmt = with_(statement(), "object.definition", definition)
    assert_rejected(stmt, "$.object.definition", "xAPI-D §2.4.4.1 XAPI-00048")


@pytest.mark.parametrize(
    ("key", "bad", "section"),
    [
        ("type", "should error", "xAPI-D §2.4.4.1 XAPI-00060"),
        ("moreInfo", "should error", "xAPI-D §2.4.4.1 XAPI-00061"),
        ("name", "should error", "xAPI-D §2.4.4.1 XAPI-00056"),
        ("description", 12345, "xAPI-D §2.4.4.1 XAPI-00059"),
        ("extensions", "should error", "xAPI-D §2.4.4.1 XAPI-00057"),
    ],
)
def test_definition_field_of_the_wrong_kind_is_rejected(key: str, bad: Any, section: str) -> None:
    stmt = with_(statement(), f"object.definition.{key}", bad)
    assert_rejected(stmt, f"$.object.definition.{key}", section)


def test_full_activity_definition_is_accepted() -> None:
    definition = {
        "name": {"en-GB": "example meeting", "en-US": "example meeting"},
        "description": {"en-US": "An example meeting."},
        "type": "http://adlnet.gov/expapi/activities/meeting",
        "moreInfo": "http://virtualmeeting.example.com/345256",
        "extensions": {"http://example.com/profiles/meetings/extension/location": "X:\\m"},
    }
    assert_valid(with_(statement(), "object.definition", definition))


def test_extension_key_that_is_not_an_iri_is_rejected() -> None:
    stmt = with_(statement(), "context.extensions", {"sessionid": "s-1"})
    assert_rejected(stmt, "$.context.extensions.sessionid", "xAPI-D §4.1 XAPI-00118")
    stmt = with_(statement(), "object.definition.extensions", {"id": "valid"})
    assert_rejected(stmt, "$.object.definition.extensions.id", "xAPI-D §4.1 XAPI-00118")


def test_extensions_that_are_not_an_object_are_rejected() -> None:
    stmt = with_(statement(), "result.extensions", ["x"])
    assert_rejected(stmt, "$.result.extensions", "xAPI-D §2.4.5 XAPI-00078")


def interaction(kind: str, **more: Any) -> dict[str, Any]:
    definition = {"type": "http://adlnet.gov/expapi/activities/cmi.interaction"}
    definition.update({"interactionType": kind, **more})
    return statement(object={"id": "https://weare.example.com/q/1", "definition": definition})


CHOICES = [{"id": "golf", "description": {"en-US": "Golf"}}, {"id": "tetris"}]


@pytest.mark.parametrize(
    ("kind", "lists"),
    [
        ("true-false", {}),
        ("choice", {"choices": CHOICES}),
        ("sequencing", {"choices": CHOICES}),
        ("likert", {"scale": CHOICES}),
        ("matching", {"source": CHOICES, "target": CHOICES}),
        ("performance", {"steps": CHOICES}),
        ("fill-in", {}),
        ("long-fill-in", {}),
        ("numeric", {}),
        ("other", {}),
    ],
)
def test_each_interaction_type_with_its_component_lists_is_accepted(kind: str, lists: dict) -> None:
    assert_valid(interaction(kind, correctResponsesPattern=["golf"], **lists))


def test_interaction_type_in_the_wrong_case_or_unknown_is_rejected() -> None:
    path = "$.object.definition.interactionType"
    assert_rejected(interaction("choiCe"), path, "xAPI-D §2.2 XAPI-00009")
    assert_rejected(interaction("essay"), path, "xAPI-D §2.4.4.1 XAPI-00049")


def test_correct_responses_pattern_without_interaction_type_is_rejected() -> None:
    definition = {"correctResponsesPattern": ["a"]}
    stmt = statement(object={"id": "https://x.example/q", "definition": definition})
    path = "$.object.definition.correctResponsesPattern"
    assert_rejected(stmt, path, "xAPI-D §2.4.4.1 XAPI-00064")


def test_correct_responses_pattern_must_be_an_array_of_strings() -> None:
    stmt = interaction("numeric", correctResponsesPattern=[4])
    assert_rejected(
        stmt, "$.object.definition.correctResponsesPattern[0]", "xAPI-D §2.4.4.1 XAPI-00050"
    )
    stmt = interaction("numeric", correctResponsesPattern="4")
    assert_rejected(
        stmt, "$.object.definition.correctResponsesPattern", "xAPI-D §2.4.4.1 XAPI-00050"
    )


def test_empty_correct_responses_pattern_means_no_correct_answer_and_is_accepted() -> None:
    assert_valid(interaction("fill-in", correctResponsesPattern=[]))


def test_component_list_for_another_interaction_type_is_rejected() -> None:
    v = assert_rejected(
        interaction("choice", scale=CHOICES), "$.object.definition.scale", "xAPI-D §2.4.4.1"
    )
    assert "likert" in v.rule
    stmt = interaction("true-false", choices=CHOICES)
    assert_rejected(stmt, "$.object.definition.choices", "xAPI-D §2.4.4.1")


def test_duplicate_interaction_component_ids_are_rejected() -> None:
    stmt = interaction("choice", choices=[{"id": "valid"}, {"id": "valid"}])
    assert_rejected(stmt, "$.object.definition.choices[1].id", "xAPI-D §2.4.4.1 XAPI-00058")


def test_interaction_component_without_a_string_id_is_rejected() -> None:
    stmt = interaction("likert", scale=[{"description": {"en-US": "valid"}}])
    assert_rejected(stmt, "$.object.definition.scale[0].id", "xAPI-D §2.4.4.1 XAPI-00058")
    stmt = interaction("likert", scale=[{"id": {"test": "value"}}])
    assert_rejected(stmt, "$.object.definition.scale[0].id", "xAPI-D §2.4.4.1 XAPI-00058")


def test_interaction_component_that_is_not_an_object_is_rejected() -> None:
    stmt = interaction("performance", steps=["should error"])
    assert_rejected(stmt, "$.object.definition.steps[0]", "xAPI-D §2.4.4.1 XAPI-00063")


def test_interaction_component_description_must_be_a_language_map() -> None:
    stmt = interaction("matching", source=[{"id": "a", "description": "A"}], target=CHOICES)
    assert_rejected(stmt, "$.object.definition.source[0].description", "xAPI-D §2.4.4.1 XAPI-00062")


def test_context_activity_definitions_are_checked_like_the_object() -> None:
    activity = {
        "id": "https://x.example/q",
        "definition": {"interactionType": "likert", "choices": CHOICES},
    }
    stmt = with_(statement(), "context.contextActivities.parent", [activity])
    path = "$.context.contextActivities.parent[0].definition.choices"
    assert_rejected(stmt, path, "xAPI-D §2.4.4.1")


# --- object: Agent, Group, StatementRef, SubStatement --------------------------------------------


def test_agent_as_object_without_object_type_is_rejected() -> None:
    stmt = statement(object={"mbox": "mailto:a@example.com"})
    v = assert_rejected(stmt, "$.object.objectType", "xAPI-D §2.4.4.2 XAPI-00065")
    assert validate_statement(stmt) == [v], "the misread Activity must not add id/key complaints"


def test_agent_and_group_as_object_with_object_type_are_accepted() -> None:
    assert_valid(statement(object={"objectType": "Agent", "mbox": "mailto:a@example.com"}))
    group = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}
    assert_valid(statement(object=group))


def test_statement_ref_with_an_id_that_is_not_a_uuid_is_rejected() -> None:
    stmt = statement(
        object={"objectType": "StatementRef", "id": "MA97B177-9383-4934-8543-0F91A7A02836"}
    )
    assert_rejected(stmt, "$.object.id", "xAPI-D §2.4.4.3 XAPI-00072")
    assert_valid(statement(object={"objectType": "StatementRef", "id": OTHER_UUID}))


def substatement(**changes: Any) -> dict[str, Any]:
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:agent@example.com"},
        "verb": {"id": "http://example.com/visited", "display": {"en-US": "will visit"}},
        "object": {"objectType": "Activity", "id": "http://example.com/website"},
        "timestamp": "2099-01-01T00:00:00Z",
    }
    sub.update(changes)
    return statement(object=sub)


def test_substatement_is_accepted_even_with_a_future_timestamp() -> None:
    assert_valid(substatement())
    assert_valid(substatement(object={"objectType": "StatementRef", "id": OTHER_UUID}))


@pytest.mark.parametrize(
    ("key", "value", "cid"),
    [
        ("id", UUID, "XAPI-00070"),
        ("stored", "2024-01-01T00:00:00Z", "XAPI-00069"),
        ("version", "1.0.0", "XAPI-00068"),
        ("authority", {"mbox": "mailto:x@example.com"}, "XAPI-00067"),
    ],
)
def test_substatement_with_id_stored_version_or_authority_is_rejected(
    key: str, value: Any, cid: str
) -> None:
    assert_rejected(substatement(**{key: value}), f"$.object.{key}", f"xAPI-D §2.4.4.3 {cid}")


def test_nested_substatement_is_rejected() -> None:
    inner = substatement()["object"]
    stmt = substatement(object=inner)
    v = assert_rejected(stmt, "$.object.object.objectType", "xAPI-D §2.4.4.3 XAPI-00071")
    assert "not another SubStatement" in v.rule


def test_substatement_is_validated_as_a_statement() -> None:
    stmt = substatement(actor={"mbox": "mailto:a@example.com", "openid": "http://a.example"})
    assert_rejected(stmt, "$.object.actor", "xAPI-D §2.4.2.1 XAPI-00034")
    stmt = substatement(result={"score": {"raw": 11, "max": 10}})
    assert_rejected(stmt, "$.object.result.score.raw", "xAPI-D §2.4.5.1 XAPI-00082")
    stmt = substatement(timestamp="2008-09-15T15:53:00.601-00:00")
    assert_rejected(stmt, "$.object.timestamp", "xAPI-D §2.4.7 XAPI-00022")


def test_substatement_without_object_type_is_read_as_an_activity_and_rejected() -> None:
    sub = substatement()["object"]
    del sub["objectType"]
    assert problems(statement(object=sub))


# --- result and score --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "bad", "section"),
    [
        ("success", "We regret to inform you", "xAPI-D §2.4.5 XAPI-00074"),
        ("completion", "false", "xAPI-D §2.4.5 XAPI-00075"),
        ("response", 42, "xAPI-D §2.4.5 XAPI-00076"),
        ("score", "should fail", "xAPI-D §2.4.5.1 XAPI-00079"),
    ],
)
def test_result_field_of_the_wrong_type_is_rejected(key: str, bad: Any, section: str) -> None:
    assert_rejected(with_(statement(), f"result.{key}", bad), f"$.result.{key}", section)


def test_full_result_is_accepted() -> None:
    result = {
        "score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100},
        "success": True,
        "completion": True,
        "response": "We agreed on some example actions.",
        "duration": "PT1H0M0S",
        "extensions": {"http://example.com/r": 1},
    }
    assert_valid(statement(result=result))
    assert_valid(statement(result={}))


@pytest.mark.parametrize(
    "duration",
    ["PT", "P", "P1DT", "00:05:00", "P4W1D", "PA1H0M0S", "PT1.5H30M", "P16559.14S", "-PT1S", 12345],
)
def test_duration_that_is_not_iso_8601_is_rejected(duration: Any) -> None:
    stmt = with_(statement(), "result.duration", duration)
    assert_rejected(stmt, "$.result.duration", "xAPI-D §2.4.5 XAPI-00077")


@pytest.mark.parametrize(
    "duration",
    [
        *("PT4H35M59.14S", "PT16559.14S", "P3Y1M29DT4H35M59.14S", "P3Y", "P4W", "PT0S", "PT1,5S"),
        *("PT1.5H", "P0.5Y", "P1.5W", "P1DT0.25H"),
    ],
)
def test_iso_8601_duration_is_accepted(duration: str) -> None:
    """xAPI 1.0.3 Data §4.6.s1.b1: a Duration MUST use ISO 8601:2004 §4.4.3.2, which lets the
    lowest-order component carry a decimal fraction (PT1.5H, P0.5Y), never a higher one."""
    assert_valid(with_(statement(), "result.duration", duration))


def test_scaled_score_as_a_string_is_rejected() -> None:
    stmt = with_(statement(), "result.score", {"scaled": "0.65"})
    v = assert_rejected(stmt, "$.result.score.scaled", "xAPI-D §2.4.5.1 XAPI-00083")
    assert '"0.65"' in v.rule


@pytest.mark.parametrize("scaled", [1.01, -1.00001])
def test_scaled_score_outside_minus_one_to_one_is_rejected(scaled: float) -> None:
    stmt = with_(statement(), "result.score", {"scaled": scaled})
    assert_rejected(stmt, "$.result.score.scaled", "xAPI-D §2.4.5.1 XAPI-00083")


@pytest.mark.parametrize("scaled", [1, 1.0, -1.0, 0, 0.6767676])
def test_scaled_score_within_minus_one_to_one_is_accepted(scaled: float) -> None:
    assert_valid(with_(statement(), "result.score", {"scaled": scaled}))


def test_raw_score_outside_min_and_max_is_rejected() -> None:
    path, section = "$.result.score.raw", "xAPI-D §2.4.5.1 XAPI-00082"
    v = assert_rejected(with_(statement(), "result.score", {"raw": 101, "max": 100}), path, section)
    assert "above max" in v.rule
    v = assert_rejected(with_(statement(), "result.score", {"raw": -1, "min": 0}), path, section)
    assert "below min" in v.rule


def test_raw_score_on_the_bounds_is_accepted() -> None:
    assert_valid(with_(statement(), "result.score", {"raw": 100, "min": 0, "max": 100}))
    assert_valid(with_(statement(), "result.score", {"raw": 0, "min": 0, "max": 100}))
    assert_valid(with_(statement(), "result.score", {"raw": 1234.5}))


@pytest.mark.parametrize(("low", "high"), [(10, 10), (11, 10)])
def test_min_not_below_max_is_rejected(low: float, high: float) -> None:
    stmt = with_(statement(), "result.score", {"min": low, "max": high})
    assert_rejected(stmt, "$.result.score.min", "xAPI-D §2.4.5.1 XAPI-00081")


def test_max_as_a_numeric_string_is_rejected() -> None:
    stmt = with_(statement(), "result.score", {"max": "100"})
    assert_rejected(stmt, "$.result.score.max", "xAPI-D §2.4.5.1 XAPI-00080")


def test_nan_score_from_python_callers_is_rejected() -> None:
    stmt = with_(statement(), "result.score", {"scaled": math.nan})
    assert_rejected(stmt, "$.result.score.scaled", "xAPI-D §2.4.5.1")


# --- context ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("registration", ["this-is-my-registration-id", {"k": 1}, 12345])
def test_registration_that_is_not_a_uuid_is_rejected(registration: Any) -> None:
    stmt = with_(statement(), "context.registration", registration)
    assert_rejected(stmt, "$.context.registration", "xAPI-D §2.4.6 XAPI-00087")


def test_instructor_that_is_not_an_agent_is_rejected() -> None:
    stmt = with_(statement(), "context.instructor", {"key": "should fail"})
    assert_rejected(stmt, "$.context.instructor", "xAPI-D §2.4.2.1 XAPI-00034")
    stmt = with_(statement(), "context.instructor", "should fail")
    assert_rejected(stmt, "$.context.instructor", "xAPI-D §2.4.6 XAPI-00087")


def test_instructor_agent_or_group_and_team_group_are_accepted() -> None:
    context = statement()["context"]
    context["instructor"] = {"name": "Andrew", "account": ACCOUNT, "objectType": "Agent"}
    context["team"] = {
        "name": "Team PB",
        "mbox": "mailto:teampb@example.com",
        "objectType": "Group",
    }
    assert_valid(statement(context=context))
    context["instructor"] = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}
    assert_valid(statement(context=context))


def test_team_that_is_an_agent_is_rejected() -> None:
    stmt = with_(statement(), "context.team", {"mbox": "mailto:a@example.com"})
    assert_rejected(stmt, "$.context.team.objectType", "xAPI-D §2.4.6 XAPI-00088")


def test_empty_context_activities_is_accepted() -> None:
    """xAPI 1.0.3 Data §2.2.s2.b1: "Statements and other objects SHOULD NOT include properties
    with a value of an empty object" -- a SHOULD, so no refusal; XAPI-00095 (reject an empty
    contextActivities) was removed from ADL's LRS test suite per the 02/08/2017 spec call."""
    assert_valid(with_(statement(), "context.contextActivities", {}))


def test_context_activities_with_an_unknown_key_is_rejected() -> None:
    stmt = with_(statement(), "context.contextActivities.parents", [ACTIVITY])
    assert_rejected(stmt, "$.context.contextActivities.parents", "xAPI-D §2.4.6.2 XAPI-00093")


def test_context_activities_that_is_not_an_object_is_rejected() -> None:
    stmt = with_(statement(), "context.contextActivities", "should fail")
    assert_rejected(stmt, "$.context.contextActivities", "xAPI-D §2.4.6.2 XAPI-00086")


def test_context_activity_as_a_single_object_or_array_is_accepted() -> None:
    stmt = with_(statement(), "context.contextActivities", {"parent": dict(ACTIVITY)})
    assert_valid(stmt)
    lists = {key: [dict(ACTIVITY)] for key in ("parent", "grouping", "category", "other")}
    assert_valid(with_(statement(), "context.contextActivities", lists))


def test_context_activity_list_with_a_non_activity_or_no_activity_is_rejected() -> None:
    stmt = with_(statement(), "context.contextActivities.other", [ACTIVITY, {"key": "x"}])
    assert_rejected(stmt, "$.context.contextActivities.other[1].id", "xAPI-D §2.4.4.1 XAPI-00047")
    # xAPI 1.0.3 Data §2.4.6.2.s4.b2: "either a single Activity Object or an array of Activity
    # Objects" -- an empty array is one, so "other": [] is accepted (tests/test_spec_allowed.py)
    assert_valid(with_(statement(), "context.contextActivities.other", []))


@pytest.mark.parametrize(("key", "cid"), [("revision", "XAPI-00084"), ("platform", "XAPI-00085")])
def test_revision_or_platform_with_a_non_activity_object_is_rejected(key: str, cid: str) -> None:
    stmt = with_(statement(), f"context.{key}", "1.2")
    stmt["object"] = {"objectType": "StatementRef", "id": OTHER_UUID}
    assert_rejected(stmt, f"$.context.{key}", f"xAPI-D §2.4.6 {cid}")
    assert_valid(with_(statement(), f"context.{key}", "1.2"))


def test_revision_that_is_not_a_string_is_rejected() -> None:
    stmt = with_(statement(), "context.revision", 12345)
    assert_rejected(stmt, "$.context.revision", "xAPI-D §2.4.6 XAPI-00089")


def test_context_language_that_is_not_an_rfc_5646_tag_is_rejected() -> None:
    stmt = with_(statement(), "context.language", "something")
    assert_rejected(stmt, "$.context.language", "xAPI-D §2.4.6 XAPI-00091")
    assert_valid(with_(statement(), "context.language", "cmn"))


def test_context_statement_that_is_not_a_statement_ref_is_rejected() -> None:
    stmt = with_(statement(), "context.statement", {"id": OTHER_UUID})
    assert_rejected(stmt, "$.context.statement.objectType", "xAPI-D §2.4.4.3 XAPI-00073")
    stmt = with_(statement(), "context.statement", {"objectType": "StatementRef", "id": 1})
    assert_rejected(stmt, "$.context.statement.id", "xAPI-D §2.4.4.3 XAPI-00072")
    ref = {"objectType": "StatementRef", "id": OTHER_UUID}
    assert_valid(with_(statement(), "context.statement", ref))


CONTEXT_AGENTS = [
    {
        "objectType": "contextAgent",
        "agent": {"mbox": "mailto:coach@example.com"},
        "relevantTypes": ["https://example.com/roles/coach"],
    }
]
CONTEXT_GROUPS = [
    {"objectType": "contextGroup", "group": {"objectType": "Group", "mbox": "mailto:t@example.com"}}
]


def test_context_agents_and_groups_are_rejected_on_a_1_0_request() -> None:
    stmt = with_(statement(), "context.contextAgents", CONTEXT_AGENTS)
    assert_rejected(stmt, "$.context.contextAgents", "xAPI-D §2.2 XAPI-00010")
    stmt = with_(statement(), "context.contextGroups", CONTEXT_GROUPS)
    assert_rejected(stmt, "$.context.contextGroups", "xAPI-D §2.2 XAPI-00010")


def test_context_agents_and_groups_are_accepted_on_a_2_0_request() -> None:
    stmt = with_(statement(), "context.contextAgents", CONTEXT_AGENTS)
    stmt["context"]["contextGroups"] = CONTEXT_GROUPS
    assert_valid(stmt, version="2.0.0")


def test_malformed_context_agent_is_rejected_on_a_2_0_request() -> None:
    agents = [{"objectType": "contextagent", "agent": {"mbox": "mailto:a@example.com"}}]
    stmt = with_(statement(), "context.contextAgents", agents)
    path = "$.context.contextAgents[0].objectType"
    assert_rejected(stmt, path, "xAPI-D §2.2 XAPI-00009", version="2.0.0")
    agents = [{"objectType": "contextAgent", "agent": {"mbox": "x"}, "relevantTypes": []}]
    stmt = with_(statement(), "context.contextAgents", agents)
    path = "$.context.contextAgents[0].relevantTypes"
    assert_rejected(stmt, path, "xAPI 2.0 contextAgents/contextGroups", version="2.0.0")
    path = "$.context.contextAgents[0].agent.mbox"
    assert_rejected(stmt, path, "xAPI-D §2.4.2.3 XAPI-00038", version="2.0.0")


# --- timestamp, stored, version, authority ------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    [
        "2008-09-15T15:53:00.601-00:00",
        "2008-09-15T15:53:00.601-0000",
        "2008-09-15T15:53:00.601-00",
        "01/011/2015",
        "should fail",
        "2015-11-18",
        1700000000,
    ],
)
def test_timestamp_that_is_not_iso_8601_is_rejected(timestamp: Any) -> None:
    assert_rejected(statement(timestamp=timestamp), "$.timestamp", "xAPI-D §2.4.7 XAPI-00022")


def test_minus_zero_offset_timestamp_is_rejected() -> None:
    stmt = statement(timestamp="2008-09-15T15:53:00.601-00:00")
    v = assert_rejected(stmt, "$.timestamp", "xAPI-D §2.4.7 XAPI-00022")
    assert "-00:00" in v.rule


def test_timestamp_on_a_day_that_does_not_exist_is_rejected() -> None:
    stmt = statement(timestamp="2015-02-30T12:00:00Z")
    assert_rejected(stmt, "$.timestamp", "xAPI-D §4.5 XAPI-00022")
    assert_valid(statement(timestamp="2016-02-29T12:00:00Z"))


@pytest.mark.parametrize(
    "timestamp",
    [
        "2013-05-18T05:32:34.804Z",
        "2013-05-18T05:32:34.804+00:00",
        "2013-05-18T05:32:34.804+0000",
        "2013-05-18T05:32:34+05:30",
        "2013-05-18T05:32:34.804",
        "20130518T053234Z",
        "2099-01-01T00:00:00Z",
    ],
)
def test_iso_8601_timestamp_is_accepted(timestamp: str) -> None:
    assert_valid(statement(timestamp=timestamp))


def test_stored_that_is_not_a_timestamp_is_rejected() -> None:
    assert_rejected(statement(stored="yesterday"), "$.stored", "xAPI-D §2.4.8 XAPI-00023")
    assert_valid(statement(stored="2024-06-05T13:05:37.000Z"))


@pytest.mark.parametrize("version", ["1.0", "1.0.0", "1.0.3", "1.0.9"])
def test_statement_version_starting_1_0_is_accepted(version: str) -> None:
    assert_valid(statement(version=version))


@pytest.mark.parametrize("version", ["1.1.0", "0.9.9", "should fail", "2.0", 1.0])
def test_statement_version_not_starting_1_0_is_rejected(version: Any) -> None:
    assert_rejected(statement(version=version), "$.version", "xAPI-D §2.4.10 XAPI-00101")


def test_statement_version_2_0_0_needs_a_2_0_request() -> None:
    assert_rejected(statement(version="2.0.0"), "$.version", "xAPI-D §2.4.10 XAPI-00101")
    assert_valid(statement(version="2.0.0"), version="2.0.0")
    assert_valid(statement(version="1.0.3"), version="2.0.0")


OAUTH_PAIR = [
    {
        "account": {
            "homePage": "http://example.com/xAPI/OAuth/Token",
            "name": "oauth_consumer_x75db",
        }
    },
    {"mbox": "mailto:bob@example.com"},
]


def test_authority_agent_or_anonymous_oauth_pair_is_accepted() -> None:
    assert_valid(statement(authority={"objectType": "Agent", "account": ACCOUNT}))
    assert_valid(statement(authority={"objectType": "Group", "member": OAUTH_PAIR}))


def test_authority_group_without_exactly_two_agents_is_rejected() -> None:
    three = [*OAUTH_PAIR, {"mbox": "mailto:james@example.com"}]
    stmt = statement(authority={"objectType": "Group", "member": three})
    assert_rejected(stmt, "$.authority.member", "xAPI-D §2.4.9 XAPI-00100")
    stmt = statement(authority={"objectType": "Group", "member": OAUTH_PAIR[:1]})
    assert_rejected(stmt, "$.authority.member", "xAPI-D §2.4.9 XAPI-00098")
    stmt = statement(authority={"objectType": "Group", "openid": "http://openid.example.org/1"})
    assert_rejected(stmt, "$.authority.member", "xAPI-D §2.4.9 XAPI-00098")


def test_identified_authority_group_is_rejected() -> None:
    group = {"objectType": "Group", "member": OAUTH_PAIR, "mbox": "mailto:bob@example.com"}
    assert_rejected(statement(authority=group), "$.authority", "xAPI-D §2.4.9 XAPI-00098")


# --- attachments and voiding ----------------------------------------------------------------------


def test_attachment_with_all_required_fields_is_accepted() -> None:
    assert_valid(statement(attachments=[ATTACHMENT]))
    without_url = {k: v for k, v in ATTACHMENT.items() if k != "fileUrl"}
    assert_valid(statement(attachments=[without_url, {**ATTACHMENT, "length": 0}]))


@pytest.mark.parametrize(
    ("key", "bad", "cid"),
    [
        ("usageType", "test", "XAPI-00107"),
        ("display", "A test attachment", "XAPI-00106"),
        ("description", ["A test attachment"], "XAPI-00106"),
        ("contentType", "plain text", "XAPI-00105"),
        ("length", "27", "XAPI-00102"),
        ("length", -1, "XAPI-00102"),
        ("length", 2.5, "XAPI-00102"),
        ("sha2", "not-a-hash", "XAPI-00103"),
        ("fileUrl", "file.txt", "XAPI-00104"),
    ],
)
def test_attachment_field_of_the_wrong_kind_is_rejected(key: str, bad: Any, cid: str) -> None:
    stmt = statement(attachments=[{**ATTACHMENT, key: bad}])
    assert_rejected(stmt, f"$.attachments[0].{key}", f"xAPI-D §2.4.11 {cid}")


@pytest.mark.parametrize(
    ("key", "cid"),
    [
        ("usageType", "XAPI-00107"),
        ("display", "XAPI-00106"),
        ("contentType", "XAPI-00105"),
        ("length", "XAPI-00102"),
        ("sha2", "XAPI-00103"),
    ],
)
def test_attachment_without_a_required_field_is_rejected(key: str, cid: str) -> None:
    stmt = statement(attachments=[{k: v for k, v in ATTACHMENT.items() if k != key}])
    assert_rejected(stmt, f"$.attachments[0].{key}", f"xAPI-D §2.4.11 {cid}")


def test_attachments_that_are_not_an_array_are_rejected() -> None:
    assert_rejected(statement(attachments=ATTACHMENT), "$.attachments", "xAPI-D §2.4.11 XAPI-00025")


def test_voiding_statement_whose_object_is_not_a_statement_ref_is_rejected() -> None:
    verb = {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}}
    assert_rejected(statement(verb=verb), "$.object", "xAPI-D §2.3.2 XAPI-00017")
    assert_valid(statement(verb=verb, object={"objectType": "StatementRef", "id": OTHER_UUID}))


def test_long_example_statement_from_the_spec_is_accepted() -> None:
    stmt = statement(
        actor={
            "name": "Team PB",
            "mbox": "mailto:teampb@example.com",
            "objectType": "Group",
            "member": [
                {"name": "Andrew", "account": ACCOUNT, "objectType": "Agent"},
                {
                    "name": "Toby",
                    "openid": "http://toby.openid.example.org/",
                    "objectType": "Agent",
                },
                {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9", "objectType": "Agent"},
            ],
        },
        stored="2013-05-18T05:32:34.804+00:00",
        authority={"account": {"homePage": "http://cloud.scorm.com/", "name": "anonymous"}},
        version="1.0.0",
    )
    stmt["context"].update(
        platform="Example virtual meeting software",
        language="tlh",
        statement={"objectType": "StatementRef", "id": OTHER_UUID},
    )
    assert_valid(stmt)


# --- batches ---------------------------------------------------------------------------------------


def test_single_statement_body_gets_root_paths_and_a_batch_gets_indexed_paths() -> None:
    bad = statement(actor={"name": "Nobody"})
    assert [v.path for v in validate_statements(bad)] == ["$.actor"]
    assert [v.path for v in validate_statements([statement(id=OTHER_UUID), bad])] == ["$[1].actor"]


def test_batch_with_the_same_statement_id_twice_is_rejected() -> None:
    found = validate_statements([statement(), statement(id=UUID.upper())])
    assert [(v.path, v.section) for v in found] == [("$[1].id", "xAPI-C §2.1.2")]
    assert "$[0]" in found[0].rule


def test_batch_of_distinct_valid_statements_and_an_empty_batch_are_valid() -> None:
    assert validate_statements([statement(), statement(id=OTHER_UUID), statement(id=None)]) == []
    assert validate_statements([]) == []


def test_body_that_is_neither_a_statement_nor_a_list_is_rejected() -> None:
    assert [(v.path, v.section) for v in validate_statements("x")] == [("$", "xAPI-C §2.1.2")]


@pytest.mark.parametrize(
    ("body", "named"), [("x", "string"), (7, "number"), (True, "boolean"), (("x",), "tuple")]
)
def test_a_body_of_another_type_is_named_by_its_json_type_or_else_its_python_type(
    body: Any, named: str
) -> None:
    """xAPI-C §2.1.2: a POST body is a Statement or an array of them. A Python caller handing
    in something else (a tuple, which JSON has not) is told the type it passed."""
    rule = f"expected a statement object or an array of statements, got {named}"
    assert [v.rule for v in validate_statements(body)] == [rule]


def test_validate_statements_judges_a_batch_by_the_version_it_is_given() -> None:
    """xAPI-D §2.4.10.s3.b2: a 1.0.x LRS rejects a statement version not starting with 1.0.;
    a 2.0.0 request takes "2.0.0" (cmi5-xapi-rules.md §5.8 item 2)."""
    two = [statement(version="2.0.0")]
    assert validate_statements(two, "2.0.0") == []
    assert [v.path for v in validate_statements(two)] == ["$[0].version"]


def test_validate_statement_speaks_xapi_1_0_3_unless_told_otherwise() -> None:
    rule = (
        'statement version "2.0.0" is not accepted on an xAPI 1.0.3 request;'
        " it must start with '1.0.'"
    )
    assert [v.rule for v in validate_statement(statement(version="2.0.0"))] == [rule]


def test_violation_as_dict_and_rule_quotes_long_values_truncated() -> None:
    long_id = "x" * 200
    [v] = validate_statement(statement(id=long_id))
    assert v.as_dict() == {"path": v.path, "rule": v.rule, "section": v.section}
    assert '"xxxx' in v.rule and "…" in v.rule and len(v.rule) < 160


# --- query parameters: agent and actor ---------------------------------------------------------------


def test_agent_parameter_accepts_an_agent_with_one_ifi() -> None:
    assert validate_agent({"objectType": "Agent", "account": ACCOUNT}) == []
    assert validate_agent({"mbox": "mailto:a@example.com"}, "agent") == []


def test_agent_parameter_rejects_a_group_two_ifis_or_a_bad_ifi() -> None:
    found = validate_agent({"objectType": "Group", "mbox": "mailto:t@example.com"})
    assert [(v.path, v.section) for v in found] == [("$.objectType", "xAPI-D §2.2 XAPI-00012")]
    found = validate_agent({"mbox": "mailto:a@example.com", "openid": "http://a.example"}, "agent")
    assert [(v.path, v.section) for v in found] == [("agent", "xAPI-D §2.4.2.1 XAPI-00034")]
    found = validate_agent({"mbox": "a@example.com"})
    assert [(v.path, v.section) for v in found] == [("$.mbox", "xAPI-D §2.4.2.3 XAPI-00038")]
    assert validate_agent("not json object")


def test_actor_filter_accepts_an_agent_or_an_identified_group() -> None:
    assert validate_actor({"mbox": "mailto:a@example.com"}) == []
    assert validate_actor({"objectType": "Group", "account": ACCOUNT}) == []


def test_actor_filter_rejects_an_anonymous_group_and_a_wrong_case_object_type() -> None:
    group = {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}
    assert [(v.path, v.section) for v in validate_actor(group)] == [("$", "xAPI-C §2.1.3")]
    assert [v.as_dict() for v in validate_actor(group)] == [
        {
            "path": "$",
            "rule": "a Group used as a filter must be identified by an IFI; anonymous Groups "
            "match nothing",
            "section": "xAPI-C §2.1.3",
        }
    ]
    found = validate_actor({"objectType": "group", "mbox": "mailto:t@example.com"})
    assert [(v.path, v.section) for v in found] == [("$.objectType", "xAPI-D §2.2 XAPI-00009")]


@pytest.mark.parametrize(
    ("actor", "violations"),
    [
        ({"objectType": "Agent"}, [("$", "xAPI-D §2.4.2.1 XAPI-00034")]),
        ("x", [("$", "xAPI-D §2.4.2 XAPI-00031")]),
    ],
    ids=["agent-without-ifi", "not-an-object"],
)
def test_actor_filter_asks_only_a_group_for_a_group_ifi(actor: Any, violations: list) -> None:
    assert [(v.path, v.section) for v in validate_actor(actor)] == violations


# --- value helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (UUID, True),
        (UUID.upper(), True),
        ("00000000-0000-0000-0000-000000000000", False),
        ("2a5a4bd43c7e4f1d9a276f0d1c5c7f10", False),
        (UUID + "\n", False),
        (None, False),
    ],
)
def test_is_uuid(value: Any, expected: bool) -> None:
    assert is_uuid(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://example.com/فعل/خواندن", True),
        ("urn:uuid:2a5a4bd4-3c7e-4f1d-9a27-6f0d1c5c7f10", True),
        ("mailto:a@b.c", True),
        ("http://x.example/p#frag", True),
        ("http://a b", False),
        ("ab=c://x", False),
        ("/relative/path", False),
        ("http://x.example/%zz", False),
        ("", False),
        (42, False),
    ],
)
def test_is_iri(value: Any, expected: bool) -> None:
    assert is_iri(value) is expected


def test_is_duration_and_is_language_tag() -> None:
    assert is_duration("P1Y2M10DT2H30M") and not is_duration("PT") and not is_duration(5)
    assert is_language_tag("en-GB-oed") and is_language_tag("EN-us")
    assert not is_language_tag("de-419-DE") and not is_language_tag(None)


def test_parse_timestamp_returns_an_aware_instant() -> None:
    assert parse_timestamp("2024-06-05T13:05:36.253062Z") == datetime(
        2024, 6, 5, 13, 5, 36, 253062, tzinfo=UTC
    )
    plus = parse_timestamp("2024-06-05T15:05:36+02:00")
    assert plus == datetime(2024, 6, 5, 13, 5, 36, tzinfo=UTC)
    assert plus.utcoffset() == timedelta(hours=2)
    assert parse_timestamp("20240605T130536-0130").tzinfo == timezone(
        -timedelta(hours=1, minutes=30)
    )


def test_parse_timestamp_reads_a_zoneless_time_as_utc_and_truncates_beyond_microseconds() -> None:
    assert parse_timestamp("2024-06-05T13:05:36.1234567") == datetime(
        2024, 6, 5, 13, 5, 36, 123456, tzinfo=UTC
    )
    assert parse_timestamp("2024-06-05T13:05Z") == datetime(2024, 6, 5, 13, 5, tzinfo=UTC)


def test_parse_timestamp_rolls_a_leap_second_into_the_next_minute() -> None:
    assert parse_timestamp("2016-12-31T23:59:60Z") == datetime(2017, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    ["2008-09-15T15:53:00-00:00", "2015-02-30T00:00:00Z", "2015-11-18", "yesterday", None, 0],
)
def test_parse_timestamp_returns_none_for_what_is_no_instant(value: Any) -> None:
    assert parse_timestamp(value) is None


@pytest.mark.parametrize(
    ("agent", "key"),
    [
        ({"mbox": "mailto:Ann@Example.COM"}, "mbox:mailto:Ann@example.com"),
        (
            {"mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"},
            "mbox_sha1sum:ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
        ),
        ({"openid": "http://a.example/"}, "openid:http://a.example/"),
        (
            {"objectType": "Group", "account": {"homePage": "https://x", "name": "n"}},
            "account:https://x|n",
        ),
    ],
)
def test_agent_ifi_is_a_canonical_identity_key(agent: dict, key: str) -> None:
    assert agent_ifi(agent) == key


@pytest.mark.parametrize(
    ("mbox", "key"),
    [
        (
            "mailto:a:b@Example.COM",
            "mbox:mailto:a:b@example.com",
        ),  # the scheme ends at the first ':'
        (
            'mailto:"A@B"@Example.COM',
            'mbox:mailto:"A@B"@example.com',
        ),  # the domain after the last '@'
        ("x:Ann@Example.COM", "mbox:x:Ann@Example.COM"),  # not mailto: kept as sent
        ("MAILTO:Ann", "mbox:MAILTO:Ann"),  # no '@': no domain to lower
    ],
)
def test_agent_ifi_lowers_only_the_scheme_and_domain_of_a_mailto(mbox: str, key: str) -> None:
    assert agent_ifi({"mbox": mbox}) == key


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2024-06-05T13:05:36+05", datetime(2024, 6, 5, 8, 5, 36, tzinfo=UTC)),
        ("2024-06-05T13:05:36.5Z", datetime(2024, 6, 5, 13, 5, 36, 500000, tzinfo=UTC)),
    ],
    ids=["hour-offset", "tenths"],
)
def test_parse_timestamp_reads_an_hour_offset_and_a_short_fraction(stamp: str, expected) -> None:
    assert parse_timestamp(stamp) == expected


def test_instant_us_counts_integer_microseconds_since_1970_utc() -> None:
    one = validation.instant_us("1970-01-01T00:00:00.000001Z")
    assert one == 1 and isinstance(one, int)
    assert validation.instant_us("2024-06-05T15:05:36.253062+02:00") == 1717592736253062
    earliest = validation.instant_us("0001-01-01T00:00:00Z")
    assert validation.instant_us("0000-12-31T23:59:59Z") < earliest  # no datetime holds year 0
    assert validation.instant_us("2015-02-30T00:00:00Z") is None
    assert validation.instant_us("9999-12-31T23:59:60Z") is None  # year 10000
    assert validation.instant_us("yesterday") is None


@pytest.mark.parametrize("name", ["uuid", "iri", "languageTag", "duration", "timestamp"])
def test_the_value_helpers_use_the_schemas_patterns(name: str) -> None:
    assert validation._pattern(name).pattern == schema_check.DEFS[name]["pattern"]


@pytest.mark.parametrize(
    "agent",
    [
        {},
        {"mbox": "mailto:a@b.c", "openid": "http://a"},
        {"account": {"name": "n"}},
        {"mbox": 1},
        "x",
    ],
)
def test_agent_ifi_is_none_without_exactly_one_well_typed_ifi(agent: Any) -> None:
    assert agent_ifi(agent) is None


# --- agreement with stock jsonschema on edge values ------------------------------------------------
# (every statement above already goes through agrees_with_stock_jsonschema via problems())


class _Dict(dict):
    pass


@pytest.mark.parametrize(
    "stmt",
    [
        statement(attachments=[{**ATTACHMENT, "length": 27.0}]),  # integral float is an integer
        statement(attachments=[{**ATTACHMENT, "length": True}]),  # a boolean is not
        with_(statement(), "result.score", {"scaled": True}),
        with_(statement(), "result.score", {"scaled": math.nan, "raw": math.inf}),
        statement(actor=_Dict(mbox="mailto:a@example.com")),  # dict subclasses are objects
        statement(actor=_Dict(mbox="mailto:a@example.com", extra=1)),
        with_(statement(), "context.contextActivities.parent", {"id": "https://x.example/a"}),
        statement(object={"objectType": "Group", "member": [{"objectType": "Group"}]}),
        statement(object={"objectType": "SubStatement"}),
        [statement()],
        None,
    ],
)
def test_validator_agrees_with_stock_jsonschema_on_edge_values(stmt: Any) -> None:
    agrees_with_stock_jsonschema(stmt)


# --- named rules no one can weaken unnoticed ----------------------------------------------------


def test_anonymous_group_as_the_object_must_list_its_members() -> None:
    """xAPI-D §2.4.2.2 (XAPI-00037): "An Anonymous Group MUST include a member property listing
    constituent Agents", as the object of a statement too."""
    for group in ({"objectType": "Group"}, {"objectType": "Group", "member": []}):
        assert_rejected(statement(object=group), "$.object.member", "xAPI-D §2.4.2.2 XAPI-00037")


def test_voiding_statement_whose_object_is_a_substatement_is_rejected() -> None:
    """xAPI-D §2.3.2 (XAPI-00017): the object of a voiding statement MUST be a StatementRef; a
    SubStatement is not one."""
    verb = {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}}
    sub = {
        "objectType": "SubStatement",
        "actor": {"mbox": "mailto:sub@example.com"},
        "verb": {"id": "http://example.com/verbs/did"},
        "object": {"id": "http://example.com/activities/a"},
    }
    assert_rejected(statement(verb=verb, object=sub), "$.object", "xAPI-D §2.3.2 XAPI-00017")


@pytest.mark.parametrize(
    "obj",
    [
        {"objectType": "Agent", "mbox": "mailto:obj@example.com"},
        {"objectType": "Group", "mbox": "mailto:team@example.com"},
        {
            "objectType": "SubStatement",
            "actor": {"mbox": "mailto:sub@example.com"},
            "verb": {"id": "http://example.com/verbs/did"},
            "object": {"id": "http://example.com/activities/a"},
        },
    ],
    ids=["agent", "group", "substatement"],
)
def test_revision_and_platform_need_an_activity_object(obj: dict[str, Any]) -> None:
    """xAPI-D §2.4.6 (XAPI-00084, XAPI-00085): revision and platform "MUST only be used if the
    Statement's Object is an Activity"; an Agent, a Group and a SubStatement are not."""
    stmt = statement(object=obj)
    stmt["context"] = {"revision": "1.2", "platform": "web"}
    assert_rejected(stmt, "$.context.revision", "xAPI-D §2.4.6 XAPI-00084")
    assert_rejected(stmt, "$.context.platform", "xAPI-D §2.4.6 XAPI-00085")


@pytest.mark.parametrize("day", ["2015-02-29", "2015-04-31", "2100-02-29"])
def test_a_day_one_past_the_end_of_its_month_is_rejected(day: str) -> None:
    """xAPI-D §4.5 (XAPI-00022, XAPI-00023): a Timestamp is ISO 8601, whose calendar has no
    29 February in a common year (2100 included) and no 31 April."""
    assert_rejected(
        statement(timestamp=f"{day}T12:00:00Z"), "$.timestamp", "xAPI-D §4.5 XAPI-00022"
    )
    assert_rejected(statement(stored=f"{day}T12:00:00Z"), "$.stored", "xAPI-D §4.5 XAPI-00023")


def test_a_space_between_date_and_time_is_1_0_3_refused_and_2_0_accepted() -> None:
    """xAPI 1.0.3 Data §4.5 (XAPI-00022): a Timestamp is ISO 8601, which separates date and time
    with 'T'; xAPI 2.0 takes RFC 3339, which allows a space."""
    for key, cid in (("timestamp", "XAPI-00022"), ("stored", "XAPI-00023")):
        stmt = statement(**{key: "2015-11-18 12:17:00Z"})
        assert_rejected(stmt, f"$.{key}", f"xAPI-D §4.5 {cid}")
        assert_valid(stmt, version="2.0.0")


def test_a_batch_stops_once_more_violations_than_enough_are_found() -> None:
    """xAPI-C §2.1.2: a batch is refused whole; with `enough`, checking stops as soon as more
    than that many violations are found, and the statements left are counted as unchecked."""
    batch = [statement(id=f"not-a-uuid-{i}") for i in range(5)]
    found = check_batch(batch, enough=2)
    assert [v.path for v in found.violations] == ["$[0].id", "$[1].id", "$[2].id"]
    assert found.unchecked == 2
    assert check_batch(batch).unchecked == 0


# --- check_batch: version, the cap, the disconnect poll ----------------------------------------


def _context_agents() -> dict[str, Any]:
    stmt = statement()
    stmt["context"] = {
        "contextAgents": [{"objectType": "contextAgent", "agent": {"mbox": "mailto:a@example.com"}}]
    }
    return stmt


@pytest.mark.parametrize("body", [_context_agents(), [_context_agents()]], ids=["one", "batch"])
def test_check_batch_judges_by_the_requests_version(body: Any) -> None:
    assert check_batch(body, "2.0.0").violations == []
    for found in (check_batch(body).violations, validate_statements(body)):
        assert [(v.path.replace("$[0]", "$"), v.section) for v in found] == [
            ("$.context.contextAgents", "xAPI-D §2.2 XAPI-00010")
        ]
        assert found[0].rule.endswith("this request speaks xAPI 1.0.3")


def _three_faults() -> dict[str, Any]:
    stmt = statement(id=None)
    stmt["actor"], stmt["verb"], stmt["object"] = {}, {}, {}
    return stmt


def test_check_batch_stops_one_violation_past_enough() -> None:
    assert [v.path for v in check_batch(_three_faults(), enough=1).violations] == [
        "$.verb.id",
        "$.object.id",
    ]
    assert len(check_batch(_three_faults()).violations) == 3
    batch = check_batch([_three_faults(), _three_faults(), statement()], enough=3)
    assert [v.path for v in batch.violations] == [
        "$[0].verb.id",
        "$[0].object.id",
        "$[0].actor",
        "$[1].verb.id",
    ]
    assert batch.unchecked == 1


def test_check_batch_refuses_what_is_neither_a_statement_nor_a_list() -> None:
    assert [v.as_dict() for v in check_batch("x").violations] == [
        {
            "path": "$",
            "rule": "expected a statement object or an array of statements, got string",
            "section": "xAPI-C §2.1.2",
        }
    ]
    found = check_batch([statement(), "x"]).violations
    assert [(v.path, v.section) for v in found] == [("$[1]", "xAPI-D §2.2")]


def test_check_batch_asks_whether_the_client_left_every_so_many_statements() -> None:
    every = validation.DISCONNECT_CHECK_EVERY
    asked: list[int] = []
    body = [statement(id=None) for _ in range(2 * every + 1)]

    def still_there() -> bool:
        asked.append(1)
        return False

    assert check_batch(body, client_disconnected=still_there).violations == []
    assert len(asked) == 2  # at statements `every` and 2 * `every`, not at 0
    assert check_batch(body).violations == []
    with pytest.raises(
        validation.ValidationAbandoned, match=f"^client disconnected at statement {every}$"
    ):
        check_batch(body, client_disconnected=lambda: True)


@pytest.mark.parametrize("validate", [validate_agent, validate_actor])
def test_a_misread_agent_parameter_is_reported_at_its_object_type_alone(validate: Any) -> None:
    """An agent whose objectType is off (xAPI-D §2.2.s4.b1.b6, case) was read as the wrong
    kind of object: the complaint is its objectType, not the echoes inside (its name), also
    at the root path "$" the functions use by default."""
    found = validate({"objectType": "agent", "mbox": "mailto:a@example.com", "name": 5})
    assert [(v.path, v.section) for v in found] == [("$.objectType", "xAPI-D §2.2 XAPI-00009")]


def test_validate_agent_names_a_group_given_for_an_agent() -> None:
    found = validate_agent({"objectType": "Group", "mbox": "mailto:a@example.com"})
    assert [v.as_dict() for v in found] == [
        {
            "path": "$.objectType",
            "rule": "this parameter takes an Agent, not a Group",
            "section": "xAPI-D §2.2 XAPI-00012",
        }
    ]


def test_an_unknown_key_is_named_with_the_object_that_holds_it() -> None:
    stmt = statement()
    stmt["result"] = {"foo": 1}
    assert [v.as_dict() for v in validate_statement(stmt)] == [
        {
            "path": "$.result.foo",
            "rule": "unknown key 'foo' in the Result (allowed: score, success, completion, "
            "response, duration, extensions)",
            "section": "xAPI-D §2.2 XAPI-00010",
        }
    ]
