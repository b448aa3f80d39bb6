"""Every cmi5 requirement id the project cites is one the `@cmi5/requirements` catalogue lists.

The ids are collected two ways: from the Python check registries (imported, so an id built at
run time is seen too) and from the text of the code and data files that cite them (the fake LMS,
the scenario and certify checks, scenarios, mutants, quirks). An id the catalogue lacks fails the
test, named with every place that uses it, unless `tests/data/requirement_id_exceptions.json`
gives the reason it is cited anyway. The catalogue is the npm package, installed by `make setup`
into tests/interop/node_modules; without it the tests skip and say why.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
INTEROP = ROOT / "tests" / "interop"
PACKAGE = "@cmi5/requirements"
PACKAGE_DIR = INTEROP / "node_modules" / "@cmi5" / "requirements"
EXCEPTIONS_FILE = ROOT / "tests" / "data" / "requirement_id_exceptions.json"

# A catalogue id: section "N.N.N.N", "-", index; a derived requirement adds " (d)" or " (dN)".
REQUIREMENT_ID = re.compile(r"(?<![\d.])\d+\.\d+\.\d+\.\d+-\d+(?: \(d\d*\))?(?![\d.])")

# Registries read by import: module, attribute.
REGISTRIES = (
    ("fake_lms.cmi5.rules", "CHECKS"),
    ("harness.checks", "REGISTRY"),
    ("harness.certify.checks", "REGISTRY"),
)
# Code and data that cite ids, read as text (folders are searched recursively).
SCANNED = ("fake_lms", "harness", "README.md", "docs")  # harness/suite/: the built-in scenarios
SUFFIXES = frozenset({".py", ".yaml", ".yml", ".json", ".js", ".html", ".md"})

EXCEPTIONS_SCHEMA = {
    "type": "object",
    "required": ["description", "exceptions"],
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "exceptions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "reason"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": REQUIREMENT_ID.pattern},
                    "reason": {"type": "string", "minLength": 20},
                },
            },
        },
    },
}


class Use(NamedTuple):
    """One place that cites a requirement id."""

    id: str
    where: str  # "path:line" for a file, "module.ATTR[name]" for a registry entry


def _catalogue_missing() -> str | None:
    if (PACKAGE_DIR / "package.json").is_file():
        return None
    if shutil.which("npm") is None:
        return f"npm is not installed, so `make setup` could not install {PACKAGE}"
    return f"{PACKAGE} is not installed in {INTEROP}/node_modules (run `make setup`)"


needs_catalogue = pytest.mark.skipif(
    _catalogue_missing() is not None, reason=_catalogue_missing() or ""
)


def load_catalogue() -> dict[str, Any]:
    """The package's requirements: {"8.2.3.0-1": {"txt": "..."}, "8.2.3.0-1 (d)": {...}}."""
    main = json.loads((PACKAGE_DIR / "package.json").read_text())["main"]
    return json.loads((PACKAGE_DIR / main).read_text(encoding="utf-8"))


def load_exceptions() -> dict[str, str]:
    """The documented exceptions, id -> reason, validated against their schema."""
    data = json.loads(EXCEPTIONS_FILE.read_text(encoding="utf-8"))
    jsonschema.validate(data, EXCEPTIONS_SCHEMA)
    return {e["id"]: e["reason"] for e in data["exceptions"]}


def ids_in_text(text: str, where: str) -> list[Use]:
    """Every id in a file's text, located by line."""
    return [
        Use(match.group(0), f"{where}:{number}")
        for number, line in enumerate(text.splitlines(), 1)
        for match in REQUIREMENT_ID.finditer(line)
    ]


def _files(root: Path, entries: Iterable[str]) -> Iterator[Path]:
    for entry in entries:
        path = root / entry
        if path.is_file():
            yield path
            continue
        for found in sorted(path.rglob("*")):
            if found.is_file() and found.suffix in SUFFIXES and "node_modules" not in found.parts:
                yield found


def ids_in_files(root: Path, entries: Iterable[str]) -> list[Use]:
    return [
        use
        for path in _files(root, entries)
        for use in ids_in_text(
            path.read_text(encoding="utf-8", errors="replace"), str(path.relative_to(root))
        )
    ]


