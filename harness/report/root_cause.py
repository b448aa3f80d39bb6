"""The root cause of a failed scenario: what one refusal or one broken step explains, read once.

A mutant that the LRS refuses fails a scenario in several checks at once (the outcome, the
delivery, the completion, the fields that cannot be judged): all of them follow from the LRS's
answer. So a scenario's cause is, in this order:

1. the first xAPI request the LRS refused: its status and the first violation's rule,
   requirement and JSON path, else its error text (a scenario expecting a refusal and failing
   gets another one, or none: a refusal there is its cause as well);
2. else the first step of the story that failed (a status of 400 or more, or an error: the
   fetch URL's refusals are read here);
3. else its first failed check; for an errored scenario, its error.

Scenarios with the same cause form one group (`harness.report.causes.group`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from harness.report.causes import Cause, group, normalise

_INDEX = re.compile(r"\[\d+\]")
# The bench names a scenario's mounts "s<index>-<hex>-<role>": the same cause names another one.
_MOUNT = re.compile(r"\bs\d+-[0-9a-f]{4}-(?=[a-z])")


def _masked(text: str, *, numbers: bool = True) -> str:
    """`normalise`d, the scenario's own mount names masked too."""
    return normalise(_MOUNT.sub("<mount>-", text), numbers=numbers)


def _resource(path: str) -> str:
    """The xAPI resource of a request path ('statements'): mount names differ."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def _violation(entry: dict[str, Any]) -> dict[str, Any] | None:
    for verdict in entry.get("verdicts") or []:
        for violation in verdict.get("violations") or []:
            if isinstance(violation, dict) and violation.get("rule"):
                return violation
    return None


def _refusal(scenario: dict[str, Any]) -> dict[str, Any] | None:
    refused = [
        e
        for e in scenario.get("journal") or []
        if e.get("method") != "OPTIONS"
        and int(e.get("status") or 0) >= 400
        and "/fetch/" not in str(e.get("path"))
    ]
    if not refused:
        return None
    entry = refused[0]
    resource = _resource(str(entry.get("path") or ""))
    answer = str(entry.get("answer") or entry.get("status"))
    violation = _violation(entry)
    if violation:
        where = violation.get("requirement") or violation.get("section") or ""
        path = _INDEX.sub("[*]", str(violation.get("path") or ""))
        key = f"{entry['status']} {violation['rule']} [{where}] at {path}"
    else:
        key = answer
    return {
        "check": "the LRS's answer",
        "message": f"{entry.get('method')} {resource}: the LRS answered {answer}",
        "key": f"{resource} {_masked(key, numbers=False)}",
        "rule": str(violation.get("section") or "") if violation else "",
    }


def _step(scenario: dict[str, Any]) -> dict[str, Any] | None:
    for step in (scenario.get("outcome") or {}).get("steps") or []:
        status = step.get("status")
        if step.get("error") or (isinstance(status, int) and status >= 400):
            said = step.get("error") or _error_of(step.get("body"))
            name = step.get("step") or "step"
            text = f"{step.get('method') or ''} {status or ''}: {said}".strip()
            return {
                "check": f"story step '{name}'",
                "message": f"the story's {name} step failed: {text}",
                "key": _masked(f"{name} {text}"),
            }
    return None


def _error_of(body: Any) -> str:
    """The error an answer's body states, else the body in one line."""
    try:
        data = json.loads(body) if isinstance(body, str) else body
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return " ".join(str(body or "").split())[:200]


def root_cause(scenario: dict[str, Any]) -> dict[str, Any] | None:
    """The item `group` takes for a scenario that failed or errored (None for any other): its
    cause in words (`message`), what it is read from (`check`) and what must match (`key`)."""
    status = scenario.get("status")
    if status == "error":
        message = scenario.get("message") or "error"
        item = {"check": "bench error", "message": message, "key": _masked(message), "rank": 0}
        return {**item, "member": scenario["id"], "status": "error"}
    if status != "failed":
        return None
    found = _refusal(scenario) or _step(scenario) or _first_check(scenario)
    return {**found, "member": scenario["id"], "status": "failed", "rank": 1}


def _first_check(scenario: dict[str, Any]) -> dict[str, Any]:
    failed = [c for c in scenario.get("checks") or [] if not c.get("passed")]
    first = failed[0] if failed else {"message": scenario.get("message") or "failed"}
    message = str(first.get("message") or "")
    return {
        "check": first.get("name", ""),
        "message": message,
        "rule": first.get("rule", ""),
        "key": _masked(message),
    }


def scenario_causes(scenarios: list[dict[str, Any]]) -> list[Cause]:
    """The causes of a run's failed and errored scenarios, one per cause, each with its
    scenarios; errors first, then the most widespread."""
    items = [item for s in scenarios if (item := root_cause(s)) is not None]
    return group(items, mask=str)
