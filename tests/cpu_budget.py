"""Where `make test`'s time goes, and the order that spends it best.

`WEARE_TEST_CPU=FILE pytest …` appends one line per test (its
file, its id, CPU seconds of the worker and of the subprocesses it waited for, wall seconds) as
JSON to FILE. The files that take longest (tests/longest_first.txt) run first.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    target = os.environ.get("WEARE_TEST_CPU")
    if not target:
        yield
        return
    own, children = _cpu()
    wall = time.perf_counter()
    yield
    own_after, children_after = _cpu()
    line = {
        "file": item.location[0],
        "test": item.nodeid,
        "cpu": round(own_after - own, 3),
        "children_cpu": round(children_after - children, 3),
        "wall": round(time.perf_counter() - wall, 3),
    }
    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


LONGEST_FIRST = Path(__file__).with_name("longest_first.txt")


def longest_first() -> dict[str, int]:
    """The files of longest_first.txt, each with its rank."""
    lines = LONGEST_FIRST.read_text(encoding="utf-8").splitlines()
    files = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return {name: rank for rank, name in enumerate(files)}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (longest_first.txt); the others after them, in their order."""
    rank = longest_first()
    items.sort(key=lambda item: rank.get(item.location[0], len(rank)))
