"""history.jsonl: one JSON line per run in a report directory, read back for trends and flakes.

Each `run` and `certify` appends a line (time, target, driver, counts, failed and passed ids,
duration). The report shows the last runs of the same target and names the flaky ones: ids
that both passed and failed across those runs. A line that cannot be read is skipped with a
warning shown in the report; history never stops a report from being written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILE = "history.jsonl"
RECENT = 20
_REQUIRED = {"time": str, "target": str, "counts": dict, "failed": list, "passed": list}


@dataclass
class History:
    """The recent runs of one target, oldest first, and the lines that could not be read."""

    target: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def flaky(self) -> list[str]:
        """Ids that passed in one of these runs and failed in another, in first-failure order."""
        passed = {i for run in self.runs for i in run["passed"]}
        seen: list[str] = []
        for run in self.runs:
            for i in run["failed"]:
                if i in passed and i not in seen:
                    seen.append(i)
        return seen

    def bars(self, height: int = 60, width: int = 14, gap: int = 4) -> list[dict[str, Any]]:
        """The trend as SVG bars, one per run (oldest left): passes stacked on failures."""
        top = max((len(r["passed"]) + len(r["failed"]) for r in self.runs), default=0) or 1
        out = []
        for n, run in enumerate(self.runs):
            fail = round(len(run["failed"]) * height / top)
            ok = round(len(run["passed"]) * height / top)
            out.append(
                {
                    "x": n * (width + gap),
                    "width": width,
                    "fail_y": height - fail,
                    "fail_h": fail,
                    "pass_y": height - fail - ok,
                    "pass_h": ok,
                    "title": f"{run['time']}: {len(run['passed'])} passed, "
                    f"{len(run['failed'])} failed",
                }
            )
        return out

    def outcomes(self, ident: str) -> str:
        """'PFP…' for one id over these runs (P passed, F failed, - absent), oldest first."""
        marks = []
        for run in self.runs:
            marks.append("F" if ident in run["failed"] else "P" if ident in run["passed"] else "-")
        return "".join(marks)


def entry(
    *,
    time: str,
    target: str,
    driver: str,
    counts: dict[str, Any],
    failed: list[str],
    passed: list[str],
    duration_s: float,
) -> dict[str, Any]:
    return {
        "time": time,
        "target": target,
        "driver": driver,
        "counts": counts,
        "failed": failed,
        "passed": passed,
        "duration_s": round(float(duration_s), 3),
    }


def append(report_dir: Path, line: dict[str, Any]) -> Path:
    """Adds one run to `<report_dir>/history.jsonl` (created if needed)."""
    path = Path(report_dir) / FILE
    text = json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str)
    with path.open("a", encoding="utf-8", errors="backslashreplace") as out:
        out.write(text + "\n")
    return path


def _problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "not a JSON object"
    for key, kind in _REQUIRED.items():
        if not isinstance(data.get(key), kind):
            return f"{key!r} missing or not a {kind.__name__}"
    if not all(isinstance(i, str) for i in data["failed"] + data["passed"]):
        return "'failed' and 'passed' must list ids (strings)"
    return None


def read(report_dir: Path, target: str, recent: int = RECENT) -> History:
    """The last `recent` runs of `target`; unreadable lines become warnings, never errors."""
    history = History(target)
    path = Path(report_dir) / FILE
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return history
    except OSError as exc:
        history.warnings.append(f"{FILE} could not be read ({exc}): no history shown")
        return history
    runs = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            history.warnings.append(f"{FILE} line {number} skipped: not valid JSON ({exc})")
            continue
        problem = _problem(data)
        if problem:
            history.warnings.append(f"{FILE} line {number} skipped: {problem}")
        elif data["target"] == target:
            runs.append(data)
    history.runs = runs[-recent:]
    return history
