"""Scenario files: YAML or JSON data, validated against `harness/schemas/scenario.schema.json`.

The built-in suite is package data (`harness/suite/`), found through `importlib.resources`, so
`run` finds it wherever the package is installed and from any working directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePath
from typing import Any

import yaml
from jsonschema import Draft202012Validator

BUILTIN: Traversable = resources.files("harness").joinpath("suite")
SUFFIXES = (".yaml", ".yml", ".json")


class ScenarioError(ValueError):
    """A scenario file that cannot be used: the message names the file, the path and the rule."""


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(
        resources.files("harness").joinpath("schemas/scenario.schema.json").read_text()
    )
    return Draft202012Validator(schema)


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    rule: dict[str, str]
    expect: dict[str, Any]
    story: dict[str, Any] = field(default_factory=dict)
    integration: dict[str, Any] = field(default_factory=dict)
    launch: dict[str, Any] = field(default_factory=dict)
    lms: dict[str, Any] = field(default_factory=dict)
    actions: tuple[str, ...] = ("finish",)
    tags: tuple[str, ...] = ()
    file: str = ""

    @property
    def behaviour(self) -> str:
        return self.story.get("behaviour", "weare-documented")

    @property
    def transport(self) -> str:
        return self.story.get("transport", "any")

    def keywords(self) -> str:
        """What `-k` matches against: id, title, tags, rule source and file name."""
        return " ".join(
            [self.id, self.title, *self.tags, self.rule["source"], Path(self.file).stem]
        )


def _load_data(path: Traversable) -> Any:
    suffix = PurePath(path.name).suffix
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        if suffix == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: not valid {suffix[1:].upper()}: {exc}") from exc


def load_file(path: Traversable) -> list[Scenario]:
    """The scenarios of one file (a path, or package data such as the built-in suite's)."""
    data = _load_data(path)
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top)"
        raise ScenarioError(f"{path}: at {where}: {first.message}")
    out = []
    for item in data["scenarios"]:
        actions = tuple(item.get("actions", ["finish"]))
        out.append(
            Scenario(
                **{k: v for k, v in item.items() if k not in ("actions", "tags")},
                actions=actions,
                tags=tuple(item.get("tags", [])),
                file=str(path),
            )
        )
    return out


def _scenario_files(folder: Traversable) -> list[Traversable]:
    """The scenario files under `folder`, sub-folders included, in path order.

    Walked with the `Traversable` protocol, so a user's folder (a `Path`) and the built-in suite
    (package data, wherever and however the package is installed) are read the same way.
    """
    found: list[tuple[tuple[str, ...], Traversable]] = []
    stack: list[tuple[tuple[str, ...], Traversable]] = [((), folder)]
    while stack:
        parts, current = stack.pop()
        for entry in current.iterdir():
            here = (*parts, entry.name)
            if entry.is_dir():
                stack.append((here, entry))
            elif PurePath(entry.name).suffix in SUFFIXES:
                found.append((here, entry))
    return [entry for _, entry in sorted(found, key=lambda item: item[0])]


def discover(paths: list[str] | None = None) -> list[Scenario]:
    """Scenarios of the given files and folders (default: the built-in suite), ids unique."""
    roots: list[Traversable] = [Path(p) for p in paths] if paths else [BUILTIN]
    files: list[Traversable] = []
    for root in roots:
        if root.is_dir():
            files += _scenario_files(root)
        elif root.is_file():
            files.append(root)
        else:
            raise ScenarioError(f"{root}: no such scenario file or folder")
    scenarios: list[Scenario] = []
    seen: dict[str, str] = {}
    for path in files:
        for scenario in load_file(path):
            if scenario.id in seen:
                raise ScenarioError(
                    f"{path}: scenario id {scenario.id!r} is already used in {seen[scenario.id]}"
                )
            seen[scenario.id] = str(path)
            scenarios.append(scenario)
    if not scenarios:
        raise ScenarioError(f"no scenario found in {', '.join(str(r) for r in roots)}")
    return scenarios


def select(scenarios: list[Scenario], expression: str | None) -> list[Scenario]:
    """pytest-like -k: words, 'not', 'and', 'or' over each scenario's keywords (substring match)."""
    if not expression:
        return scenarios
    tokens = expression.replace("(", " ( ").replace(")", " ) ").split()
    out = []
    for scenario in scenarios:
        words = scenario.keywords().lower()
        parts = []
        for token in tokens:
            low = token.lower()
            if low in ("and", "or", "not", "(", ")"):
                parts.append(low)
            else:
                parts.append(repr(low in words))
        try:
            if eval(" ".join(parts), {"__builtins__": {}}):
                out.append(scenario)
        except SyntaxError as exc:
            raise ScenarioError(f"-k expression {expression!r} is not valid") from exc
    return out
