"""`make mutation`'s scorer: caught / (all − equivalent) per verdict-bearing module, a floor per
module, equivalents only while their diff is the one listed, a clear error for a bad listing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mutation import score


def _meta(root: Path, name: str, codes: dict[str, int | None]) -> None:
    path = root / "mutants" / f"{name}.meta"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"exit_code_by_key": codes}))


def test_caught_missed_and_no_tests_are_counted_per_module(tmp_path: Path) -> None:
    _meta(
        tmp_path,
        "harness/checks.py",
        {
            "harness.checks.x_a__mutmut_1": 1,  # the tests failed: caught
            "harness.checks.x_a__mutmut_2": 36,  # timed out: caught
            "harness.checks.x_a__mutmut_3": 0,  # the tests passed: missed
            "harness.checks.x_b__mutmut_1": 33,  # no test reached it: missed
            "harness.checks.x_b__mutmut_2": None,  # not run: neither
        },
    )
    _meta(tmp_path, "fake_lms/xapi/compare.py", {"fake_lms.xapi.compare.x_c__mutmut_1": 1})
    tallies = score.tally(score.results(tmp_path), {})
    checks = tallies["harness/checks.py"]
    assert (checks.caught, checks.missed, dict(checks.other)) == (
        2,
        ["harness.checks.x_a__mutmut_3", "harness.checks.x_b__mutmut_1"],
        {None: 1},
    )
    assert checks.score == 50.0
    assert tallies["fake_lms/xapi/compare.py"].score == 100.0
    assert tallies["fake_lms/cmi5/rules.py"].score is None  # nothing ran: no score, not a pass


def test_an_equivalent_counts_only_while_its_diff_is_the_one_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = {"harness.checks.x_a__mutmut_1": 0, "harness.checks.x_a__mutmut_2": 1}
    listed = {"harness.checks.x_a__mutmut_1": {"diff": "same", "reason": "r"}}
    monkeypatch.setattr(score, "diff_digest", lambda mutant: "same")
    t = score.tally(codes, listed)["harness/checks.py"]
    assert (t.caught, t.missed, t.equivalent, t.score) == (1, [], 1, 100.0)
    monkeypatch.setattr(score, "diff_digest", lambda mutant: "changed")
    t = score.tally(codes, listed)["harness/checks.py"]
    assert (t.missed, t.equivalent, t.score) == (["harness.checks.x_a__mutmut_1"], 0, 50.0)


def test_a_listing_without_its_reason_is_refused_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "equivalents.toml"
    bad.write_text('[[equivalent]]\nmutant = "m"\ndiff = "d"\n')
    with pytest.raises(SystemExit, match="equivalent #1 lacks reason"):
        score.equivalents(bad)
    bad.write_text("[[equivalent]\n")
    with pytest.raises(SystemExit, match="not TOML"):
        score.equivalents(bad)


def test_the_listed_equivalents_are_well_formed() -> None:
    assert isinstance(score.equivalents(), dict)
