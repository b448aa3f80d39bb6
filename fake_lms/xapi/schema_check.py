"""The statement schema, judged by jsonschema-rs (JSON Schema 2020-12) and explained by a walk.

`fake_lms/schemas/statement.json` is compiled once, when first used, by jsonschema-rs: its `is_valid` is
the verdict on every statement (the ingest path). Only when it refuses is the value walked again
(schema_walk.py) to say where and why, in the order and with the paths stock jsonschema gives;
the walk is lazy and stops after `most` errors. Stock jsonschema is the oracle of the tests:
tests/test_validation.py compares every statement of its corpus, tests/test_schema_check.py and
tests/test_schema_differential.py (Hypothesis) generated and mutated ones.

The schema may use only the keywords the walk knows (KEYWORDS), local `$ref`s into `$defs`, and
no `pattern` or `$ref` inside a subschema judged as a whole (`if`, `anyOf`, `oneOf`, `not`), where
a pattern the regex engine gives up on could not be judged again by `re`. Its patterns avoid what
Python's `re` (the patterns' dialect, stock jsonschema's) and jsonschema-rs (ECMA-262) read
differently (`$`, `\\d`, `\\w`, ...). jsonschema-rs reads NaN and the infinities, which are no JSON
but which Python callers can pass, as null: a bound (`minimum`, ...) needs a `type` beside it that
refuses null (so jsonschema-rs refuses and the walk judges such a number as stock jsonschema
does), and no constant is null. Anything else is refused at import, naming it.

jsonschema-rs cannot take a string holding an unpaired surrogate (UnicodeEncodeError): such a
value, which JSON bodies never hold (jsonbody refuses them) but `json.loads` makes, is judged
with each unpaired surrogate read as U+FFFD: both are one character outside every class of the
schema's patterns and equal to none of its constants, so the verdict is the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cached_property
from importlib import resources
from itertools import islice
from typing import Any

import jsonschema_rs

from fake_lms.xapi.schema_walk import DRAFT_2020_12, Explainer, SchemaDocument, SchemaError

__all__ = [
    "ACTOR",
    "AGENT",
    "DEFS",
    "KEYWORDS",
    "STATEMENT",
    "SchemaCheck",
    "SchemaError",
    "check_keywords",
]

# The keywords the explanation walk knows (and the differential tests exercise).
KEYWORDS = frozenset(
    {"type", "enum", "const", "allOf", "anyOf", "oneOf", "not", "if", "then", "else"}
    | {"minLength", "maxLength", "pattern", "minimum", "maximum"}
    | {"exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "items"}
    | {"properties", "additionalProperties", "propertyNames", "required"}
    | {"minProperties", "maxProperties"}
)
_STRUCTURE = frozenset({"$schema", "$id", "$defs", "$ref", "$comment"})
_ANNOTATIONS = frozenset({"title", "description", "examples"})  # and every "x-..." key
# Keywords whose value maps names to subschemas, or is a subschema or a list of them.
_SCHEMA_MAPS = frozenset({"properties", "$defs"})
_SCHEMA_VALUES = frozenset({"additionalProperties", "propertyNames", "items", "not"})
_SCHEMA_VALUES |= {"if", "then", "else"}
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
_JUDGED_WHOLE = frozenset({"if", "anyOf", "oneOf", "not"})
_BOUNDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
# jsonschema-rs reads NaN and the infinities (no JSON, but Python callers pass them) as null
_NON_FINITE = "jsonschema-rs reads NaN and infinities as null, stock jsonschema as numbers"

RAW_SCHEMA: dict[str, Any] = json.loads(
    resources.files("fake_lms").joinpath("schemas", "statement.json").read_text("utf-8")
)
DEFS: dict[str, Any] = RAW_SCHEMA["$defs"]


def _subschemas(node: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(where, subschema) for every subschema directly inside a schema node."""
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            yield from ((f"{key}/{name}", sub) for name, sub in value.items())
        elif key in _SCHEMA_VALUES:
            yield key, value
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            yield from ((f"{key}/{i}", sub) for i, sub in enumerate(value))


def check_keywords(node: Any, where: str = "#", defs: Any = None, whole: bool = False) -> None:
    """Refuse a schema the walk could explain otherwise than jsonschema-rs judges it."""
    if isinstance(node, bool):
        return
    if not isinstance(node, dict):
        raise ValueError(f"statement.json {where}: a schema must be an object or a boolean")
    defs = node.get("$defs", {}) if defs is None else defs
    kinds = node.get("type", "null")
    if _BOUNDS & node.keys() and "null" in ([kinds] if isinstance(kinds, str) else kinds):
        raise ValueError(
            f"statement.json {where}: a bound needs a type without null: {_NON_FINITE}"
        )
    for key, value in node.items():
        if key in KEYWORDS | _STRUCTURE or key in _ANNOTATIONS or key.startswith("x-"):
            _check_value(key, value, where, defs, whole)
            continue
        raise ValueError(
            f"statement.json {where}: keyword {key!r} is not explained by the schema walk "
            f"(fake_lms/xapi/schema_walk.py); supported: {sorted(KEYWORDS)}"
        )
    for step, sub in _subschemas(node):
        inside = whole or step.split("/")[0] in _JUDGED_WHOLE
        check_keywords(sub, f"{where}/{step}", defs, inside)


