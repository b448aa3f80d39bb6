"""The contract's checks in detail: cmi5 order, what a failure message says, story profiles and
run's exit codes. (Both ways against real runs: tests/test_verdict_oracle_scenarios.py.)"""

from __future__ import annotations

import subprocess
import sys

import pytest

from fake_lms.findings import difference
from harness.checks import session_problem, silence
from harness.cli.run import exit_code
from harness.evidence import CMI5_FULL, DOCUMENTED, NOTHING, OTHER, Evidence, behaviour_of
from harness.runner import ScenarioResult
from harness.scenarios import Scenario
from harness.story_integration import FILE, IntegrationError, StoryIntegration, stable_secret
from harness.story_profile import ProfileError, load_profile

V = "http://adlnet.gov/expapi/verbs/"
ANSWERED, PROGRESSED = V + "answered", V + "progressed"
INIT, DONE, PASSED, FAILED, END = (V + v for v in ("initialized", "completed", "passed", "failed", "terminated"))  # fmt: skip


def test_anything_cmi5_allows_may_come_between_initialized_and_terminated():
    assert session_problem([INIT, PROGRESSED, ANSWERED, PASSED, DONE, END]) is None
    assert session_problem([INIT, END]) is None  # Browse and Review


@pytest.mark.parametrize(
    ("verbs", "words"),
    [
        ([DONE], "not initialized (cmi5 9.3.2.0-2"),
        ([INIT, DONE], "no terminated statement ends the session (cmi5 9.3.8.0-1)"),
        ([INIT, DONE, END, PROGRESSED], "1 statement(s) after terminated, first"),
        ([INIT, DONE, DONE, END], "sent 2 times in one session (cmi5 9.3.0.0-2)"),
        ([INIT, PASSED, FAILED, END], "both passed and failed in one session (cmi5 9.3.0.0-3)"),
    ],
)
def test_a_broken_session_is_named_with_its_rule(verbs, words):
    assert words in (session_problem(verbs) or "")


def test_the_behaviour_is_told_from_the_statements():
    statement = lambda verb: {"verb": {"id": verb}}  # noqa: E731
    assert behaviour_of([statement(DONE)]) == DOCUMENTED
    assert behaviour_of([statement(v) for v in (INIT, ANSWERED, DONE, END)]) == CMI5_FULL
    assert behaviour_of([statement(ANSWERED)]) == OTHER
    assert behaviour_of([]) == NOTHING


def test_a_failure_says_where_expected_and_got_differ():
    said = difference({"launch": 1, "configured": 0}, {"launch": 6, "configured": 0})
    assert said == "launch: 6 for 1"
    assert difference({"launch": {"at_least": 1}}, {"launch": 3}) == ""  # satisfied
    assert difference([1, 2, 3], [1, 5, 3]) == "item 1: 5 for 2"
    assert difference([1, 2], [1, 2, 3]) == "3 items for 2"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("endpoint=e&fetch=f", "the story sent no statement (expected them at 'launch')"),
        ("fetch=f", "no `endpoint` in the launch and the story sent nothing: it did not fall back "
         "to its configured API URL"),
        ("endpoint=e", "no `fetch` in the launch and the story sent nothing: it did not fall back "
         "to its configured API key"),
        ("actor=a", "to its configured API URL (nor, without `fetch`, to its API key)"),
    ],
)  # fmt: skip
def test_silence_names_the_setting_the_story_did_not_fall_back_on(query, words):
    launch = {"launch_url": f"https://story.example/?{query}&amp;activityId=x"}
    evidence = Evidence(launch=launch, outcome={}, mount_names={}, key_users={})
    assert words in silence(evidence, "at 'launch'")


def _result(status: str) -> ScenarioResult:
    scenario = Scenario("s", "t", {"text": "x", "source": "y"}, {"completed": True})
    return ScenarioResult(scenario, status)


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        (["passed", "skipped"], 0),
        (["passed", "failed"], 1),
        (["passed", "error"], 1),  # one scenario's error is that scenario's failure
        (["error", "error", "skipped"], 2),  # nothing could be run
    ],
)
def test_run_exits_1_for_a_failed_or_errored_scenario_and_2_only_when_nothing_ran(statuses, code):
    assert exit_code([_result(s) for s in statuses]) == code


def test_a_profile_becomes_the_target(tmp_path):
    script = tmp_path / "finish.py"
    script.write_text("async def finish(page):\n    await page.click('#end')\n")
    path = tmp_path / "story.yaml"
    path.write_text(
        "au_url: https://stories.example.com/s/1\nfinish: {script: finish.py}\n"
        "outcome: {selector: '#status'}\nbehaviour: cmi5-full\ndone_selector: '#sent'\n"
    )
    target = load_profile(path)
    assert (target.kind, target.url, target.behaviour) == (
        "url",
        "https://stories.example.com/s/1",
        "cmi5-full",
    )
    assert target.finish_script is not None and target.done_selector == "#sent"
    assert target.outcome is not None and target.outcome.failed == "fail|error"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("finish: {selector: '#f'}\n", "at $: 'au_url' is a required property"),
        ("au_url: ftp://x\n", "at $.au_url: 'ftp://x' does not match"),
        ("au_url: http://x/\nbehaviour: scorm\n", "at $.behaviour: 'scorm' is not one of"),
        ("au_url: http://x/\noutcome: {selector: s, failed: '('}\n", "not a regular expression"),
        ("au_url: http://x/\nfinish: {script: nope.py}\n", "at $.finish.script"),
        ("au_url: http://x/\ncolour: red\n", "'colour' was unexpected"),
        ("au_url: [http://x/\n", "YAML syntax error"),
        ("- au_url\n", "expected a mapping with au_url"),
    ],
)
def test_a_bad_profile_says_what_and_where(tmp_path, text, words):
    path = tmp_path / "story.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError) as raised:
        load_profile(path)
    assert words in str(raised.value) and str(path) in str(raised.value)


def test_run_with_a_bad_profile_exits_2_with_one_line(tmp_path):
    path = tmp_path / "story.yaml"
    path.write_text("finish: {selector: '#f'}\n")
    r = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--story", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "au_url" in r.stderr and str(path) in r.stderr


def test_the_story_key_is_made_once_kept_private_and_given_back(tmp_path):
    folder = tmp_path / "state"
    first = stable_secret(folder)
    assert stable_secret(folder) == first  # the same API key in We Are, run after run
    assert (folder.stat().st_mode & 0o777, (folder / FILE).stat().st_mode & 0o777) == (
        0o700,
        0o600,
    )
    given = StoryIntegration(True, False, 8471, first)
    said = given.what_to_paste()
    assert "API URL: http://127.0.0.1:8471/xapi/we-are/" in said and "API key: (not set)" in said
    (folder / FILE).write_text("{not json")
    with pytest.raises(IntegrationError, match=str(folder / FILE)):
        stable_secret(folder)
