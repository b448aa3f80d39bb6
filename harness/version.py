"""The tool's version, from one source: the installed package's metadata (set by pyproject.toml).

A source tree used without being installed (no metadata, e.g. `PYTHONPATH=.`) reads the same
`pyproject.toml` it was built from; with neither, the version says so instead of guessing.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DISTRIBUTION = "weare-harness"
UNKNOWN = "unknown (not installed, no pyproject.toml)"
_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def tool_version() -> str:
    """The installed distribution's version; a source tree's pyproject.toml version otherwise."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return _source_tree_version()


def _source_tree_version() -> str:
    try:
        project = tomllib.loads(_PYPROJECT.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return UNKNOWN
    if project.get("name") != DISTRIBUTION or not isinstance(project.get("version"), str):
        return UNKNOWN
    return f"{project['version']}+source"
