"""What the reference story does, as data: the integration config, behaviour profile and flags."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from harness.errors import HarnessError
from harness.words import noun

BEHAVIOURS = ("weare-documented", "cmi5-full")
# The launch profile (fake_lms/data/launch_profiles.json) the LMS launches each behaviour with:
# named in its AU's title and told by `GET /api/story` (the dashboard's launch builder picks it).
LAUNCH_PROFILES = {"weare-documented": "weare", "cmi5-full": "cmi5"}
TRANSPORTS = ("browser", "server")
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
SESSION_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
# The article's example leaves the activity type out; a story is a lesson in ADL's vocabulary.
STORY_TYPE = "http://adlnet.gov/expapi/activities/lesson"

# The reference behaviour: every flag at the value the seed documents.
REFERENCE_FLAGS: dict[str, Any] = {
    "ignore_endpoint_param": False,
    "prefer_api_key": False,
    "fetch_calls": 1,
    "fetch_method": "POST",
    "drop_registration": False,
    "alter_actor": False,
    "drop_session_id": False,
    "timestamp_offset": "Z",
    "omit_version_header": False,
    "join_with_slash": False,
    "object_id_from_url": False,
    "verb_id": COMPLETED,
    "authorization_scheme": "Basic",
    "capitalise_context": False,
    "send_count": 1,
    "omit_statement_id": False,
    "fixed_registration": None,
}


class StoryConfigError(HarnessError, ValueError):
    """A story configuration or mutant that cannot be used; the message names the field."""


@cache
def mutants() -> dict[str, dict[str, Any]]:
    """The mutant catalogue (`harness/data/mutants.json`), each checked against the flag set."""
    raw = json.loads(resources.files("harness").joinpath("data/mutants.json").read_text())
    catalogue = raw.get("mutants")
    if not isinstance(catalogue, dict) or not catalogue:
        raise StoryConfigError("harness/data/mutants.json: 'mutants' must be a non-empty object")
    for name, spec in catalogue.items():
        for key in ("description", "deviates_from", "flags"):
            if key not in spec:
                raise StoryConfigError(f"mutant {name!r}: missing {key!r}")
        unknown = set(spec["flags"]) - set(REFERENCE_FLAGS)
        if unknown:
            raise StoryConfigError(
                f"mutant {name!r}: unknown {noun(len(unknown), 'flag')} {sorted(unknown)}"
            )
    return catalogue


@dataclass
class StoryConfig:
    """What a customer configured in We Are, plus how this story instance behaves."""

    api_url: str | None = None
    api_key: str | None = None
    behaviour: str = "weare-documented"
    transport: str = "browser"
    mutant: str | None = None
    flags: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.behaviour not in BEHAVIOURS:
            raise StoryConfigError(f"behaviour {self.behaviour!r} is not one of {BEHAVIOURS}")
        if self.transport not in TRANSPORTS:
            raise StoryConfigError(f"transport {self.transport!r} is not one of {TRANSPORTS}")
        if self.mutant is not None:
            if self.mutant not in mutants():
                raise StoryConfigError(
                    f"unknown mutant {self.mutant!r}; known: {', '.join(sorted(mutants()))}"
                )
            self.flags = {**mutants()[self.mutant]["flags"], **self.flags}
        unknown = set(self.flags) - set(REFERENCE_FLAGS)
        if unknown:
            raise StoryConfigError(
                f"unknown behaviour {noun(len(unknown), 'flag')} {sorted(unknown)}"
            )

    def flag(self, name: str) -> Any:
        return self.flags.get(name, REFERENCE_FLAGS[name])

    def effective_flags(self) -> dict[str, Any]:
        return {**REFERENCE_FLAGS, **self.flags}

    def as_dict(self) -> dict[str, Any]:
        """What the page needs (the API key included: in We Are it lives with the integration)."""
        return {
            "api_url": self.api_url,
            "api_key": self.api_key,
            "behaviour": self.behaviour,
            "transport": self.transport,
            "mutant": self.mutant,
            "flags": self.effective_flags(),
        }
