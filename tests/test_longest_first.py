"""The longest test files run first: every file tests/longest_first.txt names exists, once."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from tests.cpu_budget import LONGEST_FIRST, longest_first, pytest_collection_modifyitems

ROOT = Path(__file__).resolve().parent.parent


def test_every_listed_file_exists_and_is_listed_once():
    lines = [
        line.strip()
        for line in LONGEST_FIRST.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(lines) == len(set(lines)), "a file is listed twice"
    missing = [name for name in lines if not (ROOT / name).is_file()]
    assert not missing, f"longest_first.txt names files that do not exist: {missing}"
    assert list(longest_first()) == lines


def test_collection_puts_the_listed_files_first_and_keeps_the_others_in_order():
    rank = longest_first()
    first, second = list(rank)[:2]
    names = ["tests/test_a.py", second, "tests/test_b.py", first, "tests/test_a.py"]
    items = [SimpleNamespace(location=(name, 0, name)) for name in names]

    pytest_collection_modifyitems(items)  # type: ignore[arg-type]

    assert [i.location[0] for i in items] == [
        first,
        second,
        "tests/test_a.py",
        "tests/test_b.py",
        "tests/test_a.py",
    ]


def test_make_test_keeps_the_order_when_it_hands_out_files():
    """pytest-xdist hands out the files with the most tests first unless told not to; the order
    of longest_first.txt holds only with --no-loadscope-reorder on every xdist command."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    commands = [
        line
        for line in makefile.splitlines()
        if line.startswith("\t") and "--dist loadfile" in line
    ]
    assert len(commands) >= 2, commands  # make test and make test-full
    assert all("--no-loadscope-reorder" in line for line in commands), commands
