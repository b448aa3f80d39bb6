"""Play both We Are behaviours, run every registered check, and reach a verdict per behaviour.

A behaviour's verdict comes from blocker-severity checks only: a failed blocker (or a core
check that did not pass) means `will-not-work`, its reason naming every blocker; a failed
warning-severity check, a warning or an unsupported feature means `works-with-warnings`. A
behaviour that could not be played at all is `not-tested` with its reason and counts as not
working.

The overall verdict never says plain `works` unless both behaviours work: `works` (both, no
warning), `works-with-warnings` (both, some warning), `works-only-with-NAME` (the other will
not work), `works-with-NAME-OTHER-not-tested` (the other could not be played) and
`will-not-work` (none works). The exit code follows the requirement (`--require`): `any`
behaviour working, `both`, or one named behaviour; `unmet()` names the behaviours that fail it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import harness.certify.checks  # noqa: F401  (registers every check)
from fake_lms.findings import render
from fake_lms.redact import redact_text
from harness.certify.causes import Cause, diagnose
from harness.certify.context import TEST_EXTENSION, CertContext, CertInputs
from harness.certify.flow import STEPS, Unreachable, play, probe
from harness.certify.recorder import Exchange, secret_forms
from harness.certify.registry import (
    BEHAVIOURS,
    BLOCKER,
    FAIL,
    PASS,
    REGISTRY,
    UNSUPPORTED,
    WARN,
    CertCheck,
    Finding,
)
from harness.version import tool_version

WORKS, WITH_WARNINGS, WILL_NOT_WORK = "works", "works-with-warnings", "will-not-work"
NOT_TESTED = "not-tested"
VERDICTS = (WORKS, WITH_WARNINGS, WILL_NOT_WORK)
WORKING = (WORKS, WITH_WARNINGS)
ANY, BOTH = "any", "both"
REQUIREMENTS = (ANY, BOTH, *BEHAVIOURS)  # what --require accepts; ANY by default
FLOW_NAMES = {"weare-documented": "We Are's documented flow", "cmi5-full": "the full cmi5 flow"}
DETAIL_LIMIT = 160  # characters of each blocker's detail in a behaviour's reason

__all__ = [
    "Certification",
    "CheckOutcome",
    "Unreachable",
    "certify",
    "conclude",
    "notice",
    "start",
]


@dataclass
class CheckOutcome:
    check: CertCheck
    finding: Finding
    cause: Cause | None = None

    @property
    def status(self) -> str:
        return self.finding.status

    @property
    def blocks(self) -> bool:
        return self.status == FAIL and self.check.severity == BLOCKER

    @property
    def fix(self) -> str:
        return self.cause.fix if self.cause else self.check.fix

    @property
    def curl(self) -> str | None:
        return self.finding.evidence[0].curl() if self.finding.evidence else None

    def as_dict(self) -> dict[str, Any]:
        c, f = self.check, self.finding
        advice = {
            "observed": self.cause.observed if self.cause else render(f),
            "why": self.cause.why if self.cause else c.why,
            "fix": self.fix,
            "cause": self.cause.name if self.cause else None,
        }
        return {
            "id": c.id,
            "title": c.title,
            "rule": c.source,
            "severity": c.severity,
            "behaviours": list(c.behaviours),
            "status": f.status,
            "detail": render(f),
            "why_it_matters": c.why,
            "how_to_fix": self.fix,
            "advice": advice if f.status in (FAIL, WARN, UNSUPPORTED) else None,
            "curl": self.curl if f.status in (FAIL, WARN, UNSUPPORTED) else None,
            "exchanges": [e.as_dict() for e in f.evidence],
        }


@dataclass
class BehaviourResult:
    name: str
    verdict: str
    reason: str
    blockers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "blockers": self.blockers,
            "warnings": self.warnings,
        }


def judge_behaviour(name: str, outcomes: list[CheckOutcome], ctx: CertContext) -> BehaviourResult:
    if name in ctx.not_tested:
        return BehaviourResult(name, NOT_TESTED, ctx.not_tested[name])
    mine = [o for o in outcomes if name in o.check.behaviours]
    blockers = [o for o in mine if o.blocks]
    blockers += [o for o in mine if o.check.core and o.status != PASS and o not in blockers]
    warnings = [o for o in mine if o.status in (FAIL, WARN, UNSUPPORTED) and o not in blockers]
    ids = [o.check.id for o in blockers]
    if blockers:
        reason = "; ".join(
            f"{o.check.id} {o.status}: {shorten(render(o.finding))}" for o in blockers
        )
        return BehaviourResult(name, WILL_NOT_WORK, reason, ids, [o.check.id for o in warnings])
    if warnings:
        reason = "completions arrive; " + ", ".join(f"{o.check.id} {o.status}" for o in warnings)
        return BehaviourResult(name, WITH_WARNINGS, reason, [], [o.check.id for o in warnings])
    return BehaviourResult(name, WORKS, "every check that applies passed or had nothing to judge")


def shorten(detail: str, limit: int = DETAIL_LIMIT) -> str:
    """A finding's detail cut to `limit` characters (an ellipsis says it was cut)."""
    return detail if len(detail) <= limit else detail[: limit - 1].rstrip() + "…"


