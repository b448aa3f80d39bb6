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
(`gw0` listens on PORT, `gw1` on PORT+1, ...); unset, every worker takes a free port.

With `--junitxml`, the LMS's address is in the XML where the JUnit family allows it, and no
family draws a warning: under `junit_family=xunit1` (or `legacy`) each test using `fake_lms`
records the LMS it used and its mount prefix as testcase properties (`weare_harness_lms`,
`weare_harness_mounts`); under `xunit2` (pytest's default), whose schema has no testcase
properties, the session records `weare_harness_lms` once as a testsuite property (pytest writes
none from xdist workers).

Helpers (`from harness.testing import launch_story, assert_received`) are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

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


def testcase_properties_refused(config: pytest.Config) -> bool:
    """True when pytest writes a JUnit file whose family has no testcase properties (xunit2):
    there `record_property` warns on every test that asks for it."""
    if not getattr(config.option, "xmlpath", None):
        return False
    family: Any = config.getini("junit_family")
    return family not in ("xunit1", "legacy")


@pytest.fixture(scope="session")
def weare_bench(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    record_testsuite_property: Callable[[str, object], None],
) -> Iterator[WeAreBench]:
    """One fake LMS and story per session (per xdist worker): per test would dominate test time."""
    host, port = worker_address(xdist_worker(request.config))
    with WeAreBench(
        host=host, port=port, workdir=tmp_path_factory.mktemp("weare-harness")
    ) as bench:
        if testcase_properties_refused(request.config):
            record_testsuite_property("weare_harness_lms", bench.lms.base_url)
        yield bench


@pytest.fixture(scope="session")
def weare_story(weare_bench: WeAreBench) -> StoryServer:
    """The reference We Are story server; hand it to `launch_story`."""
    return weare_bench.story


@pytest.fixture
def fake_lms(weare_bench: WeAreBench, request: pytest.FixtureRequest) -> IsolatedLMS:
    """The session's fake LMS through mounts made for this test alone. Its address and mount
    prefix become the test's properties (as `record_property` adds them, without asking for
    that fixture, which warns under xunit2) unless the JUnit family refuses them."""
    lms = weare_bench.new_lms()
    if not testcase_properties_refused(request.config):
        request.node.user_properties.append(("weare_harness_lms", lms.base_url))
        request.node.user_properties.append(("weare_harness_mounts", lms.prefix))
    return lms
