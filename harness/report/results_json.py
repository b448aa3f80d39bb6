"""results.json: the run's meta, its totals and every scenario's result, for tools and later
comparison. "run" keeps the original five fields for tools that read them; "meta" says it all;
"causes" groups the failed and errored scenarios by root cause (`root_cause.py`)."""

from __future__ import annotations

import json
from typing import Any

from harness.report import RunInfo, redact_text, totals
from harness.report.meta import meta
from harness.report.root_cause import scenario_causes

RUN_FIELDS = ("target", "driver", "started", "duration_s", "command")


def run_meta(info: RunInfo) -> dict[str, Any]:
    """The "meta" block of a run (see harness/report/meta.py)."""
    return meta(
        started=info.started,
        duration_s=info.duration_s,
        command=info.command,
        driver=info.driver,
        target=info.target,
        chromium=info.chromium,
        scenario_files=info.scenario_files,
    )


def causes_block(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The root causes of the failures: each with its words, its key and its scenario ids."""
    return [
        {
            "cause": n,
            "from": c.check,
            "message": c.message,
            "key": c.key,
            "status": c.status,
            "count": c.count,
            "scenarios": c.members,
        }
        for n, c in enumerate(scenario_causes(scenarios), start=1)
    ]


def results_document(scenarios: list[dict[str, Any]], info: RunInfo) -> dict[str, Any]:
    """{"meta", "run", "totals", "causes", "scenarios"} from already redacted scenario dicts."""
    run = {name: getattr(info, name) for name in RUN_FIELDS}
    run["duration_s"] = round(info.duration_s, 3)
    run["command"] = redact_text(info.command)
    run["story_behaviour"] = info.story_behaviour
    return {
        "meta": run_meta(info),
        "run": run,
        "totals": totals(scenarios),
        "causes": causes_block(scenarios),
        "scenarios": scenarios,
    }


def render_json(scenarios: list[dict[str, Any]], info: RunInfo) -> str:
    """The document as UTF-8 text, indent 2, keys in the order the results give them."""
    document = results_document(scenarios, info)
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"