def overall(behaviours: dict[str, BehaviourResult]) -> str:
    """The verdict on the whole: plain `works` only when both behaviours work."""
    working = [n for n in BEHAVIOURS if behaviours[n].verdict in WORKING]
    if len(working) == len(BEHAVIOURS):
        all_clean = all(behaviours[n].verdict == WORKS for n in BEHAVIOURS)
        return WORKS if all_clean else WITH_WARNINGS
    if not working:
        return WILL_NOT_WORK
    (name,) = working
    (other,) = [n for n in BEHAVIOURS if n != name]
    if behaviours[other].verdict == NOT_TESTED:
        return f"works-with-{name}-{other}-not-tested"
    return f"works-only-with-{name}"


def headline(verdict: str) -> str:
    """The verdict as a report's headline says it (upper case, the flows named in words)."""
    for name, words in FLOW_NAMES.items():
        other = next(n for n in BEHAVIOURS if n != name)
        if verdict == f"works-only-with-{name}":
            return f"WORKS ONLY WITH {upper(words)}"
        if verdict == f"works-with-{name}-{other}-not-tested":
            return f"WORKS WITH {upper(words)}; {upper(FLOW_NAMES[other])} WAS NOT TESTED"
    return verdict.upper().replace("-", " ")


def upper(words: str) -> str:
    """Upper case, keeping the name 'cmi5' as it is spelled."""
    return words.upper().replace("CMI5", "cmi5")


def tone(verdict: str) -> str:
    """The headline's colour class: `works`, `will-not-work` or `partial` (amber)."""
    return verdict if verdict in (WORKS, WILL_NOT_WORK) else "partial"


def unmet(require: str, behaviours: dict[str, BehaviourResult]) -> list[str]:
    """The behaviours whose verdict fails the requirement (none: certify exits 0)."""
    broken = [n for n in BEHAVIOURS if behaviours[n].verdict not in WORKING]
    if require == ANY:
        return broken if len(broken) == len(BEHAVIOURS) else []
    if require == BOTH:
        return broken
    if require in BEHAVIOURS:
        return [require] if require in broken else []
    raise ValueError(f"unknown requirement {require!r}; expected one of {REQUIREMENTS}")


