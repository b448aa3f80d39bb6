"""A policy's verdict on a request, and how the LRS acts on it.

A policy (`fake_lms.xapi.policy.Policy`) judges and returns a `Verdict`: accepted (nothing
found), observed (rules broken, recorded, the request served) or refused (rules broken,
recorded, the request answered with its `Refusal`). The LRS records the findings in the journal
and raises its own error for a refusal (`act_on`); the policy never touches the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from flask import g

from fake_lms.xapi.protocol import XAPIError


@dataclass(frozen=True)
class BrokenRules:
    """Rules one part of a request breaks (`what`: "request", "statements", "state", ...)."""

    what: str
    violations: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Refusal:
    """How a refused request is answered: the status, the rule in words, where it is written."""

    status: int
    rule: str
    section: str
    path: str = ""
    requirement: str | None = None
    violations: tuple[dict[str, Any], ...] = ()

    def error(self) -> XAPIError:
        return XAPIError(
            self.status,
            self.rule,
            self.section,
            self.path,
            violations=list(self.violations) or None,
            requirement=self.requirement,
        )


@dataclass(frozen=True)
class Verdict:
    """What a policy found in a request; `profile` names its findings in the journal."""

    profile: str = ""
    findings: tuple[BrokenRules, ...] = ()
    refusal: Refusal | None = None

    @property
    def kind(self) -> Literal["accepted", "observed", "refused"]:
        if self.refusal is not None:
            return "refused"
        return "observed" if self.findings else "accepted"

    def journal_entries(self) -> list[dict[str, Any]]:
        word = "refused" if self.refusal is not None else "violation (observed)"
        return [
            {"verdict": word, "what": f.what, self.profile: list(f.violations)}
            for f in self.findings
        ]


ACCEPTED = Verdict()


def act_on(verdict: Verdict) -> None:
    """Record the verdict's findings in the request's journal entry (a finding the request
    already holds, judged again inside a write transaction, is not recorded twice), then
    refuse the request if the verdict says so."""
    recorded = g.setdefault("verdicts", [])
    for entry in verdict.journal_entries():
        if entry not in recorded:
            recorded.append(entry)
    if verdict.refusal is not None:
        raise verdict.refusal.error()
