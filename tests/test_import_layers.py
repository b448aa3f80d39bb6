"""`make lint`'s import contracts (pyproject.toml, `lint-imports`) hold, and break on a climb."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports run from `root`, whose packages it then reads (it puts its cwd first)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of both packages and the contracts, to add a bad import to."""
    for package in ("fake_lms", "harness"):
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_packages_keep_their_import_contracts():
    done = _lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract", "named"),
    [
        (  # the fake LMS reaching into the harness again
            "fake_lms/live.py",
            "import harness.checks",
            "the fake LMS never imports harness BROKEN",
            "fake_lms.live -> harness.checks",
        ),
        (  # the xAPI layer climbing to cmi5
            "fake_lms/xapi/protocol.py",
            "import fake_lms.cmi5.vocab",
            "xapi above the store BROKEN",
            "fake_lms.xapi.protocol -> fake_lms.cmi5.vocab",
        ),
        (  # cmi5 climbing to the admin API
            "fake_lms/cmi5/launch.py",
            "import fake_lms.admin",
            "xapi above the store BROKEN",
            "fake_lms.cmi5.launch -> fake_lms.admin",
        ),
        (  # a leaf helper climbing to the store
            "fake_lms/redact.py",
            "import fake_lms.db",
            "xapi above the store BROKEN",
            "fake_lms.redact -> fake_lms.db",
        ),
    ],
)
def test_an_upward_import_breaks_a_contract(tree, module, line, contract, named):
    source = tree / module
    source.write_text(source.read_text() + f"\n{line}  # noqa\n")
    done = _lint_imports(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert contract in done.stdout and named in done.stdout, done.stdout


def test_a_new_module_without_a_layer_breaks_the_layers_contract(tree):
    (tree / "fake_lms" / "shortcut.py").write_text('"""Somewhere new."""\n')
    done = _lint_imports(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "fake_lms.shortcut" in done.stdout + done.stderr, done.stdout + done.stderr
