"""Shared fixtures: a real fake LMS on loopback per test, with its own SQLite file. Helpers
that build test data are in tests/factories.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fake_lms import LMSConfig
from fake_lms.live import FakeLMS
from tests.chromium import browser  # noqa: F401 (one Chromium per module that asks for it)
from tests.wsgi_served import served  # noqa: F401 (WSGI apps on serve's server, in a thread)

# tests.cpu_budget: the longest files first; WEARE_TEST_CPU=FILE: time per test.
# tests.full_proofs: what only `make test-full` runs.
pytest_plugins = ["tests.cpu_budget", "tests.full_proofs"]


@pytest.fixture
def lms(tmp_path) -> Iterator[FakeLMS]:
    with FakeLMS(LMSConfig(db_path=str(tmp_path / "lms.db"))) as server:
        yield server


@pytest.fixture(scope="module")
def module_lms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeLMS]:
    """One fake LMS (default configuration, its own store) for a whole test module, whose tests
    each use statements, ids or mounts of their own."""
    with FakeLMS(LMSConfig(db_path=str(tmp_path_factory.mktemp("lms") / "lms.db"))) as server:
        yield server
