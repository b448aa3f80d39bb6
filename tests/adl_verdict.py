"""The verdict of one run of ADL's LRS conformance suite, counted from its JSON run log.

The suite's exit code is its failure count modulo 256, so it is never read. The log is a tree of
suites whose leaves are tests with a status; a before-all hook that fails marks its suite failed
and hides the tests under it, so the passed tests are also counted against the number the tree
holds (the larger of the known count for the suite's commit and the total its runner announced).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Tests in the tree of adlnet/lrs-conformance-test-suite at 2ec25f2e (test/v1_0_3, test/v2_0).
TREE_TESTS = {"1.0.3": 1365, "2.0.0": 1442}
SHOWN = 40  # failures named in full; the rest are counted


@dataclass(frozen=True)
class Verdict:
    version: str
    expected: int
    passed: int
    failures: list[str] = field(default_factory=list)
    state: str = "finished"

    @property
    def problems(self) -> list[str]:
        """Why the run is short of 100 %; empty when every test in the tree passed."""
        out: list[str] = []
        if self.state != "finished":
            out.append(f"the run ended in state {self.state!r}, not 'finished'")
        if self.failures:
            out.append(f"{len(self.failures)} failed:")
            out.extend(f"  {name}" for name in self.failures[:SHOWN])
            if len(self.failures) > SHOWN:
                out.append(f"  … and {len(self.failures) - SHOWN} more")
        if self.passed < self.expected:
            out.append(f"{self.passed} of the tree's {self.expected} tests passed")
        return out

    def summary(self) -> str:
        return f"xAPI {self.version}: {self.passed}/{self.expected} passed"


def _walk(node: dict[str, Any], path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], dict]]:
    title = str(node.get("title") or "").strip()
    here = (*path, title) if title else path
    yield here, node
    for child in node.get("tests") or []:
        yield from _walk(child, here)


def verdict(log: dict[str, Any], version: str) -> Verdict:
    """Count `log` (the parsed run log of a run on xAPI `version`)."""
    summary = log.get("summary") or {}
    expected = max(TREE_TESTS.get(version, 0), int(summary.get("total") or 0))
    passed = 0
    failures: list[str] = []
    for path, node in _walk(log.get("log") or {}, ()):
        leaf = not node.get("tests")
        if leaf and node.get("status") == "passed" and not node.get("error"):
            passed += 1
        elif leaf or node.get("error"):  # a test not passed, or a suite whose hook failed
            error = " ".join(str(node.get("error") or node.get("status") or "not run").split())
            failures.append(f"{' › '.join(path) or '(root)'}: {error[:300]}")
    return Verdict(version, expected, passed, failures, str(log.get("state") or "missing"))
