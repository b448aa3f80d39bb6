"""The one registry every check kind keeps, the typed finding every check returns, and the one
renderer that words it (wording pinned here once; other tests assert on the fields)."""

from __future__ import annotations

import dataclasses

import pytest

from fake_lms.findings import FAIL, PASS, UNJUDGED, Finding, render
from fake_lms.registry import Registry
from harness.checks import as_dict, evaluate
from harness.evidence import Evidence


def _registry() -> Registry[tuple[str, int]]:
    registry: Registry[tuple[str, int]] = Registry("widget", lambda entry: entry[0])
    for entry in (("b", 1), ("a", 2), ("c", 3)):
        registry.add(entry)
    return registry


def test_entries_are_found_by_id_and_listed_in_registration_order():
    registry = _registry()
    assert registry["a"] == ("a", 2)
    assert registry.ids() == ["b", "a", "c"]
    assert list(registry) == [("b", 1), ("a", 2), ("c", 3)]
    assert "c" in registry and "z" not in registry and len(registry) == 3
    assert registry.get("z") is None


def test_a_second_entry_under_a_taken_id_is_refused_naming_the_kind_and_id():
    registry = _registry()
    with pytest.raises(ValueError, match="widget 'a' is registered twice"):
        registry.add(("a", 9))
    assert registry["a"] == ("a", 2)


def test_an_unknown_id_names_the_ids_known():
    with pytest.raises(KeyError, match="no widget 'z'; known: b, a, c"):
        _registry()["z"]


def test_the_decorator_registers_and_returns_the_function_unchanged():
    registry: Registry[tuple[str, object]] = Registry("check", lambda entry: entry[0])

    @registry.register(lambda func: ("first", func))
    def first() -> int:
        return 1

    assert first() == 1 and registry["first"] == ("first", first)
    with pytest.raises(ValueError, match="check 'first' is registered twice"):
        registry.register(lambda func: ("first", func))(lambda: 2)


def test_a_finding_is_frozen_and_holds_its_evidence_as_a_tuple():
    finding = Finding(FAIL, "why", [1, 2], check="x")
    assert finding.evidence == (1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.status = PASS  # type: ignore[misc]


def test_a_finding_without_comparison_reads_as_its_detail():
    assert render(Finding(FAIL, "preflight answered 403")) == "preflight answered 403"


def test_a_failed_comparison_says_expected_got_where_they_differ_detail_and_rule():
    finding = Finding(
        FAIL,
        "per mount",
        check="statements",
        requirement="seed",
        rule="counted",
        expected={"launch": 1},
        actual={"launch": 2},
    )
    assert render(finding) == (
        "statements: NOT as expected: expected {'launch': 1}, got {'launch': 2} "
        "[differs at launch: 2 for 1] (per mount) [rule: seed: counted]"
    )
    assert finding.message == render(finding)
    passed = dataclasses.replace(finding, status=PASS, actual={"launch": 1})
    assert (
        render(passed)
        == "statements: as expected: expected {'launch': 1}, got {'launch': 1} (per mount)"
    )


def test_nothing_to_judge_says_what_was_missing():
    finding = Finding(UNJUDGED, "no fetch", check="k", requirement="s", rule="r", expected=1)
    assert render(finding) == (
        "k: nothing to judge: no fetch, so expected 1 cannot be confirmed [rule: s: r]"
    )
    assert not finding.passed and not finding.judged


def _evidence(outcome: dict) -> Evidence:
    return Evidence(launch={}, outcome=outcome, mount_names={}, key_users={})


def test_a_scenario_check_returns_its_verdict_as_fields():
    [result] = evaluate(
        _evidence({"status": "failed", "reason": "no key"}), {"outcome": "completed"}
    )
    assert (result.check, result.status, result.expected, result.actual, result.detail) == (
        "outcome",
        FAIL,
        "completed",
        "failed",
        "no key",
    )
    assert result.requirement == "seed: completions are reported"
    assert as_dict(result)["rule"] == "seed: completions are reported: the story ends as expected"
    assert as_dict(result)["message"] == render(result)


def test_a_scenario_check_with_nothing_to_judge_is_unjudged_and_fails():
    [result] = evaluate(_evidence({}), {"outcome": "completed"})
    assert (result.status, result.judged, result.passed) == (UNJUDGED, False, False)
    assert result.detail == "the story reported no outcome"
    assert (as_dict(result)["judged"], as_dict(result)["actual"]) == (False, None)
