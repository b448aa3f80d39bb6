"""Whether a browser judged the run: We Are is a page in the learner's browser."""

from __future__ import annotations

from typing import Any

from harness.certify.context import CertContext
from harness.certify.registry import PASS, WARN, WARNING, Finding, check

SEED = "seed: We Are runs in the learner's browser"


@check(
    "browser.judged",
    title="The story's own script ran in a browser",
    source=f"{SEED} (Fetch standard: CORS, mixed content)",
    severity=WARNING,
    why="Only a browser meets the LMS as We Are does: CORS on every answer, preflights, "
    "blocked redirects and mixed content are judged there and nowhere else.",
    fix="Run certify with its default browser driver (Chromium: `make setup`), or "
    "`certify --capture` in your own browser.",
)
def browser_judged(ctx: CertContext) -> Finding:
    compared: dict[str, Any] = {
        "requirement": SEED,
        "expected": "browser" if ctx.inputs.driver != "har" else "har",
        "actual": ctx.inputs.driver,
    }
    if ctx.inputs.driver == "har":
        return Finding(
            PASS,
            f"a browser recorded the launch (certify --har), We Are's page on {ctx.inputs.origin}",
            **compared,
        )
    if ctx.inputs.driver == "browser":
        return Finding(
            PASS,
            f"the reference story's script ran in a browser from {ctx.inputs.origin}",
            **compared,
        )
    return Finding(
        WARN,
        "not tested in a browser (--driver http): CORS on the fetch and xAPI answers, "
        "preflights, redirects and mixed content as a browser meets them were not judged; "
        "no behaviour can be better than works-with-warnings",
        diagnose=False,
        **compared,
    )
