"""The built-in scenario suite: green against the reference story, and it kills every mutant.

1. Every built-in scenario passes against the reference story with the http driver.
2. A representative subset (tag `browser-smoke`, plus one precedence case) passes with the
   browser driver, in Chromium.
3. Mutation score 100% (every mutant of `harness/data/mutants.json` fails at least one
   scenario) is tests/test_browser_mutation.py's: it finds each mutant's killers over http once
   and plays them again in Chromium.
"""

from __future__ import annotations

import re
import resource
from pathlib import Path

import pytest

from harness.browser import chromium_executable
from harness.runner import Runner, ScenarioResult, Target
from harness.scenarios import Scenario, discover, select

BROWSER_SUBSET = "browser-smoke or precedence-no-endpoint-url-no-fetch-key"
SOURCE = re.compile(r"seed|cmi5|xAPI|CAT|rules doc", re.IGNORECASE)


@pytest.fixture(scope="module", autouse=True)
def _enough_file_descriptors() -> None:
    """The fake LMS keeps one SQLite connection (2 fds) per request thread until it stops.

    A full suite run opens ~2000 of them; raise a low soft limit (1024 on many systems) so the
    run measures the story, not the limit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 16384 if hard == resource.RLIM_INFINITY else min(hard, 16384)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@pytest.fixture(scope="module")
def suite() -> list[Scenario]:
    return discover()


def _failures(results: list[ScenarioResult]) -> list[str]:
    return [
        f"{r.scenario.id}: {r.status} {r.message} {[c.message for c in r.checks if not c.passed]}"
        for r in results
        if r.status != "passed"
    ]


# --- the suite itself ----------------------------------------------------------------------------


def test_suite_is_well_formed(suite: list[Scenario]) -> None:
    ids = [s.id for s in suite]
    assert len(ids) == len(set(ids))
    for scenario in suite:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", scenario.id), scenario.id
        assert SOURCE.search(scenario.rule["source"]), (
            f"{scenario.id}: the rule source must name a seed sentence, a cmi5 requirement id "
            f"or an xAPI section, got {scenario.rule['source']!r}"
        )
        if "finding" in scenario.tags:
            assert scenario.title.startswith("finding:"), scenario.id
            assert scenario.id.startswith("finding-"), scenario.id


def test_suite_covers_every_topic(suite: list[Scenario]) -> None:
    files = {Path(s.file).stem for s in suite}
    assert {
        "precedence",
        "launch-variants",
        "statement-content",
        "fetch",
        "lrs-answers",
        "profiles-and-modes",
    } <= files
    assert {s.behaviour for s in suite} == {"weare-documented", "cmi5-full"}
    assert {s.lms.get("mode", "observe") for s in suite} == {"observe", "enforce"}
    assert {"server", "browser", "any"} <= {s.transport for s in suite}


# --- 1. reference story, http driver -------------------------------------------------------------


def test_reference_passes_every_scenario_http(suite: list[Scenario]) -> None:
    results = Runner(suite, driver="http", workers=4, target=Target.parse("reference")).run()
    assert len(results) == len(suite)
    assert not _failures(results), "\n".join(_failures(results))


# --- 2. reference story, browser driver ----------------------------------------------------------


def _chromium_available() -> bool:
    if chromium_executable() is not None:
        return True
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            return Path(playwright.chromium.executable_path).is_file()
    except Exception:
        return False


def test_reference_passes_browser_subset(suite: list[Scenario]) -> None:
    if not _chromium_available():
        pytest.skip(
            "no Chromium: neither Debian's (chromium-headless-shell, chromium) nor Playwright's own browser"
        )
    subset = select(suite, BROWSER_SUBSET)
    assert len(subset) >= 8
    assert {s.transport for s in subset} >= {"browser", "server"}
    assert {s.behaviour for s in subset} == {"weare-documented", "cmi5-full"}
    results = Runner(subset, driver="browser", workers=4, target=Target.parse("reference")).run()
    assert not _failures(results), "\n".join(_failures(results))


# --- 3. every mutant is killed: tests/test_browser_mutation.py (over http, then in Chromium) ----
