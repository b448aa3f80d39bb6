"""Story profiles: how to run a story weare-harness did not write (`run --story FILE`).

A profile is YAML or JSON data, validated against `harness/schemas/story-profile.schema.json`;
every problem names the file, the JSON path, the value and the rule.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path

from jsonschema import Draft202012Validator

from harness.errors import HarnessError
from harness.runner import StoryOutcome, Target
from harness.scenarios import ScenarioError, json_path, load_data
from harness.story_integration import (
    DEFAULT_PORT,
    IntegrationError,
    StoryIntegration,
    stable_secret,
)

DEFAULT_COMPLETED = "complete"
DEFAULT_FAILED = "fail|error"


class ProfileError(HarnessError, ValueError):
    """A story profile that cannot be used; the message says where and why."""


@cache
def _validator() -> Draft202012Validator:
    text = resources.files("harness").joinpath("schemas/story-profile.schema.json").read_text()
    return Draft202012Validator(json.loads(text))


def load_profile(path: Path) -> Target:
    """The target a profile describes; ProfileError names every problem found."""
    try:
        data = load_data(path)
    except ScenarioError as exc:
        raise ProfileError(f"--story {exc}") from exc
    if not isinstance(data, dict):
        raise ProfileError(f"--story {path}: expected a mapping with au_url, got {data!r:.80}")
    problems = [
        f"--story {path}: at {json_path(list(e.absolute_path))}: {e.message} (schema rule: "
        f"{e.validator})"
        for e in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path)))
    ]
    if problems:
        raise ProfileError("; ".join(problems))
    outcome = None
    if "outcome" in data:
        shown = data["outcome"]
        outcome = StoryOutcome(
            shown["selector"],
            shown.get("completed", DEFAULT_COMPLETED),
            shown.get("failed", DEFAULT_FAILED),
        )
        for key in ("completed", "failed"):
            try:
                re.compile(getattr(outcome, key))
            except re.error as exc:
                raise ProfileError(
                    f"--story {path}: at $.outcome.{key}: not a regular expression: {exc}"
                ) from exc
    integration = None
    settings = data.get("integration", {})
    if settings.get("api_url") or settings.get("api_key"):
        try:
            secret = stable_secret()
        except IntegrationError as exc:
            raise ProfileError(f"--story {path}: at $.integration: {exc}") from exc
        integration = StoryIntegration(
            api_url_set=bool(settings.get("api_url")),
            api_key_set=bool(settings.get("api_key")),
            port=int(settings.get("port", DEFAULT_PORT)),
            secret=secret,
        )
    finish = data.get("finish", {})
    target = Target(
        "url",
        url=data["au_url"],
        finish_selector=finish.get("selector"),
        behaviour=data.get("behaviour"),
        done_selector=data.get("done_selector"),
        outcome=outcome,
        integration=integration,
    )
    if "script" in finish:
        from harness.cli.run import load_finish_script

        script = (path.parent / finish["script"]).resolve()
        try:
            target.finish_script = load_finish_script(script)
        except ValueError as exc:
            raise ProfileError(f"--story {path}: at $.finish.script: {exc}") from exc
    return target
