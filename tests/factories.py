"""Test data the test modules build on: a statement of the shape We Are sends, and its actor."""

from __future__ import annotations

import uuid
from typing import Any

ACTOR = {
    "objectType": "Agent",
    "account": {"homePage": "https://lms.example.com", "name": "1625378"},
}
# The learner of the cmi5 rule and LMS-statement tests (a session's actor).
CMI5_LEARNER = {
    "objectType": "Agent",
    "account": {"homePage": "https://lms.example.com", "name": "u-1625378"},
}


def statement(**overrides: Any) -> dict[str, Any]:
    """A valid cmi5-shaped statement; keyword arguments replace top-level properties."""
    stmt: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": ACTOR,
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en-US": "completed"},
        },
        "object": {
            "id": "https://weare.example.com/stories/42",
            "objectType": "Activity",
            "definition": {"type": "http://adlnet.gov/expapi/activities/lesson"},
        },
        "timestamp": "2024-06-05T13:05:36.253062Z",
        "context": {
            "registration": "760e3480-ba55-4991-94b0-01820dbd23a2",
            "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "s-1"},
        },
    }
    stmt.update(overrides)
    return {k: v for k, v in stmt.items() if v is not None}
