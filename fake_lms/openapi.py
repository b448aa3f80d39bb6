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

__all__ = ["OpenAPIDataError", "document"]

INCLUDE = "x-weare-include"
STATEMENT_REFS = "#/components/schemas/Statement/$defs/"
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
    return _rewrite_refs(schema)


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
    doc = _read("data/openapi.json")
    _check(doc)
    schemas = doc["components"]["schemas"]
    schemas["Statement"] = embedded_schema(schemas["Statement"][INCLUDE])
    return doc


def document() -> dict[str, Any]:
    """The full description (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())
