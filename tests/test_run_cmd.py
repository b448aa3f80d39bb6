"""`weare-harness run` as QA runs it: exit codes, reports, -k, mutation, an external story URL."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

from harness.story.behaviour import StoryConfig
from harness.story.server import StoryServer
from harness.urls import error_text, unreachable
from tests.loopback import answering, dead_port

pytestmark = pytest.mark.slow


def run(*args: str, timeout: float = 300, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "run", "--no-color", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def test_passing_selection_exits_0_and_writes_three_reports(tmp_path):
    r = run("-k", "precedence and fetch and not no-fetch", "--report-dir", str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASSED" in r.stdout
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["totals"]["passed"] == data["totals"]["scenarios"] > 0
    assert data["meta"]["chromium"] is None and data["meta"]["driver"] == "http"  # no browser
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert "failures" in (suite.attrib if suite.tag == "testsuite" else suite[0].attrib)
    assert "precedence-endpoint-url-fetch-key" in (tmp_path / "report.html").read_text()


def test_builtin_suite_runs_from_any_directory(tmp_path):
    """No PATHS: the built-in suite is package data, found wherever the command is started."""
    r = run("-k", "precedence-endpoint-url-fetch-key", "--report-dir", "rep", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert [s["id"] for s in data["scenarios"]] == ["precedence-endpoint-url-fetch-key"]
    assert data["scenarios"][0]["file"].endswith("harness/suite/precedence.yaml")


def test_own_scenario_folder_by_path(tmp_path):
    """A user's folder is read recursively (.yaml, .yml, .json; other files ignored), in path order."""
    from harness.scenarios import BUILTIN

    suite = yaml.safe_load(BUILTIN.joinpath("precedence.yaml").read_text(encoding="utf-8"))
    first, second, third = suite["scenarios"][:3]
    own = tmp_path / "own"
    (own / "2-more").mkdir(parents=True)
    (own / "3-last.yaml").write_text(yaml.safe_dump({"scenarios": [third]}))
    (own / "1-first.yml").write_text(yaml.safe_dump({"scenarios": [first]}))
    (own / "2-more" / "second.json").write_text(json.dumps({"scenarios": [second]}))
    (own / "notes.txt").write_text("not a scenario file")
    r = run("own", "--report-dir", "rep", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads((tmp_path / "rep" / "results.json").read_text())
    ran = [(s["id"], s["file"]) for s in data["scenarios"]]
    assert ran == [
        (first["id"], "own/1-first.yml"),
        (second["id"], "own/2-more/second.json"),
        (third["id"], "own/3-last.yaml"),
    ]


def test_a_mutant_makes_the_run_exit_1(tmp_path):
    r = run("-k", "precedence", "--au", "mutant:ignores-endpoint", "--report-dir", str(tmp_path))
    assert r.returncode == 1
    assert "FAIL" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no/such/file.yaml"], "no such scenario file"),
        (["-k", "nothing-matches-this"], "selects no scenario"),
        (["--au", "mutant:nope"], "unknown mutant"),
        (["--au", "ftp://x"], "--au must be"),
        (["--au", "http://127.0.0.1:9/story"], "--driver browser"),
        (["--workers", "0"], "--workers"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_invalid_scenario_file_names_file_and_path(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scenarios:\n- id: Bad Id\n  title: t\n  rule: {text: x, source: y}\n  expect: {}\n"
    )
    r = run(str(bad))
    assert r.returncode == 2
    assert "bad.yaml" in r.stderr and "$.scenarios[0]." in r.stderr


def test_mutation_subset_writes_mutation_json(tmp_path):
    r = run(
        "--mutation", "-k", "content-actor or content-session", "--report-dir", str(tmp_path),
        timeout=600,
    )  # fmt: skip
    report = json.loads((tmp_path / "mutation.json").read_text())
    assert report["mutants"] == 17
    assert report["killed"] + len(report["survivors"]) == 17
    assert r.returncode == (0 if not report["survivors"] else 1)


def test_external_story_url_driven_with_a_selector(tmp_path):
    with StoryServer() as story:
        url = story.story_url(StoryConfig())  # no API URL or key: launch parameters only
        r = run(
            "--au",
            url,
            "--driver",
            "browser",
            "--finish-selector",
            "#finish",
            "-k",
            "precedence-endpoint-url-fetch-key or precedence-no-endpoint-url-fetch-key",
            "--report-dir",
            str(tmp_path),
        )
    data = json.loads((tmp_path / "results.json").read_text())
    statuses = {s["id"]: s["status"] for s in data["scenarios"]}
    assert statuses["precedence-endpoint-url-fetch-key"] == "passed", r.stdout
    assert statuses["precedence-no-endpoint-url-fetch-key"] == "skipped"
    assert r.returncode == 0
    # The version of the Chromium that ran the story, as the browser gave it.
    assert re.fullmatch(r"\d+(\.\d+){3}", data["meta"]["chromium"]), data["meta"]


def test_external_story_url_driven_with_a_script(tmp_path):
    script = tmp_path / "finish.py"
    script.write_text(
        "async def finish(page):\n    await page.click('#finish')\n"
        "    await page.wait_for_function('window.weareFinished === true')\n"
    )
    with StoryServer() as story:
        url = story.story_url(StoryConfig())
        r = run(
            "--au",
            url,
            "--driver",
            "browser",
            "--finish-script",
            str(script),
            "-k",
            "precedence-endpoint-url-fetch-key",
        )
    assert r.returncode == 0, r.stdout + r.stderr


def test_finish_script_without_finish_is_a_usage_error(tmp_path):
    script = tmp_path / "finish.py"
    script.write_text("x = 1\n")
    r = run("--au", "http://127.0.0.1:9/s", "--driver", "browser", "--finish-script", str(script))
    assert r.returncode == 2
    assert "async def finish(page)" in r.stderr


def test_a_story_that_cannot_be_loaded_is_a_usage_error_with_one_line():
    """No answer, or 404 for the story's page: nothing could be judged, exit 2 naming the URL;
    any other answer counts as reachable (the page may want its launch parameters)."""
    r = run("--au", f"http://127.0.0.1:{dead_port()}/story", "--driver", "browser")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "cannot be reached" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert unreachable("http://127.0.0.1:1/x") is not None
    with answering(lambda *_: (404, {}, b"")) as base:
        assert unreachable(base + "/story") == "answers 404"
    with answering(lambda *_: (400, {}, b"missing launch parameters")) as base:
        assert unreachable(base + "/story") is None


def test_an_error_is_one_line_without_the_launch_query():
    launch = "http://127.0.0.1:8001/s?endpoint=http%3A%2F%2Fx&fetch=http%3A%2F%2Fy%2Ffetch%2Fabc"
    exc = RuntimeError(f"Page.goto: net::ERR_CONNECTION_REFUSED at {launch}\nCall log:\n  - x")
    said = error_text(exc)
    assert said == (
        "RuntimeError: Page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:8001/s?…"
    )
