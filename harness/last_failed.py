"""`run --last-failed`: the scenarios that failed last time, kept per target in the report folder.

`last-failed.json` maps each target (`reference`, `mutant:NAME`, a story URL, redacted) to the
ids that failed or ended in error, as pytest's cache does: a run removes the ids it ran and
passed, adds those that failed, and keeps the failures of scenarios it did not run (another
`-k`, or not run after `-x`). A missing or unreadable file means no known failure.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness.console import plural
from harness.report import redact_text
from harness.runner import ScenarioResult
from harness.scenarios import Scenario

FILE = "last-failed.json"
FAILED = ("failed", "error")


def _read(report_dir: Path) -> dict[str, list[str]]:
    try:
        data = json.loads((report_dir / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(target): [str(i) for i in ids] for target, ids in data.items() if isinstance(ids, list)
    }


def failed_ids(report_dir: Path, target: str) -> list[str]:
    """The ids that failed in the target's last runs, in the order they were recorded."""
    return _read(report_dir).get(redact_text(target), [])


def record(report_dir: Path, target: str, results: list[ScenarioResult]) -> Path:
    """Update the target's failures with a run's results; the file written."""
    data = _read(report_dir)
    key = redact_text(target)
    ran = {r.scenario.id for r in results if r.status != "skipped"}
    failed = [r.scenario.id for r in results if r.status in FAILED]
    kept = [i for i in data.get(key, []) if i not in ran]
    data[key] = kept + [i for i in failed if i not in kept]
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / FILE
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def choose(scenarios: list[Scenario], report_dir: Path, target: str) -> tuple[list[Scenario], str]:
    """The scenarios to run under --last-failed, and the line that says what was chosen: the
    selected ones that failed last time against `target`, or all of them (saying why) when none
    did."""
    known = set(failed_ids(report_dir, target))
    again = [s for s in scenarios if s.id in known]
    if again:
        return (
            again,
            f"--last-failed: rerunning {plural(len(again), 'scenario')} that failed last time",
        )
    if known:
        why = f"none of the {plural(len(known), 'scenario')} that failed last time is selected"
    else:
        why = f"no failed scenario recorded for {redact_text(target)} in {report_dir / FILE}"
    return scenarios, f"--last-failed: {why}; running all {plural(len(scenarios), 'scenario')}"
