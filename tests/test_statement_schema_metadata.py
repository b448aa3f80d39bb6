"""What statement.json promises the validator's words (fake_lms/xapi/validation.py `_explain`):
each schema node that can refuse a statement says which section of the xAPI spec it applies
(`x-xapi`), names what it describes (`title`), lists the keys it knows, and types itself with one
of the six JSON type names. The validator's fallbacks for a node without them are then never
read; mutation/equivalents.toml lists the mutants of those fallbacks as equivalent on the
strength of this test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fake_lms.xapi.validation import _TYPE_WORDS

SCHEMA = Path(__file__).resolve().parent.parent / "fake_lms" / "schemas" / "statement.json"
REFUSING = (
    "type",
    "required",
    "additionalProperties",
    "pattern",
    "const",
    "enum",
    "minProperties",
    "minItems",
    "minLength",
    "minimum",
    "maximum",
)


def nodes(node: Any, path: str = "#", in_if: bool = False) -> Iterator[tuple[str, dict, bool]]:
    """Every schema node, its JSON pointer, and whether it sits inside an `if` (judged whole)."""
    if isinstance(node, dict):
        if any(k in node for k in REFUSING):
            yield path, node, in_if
        for key, value in node.items():
            if key in ("properties", "$defs", "patternProperties", "dependentSchemas"):
                for name, sub in value.items():
                    yield from nodes(sub, f"{path}/{key}/{name}", in_if)
            elif key in ("items", "additionalProperties", "not", "then", "else", "contains"):
                yield from nodes(value, f"{path}/{key}", in_if)
            elif key == "if":
                yield from nodes(value, f"{path}/if", True)
            elif key in ("allOf", "anyOf", "oneOf", "prefixItems"):
                for i, sub in enumerate(value):
                    yield from nodes(sub, f"{path}/{key}/{i}", in_if)


def schema_nodes() -> list[tuple[str, dict, bool]]:
    found = list(nodes(json.loads(SCHEMA.read_text(encoding="utf-8"))))
    assert len(found) > 50, "the walk found too few nodes to prove anything"
    return found


def test_every_node_that_can_refuse_names_its_section():
    missing = [path for path, node, in_if in schema_nodes() if not in_if and "x-xapi" not in node]
    assert not missing, f"nodes without x-xapi (the xAPI section a refusal names): {missing}"


def test_every_type_is_one_json_type_name():
    wrong = {
        path: node["type"]
        for path, node, _ in schema_nodes()
        if "type" in node and not (isinstance(node["type"], str) and node["type"] in _TYPE_WORDS)
    }
    assert not wrong, f"types the validator has no words for (expected one of {list(_TYPE_WORDS)})"


def test_every_closed_object_has_a_title_and_its_keys():
    wrong = [
        path
        for path, node, _ in schema_nodes()
        if node.get("additionalProperties") is False
        and not ("title" in node and "properties" in node)
    ]
    assert not wrong, f"additionalProperties: false without title and properties: {wrong}"


def test_every_required_key_is_described_by_a_titled_node():
    wrong = {
        path: [n for n in node["required"] if n not in node.get("properties", {})]
        for path, node, in_if in schema_nodes()
        if "required" in node and not in_if
    }
    untitled = [
        p
        for p, node, in_if in schema_nodes()
        if "required" in node and not in_if and "title" not in node
    ]
    assert not untitled, f"required without a title: {untitled}"
    assert not {p: names for p, names in wrong.items() if names}, "required names not in properties"
