"""jsonschema-rs (the LRS's statement verdict) against stock jsonschema (the oracle) on generated
statements: the seeds of tests/test_statement_properties.py with up to three mutations each
(dropped, added and retyped members, deep nests, odd Unicode, huge numbers, IRI and timestamp
look-alikes, extensions). For each, both say valid or invalid alike; the explanation walk lists
stock jsonschema's error paths in its order; jsonschema-rs's own errors sit at the same paths,
where it can list them (its iter_errors gives up on values nested deeper than the LRS accepts,
MAX_JSON_DEPTH; its is_valid does not)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from fake_lms.xapi.limits import MAX_JSON_DEPTH
from fake_lms.xapi.schema_check import RAW_SCHEMA, STATEMENT
from tests.test_statement_properties import PROPERTY_SETTINGS, Case, mutated_statements

STOCK = Draft202012Validator(RAW_SCHEMA)


def _paths(errors: Any) -> list[str]:
    return sorted(repr(list(path)) for path in errors)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@PROPERTY_SETTINGS
@given(case=mutated_statements(), as_batch=st.booleans())
def test_jsonschema_rs_and_stock_jsonschema_agree_on_verdict_and_error_paths(
    case: Case, as_batch: bool
) -> None:
    stmt = [case[0]] if as_batch else case[0]
    theirs = [list(e.path) for e in STOCK.iter_errors(stmt)]
    assert STATEMENT.validator.is_valid(stmt) is (not theirs), theirs
    assert STATEMENT.accepts(stmt) is (not theirs), theirs
    assert [list(e.path) for e in STATEMENT.errors(stmt)] == theirs
    if _depth(stmt) <= MAX_JSON_DEPTH:
        own = (e.instance_path for e in STATEMENT.validator.iter_errors(stmt))
        assert _paths(own) == _paths(theirs)
