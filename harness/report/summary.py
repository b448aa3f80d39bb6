"""What the terminal shows: a line per finished scenario, then the summary table of the run."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from harness.checks import as_dict
from harness.console import plural
from harness.report import RunInfo, first_failure, redact, totals

if TYPE_CHECKING:
    from harness.runner import ScenarioResult

LABELS = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP"}
COLORS = {"passed": "32", "failed": "31", "error": "35", "skipped": "33"}
VERDICTS = {
    "passed": "PASSED",
    "failed": "FAILED",
    "error": "ERROR",
    "empty": "NOTHING PASSED",
}
VERDICT_COLORS = {"passed": "32", "failed": "31", "error": "35", "empty": "33"}
MESSAGE_LIMIT = 240
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
ID_WIDTH_LIMIT = 60


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def _one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """One line of plain text: whitespace collapsed, control characters (ANSI escapes) dropped."""
    text = _CONTROL.sub("", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reason(result: ScenarioResult) -> str:
    """Why a scenario did not pass, secrets redacted: its first failed check, else its message."""
    data = {"checks": [as_dict(c) for c in result.checks], "message": result.message}
    data["status"] = result.status
    reason: str = redact(first_failure(data))
    return reason


def progress_line(result: ScenarioResult, done: int, total: int, *, color: bool) -> str:
    """One line per finished scenario, e.g. "[ 3/40] PASS precedence-endpoint-url-fetch-key (0.05 s)"."""
    width = len(str(total))
    label = LABELS.get(result.status, result.status.upper())
    status = _paint(label, COLORS.get(result.status, "0"), color)
    line = f"[{done:>{width}}/{total}] {status} {result.scenario.id} ({result.duration_s:.2f} s)"
    if result.status == "failed":
        line += f": {_one_line(_reason(result), 160)}"
    elif result.status in ("error", "skipped") and result.message:
        line += f": {_one_line(redact(result.message), 160)}"
    return line


def summary_table(results: list[ScenarioResult], info: RunInfo, *, color: bool) -> str:
    """The table printed at the end: a line per failed or errored scenario, then the counts."""
    bad = [r for r in results if r.status in ("failed", "error")]
    lines: list[str] = []
    if bad:
        width = min(ID_WIDTH_LIMIT, max(len(r.scenario.id) for r in bad))
        lines.append(_paint(f"{plural(len(bad), 'scenario')} did not pass:", "1", color))
        for r in bad:
            failed = sum(1 for c in r.checks if not c.passed)
            message = _one_line(_reason(r))
            if failed > 1:
                message += f" (+{failed - 1} more failed check{'s' if failed > 2 else ''})"
            label = _paint(f"{LABELS[r.status]:<5}", COLORS[r.status], color)
            lines.append(f"  {label} {r.scenario.id:<{width}}  {message}")
        lines.append("")
    counts = totals(results)
    parts = [
        _paint(f"{counts['passed']} passed", COLORS["passed"], color and counts["passed"] > 0),
        _paint(f"{counts['failed']} failed", COLORS["failed"], color and counts["failed"] > 0),
        _paint(plural(counts["errors"], "error"), COLORS["error"], color and counts["errors"] > 0),
        _paint(f"{counts['skipped']} skipped", COLORS["skipped"], color and counts["skipped"] > 0),
    ]
    verdict = _paint(VERDICTS[counts["verdict"]], "1;" + VERDICT_COLORS[counts["verdict"]], color)
    lines.append(
        f"{verdict}: {plural(counts['scenarios'], 'scenario')}, {', '.join(parts)} "
        f"in {info.duration_s:.2f} s (target {info.target}, driver {info.driver})"
    )
    if info.story_behaviour:
        lines.append(f"the story plays: {info.story_behaviour} (told from what it sent)")
    return "\n".join(lines)
