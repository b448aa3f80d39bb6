"""pytest plugin `weare_harness` (entry point `pytest11`): QA tests of We Are's LMS integration.

Fixtures, loaded automatically once weare-harness is installed:

- `fake_lms` (per test): an `IsolatedLMS` whose `launch`, `configured` and `other` mounts are
  created fresh for the test (`t<n>-<hex>-<role>`), so a test sees only its own statements and
  journal entries however many tests run and in whatever order; nothing needs resetting.
- `weare_story` (per session): the reference We Are story server, to launch it or a mutant.
- `weare_bench` (per session): the `WeAreBench` behind both, one fake LMS for the whole session;
  `WEARE_HARNESS_HOST` / `WEARE_HARNESS_PORT` choose where that LMS listens.

Helpers (`from harness.testing import launch_story, assert_received`) are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.story.server import StoryServer
from harness.testing import (
    IsolatedLMS,
    Launch,
    StoryRun,
    WeAreBench,
    assert_received,
    launch_story,
)

__all__ = [
    "IsolatedLMS",
    "Launch",
    "StoryRun",
    "WeAreBench",
    "assert_received",
    "fake_lms",
    "launch_story",
    "weare_bench",
    "weare_story",
]


@pytest.fixture(scope="session")
def weare_bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WeAreBench]:
    """One fake LMS and story per session: starting them per test would dominate test time."""
    with WeAreBench(workdir=tmp_path_factory.mktemp("weare-harness")) as bench:
        yield bench


@pytest.fixture(scope="session")
def weare_story(weare_bench: WeAreBench) -> StoryServer:
    """The reference We Are story server; hand it to `launch_story`."""
    return weare_bench.story


@pytest.fixture
def fake_lms(weare_bench: WeAreBench) -> IsolatedLMS:
    """The session's fake LMS through mounts made for this test alone."""
    return weare_bench.new_lms()
