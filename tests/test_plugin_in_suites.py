"""The pytest plugin inside a real test suite: pytest-xdist (`-n 2`) and `--junitxml` (xunit1).

Each test runs a real pytest subprocess over a generated test module (outside the repository, the
plugin loaded through its `pytest11` entry point) and reads the JUnit file it wrote. The generated
tests launch the reference story with different shapes and mutants and assert exactly their own
evidence: counts per role, and that every statement they see carries their own launch's
registration. Crossed evidence between tests or workers would break the counts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest

from harness.pytest_plugin import worker_address
from harness.testing import HOST_ENV, PORT_ENV, BenchError
from tests.loopback import free_port_pair

pytest.importorskip("xdist", reason="pytest-xdist is not installed (pip install -e '.[test]')")

pytestmark = pytest.mark.slow

FAILURE_MESSAGE = "We Are's statements did not arrive as expected"

# Every case: launch_story arguments, accepted statements per role, whose registration they carry.
SUITE = textwrap.dedent(
    """
    import os

    import pytest

    from harness.testing import assert_received, launch_story

    CASES = {
        "documented": (dict(), {"launch": 1}, "own"),
        "configured-only": (dict(omit=("endpoint", "fetch")), {"configured": 1}, "own"),
        "no-fetch": (dict(omit=("fetch",)), {"launch": 1}, "own"),
        "cmi5-full": (dict(behaviour="cmi5-full"), {"launch": 3}, "own"),
        "sends-twice": (dict(mutant="sends-twice"), {"launch": 2}, "own"),
        "fetch-twice": (dict(mutant="fetch-twice"), {"launch": 1}, "own"),
        "prefers-api-key": (dict(mutant="prefers-api-key"), {"launch": 1}, "own"),
        "non-utc-timestamp": (dict(mutant="non-utc-timestamp"), {"launch": 1}, "own"),
        # A fixed registration, the same in every test that runs it: still exactly one here.
        "registration-from-config": (dict(mutant="registration-from-config"), {"launch": 1}, "fixed"),
        # The LRS refuses it (400): nothing accepted anywhere.
        "capitalised-context": (dict(mutant="capitalised-context"), {}, "own"),
    }


    @pytest.mark.parametrize("case", sorted(CASES))
    def test_own_evidence_only(fake_lms, weare_story, record_property, case):
        kwargs, counts, owner = CASES[case]
        record_property("xdist_worker", os.environ.get("PYTEST_XDIST_WORKER", ""))
        run = launch_story(fake_lms, weare_story, **kwargs)
        record_property("registration", run.launch.registration)

        seen = {role: fake_lms.statements(role) for role in ("launch", "configured", "other")}
        assert {role: len(s) for role, s in seen.items()} == {
            role: counts.get(role, 0) for role in seen
        }
        for statement in [s for role in seen for s in seen[role]]:
            registration = statement["context"]["registration"]
            assert (registration == run.launch.registration) == (owner == "own"), statement
        total = sum(counts.values())
        refused = 1 if case == "capitalised-context" else 0
        role = next(iter(counts), "launch")
        assert_received(run, mount=role, count=total, refused=refused, credentials=None)
    """
)

FAILING = textwrap.dedent(
    """
    import os

    import pytest

    from harness.testing import assert_received, launch_story


    @pytest.mark.parametrize("n", range(3))
    def test_documented_story_passes(fake_lms, weare_story, record_property, n):
        record_property("xdist_worker", os.environ.get("PYTEST_XDIST_WORKER", ""))
        assert_received(launch_story(fake_lms, weare_story))


    def test_refused_statement_fails_the_plugin_assertion(fake_lms, weare_story, record_property):
        record_property("xdist_worker", os.environ.get("PYTEST_XDIST_WORKER", ""))
        assert_received(launch_story(fake_lms, weare_story, mutant="capitalised-context"))
    """
)


def _run_suite(tmp_path: Path, source: str, port: int | None = None) -> tuple[int, str, Path]:
    """pytest -n 2 --junitxml over `source` in an empty folder; (exit code, output, junit path)."""
    (tmp_path / "test_generated.py").write_text(source)
    junit = tmp_path / "junit.xml"
    env = {k: v for k, v in os.environ.items() if k not in (HOST_ENV, PORT_ENV, "PYTEST_ADDOPTS")}
    if port is not None:
        env[PORT_ENV] = str(port)
    args = [
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        "-q",
        "--junitxml",
        str(junit),
        "-o",
        "junit_family=xunit1",  # testcase properties: the tests record their worker and LMS
        "test_generated.py",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return proc.returncode, proc.stdout + proc.stderr, junit


def _cases(junit: Path) -> dict[str, dict]:
    """Test name -> {outcome, message, text, properties} from a JUnit file."""
    cases = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        problem = next((c for c in case if c.tag in ("failure", "error", "skipped")), None)
        cases[case.get("name")] = {
            "outcome": "passed" if problem is None else problem.tag,
            "message": "" if problem is None else (problem.get("message") or ""),
            "text": "" if problem is None else (problem.text or ""),
            "properties": {p.get("name"): p.get("value") for p in case.iter("property")},
        }
    return cases


def _lms_by_worker(cases: dict[str, dict]) -> dict[str, set[str]]:
    by_worker: dict[str, set[str]] = defaultdict(set)
    for case in cases.values():
        props = case["properties"]
        by_worker[props["xdist_worker"]].add(props["weare_harness_lms"])
    return dict(by_worker)


def test_two_workers_each_see_exactly_their_own_evidence(tmp_path):
    code, output, junit = _run_suite(tmp_path, SUITE)

    assert code == 0, output
    cases = _cases(junit)
    assert len(cases) == 10, sorted(cases)
    assert {name: c["outcome"] for name, c in cases.items()} == dict.fromkeys(cases, "passed")
    by_worker = _lms_by_worker(cases)
    assert set(by_worker) == {"gw0", "gw1"}, by_worker
    # One fake LMS per worker, never the other worker's.
    assert all(len(urls) == 1 for urls in by_worker.values()), by_worker
    assert len(set.union(*by_worker.values())) == 2, by_worker
    mounts = [
        (c["properties"]["weare_harness_lms"], c["properties"]["weare_harness_mounts"])
        for c in cases.values()
    ]
    assert len(set(mounts)) == len(cases), mounts
    registrations = [c["properties"]["registration"] for c in cases.values()]
    assert len(set(registrations)) == len(cases), registrations


def test_pinned_port_is_offset_per_worker_and_a_failure_carries_the_plugin_message(tmp_path):
    port = free_port_pair()

    code, output, junit = _run_suite(tmp_path, FAILING, port=port)

    assert code == 1, output
    cases = _cases(junit)
    outcomes = {name: c["outcome"] for name, c in cases.items()}
    failed = "test_refused_statement_fails_the_plugin_assertion"
    assert outcomes == {**dict.fromkeys(cases, "passed"), failed: "failure"}, output
    assert FAILURE_MESSAGE in cases[failed]["message"], cases[failed]["message"]
    # The whole message, with the check's own line, is the failure element's text.
    assert FAILURE_MESSAGE in cases[failed]["text"], cases[failed]["text"]
    assert "refused" in cases[failed]["text"], cases[failed]["text"]
    by_worker = _lms_by_worker(cases)
    assert by_worker == {
        "gw0": {f"http://127.0.0.1:{port}"},
        "gw1": {f"http://127.0.0.1:{port + 1}"},
    }, by_worker


def test_a_pinned_port_without_room_for_the_worker_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(PORT_ENV, "65535")

    assert worker_address(None) == ("127.0.0.1", 65535)
    assert worker_address(0) == ("127.0.0.1", 65535)
    with pytest.raises(BenchError, match=f"{PORT_ENV}=65535 leaves no port for xdist worker gw1"):
        worker_address(1)


def test_an_unpinned_port_stays_free_for_every_worker(monkeypatch):
    monkeypatch.delenv(PORT_ENV, raising=False)
    monkeypatch.delenv(HOST_ENV, raising=False)

    assert worker_address(3) == ("127.0.0.1", 0)
