"""Why jsonschema-rs refuses a value: the errors stock jsonschema lists, in its order, each found by
asking jsonschema-rs about one subschema or one keyword at a time.

jsonschema-rs's own `iter_errors` finds every error of the whole value before yielding the first,
and copies the offending value into each error (a `propertyNames` error copies the whole object):
on 0.60.3, 1,000 bad extension keys took 2.4 s to list and 10,000 exhausted memory, and one
missing property of a 200,000-key object took 2 s. So a refusal is explained by a walk over the
schema that enters a property, array element, `$ref` or branch only where its compiled subschema
(`validator_map_for`) refuses the value there, judges the other keywords one at a time (a small
validator per keyword, `is_valid`), and stops after the errors wanted: a hostile body costs its
faults, not its size. The walk knows the keywords schema_check.KEYWORDS allows, no other.

A pattern jsonschema-rs's regex engine cannot finish (`BacktrackLimitExceeded`: its backtracking
stack gives out on an IRI of a few hundred thousand characters, its step count at
REGEX_BACKTRACK_LIMIT) is judged by Python's `re`, the engine statement.json's patterns are written
for (and the one fastjsonschema ran), so a long value is judged, not refused for its length.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, NamedTuple

import jsonschema_rs

__all__ = [
    "DRAFT_2020_12",
    "REGEX_BACKTRACK_LIMIT",
    "Explainer",
    "SchemaDocument",
    "SchemaError",
]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
# Backtracking steps of one pattern search in jsonschema-rs (fancy-regex) before `re` decides.
REGEX_BACKTRACK_LIMIT = 1_000_000
_REGEX = jsonschema_rs.FancyRegexOptions(backtrack_limit=REGEX_BACKTRACK_LIMIT)
_ENGINE_GAVE_UP = (
    jsonschema_rs.ValidationErrorKind.BacktrackLimitExceeded,
    jsonschema_rs.ValidationErrorKind.RegexEngineFailure,
)
# Keys that assert nothing: skipped by the walk (so are "then"/"else", read with their "if").
_SILENT = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description", "examples"})
_BOUNDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})
_SUBSCHEMA_KEYWORDS = frozenset({"properties", "items", "propertyNames", "allOf", "$ref"})


@dataclass(frozen=True)
class SchemaError:
    """One keyword that refuses the value at `path`."""

    path: tuple[str | int, ...]  # where in the value (object keys, array indexes)
    keyword: str  # the refusing keyword ("type", "required", ...; "false" for a false schema)
    expected: Any  # the keyword's value in the schema
    instance: Any  # the value judged: the property name itself when `in_key`
    node: dict[str, Any]  # the schema object of the keyword, with the annotations of its $refs
    missing: str | None = None  # `required`: the property that is missing
    in_key: bool = False  # the value judged is a property name (`propertyNames`)


def _step(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _refers(node: Any) -> bool:
    if isinstance(node, dict):
        return "$ref" in node or any(_refers(v) for v in node.values())
    return isinstance(node, list) and any(_refers(v) for v in node)


@cache
def _python_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class SchemaDocument:
    """One schema, every subschema compiled once by jsonschema-rs (by JSON pointer), and the
    small validators of single keywords, compiled when the walk first needs them."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.root = schema
        self._keywords: dict[tuple[str, ...], jsonschema_rs.Validator] = {}

    @cached_property
    def validators(self) -> jsonschema_rs.ValidatorMap:
        """Every subschema's validator, compiled when one is first asked for (the statement
        schema's take about 0.1 s: the first statement judged pays it, not every start)."""
        return jsonschema_rs.validator_map_for(self.root, pattern_options=_REGEX)

    def node(self, pointer: str) -> Any:
        """The subschema at a `#/...` JSON pointer."""
        node: Any = self.root
        for step in pointer.removeprefix("#").split("/")[1:]:
            step = step.replace("~1", "/").replace("~0", "~")
            node = node[int(step)] if isinstance(node, list) else node[step]
        return node

    def accepts(self, pointer: str, instance: Any) -> bool:
        return self.validators[pointer].is_valid(instance)

    def keyword(
        self, pointer: str, node: dict[str, Any], key: str, *detail: str
    ) -> jsonschema_rs.Validator:
        """A validator of one keyword of the node at `pointer` (`required` one name at a time)."""
        found = self._keywords.get((pointer, key, *detail))
        if found is None:
            schema: dict[str, Any] = {"$schema": DRAFT_2020_12, key: list(detail) or node[key]}
            if key == "additionalProperties":  # what is additional depends on its neighbour
                schema["properties"] = dict.fromkeys(node.get("properties", {}), True)
            if _refers(node[key]):
                schema["$defs"] = self.root.get("$defs", {})
            found = jsonschema_rs.Draft202012Validator(schema, pattern_options=_REGEX)
            self._keywords[(pointer, key, *detail)] = found
        return found


class _At(NamedTuple):
    """Where the walk stands: the value, its subschema (pointer and node), the value's path, the
    annotations its $refs pass on, and whether the value is a property name."""

    instance: Any
    pointer: str
    node: Any
    path: tuple[str | int, ...]
    inherited: dict[str, Any]
    in_key: bool


