"""The schema engine: fastjsonschema's verdict must be stock jsonschema's (draft 2020-12) on the
schemas the fake LRS uses, and the explanation walk must find exactly stock jsonschema's errors.

The whole statement corpus of tests/test_validation.py is compared with stock jsonschema
(agrees_with_stock_jsonschema); these tests pin the places where fastjsonschema, a draft-07
validator, would read a schema otherwise, each both ways."""

from __future__ import annotations

import copy
import random
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from fake_lms.xapi import schema_check
from fake_lms.xapi.schema_check import SchemaCheck, check_keywords
from tests.test_validation import ATTACHMENT, statement


def agree(schema: dict, values: list[Any]) -> list[bool]:
    """Verdicts of the compiled validator, after checking each against stock jsonschema."""
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
    """fastjsonschema rewrites every `$` of a pattern as `\\Z`, inside `[...]` too, where it is
    an error: statement.json's contentType pattern has one (`[A-Za-z0-9!#$&^_.+\\-]`)."""
    schema = {"type": "string", "pattern": "^[a$]+(?![\\s\\S])"}
    assert agree(schema, ["a$a", "$", "b", "a$\n"]) == [True, True, False, False]


def test_a_dollar_anchor_keeps_the_meaning_python_gives_it() -> None:
    """jsonschema runs re.search, where `$` also matches before a final newline; fastjsonschema
    would make it `\\Z`. Both must say the same (the schema file avoids `$` for this reason)."""
    schema = {"type": "string", "pattern": "^ab$"}
    assert agree(schema, ["ab", "ab\n", "ab\n\n", "abc"]) == [True, True, False, False]


def test_escaped_dollars_and_a_literal_bracket_in_a_class_are_left_alone() -> None:
    schema = {"type": "string", "pattern": "^[]$]\\$(?![\\s\\S])"}
    assert agree(schema, ["]$", "$$", "x$", "]"]) == [True, True, False, False]


def test_a_bracket_inside_a_class_does_not_hide_the_end_of_the_class() -> None:
    """`[a[]` is the set {a, [}: the `$` after it is the end anchor, not a literal."""
    schema = {"type": "string", "pattern": "^[a[]+$"}
    assert agree(schema, ["a[", "a[\n", "a$", "[[$"]) == [True, True, False, False]


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
def test_a_schema_with_a_keyword_the_drafts_read_differently_is_refused(
    schema: dict, keyword: str
) -> None:
    with pytest.raises(ValueError, match=keyword):
        check_keywords(schema)


def test_tuple_items_are_refused_and_the_statement_schema_is_accepted() -> None:
    with pytest.raises(ValueError, match="items"):
        check_keywords({"items": [{"type": "string"}]})
    check_keywords(schema_check.RAW_SCHEMA)  # what the module did at import


def test_the_explanation_skips_valid_elements_of_every_array_of_the_statement() -> None:
    """The bounded walk: array elements and large objects are judged by the compiled test of
    their $def, so a refusal costs the faults, not the body. If fastjsonschema stopped making
    these functions, refusals of big bodies would be 5x slower: this pins that it does."""
    wanted = {"member", "contextActivity", "attachment", "interactionComponent", "statementObject"}
    wanted |= {"contextAgent", "contextGroup", "verb", "context", "result", "actor"}
    _, tests = schema_check._compile(schema_check.RAW_SCHEMA)
    assert wanted <= set(tests)
    assert tests["member"]({"mbox": "mailto:a@example.com"}) is True
    assert tests["member"]({"mbox": "a@example.com"}) is False


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


def test_remembered_pattern_results_are_bounded_in_count_and_length() -> None:
    memo = schema_check._Memo(re.compile("^a"))
    for i in range(schema_check._MEMO_SIZE + 10):
        assert memo[f"a{i}"] is True
    assert len(memo) <= schema_check._MEMO_SIZE
    assert memo["a" * 10_000] is True
    assert memo["b" * 10_000] is False
    assert "a" * 10_000 not in memo and "b" * 10_000 not in memo


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
