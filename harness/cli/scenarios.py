"""`weare-harness scenarios`: check scenario files (`validate`) and start a new one (`new`)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from harness.cli.commands import summary
from harness.errors import UsageError
from harness.scenarios import ScenarioError, load_file, scenario_files, scenario_schema, unique

# The template `scenarios new ID` writes (ID replaces __ID__). The documentation's scenario-keys
# page shows it as the complete example, and tests/test_scenarios_cmd.py checks that it validates
# and that every key is documented.
TEMPLATE = """\
# A weare-harness scenario file. Check it with `weare-harness scenarios validate FILE`,
# run it with `weare-harness run FILE`. Every key is explained in the documentation
# (Reference: "Scenario keys"). A file holds one scenario mapping like the one below (without the
# `scenarios:` list) or, as here, a `scenarios:` list of them.
description: What this file checks, in a sentence or two.
scenarios:
- id: __ID__                   # unique across all files: a-z, 0-9 and '-'
  title: the Completed statement arrives at the launch's endpoint with the fetched token
  rule:                        # the rule checked, and where it is written
    text: The endpoint query parameter has precedence over the API URL.
    source: 'seed: The endpoint query parameter has precedence.'
  tags: [example]              # words `run -k` selects on
  story:                       # how the reference story behaves
    behaviour: weare-documented
    transport: any
  integration:                 # the story's own configuration (API URL and key)
    api_url: configured
    api_key: configured
  launch:                      # the launch URL the fake LMS builds
    profile: weare
    launch_mode: Normal
  lms:                         # the fake LMS: its mode and the broken behaviours it puts on
    mode: observe              # observe: journal cmi5 violations; enforce: refuse them (403)
    quirks: []
  actions: [finish]            # what the learner does, in order
  expect:                      # what must arrive (at least one key)
    outcome: completed
    statements: {launch: 1, configured: 0, other: 0}
    credentials: fetch-token
    fetch_calls: 1
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "scenarios",
        help=summary("scenarios"),
        description="Check scenario files (`validate`) or write a commented template (`new`).",
    )
    inner = p.add_subparsers(dest="scenarios_command", metavar="ACTION", required=True)
    v = inner.add_parser(
        "validate",
        help="check scenario files and folders against the schema",
        description="Check scenario files and folders (YAML or JSON) against the schema. "
        "Exit 0: all valid; 1: some invalid (each problem on a line: FILE:LINE:COLUMN for a "
        "syntax error, FILE: scenario ID: at JSON-PATH for a schema error); 2: a path is missing.",
        epilog="example: weare-harness scenarios validate my-scenarios/ extra.yaml",
    )
    v.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    v.set_defaults(run=validate)
    n = inner.add_parser(
        "new",
        help="write a commented scenario template ID.yaml",
        description="Write ID.yaml, a commented scenario that validates, into --dir. "
        "Never overwrites (exit 2 if the file exists).",
        epilog="example: weare-harness scenarios new my-first-check --dir my-scenarios",
    )
    n.add_argument("id", metavar="ID", help="the scenario id: a-z, 0-9 and '-', 2 to 81 chars")
    n.add_argument(
        "--dir", type=Path, default=Path("."), help="where to write (default: the current folder)"
    )
    n.set_defaults(run=new)


def validate(args: argparse.Namespace) -> int:
    """Check every file; print each problem on a line; 0 all valid, 1 some invalid."""
    try:
        files = scenario_files(args.paths)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from exc
    if not files:
        raise UsageError(f"no scenario file (.yaml, .yml, .json) in {', '.join(args.paths)}")
    scenarios = []
    invalid = 0
    for path in files:
        try:
            found = load_file(path)
        except ScenarioError as exc:
            invalid += 1
            for problem in exc.problems:
                print(problem)
            continue
        scenarios += found
        print(f"{path}: ok ({_count(len(found), 'scenario')})")
    try:
        unique(scenarios)
    except ScenarioError as exc:
        invalid += 1
        print(exc)
    total = _count(len(files), "file")
    print(f"{total}, {invalid} invalid" if invalid else f"{total}, all valid")
    return 1 if invalid else 0


def new(args: argparse.Namespace) -> int:
    """Write `ID.yaml` from the template into `--dir`, never over an existing file."""
    pattern = scenario_schema()["$defs"]["scenario"]["properties"]["id"]["pattern"]
    if not re.fullmatch(pattern, args.id):
        raise UsageError(
            f"{args.id!r} is not a scenario id: expected a-z, 0-9 and '-', 2 to 81 characters, "
            f"not starting with '-' (pattern {pattern})"
        )
    if not args.dir.is_dir():
        raise UsageError(f"--dir {args.dir}: no such folder")
    target = args.dir / f"{args.id}.yaml"
    try:
        with target.open("x", encoding="utf-8") as out:
            out.write(template(args.id))
    except FileExistsError as exc:
        raise UsageError(f"{target} already exists; not overwritten") from exc
    except OSError as exc:
        raise UsageError(f"{target}: cannot write: {exc.strerror}") from exc
    print(f"wrote {target}; check it with: weare-harness scenarios validate {target}")
    return 0


def template(scenario_id: str) -> str:
    """The commented template for one scenario id."""
    return TEMPLATE.replace("__ID__", scenario_id)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
