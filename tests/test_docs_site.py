"""The documentation site: `mkdocs build --strict` passes on the real pages, and fails on what it
is there to catch (a page left out of the navigation, a broken link); the reference pages
generated from the code follow the code (a new flag appears in the command-line page); every
screenshot shown is one a test takes; the README stays a front door.

The builds are real MkDocs runs (Material theme, the project's hook) into temporary folders,
from this checkout. Without mkdocs-material (the `test` extra) they skip, saying so.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "mkdocs.yml"
DOCS = ROOT / "docs"
HOOK = DOCS / "hooks" / "reference.py"
README = ROOT / "README.md"

needs_mkdocs = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="mkdocs-material is not installed (the `test` extra of pyproject.toml; "
    "`make setup` installs it)",
)


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` of `config` into `site`, run from the checkout (the snippet paths
    are relative to it)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def variant(tmp_path: Path, change_config=None, change_docs=None) -> Path:
    """A copy of the site's configuration and pages, changed; returns the copy's mkdocs.yml."""
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs, ignore=shutil.ignore_patterns("screenshots", "hooks"))
    shutil.copytree(DOCS / "screenshots", docs / "screenshots")
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config.update(docs_dir=str(docs), hooks=[str(HOOK)])
    config.pop("exclude_docs", None)  # the hook is not copied
    if change_config:
        change_config(config)
    if change_docs:
        change_docs(docs)
    path = tmp_path / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def nav_pages(nav) -> list[str]:
    pages = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


# --- the real site ------------------------------------------------------------------------------


@needs_mkdocs
def test_the_site_builds_strict_with_every_generated_page(tmp_path):
    from harness.reference_docs import PAGES

    site = tmp_path / "site"
    r = build(CONFIG, site)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "WARNING" not in r.stderr, r.stderr
    for path in PAGES:
        html = site / path.removesuffix(".md") / "index.html"
        assert html.is_file(), f"{path} was not generated"
    cli_page = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    assert "--finish-selector" in cli_page and "--xapi-version" in cli_page
    example = (ROOT / "examples" / "test_weare_example.py").read_text(encoding="utf-8")
    first_test = re.search(r"def (test_\w+)", example)
    assert first_test is not None
    plugin_page = (site / "how-to" / "pytest-plugin" / "index.html").read_text(encoding="utf-8")
    assert first_test.group(1) in plugin_page, "the pytest example is not included from its file"


@needs_mkdocs
def test_the_build_fails_on_a_page_out_of_the_nav_a_broken_link_and_a_stale_anchor(tmp_path):
    """One build of a copy with three faults; strict mode names each before it aborts."""

    def drop_vendor_tutorial(config):
        tutorials = next(e for e in config["nav"] if "Tutorials" in e)["Tutorials"]
        tutorials[:] = [e for e in tutorials if "tutorials/vendor.md" not in e.values()]

    def break_a_link_and_an_anchor(docs):
        for page, old, new in (
            ("explanation/verdicts.md", "(../how-to/load.md)", "(../how-to/lode.md)"),
            ("how-to/certify.md", "verdicts.md#certify)", "verdicts.md#certification)"),
        ):
            text = (docs / page).read_text(encoding="utf-8")
            assert old in text, f"{page} no longer holds {old}: pick another link for this test"
            (docs / page).write_text(text.replace(old, new), encoding="utf-8")

    config = variant(tmp_path, drop_vendor_tutorial, break_a_link_and_an_anchor)
    r = build(config, tmp_path / "site")
    assert r.returncode != 0
    warnings = "\n".join(line for line in r.stderr.splitlines() if line.startswith("WARNING"))
    assert 'not included in the "nav"' in warnings and "tutorials/vendor.md" in r.stderr, r.stderr
    assert "lode.md" in warnings, r.stderr
    assert "#certification" in warnings, r.stderr


def test_every_page_in_docs_is_in_the_navigation_or_generated():
    from harness.reference_docs import PAGES

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    listed = nav_pages(config["nav"])
    written = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert sorted(set(listed) - written - set(PAGES)) == [], "nav entries without a page"
    assert sorted(written - set(listed)) == [], "pages missing from the nav"
    assert sorted(set(PAGES) - set(listed)) == [], "generated pages missing from the nav"
    assert not written & set(PAGES), "a generated page is also written by hand"


# --- generated reference pages follow the code ---------------------------------------------------


def test_a_new_cli_flag_appears_in_the_command_line_page():
    from harness.cli import build_parser
    from harness.reference_docs.cli import page

    parser = build_parser()
    assert "--brand-new-flag" not in page(parser)
    parser.subcommands["run"].add_argument("--brand-new-flag", help="a flag added for this test")
    text = page(parser)
    run_section = text.split("## `weare-harness run`", 1)[1].split("\n## ", 1)[0]
    assert "--brand-new-flag" in run_section and "a flag added for this test" in run_section


def test_every_command_of_the_parsers_has_its_section():
    from harness.cli import build_parser
    from harness.reference_docs.cli import commands, page

    text = page()
    for parser in commands(build_parser()):
        assert f"## `{parser.prog}`" in text
    assert "## `weare-harness au register`" in text and "## `weare-harness scenarios new`" in text


def test_the_scenario_keys_page_is_the_schema_section():
    """The keys documented are the schema's: the page is the section rendered from it."""
    from harness.reference_docs import pages
    from harness.scenario_docs import render, rows

    text = pages()["reference/scenario-keys.md"]
    assert render() in text
    for key, _, _, _ in rows():
        assert f"| `{key}` |" in text


