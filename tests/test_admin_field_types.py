"""Every field of every admin request body, sent as each JSON type: never a 5xx, and a type the
API description does not allow is a 400 naming the field.

The operations and their fields come from the description itself (fake_lms/data/openapi.json):
every `/api/` operation with a JSON request body, every property of that body's schema.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from fake_lms.live import FakeLMS
from fake_lms.openapi import allows, document, resolve_ref, schema_types

COURSE = Path(__file__).parent / "data" / "courses" / "minimal.xml"
VALUES: dict[str, Any] = {
    "null": None,
    "bool": True,
    "int": 1,
    "float": 0.5,
    "string": "text",
    "list": ["text"],
    "object": {"key": "text"},
}


def _body_fields() -> list[tuple[str, str, str, frozenset[str] | None]]:
    """(method, path, field, the JSON types the description allows or None for any)."""
    doc = document()
    out = []
    for path, item in doc["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            content = (
                operation.get("requestBody", {}).get("content", {})
                if isinstance(operation, dict)
                else {}
            )
            if "application/json" not in content:
                continue
            schema = resolve_ref(doc, content["application/json"].get("schema"))
            for field, prop in schema.get("properties", {}).items():
                out.append((method.upper(), path, field, schema_types(doc, prop)))
    return out


FIELDS = _body_fields()


def test_the_description_gives_admin_bodies_with_fields():
    operations = {(m, p) for m, p, _, _ in FIELDS}
    assert ("POST", "/api/launches") in operations and ("POST", "/api/mounts") in operations
    assert len(operations) >= 5 and len(FIELDS) >= 30


@pytest.fixture(scope="module")
def lms(module_lms: FakeLMS) -> FakeLMS:
    return module_lms


@pytest.fixture(scope="module")
def path_values(lms) -> dict[str, str]:
    """Path parameters naming things that exist, so each request reaches its body check."""
    course = lms.admin(
        "POST",
        "courses",
        data=COURSE.read_bytes(),
        headers={"Content-Type": "application/xml"},
    )
    assert course.status_code == 201, course.text
    launch = lms.admin("POST", f"courses/{course.json()['id']}/aus/0/launches", json={})
    assert launch.status_code == 201, launch.text
    return {
        "name": "default",
        "course_id": course.json()["id"],
        "number": "0",
        "registration": launch.json()["registration"],
    }


@pytest.mark.parametrize("kind", sorted(VALUES))
@pytest.mark.parametrize(
    ("method", "path", "field", "types"),
    FIELDS,
    ids=[f"{m} {p} {f}" for m, p, f, _ in FIELDS],
)
def test_each_json_type_of_each_admin_field(lms, path_values, method, path, field, types, kind):
    value = VALUES[kind]
    url = re.sub(r"\{(\w+)\}", lambda m: path_values[m.group(1)], path).removeprefix("/api/")
    answer = lms.admin(method, url, json={field: value})
    assert answer.status_code < 500, answer.text
    if types is not None and not allows(types, value):
        assert answer.status_code == 400, answer.text
        violation = answer.json()["violations"][0]
        assert violation["path"] == f"body.{field}", answer.text
        assert field in answer.json()["error"]


def test_a_list_as_au_url_is_a_400_naming_the_field(lms):
    """It was a 500 (an SQLite ProgrammingError): the list reached the AU lookup."""
    for value in (["https://au.example.com/a"], {"url": "https://au.example.com/a"}):
        answer = lms.admin("POST", "launches", json={"au_url": value})
        assert answer.status_code == 400, answer.text
        assert answer.json()["violations"][0]["path"] == "body.au_url"
