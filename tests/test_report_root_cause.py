"""Failures grouped by root cause: one refusal of the LRS is one row, however many checks and
scenarios it fails, and the failing report stays short (measured in real Chromium).

The runs are the real `run --driver http` against the real fake LMS; the pages are opened from
disk at 1280 px wide. Against the mutant capitalised-context the report used to list 23 causes
for one refusal and be 136,456 px tall.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from harness.browser import launch_chromium
from harness.cli import main
from harness.report.root_cause import root_cause, scenario_causes

HEIGHT_LIMIT = 5_000  # px at 1280 wide


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module (as tests/test_report_pages.py has it)."""
    with sync_playwright() as playwright:
        yield (chromium := launch_chromium(playwright))
        chromium.close()


def _run(report_dir: Path, au: str, *keyword: str) -> dict:
    args = ["run", "--driver", "http", "--au", au, *keyword, "--workers", "2"]
    assert main([*args, "--report-dir", str(report_dir)]) == 1
    return json.loads((report_dir / "results.json").read_text())


def _open(browser: Browser, path: Path):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(path.resolve().as_uri())
    return page


def test_one_refusal_is_one_cause_and_the_page_is_short(tmp_path, browser):
    data = _run(tmp_path, "mutant:capitalised-context")
    failed = data["totals"]["failed"] + data["totals"]["errors"]
    assert failed >= 40
    [cause] = data["causes"]
    assert cause["count"] == failed and cause["from"] == "the LRS's answer"
    assert "400" in cause["message"] and "unknown key 'Context'" in cause["message"]
    assert sorted(cause["scenarios"]) == sorted(
        s["id"] for s in data["scenarios"] if s["status"] in ("failed", "error")
    )
    page = _open(browser, tmp_path / "report.html")
    try:
        rollup = page.locator("header .rollup").inner_text()
        assert rollup.startswith(f"{failed} failures, 1 cause: ")
        assert "unknown key 'Context'" in rollup
        rows = page.locator("table.causes tbody tr")
        assert rows.count() == 1
        assert rows.first.locator("td.count").inner_text() == str(failed)
        assert len(rows.first.locator("a").all_text_contents()) == failed
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < HEIGHT_LIMIT, height
        # Long JSON is folded: no statement is shown unless asked for.
        page.locator("details.group").first.locator("summary").first.click()
        shown = page.locator("details.scenario[open] pre.json:visible")
        assert all(len(t) <= 240 for t in shown.all_inner_texts())
    finally:
        page.close()


def test_two_causes_are_two_rows(tmp_path, browser):
    keyword = "precedence-endpoint-url-fetch-key or precedence-endpoint-url-no-fetch-key"
    data = _run(tmp_path, "mutant:ignores-endpoint", "-k", keyword)
    assert [(c["count"], c["from"]) for c in data["causes"]] == [
        (1, "delivered"),
        (1, "the LRS's answer"),
    ]
    assert "401" in data["causes"][1]["message"]
    page = _open(browser, tmp_path / "report.html")
    try:
        assert page.locator("table.causes tbody tr").count() == 2
        assert page.locator("header .rollup").inner_text().startswith("2 failures, 2 causes: ")
        assert page.locator("details.group[id^=cause-]").count() == 2
    finally:
        page.close()


def _refused(ident: str, mount: str, rule: str, where: str, path: str) -> dict:
    answer = f"403: {rule} [cmi5 {where}]"
    verdict = {
        "verdict": "refused",
        "violations": [{"path": path, "rule": rule, "requirement": where}],
    }
    return {
        "id": ident,
        "status": "failed",
        "checks": [{"name": "outcome", "passed": False, "message": f"got 'failed' ({ident})"}],
        "journal": [
            {"method": "OPTIONS", "path": f"/xapi/{mount}/statements", "status": 204},
            {
                "method": "POST",
                "path": f"/xapi/{mount}/statements",
                "status": 403,
                "answer": answer,
                "verdicts": [verdict],
            },
        ],
    }


def test_a_cause_is_the_rule_broken_not_the_mount_or_the_statement_index():
    scenarios = [
        _refused("a", "s0-1a2b-launch", "registration mismatch", "9.3.0.0-1", "$[0].context"),
        _refused("b", "s7-ffee-other", "registration mismatch", "9.3.0.0-1", "$[3].context"),
        _refused("c", "s2-0c0c-launch", "registration mismatch", "11.0.0.0-3", "$[0].context"),
        {
            "id": "d",
            "status": "failed",
            "outcome": {
                "steps": [
                    {
                        "step": "fetch",
                        "method": "GET",
                        "status": 405,
                        "body": '{"error": "use POST"}',
                    }
                ]
            },
        },
        {"id": "e", "status": "passed"},
    ]
    causes = scenario_causes(scenarios)
    by_members = {tuple(c.members): c for c in causes}
    assert sorted(by_members) == [("a", "b"), ("c",), ("d",)]  # requirement ids differ
    assert by_members["a", "b"].message.startswith("POST statements: the LRS answered 403")
    assert by_members["d",].message == "the story's fetch step failed: GET 405: use POST"
    assert root_cause(scenarios[-1]) is None
