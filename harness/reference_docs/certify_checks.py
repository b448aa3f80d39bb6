"""certify's checks (id, severity, rule, behaviours) and the causes its advice can name."""

from __future__ import annotations

from harness.certify.causes import CAUSES
from harness.certify.checks import REGISTRY
from harness.reference_docs.markdown import header, table

INTRO = (
    "Every check `weare-harness certify` runs, in the order the report shows them. A failed "
    "*blocker* means completions will not arrive; a failed *warning*, that they arrive degraded. "
    "A behaviour's verdict comes from its blockers only; a *core* check must pass for the "
    "behaviour to work at all. A check with nothing to judge is SKIPPED with its reason, never "
    "passed. What the verdicts mean: [Verdicts](../explanation/verdicts.md)."
)

CAUSES_INTRO = (
    "The advice for a check that did not pass is chosen from the cause observed, not fixed per "
    "check: the first cause below that explains the check's first exchange (given every "
    "exchange before it) names what was observed, why it matters and how to fix it, with a "
    "`curl` line. Only when none matches (a well-formed answer wrong in substance) does the "
    "check's own fix, in the table above, apply. `performance.response-times` names its cause "
    "itself (`slow-answer`: the slowest answer against the limit)."
)


def page() -> str:
    rows = [
        (
            f"`{c.id}`",
            c.severity + (" (core)" if c.core else ""),
            ", ".join(c.behaviours),
            c.title,
            c.source,
            c.fix,
        )
        for c in REGISTRY
    ]
    causes = [(f"`{name}`", (func.__doc__ or "").strip().split("\n\n")[0]) for name, func in CAUSES]
    return "\n".join(
        [
            *header(
                "Certify checks", "certify's check registry (`harness/certify/checks/`)", INTRO
            ),
            *table(("Id", "Severity", "Behaviours", "What it checks", "Rule", "Fix"), rows),
            "",
            "## Causes",
            "",
            CAUSES_INTRO,
            "",
            *table(("Cause, in the order tried", "Notes"), causes),
            "",
        ]
    )
