"""The OpenAPI 3.1 description of the fake LMS, from `data/openapi.json`, checked on load.

The data file holds everything but the Statement schema: its `components.schemas.Statement` is a
placeholder naming `schemas/statement.json`, the very schema the LRS validates with, which is
embedded here (its `#/$defs/<name>` references rewritten to
`#/components/schemas/Statement/$defs/<name>`), so the description cannot drift from it.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from importlib import resources
from typing import Any

__all__ = [
    "LISTS_MEMBERS",
    "OpenAPIDataError",
    "allows",
    "body_field_types",
    "code_rules",
    "document",
    "json_type",
    "one_identifier",
    "resolve_ref",
    "schema_types",
]

INCLUDE = "x-weare-include"
CODE_RULES = "data/statement_code_rules.json"
PROFILES_FROM = "x-weare-profiles"  # the launch profiles' file: names and parameters listed from it
ENUM_FROM = "x-weare-enum"  # a schema whose enum is the keys of a packaged data file's "quirks"
STATEMENT_REFS = "#/components/schemas/Statement/$defs/"
AGENT_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


class OpenAPIDataError(ValueError):
    """The packaged description is not what the server can publish."""


def _read(relative: str) -> Any:
    return json.loads(resources.files("fake_lms").joinpath(relative).read_text("utf-8"))


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite_refs(v) for k, v in node.items()}
        target = out.get("$ref")
        if isinstance(target, str) and target.startswith("#/$defs/"):
            out["$ref"] = STATEMENT_REFS + target.removeprefix("#/$defs/")
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def embedded_schema(relative: str) -> dict[str, Any]:
    """A packaged JSON Schema as an OpenAPI component: no `$id` or `$schema`, refs made local."""
    schema = _read(relative)
    if not isinstance(schema, dict) or "$defs" not in schema:
        raise OpenAPIDataError(f"{relative}: expected a JSON Schema object with $defs")
    schema = {k: v for k, v in schema.items() if k not in ("$id", "$schema")}
    rewritten: dict[str, Any] = _rewrite_refs(schema)
    return rewritten


def _check(doc: Any) -> None:
    """Enough structure for the server to publish it; full validation is in tests/test_openapi.py."""
    if not isinstance(doc, dict) or not re.fullmatch(r"3\.1\.\d+", str(doc.get("openapi"))):
        raise OpenAPIDataError("data/openapi.json: 'openapi' must be 3.1.x")
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not paths:
        raise OpenAPIDataError("data/openapi.json: 'paths' must be a non-empty object")
    for path, item in paths.items():
        if not path.startswith("/") or not isinstance(item, dict):
            raise OpenAPIDataError(f"data/openapi.json: path {path!r} is malformed")
        for method, operation in item.items():
            if method in _HTTP_METHODS and not (
                isinstance(operation, dict) and operation.get("responses")
            ):
                raise OpenAPIDataError(f"data/openapi.json: {method} {path} has no responses")
    schemas = doc.get("components", {}).get("schemas", {})
    if INCLUDE not in schemas.get("Statement", {}):
        raise OpenAPIDataError(f"data/openapi.json: components.schemas.Statement needs {INCLUDE}")


@functools.cache
def _document() -> dict[str, Any]:
    doc: dict[str, Any] = _read("data/openapi.json")
    _check(doc)
    schemas = doc["components"]["schemas"]
    schemas["Statement"] = embedded_schema(schemas["Statement"][INCLUDE])
    # The LRS checks in code that an Agent, and a Group's member, has exactly one identifier
    # (xAPI-D §2.4.2.1 XAPI-00034), and that a Group has at most one and, without one, lists its
    # members (§2.4.2.2 XAPI-00036, XAPI-00037); the description says it too. Each alternative
    # names the one identifier it has and forbids the others, so generators need not filter.
    defs = schemas["Statement"]["$defs"]
    for name in ("agent", "member"):
        defs[name]["oneOf"] = one_identifier()
    for name in ("group", "team"):
        defs[name]["oneOf"] = [*one_identifier(), LISTS_MEMBERS]
    # The other rules the LRS checks in code that JSON Schema can say too (data file, each
    # naming its rule): the description says them, so that what it allows the LRS takes.
    for name, extra in code_rules().items():
        node = schemas["Statement"] if name == "#" else defs[name]
        node["allOf"] = [*node.get("allOf", []), *extra]
    # Quirk names are those of data/quirks.json, listed from it.
    schemas["QuirkName"]["enum"] = sorted(_read(schemas["QuirkName"].pop(ENUM_FROM))["quirks"])
    _launch_profiles(schemas["LaunchRequest"])
    return doc


def _launch_profiles(launch: dict[str, Any]) -> None:
    """A launch's `profile` is one of the launch profiles' file, and its `omit` and `order` name
    parameters of that profile (cmi5 when none is given), as `Variant.check` refuses otherwise."""
    profile = launch["properties"]["profile"]
    profiles = _read(profile.pop(PROFILES_FROM))
    profile["enum"] = sorted(profiles)
    launch["allOf"] = [
        *launch.get("allOf", []),
        *(
            {
                "if": _named(name),
                "then": {
                    "properties": {
                        key: {"items": {"enum": spec["parameters"]}} for key in ("omit", "order")
                    }
                },
            }
            for name, spec in sorted(profiles.items())
        ),
    ]


def _named(profile: str) -> dict[str, Any]:
    """The launch requests of `profile` (cmi5 also when `profile` is absent)."""
    named = {"required": ["profile"], "properties": {"profile": {"const": profile}}}
    return {"anyOf": [named, {"not": {"required": ["profile"]}}]} if profile == "cmi5" else named


LISTS_MEMBERS = {
    "required": ["member"],
    "properties": {"member": {"minItems": 1}, **dict.fromkeys(AGENT_IFIS, False)},
}


def code_rules() -> dict[str, list[dict[str, Any]]]:
    """`data/statement_code_rules.json`: per Statement node ('#' the statement, else a $defs
    name), the schemas its `allOf` gains in the description."""
    rules: dict[str, list[dict[str, Any]]] = _rewrite_refs(_read(CODE_RULES)["allOf"])
    return rules


def one_identifier() -> list[dict[str, Any]]:
    """One alternative per identifier: it is required, the others are absent."""
    return [
        {"required": [ifi], "properties": {other: False for other in AGENT_IFIS if other != ifi}}
        for ifi in AGENT_IFIS
    ]


def document() -> dict[str, Any]:
    """The full description (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())


