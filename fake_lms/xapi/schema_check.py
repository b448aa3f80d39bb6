"""The statement schema, judged by a compiled validator and explained by stock jsonschema.

`fake_lms/schemas/statement.json` is compiled once, at import, by fastjsonschema into plain Python:
that is the verdict on every statement (the ingest path). Only when it refuses does stock
jsonschema (`Draft202012Validator.iter_errors`, public API) walk the value again to say where and
why; the walk is lazy and stops after `most` errors (itertools.islice), and it does not enter a
property or array element that the compiled test of its $def accepts (_skips_valid), so a hostile
body costs its faults, not its size. Pattern results are remembered per short string (_Memo).
Both read the same file; tests/test_validation.py pins that they agree on every statement of its
corpus (verdict and error paths), tests/test_schema_check.py the places where they could differ.

fastjsonschema implements drafts 04 to 07 (2019-09 formats), not 2020-12. The schema only uses
keywords whose meaning is the same in draft-07 and 2020-12 (KEYWORDS_BOTH_AGREE_ON); a schema with
any other keyword is refused at import, naming it. Two differences are bridged here:
- fastjsonschema turns every unescaped `$` of a pattern into `\\Z`, even inside `[...]` (where
  `\\Z` is an error); patterns are handed to it with `$` written so that both mean what Python's
  `re.search` means, which is what jsonschema runs (`_fastjsonschema_pattern`).
- in draft-07 a `$ref` hides its sibling keywords; in 2020-12 they apply too. A `$ref` with
  sibling assertions is handed to fastjsonschema as `allOf: [{$ref}, {siblings}]`.
(`const: x` is handed over as the equivalent `enum: [x]`: fastjsonschema's terse error mode, all
the verdict needs, fails to word a const.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from importlib import resources
from itertools import islice
from typing import Any

import fastjsonschema
from fastjsonschema.ref_resolver import RefResolver
from jsonschema import Draft202012Validator, ValidationError, validators

__all__ = [
    "ACTOR",
    "AGENT",
    "DEFS",
    "KEYWORDS_BOTH_AGREE_ON",
    "STATEMENT",
    "SchemaCheck",
]

# Keywords that fastjsonschema (draft-07 code) and jsonschema (2020-12) read the same way.
KEYWORDS_BOTH_AGREE_ON = frozenset(
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

RAW_SCHEMA: dict[str, Any] = json.loads(
    resources.files("fake_lms").joinpath("schemas", "statement.json").read_text("utf-8")
)
DEFS: dict[str, Any] = RAW_SCHEMA["$defs"]


def _is_annotation(key: str) -> bool:
    return key in _ANNOTATIONS or key.startswith("x-")


def _subschemas(node: dict) -> Iterator[tuple[str, Any]]:
    """(where, subschema) for every subschema directly inside a schema node."""
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            yield from ((f"{key}/{name}", sub) for name, sub in value.items())
        elif key in _SCHEMA_VALUES:
            yield key, value
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            yield from ((f"{key}/{i}", sub) for i, sub in enumerate(value))


def check_keywords(node: Any, where: str = "#") -> None:
    """Refuse a schema that uses a keyword the two validators could read differently."""
    if isinstance(node, bool):
        return
    if not isinstance(node, dict):
        raise ValueError(f"statement.json {where}: a schema must be an object or a boolean")
    for key, value in node.items():
        if key in KEYWORDS_BOTH_AGREE_ON | _STRUCTURE or _is_annotation(key):
            if key == "items" and not isinstance(value, (dict, bool)):
                raise ValueError(f"statement.json {where}/items: only a single schema is supported")
            continue
        raise ValueError(
            f"statement.json {where}: keyword {key!r} is not checked the same way by fastjsonschema "
            f"(draft-07) and jsonschema (2020-12); supported: {sorted(KEYWORDS_BOTH_AGREE_ON)}"
        )
    for step, sub in _subschemas(node):
        check_keywords(sub, f"{where}/{step}")


def _fastjsonschema_pattern(pattern: str) -> str:
    """The pattern with each `$` written so fastjsonschema leaves it meaning what `re` means:
    inside `[...]` a literal `\\$`, outside the end anchor of Python's `$` (end, or before a
    final newline). Everything else is copied as it is."""
    out: list[str] = []
    opened, i = -1, 0  # where the current set's `[` is; -1 outside a set
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if opened >= 0:
            # a `]` first in the set (after `[` or `[^`) is a literal, any other closes it
            first = i == opened + 1 or (i == opened + 2 and pattern[opened + 1] == "^")
            if char == "]" and not first:
                opened = -1
            out.append("\\$" if char == "$" else char)
        elif char == "[":
            opened = i
            out.append(char)
        else:
            out.append("(?=\\n?\\Z)" if char == "$" else char)
        i += 1
    return "".join(out)


def _no_remote_refs(uri: str) -> Any:
    raise ValueError(f"statement.json refers to {uri}: only local references are allowed")


def _refers(node: Any) -> bool:
    if isinstance(node, dict):
        return "$ref" in node or any(_refers(v) for v in node.values())
    return isinstance(node, list) and any(_refers(v) for v in node)


# $defs copied in place for fastjsonschema, which would otherwise call a function, and build the
# path of its error message, for each use: those that refer to nothing (iri, uuid, timestamp, ...),
# and the Activity and its definition, three of them in a typical statement (~20% of the time).
# Every other $def stays a function of its own, which the explanation walk uses (_def_functions).
_COPIED = frozenset(name for name, node in DEFS.items() if not _refers(node))
_COPIED |= {"activity", "definition"} & DEFS.keys()


def _for_fastjsonschema(node: Any) -> Any:
    """A copy of the schema as fastjsonschema must see it to judge as jsonschema does: patterns
    rewritten (_fastjsonschema_pattern), `const: x` as the same `enum: [x]` (its terse error
    mode cannot word a const), some $refs copied in place (_COPIED), sibling assertions of a
    $ref kept."""
    if isinstance(node, list):
        return [_for_fastjsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    target = node.get("$ref", "").rsplit("/", 1)[-1]
    if target in _COPIED:
        rest = {k: v for k, v in node.items() if k != "$ref"}
        node = {**DEFS[target], **rest} if not _asserts(rest) else {"allOf": [DEFS[target], rest]}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str):
            out[key] = _fastjsonschema_pattern(value)
        elif key == "const":
            out["enum"] = [value]
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _for_fastjsonschema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_VALUES or key in _SCHEMA_LISTS:
            out[key] = _for_fastjsonschema(value)
        else:
            out[key] = value
    if "$ref" in out and _asserts(out):
        siblings = {k: v for k, v in out.items() if k in KEYWORDS_BOTH_AGREE_ON}
        rest = {k: v for k, v in out.items() if k not in siblings and k != "$ref"}
        return {**rest, "allOf": [{"$ref": out["$ref"]}, siblings]}
    return out


def _asserts(node: dict) -> bool:
    return any(k in KEYWORDS_BOTH_AGREE_ON for k in node)


# Inlined copy of a $def (by id; the copy is kept, so its id is never reused) -> the copy and the
# compiled test of that $def: the explanation walk skips what the test accepts (_skips_valid).
_ACCEPTS: dict[int, tuple[dict, Callable[[Any], bool]]] = {}


def _inline(node: Any, accepts: dict[str, Callable[[Any], bool]]) -> Any:
    """Each local $ref replaced by a copy of its target, sibling annotations (x-xapi) winning:
    errors then carry the annotations of the place they occur, and no reference is resolved
    during the walk. Sibling assertions are kept beside the target (allOf), as 2020-12 reads
    them. Each copy of a $def with a compiled test is registered in _ACCEPTS."""
    if isinstance(node, list):
        return [_inline(item, accepts) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        target = _inline(DEFS[name], accepts)
        rest = {k: _inline(v, accepts) for k, v in node.items() if k != "$ref"}
        if _asserts(rest):
            return {**{k: v for k, v in rest.items() if _is_annotation(k)}, "allOf": [target, rest]}
        out = {**target, **rest}
        if name in accepts:
            _ACCEPTS[id(out)] = (out, accepts[name])
        return out
    return {k: _inline(v, accepts) for k, v in node.items() if k != "$defs"}


_MEMO_LENGTH = 512  # ids, IRIs and tags longer than this are rare and not worth keeping
_MEMO_SIZE = 4096


class _Memo(dict):
    """A pattern's yes/no per string. Ids, IRIs and language tags repeat from statement to
    statement and the IRI pattern costs microseconds a search; bounded in count and length,
    so a flood of distinct or long strings cannot grow it. A hit is one dict lookup."""

    __slots__ = ("regex",)

    def __init__(self, regex: Any) -> None:
        super().__init__()
        self.regex = regex

    def __missing__(self, text: str) -> bool:
        found = self.regex.search(text) is not None
        if len(text) <= _MEMO_LENGTH:
            if len(self) >= _MEMO_SIZE:
                self.clear()
            self[text] = found
        return found


class _MemoPattern:
    """Stands in for a compiled pattern where the generated code calls `.search(text)`."""

    __slots__ = ("search",)

    def __init__(self, regex: Any) -> None:
        self.search = _Memo(regex).__getitem__


def _passes(validate: Callable[[Any], Any]) -> Callable[[Any], bool]:
    def accepts(instance: Any) -> bool:
        try:
            validate(instance)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return accepts


def _compile(schema: dict) -> tuple[Callable[[Any], bool], dict[str, Callable[[Any], bool]]]:
    """fastjsonschema's test of the schema, and the tests of the $defs it compiled as functions
    of their own (by $def name); patterns remembered per string (_Memo)."""
    fast_schema = _for_fastjsonschema(schema)
    validate = fastjsonschema.compile(
        fast_schema,
        handlers={"http": _no_remote_refs, "https": _no_remote_refs, "file": _no_remote_refs},
        use_default=False,  # never write defaults into the client's statement
        use_formats=False,  # `format` is an annotation in 2020-12 (and unused here)
        detailed_exceptions=False,  # the verdict is all it gives; jsonschema explains
    )
    namespace = getattr(validate, "__globals__", {})
    patterns = namespace.get("REGEX_PATTERNS")
    if isinstance(patterns, dict):  # the generated module's table; without it, no memo
        for key, regex in list(patterns.items()):
            patterns[key] = _MemoPattern(regex)
    return _passes(validate), _def_functions(fast_schema, namespace)


def _def_functions(schema: dict, namespace: dict) -> dict[str, Callable[[Any], bool]]:
    """The compiled test of each $def that fastjsonschema made a function of, found under the
    name its resolver gives it; a $def not found is simply not skipped by the explanation."""
    found: dict[str, Callable[[Any], bool]] = {}
    try:
        resolver = RefResolver.from_schema(schema, store={})
        for name in DEFS:
            with resolver.in_scope(f"#/$defs/{name}"):
                function = namespace.get(resolver.get_scope_name())
            if callable(function):
                found[name] = _passes(function)
    except Exception:  # pragma: no cover - a fastjsonschema that names functions otherwise
        return {}
    return found


def _skips_valid(keyword: str) -> Callable[..., Iterator[ValidationError]]:
    """jsonschema's own `properties`/`items`, except that a child the compiled test of its $def
    accepts is not walked: stock jsonschema builds a validator per subschema, ~50 µs for an
    Agent, and a 60 KB body of valid members around one fault would cost it 50 ms."""
    stock = Draft202012Validator.VALIDATORS[keyword]

    def walk(validator: Any, value: Any, instance: Any, schema: dict) -> Iterator[ValidationError]:
        if keyword == "properties" and validator.is_type(instance, "object"):
            for name, sub in value.items():
                if name in instance and not _known_valid(sub, instance[name]):
                    yield from validator.descend(instance[name], sub, path=name, schema_path=name)
        elif (
            keyword == "items"
            and validator.is_type(instance, "array")
            and isinstance(value, dict)
            and "prefixItems" not in schema
        ):
            for index, item in enumerate(instance):
                if not _known_valid(value, item):
                    yield from validator.descend(item, value, path=index)
        else:
            yield from stock(validator, value, instance, schema) or ()

    return walk


def _known_valid(schema: Any, instance: Any) -> bool:
    known = _ACCEPTS.get(id(schema))
    return known is not None and known[0] is schema and known[1](instance)


_Explainer = validators.extend(
    Draft202012Validator,
    validators={"properties": _skips_valid("properties"), "items": _skips_valid("items")},
)


class SchemaCheck:
    """One schema (the statement, or one of its $defs with the $defs it refers to): a fast
    verdict, and stock jsonschema errors when the verdict is no."""

    def __init__(self, name: str, schema: dict) -> None:
        self.name = name
        self.accepts, def_tests = _compile(schema)
        self.explainer = _Explainer(_inline(schema, def_tests))

    def errors(self, instance: Any, most: int | None = None) -> list[ValidationError]:
        """No errors when the instance is valid; otherwise stock jsonschema's, in its order, at
        most `most` of them (None: all). Each error is complete: path, keyword, schema node."""
        if self.accepts(instance):
            return []
        return list(islice(self.explainer.iter_errors(instance), most))


def _def_schema(name: str) -> dict:
    """One $def as a schema of its own, with the $defs it may refer to."""
    keep = ("$schema", "$id")
    return {**{k: RAW_SCHEMA[k] for k in keep if k in RAW_SCHEMA}, **DEFS[name], "$defs": DEFS}


check_keywords(RAW_SCHEMA)
STATEMENT = SchemaCheck("statement", RAW_SCHEMA)
AGENT = SchemaCheck("agent", _def_schema("agent"))
ACTOR = SchemaCheck("actor", _def_schema("actor"))
