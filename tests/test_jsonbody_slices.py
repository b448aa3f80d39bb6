"""The JSON depth check and the escape search work a slice at a time, so that a 16 MiB body
never holds the interpreter in one long C call (issue: a small POST waits behind large bodies).
Cut anywhere, a text must get the verdict it gets whole: these tests cut every text at every
slice size from 1 character up and compare with the true depth of the JSON it holds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_lms.xapi import jsonbody
from fake_lms.xapi.jsonbody import JSONTooDeep, check_depth, contains

# Strings full of what the scan must see through: quotes, backslashes, brackets, escapes.
TRICKY = st.text(alphabet='[]{}"\\:,ab\u00e9\U0001f600', max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
    max_leaves=30,
)


def true_depth(value: Any) -> int:
    """Levels of arrays/objects, the outermost being level 1."""
    if isinstance(value, list):
        return 1 + max(map(true_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(true_depth, value.values()), default=0)
    return 0


def verdict(text: str, limit: int) -> bool:
    """True when `check_depth` accepts `text` at `limit`."""
    try:
        check_depth(text, limit)
    except JSONTooDeep:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(value=VALUES, slice_chars=st.integers(min_value=1, max_value=9), ascii_only=st.booleans())
def test_any_slicing_judges_the_depth_of_valid_json_as_it_is(
    value: Any, slice_chars: int, ascii_only: bool
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    depth = true_depth(value)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonbody, "SLICE_CHARS", slice_chars)
        for limit in {max(depth - 1, 0), depth}:
            assert verdict(text, limit) == (depth <= limit), (text, limit, slice_chars)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet='[]{}"\\ax', max_size=40), slice_chars=st.integers(1, 9))
def test_any_slicing_of_any_text_gives_the_verdict_of_one_slice(
    text: str, slice_chars: int
) -> None:
    """Malformed text too (a backslash outside a string, unbalanced quotes): the parser refuses
    it later, but the depth verdict must not depend on where slices fall."""
    whole = [verdict(text, limit) for limit in range(4)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jsonbody, "SLICE_CHARS", slice_chars)
        assert [verdict(text, limit) for limit in range(4)] == whole, (text, slice_chars)


def test_an_escape_cut_by_a_slice_edge_stays_an_escape(monkeypatch: pytest.MonkeyPatch) -> None:
    """`"\\\\"` then `[[`: the backslash pair ends the string's escape, the brackets count; with
    `"\\"[[["` the quote is escaped and the brackets are string contents."""
    monkeypatch.setattr(jsonbody, "SLICE_CHARS", 2)
    assert not verdict('["\\\\", [[[]]]]', 3)  # depth 4: the string is "\\", closed
    assert verdict('["\\"[[[[[["]', 1)  # one level: the brackets sit inside the string


@pytest.mark.parametrize("slice_chars", [1, 2, 3, 5])
def test_contains_finds_a_needle_across_a_slice_edge(
    slice_chars: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonbody, "SLICE_CHARS", slice_chars)
    for at in range(8):
        text = "x" * at + "\\u" + "y" * 3
        assert contains(text, "\\u"), (text, slice_chars)
    assert not contains("x\\y" * 5 + "u", "\\u")
