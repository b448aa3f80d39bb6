"""The pytest plugin under `--junitxml`, in both JUnit families: no warning from either, and the
fake LMS's address in the XML where the family allows it (testcase properties under xunit1, a
testsuite property under xunit2, whose schema has no testcase properties)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.testing import HOST_ENV, PORT_ENV

TESTS = textwrap.dedent(
    """
    def test_one(fake_lms):
        assert fake_lms.base_url.startswith("http://127.0.0.1:")


    def test_two(fake_lms):
        assert fake_lms.prefix
    """
)


def _pytest(tmp_path: Path, family: str) -> tuple[subprocess.CompletedProcess[str], ET.Element]:
    (tmp_path / "test_generated.py").write_text(TESTS)
    junit = tmp_path / "junit.xml"
    env = {k: v for k, v in os.environ.items() if k not in (HOST_ENV, PORT_ENV, "PYTEST_ADDOPTS")}
    args = ["-p", "no:cacheprovider", "-p", "no:xdist", "-q", "-rw", "--junitxml", str(junit)]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-o", f"junit_family={family}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return proc, ET.parse(junit).getroot()


def _properties(node: ET.Element) -> dict[str, str]:
    found = node.find("properties")
    return {} if found is None else {p.get("name"): p.get("value") for p in found}


@pytest.mark.parametrize("family", ["xunit1", "legacy"])
def test_xunit1_records_the_lms_and_mounts_per_testcase_without_a_warning(tmp_path, family):
    proc, root = _pytest(tmp_path, family)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout and "warning" not in proc.stdout.lower(), proc.stdout
    cases = {case.get("name"): _properties(case) for case in root.iter("testcase")}
    assert set(cases) == {"test_one", "test_two"}
    assert all(p["weare_harness_lms"].startswith("http://127.0.0.1:") for p in cases.values())
    assert len({p["weare_harness_mounts"] for p in cases.values()}) == 2  # one prefix per test


def test_xunit2_records_the_lms_once_for_the_suite_without_a_warning(tmp_path):
    """pytest's default family: `record_property` would warn once per test (PytestWarning)."""
    proc, root = _pytest(tmp_path, "xunit2")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout and "warning" not in proc.stdout.lower(), proc.stdout
    assert [_properties(case) for case in root.iter("testcase")] == [{}, {}]
    suite = root.find("testsuite")
    assert suite is not None
    assert _properties(suite)["weare_harness_lms"].startswith("http://127.0.0.1:")
