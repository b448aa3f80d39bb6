"""Score a `mutmut run` per verdict-bearing module against its floor; exit 1 below a floor.

mutmut (3.x) leaves one `mutants/<source>.meta` per mutated file: each mutant's exit code,
which its own table turns into a status. A mutant counts as caught when the tests it ran failed
or timed out; as missed when they passed or when no test reached it ("no tests": the tests never
run the mutated function); mutants listed in mutation/equivalents.toml are left out, each with
its reason, as long as the mutant's diff is still the one listed (a changed function voids the
listing, and the mutant counts again). The score is caught / (all − equivalent).

    .venv/bin/python mutation/score.py [--floor 90] [--show-missed]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = Path(__file__).with_name("equivalents.toml")
# The verdict-bearing modules and their mutant-name prefixes (mutmut names a mutant
# `<module>.x_<function>__mutmut_<n>`, methods `<module>.xǁ<Class>ǁ<method>__mutmut_<n>`).
MODULES = {
    "fake_lms/cmi5/rules.py": "fake_lms.cmi5.rules.",
    "fake_lms/xapi/validation.py": "fake_lms.xapi.validation.",
    "fake_lms/xapi/compare.py": "fake_lms.xapi.compare.",
    "harness/checks.py": "harness.checks.",
    "harness/certify/checks/": "harness.certify.checks.",
}
CAUGHT = {1, 3, 36, 37, -24, 24, 152, 255, -11, -9}  # failed, timed out, crashed
MISSED = {0, 5, 33}  # passed; no test reached it


@dataclass
class Tally:
    caught: int = 0
    missed: list[str] = field(default_factory=list)
    equivalent: int = 0
    other: Counter[int | None] = field(default_factory=Counter)

    @property
    def judged(self) -> int:
        return self.caught + len(self.missed)

    @property
    def score(self) -> float | None:
        return 100 * self.caught / self.judged if self.judged else None


def results(root: Path) -> dict[str, int | None]:
    """Every mutant's exit code, from the .meta files of `root`/mutants."""
    codes: dict[str, int | None] = {}
    for meta in sorted((root / "mutants").rglob("*.meta")):
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])
    return codes


def diff_digest(mutant: str) -> str:
    """A digest of the mutant's diff as `mutmut show` prints it (without its status line)."""
    shown = subprocess.run(
        [sys.executable, "-m", "mutmut", "show", mutant],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    body = "\n".join(line for line in shown.splitlines() if not line.startswith("# "))
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def equivalents(path: Path = EQUIVALENTS) -> dict[str, dict[str, str]]:
    """mutation/equivalents.toml: [[equivalent]] mutant, diff (digest), reason; checked."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise SystemExit(f"{path}: not TOML: {exc}") from None
    listed: dict[str, dict[str, str]] = {}
    for i, entry in enumerate(data.get("equivalent", [])):
        missing = [k for k in ("mutant", "diff", "reason") if not str(entry.get(k, "")).strip()]
        if missing:
            raise SystemExit(f"{path}: equivalent #{i + 1} lacks {', '.join(missing)}")
        listed[entry["mutant"]] = entry
    return listed


def tally(codes: dict[str, int | None], listed: dict[str, dict[str, str]]) -> dict[str, Tally]:
    out = {module: Tally() for module in MODULES}
    for mutant, code in codes.items():
        module = next((m for m, prefix in MODULES.items() if mutant.startswith(prefix)), None)
        if module is None:
            continue
        t = out[module]
        entry = listed.get(mutant)
        if entry is not None and code in MISSED and diff_digest(mutant) == entry["diff"]:
            t.equivalent += 1
        elif code in CAUGHT:
            t.caught += 1
        elif code in MISSED:
            t.missed.append(mutant)
        else:
            t.other[code] += 1
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--floor", type=float, default=90.0, help="per-module floor, percent")
    parser.add_argument("--show-missed", action="store_true", help="list the missed mutants")
    args = parser.parse_args()
    codes = results(ROOT)
    if not codes:
        print("no mutmut results under mutants/: run `make mutation`", file=sys.stderr)
        return 2
    below = []
    print(f"{'module':34} {'mutants':>8} {'caught':>7} {'missed':>7} {'equiv.':>7} {'score':>7}")
    for module, t in tally(codes, equivalents()).items():
        score = "none ran" if t.score is None else f"{t.score:.1f} %"
        print(
            f"{module:34} {t.judged + t.equivalent:8} {t.caught:7} {len(t.missed):7}"
            f" {t.equivalent:7} {score:>7}" + (f"  (not run: {dict(t.other)})" if t.other else "")
        )
        if t.score is None or t.score < args.floor:
            below.append(module)
        if args.show_missed:
            for mutant in t.missed:
                print(f"    missed {mutant}")
    if below:
        print(f"below the {args.floor:g} % floor: {', '.join(below)}")
        return 1
    print(f"every module at or above the {args.floor:g} % floor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
