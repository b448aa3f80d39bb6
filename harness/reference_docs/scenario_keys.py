"""The scenario-file reference: the template and every key, from the scenario schema."""

from __future__ import annotations

from harness.reference_docs.markdown import header
from harness.scenario_docs import render


def page() -> str:
    intro = (
        "Scenario files are checked against `harness/schemas/scenario.schema.json`; each key "
        "below is rendered from its `description` there. How to write, validate and run them: "
        "[Scenario files](../how-to/scenario-files.md)."
    )
    return "\n".join([*header("Scenario keys", "the scenario schema", intro), render(), ""])
