"""The built-in suite judges stories it did not write by We Are's contract, not by the reference's
statement counts.

Two stories written for these tests from We Are's article and the cmi5 spec, not from the
reference story (`tests/stories/`, served by `tests/third_party_stories.py`): `documented` plays
We Are's documented flow with plain `fetch()`; `cmi5-session` plays a full cmi5 session on the npm
client `@xapi/cmi5`, with progressed, answered and passed besides completed. Both send only a
second after their Finish button is pressed (a closing animation). The whole built-in suite runs
against both at once in one Chromium, from a story profile each (`run --story`), as a QA team
runs it against We Are's own story. Every failure must be a real break of the contract, listed
here with its sentence; everything else passes, or is skipped saying why. Broken variants of the
same stories (`?bug=...` on the story's own URL) prove the contract checks catch them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.bench import Bench
from harness.runner import Runner, ScenarioResult, run_in_one_browser
from harness.scenarios import discover, select
from harness.story_integration import StoryIntegration, stable_secret
from harness.story_profile import load_profile
from tests.loopback import free_port
from tests.third_party_stories import CMI5_UMD, serve_story

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CMI5_UMD.is_file(), reason="npm's @xapi/cmi5 is not installed"),
]

STORIES = {"documented": "weare-documented", "cmi5-session": "cmi5-full"}
# Real breaks of the contract by these stories, scenario id -> the sentence that says so. None:
# both stories are correct.
BREAKS: dict[str, dict[str, str]] = {"documented": {}, "cmi5-session": {}}
WORKERS = 12  # the stories mostly wait (their closing animation, the LRS): more than the cores


def profile(tmp_path: Path, name: str, url: str, integration: dict | None = None) -> Path:
    path = tmp_path / f"{name}.yaml"
    data = {
        "au_url": url,
        "finish": {"selector": "#finish"},
        "outcome": {"selector": "#status", "completed": "^Completed", "failed": "^Failed"},
    }
    if integration:
        data["integration"] = integration
    path.write_text(yaml.safe_dump(data))
    return path


def run_stories(
    tmp_path: Path, names: list[str], bug: str | None = None, keyword: str | None = None
) -> dict[str, tuple[Runner, list[ScenarioResult]]]:
    """The suite (or the scenarios `keyword` selects) against each story, in one Chromium."""
    scenarios = select(discover([]), keyword)
    runners = {}
    with serve_story(names[0]) as first, serve_story(names[-1]) as last, Bench() as bench:
        urls = {names[0]: first, names[-1]: last}
        for index, name in enumerate(names):
            url = urls[name] + (f"?bug={bug}" if bug else "")
            target = load_profile(profile(tmp_path, name, url))
            runners[name] = Runner(
                scenarios, target=target, driver="browser", first_index=index * 1000
            )
        results = run_in_one_browser(list(runners.values()), bench, WORKERS)
    return {name: (runners[name], got) for name, got in zip(names, results, strict=True)}


@pytest.fixture(scope="module")
def whole_suite(tmp_path_factory) -> dict[str, tuple[Runner, list[ScenarioResult]]]:
    return run_stories(tmp_path_factory.mktemp("stories"), list(STORIES))


@pytest.mark.parametrize("name", list(STORIES))
def test_the_behaviour_is_told_from_what_the_story_sent(whole_suite, name):
    runner, results = whole_suite[name]
    assert runner.story_behaviour == STORIES[name], runner.behaviour_error
    played = {r.behaviour for r in results if r.status == "passed" and r.behaviour}
    assert STORIES[name] in played


@pytest.mark.parametrize("name", list(STORIES))
def test_every_failure_is_a_real_contract_break(whole_suite, name):
    _, results = whole_suite[name]
    errors = {r.scenario.id: r.message for r in results if r.status == "error"}
    assert not errors, errors
    failed = {r.scenario.id: failure_text(r) for r in results if r.status == "failed"}
    assert set(failed) == set(BREAKS[name]), json.dumps(failed, indent=1)[:6000]
    for scenario, sentence in BREAKS[name].items():
        assert sentence in failed[scenario]


@pytest.mark.parametrize("name", list(STORIES))
def test_what_is_skipped_says_why_and_the_rest_is_judged(whole_suite, name):
    _, results = whole_suite[name]
    skipped = [r for r in results if r.status == "skipped"]
    assert all(r.message for r in skipped)
    other = next(b for b in STORIES.values() if b != STORIES[name])
    about_other = [
        r
        for r in skipped
        if r.scenario.story.get("behaviour") == other and "reference-trait" not in r.scenario.tags
    ]
    assert about_other and all(
        f"this story plays {STORIES[name]}" in r.message for r in about_other
    )
    passed = {r.scenario.id for r in results if r.status == "passed"}
    # Precedence and content are judged against any story: nothing of them skipped for want of
    # the reference's own statements.
    assert {"precedence-endpoint-url-fetch-key", "content-actor-is-launch-actor"} <= passed
    assert "lrs-slow-story-still-completes" in passed  # the wait follows the injected delay
    assert "reload-never-duplicates-the-completion" in passed
    # The point of these is a clear failure: judged through the story's visible outcome.
    assert {"lrs-refuses-401-story-fails-clearly", "launch-amp-entities-fail-clearly"} <= passed
    assert any(s.startswith(f"mode-{STORIES[name]}") for s in passed), sorted(passed)


def failure_text(result: ScenarioResult) -> str:
    return " | ".join([result.message, *(c.message for c in result.checks if not c.passed)])


def test_broken_variants_of_the_same_stories_are_caught(tmp_path):
    """A second Completed for the registration, and a statement after terminated."""
    twice = run_stories(tmp_path, ["documented"], "twice", "content-one-completion-per-finish")
    [result] = twice["documented"][1]
    assert result.status == "failed"
    assert "more than one Completed for registration" in failure_text(result)
    assert "cmi5 9.3.0.0-6" in failure_text(result)
    late = run_stories(
        tmp_path, ["cmi5-session"], "after-terminated", "mode-cmi5-full-observe-no-violation"
    )
    [result] = late["cmi5-session"][1]
    assert result.status == "failed"
    text = failure_text(result)
    assert "statement(s) after terminated" in text and "9.3.8.0-2" in text, text


# -- the story's own integration settings: the precedence matrix against a real story ---------


@pytest.fixture
def settings(tmp_path, monkeypatch) -> tuple[dict, dict]:
    """The story's settings in We Are, as `run --story` keeps them (a state folder of the test's
    own): (the profile's integration, the settings.json a configured story reads)."""
    monkeypatch.setenv("WEARE_HARNESS_STATE_DIR", str(tmp_path / "state"))
    port = free_port()
    given = StoryIntegration(True, True, port, stable_secret())
    return (
        {"api_url": True, "api_key": True, "port": port},
        {"api_url": given.api_url, "api_key": given.api_key},
    )


def run_configured(
    tmp_path: Path, name: str, integration: dict, served: dict | None, keyword: str
) -> list[ScenarioResult]:
    scenarios = select(discover([]), keyword)
    with serve_story(name, served) as url, Bench(port=integration["port"]) as bench:
        target = load_profile(profile(tmp_path, name, url, integration))
        runner = Runner(scenarios, target=target, driver="browser")
        [results] = run_in_one_browser([runner], bench, WORKERS)
    return results


@pytest.mark.parametrize(
    "name", ["documented", pytest.param("cmi5-session", marks=pytest.mark.full)]
)
def test_a_configured_story_serves_every_case_of_the_matrix_it_is_configured_for(
    tmp_path, settings, name
):
    """Each story with its API URL and key set in We Are (settings.json, the variant with the
    configured-API fallback): every case whose launch leaves endpoint or fetch out now runs
    against its configured settings. `make test` plays the documented story (plain fetch());
    `make test-full` the cmi5 one too (tests/full_proofs.py)."""
    integration, served = settings
    results = run_configured(tmp_path, name, integration, served, "precedence or api-url")
    by_id = {r.scenario.id: r for r in results}
    failed = {i: failure_text(r) for i, r in by_id.items() if r.status in ("failed", "error")}
    assert not failed, json.dumps(failed, indent=1)[:4000]
    for case in (
        "precedence-endpoint-url-no-fetch-key",  # the configured API key, at the launch endpoint
        "precedence-no-endpoint-url-no-fetch-key",  # the configured API URL and key
        "precedence-no-endpoint-url-fetch-key",  # the fetched token, at the configured API URL
        "launch-api-url-trailing-slash",
    ):
        assert by_id[case].status == "passed", (case, by_id[case].message)
    # Cases that need a setting this story has not got are skipped, naming it.
    unset = by_id["precedence-no-endpoint-no-url-no-fetch-key"]
    assert unset.status == "skipped" and "integration.api_url: true" in unset.message


def test_a_story_that_does_not_fall_back_fails_with_the_contract_sentence(tmp_path, settings):
    """A profile that says the settings are set, and the variant of the story without them (no
    settings.json: it reads only its launch): the case fails, saying the story did not fall
    back."""
    integration, _ = settings
    results = run_configured(
        tmp_path,
        "cmi5-session",
        integration,
        None,
        "precedence-no-endpoint-url-no-fetch-key or precedence-endpoint-url-fetch-key",
    )
    by_id = {r.scenario.id: r for r in results}
    case = by_id["precedence-no-endpoint-url-no-fetch-key"]
    assert case.status == "failed"
    assert (
        "no `endpoint` in the launch and the story sent nothing: it did not fall back to its "
        "configured API URL" in failure_text(case)
    )
    assert by_id["precedence-endpoint-url-fetch-key"].status == "passed"
