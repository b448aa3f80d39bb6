"""Each `weare-harness` command: the module that builds its parser and runs it, and the one-line
help `--help` lists it with. Plain strings, so that `--help` and `--version` name every command
without importing any (the modules load the LMS, the certify checks, Playwright...)."""

from __future__ import annotations

from typing import NamedTuple


class Command(NamedTuple):
    module: str  # its `add_parser` (or `add_parsers`) adds it to the top-level parser
    summary: str  # its line in the top-level --help


# In the order the top-level --help lists them.
COMMANDS: dict[str, Command] = {
    "run": Command("harness.cli.run", "run scenarios against the We Are launch flow"),
    "serve": Command("harness.cli.serve", "run the fake LMS (cmi5 LMS + xAPI LRS) as a server"),
    "launch": Command("harness.cli.launch", "ask a running fake LMS for a launch URL"),
    "load": Command("harness.cli.load", "many We Are learners at once against an LMS (Locust)"),
    "au": Command("harness.cli.au", "register an AU (a story URL) with a running fake LMS"),
    "course": Command("harness.cli.au", "import a cmi5 course package into a fake LMS"),
    "certify": Command(
        "harness.cli.certify", "play We Are against a real LMS/LRS and report what works"
    ),
    "quirks": Command("harness.cli.quirks", "list the quirks `serve --quirk` accepts"),
    "doctor": Command(
        "harness.cli.doctor",
        "check this machine for what the commands need, with the fix for each gap",
    ),
    "scenarios": Command(
        "harness.cli.scenarios", "check scenario files, or write a new one from a template"
    ),
    "mutants": Command(
        "harness.cli.mutants", "list the mutants `run --au mutant:NAME` and `run --mutation` play"
    ),
    "report": Command("harness.cli.report", "open the last run's report.html in a browser"),
}


def summary(name: str) -> str:
    """The one line the top-level --help shows for command `name`."""
    return COMMANDS[name].summary
