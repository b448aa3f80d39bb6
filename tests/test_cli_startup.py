"""What a command imports before it answers: `--version` and `--help` load no command's modules,
and `serve` neither the HTTP client (requests) nor the terminal library (rich) it never uses.

Pinned by the modules loaded, not by timing (the machine may be busy); the timings are
bench/startup_bench.py's (docs/benchmarks.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import build_parser
from harness.cli.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[1]

# Loaded by a command's modules, never by the top level alone.
HEAVY = ("flask", "waitress", "playwright", "jsonschema", "jsonschema_rs", "requests", "rich")
# Loaded by the fake LMS (its store, validators and app).
LMS = ("fake_lms.app", "fake_lms.db", "fake_lms.xapi")


def _loaded_after(code: str) -> dict[str, object]:
    """Runs `code` in a fresh interpreter of the source tree; the top-level packages (and the
    fake LMS's modules) loaded by then, and what the code printed to stdout."""
    probe = (
        "import contextlib, io, json, sys\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    {code}\n"
        "print(json.dumps({'modules': sorted(sys.modules), 'stdout': out.getvalue()}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _heavy(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_the_top_level_flags_import_no_command_module(flag):
    seen = _loaded_after(
        f"from harness.cli import main\n    try: main([{flag!r}])\n    except SystemExit: pass"
    )
    modules = seen["modules"]
    assert isinstance(modules, list)
    assert seen["stdout"], f"{flag} printed nothing"
    loaded = _heavy(modules, HEAVY + LMS)
    assert loaded == [], f"`weare-harness {flag}` imported {loaded}; expected none of {HEAVY + LMS}"
    commands = sorted({c.module for c in COMMANDS.values()} & set(modules))
    assert commands == [], f"`weare-harness {flag}` imported command modules {commands}"


def test_help_without_version_does_not_read_the_package_metadata():
    seen = _loaded_after(
        "from harness.cli import main\n    try: main(['--help'])\n    except SystemExit: pass"
    )
    modules = seen["modules"]
    assert isinstance(modules, list)
    assert "importlib.metadata" not in modules, "--help looked the version up (importlib.metadata)"


def test_a_command_imports_its_own_module_only():
    seen = _loaded_after(
        "from harness.cli import main\n    try: main(['quirks', '--help'])\n    except SystemExit: pass"
    )
    modules = seen["modules"]
    assert isinstance(modules, list)
    commands = sorted({c.module for c in COMMANDS.values()} & set(modules))
    assert commands == ["harness.cli.quirks"], commands


def test_the_top_level_help_is_the_one_every_command_module_would_give():
    """The light table (harness/cli/commands.py) says each command's line as its module does."""
    light = build_parser(["--help"]).format_help()
    full = build_parser().format_help()  # every command's module imported
    assert light == full
    for name, command in COMMANDS.items():
        assert name in light and " ".join(command.summary.split()[:3]) in light


def test_the_version_flag_prints_the_version_on_stdout():
    done = subprocess.run(
        [sys.executable, "-m", "harness", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("weare-harness ") and done.stdout.count("\n") == 1


def test_serve_loads_neither_the_http_client_nor_the_terminal_library():
    seen = _loaded_after("import harness.cli.serve")
    modules = seen["modules"]
    assert isinstance(modules, list)
    loaded = _heavy(modules, ("requests", "rich", "urllib3"))
    assert loaded == [], f"`serve` imported {loaded}, which it never uses"


def test_the_statement_schema_is_compiled_when_first_used_not_at_import():
    seen = _loaded_after(
        "from fake_lms.xapi import schema_check as s\n"
        "    print('validators' in vars(s.STATEMENT.document), end=' ')\n"
        "    print(s.STATEMENT.accepts({}), end=' ')\n"
        "    print('validators' in vars(s.STATEMENT.document))"
    )
    assert seen["stdout"] == "False False True\n"
