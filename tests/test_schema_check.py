"""The schema engine: jsonschema-rs's verdict must be stock jsonschema's (draft 2020-12) on the
schemas the fake LRS uses, and the explanation walk must find exactly stock jsonschema's errors.

The whole statement corpus of tests/test_validation.py is compared with stock jsonschema
(agrees_with_stock_jsonschema), generated statements by tests/test_schema_differential.py; these
tests pin the places where the two could differ (regex dialects, values that are no JSON, the
bound on a refusal's cost), each both ways."""

from __future__ import annotations

import copy
import math
import random
import time
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from fake_lms.xapi import schema_check
from fake_lms.xapi.schema_check import SchemaCheck, check_keywords
from tests.test_validation import ATTACHMENT, statement


def agree(schema: dict, values: list[Any]) -> list[bool]:
    """Verdicts of jsonschema-rs, after checking each and its explanation against stock jsonschema."""
    check = SchemaCheck("test", schema)
    stock = Draft202012Validator(schema)
    verdicts = []
    for value in values:
        assert check.accepts(value) is stock.is_valid(value), value
        ours = [list(e.path) for e in check.errors(value)]
        assert ours == [list(e.path) for e in stock.iter_errors(value)], value
        verdicts.append(check.accepts(value))
    return verdicts


def test_a_dollar_inside_a_character_class_is_a_literal_dollar() -> None:
    """statement.json's contentType pattern has one (`[A-Za-z0-9!#$&^_.+\\-]`)."""
    schema = {"type": "string", "pattern": "^[a$]+(?![\\s\\S])"}
    assert agree(schema, ["a$a", "$", "b", "a$\n"]) == [True, True, False, False]


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        ("^ab$", "`$` at 3"),  # Python's also matches before a final newline
        ("^[a[]+$", "`$` at 6"),  # `[a[]` is the set {a, [}: the `$` after it is an anchor
        ("^\\d+(?![\\s\\S])", "\\d at 1"),  # Unicode digits in Python, ASCII in ECMA-262
        ("^\\w", "\\w at 1"),
        ("a\\b", "\\b at 1"),
        ("^ab\\Z", "\\Z at 3"),
        ("^\\s", "\\s at 1"),  # Python's \\s holds U+001C-U+001F, jsonschema-rs's does not
        ("^[\\s]", "[\\s]"),
    ],
)
def test_a_pattern_the_regex_dialects_read_differently_is_refused(pattern: str, named: str) -> None:
    with pytest.raises(ValueError, match=re_escape(named)):
        SchemaCheck("test", {"type": "string", "pattern": pattern})


def re_escape(text: str) -> str:
    return "".join(f"\\{c}" if not c.isalnum() and c != " " else c for c in text)


def test_escaped_dollars_and_a_literal_bracket_in_a_class_are_left_alone() -> None:
    schema = {"type": "string", "pattern": "^[]$]\\$(?![\\s\\S])"}
    assert agree(schema, ["]$", "$$", "x$", "]"]) == [True, True, False, False]


def test_a_bracket_inside_a_class_does_not_hide_the_end_of_the_class() -> None:
    """`[a[]` is the set {a, [}; whitespace in a class with the control characters is read alike."""
    schema = {"type": "string", "pattern": "^[a[]+[^\\s\\x00-\\x1f]?(?![\\s\\S])"}
    assert agree(schema, ["a[", "a[\x1c", "a$", "[[\u3000", "[[\u00e9"]) == [
        True,
        False,
        True,
        False,
        True,
    ]


def test_sibling_assertions_of_a_ref_apply_as_in_2020_12() -> None:
    """Draft-07 ignores the siblings of `$ref`; 2020-12 applies them (Core §8.2.3.1)."""
    schema = {"$ref": "#/$defs/iri", "maxLength": 12, "$defs": schema_check.DEFS}
    assert agree(schema, ["http://a.b/c", "http://a.b/cdef", "not an iri"]) == [True, False, False]


@pytest.mark.parametrize(
    ("schema", "keyword"),
    [
        ({"type": "array", "prefixItems": [{"type": "string"}]}, "prefixItems"),
        ({"type": "array", "uniqueItems": True}, "uniqueItems"),
        ({"properties": {"a": {"contentMediaType": "application/json"}}}, "contentMediaType"),
        ({"$defs": {"x": {"dependentRequired": {"a": ["b"]}}}}, "dependentRequired"),
        ({"format": "date-time"}, "format"),
    ],
)
def test_a_schema_with_a_keyword_the_walk_does_not_know_is_refused(
    schema: dict, keyword: str
) -> None:
    with pytest.raises(ValueError, match=keyword):
        check_keywords(schema)


