"""results.json: the run, its totals and every scenario's result, for tools and later comparison."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from harness.report import RunInfo, redact_text, totals


def results_document(scenarios: list[dict[str, Any]], info: RunInfo) -> dict[str, Any]:
    """{"run": ..., "totals": ..., "scenarios": [...]} from already redacted scenario dicts."""
    run = asdict(info)
    run["duration_s"] = round(info.duration_s, 3)
    run["command"] = redact_text(info.command)
    return {"run": run, "totals": totals(scenarios), "scenarios": scenarios}


def render_json(scenarios: list[dict[str, Any]], info: RunInfo) -> str:
    """The document as UTF-8 text, indent 2, keys in the order the results give them."""
    document = results_document(scenarios, info)
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
