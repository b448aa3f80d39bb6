"""The long cross-product proofs, run whole by `make test-full` (WEARE_TEST_FULL=1).

`make test` keeps to what a change most often breaks, within its time budget: a test marked
`@pytest.mark.full` is skipped there, saying where it runs; a test that calls `full()` runs a
part of its cross-product that still reaches every case (each file says which). Both run whole
under `make test-full`.
"""

from __future__ import annotations

import os

import pytest

ENV = "WEARE_TEST_FULL"
WHERE = f"a long cross-product proof: `make test-full` ({ENV}=1) runs it"


def full() -> bool:
    """True under `make test-full`: every cross-product whole."""
    return os.environ.get(ENV, "") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if full():
        return
    for item in items:
        if item.get_closest_marker("full") is not None:
            item.add_marker(pytest.mark.skip(reason=WHERE))
