"""The HTTP reference: every operation of the OpenAPI document `GET /api/openapi.json` serves."""

from __future__ import annotations

from typing import Any

from fake_lms.openapi import document, resolve_ref
from harness.reference_docs.markdown import header, prose, table

METHODS = ("get", "head", "put", "post", "patch", "delete", "options")

INTRO = (
    "Every route of the fake LMS, grouped as the OpenAPI document groups them: the admin and "
    "cmi5 admin API, each mount's xAPI resources, the fetch URL, pages and course content. "
    "The document itself is `GET /api/openapi.json` (no credentials), OpenAPI 3.1, with the "
    "body of every answer and refusal; `tests/test_openapi.py` compares it with the app's "
    "routes both ways. Admin routes need a server-wide API key (Basic), or the dashboard's "
    "session cookie on the dashboard's own same-origin requests."
)


def _credentials(doc: dict[str, Any], operation: dict[str, Any]) -> str:
    security = operation.get("security", doc.get("security", []))
    return "Basic" if security else "none"


def _body_fields(doc: dict[str, Any], operation: dict[str, Any]) -> str:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return ", ".join(f"`{kind}`" for kind in content)
    schema = resolve_ref(doc, content["application/json"].get("schema"))
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return ", ".join(f"`{name}`" for name in properties) or "JSON"


def _rows(doc: dict[str, Any], tag: str) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict) or tag not in operation.get("tags", ()):
                continue
            rows.append(
                (
                    f"`{method.upper()} {path}`",
                    operation.get("summary", ""),
                    _credentials(doc, operation),
                    _body_fields(doc, operation),
                    " ".join(operation.get("responses", {})),
                )
            )
    return rows


def page() -> str:
    doc = document()
    lines = header("HTTP API", "the OpenAPI document (`fake_lms/data/openapi.json`)", INTRO)
    for tag in doc.get("tags", []):
        lines += [f"## {tag['name']}", "", prose(tag.get("description", "")), ""]
        heads = ("Operation", "What", "Credentials", "Body", "Answers")
        lines += [*table(heads, _rows(doc, tag["name"])), ""]
    return "\n".join(lines)
