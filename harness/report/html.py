"""report.html of a run: the page people read, from 1 to 500+ scenarios.

Built from `templates/run.html.j2` (on the shared `base.html.j2`, see `harness/report/page.py`).
The page leads with a roll-up of the failures by root cause ("44 failures, 1 cause: ...", one row
per cause with its scenarios, see `root_cause.py`); the details follow folded, a fold per cause
(its first scenario open inside), then the skipped and the passed; long JSON is folded too.
A search box filters the rows, the scenario table sorts by any column, the header carries the
run's meta, and the history of the report directory gives the trend and the flaky scenarios.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness.report import RunInfo, first_failure, redact, totals
from harness.report.causes import Cause
from harness.report.history import History
from harness.report.page import render
from harness.report.results_json import run_meta
from harness.report.root_cause import scenario_causes

LABELS = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP"}
VERDICTS = {
    "passed": "PASSED",
    "failed": "FAILED",
    "error": "ERROR",
    "empty": "NOTHING PASSED",
}
FILTER_ORDER = ("failed", "error", "passed", "skipped")
# Failures first, then what was not judged, then passes.
RANK = {"failed": 0, "error": 1, "skipped": 2, "passed": 3}
FOLD_CHARS = 240  # longer JSON or text is folded in <details>, its first line as the summary


def pretty(value: Any, *, sort_keys: bool = False) -> str:
    """JSON as people read it: whole, indented, non-ASCII kept; strings as they are."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=sort_keys)


def compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def diff_lines(expected: Any, actual: Any) -> list[str]:
    """A unified diff of expected against actual: strings by line, anything else as JSON."""
    if isinstance(expected, str) and isinstance(actual, str):
        a, b = expected.splitlines() or [""], actual.splitlines() or [""]
    else:
        a = pretty(expected, sort_keys=True).splitlines()
        b = pretty(actual, sort_keys=True).splitlines()
    return list(difflib.unified_diff(a, b, "expected", "actual", lineterm="", n=3))


def _diff_class(line: str) -> str:
    if line.startswith(("---", "+++")):
        return "head"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "ctx")


def fates_text(fates: dict[str, Any]) -> str:
    """'1 statement sent, 0 accepted (400: …)': what a mount's LRS made of what it was sent."""
    sent = int(fates.get("sent", 0))
    text = f"{sent} statement{'' if sent == 1 else 's'} sent, {fates.get('accepted', 0)} accepted"
    if fates.get("refused"):
        text += f", {fates['refused']} refused"
    if fates.get("dropped"):
        text += f", {fates['dropped']} answered but not stored"
    answers = fates.get("answers") or []
    if answers:
        text += f" ({'; '.join(str(a) for a in answers)})"
    return text


def anchor_ids(ids: list[str]) -> list[str]:
    """An HTML id per item, from its own id, unique on the page."""
    seen: set[str] = set()
    out = []
    for ident in ids:
        base = "s-" + (re.sub(r"[^A-Za-z0-9_.-]+", "-", str(ident)) or "x")
        anchor, n = base, 2
        while anchor in seen:
            anchor, n = f"{base}-{n}", n + 1
        seen.add(anchor)
        out.append(anchor)
    return out