class Explainer:
    """The errors of a value refused by the subschema at `pointer`, lazily, in stock
    jsonschema's order (schema keywords in file order, array elements in order)."""

    def __init__(self, document: SchemaDocument, pointer: str = "#") -> None:
        self.document = document
        self.pointer = pointer

    def iter_errors(self, instance: Any) -> Iterator[SchemaError]:
        node = self.document.node(self.pointer)
        return self._node(_At(instance, self.pointer, node, (), {}, False))

    def _child(self, at: _At) -> Iterator[SchemaError]:
        if at.node is True or self.document.accepts(at.pointer, at.instance):
            return iter(())
        return self._node(at)

    def _node(self, at: _At) -> Iterator[SchemaError]:
        if not isinstance(at.node, dict):
            if at.node is False:
                yield SchemaError(at.path, "false", False, at.instance, {}, in_key=at.in_key)
            return
        for key, value in at.node.items():
            if key in _SILENT or key in ("then", "else") or key.startswith("x-"):
                continue
            if key in _SUBSCHEMA_KEYWORDS or key == "if":
                yield from self._descend(key, value, at)
            elif key == "additionalProperties" and isinstance(value, dict):
                if isinstance(at.instance, dict):
                    here, known = f"{at.pointer}/{key}", at.node.get("properties", {})
                    for name in (n for n in at.instance if n not in known):
                        extra = at.instance[name]
                        yield from self._child(_At(extra, here, value, (*at.path, name), {}, False))
            else:
                yield from self._assertion(key, at)

    def _descend(self, key: str, value: Any, at: _At) -> Iterator[SchemaError]:
        instance, node, path, in_key = at.instance, at.node, at.path, at.in_key
        here = f"{at.pointer}/{_step(key)}"
        if key == "$ref":
            # the $ref's neighbours annotate its target (x-xapi of the place wins), unless they
            # also assert: then they are a schema of their own beside the target, as in 2020-12
            rest = {k: v for k, v in node.items() if k != "$ref"}
            asserts = any(k not in _SILENT and not k.startswith("x-") for k in rest)
            passed = {} if asserts else {**rest, **at.inherited}
            target = self.document.node(value)
            yield from self._child(_At(instance, value, target, path, passed, in_key))
        elif key == "properties" and isinstance(instance, dict):
            for name, sub in value.items():
                if name in instance:
                    where = f"{here}/{_step(name)}"
                    yield from self._child(
                        _At(instance[name], where, sub, (*path, name), {}, False)
                    )
        elif key == "items" and isinstance(instance, list):
            for index, item in enumerate(instance):
                yield from self._child(_At(item, here, value, (*path, index), {}, False))
        elif key == "propertyNames" and isinstance(instance, dict):
            for name in instance:
                yield from self._child(_At(name, here, value, path, {}, True))
        elif key == "allOf":
            for index, sub in enumerate(value):
                yield from self._child(_At(instance, f"{here}/{index}", sub, path, {}, in_key))
        elif key == "if" and ("then" in node or "else" in node):
            branch = "then" if self.document.accepts(here, instance) else "else"
            if branch in node:
                where = f"{at.pointer}/{branch}"
                yield from self._child(_At(instance, where, node[branch], path, {}, in_key))

    def _assertion(self, key: str, at: _At) -> Iterator[SchemaError]:
        document, instance, node = self.document, at.instance, at.node
        if document.keyword(at.pointer, node, key).is_valid(_judged(key, instance)):
            return
        text = instance if key == "pattern" and isinstance(instance, str) else None
        validator = document.keyword(at.pointer, node, key)
        if text is not None and _matches_after_all(validator, node[key], text):
            return
        seen = {**node, **at.inherited}
        if key == "required":
            for name in node[key]:
                if not document.keyword(at.pointer, node, key, name).is_valid(instance):
                    yield SchemaError(at.path, key, node[key], instance, seen, name, at.in_key)
            return
        yield SchemaError(at.path, key, node[key], instance, seen, in_key=at.in_key)


def _judged(key: str, value: Any) -> Any:
    """A stand-in for NaN and the infinities, which are no JSON: jsonschema-rs reads them as null,
    stock jsonschema (the meaning kept) as numbers that are no integers, an infinity beyond every
    bound and NaN within every one."""
    if not isinstance(value, float) or math.isfinite(value):
        return value
    if key == "type":
        return 0.5
    if key in _BOUNDS and not math.isnan(value):
        return math.copysign(sys.float_info.max, value)
    return value


def _matches_after_all(validator: jsonschema_rs.Validator, pattern: str, text: str) -> bool:
    """Whether a string the `pattern` validator refused matches after all: only when its regex
    engine gave up, and then Python's `re` decides."""
    gave_up = any(isinstance(e.kind, _ENGINE_GAVE_UP) for e in validator.iter_errors(text))
    return gave_up and _python_pattern(pattern).search(text) is not None