def test_tuple_items_are_refused_and_the_statement_schema_is_accepted() -> None:
    with pytest.raises(ValueError, match="items"):
        check_keywords({"items": [{"type": "string"}]})
    check_keywords(schema_check.RAW_SCHEMA)  # what the module did at import


@pytest.mark.parametrize(
    ("schema", "named"),
    [
        ({"$ref": "#/$defs/nowhere", "$defs": {}}, "no \\$def"),
        ({"$ref": "https://example.com/s.json"}, "no \\$def"),
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, "2020-12"),
        ({"if": {"pattern": "^a"}, "then": {"minLength": 2}}, "no pattern inside"),
        ({"not": {"$ref": "#/$defs/a"}, "$defs": {"a": {}}}, "no \\$ref inside"),
        ({"minimum": 0}, "a bound needs a type without null"),
        ({"type": ["number", "null"], "maximum": 0}, "a bound needs a type without null"),
        ({"enum": ["a", None]}, "null may not be a constant"),
    ],
)
def test_a_reference_or_pattern_the_walk_could_not_judge_again_is_refused(
    schema: dict, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        SchemaCheck("test", schema)


def test_explaining_a_hostile_refusal_costs_its_faults_not_its_size() -> None:
    """The walk enters only what jsonschema-rs refuses and stops at `most`: 60,000 valid members
    around one fault, and 60,000 keys that are no IRI, are explained in milliseconds (CPU, and
    a margin for a shared machine). jsonschema-rs's own iter_errors needed 2.4 s for 1,000 such
    keys and ran out of memory at 10,000."""
    members = [{"mbox": f"mailto:m{i}@example.com"} for i in range(60_000)]
    members[41_234] = {"mbox": "m@example.com"}
    group = {"actor": {"objectType": "Group", "member": members}}
    keys = {"context": {"extensions": {f"not an IRI {i}": i for i in range(60_000)}}}
    for changes, first in [
        (group, ["actor", "member", 41_234, "mbox"]),
        (keys, ["context", "extensions"]),
    ]:
        stmt = {**statement(), **changes}
        started = time.thread_time()
        errors = schema_check.STATEMENT.errors(stmt, 101)
        spent = time.thread_time() - started
        assert list(errors[0].path) == first
        assert spent < 2.0, spent
    assert len(schema_check.STATEMENT.errors(stmt, 101)) == 101


def test_a_refusal_among_many_valid_members_is_explained_as_stock_jsonschema_does() -> None:
    members = [{"mbox": f"mailto:m{i}@example.com"} for i in range(50)]
    members[37] = {"mbox": "m37@example.com"}
    stmt = {
        "actor": {"objectType": "Group", "member": members},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://example.com/a"},
        "bogus": 1,
    }
    stock = Draft202012Validator(schema_check.RAW_SCHEMA)
    ours = [list(e.path) for e in schema_check.STATEMENT.errors(stmt)]
    assert ours == [list(e.path) for e in stock.iter_errors(stmt)]
    assert ours == [["actor", "member", 37, "mbox"], []]


def test_the_error_walk_stops_at_most_errors() -> None:
    stmt = {"actor": {"objectType": "Group", "member": [{"name": i} for i in range(500)]}}
    assert len(schema_check.STATEMENT.errors(stmt, 7)) == 7
    assert len(schema_check.STATEMENT.errors(stmt)) > 500


def test_a_string_longer_than_the_regex_engine_can_search_is_judged_by_re() -> None:
    """jsonschema-rs's regex engine gives up (BacktrackLimitExceeded) on an IRI of a few hundred
    thousand characters; Python's re, which the patterns are written for, then decides: a long valid IRI
    is accepted, a long invalid one refused at its path."""
    long_iri = "https://example.com/" + "a" * 600_000
    stmt = statement(object={"id": long_iri})
    assert not schema_check.STATEMENT.validator.is_valid(stmt)  # jsonschema-rs gave up
    assert schema_check.STATEMENT.accepts(stmt)
    assert schema_check.STATEMENT.errors(stmt) == []
    stmt = statement(object={"id": long_iri + " "})
    assert not schema_check.STATEMENT.accepts(stmt)
    assert [list(e.path) for e in schema_check.STATEMENT.errors(stmt)] == [["object", "id"]]


@pytest.mark.parametrize(
    "value",
    [
        {"mbox": "mailto:a\ud800@example.com"},  # valid: a surrogate is outside every class
        {"mbox": "mailto:a@example.com", "name": "\udfff"},
        {"mbox": "mailto:a@example.com", "\ud800": 1},
        {"account": {"homePage": "https://x.example", "name": "\ud800"}},
    ],
)
def test_unpaired_surrogates_from_python_callers_are_judged_as_stock_jsonschema_does(
    value: dict,
) -> None:
    """`json.loads` (certify's launch actor) keeps unpaired surrogates, which jsonschema-rs cannot
    read; the verdict and the paths are stock jsonschema's all the same."""
    agree({**schema_check.DEFS["agent"], "$defs": schema_check.DEFS}, [value])


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf, 1.0, 1.5])
def test_numbers_json_cannot_hold_are_judged_as_stock_jsonschema_does(number: float) -> None:
    """jsonschema-rs reads NaN and the infinities as null; stock jsonschema as numbers."""
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "number"},
            "i": {"type": "integer"},
            "b": {"type": "number", "minimum": -1, "maximum": 1},
            "x": {"type": "number", "exclusiveMinimum": 0},
        },
    }
    agree(schema, [{"n": number}, {"i": number}, {"b": number}, {"x": number}])