def _check_value(key: str, value: Any, where: str, defs: dict[str, Any], whole: bool) -> None:
    if key == "items" and not isinstance(value, (dict, bool)):
        raise ValueError(f"statement.json {where}/items: only a single schema is supported")
    if key == "$schema" and value != DRAFT_2020_12:
        raise ValueError(f"statement.json {where}: only {DRAFT_2020_12} is supported")
    if key == "$ref" and (not str(value).startswith("#/$defs/") or value[8:] not in defs):
        raise ValueError(f"statement.json {where}: {value} is no $def of this file")
    if key == "pattern":
        _check_pattern(str(value), where)
    if key in ("const", "enum") and None in ([value] if key == "const" else value):
        raise ValueError(f"statement.json {where}/{key}: null may not be a constant: {_NON_FINITE}")
    if whole and key in ("pattern", "$ref"):
        raise ValueError(
            f"statement.json {where}: no {key} inside if/anyOf/oneOf/not: the walk would not "
            "judge it again where the regex engine gives up"
        )


# Escapes Python's `re` (the engine the patterns are written for, and stock jsonschema's) reads
# otherwise than jsonschema-rs's ECMA-262 dialect: Unicode or ASCII digits and words, ends of text.
_DIALECT_ESCAPES = frozenset("dDwWbBAZz")


def _check_pattern(pattern: str, where: str) -> None:
    """Refuse a construct the two regex dialects read differently: `$` outside a class (Python's
    also matches before a final newline: write `(?![\\s\\S])`), the escapes above, and `\\s`
    or `\\S` except in a class that holds both or also `\\x00-\\x1f` (the dialects disagree
    on U+001C-U+001F only)."""
    opened, spaces, i = -1, False, 0  # the current class's `[` (-1: none), a \s or \S in it
    while i < len(pattern):
        char, escape = pattern[i], pattern[i + 1 : i + 2]
        if char == "\\" and (escape in _DIALECT_ESCAPES or (escape in ("s", "S") and opened < 0)):
            raise ValueError(
                f"statement.json {where}/pattern: \\{escape} at {i} is read differently by "
                "Python's re and jsonschema-rs"
            )
        if char == "\\":
            spaces = spaces or escape in ("s", "S")
            i += 2
            continue
        if opened >= 0:
            # a `]` first in the class (after `[` or `[^`) is a literal, any other closes it
            first = i == opened + 1 or (i == opened + 2 and pattern[opened + 1] == "^")
            if char == "]" and not first:
                _check_class(pattern[opened : i + 1], spaces, where)
                opened, spaces = -1, False
        elif char == "[":
            opened = i
        elif char == "$":
            raise ValueError(
                f"statement.json {where}/pattern: `$` at {i} also matches before a final newline "
                "in Python's re, not in jsonschema-rs; write (?![\\s\\S])"
            )
        i += 1


def _check_class(text: str, spaces: bool, where: str) -> None:
    both = ("\\s" in text and "\\S" in text) or "\\x00-\\x1f" in text
    if spaces and not both:
        raise ValueError(
            f"statement.json {where}/pattern: {text} reads U+001C-U+001F differently in Python's "
            "re and jsonschema-rs; add \\x00-\\x1f to the class"
        )


_UNPAIRED = re.compile("[\ud800-\udfff]")


def _encodable(value: Any) -> Any:
    """A copy with each unpaired surrogate read as U+FFFD (see the module's docstring)."""
    if isinstance(value, str):
        return _UNPAIRED.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encodable(item) for item in value]
    return value


class SchemaCheck:
    """One schema (the statement, or one of its $defs): jsonschema-rs's verdict, and the walk's
    errors when the verdict is no."""

    def __init__(
        self, name: str, schema: dict[str, Any] | SchemaDocument, pointer: str = "#"
    ) -> None:
        self.name = name
        self.pointer = pointer
        given = not isinstance(schema, SchemaDocument)
        if given:
            check_keywords(schema)
        self.document = SchemaDocument(schema) if isinstance(schema, dict) else schema
        self.explainer = Explainer(self.document, pointer)
        if given:  # a schema given here is compiled (and refused) here, not when first used
            self.validator.is_valid(None)

    @cached_property
    def validator(self) -> jsonschema_rs.Validator:
        """jsonschema-rs's validator of this schema, compiled (with the whole document's) when
        first used: the module's checks are made at import, their compiling waits."""
        return self.document.validators[self.pointer]

    def _refused(self, instance: Any) -> tuple[bool, Any]:
        """(refused, the value to explain): jsonschema-rs's verdict, on a copy it can read."""
        try:
            return not self.validator.is_valid(instance), instance
        except UnicodeEncodeError:
            readable = _encodable(instance)
            return not self.validator.is_valid(readable), readable

    def accepts(self, instance: Any) -> bool:
        """True when the instance is valid (a refusal the walk finds no error for is a long
        string the regex engine gave up on and `re` accepts)."""
        refused, readable = self._refused(instance)
        return not refused or next(iter(self.explainer.iter_errors(readable)), None) is None

    def errors(self, instance: Any, most: int | None = None) -> list[SchemaError]:
        """No errors when the instance is valid; otherwise stock jsonschema's, in its order, at
        most `most` of them (None: all). Each error has its path, keyword and schema node."""
        refused, readable = self._refused(instance)
        if not refused:
            return []
        return list(islice(self.explainer.iter_errors(readable), most))


check_keywords(RAW_SCHEMA)
_DOCUMENT = SchemaDocument(RAW_SCHEMA)
STATEMENT = SchemaCheck("statement", _DOCUMENT)
AGENT = SchemaCheck("agent", _DOCUMENT, "#/$defs/agent")
ACTOR = SchemaCheck("actor", _DOCUMENT, "#/$defs/actor")
