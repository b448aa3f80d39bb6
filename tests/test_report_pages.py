"""report.html as people use it, in real Chromium: `run` passing and failing, and `certify`.

The reports come from the real commands: `run --driver http` (the reference story, then the
ignores-endpoint mutant) against the real fake LMS, and `certify` against a strict fake LMS.
Each page is opened from disk and used: failures first, grouped by root cause, the search
box, the sortable columns, the history with a flaky scenario and a corrupt line, and no CSP
violation or script error. Screenshots go to reports/screenshots/ for anyone to look at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from harness.browser import launch_chromium
from harness.cli import main
from harness.report import history
from tests.certify_cli import fake, launch_urls

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "reports" / "screenshots"
MUTANT = "mutant:ignores-endpoint"
FLAKY = "precedence-endpoint-url-fetch-key"  # fails against the mutant; passed "before"


def _run(report_dir: Path, au: str) -> int:
    args = ["run", "--driver", "http", "--au", au, "-k", "precedence-endpoint"]
    return main([*args, "--report-dir", str(report_dir), "--workers", "2"])


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("report-pages")
    assert _run(base / "pass", "reference") == 0
    failing = base / "fail"
    failing.mkdir()
    # An earlier run of the same target in which FLAKY passed, after a line that is not JSON.
    earlier = history.entry(
        time="2026-01-01T00:00:00Z",
        target=MUTANT,
        driver="http",
        counts={"scenarios": 1, "passed": 1},
        failed=[],
        passed=[FLAKY],
        duration_s=1.0,
    )
    (failing / "history.jsonl").write_text("{not json\n" + json.dumps(earlier) + "\n")
    assert _run(failing, MUTANT) == 1
    return {"pass": base / "pass", "fail": failing}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


class Opened:
    """A report opened in a fresh page, recording requests and console problems."""

    def __init__(self, browser: Browser, path: Path) -> None:
        self.url = path.resolve().as_uri()
        self.page: Page = browser.new_page(viewport={"width": 1280, "height": 1000})
        self.requests: list[str] = []
        self.problems: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on(
            "console",
            lambda m: m.type in ("error", "warning") and self.problems.append(m.text),
        )
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.goto(self.url)

    def column(self, table: str, n: int) -> list[str]:
        cells = self.page.locator(f"{table} tbody tr:visible td:nth-child({n})")
        return [t.strip() for t in cells.all_inner_texts()]

    def sort(self, table: str, header: str) -> None:
        self.page.locator(f"{table} thead th button.sort", has_text=header).click()

    def assert_clean(self) -> None:
        """Loaded nothing but itself; no CSP violation, no script error; CSP by hashes only."""
        csp = self.page.locator("meta[http-equiv=Content-Security-Policy]").get_attribute("content")
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp
        assert len(re.findall(r"'sha256-[A-Za-z0-9+/=]+'", csp)) == 2
        assert self.requests == [self.url]
        assert self.problems == []
        self.page.set_viewport_size({"width": 375, "height": 800})  # a phone: no sideways scroll
        wide = self.page.evaluate(
            "() => [...document.querySelectorAll('body *')]"
            ".filter(e => e.getBoundingClientRect().right > 375)"
            ".map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}"
            " ${(e.textContent || '').slice(0, 80)}`)"
        )
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (width, wide[-3:])


def test_failing_mutant_report_puts_failures_first_grouped_and_open(reports, browser):
    report = Opened(browser, reports["fail"] / "report.html")
    page = report.page
    try:
        assert page.title().startswith("weare-harness: FAILED")
        statuses = page.locator("table.scenarios tbody tr").evaluate_all(
            "rows => rows.map(r => r.className)"
        )
        assert "st-failed" in statuses and "st-passed" in statuses
        assert statuses == sorted(statuses, key=lambda s: s != "st-failed")  # failures first
        # The details are folded by cause, each fold's first scenario open inside; passes closed.
        assert page.locator("details.group[open]").count() == 0
        opened = page.locator("details.group").evaluate_all(
            "all => all.map(g => [...g.querySelectorAll('details.scenario')].map(d => d.open))"
        )
        causes_n = page.locator("table.causes tbody tr").count()
        assert [first for first, *_ in opened[:causes_n]] == [True] * causes_n
        assert not any(rest for fold in opened for rest in fold[1:])
        assert not any(opened[-1])  # the passed ones
        # Grouped by root cause: the LRS's refusal of the credentials, one row for its scenarios.
        first = page.locator("table.causes tbody tr", has_text="the LRS answered 401")
        count = int(first.locator("td.count").inner_text())
        assert count == 2 and first.locator("a").count() == count
        rollup = page.locator("header .rollup").inner_text()
        assert rollup.startswith(f"7 failures, {causes_n} causes: ") and causes_n == 5
        # A link into a fold opens it and the scenario.
        first.locator("summary").click()
        first.locator("a").first.click()
        target = page.locator("details.scenario:target")
        assert target.count() == 1 and target.evaluate("d => d.open && d.parentElement.open")
        # History: this run and the earlier one; the corrupt line is skipped and said.
        warnings = page.locator(".warnings").inner_text()
        assert "history.jsonl line 1 skipped: not valid JSON" in warnings
        assert "2 recent runs" in page.locator("#h-history").inner_text()
        flaky = page.locator("table.flaky tbody tr")
        assert flaky.count() == 1 and flaky.first.inner_text().split() == [FLAKY, "PF"]
        assert page.locator("svg.trend rect.b-pass").count() == 2
        assert FLAKY in page.locator("header .flaky-note").inner_text()
        row = page.locator("table.scenarios tbody tr", has_text=FLAKY)
        assert row.locator(".tag").inner_text() == "flaky"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "report-failing-mutant.png"))
        page.locator("section.history").screenshot(path=str(SHOTS / "report-history.png"))
        # Search: one scenario by a word of its id, then everything again.
        scenarios = page.locator("table.scenarios tbody tr")
        total = scenarios.count()
        page.fill("#search", "Precedence-endpoint-no-url-no-fetch-no-key")
        assert report.column("table.scenarios", 2) == ["precedence-endpoint-no-url-no-fetch-no-key"]
        assert page.locator("details.scenario:not([hidden])").count() == 1
        causes = page.locator("table.causes tbody tr:visible")
        assert 1 <= causes.count() < page.locator("table.causes tbody tr").count()
        for row in causes.all():
            assert (
                "precedence-endpoint-no-url-no-fetch-no-key" in row.locator("a").all_text_contents()
            )
        rows = page.locator("table.searchable tbody tr")
        matched = f"{rows.locator('visible=true').count()} of {rows.count()} rows match"
        assert page.locator("#search-count").inner_text() == matched
        page.fill("#search", "")
        assert scenarios.locator("visible=true").count() == total
        # Sort: by scenario id, both ways; by time, as numbers.
        report.sort("table.scenarios", "Scenario")
        ids = report.column("table.scenarios", 2)
        assert ids == sorted(ids) and len(ids) == total
        report.sort("table.scenarios", "Scenario")
        assert report.column("table.scenarios", 2) == sorted(ids, reverse=True)
        report.sort("table.scenarios", "Time")
        times = page.locator("table.scenarios tbody td.time").evaluate_all(
            "cells => cells.map(c => parseFloat(c.dataset.sort))"
        )
        assert times == sorted(times)
        report.sort("table.scenarios", "Status")
        assert report.column("table.scenarios", 1)[0] == "FAIL"
        report.assert_clean()
    finally:
        page.close()


def test_passing_report_has_passes_collapsed_and_no_causes(reports, browser):
    report = Opened(browser, reports["pass"] / "report.html")
    page = report.page
    try:
        assert page.title().startswith("weare-harness: PASSED")
        assert page.locator("table.causes, .rollup").count() == 0
        assert json.loads((reports["pass"] / "results.json").read_text())["causes"] == []
        ran = json.loads((reports["pass"] / "results.json").read_text())["totals"]["scenarios"]
        assert page.locator("details.scenario").count() == ran == 8
        assert page.locator("details.scenario[open]").count() == 0
        assert "No flaky scenario" in page.locator("section.history").inner_text()
        assert page.locator(".flaky-note, .tag").count() == 0
        header = page.locator("header dl.run").inner_text()
        assert "reference" in header and "scenario files sha256" in header
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "report-pass.png"))
        report.assert_clean()
    finally:
        page.close()


def test_certify_report_puts_blockers_first_grouped_with_history(tmp_path, browser):
    rep = tmp_path / "rep"
    with fake(tmp_path, mode="enforce") as lms:
        urls = launch_urls(lms)
        for _ in range(2):  # twice: the history of this LMS has two runs
            args = [*urls[:2], "--report-dir", str(rep), "--timeout", "5", "--driver", "http"]
            assert main(["certify", *args]) == 0
            urls = urls[2:] + launch_urls(lms, 1)
    data = json.loads((rep / "results.json").read_text())
    meta = data["meta"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["started_at"])
    assert meta["target"] == re.match(r"https?://[^/]+", data["destination"]).group(0)
    assert meta["chromium"] is None and meta["driver"] == "http"
    assert len((rep / "history.jsonl").read_text().splitlines()) == 2
    report = Opened(browser, rep / "report.html")
    page = report.page
    try:
        rows = page.locator("table.checks tbody tr")
        assert rows.first.locator("td").nth(2).inner_text() == "statement.completed"
        assert "blocker" in rows.first.inner_text()
        cause = page.locator("table.causes tbody tr").first
        # The PUT goes inside the full flow's started session, where a strict LMS accepts it:
        # only the documented Completed is refused for the cmi5 rule.
        assert cause.locator("td.count").inner_text() == "1"
        assert cause.locator("a").all_inner_texts() == ["statement.completed"]
        assert page.locator("details.scenario.st-fail[open]").count() == 1
        assert page.locator("details.scenario.st-pass[open]").count() == 0
        assert "2 recent runs" in page.locator("#h-history").inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "certify-report.png"))
        page.fill("#search", "statement.put")
        assert report.column("table.checks", 3) == ["statement.put"]
        page.fill("#search", "")
        report.sort("table.checks", "Check")
        ids = report.column("table.checks", 3)
        assert ids == sorted(ids) and len(ids) == data["counts"]["checks"]
        report.assert_clean()
    finally:
        page.close()
