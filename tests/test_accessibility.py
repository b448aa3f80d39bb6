"""WCAG 2.2 A/AA in real Chromium: axe-core finds no critical or serious violation on the pages
people use, focus follows the login and the logout, and no page scrolls sideways on a phone.

The pages come from the real commands: a `serve` subprocess (its dashboard with a feed, the key
prompt, its hosted story page finished), `run --driver http` passing and failing, `certify`
against a strict fake LMS and a `certify --capture` page played to its verdict. axe-core is
injected from tests/interop/node_modules (the tests skip, saying so, where it is not installed)
into pages opened with their Content-Security-Policy bypassed, which would refuse that script.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from harness.cli import main
from tests.axe import blocking, require_axe, sideways_overflow, violations
from tests.certify_cli import fake, launch_urls
from tests.chromium import fresh_page
from tests.factories import statement
from tests.serve_process import ServeProcess
from tests.test_story_outcome import finish_story, launch_documented

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "qa:s3cret-key"
TIMEOUT_MS = 20_000
WAIT_MS = 60_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    require_axe()
    db = tmp_path_factory.mktemp("a11y") / "lms.db"
    with ServeProcess(db, "--mount", "observe=observe", api_key=API_KEY) as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A tab in a context of its own (no session cookie), the CSP bypassed so that axe can be
    injected."""
    with fresh_page(browser, 1280, 900, TIMEOUT_MS, bypass_csp=True) as tab:
        yield tab


# -- how each page is reached ---------------------------------------------------------------------


def story_page(page: Page, server: ServeProcess, tmp: Path) -> None:
    finish_story(page, launch_documented(server, "observe"))


def key_prompt(page: Page, server: ServeProcess, tmp: Path) -> None:
    page.goto(server.base_url + "/")
    expect(page.locator("#key-panel")).to_be_visible()


def log_in(page: Page, server: ServeProcess) -> None:
    page.goto(server.base_url + "/")
    page.locator("#api-key").fill(API_KEY)
    page.get_by_role("button", name="Use key").click()
    expect(page.locator("#app")).to_be_visible()


def dashboard(page: Page, server: ServeProcess, tmp: Path) -> None:
    """Logged in, with a feed: a finished story (observe) and accepted, rejected and refused
    statements with their verdicts (enforce), an AU and its launch builder open."""
    client = server.client()
    endpoint = server.endpoint
    assert client.post(endpoint + "statements", json=statement()).status_code == 200
    bad = statement(verb={"id": "not a uri", "display": {"en-US": "x"}})
    assert client.post(endpoint + "statements", json=bad).status_code == 400
    story_page(page, server, tmp)
    finish_story(page, launch_documented(server, "default"))  # refused on enforce: cmi5 verdict
    log_in(page, server)
    expect(page.locator('#feeds .feed[data-mount="default"] > li.entry').first).to_be_visible()
    page.locator("#au-list > li.au .builder > summary").first.click()
    expect(page.locator("#au-list .launch-form").first).to_be_visible()


def run_report(au: str, code: int) -> Callable[[Page, ServeProcess, Path], None]:
    """`run` of the content scenarios: against the mutant, a dozen failures of one cause."""

    def opened(page: Page, server: ServeProcess, tmp: Path) -> None:
        report_dir = tmp / "run"
        args = ["run", "--driver", "http", "--au", au, "-k", "content", "--workers", "2"]
        assert main([*args, "--report-dir", str(report_dir)]) == code
        page.goto((report_dir / "report.html").as_uri())

    return opened


def certify_report(page: Page, server: ServeProcess, tmp: Path) -> None:
    rep = tmp / "certify"
    with fake(tmp, mode="enforce") as lms:
        args = [*launch_urls(lms), "--report-dir", str(rep), "--timeout", "5", "--driver", "http"]
        assert main(["certify", *args]) == 0
    page.goto((rep / "report.html").as_uri())


def capture_page(page: Page, server: ServeProcess, tmp: Path) -> None:
    """`certify --capture` with one launch of its package from serve, played to the verdict."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "certify", "--capture", "--port", "0", "--timeout",
         "60", "--launches", "1", "--report-dir", str(tmp / "capture")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        package = read_package(proc)
        answer = server.client().post(
            f"{server.base_url}/api/courses?filename={package.name}",
            data=package.read_bytes(),
            headers={"Content-Type": "application/octet-stream"},
        )
        assert answer.status_code == 201, answer.text
        course = answer.json()["id"]
        answer = server.client().post(
            f"{server.base_url}/api/courses/{course}/aus/0/launches", json={"mount": "observe"}
        )
        assert answer.status_code == 201, answer.text
        page.goto(answer.json()["launch_url"])
        page.wait_for_function("window.weareCaptureDone !== undefined", timeout=WAIT_MS)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)


def read_package(proc: subprocess.Popen[str]) -> Path:
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if found := re.search(r"cmi5 course package .*: (\S+\.zip)", line):
            return Path(found.group(1))
    raise AssertionError(f"certify --capture printed no package: {lines}")


PAGES: dict[str, Callable[[Page, ServeProcess, Path], None]] = {
    "key-prompt": key_prompt,
    "dashboard": dashboard,
    "story": story_page,
    "run-report-passing": run_report("reference", 0),
    "run-report-failing": run_report("mutant:ignores-endpoint", 1),
    "certify-report": certify_report,
    "capture": capture_page,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_violation_and_fits_a_phone(name, server, page, tmp_path) -> None:
    PAGES[name](page, server, tmp_path)
    found = violations(page)
    width, wide = sideways_overflow(page)
    on_phone = violations(page)  # at 375 px too: lists wrap, targets come closer
    problems = blocking(found) + [f"at 375 px: {p}" for p in blocking(on_phone)]
    counts = {v["id"]: (v["impact"], len(v["targets"])) for v in found}
    phone = {v["id"]: (v["impact"], len(v["targets"])) for v in on_phone}
    print(f"axe {name}: {json.dumps(counts)}; at 375 px {json.dumps(phone)}, width {width}")
    assert problems == [], "\n".join(problems)
    assert width <= 375, f"{name} scrolls sideways at 375 px: {width} px wide, {wide}"


# -- focus ------------------------------------------------------------------------------------------


def test_focus_moves_to_the_first_heading_after_login_and_to_the_key_after_logout(
    server, page
) -> None:
    log_in(page, server)
    first = page.evaluate("document.querySelector('#app').querySelector('h1,h2,h3').id")
    assert first, "the dashboard's first heading has no id"
    expect(page.locator(f"#{first}")).to_be_focused()
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#key-panel")).to_be_visible()
    expect(page.locator("#api-key")).to_be_focused()
