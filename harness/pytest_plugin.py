"""pytest plugin `weare_harness` (entry point `pytest11`): QA tests of We Are's LMS integration.

Fixtures, loaded automatically once weare-harness is installed:

- `fake_lms` (per test): an `IsolatedLMS` whose `launch`, `configured` and `other` mounts are
  created fresh for the test (`t<n>-<hex>-<role>`), so a test sees only its own statements and
  journal entries however many tests run and in whatever order; nothing needs resetting.
- `weare_story` (per session): the reference We Are story server, to launch it or a mutant.
- `weare_bench` (per session): the `WeAreBench` behind both, one fake LMS for the whole session;
  `WEARE_HARNESS_HOST` / `WEARE_HARNESS_PORT` choose where that LMS listens.

Under pytest-xdist a session is a worker: each worker runs its own fake LMS and story, so no
test can see another worker's evidence. A pinned `WEARE_HARNESS_PORT` is offset per worker
(`gw0` listens on PORT, `gw1` on PORT+1, ...); unset, every worker takes a free port. With
`--junitxml`, each test using `fake_lms` records the LMS it used and its mount prefix as
testcase properties (`weare_harness_lms`, `weare_harness_mounts`).

Helpers (`from harness.testing import launch_story, assert_received`) are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.story.server import StoryServer
from harness.testing import (
    PORT_ENV,
    BenchError,
    IsolatedLMS,
    Launch,
    StoryRun,
    WeAreBench,
    address_from_env,
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


def xdist_worker(config: pytest.Config) -> int | None:
    """The pytest-xdist worker number (`gw3` -> 3), None outside a worker."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return None
    return int(str(workerinput["workerid"]).removeprefix("gw"))


def worker_address(worker: int | None) -> tuple[str, int]:
    """Where this session's fake LMS listens: a pinned port is offset by the xdist worker number."""
    host, port = address_from_env()
    if port == 0 or worker is None:
        return host, port
    if port + worker > 65535:
        raise BenchError(
            f"{PORT_ENV}={port} leaves no port for xdist worker gw{worker} (port {port + worker})"
        )
    return host, port + worker


@pytest.fixture(scope="session")
def weare_bench(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WeAreBench]:
    """One fake LMS and story per session (per xdist worker): per test would dominate test time."""
    host, port = worker_address(xdist_worker(request.config))
    with WeAreBench(
        host=host, port=port, workdir=tmp_path_factory.mktemp("weare-harness")
    ) as bench:
        yield bench


@pytest.fixture(scope="session")
def weare_story(weare_bench: WeAreBench) -> StoryServer:
    """The reference We Are story server; hand it to `launch_story`."""
    return weare_bench.story


@pytest.fixture
def fake_lms(
    weare_bench: WeAreBench, record_property: Callable[[str, object], None]
) -> IsolatedLMS:
    """The session's fake LMS through mounts made for this test alone."""
    lms = weare_bench.new_lms()
    record_property("weare_harness_lms", lms.base_url)
    record_property("weare_harness_mounts", lms.prefix)
    return lms
