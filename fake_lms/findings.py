"""What a check found, as typed fields, and the one function that puts it into words.

Every check of the project (the cmi5 rules the fake LMS applies, the scenario checks, certify's
and doctor's) returns a `Finding`. Its fields say what was judged (`check`, `requirement`,
`rule`), where (`path`), what was expected and what arrived (`expected`, `actual`), the verdict
(`status`) and what is particular to this case (`detail`, `cause`, `fix`, `evidence`). Tests
assert on these fields; `render` makes the sentence the reports, JUnit, `assert_received`,
certify and doctor print, so the wording lives in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any

# Verdicts. PASS, FAIL, WARN, UNSUPPORTED and SKIPPED (nothing to judge, which is no failure)
# are certify's; UNJUDGED is a scenario check's nothing to judge, which fails; OK, MISSING and
# WARNING are doctor's.
PASS, FAIL, WARN, UNSUPPORTED, SKIPPED = "pass", "fail", "warn", "unsupported", "skipped"
UNJUDGED = "unjudged"
OK, MISSING, WARNING = "ok", "missing", "warning"


class _Absent:
    """No value: a finding that compares nothing has neither `expected` nor `actual`."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
NOTHING_TO_JUDGE = "nothing to judge"


@dataclass(frozen=True)
class Finding:
    """One verdict of one check, with what it was judged on.

    `status` is the verdict in its registry's words (see the constants above). `evidence` holds
    what the finding was observed on (certify: the HTTP exchanges), `cause` what was diagnosed
    behind it, and `diagnose` whether a cause may be read from the evidence (False for a property
    of good answers, where the answer's status says nothing about the fault). `http_status` is
    the answer the finding calls for (the cmi5 rules: None means 403). `worded` findings (certify's)
    carry expected and actual for tests and tools while their detail stays the sentence shown.
    """

    status: str
    detail: str = ""  # words particular to this case (what was seen, why)
    evidence: Sequence[Any] = ()  # kept as a tuple
    _: KW_ONLY
    check: str = ""  # the id of the check or rule that found it
    requirement: str = ""  # where the rule is written: cmi5 id, spec section, seed sentence
    rule: str = ""  # what the rule requires, in words
    path: str = ""  # where in the request: a JSON path ("$.result.score"), "query:agent"
    expected: Any = ABSENT
    actual: Any = ABSENT
    cause: Any = None
    fix: str | None = None
    diagnose: bool = True
    http_status: int | None = None
    worded: bool = False  # `detail` already says what was expected and what came (certify's)

    def __post_init__(self) -> None:
        if not isinstance(self.evidence, tuple):
            object.__setattr__(self, "evidence", tuple(self.evidence))

    @property
    def passed(self) -> bool:
        return self.status in (PASS, OK)

    @property
    def judged(self) -> bool:
        """False when there was nothing to judge."""
        return self.status not in (UNJUDGED, SKIPPED)

    @property
    def message(self) -> str:
        """The finding in words (`render`)."""
        return render(self)

    @property
    def compares(self) -> bool:
        """Whether the finding states an expected value against an actual one."""
        return self.expected is not ABSENT


def rule_of(finding: Finding) -> str:
    """'<requirement>: <rule>', or whichever of them is given."""
    return ": ".join(part for part in (finding.requirement, finding.rule) if part)


def render(finding: Finding) -> str:
    """The finding in words.

    A finding that compares reads "<check>: as expected: expected X, got Y", failed ones with
    where the values differ, the detail and the rule; one with nothing to judge says what was
    missing. A finding that does not compare, or whose detail already words the comparison
    (`worded`), is its detail.
    """
    if finding.worded or not finding.compares:
        return finding.detail
    rule = rule_of(finding)
    if finding.status == UNJUDGED:
        return (
            f"{finding.check}: {NOTHING_TO_JUDGE}: {finding.detail}, so expected "
            f"{finding.expected!r} cannot be confirmed [rule: {rule}]"
        )
    verdict = "as expected" if finding.passed else "NOT as expected"
    message = f"{finding.check}: {verdict}: expected {finding.expected!r}, got {finding.actual!r}"
    differs = "" if finding.passed else difference(finding.expected, finding.actual)
    if differs:
        message += f" [differs at {differs}]"
    if finding.detail:
        message += f" ({finding.detail})"
    if not finding.passed:
        message += f" [rule: {rule}]"
    return message


def difference(expected: Any, actual: Any) -> str:
    """Where two values differ, in words: the keys or the first position that differ."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = [k for k in expected if not _same(expected[k], actual.get(k, ABSENT))]
        parts = [f"{k}: {actual.get(k, '<missing>')!r} for {expected[k]!r}" for k in keys[:4]]
        return "; ".join(parts)
    if isinstance(expected, list) and isinstance(actual, list):
        for index, (want, got) in enumerate(zip(expected, actual, strict=False)):
            if want != got:
                return f"item {index}: {got!r} for {want!r}"
        if len(expected) != len(actual):
            return f"{len(actual)} items for {len(expected)}"
    return ""


def _same(expected: Any, actual: Any) -> bool:
    """Equal, or a count stated as `{at_least: N}` that `actual` reaches."""
    if isinstance(expected, dict) and set(expected) == {"at_least"} and isinstance(actual, int):
        return bool(actual >= expected["at_least"])
    return bool(expected == actual)