_FLASK_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_JSON_TYPE_OF_VALUE = {type(None): "null", bool: "boolean", str: "string", list: "array"}


def resolve_ref(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def schema_types(doc: dict[str, Any], schema: Any) -> frozenset[str] | None:
    """The JSON types a schema allows, from `type`, `const`, `enum` or its alternatives; None
    when the schema does not say (any type)."""
    schema = resolve_ref(doc, schema)
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if isinstance(kind, str):
        return frozenset({kind})
    if isinstance(kind, list):
        return frozenset(kind)
    values = [schema["const"]] if "const" in schema else schema.get("enum")
    if isinstance(values, list):
        return frozenset(json_type(v) for v in values)
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(alternatives, list):
        found = [schema_types(doc, a) for a in alternatives]
        return None if None in found else frozenset().union(*found)  # type: ignore[arg-type]
    return None


def json_type(value: Any) -> str:
    """The JSON Schema type name of a parsed JSON value ("integer" for whole numbers)."""
    if isinstance(value, bool | str | list) or value is None:
        return _JSON_TYPE_OF_VALUE[type(value)]
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "object"


@functools.cache
def body_field_types(method: str, flask_rule: str) -> dict[str, frozenset[str]]:
    """For an operation (its Flask rule, e.g. `/api/mounts/<name>`): each property of its JSON
    request body and the JSON types the description allows it; {} when it takes no JSON body."""
    doc = _document()
    out = {}
    for name, prop in _body_properties(method, flask_rule).items():
        types = schema_types(doc, prop)
        if types is not None:
            out[name] = types
    return out


@functools.cache
def body_field_enums(method: str, flask_rule: str) -> dict[str, tuple[Any, ...]]:
    """Each property of the operation's JSON body that the description limits to a list of
    values (`enum`), with those values."""
    doc = _document()
    out = {}
    for name, prop in _body_properties(method, flask_rule).items():
        values = (
            resolve_ref(doc, prop).get("enum") if isinstance(resolve_ref(doc, prop), dict) else None
        )
        if isinstance(values, list):
            out[name] = tuple(values)
    return out


def _body_properties(method: str, flask_rule: str) -> dict[str, Any]:
    doc = _document()
    path = _FLASK_PARAM.sub(r"{\1}", flask_rule)
    operation = doc["paths"].get(path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    schema = resolve_ref(doc, content.get("application/json", {}).get("schema"))
    if not isinstance(schema, dict):
        return {}
    properties = schema.get("properties", {})
    return properties if isinstance(properties, dict) else {}


def allows(types: frozenset[str], value: Any) -> bool:
    """Whether a value of `json_type(value)` fits `types` (an integer is also a number)."""
    kind = json_type(value)
    if kind in types or (kind == "integer" and "number" in types):
        return True
    return kind == "number" and "integer" in types and float(value).is_integer()
