"""Test modules import their data helpers from tests/factories.py; conftest.py holds fixtures
only, which pytest hands to the tests itself."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.factories import ACTOR, statement

TESTS = Path(__file__).resolve().parent


def test_no_test_module_imports_from_conftest():
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if "node_modules" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            if any(name.split(".")[-1] == "conftest" for name in names):
                found.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert found == []


def test_conftest_defines_fixtures_only():
    tree = ast.parse((TESTS / "conftest.py").read_text())
    helpers = [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and not any("fixture" in ast.unparse(d) for d in node.decorator_list)
    ]
    constants = [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id != "pytest_plugins"  # pytest's own name
    ]
    assert helpers == [] and constants == []


def test_a_statement_takes_overrides_and_drops_none():
    made = statement(verb={"id": "http://adlnet.gov/expapi/verbs/passed"}, timestamp=None)
    assert made["actor"] == ACTOR
    assert made["verb"] == {"id": "http://adlnet.gov/expapi/verbs/passed"}
    assert "timestamp" not in made
    assert statement()["id"] != statement()["id"]
