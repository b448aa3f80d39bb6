"""The one number test and the one deep JSON equality every check uses (fake_lms.xapi.json_values).

RFC 8259 §3: `true` and `false` are literals, not numbers; §6: a number is a number whether it is
written `1` or `1.0`; §4: an object is an unordered collection of members. Python says otherwise
(`True == 1`, `isinstance(True, int)`), so a check that asked Python would let a JSON `true` pass
where the spec wants a number (cmi5 §9.6.3.2: masteryScore is a decimal number; xAPI-D §2.4.5.1:
score values are decimal numbers).
"""

from __future__ import annotations

import pytest

from fake_lms.xapi.json_values import is_number, json_equal


@pytest.mark.parametrize("value", [0, 1, -3, 0.5, 1e300, 10**40])
def test_numbers_are_numbers(value):
    """RFC 8259 §6: integers and decimals are both JSON numbers."""
    assert is_number(value)


@pytest.mark.parametrize("value", [True, False, None, "1", "0.5", [1], {"n": 1}])
def test_booleans_strings_and_containers_are_not_numbers(value):
    """RFC 8259 §3: true and false are literals, not the numbers 1 and 0."""
    assert not is_number(value)


EQUAL = [
    ("int-and-decimal", 1, 1.0),
    ("zero-and-negative-zero", 0, -0.0),
    ("key-order", {"a": 1, "b": [1, {"c": 2}]}, {"b": [1.0, {"c": 2}], "a": 1.0}),
    ("nested-true", {"x": [True]}, {"x": [True]}),
    ("null", None, None),
    ("empty", {}, {}),
]

DIFFERENT = [
    ("true-is-not-1", True, 1),
    ("1-is-not-true", 1, True),
    ("false-is-not-0", False, 0),
    ("false-is-not-0.0", 0.0, False),
    ("true-is-not-false", True, False),
    ("number-is-not-string", 1, "1"),
    ("null-is-not-false", None, False),
    ("other-number", 0.8, 0.80001),
    ("array-order", [1, 2], [2, 1]),
    ("array-longer", [1, 2], [1, 2, 3]),
    ("array-element", [1, {"a": 1}], [1, {"a": 2}]),
    ("array-is-not-object", [], {}),
    ("missing-key", {"a": 1}, {"a": 1, "b": 1}),
    ("other-key", {"a": 1}, {"b": 1}),
    ("nested-true-is-not-1", {"x": [True]}, {"x": [1]}),
    ("string-case", "Agent", "agent"),
]


@pytest.mark.parametrize(("name", "a", "b"), EQUAL, ids=[row[0] for row in EQUAL])
def test_equal_json_values(name, a, b):
    """RFC 8259 §4 and §6: key order and the spelling of a number do not make values differ."""
    assert json_equal(a, b)
    assert json_equal(b, a)


@pytest.mark.parametrize(("name", "a", "b"), DIFFERENT, ids=[row[0] for row in DIFFERENT])
def test_different_json_values(name, a, b):
    """RFC 8259 §3, §5: a literal is not a number, array order and length count, keys count."""
    assert not json_equal(a, b)
    assert not json_equal(b, a)