@dataclass
class Certification:
    inputs: CertInputs
    outcomes: list[CheckOutcome]
    behaviours: dict[str, BehaviourResult]
    destination: str | None
    credentials: str | None
    exchanges: list[Exchange]
    started_at: str
    duration_s: float
    notes: dict[str, Any] = field(default_factory=dict)
    launch_urls: list[str] = field(default_factory=list)  # as reports show them (redacted)
    require: str = ANY  # which behaviours must work for exit 0 (--require)
    secrets: list[str] = field(default_factory=list, repr=False)  # the run's, kept out of reports

    @property
    def verdict(self) -> str:
        return overall(self.behaviours)

    @property
    def headline(self) -> str:
        return headline(self.verdict)

    def unmet(self) -> list[str]:
        """The behaviours the requirement needs that do not work."""
        return unmet(self.require, self.behaviours)

    @property
    def exit_code(self) -> int:
        return 1 if self.unmet() else 0

    def requirement(self) -> str:
        """What --require asked and whether it is met: the exit code's reason, in words."""
        missing = self.unmet()
        asked = {ANY: "at least one behaviour works", BOTH: "both behaviours work"}.get(
            self.require, f"{self.require} works"
        )
        if not missing:
            return f"requirement met (--require {self.require}: {asked}): exit 0"
        verb = "does" if len(missing) == 1 else "do"
        return (
            f"requirement not met (--require {self.require}: {asked}; "
            f"{' and '.join(missing)} {verb} not): exit 1"
        )

    def clean(self, text: str) -> str:
        """Text as reports may show it: this run's secrets (raw, URL- or JSON-encoded) hidden."""
        return redact_text(text, secret_forms(self.secrets))

    def failed(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if o.status == FAIL]

    def ordered(self) -> list[CheckOutcome]:
        """Blockers first, then warnings, then the rest, each in registry order."""

        def rank(o: CheckOutcome) -> int:
            if o.blocks:
                return 0
            if o.status in (FAIL, WARN, UNSUPPORTED):
                return 1
            return 2

        return sorted(self.outcomes, key=rank)

    def top_fixes(self, limit: int = 5) -> list[str]:
        grouped: dict[str, list[CheckOutcome]] = {}
        for o in self.ordered():
            if o.status in (FAIL, WARN):
                grouped.setdefault(o.fix, []).append(o)
        return [
            f"{', '.join(o.check.id for o in group)} ({group[0].check.severity}): {fix}"
            for fix, group in list(grouped.items())[:limit]
        ]

    def plain_words(self) -> str:
        """The verdict per behaviour in one sentence a vendor can forward."""
        doc = self.behaviours["weare-documented"]
        full = self.behaviours["cmi5-full"]
        completed = next(o for o in self.outcomes if o.check.id == "statement.completed")
        if (
            doc.verdict == WILL_NOT_WORK
            and full.verdict in WORKING
            and completed.cause is not None
            and completed.cause.name == "cmi5-rule"
        ):
            return (
                "This LMS enforces cmi5 session rules; We Are's documented flow is refused "
                f"(403, cmi5 {completed.cause.requirement}), the full cmi5 flow works."
            )
        words = {
            WORKS: "works",
            WITH_WARNINGS: "works, with warnings",
            WILL_NOT_WORK: "will not work",
            NOT_TESTED: "was not tested",
        }
        return (
            f"We Are's documented flow {words[doc.verdict]}; "
            f"the full cmi5 flow {words[full.verdict]}"
            + (f" ({full.reason})" if full.verdict == NOT_TESTED else "")
            + "."
        )

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("pass", "warn", "fail", "unsupported", "skipped")}
        for o in self.outcomes:
            out[o.status] += 1
        out["checks"] = len(self.outcomes)
        out["requests"] = len(self.exchanges)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "headline": self.headline,
            "require": self.require,
            "require_met": not self.unmet(),
            "exit_code": self.exit_code,
            "summary": self.plain_words(),
            "behaviours": {n: b.as_dict() for n, b in self.behaviours.items()},
            "tool_version": tool_version(),
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "target": {
                "launch_urls": list(self.launch_urls),
                "endpoint": self.inputs.endpoint,
                "destination": self.destination,
            },
            "options": {
                "origin": self.inputs.origin,
                "timeout": self.inputs.timeout,
                "api_key": "given" if self.inputs.api_key else None,
            },
            "destination": self.destination,
            "credentials": self.credentials,
            "origin": self.inputs.origin,
            "counts": self.counts(),
            "top_fixes": self.top_fixes(),
            "cmi5_launch": self.notes.get("cmi5_launch"),
            "capture": self.notes.get("capture"),
            "har": self.notes.get("har"),
            "checks": [o.as_dict() for o in self.outcomes],
            "exchanges": [e.as_dict() for e in self.exchanges],
        }


