"""The documentation site's reference pages, generated from the code so they cannot drift.

Each page is rendered from what the code itself reads: the command-line parsers, the scenario
schema, the OpenAPI document the server publishes, the quirk and mutant catalogues and certify's
check registry. `docs/hooks/reference.py` adds them to the MkDocs build; `python -m
harness.reference_docs PAGE` prints one.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.reference_docs import admin_api, catalogues, certify_checks, cli, scenario_keys

# Site path of each generated page: the function that renders it.
PAGES: dict[str, Callable[[], str]] = {
    "reference/cli.md": cli.page,
    "reference/scenario-keys.md": scenario_keys.page,
    "reference/admin-api.md": admin_api.page,
    "reference/quirks.md": catalogues.quirks_page,
    "reference/certify-checks.md": certify_checks.page,
    "reference/mutants.md": catalogues.mutants_page,
}


def pages() -> dict[str, str]:
    """Every generated page: site path → Markdown."""
    return {path: render() for path, render in PAGES.items()}