# --- differential on mutated statements ----------------------------------------------------------

_PALETTE: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    "",
    "x",
    "en-US",
    "mailto:a@example.com",
    "https://example.com/a",
    "2024-06-05T13:05:36Z",
    "PT1S",
    "2a5a4bd4-3c7e-4f1d-9a27-6f0d1c5c7f10",
    [],
    [{}],
    {},
    {"en-US": "x"},
    {"objectType": "Agent"},
    {"objectType": "Group", "member": []},
    {"objectType": "SubStatement"},
    {"objectType": "StatementRef", "id": "2a5a4bd4-3c7e-4f1d-9a27-6f0d1c5c7f10"},
    {"id": "https://example.com/a", "definition": {}},
]


def _nodes(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path inside a JSON value (dict keys and list indexes)."""
    out = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _nodes(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _nodes(child, (*path, index))
    return out


def _mutated(stmt: dict, rng: Any) -> dict:
    """A copy with one to three nodes replaced, dropped or given an extra key."""
    out = copy.deepcopy(stmt)
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(_nodes(out)[1:])
        parent = out
        for step in path[:-1]:
            parent = parent[step]
        move = rng.random()
        if move < 0.15 and isinstance(parent, dict):
            del parent[path[-1]]
        elif move < 0.3 and isinstance(parent[path[-1]], dict):
            parent[path[-1]][rng.choice(["extra", "objectType", "id", "mbox"])] = rng.choice(
                _PALETTE
            )
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(_PALETTE))
    return out


def test_compiled_verdict_and_explanation_agree_with_stock_jsonschema_on_mutations() -> None:
    """600 seeded mutations of a full statement (SubStatement, Group, attachments, interaction):
    the compiled verdict is stock jsonschema's, and so are the explained error paths."""
    base = statement(attachments=[dict(ATTACHMENT)])
    base["object"] = {
        "objectType": "SubStatement",
        "actor": {"objectType": "Group", "member": [{"mbox": "mailto:m@example.com"}]},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {
            "id": "https://example.com/q",
            "definition": {
                "interactionType": "choice",
                "choices": [{"id": "a", "description": {"en": "A"}}],
                "correctResponsesPattern": ["a"],
            },
        },
    }
    stock = Draft202012Validator(schema_check.RAW_SCHEMA)
    assert stock.is_valid(base)
    rng = random.Random(11)
    refused = 0
    for _ in range(600):
        stmt = _mutated(base, rng)
        theirs = [list(e.path) for e in stock.iter_errors(stmt)]
        assert schema_check.STATEMENT.accepts(stmt) is (not theirs), (stmt, theirs)
        assert [list(e.path) for e in schema_check.STATEMENT.errors(stmt)] == theirs, stmt
        refused += bool(theirs)
    assert 300 < refused < 600  # both verdicts are exercised
