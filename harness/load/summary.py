"""The load's findings as JSON: throughput, latency per request type, errors by cause, losses.

Built from Locust's request statistics (merged from every worker on a master) and the learners'
ledger; every string goes through the redaction of `fake_lms.redact` before it is written.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fake_lms.redact import KnownSecrets, redact_strings
from harness.load.config import LoadConfig
from harness.load.readback import LossCount


def _ms(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def request_rows(stats: Any) -> list[dict[str, Any]]:
    """Per request type (Locust's name): count, failures, percentiles and throughput."""
    rows = []
    for entry in sorted(stats.entries.values(), key=lambda e: (e.name, e.method)):
        if not entry.num_requests:
            continue
        rows.append(
            {
                "name": entry.name,
                "method": entry.method,
                "count": entry.num_requests,
                "failures": entry.num_failures,
                "p50_ms": _ms(entry.get_response_time_percentile(0.5)),
                "p90_ms": _ms(entry.get_response_time_percentile(0.9)),
                "p99_ms": _ms(entry.get_response_time_percentile(0.99)),
                "max_ms": _ms(entry.max_response_time),
                "per_s": round(entry.total_rps, 2),
            }
        )
    return rows


def error_rows(stats: Any, learners: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failed requests grouped by cause and request type, then learners that failed for a
    reason no failed request explains (the story gave up: no token, a refused statement...),
    and a run in which no learner got to the end: the LMS did not keep up at all."""
    rows: list[dict[str, Any]] = [
        {"cause": str(e.error), "request": f"{e.method} {e.name}", "count": e.occurrences}
        for e in stats.errors.values()
    ]
    reasons = Counter(
        learner["reason"].split(":")[0][:120]
        for learner in learners
        if learner.get("status") == "failed" and learner.get("reason")
    )
    rows += [
        {"cause": f"story failed: {reason}", "request": "learner", "count": count}
        for reason, count in reasons.items()
    ]
    if not any(learner.get("status") == "completed" for learner in learners):
        rows.append(
            {"cause": "no learner completed within the duration", "request": "learner", "count": 1}
        )
    return sorted(rows, key=lambda r: -r["count"])


def build(
    config: LoadConfig,
    stats: Any,
    learners: list[dict[str, Any]],
    losses: LossCount,
    *,
    seconds: float,
    workers: int,
    report: str | None,
) -> dict[str, Any]:
    """The JSON `--json` prints and results.json holds."""
    total = stats.total
    launched = [learner for learner in learners if learner.get("launched")]
    completed = sum(1 for learner in launched if learner.get("status") == "completed")
    sent = sum(len(learner.get("sent") or []) for learner in learners)
    loss_status, loss_reason = losses.status()
    result = {
        "target": config.target,
        "url": config.lms or config.endpoint or f"{len(config.launch_urls)} launch URLs",
        "behaviour": config.behaviour,
        "users": config.users,
        "workers": workers,
        "duration_s": round(seconds, 2),
        "launches": len(launched),
        "learners_completed": completed,
        "learners_failed": sum(1 for learner in launched if learner.get("status") == "failed"),
        "learners_per_s": round(completed / seconds, 2) if seconds > 0 else 0.0,
        "requests": total.num_requests,
        "requests_failed": total.num_failures,
        "requests_per_s": round(total.num_requests / seconds, 2) if seconds > 0 else 0.0,
        "statements_sent": sent,
        "statements_accepted": losses.accepted,
        "lost": losses.lost,
        "duplicated": losses.duplicated,
        "unverified": losses.unverified,
        "loss_check": {"status": loss_status, "reason": loss_reason},
        "p50_ms": _ms(total.get_response_time_percentile(0.5)) if total.num_requests else None,
        "p99_ms": _ms(total.get_response_time_percentile(0.99)) if total.num_requests else None,
        "by_request": request_rows(stats),
        "errors": error_rows(stats, launched),
        "report": report,
    }
    result["verdict"] = verdict(result)
    redacted: dict[str, Any] = redact_strings(result, KnownSecrets(config.secrets()))
    return redacted


def verdict(result: dict[str, Any]) -> str:
    """passed: nothing lost or duplicated and no request or learner failed; else failed."""
    bad = (
        result["lost"]
        or result["duplicated"]
        or result["requests_failed"]
        or result["learners_failed"]
        or result["errors"]
    )
    return "failed" if bad else "passed"
