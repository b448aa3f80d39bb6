"""What the launch API checks in code is in the document too: a launch request the document
allows is taken (201), and one the server refuses for its `profile`, the parameter names of
`omit`/`order`, `registration` or `mastery_score` is refused by the document as well.

A fuzz campaign (`bench/fuzz.py`, positive data) found each of these: schema-valid launch
requests answered 400, the document looser than the server.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from fake_lms.openapi import document

AU = "https://weare.example.com/story/index.html"
UUID = "8f87ccde-bb56-4c2e-ab83-44982ef22df0"

# (what the rule says, a body the server refuses, its mended twin)
RULES = [
    ("profile is one of the launch profiles", {"profile": "scorm"}, {"profile": "weare"}),
    ("omit names a parameter of cmi5", {"omit": ["sessionId"]}, {"omit": ["fetch"]}),
    (
        "order names parameters of the profile given",
        {"profile": "cmi5", "order": ["sessionId", "fetch"]},
        {"profile": "weare", "order": ["sessionId", "fetch"]},
    ),
    ("registration is a UUID (cmi5 9.6.1)", {"registration": "reg-1"}, {"registration": UUID}),
    ("mastery_score in 0..1 (cmi5 13.1.4)", {"mastery_score": 1.5}, {"mastery_score": 1}),
    ("... and not below 0", {"mastery_score": -0.01}, {"mastery_score": 0}),
]


def _launch_request() -> Draft202012Validator:
    doc = document()
    schema = doc["paths"]["/api/launches"]["post"]["requestBody"]["content"]["application/json"]
    return Draft202012Validator({**schema["schema"], "components": doc["components"]})


@pytest.mark.parametrize(("rule", "broken", "mended"), RULES, ids=[r[0] for r in RULES])
def test_a_launch_rule_checked_in_code_is_in_the_document_too(
    lms, rule: str, broken: dict[str, Any], mended: dict[str, Any]
) -> None:
    validator = _launch_request()
    refused = lms.admin("POST", "launches", json={"au_url": AU, **broken})
    assert refused.status_code == 400, (rule, refused.status_code, refused.text[:300])
    assert not validator.is_valid({"au_url": AU, **broken}), f"the document allows {broken}"
    taken = lms.admin("POST", "launches", json={"au_url": AU, **mended})
    assert taken.status_code == 201, (rule, taken.status_code, taken.text[:300])
    assert validator.is_valid({"au_url": AU, **mended}), f"the document refuses {mended}"


def test_the_profiles_the_document_names_are_the_servers(lms) -> None:
    """Each profile the document lists launches; the list is read from the profiles' file."""
    doc = document()
    names = doc["components"]["schemas"]["LaunchRequest"]["properties"]["profile"]["enum"]
    assert set(names) >= {"cmi5", "weare"}
    for name in names:
        r = lms.admin("POST", "launches", json={"au_url": AU, "profile": name})
        assert r.status_code == 201, (name, r.text[:300])
