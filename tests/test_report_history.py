"""The parts of the reports that need no run: causes, history.jsonl, flaky ids and the meta."""

from __future__ import annotations

import json

from harness.report import RunInfo, write_reports
from harness.report.causes import group, normalise
from harness.report.history import FILE, append, entry, read
from harness.report.meta import command_line, files_sha256, utc_iso
from harness.report.root_cause import scenario_causes

UUID = "0a72515c-b15a-4b62-a33c-30801d246faa"


# -- causes -----------------------------------------------------------------------------------


def test_normalise_masks_what_differs_between_runs():
    a = normalise(
        f"got 401 from http://127.0.0.1:41234/fetch/Zm9vYmFyOnNlY3JldDEyMw== at "
        f"2026-11-27T02:40:05.123Z for registration {UUID}, mount 's2-32e2-configured'"
    )
    b = normalise(
        "got 403 from http://127.0.0.1:5000/fetch/other at 2025-01-01T00:00:00+01:00 for "
        "registration 9b4dc0f5-1111-4222-8333-444455556666, mount 's17-9f0a-configured'"
    )
    assert a == b
    assert "<url>" in a and "<time>" in a and "<uuid>" in a and "127.0.0.1" not in a
    assert normalise("expected 'completed'") != normalise("expected 'passed'")  # words stay


def _failed(ident: str, check: str, message: str) -> dict:
    return {
        "id": ident,
        "status": "failed",
        "checks": [
            {"name": "outcome", "passed": True, "message": "fine"},
            {"name": check, "passed": False, "message": message, "rule": "seed: a rule"},
        ],
    }


def test_one_cause_in_twelve_scenarios_is_one_group_of_twelve():
    scenarios = [
        _failed(f"s{n}", "statements", f"expected 1 on mount 's{n}-launch', got {n % 3} ({UUID})")
        for n in range(12)
    ]
    scenarios.append(_failed("other-check", "fetch_calls", "expected 1, got 0"))
    scenarios.append({"id": "broken", "status": "error", "message": "bench broke at port 4242"})
    scenarios.append({"id": "fine", "status": "passed", "checks": []})
    causes = scenario_causes(scenarios)
    assert [(c.check, c.count) for c in causes] == [
        ("bench error", 1),  # errors first
        ("statements", 12),
        ("fetch_calls", 1),
    ]
    twelve = causes[1]
    assert twelve.members == [f"s{n}" for n in range(12)]
    assert twelve.message == scenarios[0]["checks"][1]["message"]  # a real example, unmasked
    assert twelve.rule == "seed: a rule"


def test_the_same_message_from_another_check_is_another_cause():
    causes = group(
        [
            {"check": "a", "message": "got 1", "member": "x"},
            {"check": "b", "message": "got 2", "member": "x"},
            {"check": "a", "message": "got 3", "member": "x"},  # same scenario once
        ]
    )
    assert [(c.check, c.members) for c in causes] == [("a", ["x"]), ("b", ["x"])]


# -- history ----------------------------------------------------------------------------------


def _line(target: str, failed: list[str], passed: list[str], time: str = "t") -> dict:
    return entry(
        time=time,
        target=target,
        driver="http",
        counts={"scenarios": len(failed) + len(passed)},
        failed=failed,
        passed=passed,
        duration_s=0.5,
    )


def test_history_keeps_the_last_runs_of_the_target_and_names_the_flaky(tmp_path):
    append(tmp_path, _line("reference", ["a"], ["b", "c"]))
    append(tmp_path, _line("mutant:x", ["b"], []))  # another target: not counted
    for n in range(25):
        append(tmp_path, _line("reference", ["c"] if n == 22 else [], ["a", "b", "c"], f"t{n}"))
    history = read(tmp_path, "reference")
    assert len(history.runs) == 20 and history.runs[-1]["time"] == "t24"
    assert history.warnings == []
    # "a" failed only in the first run, now out of the window; "c" failed in one of the 20.
    assert history.flaky == ["c"]
    assert history.outcomes("c") == "P" * 17 + "F" + "PP"
    assert history.outcomes("zzz") == "-" * 20
    assert read(tmp_path, "mutant:x").flaky == []  # failed only: not flaky


def test_a_corrupt_history_line_is_skipped_with_a_warning(tmp_path):
    good = json.dumps(_line("reference", ["a"], []))
    (tmp_path / FILE).write_text(
        "\n".join(
            [
                good,
                '{"time": "t", "target": "reference"',  # cut short
                "[1, 2]",
                json.dumps({**_line("reference", [], []), "failed": "a"}),
                json.dumps({**_line("reference", [], []), "passed": [1]}),
                "",
                json.dumps(_line("reference", [], ["a"])),
            ]
        )
        + "\n\x00garbage\n"
    )
    history = read(tmp_path, "reference")
    assert len(history.runs) == 2 and history.flaky == ["a"]
    assert [w.split(":")[0] for w in history.warnings] == [
        f"{FILE} line 2 skipped",
        f"{FILE} line 3 skipped",
        f"{FILE} line 4 skipped",
        f"{FILE} line 5 skipped",
        f"{FILE} line 8 skipped",
    ]
    assert "not valid JSON" in history.warnings[0] and "'failed'" in history.warnings[2]


def test_reports_are_written_over_a_corrupt_history(tmp_path):
    (tmp_path / FILE).write_bytes(b"\xff\xfe not json\n")
    info = RunInfo("reference", "http", "2026-01-02T03:04:05+00:00", 0.5, "weare-harness run")
    paths = write_reports([], info, tmp_path)
    html = paths["html"].read_text(encoding="utf-8")
    assert f"{FILE} line 1 skipped: not valid JSON" in html
    lines = (tmp_path / FILE).read_text(encoding="utf-8", errors="replace").splitlines()
    assert json.loads(lines[-1])["time"] == "2026-01-02T03:04:05Z"


# -- meta -------------------------------------------------------------------------------------


def test_times_are_utc_with_a_z():
    assert utc_iso("2026-01-02T04:04:05+01:00") == "2026-01-02T03:04:05Z"
    assert utc_iso("2026-01-02T03:04:05Z") == "2026-01-02T03:04:05Z"
    assert utc_iso("now") == "now"


def test_the_command_is_recorded_without_its_secrets():
    line = command_line(["certify", "--api-key", "vendor:k3y-secret", "--api-key=u:s3cret"])
    assert "k3y-secret" not in line and "s3cret" not in line
    assert line == "weare-harness certify --api-key '[redacted]' '--api-key=[redacted]'"


def test_scenario_files_hash_covers_names_and_contents_in_any_order(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "sub" / "b.yaml"
    b.parent.mkdir()
    a.write_text("scenarios: []\n")
    b.write_text("scenarios: []\n")
    first = files_sha256([str(a), str(b)])
    assert first == files_sha256([str(b), str(a), str(a)])
    assert files_sha256([]) is None
    b.write_text("scenarios: [] # changed\n")
    assert files_sha256([str(a), str(b)]) != first
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    (moved / "a.yaml").write_text(a.read_text())
    assert files_sha256([str(moved / "a.yaml")]) == files_sha256([str(a)])  # where: no matter