def _strings(value: Any) -> Iterator[str]:
    """The strings inside a registry entry (dataclass, named tuple, tuple, dict), not its code."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _entry_name(entry: Any, index: int) -> str:
    for attribute in ("name", "key", "id"):
        name = getattr(entry, attribute, None)
        if isinstance(name, str):
            return name
    return str(index)


def ids_in_registry(entries: Iterable[Any], where: str) -> list[Use]:
    return [
        Use(match.group(0), f"{where}[{_entry_name(entry, index)}]")
        for index, entry in enumerate(entries)
        for text in _strings(entry)
        for match in REQUIREMENT_ID.finditer(text)
    ]


def ids_in_registries() -> list[Use]:
    uses: list[Use] = []
    for module_name, attribute in REGISTRIES:
        module = importlib.import_module(module_name)
        registry = getattr(module, attribute, None)
        assert registry, f"{module_name}.{attribute} is gone: update REGISTRIES in {__name__}"
        uses += ids_in_registry(registry, f"{module_name}.{attribute}")
    return uses


def unknown_ids(
    uses: Iterable[Use], catalogue: dict[str, Any], exceptions: dict[str, str]
) -> dict[str, list[str]]:
    """Id -> where it is used, for each id neither in the catalogue nor a documented exception."""
    out: dict[str, list[str]] = {}
    for use in uses:
        if use.id not in catalogue and use.id not in exceptions:
            out.setdefault(use.id, []).append(use.where)
    return out


def _all_uses() -> list[Use]:
    return ids_in_registries() + ids_in_files(ROOT, SCANNED)


# --- the pin -------------------------------------------------------------------------------------


@needs_catalogue
def test_every_cited_requirement_id_is_in_the_catalogue() -> None:
    uses = _all_uses()
    unknown = unknown_ids(uses, load_catalogue(), load_exceptions())
    lines = [f"{rid!r} used at {', '.join(where)}" for rid, where in sorted(unknown.items())]
    assert not unknown, (
        f"{len(unknown)} cmi5 requirement id(s) not in {PACKAGE} (fix the id, or give the reason "
        f"in {EXCEPTIONS_FILE.relative_to(ROOT)}):\n  " + "\n  ".join(lines)
    )


def test_the_registries_and_files_are_read() -> None:
    """The collectors see the ids where they are known to be (a blind collector would pass)."""
    uses = _all_uses()
    where = {(u.id, u.where.split(":")[0].split("[")[0]) for u in uses}
    assert ("11.0.0.0-3", "fake_lms.cmi5.rules.CHECKS") in where
    assert ("8.2.3.0-1", "harness.checks.REGISTRY") in where
    assert ("8.2.3.0-1", "fake_lms/cmi5/fetch.py") in where
    assert ("14.1.0.0-2", "fake_lms/cmi5/course.py") in where
    files = {u.where.split(":")[0] for u in uses}
    assert any(f.startswith("harness/suite/") for f in files), files
    assert "harness/data/mutants.json" in files


def test_every_rule_requirement_is_exactly_a_list_of_ids() -> None:
    """The LMS's own registry is stricter than free text: ", "-separated ids and nothing else."""
    from fake_lms.cmi5.rules import CHECKS

    for check in CHECKS:
        for rid in check.requirement.split(", "):
            assert REQUIREMENT_ID.fullmatch(rid) and "(d" not in rid, (check.name, rid)


@needs_catalogue
def test_every_exception_is_still_needed() -> None:
    catalogue = load_catalogue()
    used = {u.id for u in _all_uses()}
    for rid, reason in load_exceptions().items():
        assert rid not in catalogue, f"{rid!r} is in {PACKAGE} now: drop its exception ({reason})"
        assert rid in used, f"{rid!r} is no longer cited: drop its exception ({reason})"


@needs_catalogue
def test_the_catalogue_is_the_pinned_npm_package() -> None:
    meta = json.loads((PACKAGE_DIR / "package.json").read_text())
    pinned = json.loads((INTEROP / "package.json").read_text())["dependencies"][PACKAGE]
    lock = json.loads((INTEROP / "package-lock.json").read_text())
    locked = lock["packages"][f"node_modules/{PACKAGE}"]
    assert (meta["name"], meta["version"]) == (PACKAGE, "1.0.0")
    assert pinned == locked["version"] == meta["version"]
    assert locked["integrity"].startswith("sha512-")
    catalogue = load_catalogue()
    assert len(catalogue) > 250
    assert catalogue["8.2.3.0-1"]["txt"].startswith('The "fetch" URL is a "one-time use" URL')


# --- the collector, proved both ways without the catalogue ----------------------------------------


def test_an_unknown_id_is_named_with_every_place_that_uses_it(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text('X = "cmi5 8.2.3.0-1"\nY = "9.9.9.9-1"\n')
    (tmp_path / "s.yaml").write_text("source: cmi5 9.9.9.9-1, 8.2.3.0-1 (d)\n")

    @dataclasses.dataclass
    class Entry:
        name: str
        requirement: str

    uses = ids_in_files(tmp_path, ["pkg", "s.yaml"]) + ids_in_registry(
        [Entry("ok", "8.2.3.0-1"), Entry("bad", "8.2.3.0-1, 7.7.7.7-7")], "mod.CHECKS"
    )
    catalogue = {"8.2.3.0-1": {}, "8.2.3.0-1 (d)": {}}
    assert unknown_ids(uses, catalogue, {}) == {
        "9.9.9.9-1": ["pkg/a.py:2", "s.yaml:1"],
        "7.7.7.7-7": ["mod.CHECKS[bad]"],
    }
    assert unknown_ids(uses, catalogue, {"9.9.9.9-1": "r", "7.7.7.7-7": "r"}) == {}


def test_the_id_pattern_is_precise() -> None:
    found = [u.id for u in ids_in_text("9.3.0.0-10 (d2) 1.9.3.0.0-1 v2.4.6 8.1.0.0-8 (x)", "f")]
    assert found == ["9.3.0.0-10 (d2)", "8.1.0.0-8"]
    assert ids_in_text("8.2.3.0-1 (d) is derived", "f")[0].id == "8.2.3.0-1 (d)"
