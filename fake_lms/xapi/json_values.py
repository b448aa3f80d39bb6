"""JSON values as JSON sees them, not as Python does: the one number test and deep equality.

Python's `True == 1` and `isinstance(True, int)` would let a JSON `true` pass for the number 1
(RFC 8259 §3 and §6: `true` is a literal, not a number); and `1 == 1.0` is right for JSON, where
an integer and a decimal of the same value are the same number. Every check that asks "is this a
number" or "are these the same JSON value" asks here.
"""

from __future__ import annotations

from typing import Any, TypeGuard

__all__ = ["is_number", "json_equal"]


def is_number(value: Any) -> TypeGuard[int | float]:
    """A JSON number: an int or a float, never a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def json_equal(a: Any, b: Any) -> bool:
    """Deep JSON equality: 1 == 1.0, true != 1, object key order never matters, arrays in order."""
    if is_number(a) and is_number(b):
        return bool(a == b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b
