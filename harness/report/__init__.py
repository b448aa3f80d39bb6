"""Reports of a run: junit.xml for CI, results.json for tools, report.html for people, and one
line more in history.jsonl for the trend across runs.

The data reaching the reports is already redacted by the fake LMS; `redact` is a second line of
defence applied to everything written: Basic credentials, auth-token values and API keys become
"[redacted]" wherever they show up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fake_lms.redact import REDACTED
from fake_lms.redact import redact_credentials as redact_text

if TYPE_CHECKING:
    from harness.runner import ScenarioResult

STATUSES = ("passed", "failed", "error", "skipped")
# Members whose whole value is a secret, whatever it looks like.
_SECRET_KEYS = {"auth-token", "api_key", "api-key", "apikey", "password", "secret"}
_AUTH_KEYS = {"authorization", "proxy-authorization"}


@dataclass
class RunInfo:
    target: str  # "reference", "mutant:NAME" or a URL
    driver: str  # "http" | "browser"
    started: str  # ISO timestamp
    duration_s: float
    command: str  # the command line, for the record
    chromium: str | None = None  # the browser's version when the browser driver ran
    scenario_files: list[str] = field(default_factory=list)  # the files the scenarios came from
    # What an external story plays (weare-documented, cmi5-full, other, nothing sent), told
    # from what it sent or given in its profile; None for the reference story and its mutants.
    story_behaviour: str | None = None


def _redact_authorization(value: str) -> str:
    """An Authorization value: keep the scheme and an earlier redaction, hide any credential."""
    if "[redacted" in value:
        return redact_text(value)
    scheme, _, credential = value.strip().partition(" ")
    if not credential:
        return REDACTED if scheme else value
    return f"{scheme} {REDACTED}"


def redact(value: Any) -> Any:
    """A deep copy of JSON-like data with secrets redacted in every string and secret member."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            low = key.lower() if isinstance(key, str) else key
            if low in _SECRET_KEYS and item not in (None, ""):
                out[key] = REDACTED
            elif low in _AUTH_KEYS and isinstance(item, str):
                out[key] = _redact_authorization(item)
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def scenario_dicts(results: list[ScenarioResult]) -> list[dict[str, Any]]:
    """`as_dict()` of each result, redacted: what every report is written from."""
    return [redact(r.as_dict()) for r in results]


def verdict(counts: dict[str, int]) -> str:
    """The verdict of the run, as the exit code has it: error beats failed beats passed."""
    if counts.get("errors"):
        return "error"
    if counts.get("failed"):
        return "failed"
    if counts.get("passed"):
        return "passed"
    return "empty"


def totals(results: list[ScenarioResult] | list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per status, the summed scenario time and the verdict."""
    statuses = [r["status"] if isinstance(r, dict) else r.status for r in results]
    durations = [r["duration_s"] if isinstance(r, dict) else r.duration_s for r in results]
    counts: dict[str, Any] = {
        "scenarios": len(statuses),
        "passed": statuses.count("passed"),
        "failed": statuses.count("failed"),
        "errors": statuses.count("error"),
        "skipped": statuses.count("skipped"),
    }
    counts["scenario_time_s"] = round(sum(durations), 3)
    counts["verdict"] = verdict(counts)
    return counts


def first_failure(result: dict[str, Any]) -> str:
    """The message that explains a failed or errored scenario best: its first failed check."""
    failed = [c["message"] for c in result.get("checks", []) if not c.get("passed")]
    message: str = failed[0] if failed else result.get("message") or result.get("status", "")
    return message


def write_reports(
    results: list[ScenarioResult], info: RunInfo, report_dir: Path
) -> dict[str, Path]:
    """Writes junit.xml, results.json and report.html into report_dir (created if needed), and
    adds the run to its history.jsonl, which report.html reads back for trends and flaky ids."""
    from harness.report import history
    from harness.report.html import render_html
    from harness.report.junit import render_junit
    from harness.report.meta import utc_iso
    from harness.report.results_json import render_json

    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    data = scenario_dicts(results)
    paths = {
        "junit": report_dir / "junit.xml",
        "json": report_dir / "results.json",
        "html": report_dir / "report.html",
    }
    paths["junit"].write_bytes(render_junit(data, info))
    # A lone surrogate (a statement can carry one) stays a valid JSON escape, and becomes "?" in HTML.
    paths["json"].write_text(render_json(data, info), encoding="utf-8", errors="backslashreplace")
    line = history.entry(
        time=utc_iso(info.started),
        target=redact_text(info.target),
        driver=info.driver,
        counts={k: v for k, v in totals(data).items() if k != "verdict"},
        failed=[s["id"] for s in data if s["status"] in ("failed", "error")],
        passed=[s["id"] for s in data if s["status"] == "passed"],
        duration_s=info.duration_s,
    )
    paths["history"] = history.append(report_dir, line)
    past = history.read(report_dir, line["target"])
    paths["html"].write_text(render_html(data, info, past), encoding="utf-8", errors="replace")
    return paths


__all__ = [
    "REDACTED",
    "RunInfo",
    "first_failure",
    "redact",
    "redact_text",
    "scenario_dicts",
    "totals",
    "verdict",
    "write_reports",
]
