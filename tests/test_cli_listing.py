"""Small commands and output into pipes: `mutants`, `report open`, and `... | head` quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.story.behaviour import mutants


def cli(*args: str, **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        timeout=60,
        **options,  # type: ignore[call-overload]
    )


# -- mutants --------------------------------------------------------------------------------------


def test_mutants_lists_each_mutant_on_one_line():
    r = cli("mutants")

    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    catalogue = mutants()
    assert [line.split()[0] for line in lines] == sorted(catalogue)
    for line in lines:
        name = line.split()[0]
        assert line.endswith(catalogue[name]["description"]), line


# -- report open ----------------------------------------------------------------------------------


@pytest.fixture
def browser(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A BROWSER that records the URL it was given instead of opening anything."""
    opened = tmp_path / "opened.txt"
    script = tmp_path / "record-url"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{opened}"\n')
    script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return {**env, "BROWSER": str(script)}, opened


def test_report_open_opens_the_default_folders_report(tmp_path, browser):
    env, opened = browser
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "report.html").write_text("<html></html>")

    r = cli("report", "open", cwd=tmp_path, env=env)

    assert r.returncode == 0, r.stderr
    assert opened.read_text() == (tmp_path / "reports" / "report.html").resolve().as_uri()
    assert r.stdout == "opened reports/report.html\n"


def test_report_open_takes_a_folder(tmp_path, browser):
    env, opened = browser
    (tmp_path / "certify").mkdir()
    (tmp_path / "certify" / "report.html").write_text("<html></html>")

    r = cli("report", "open", str(tmp_path / "certify"), env=env)

    assert r.returncode == 0, r.stderr
    assert opened.read_text() == (tmp_path / "certify" / "report.html").as_uri()


def test_report_open_without_a_report_exits_2_naming_the_path(tmp_path, browser):
    env, opened = browser

    r = cli("report", "open", cwd=tmp_path, env=env)

    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == (
        "weare-harness report open: no report at reports/report.html: run `weare-harness run` "
        "first, or name its folder\n"
    )
    assert not opened.exists()


# -- output into a pipe closed early --------------------------------------------------------------


@pytest.mark.parametrize("command", [["mutants"], ["quirks"], ["quirks", "--json"]])
def test_a_pipe_closed_by_head_ends_quietly_with_exit_1(command):
    """`{ echo first; weare-harness ...; } | head -1`: head has its line and is gone before the
    command writes; the command stops without a BrokenPipeError traceback, exit 1 (output lost)."""
    script = '{ echo first; "$0" -m harness "$@"; echo "exit $?" >&2; } | head -1'

    r = subprocess.run(
        ["bash", "-c", script, sys.executable, *command],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert r.stdout == "first\n"
    assert r.stderr == "exit 1\n"


def test_a_pipe_without_reader_ends_quietly_with_exit_1():
    """The same, decided before the command starts: the pipe's read end is already closed."""
    read, write = os.pipe()
    os.close(read)
    try:
        r = subprocess.run(
            [sys.executable, "-m", "harness", "mutants"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)

    assert r.returncode == 1 and r.stderr == ""


def test_into_head_all_lines_arrive_until_head_has_enough():
    r = subprocess.run(
        ["bash", "-c", '"$0" -m harness mutants | head -2', sys.executable],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert r.stdout.splitlines() == cli("mutants").stdout.splitlines()[:2]
    assert r.stderr == ""