def _checks(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for check in scenario.get("checks") or []:
        ok = bool(check.get("passed"))
        out.append(
            {
                **check,
                "ok": ok,
                "expected_text": compact(check.get("expected")),
                "actual_text": compact(check.get("actual")),
                "diff": []
                if ok
                else [
                    (_diff_class(x), x)
                    for x in diff_lines(check.get("expected"), check.get("actual"))
                ],
            }
        )
    return out


def folds(text: str) -> bool:
    """Whether a value shown is long enough to be folded."""
    return len(text) > FOLD_CHARS or text.count("\n") > 6


def rollup(counts: dict[str, Any], causes: list[Cause]) -> str:
    """'44 failures, 1 cause': how many scenarios did not pass, and how many causes explain them."""
    bad = counts["failed"] + counts["errors"]
    return f"{bad} failure{'' if bad == 1 else 's'}, {len(causes)} cause{'' if len(causes) == 1 else 's'}"


def _sections(views: list[dict[str, Any]], causes: list[Cause]) -> list[dict[str, Any]]:
    """The details, folded by section: a fold per cause with its scenarios (the first open),
    then the skipped ones, then the passed ones."""
    by_id = {v["s"]["id"]: v for v in views}
    sections = []
    for n, cause in enumerate(causes, start=1):
        members = [by_id[m] for m in cause.members if m in by_id]
        for i, view in enumerate(members):
            view["open"] = i == 0
        sections.append({"id": f"cause-{n}-details", "cause": cause, "n": n, "views": members})
    for status in ("skipped", "passed"):
        chosen = [v for v in views if v["status"] == status]
        if chosen:
            sections.append({"id": f"{status}-details", "status": status, "views": chosen})
    return sections


def _view(scenario: dict[str, Any], anchor: str) -> dict[str, Any]:
    """What the template shows of one scenario, computed here so the template only lays out."""
    url: str | None = scenario.get("launch_url")
    statements = scenario.get("statements") or {}
    received = [
        (role, fates_text(statements.get(role) or {"sent": len(sent)}), sent)
        for role, sent in (scenario.get("received") or {}).items()
    ]
    checks = _checks(scenario)
    return {
        "s": scenario,
        "anchor": anchor,
        "status": scenario["status"],
        "label": LABELS.get(scenario["status"], scenario["status"].upper()),
        "rank": RANK.get(scenario["status"], 9),
        "why": first_failure(scenario) if scenario["status"] in ("failed", "error") else "",
        "rule": scenario.get("rule") or {},
        "duration": float(scenario.get("duration_s") or 0),
        "url": url,
        "url_is_http": bool(url) and urlsplit(url).scheme in ("http", "https"),
        "params": parse_qsl(urlsplit(url).query, keep_blank_values=True) if url else [],
        "show_launch": scenario["status"] != "skipped" or bool(url),
        "outcome": scenario.get("outcome") or {},
        "checks": checks,
        "failed_checks": sum(1 for c in checks if not c["ok"]),
        "received": received,
        "journal": scenario.get("journal") or [],
        "artifacts": scenario.get("artifacts") or {},
        "open": False,
    }


def render_html(
    scenarios: list[dict[str, Any]], info: RunInfo, history: History | None = None
) -> str:
    """The report page from scenario dicts (redacted again here, whatever the caller did)."""
    scenarios = redact(scenarios)
    meta = redact(run_meta(info))
    counts = totals(scenarios)
    views = [
        _view(s, a)
        for s, a in zip(scenarios, anchor_ids([s["id"] for s in scenarios]), strict=True)
    ]
    views.sort(key=lambda v: v["rank"])  # stable: the run's order within a status
    anchors = {v["s"]["id"]: v["anchor"] for v in views}
    number = {
        "passed": counts["passed"],
        "failed": counts["failed"],
        "error": counts["errors"],
        "skipped": counts["skipped"],
    }
    history = history or History(meta["target"])
    causes = scenario_causes(scenarios)
    cause_of = {member: n for n, c in enumerate(causes, start=1) for member in c.members}
    for view in views:
        view["cause"] = cause_of.get(view["s"]["id"])
        # A cause several scenarios share is read in the roll-up: their rows only link to it.
        view["shared"] = bool(view["cause"]) and causes[view["cause"] - 1].count > 1
    return render(
        "run.html.j2",
        title=f"weare-harness: {VERDICTS.get(counts['verdict'], '')} — {meta['target']}",
        verdict=counts["verdict"],
        verdict_label=VERDICTS.get(counts["verdict"], counts["verdict"]),
        heading="weare-harness report",
        meta=meta,
        counts=counts,
        filters=[(s, number[s]) for s in FILTER_ORDER],
        causes=causes,
        rollup=rollup(counts, causes),
        sections=_sections(views, causes),
        anchors=anchors,
        views=views,
        folds=folds,
        history=history,
        flaky=history.flaky,
        pretty=pretty,
        compact=compact,
        noun="scenario",
    )