def test_catalogue_pages_name_every_entry():
    from fake_lms.openapi import document
    from fake_lms.quirks import catalogue
    from harness.certify.causes import CAUSES
    from harness.certify.checks import REGISTRY
    from harness.reference_docs import pages
    from harness.story.behaviour import mutants

    text = pages()
    for name in catalogue():
        assert f"| `{name}` |" in text["reference/quirks.md"]
    for name in mutants():
        assert f"| `{name}` |" in text["reference/mutants.md"]
    for check in REGISTRY:
        assert f"| `{check.id}` | {check.severity}" in text["reference/certify-checks.md"]
    for name, _ in CAUSES:
        assert f"| `{name}` |" in text["reference/certify-checks.md"]
    for path, item in document()["paths"].items():
        for method in item:
            if method in ("get", "head", "put", "post", "patch", "delete", "options"):
                assert f"`{method.upper()} {path}`" in text["reference/admin-api.md"]


# --- screenshots and the README ------------------------------------------------------------------


def test_every_screenshot_shown_is_taken_by_a_test():
    """docs/screenshots/ holds the copies `make screenshots` makes of what the tests take: each
    file is shown on a page, and one of the screenshot tests writes it."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^SHOT_TESTS := (.+)$", makefile, re.M)
    assert match, "the Makefile lists the tests that take screenshots in SHOT_TESTS"
    shot_tests = "".join((ROOT / t).read_text(encoding="utf-8") for t in match.group(1).split())
    pages = "".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md"))
    shown = set(re.findall(r"\]\((?:\.\./)*screenshots/([\w.-]+\.png)\)", pages))
    files = {p.name for p in (DOCS / "screenshots").glob("*.png")}
    assert shown <= files, f"pages show screenshots that are not there: {shown - files}"
    assert files <= shown, f"screenshots no page shows: {files - shown}"
    assert [f for f in sorted(files) if f'"{f}"' not in shot_tests] == [], "taken by no test"


def test_the_readme_is_a_front_door():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    assert "make run" in text and "make test" in text
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not re.match(r"https?://", target):
            assert (ROOT / target).exists(), f"README links to {target}, which does not exist"
    for user_tutorial in ("docs/tutorials/qa.md", "docs/tutorials/vendor.md",
                          "docs/tutorials/developer.md"):  # fmt: skip
        assert f"]({user_tutorial})" in text
