"""Run certify's checks in order and reach a verdict: works, works with warnings, will not work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.certify.checks import CHECKS, FAIL, UNSUPPORTED, WARN, CertCheck, Finding
from harness.certify.context import TEST_EXTENSION, CertContext, CertInputs

VERDICTS = ("works", "works with warnings", "will not work")


@dataclass
class CheckOutcome:
    check: CertCheck
    finding: Finding

    def as_dict(self) -> dict[str, Any]:
        c, f = self.check, self.finding
        return {
            "id": c.id,
            "title": c.title,
            "rule": c.rule,
            "status": f.status,
            "detail": f.detail,
            "why_it_matters": c.why,
            "how_to_fix": c.fix,
            "exchanges": [e.as_dict() for e in f.exchanges],
        }


@dataclass
class Certification:
    inputs: CertInputs
    outcomes: list[CheckOutcome]
    destination: str | None
    credentials: str | None
    exchange_count: int

    @property
    def verdict(self) -> str:
        statuses = {o.finding.status for o in self.outcomes}
        if FAIL in statuses:
            return "will not work"
        if statuses & {WARN, UNSUPPORTED}:
            return "works with warnings"
        return "works"

    def failed(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if o.finding.status == FAIL]

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "destination": self.destination,
            "credentials": self.credentials,
            "origin": self.inputs.origin,
            "launch_urls": len(self.inputs.launch_urls),
            "requests": self.exchange_count,
            "checks": [o.as_dict() for o in self.outcomes],
        }


def notice(inputs: CertInputs) -> str:
    """What certify will write, said before it writes anything."""
    return (
        "certify plays We Are against your system. It writes only what a We Are launch writes: "
        "up to three test copies of the Completed statement (marked with the context extension "
        f"{TEST_EXTENSION}), one of them with wrong credentials (to see it refused), and one "
        "malformed statement (to see it refused). It calls each fetch URL at most twice. "
        f"Every request times out after {inputs.timeout:g} s."
    )


def certify(inputs: CertInputs) -> Certification:
    ctx = CertContext.create(inputs)
    outcomes = []
    for check in CHECKS:
        try:
            finding = check.func(ctx)
        except Exception as exc:  # a check that breaks is reported, never crashes certify
            finding = Finding(FAIL, f"the check itself failed: {type(exc).__name__}: {exc}")
        outcomes.append(CheckOutcome(check, finding))
    return Certification(
        inputs, outcomes, ctx.destination, ctx.credentials, len(ctx.http.exchanges)
    )
