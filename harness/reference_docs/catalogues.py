"""The quirk and mutant catalogues as pages, from the data files the code reads."""

from __future__ import annotations

from fake_lms.quirks import catalogue
from harness.reference_docs.markdown import header, table
from harness.story.behaviour import mutants


def quirks_page() -> str:
    intro = (
        "Broken-LMS behaviours the fake LMS puts on when asked: server-wide with "
        "`serve --quirk NAME` (repeatable), per mount through the admin API (`quirks` of "
        "`POST /api/mounts` or `PATCH /api/mounts/NAME`), per scenario with `lms.quirks`. "
        "`weare-harness quirks --json` prints the same list."
    )
    rows = [
        (f"`{name}`", spec["description"], spec["source"]) for name, spec in catalogue().items()
    ]
    lines = header("Quirks", "`fake_lms/data/quirks.json`", intro)
    return "\n".join([*lines, *table(("Quirk", "What the LMS does", "Rule it breaks"), rows), ""])


def mutants_page() -> str:
    intro = (
        "Deliberately faulty variants of the reference We Are story, each honoured alike by the "
        "page and the Python client. `run --au mutant:NAME` runs the suite against one, "
        "`run --mutation` against all of them (exit 0 only if every one is killed); the "
        "pytest plugin's `launch_story(..., mutant=NAME)` launches one."
    )
    rows = [
        (f"`{name}`", spec["description"], spec.get("deviates_from", ""))
        for name, spec in mutants().items()
    ]
    lines = header("Mutants", "`harness/data/mutants.json`", intro)
    return "\n".join([*lines, *table(("Mutant", "What it does wrong", "Rule it breaks"), rows), ""])
