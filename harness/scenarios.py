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
from typing import Any, cast

import yaml
from jsonschema import Draft202012Validator

from harness.errors import HarnessError
from harness.keyword_expr import ExpressionError, compile_expression

BUILTIN: Traversable = resources.files("harness").joinpath("suite")
SUFFIXES = (".yaml", ".yml", ".json")


class ScenarioError(HarnessError, ValueError):
    """A scenario file that cannot be used: the message names the file, the path and the rule.

    `problems` holds every problem found (one line each); the message is the first of them, with a
    count of the others, so that `run` can say it on one line.
    """

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        more = len(self.problems) - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(self.problems[0] + tail)


@cache
def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, `harness/schemas/scenario.schema.json`."""
    text = resources.files("harness").joinpath("schemas/scenario.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(scenario_schema())


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
        return cast(str, self.story.get("behaviour", "weare-documented"))

    @property
    def transport(self) -> str:
        return cast(str, self.story.get("transport", "any"))

    def keywords(self) -> str:
        """What `-k` matches against: id, title, tags, rule source and file name."""
        return " ".join(
            [self.id, self.title, *self.tags, self.rule["source"], Path(self.file).stem]
        )


def load_data(path: Traversable) -> Any:
    """The file's data; a syntax error names `FILE:LINE:COLUMN` and the problem."""
    suffix = PurePath(path.name).suffix
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text ({exc.reason})"
        raise ScenarioError(f"{path}: cannot read: {reason}") from exc
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError(
                f"{path}:{exc.lineno}:{exc.colno}: JSON syntax error: {exc.msg}"
            ) from exc
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        context = exc.context
        if context and exc.context_mark and exc.problem_mark:
            context += f" started at {exc.context_mark.line + 1}:{exc.context_mark.column + 1}"
        problem = " ".join(p for p in (exc.problem, context and f"({context})") if p)
        raise ScenarioError(f"{where}: YAML syntax error: {problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: YAML error: {exc}") from exc


def json_path(parts: list[str | int]) -> str:
    """`$.scenarios[0].expect.outcome` for the parts `scenarios, 0, expect, outcome`."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.replace("_", "").isalnum():
            out += f".{part}"
        else:
            out += f"[{json.dumps(part)}]"
    return out


def _which(data: Any, parts: list[str | int]) -> str:
    """The scenario an error is in: `scenario 'ID'`, `scenario #N` (no id yet) or the file."""
    if len(parts) >= 2 and parts[0] == "scenarios" and isinstance(parts[1], int):
        item, index = data["scenarios"][parts[1]], parts[1]
    else:
        return "file"
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return f"scenario {item['id']!r}"
    return f"scenario #{index + 1}"


def schema_problems(data: Any, path: object, single: bool = False) -> list[str]:
    """Each schema error of a file's data: file, scenario id, JSON path, value and rule."""
    wrapped = {"scenarios": [data]} if single else data
    errors = sorted(
        _validator().iter_errors(wrapped),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    problems = []
    for error in errors:
        parts = list(error.absolute_path)
        own = parts[2:] if single else parts  # a single-scenario file has no `scenarios` list
        problems.append(
            f"{path}: {_which(wrapped, parts)}: at {json_path(own)}: "
            f"{error.message} (schema rule: {error.validator})"
        )
    return problems


def scenario_items(path: Traversable) -> list[dict[str, Any]]:
    """The scenario mappings of one file, schema-checked; ScenarioError lists every problem.

    A file is either `{description?, scenarios: [...]}` or one scenario mapping on its own.
    """
    data = load_data(path)
    if data is None:
        raise ScenarioError(f"{path}: the file is empty (expected a scenario or 'scenarios:')")
    single = (
        isinstance(data, dict)
        and "scenarios" not in data
        and ("id" in data or "description" not in data)
    )
    problems = schema_problems(data, path, single)
    if problems:
        raise ScenarioError(problems)
    return [data] if single else data["scenarios"]


def load_file(path: Traversable) -> list[Scenario]:
    """The scenarios of one file (a path, or package data such as the built-in suite's)."""
    out = []
    for item in scenario_items(path):
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


def _files_under(folder: Traversable) -> list[Traversable]:
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


def scenario_files(paths: list[str] | None = None) -> list[Traversable]:
    """The scenario files of the given files and folders (default: the built-in suite)."""
    roots: list[Traversable] = [Path(p) for p in paths] if paths else [BUILTIN]
    files: list[Traversable] = []
    for root in roots:
        if root.is_dir():
            files += _files_under(root)
        elif root.is_file():
            files.append(root)
        else:
            raise ScenarioError(f"{root}: no such scenario file or folder")
    return files


def shown_file(file: str) -> str:
    """A scenario file as reports name it: `harness/suite/NAME` for a file of the built-in suite
    (not its path into site-packages, which differs per machine), else `file` as given."""
    if not file:
        return file
    try:
        inside = Path(file).resolve().relative_to(Path(str(BUILTIN)).resolve())
    except ValueError:
        return file
    return f"harness/suite/{inside.as_posix()}"


def unique(scenarios: list[Scenario]) -> list[Scenario]:
    """The scenarios, each id used once; ScenarioError names the two files that share one."""
    seen: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.id in seen:
            raise ScenarioError(
                f"{scenario.file}: scenario id {scenario.id!r} is already used in {seen[scenario.id]}"
            )
        seen[scenario.id] = scenario.file
    return scenarios


def discover(paths: list[str] | None = None) -> list[Scenario]:
    """Scenarios of the given files and folders (default: the built-in suite), ids unique."""
    scenarios = unique([s for path in scenario_files(paths) for s in load_file(path)])
    if not scenarios:
        where = ", ".join(paths) if paths else str(BUILTIN)
        raise ScenarioError(f"no scenario found in {where}")
    return scenarios


def select(scenarios: list[Scenario], expression: str | None) -> list[Scenario]:
    """pytest-like -k: words, 'not', 'and', 'or' and parentheses over each scenario's keywords
    (substring match); a malformed expression is a ScenarioError saying what is wrong."""
    if not expression:
        return scenarios
    try:
        selects = compile_expression(expression)
    except ExpressionError as exc:
        raise ScenarioError(f"-k expression {expression!r} is not valid: {exc}") from exc
    return [scenario for scenario in scenarios if selects(scenario.keywords())]
