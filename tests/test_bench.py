"""`make bench` end to end on a tiny load: both LRSs measured, their ratio, the growth table, the file.

Ralph's own file backend answers 500 to every write after the first; the bench's launcher makes
it append, so a run with several POSTs to Ralph has no failure only if the launcher works.
Speed is not judged here (it lives in `make bench`), only that the figures are all there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
RALPH = ROOT / ".harness" / "ralph-venv" / "bin" / "ralph"


def test_bench_measures_both_lrss_and_the_growth_table(tmp_path: Path) -> None:
    out = tmp_path / "bench" / "results.json"
    tiny = ["--singles", "5", "--batches", "2", "--batch-size", "5", "--gets", "3"]
    done = subprocess.run(
        [sys.executable, "bench/lrs_bench.py", *tiny, "--growth-max", "50", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text())
    ours = results["targets"]["weare-harness"]
    assert ours["batched"]["statements"] == 4 * 2 * 5 and ours["single"]["requests"] == 5
    assert ours["get"]["matched"] >= 1 and ours["get"]["p50_ms"] > 0
    if RALPH.exists():
        theirs = results["targets"]["Ralph"]
        for phase in ("single", "batched", "get"):
            assert theirs[phase]["failures"] == 0, theirs[phase]
        assert theirs["batched"]["statements"] == 40 and theirs["get"]["matched"] >= 1
        assert all(v and v > 0 for v in results["ratios"].values()), results["ratios"]
        assert "weare-harness" in done.stdout and "Ralph" in done.stdout and "×" in done.stdout
    else:
        assert "Ralph is not installed" in results["targets"]["Ralph"]["skipped"]
        assert "Ralph is not installed" in done.stdout
    assert [row["statements"] for row in results["growth"]] == [0, 50]
    grown = results["growth"][1]["filters"]
    # the 20 probe statements share one registration: a full page of 10
    assert grown["registration"]["returned"] == 10 and grown["agent"]["returned"] == 10
    for name, got in grown.items():
        assert got["failures"] == 0 and got["p50_ms"] > 0 and got["store_p50_ms"] > 0, name
