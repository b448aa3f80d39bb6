"""`run`'s defaults and pytest-like options: reports/ by default, -x, --last-failed, --driver help,
and the JUnit `file` attribute of built-in and own scenario files."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from harness.last_failed import record
from harness.runner import NOT_RUN, ScenarioResult
from harness.scenarios import BUILTIN, Scenario

pytestmark = pytest.mark.slow

MUTANT = "mutant:ignores-endpoint"
# -k: five scenarios; the mutant fails four, the first two included
FETCH = "fetch-once or precedence-endpoint-url"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", "run", "--no-color", "--driver", "http", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def statuses(report_dir: Path) -> dict[str, tuple[str, str]]:
    data = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    return {s["id"]: (s["status"], s["message"]) for s in data["scenarios"]}


def junit_files(report_dir: Path) -> dict[str, str]:
    root = ET.parse(report_dir / "junit.xml").getroot()
    return {case.get("name"): case.get("file") for case in root.iter("testcase")}


# -- reports/ by default, and the JUnit file attribute --------------------------------------------


def test_reports_go_to_reports_by_default_and_junit_names_the_builtin_file(tmp_path):
    r = run("-k", "precedence-endpoint-url-fetch-key", cwd=tmp_path)

    assert r.returncode == 0, r.stdout + r.stderr
    assert "reports written to reports: junit.xml, results.json, report.html" in r.stdout
    assert (tmp_path / "reports" / "report.html").is_file()
    # Inside the package, not a path into site-packages (or ../../ from this folder).
    assert junit_files(tmp_path / "reports") == {
        "precedence-endpoint-url-fetch-key": "harness/suite/precedence.yaml"
    }


def test_a_given_report_dir_is_used_and_junit_names_a_users_file_as_given(tmp_path):
    suite = yaml.safe_load(BUILTIN.joinpath("precedence.yaml").read_text(encoding="utf-8"))
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "mine.yaml").write_text(yaml.safe_dump(suite["scenarios"][0]))

    r = run("own/mine.yaml", "--report-dir", "elsewhere", cwd=tmp_path)

    assert r.returncode == 0, r.stdout + r.stderr
    assert "reports written to elsewhere: " in r.stdout
    assert not (tmp_path / "reports").exists()
    assert junit_files(tmp_path / "elsewhere") == {suite["scenarios"][0]["id"]: "own/mine.yaml"}


def test_driver_help_says_what_each_driver_does_and_the_default():
    r = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--help"], capture_output=True, text=True
    )
    text = " ".join(r.stdout.split())
    assert "--driver {browser,http} http: the reference story's behaviour" in text
    assert "(default: http)" in text.split("--driver", 2)[2].split(" -k ")[0]
    assert (
        "--report-dir REPORT_DIR write junit.xml, results.json, report.html here (default reports;"
        in text
    )


# -- -x / --exitfirst -----------------------------------------------------------------------------


def test_exitfirst_stops_at_the_first_failure_and_reports_the_rest_as_not_run(tmp_path):
    r = run("--au", MUTANT, "-k", FETCH, "-x", "--workers", "2", "--report-dir", "r", cwd=tmp_path)

    assert r.returncode == 1, r.stdout + r.stderr
    seen = statuses(tmp_path / "r")
    ran = [i for i, (status, _) in seen.items() if status != "skipped"]
    not_run = [i for i, (status, message) in seen.items() if message == NOT_RUN]
    assert any(status == "failed" for status, _ in seen.values())
    assert len(ran) < len(seen) and len(ran) + len(not_run) == len(seen), seen
    assert len(ran) <= 3, ran  # the failure, and what the other worker had started
    assert f"-x: stopped at the first failure; {len(not_run)} scenarios not run" in r.stdout


def test_without_exitfirst_or_failure_every_selected_scenario_runs(tmp_path):
    full = run("--au", MUTANT, "-k", FETCH, "--workers", "2", "--report-dir", "a", cwd=tmp_path)
    clean = run("-k", FETCH, "-x", "--workers", "2", "--report-dir", "b", cwd=tmp_path)

    assert full.returncode == 1 and clean.returncode == 0, full.stdout + clean.stdout
    for folder in ("a", "b"):
        assert all(status != "skipped" for status, _ in statuses(tmp_path / folder).values())
    assert "-x:" not in full.stdout + clean.stdout


# -- --last-failed --------------------------------------------------------------------------------


def test_last_failed_reruns_only_what_failed_against_that_target(tmp_path):
    first = run("--au", MUTANT, "-k", FETCH, "--report-dir", "r", cwd=tmp_path)
    assert first.returncode == 1, first.stdout + first.stderr
    failed = sorted(i for i, (s, _) in statuses(tmp_path / "r").items() if s == "failed")
    assert 0 < len(failed) < len(statuses(tmp_path / "r"))

    again = run("--au", MUTANT, "--lf", "--report-dir", "r", cwd=tmp_path)

    assert again.returncode == 1, again.stdout + again.stderr
    assert f"--last-failed: rerunning {len(failed)} scenarios that failed last time" in again.stdout
    assert sorted(statuses(tmp_path / "r")) == failed


def test_last_failed_with_no_recorded_failure_runs_all_and_says_so(tmp_path):
    run("--au", MUTANT, "-k", FETCH, "--report-dir", "r", cwd=tmp_path)  # another target's

    r = run("--last-failed", "-k", "precedence-endpoint-url", "--report-dir", "r", cwd=tmp_path)

    assert r.returncode == 0, r.stdout + r.stderr
    selected = len(statuses(tmp_path / "r"))
    assert selected > 1
    assert (
        f"--last-failed: no failed scenario recorded for reference in r/last-failed.json; "
        f"running all {selected} scenarios"
    ) in r.stdout


def _result(scenario_id: str, status: str) -> ScenarioResult:
    scenario = Scenario(id=scenario_id, title="t", rule={"text": "x", "source": "y"}, expect={})
    return ScenarioResult(scenario, status)


def test_the_record_drops_what_passed_and_keeps_failures_not_run_again(tmp_path):
    record(tmp_path, "reference", [_result("a", "failed"), _result("b", "error")])
    record(tmp_path, MUTANT, [_result("m", "failed")])

    path = record(tmp_path, "reference", [_result("a", "passed"), _result("c", "failed")])

    assert json.loads(path.read_text()) == {"reference": ["b", "c"], MUTANT: ["m"]}


@pytest.mark.parametrize("option", ["--lf", "-x"])
def test_mutation_refuses_last_failed_and_exitfirst(tmp_path, option):
    r = run("--mutation", option, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "weare-harness run: --mutation runs every scenario against every mutant: drop --lf and -x"
    )
