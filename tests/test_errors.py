"""harness/errors.py: one base error, and the usage error raised without loading the CLI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from fake_lms.live import LiveServer
from harness.cli import main
from harness.cmi5_requirements import CatalogueError
from harness.errors import HarnessError, UsageError
from harness.load.config import ConfigError
from harness.scenarios import ScenarioError
from harness.story.behaviour import StoryConfigError
from harness.story_integration import IntegrationError
from harness.story_profile import ProfileError

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "error",
    [
        UsageError,
        ScenarioError,
        IntegrationError,
        ProfileError,
        StoryConfigError,
        ConfigError,
        CatalogueError,
    ],
)
def test_the_harness_errors_share_one_base(error):
    assert issubclass(error, HarnessError)


def test_input_errors_are_still_value_errors():
    """Callers that catch ValueError keep catching them."""
    for error in (ScenarioError, IntegrationError, ProfileError, StoryConfigError, ConfigError):
        assert issubclass(error, ValueError)


def test_a_usage_error_is_raised_without_importing_the_cli():
    """serve's companion ports refuse a bad port with the UsageError of harness.errors, which
    imports nothing else: the CLI package is not loaded to reach it."""
    code = (
        "import sys\n"
        "from harness.errors import UsageError\n"
        "from harness.serve_companion import companion_port\n"
        "try:\n"
        "    companion_port(70000, 8080, 1, '--story-port', '--no-story')\n"
        "except UsageError as exc:\n"
        "    print(exc)\n"
        "print('harness.cli' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    reason, cli_loaded = done.stdout.splitlines()
    assert (
        reason
        == "--story-port 70000 is not a port in 0..65535; give --story-port PORT or --no-story"
    )
    assert cli_loaded == "False"


def test_the_cli_prints_a_usage_error_as_one_line_and_exits_2(capsys):
    assert main(["doctor", "--port", "70000"]) == 2
    assert capsys.readouterr().err == "weare-harness doctor: --port 70000: a port is 0 to 65535\n"


def _asserts(package: str) -> list[str]:
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        found += [
            f"{path.relative_to(REPO)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Assert)
        ]
    return found


@pytest.mark.parametrize("package", ["fake_lms", "harness"])
def test_no_runtime_assert_in_the_packages(package):
    """`python -O` drops asserts: a check the code relies on is an explicit error instead."""
    assert _asserts(package) == []


def test_a_server_not_started_says_so():
    """Its URL asked before start(): a RuntimeError naming the server (an assert before)."""
    server = LiveServer(object())
    with pytest.raises(RuntimeError, match="LiveServer is not started"):
        _ = server.base_url