def notice(inputs: CertInputs) -> str:
    """What certify will write, said before it writes anything."""
    return (
        "certify plays We Are against your system. It writes only what a We Are launch writes: "
        "test copies of the Completed statement (marked with the context extension "
        f"{TEST_EXTENSION}), one of them with wrong credentials (to see it refused), one "
        "malformed statement (to see it refused) and, for the full cmi5 flow, a cmi5 session "
        "(initialized, completed, terminated). It calls each fetch URL at most twice. "
        f"Every request times out after {inputs.timeout:g} s."
    )


def run_checks(ctx: CertContext) -> list[CheckOutcome]:
    outcomes = []
    for check in REGISTRY:
        try:
            finding = check.func(ctx)
        except Exception as exc:  # a check that breaks is reported, never crashes certify
            finding = Finding(FAIL, f"the check itself failed: {type(exc).__name__}: {exc}")
        requirement = finding.requirement or check.source
        finding = replace(finding, check=check.id, requirement=requirement, worded=True)
        cause = finding.cause
        failed = finding.status in (FAIL, WARN, UNSUPPORTED)
        if cause is None and failed and finding.diagnose and finding.evidence:
            cause = diagnose(finding.evidence[0], ctx.http.exchanges)
        outcomes.append(CheckOutcome(check, finding, cause))
    return outcomes


def start(inputs: CertInputs) -> CertContext:
    """Read the inputs and make sure something answers; raises Unreachable when nothing does."""
    ctx = CertContext.create(inputs)
    ctx.notes["started"] = datetime.now(UTC)
    probe(ctx)
    return ctx


STAGES = len(STEPS) + 1  # play's steps, then the checks: what certify's progress bar counts


def certify(
    inputs: CertInputs,
    ctx: CertContext | None = None,
    advance: Callable[[int], None] | None = None,
) -> Certification:
    """Play We Are against the target; raises Unreachable when nothing there answers.

    `advance(1)` is called after each of the `STAGES` (play's steps, then the checks).
    """
    ctx = ctx or start(inputs)
    tick = advance or (lambda _n: None)
    play(ctx, lambda: tick(1))
    return conclude(ctx, tick=tick)


def conclude(
    ctx: CertContext,
    exchanges: list[Exchange] | None = None,
    tick: Callable[[int], None] | None = None,
) -> Certification:
    """Run every check on what was gathered and reach the verdicts; `exchanges` is the evidence
    when it holds more than certify's own requests (the capture page's, from the browser);
    `tick(1)` is called once the checks have run."""
    inputs = ctx.inputs
    started = ctx.notes.pop("started")
    outcomes = run_checks(ctx)
    if tick:
        tick(1)
    behaviours = {name: judge_behaviour(name, outcomes, ctx) for name in BEHAVIOURS}
    return Certification(
        inputs=inputs,
        outcomes=outcomes,
        behaviours=behaviours,
        destination=ctx.destination,
        credentials=ctx.credentials,
        exchanges=list(ctx.http.exchanges if exchanges is None else exchanges),
        started_at=started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        duration_s=(datetime.now(UTC) - started).total_seconds(),
        notes=dict(ctx.notes),
        launch_urls=[ctx.http.clean(url) for url in inputs.launch_urls],
        secrets=ctx.http.secrets,  # the recorder's own list: tokens fetched later join it
    )
