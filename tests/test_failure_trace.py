"""A browser scenario that fails keeps its Playwright trace and a screenshot in the report
folder, linked from its row; one that passes keeps nothing (and loses what an earlier failing
run left). Real `run --driver browser` against the mutant capitalised-context, real Chromium."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from harness.browser import launch_chromium
from harness.cli import main

FAILS = "fetch-once-by-post"  # the LRS refuses the mutant's 'Context'
PASSES = "precedence-endpoint-url-no-fetch-no-key"  # sends nothing, whatever the mutant


def test_a_failed_browser_scenario_keeps_its_trace_and_screenshot(tmp_path: Path):
    stale = tmp_path / "artifacts" / PASSES
    stale.mkdir(parents=True)
    (stale / "trace.zip").write_bytes(b"from an earlier run")
    args = ["run", "--driver", "browser", "--au", "mutant:capitalised-context", "--workers", "2"]
    code = main([*args, "-k", f"{FAILS} or {PASSES}", "--report-dir", str(tmp_path)])
    assert code == 1
    results = {s["id"]: s for s in json.loads((tmp_path / "results.json").read_text())["scenarios"]}
    assert results[FAILS]["status"] == "failed" and results[PASSES]["status"] == "passed"
    assert results[FAILS]["artifacts"] == {
        "trace": f"artifacts/{FAILS}/trace.zip",
        "screenshot": f"artifacts/{FAILS}/screenshot.png",
    }
    assert results[PASSES]["artifacts"] == {}
    assert not stale.exists()
    assert sorted(p.name for p in (tmp_path / "artifacts").iterdir()) == [FAILS]
    shot = tmp_path / "artifacts" / FAILS / "screenshot.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with zipfile.ZipFile(tmp_path / "artifacts" / FAILS / "trace.zip") as trace:
        names = trace.namelist()
        assert "trace.trace" in names and "trace.network" in names
        events = [json.loads(line) for line in trace.read("trace.trace").splitlines() if line]
        assert any(e.get("type") == "screencast-frame" for e in events)
        network = trace.read("trace.network").decode()
        assert "Basic [redacted]" in network  # the statement's Authorization, recorded
        texts = [trace.read(n).decode("utf-8", "ignore") for n in names]
    for text in texts:  # no credential left: a Basic value or an auth-token is redacted
        assert not re.search(r"Basic (?!\[redacted)[A-Za-z0-9+/]{8,}", text)
        assert not re.search(r'auth-token\\*"\s*:\s*\\*"(?!\[redacted)', text)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.goto((tmp_path / "report.html").resolve().as_uri())
            row = page.locator("table.scenarios tbody tr", has_text=FAILS)
            links = row.locator(".artifacts a")
            assert links.all_inner_texts() == ["screenshot", "trace"]
            for href in links.evaluate_all("as => as.map(a => a.getAttribute('href'))"):
                assert not href.startswith(("/", "file:")) and (tmp_path / href).is_file()
            passed = page.locator("table.scenarios tbody tr", has_text=PASSES)
            assert passed.locator(".artifacts").count() == 0
        finally:
            browser.close()
