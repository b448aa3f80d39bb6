"""What a scenario's mounts cost to make: the three role mounts (launch, configured, other) and
their API keys, as the scenario runner makes them before every scenario, through the admin API
of an in-process fake LMS (loopback HTTP, SQLite on disk).

    .venv/bin/python bench/scenario_setup_bench.py [--rounds 30]

Two ways, interleaved round by round: keys whose secrets the client chooses (`POST /api/mounts`
with `username`/`secret`: a PBKDF2 hash of each, 60,000 iterations) and keys whose secrets the
server generates (`POST /api/mounts/NAME/credentials`: one HMAC pass), the way the runner makes
them (`harness.bench.create_role_mounts`). Prints the mean CPU and wall milliseconds per
scenario of each and writes reports/bench/scenario_setup.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fake_lms import LMSConfig  # noqa: E402
from fake_lms.client import AdminClient  # noqa: E402
from fake_lms.live import FakeLMS  # noqa: E402
from harness.bench import ROLES, create_role_mounts  # noqa: E402

OUT = ROOT / "reports" / "bench" / "scenario_setup.json"


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def chosen_keys(admin: AdminClient, prefix: str) -> None:
    """The role mounts with keys whose secrets the client chose (hashed with PBKDF2)."""
    mounts = {role: f"{prefix}-{role}" for role in ROLES}
    for role in ROLES:
        admin.create_mount(
            mounts[role],
            credentials=(f"{prefix}-{role}-key", secrets.token_urlsafe(12)),
            also_opens=[mounts["launch"]] if role == "configured" else [],
        )


def generated_keys(admin: AdminClient, prefix: str) -> None:
    create_role_mounts(admin, prefix, mode="enforce")


WAYS = {"chosen secrets (PBKDF2)": chosen_keys, "generated secrets (HMAC)": generated_keys}


def _config(folder: str) -> LMSConfig:
    return LMSConfig(db_path=Path(folder) / "lms.db")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    spent = {way: [0.0, 0.0] for way in WAYS}
    with tempfile.TemporaryDirectory() as folder, FakeLMS(_config(folder)) as lms:
        admin = lms.admin_client()
        for n in range(args.rounds):
            for k, (way, make) in enumerate(WAYS.items()):
                cpu, wall = _cpu(), time.perf_counter()
                make(admin, f"r{n}-w{k}")
                spent[way][0] += _cpu() - cpu
                spent[way][1] += time.perf_counter() - wall
    per = {
        way: {
            "cpu_ms": round(1000 * c / args.rounds, 1),
            "wall_ms": round(1000 * w / args.rounds, 1),
        }
        for way, (c, w) in spent.items()
    }
    results = {"rounds": args.rounds, "load_average": list(os.getloadavg()), "per_scenario": per}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(
        f"a scenario's three mounts and keys, mean of {args.rounds} rounds (client and server CPU):"
    )
    for way, figures in per.items():
        print(f"  {way:<28} {figures['cpu_ms']:>7.1f} ms CPU  {figures['wall_ms']:>7.1f} ms wall")
    print(f"load average {os.getloadavg()[0]:.2f}; results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
