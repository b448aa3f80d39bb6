"""One version source: the installed metadata; a bare source tree reads its pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from harness.version import UNKNOWN

ROOT = Path(__file__).resolve().parent.parent
PROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_cli_version_is_the_installed_metadata_version():
    r = subprocess.run(
        [sys.executable, "-m", "harness", "--version"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"weare-harness {version('weare-harness')}"
    assert version("weare-harness") == PROJECT_VERSION


def _bare_tree_version(tree: Path) -> str:
    """tool_version() in a Python without site-packages, importing harness from `tree` alone."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from harness.version import tool_version; print(tool_version())"
    )
    r = subprocess.run(
        [sys.executable, "-S", "-c", code, str(tree)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tree,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture
def bare_tree(tmp_path: Path) -> Path:
    """A source tree with no package metadata anywhere on its path: the module and pyproject."""
    (tmp_path / "harness").mkdir()
    (tmp_path / "harness" / "__init__.py").write_text("")
    shutil.copy(ROOT / "harness" / "version.py", tmp_path / "harness" / "version.py")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_source_tree_without_metadata_reads_its_pyproject(bare_tree):
    assert _bare_tree_version(bare_tree) == f"{PROJECT_VERSION}+source"


@pytest.mark.parametrize(
    "pyproject",
    [None, "[project]\nname = 'something-else'\nversion = '9.9'\n", "not [toml"],
    ids=["no-pyproject", "another-project", "invalid-toml"],
)
def test_without_metadata_or_our_pyproject_the_version_says_unknown(bare_tree, pyproject):
    target = bare_tree / "pyproject.toml"
    if pyproject is None:
        target.unlink()
    else:
        target.write_text(pyproject)
    assert _bare_tree_version(bare_tree) == UNKNOWN
