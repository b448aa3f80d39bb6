"""The statement validator alone, on one core: typical statements/s, and the cost of a refusal.

No server, no SQLite: `check_batch` (what POST /statements runs) on batches of the statement
`bench/lrs_bench.py` sends, then on invalid statements that each need their 400 explained.
The figure is the best of --rounds rounds (the machine is shared; the best round is the one
least disturbed). Prints a table; --json writes the figures.

    .venv/bin/python bench/validator_bench.py [--statements 20000] [--rounds 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from loads import make_statement

from fake_lms.xapi.limits import MAX_REPORTED_VIOLATIONS
from fake_lms.xapi.validation import check_batch


def invalid_statement() -> dict:
    """A typical statement with three faults: a bad IRI, a wrong type and an unknown key."""
    stmt = make_statement()
    stmt["verb"]["id"] = "not an IRI"
    stmt["result"]["completion"] = "yes"
    stmt["bogus"] = 1
    return stmt


def rate(bodies: list, rounds: int) -> float:
    """Best statements/s over `rounds` checks of every body (CPU time of this thread)."""
    count = sum(len(b) if isinstance(b, list) else 1 for b in bodies)
    best = 0.0
    for _ in range(rounds):
        start = time.thread_time()
        for body in bodies:
            check_batch(body, "1.0.3", enough=MAX_REPORTED_VIOLATIONS)
        spent = time.thread_time() - start
        best = max(best, count / spent if spent else float("inf"))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=20_000, help="valid statements a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.statements < 1 or args.rounds < 1:
        print("--statements and --rounds must be at least 1", file=sys.stderr)
        return 2
    valid = [make_statement() for _ in range(args.statements)]
    assert not check_batch(valid[:10]).violations, "the bench statement must be valid"
    # each invalid statement is its own request, so each one's refusal is explained in full
    invalid = [invalid_statement() for _ in range(1_000)]
    assert all(check_batch(s).violations for s in invalid[:10]), "must be invalid"
    results = {
        "valid statements/s": rate([valid], args.rounds),
        "invalid statements explained/s": rate(invalid, args.rounds),
    }
    for name, value in results.items():
        print(f"{name:34} {value:10,.0f}")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
