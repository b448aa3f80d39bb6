"""Run scenarios: prepare each on the bench, drive the story (http or browser), check, report."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from harness.bench import Bench, BenchError, Prepared
from harness.checks import CheckResult, evaluate
from harness.scenarios import Scenario
from harness.story.behaviour import StoryConfig
from harness.story.client import WeAreClient
from harness.urls import is_http_url

SCENARIO_TIMEOUT_S = 45
READY_TIMEOUT_S = 15
# Resolves, once the reference story has set window.weareReady, to the centre of its Finish
# button (scrolled into view), where the runner then clicks with the mouse as a learner would:
# a wait on the page's own timer, without Playwright's selector engine and actionability
# polling, which cost more CPU than the rest of a scenario's page work.
FINISH_WHEN_READY = """(seconds) => new Promise((resolve, reject) => {
  const deadline = Date.now() + seconds * 1000;
  (function check() {
    if (window.weareReady === true) {
      const button = document.getElementById("finish");
      if (!button) return reject(new Error("the story has no #finish button"));
      button.scrollIntoView({ block: "center" });
      const box = button.getBoundingClientRect();
      resolve({ x: box.left + box.width / 2, y: box.top + box.height / 2 });
    } else if (Date.now() > deadline) {
      reject(new Error(`the story did not set window.weareReady within ${seconds} s`));
    } else {
      setTimeout(check, 5);
    }
  })();
})"""
# Checks that need the reference story's own report of what it did.
OUTCOME_CHECKS = ("outcome", "reason_contains", "redirect")


@dataclass
class Target:
    """What is under test: the reference story, one of its mutants, or an external story URL."""

    kind: str = "reference"  # reference, mutant, url
    mutant: str | None = None
    url: str | None = None
    finish_selector: str | None = None
    finish_script: Callable[[Any], Any] | None = None  # async def finish(page)

    @classmethod
    def parse(cls, text: str, finish_selector: str | None = None) -> Target:
        if text == "reference":
            return cls()
        if text.startswith("mutant:"):
            StoryConfig(mutant=text.removeprefix("mutant:"))  # validates the name
            return cls("mutant", mutant=text.removeprefix("mutant:"))
        if is_http_url(text):
            return cls("url", url=text, finish_selector=finish_selector)
        raise ValueError(f"--au must be 'reference', 'mutant:NAME' or an http(s) URL, got {text!r}")

    def label(self) -> str:
        return {"reference": "reference", "mutant": f"mutant:{self.mutant}"}.get(
            self.kind, self.url or ""
        )


@dataclass
class ScenarioResult:
    scenario: Scenario
    status: str  # passed, failed, error, skipped
    checks: list[CheckResult] = field(default_factory=list)
    launch: dict[str, Any] = field(default_factory=dict)
    outcome: dict[str, Any] = field(default_factory=dict)
    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # all sent, per mount
    statements: dict[str, dict[str, Any]] = field(default_factory=dict)  # Evidence.fates per mount
    journal: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "id": s.id,
            "title": s.title,
            "rule": s.rule,
            "file": s.file,
            "status": self.status,
            "message": self.message,
            "duration_s": round(self.duration_s, 3),
            "launch_url": self.launch.get("launch_url"),
            "launch": self.launch,
            "outcome": self.outcome,
            "checks": [c.as_dict() for c in self.checks],
            "received": self.received,
            "statements": self.statements,
            "journal": self.journal,
        }


async def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Wait, bounded, for a condition the browser makes true on the story's server."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {seconds:g} s for {what}")
        await asyncio.sleep(0.02)


def _skip_reason(scenario: Scenario, target: Target, driver: str) -> str | None:
    if target.kind == "url":
        omitted = set(scenario.launch.get("omit", []))
        if omitted & {"endpoint", "fetch"} or scenario.launch.get("overrides"):
            return (
                "an external story's API URL and key are unknown to the harness; only scenarios "
                "whose launch gives endpoint and fetch (which win over the configuration) apply"
            )
        if driver != "browser":
            return "an external story runs in a browser: use --driver browser"
    return None


def _journal_excerpt(evidence: Any) -> list[dict[str, Any]]:
    return [
        {
            "mount": e.role,
            "method": e.method,
            "path": e.path,
            "status": e.status,
            "answer": None if e.ok else e.answer(),
            "authorization": next(
                (v for k, v in e.headers.items() if k.lower() == "authorization"), None
            ),
            "verdicts": e.verdicts,
        }
        for e in evidence.exchanges
    ]


class Runner:
    def __init__(
        self,
        scenarios: list[Scenario],
        *,
        target: Target | None = None,
        driver: str = "http",
        workers: int = 4,
        progress: Callable[[ScenarioResult], None] | None = None,
        bench: Bench | None = None,
        first_index: int = 0,
    ) -> None:
        self.scenarios = scenarios
        self.target = target or Target()
        self.driver = driver
        self.workers = max(1, workers)
        self.progress = progress
        self._bench = bench
        # Scenario i gets index first_index + i, which names its mounts on the bench.
        self.first_index = first_index
        self.browser_version: str | None = None  # set once the browser driver has run

    # -- shared steps ---------------------------------------------------------------------------
    def _story(self) -> StoryConfig:
        return StoryConfig(mutant=self.target.mutant)

    def _prepare(self, bench: Bench, scenario: Scenario, index: int) -> Prepared:
        return bench.prepare(scenario, index, self._story(), au_url=self.target.url)

    def _finish(
        self, bench: Bench, prepared: Prepared, outcome: dict[str, Any], started: float
    ) -> ScenarioResult:
        evidence = bench.evidence(prepared, outcome)
        expect = dict(prepared.scenario.expect)
        if self.target.kind == "url":
            for key in OUTCOME_CHECKS:
                expect.pop(key, None)
        checks = evaluate(evidence, expect)
        return ScenarioResult(
            scenario=prepared.scenario,
            status="passed" if all(c.passed for c in checks) else "failed",
            checks=checks,
            launch=prepared.launch,
            outcome=outcome,
            received={role: evidence.sent_statements(role) for role in prepared.mounts},
            statements={role: evidence.fates(role) for role in prepared.mounts},
            journal=_journal_excerpt(evidence),
            duration_s=time.monotonic() - started,
        )

    def _report(self, result: ScenarioResult) -> ScenarioResult:
        if self.progress is not None:
            self.progress(result)
        return result

    # -- http driver ----------------------------------------------------------------------------
    def _run_http(self, bench: Bench, scenario: Scenario, index: int) -> ScenarioResult:
        started = time.monotonic()
        reason = _skip_reason(scenario, self.target, "http")
        if reason:
            return self._report(ScenarioResult(scenario, "skipped", message=reason))
        try:
            prepared = self._prepare(bench, scenario, index)
            origin = bench.story.base_url if prepared.story.transport == "browser" else None
            client = WeAreClient(
                prepared.story, origin=origin, story_url=bench.story.base_url + "/story/index.html"
            )
            try:
                outcome = client.run(prepared.launch["launch_url"], scenario.actions).as_dict()
            finally:
                client.http.close()
            result = self._finish(bench, prepared, outcome, started)
        except BenchError as exc:
            result = ScenarioResult(scenario, "error", message=str(exc))
        except Exception as exc:  # one broken scenario is reported; the run goes on
            result = ScenarioResult(scenario, "error", message=f"{type(exc).__name__}: {exc}")
        return self._report(result)

    # -- browser driver -------------------------------------------------------------------------
    async def _run_browser_one(
        self, bench: Bench, tabs: Tabs, scenario: Scenario, index: int, gate: asyncio.Semaphore
    ) -> ScenarioResult:
        async with gate:
            started = time.monotonic()
            reason = _skip_reason(scenario, self.target, "browser")
            if reason:
                return self._report(ScenarioResult(scenario, "skipped", message=reason))
            page, clean = None, False
            try:
                # An external story may keep state in its origin's storage: a fresh context.
                page = await tabs.take(fresh=self.target.kind == "url")
                prepared = await asyncio.to_thread(self._prepare, bench, scenario, index)
                outcome = await asyncio.wait_for(
                    self._drive_page(bench, page, prepared), SCENARIO_TIMEOUT_S
                )
                clean = self.target.kind != "url"
                result = await asyncio.to_thread(self._finish, bench, prepared, outcome, started)
            except BenchError as exc:
                result = ScenarioResult(scenario, "error", message=str(exc))
            except TimeoutError:
                result = ScenarioResult(
                    scenario,
                    "failed",
                    message=f"the story did not finish in {SCENARIO_TIMEOUT_S} s",
                )
            except Exception as exc:  # one broken scenario is reported; the run goes on
                result = ScenarioResult(scenario, "error", message=f"{type(exc).__name__}: {exc}")
            finally:
                if page is not None:
                    await tabs.give(page, reuse=clean)
            return self._report(result)

    async def _drive_page(self, bench: Bench, page: Any, prepared: Prepared) -> dict[str, Any]:
        await page.goto(prepared.launch["launch_url"], wait_until="domcontentloaded")
        if self.target.kind == "url":
            return await self._drive_external(page, prepared)
        finish = await page.evaluate(FINISH_WHEN_READY, READY_TIMEOUT_S)
        key = parse_qs(urlsplit(prepared.launch["launch_url"]).query)["cfg"][0]
        results = bench.story.registry.results
        for action in prepared.scenario.actions:
            if action == "finish":
                results.pop(key, None)
                await page.mouse.click(finish["x"], finish["y"])
                # The page reports to its server before it may redirect to returnURL.
                await _until(lambda: key in results, 20.0, "the story to report its outcome")
            elif action == "reload":
                results.pop(key, None)
                await page.reload(wait_until="domcontentloaded")
                finish = await page.evaluate(FINISH_WHEN_READY, READY_TIMEOUT_S)
        reported = results.get(key)
        if reported is None:
            reported = await page.evaluate("window.weareOutcome || null") or {}
        return reported

    async def _drive_external(self, page: Any, prepared: Prepared) -> dict[str, Any]:
        if self.target.finish_script is not None:
            await self.target.finish_script(page)
        elif self.target.finish_selector:
            await page.click(self.target.finish_selector, timeout=20_000)
        await page.wait_for_load_state("networkidle", timeout=20_000)
        return {"status": "unknown", "reason": "an external story does not report its outcome"}

    async def _run_browser_on(
        self, bench: Bench, tabs: Tabs, gate: asyncio.Semaphore
    ) -> list[ScenarioResult]:
        return list(
            await asyncio.gather(
                *(
                    self._run_browser_one(bench, tabs, s, i, gate)
                    for i, s in enumerate(self.scenarios, start=self.first_index)
                )
            )
        )

    def _run_browser(self, bench: Bench) -> list[ScenarioResult]:
        return run_in_one_browser([self], bench, self.workers)[0]

    # -- entry point ----------------------------------------------------------------------------
    def run(self) -> list[ScenarioResult]:
        bench = self._bench or Bench()
        own = self._bench is None
        if own:
            bench.start()
        try:
            if self.driver == "browser":
                return self._run_browser(bench)
            with ThreadPoolExecutor(self.workers) as pool:
                return list(
                    pool.map(
                        lambda pair: self._run_http(bench, pair[1], pair[0]),
                        enumerate(self.scenarios, start=self.first_index),
                    )
                )
        finally:
            if own:
                bench.stop()


# -- browser driver: one Chromium for many runs ---------------------------------------------------
class Tabs:
    """The tabs of one Chromium, each in its own browser context, reused scenario after scenario.

    Opening a tab starts a renderer process, the dearest step of a browser scenario (about half
    its time on a 2-core machine). A tab that served a scenario of the reference story or a
    mutant opens the next launch URL straight from the story it showed: a fresh document, as a
    learner launching one story after another (the navigation ends the old document, its
    scripts and any redirect it started; a detour through about:blank cost a navigation per
    scenario and nothing more). The page keeps no storage, and every scenario has its own mounts
    and so its own URLs, so nothing a tab caches (CORS preflights) applies to the next scenario.
    A tab whose scenario went wrong, or that ran an external story, is closed.
    """

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self._free: list[Any] = []
        self._crashed: set[Any] = set()

    async def take(self, *, fresh: bool = False) -> Any:
        if self._free and not fresh:
            return self._free.pop()
        context = await self.browser.new_context()
        page = await context.new_page()
        # Its renderer died: not given to another scenario.
        page.on("crash", lambda crashed: self._crashed.add(crashed))
        return page

    async def give(self, page: Any, *, reuse: bool) -> None:
        if reuse and not page.is_closed() and page not in self._crashed:
            self._free.append(page)
            return
        self._crashed.discard(page)
        with contextlib.suppress(Exception):  # gone with its browser; the scenario says why
            await page.context.close()

    async def close(self) -> None:
        while self._free:
            await self._free.pop().context.close()


async def _browser_runs(
    runners: list[Runner], bench: Bench, workers: int
) -> list[list[ScenarioResult]]:
    from playwright.async_api import async_playwright

    from harness.browser import launch_chromium

    async with async_playwright() as p:
        browser = await launch_chromium(p)
        for runner in runners:
            runner.browser_version = browser.version
        tabs = Tabs(browser)
        try:
            gate = asyncio.Semaphore(max(1, workers))
            return list(
                await asyncio.gather(*(r._run_browser_on(bench, tabs, gate) for r in runners))
            )
        finally:
            await tabs.close()
            await browser.close()


def run_in_one_browser(
    runners: list[Runner], bench: Bench, workers: int
) -> list[list[ScenarioResult]]:
    """Several runs on one bench (e.g. one per mutant) in one Chromium, `workers` scenarios at
    a time across all of them; each run's results in scenario order. Give the runs disjoint
    `first_index` ranges: the index names a scenario's mounts on the shared bench."""
    return asyncio.run(_browser_runs(runners, bench, workers))
