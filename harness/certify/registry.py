"""certify's check registry: each check registers itself with `@check`, next to its function.

In the style of Schemathesis' `@check`: a check is a plain function of the context returning a
`fake_lms.findings.Finding` (status, detail, the exchanges it judged as `evidence`, and a `cause`
when the check names one); the decorator carries its id, title, source (cmi5 requirement id, xAPI section or seed
sentence), severity and the behaviours whose verdict it decides. Guard decorators
(`@requires_launch_url`, `@requires_response`, ...) answer SKIPPED with the reason when a check
has nothing to judge, so no check can pass without evidence. Credentials and destination are
set up by the flow (`harness/certify/flow.py`), which records why a request was not sent; the
response guards report that reason. `REGISTRY` lists every check in the order the report shows
them (the order a We Are launch meets them).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fake_lms.findings import FAIL, PASS, SKIPPED, UNSUPPORTED, WARN, Finding
from fake_lms.registry import Registry
from harness.console import noun

if TYPE_CHECKING:
    from harness.certify.context import CertContext

__all__ = [
    "BEHAVIOURS",
    "BLOCKER",
    "BOTH",
    "FAIL",
    "PASS",
    "REGISTRY",
    "SKIPPED",
    "STATUSES",
    "UNSUPPORTED",
    "WARN",
    "WARNING",
    "CertCheck",
    "Finding",
    "check",
    "guard",
    "requires_launch_url",
    "requires_readable_launch",
    "requires_response",
    "requires_sent",
]

STATUSES = (PASS, WARN, FAIL, UNSUPPORTED, SKIPPED)
BLOCKER, WARNING = "blocker", "warning"  # completions will not arrive / arrive, degraded
BEHAVIOURS = ("weare-documented", "cmi5-full")
BOTH = BEHAVIOURS


CheckFunc = Callable[["CertContext"], Finding]


@dataclass(frozen=True)
class CertCheck:
    id: str
    title: str
    source: str  # cmi5 requirement id, xAPI section or seed sentence
    severity: str  # BLOCKER or WARNING
    why: str
    fix: str  # the fix when no observed cause says better
    func: CheckFunc
    behaviours: tuple[str, ...] = BOTH
    core: bool = False  # a behaviour works only if its core checks pass


REGISTRY: Registry[CertCheck] = Registry("check", lambda c: c.id)


def check(
    id: str,
    *,
    title: str,
    source: str,
    severity: str,
    why: str,
    fix: str,
    behaviours: tuple[str, ...] = BOTH,
    core: bool = False,
) -> Callable[[CheckFunc], CheckFunc]:
    """Register the decorated function as a certify check (ids are unique)."""
    if severity not in (BLOCKER, WARNING):
        raise ValueError(f"check {id!r}: severity {severity!r} is not blocker or warning")
    unknown = set(behaviours) - set(BEHAVIOURS)
    if unknown:
        raise ValueError(
            f"check {id!r}: unknown {noun(len(unknown), 'behaviour')} {sorted(unknown)}"
        )

    return REGISTRY.register(
        lambda func: CertCheck(id, title, source, severity, why, fix, func, tuple(behaviours), core)
    )


def guard(reason: Callable[[CertContext], str | None]) -> Callable[[CheckFunc], CheckFunc]:
    """A guard decorator: when `reason(ctx)` names a reason, the check is SKIPPED with it."""

    def wrap(func: CheckFunc) -> CheckFunc:
        @functools.wraps(func)
        def guarded(ctx: CertContext) -> Finding:
            why = reason(ctx)
            if why:
                return Finding(SKIPPED, why)
            return func(ctx)

        return guarded

    return wrap


requires_launch_url = guard(lambda ctx: None if ctx.has_launch else "no launch URL given")
requires_readable_launch = guard(
    lambda ctx: (
        "no launch URL given"
        if not ctx.has_launch
        else (f"the launch URL is unreadable: {ctx.launch_error}" if ctx.launch_error else None)
    )
)


def requires_response(*names: str) -> Callable[[CheckFunc], CheckFunc]:
    """SKIPPED unless every named request was sent and answered (a network error is no answer)."""

    def reason(ctx: CertContext) -> str | None:
        for name in names:
            ex = ctx.sent.get(name)
            if ex is None:
                return f"not sent ({ctx.not_sent.get(name, 'nothing to send it with')})"
            if ex.status is None:
                return f"no response to judge: {ex.label} got {ex.error}"
        return None

    return guard(reason)


def requires_sent(name: str) -> Callable[[CheckFunc], CheckFunc]:
    """SKIPPED unless the named request was sent (an error reaching it is then judged)."""

    def reason(ctx: CertContext) -> str | None:
        if name in ctx.sent:
            return None
        return f"not sent ({ctx.not_sent.get(name, 'nothing to send it with')})"

    return guard(reason)
