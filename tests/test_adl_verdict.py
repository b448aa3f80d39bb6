"""The verdict on a run of ADL's LRS conformance suite: counted from its run log, never lenient."""

from __future__ import annotations

import pytest

from tests import adl_suite
from tests.adl_verdict import verdict


def _test(title: str, status: str = "passed", error: str | None = None) -> dict:
    return {"title": title, "status": status, "tests": [], **({"error": error} if error else {})}


def _log(*suites: dict, total: int, state: str = "finished") -> dict:
    root = {"title": "", "status": "passed", "tests": list(suites)}
    return {"state": state, "summary": {"total": total}, "log": root}


def _suite(title: str, *tests: dict, error: str | None = None) -> dict:
    node = {"title": title, "status": "passed", "tests": list(tests)}
    return {**node, "error": error} if error else node


def test_every_test_of_the_tree_passed_is_a_pass():
    log = _log(_suite("Data 2.2", _test("a"), _test("b")), total=2)
    result = verdict(log, "9.9")
    assert (result.passed, result.expected, result.problems) == (2, 2, [])


def test_a_failed_test_is_named_with_its_suite_and_error():
    log = _log(
        _suite("Data 2.2", _test("a"), _test("b", "failed", "expected 400\n got 200")), total=2
    )
    assert verdict(log, "9.9").problems == [
        "1 failed:",
        "  Data 2.2 › b: expected 400 got 200",
        "1 of the tree's 2 tests passed",
    ]


def test_a_failed_before_all_hook_is_named_and_its_hidden_tests_are_counted_missing():
    hooked = _suite("Concurrency", error='"before all" hook: ECONNRESET')
    log = _log(_suite("Data 2.2", _test("a")), hooked, total=5)
    assert verdict(log, "9.9").problems == [
        "1 failed:",
        '  Concurrency: "before all" hook: ECONNRESET',
        "1 of the tree's 5 tests passed",  # the hook hid the other four
    ]


def test_a_run_short_of_the_trees_known_count_fails_even_when_the_runner_announced_fewer():
    log = _log(_suite("Data 2.2", _test("a"), _test("b")), total=2)
    assert verdict(log, "1.0.3").problems == ["2 of the tree's 1365 tests passed"]
    assert verdict(log, "2.0.0").expected == 1442


def test_a_run_that_did_not_finish_fails():
    log = _log(_suite("Data 2.2", _test("a")), total=1, state="error")
    assert verdict(log, "9.9").problems == ["the run ended in state 'error', not 'finished'"]


def test_where_the_suite_is_absent_the_test_skips_naming_the_place_and_the_source(
    tmp_path, monkeypatch
):
    monkeypatch.delenv(adl_suite.ENV, raising=False)
    monkeypatch.setattr(adl_suite, "DEFAULT_DIR", tmp_path / "adl-lrs-suite")
    monkeypatch.setattr(adl_suite, "REPO", tmp_path / "repo")  # no clone: no origin to look by
    with pytest.raises(pytest.skip.Exception) as skipped:
        adl_suite.suite_dir()
    assert str(tmp_path / "adl-lrs-suite") in str(skipped.value)
    assert adl_suite.SOURCE in str(skipped.value) and adl_suite.ENV in str(skipped.value)


def test_a_clean_clone_finds_the_suite_beside_the_repository_it_was_cloned_from(
    tmp_path, monkeypatch
):
    """CI runs a clean clone made elsewhere: ../shared is then beside its origin, not beside it."""
    import subprocess

    origin, suite = tmp_path / "work" / "main", tmp_path / "work" / "shared" / "conformance"
    (suite / "adl-lrs-suite" / "bin").mkdir(parents=True)
    (suite / "adl-lrs-suite" / "bin" / "console_runner.js").write_text("")
    origin.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(origin)], check=True)
    clone = tmp_path / "ci" / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    monkeypatch.delenv(adl_suite.ENV, raising=False)
    monkeypatch.setattr(adl_suite, "REPO", clone)
    monkeypatch.setattr(adl_suite, "DEFAULT_DIR", tmp_path / "ci" / "shared" / "nothing")
    assert adl_suite.suite_dir() == (suite / "adl-lrs-suite").resolve()


def test_a_wrong_suite_folder_named_by_the_environment_fails(tmp_path, monkeypatch):
    monkeypatch.setenv(adl_suite.ENV, str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match=r"no bin/console_runner\.js"):
        adl_suite.suite_dir()


def test_the_default_place_is_shared_conformance_beside_the_repository():
    expected = adl_suite.REPO.parent / "shared" / "conformance" / "adl-lrs-suite"
    assert expected == adl_suite.DEFAULT_DIR
