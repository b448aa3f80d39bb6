"""What the capture page reports, as certify's evidence: its requests as Exchanges, and back to
the page the verdict it shows.

A page's record is data from a browser, so every field is checked for its type and bounded in
length; every string certify keeps is redacted with the run's known secrets (`clean`), the
unredacted answer only in `raw`, for the checks' own reading (a token, a statement id).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fake_lms.redact import redact_headers
from harness.certify.causes import BLOCKED_IN_BROWSER
from harness.certify.recorder import Exchange
from harness.certify.run import Certification, tone

BODY_LIMIT = 4000
LABELS = {
    "fetch": "fetch (POST)",
    "launch-data": "GET LMS.LaunchData",
    "preferences": "GET learner preferences",
}


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _label(step: dict[str, Any]) -> str:
    kind = str(step.get("step") or "")
    if kind != "statement":
        return LABELS.get(kind, kind[:40])
    statement = parse_json(str(step.get("request_body") or ""))
    verb = statement.get("verb") if isinstance(statement, dict) else None
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    word = verb_id.rsplit("/", 1)[-1] if isinstance(verb_id, str) else ""
    return f"POST {word or 'a'} statement"


def _headers(value: Any, clean: Callable[[str], str]) -> dict[str, str]:
    headers = value if isinstance(value, dict) else {}
    return {
        str(k)[:100]: clean(str(v))[:500]
        for k, v in redact_headers({str(k): str(v) for k, v in headers.items()}).items()
    }


def browser_exchange(
    step: dict[str, Any], clean: Callable[[str], str], where: str = "in the browser"
) -> Exchange:
    """One request the page made (or a recording holds, `where` says), as reports show it; no
    status means the browser gave none."""
    status = step.get("status")
    status = status if isinstance(status, int) and not isinstance(status, bool) else None
    text = str(step.get("response_text") or step.get("body") or "")
    ms = step.get("ms")
    error = None
    said = clean(str(step.get("error")))[:300]
    if status is None:  # the story's own timeout is no answer, not a refusal by the browser
        error = said if said.startswith("no answer within") else f"{BLOCKED_IN_BROWSER} ({said})"
    return Exchange(
        label=f"{where}: {_label(step)}",
        method=str(step.get("method") or "GET")[:10],
        url=clean(str(step.get("url") or ""))[:2000],
        request_headers=_headers(step.get("request_headers"), clean),
        request_body=clean(str(step.get("request_body") or ""))[:BODY_LIMIT],
        status=status,
        response_headers=_headers(step.get("response_headers"), clean),
        response_body=clean(text)[:BODY_LIMIT],
        error=error,
        seconds=float(ms) / 1000 if isinstance(ms, int | float) and ms >= 0 else 0.0,
        raw=text[:100_000],
    )


def page_verdict(cert: Certification) -> dict[str, Any]:
    """The verdict as the page shows it: the report's headline and colour, the requirement and
    the exit code it gives, per behaviour, what to fix, every check."""
    return {
        "verdict": cert.verdict,
        "headline": cert.headline,
        "tone": tone(cert.verdict),
        "require": cert.require,
        "requirement": cert.requirement(),
        "summary": cert.plain_words(),
        "exit_code": cert.exit_code,
        "behaviours": {n: b.as_dict() for n, b in cert.behaviours.items()},
        "top_fixes": cert.top_fixes(),
        "counts": cert.counts(),
        "checks": [
            {
                "id": o.check.id,
                "title": o.check.title,
                "status": o.status,
                "severity": o.check.severity,
                "rule": o.check.source,
                "detail": o.finding.message,
                "fix": o.fix if o.status in ("fail", "warn", "unsupported") else None,
                "blocks": o.blocks,
            }
            for o in cert.ordered()
        ],
    }
