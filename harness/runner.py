"""Run scenarios: prepare each on the bench, drive the story (http or browser), check, report."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fake_lms.cmi5.vocab import VERB_COMPLETED, VERB_INITIALIZED, VERB_TERMINATED
from fake_lms.findings import Finding
from fake_lms.quirks import SLOW_SECONDS
from harness import failure_trace
from harness.bench import Bench, BenchError, Prepared
from harness.checks import as_dict, evaluate
from harness.evidence import Exchange, exchange_of, verb_of
from harness.scenarios import Scenario
from harness.story.behaviour import StoryConfig
from harness.story.client import WeAreClient
from harness.story_integration import StoryIntegration
from harness.urls import error_text, is_http_url

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
# What an external story's visible outcome cannot tell: the reference's own failure wording
# and where it went on exit.
REFERENCE_WORDS = ("reason_contains", "redirect")
# How long an external story may take after the learner's action, before the LRS's delays.
STORY_BUDGET_S = 20.0
REQUESTS_PER_STORY = 12  # what a full cmi5 session sends, with room: what a slow LRS delays
REFERENCE_TRAIT = "reference-trait"  # a scenario pinning the reference's choice, not a rule
POLL_S = 0.25  # how often the runner looks at what an external story sent
SETTLE_S = 0.5  # quiet after the story's closing statement, for anything it sends after it
NOTHING_S = 3.0  # quiet that says a story expected to send nothing has sent nothing
# Why a scenario was not run under `exitfirst` (`run -x`): reported as skipped with this message.
NOT_RUN = "not run: -x stopped the run at the first failure"


@dataclass(frozen=True)
class StoryOutcome:
    """An external story's visible outcome: the element that shows it and the words for each."""

    selector: str
    completed: str  # a regular expression the text matches when the story completed
    failed: str  # ... and when it failed


@dataclass
class Target:
    """What is under test: the reference story, one of its mutants, or an external story URL."""

    kind: str = "reference"  # reference, mutant, url
    mutant: str | None = None
    url: str | None = None
    finish_selector: str | None = None
    finish_script: Callable[[Any], Any] | None = None  # async def finish(page)
    behaviour: str | None = None  # what the story plays, when known beforehand
    done_selector: str | None = None  # shown once the story has sent what it sends
    outcome: StoryOutcome | None = None  # how to read the story's visible outcome
    integration: StoryIntegration | None = None  # its settings in We Are, the same every run

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
    checks: list[Finding] = field(default_factory=list)
    launch: dict[str, Any] = field(default_factory=dict)
    outcome: dict[str, Any] = field(default_factory=dict)
    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # all sent, per mount
    statements: dict[str, dict[str, Any]] = field(default_factory=dict)  # Evidence.fates per mount
    journal: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""
    duration_s: float = 0.0
    behaviour: str = ""  # what the story played in this scenario, told from what it sent
    artifacts: dict[str, str] = field(default_factory=dict)  # kept on failure: trace, screenshot

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
            "behaviour": self.behaviour,
            "launch_url": self.launch.get("launch_url"),
            "launch": self.launch,
            "outcome": self.outcome,
            "checks": [as_dict(c) for c in self.checks],
            "received": self.received,
            "statements": self.statements,
            "journal": self.journal,
            "artifacts": self.artifacts,
        }


async def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Wait, bounded, for a condition the browser makes true on the story's server."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {seconds:g} s for {what}")
        await asyncio.sleep(0.02)


def _skip_reason(
    scenario: Scenario, target: Target, driver: str, behaviour: str | None = None
) -> str | None:
    """Why a scenario cannot judge this target, or None. For an external story: `behaviour`
    is what the story plays (told from what it sent, or given in its profile)."""
    if target.kind != "url":
        return None
    if driver != "browser":
        return "an external story runs in a browser: use --driver browser"
    if REFERENCE_TRAIT in scenario.tags:
        return (
            "it describes what the reference story does where the contract leaves a choice "
            "(tag reference-trait), not a rule every story must follow"
        )
    declared = scenario.story.get("behaviour")
    if declared and behaviour and declared != behaviour:
        return f"it is about the {declared} behaviour, and this story plays {behaviour}"
    omitted = set(scenario.launch.get("omit", [])) & {"endpoint", "fetch"}
    if omitted:
        unknown = integration_mismatch(scenario, target.integration)
        if unknown:
            return (
                f"the launch leaves out {' and '.join(sorted(omitted))}, so the story falls back "
                f"on its integration settings in We Are, and {unknown}"
            )
    if scenario.expect.get("outcome") == "failed" and target.outcome is None:
        return (
            "its point is that the story fails clearly, and this story's visible outcome cannot "
            "be read (give an outcome selector)"
        )
    return None


# The launch that tells an external story's behaviour: every parameter, nothing refused.
BASELINE = Scenario(
    id="story-behaviour",
    title="what the story plays on a plain launch",
    rule={"text": "told from the statements it sends", "source": "seed; cmi5 §9.3"},
    expect={"completed": True},
    launch={"profile": "weare"},
)


async def forget_story_data(page: Any, url: str) -> None:
    """Clear what the story's origin keeps in the browser (cookies, local and session storage,
    IndexedDB, caches, service workers), so that a tab reused for the next scenario launches the
    story as a fresh browser would: a new tab costs a renderer process per scenario."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    await page.context.clear_cookies()
    cdp = await page.context.new_cdp_session(page)
    try:
        await cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
    finally:
        await cdp.detach()


class Traffic:
    """What the story sends to a scenario's mounts, read from their journals a little at a time
    (each look reads only the entries after the last one seen)."""

    def __init__(self, bench: Bench, prepared: Prepared) -> None:
        self.bench, self.prepared = bench, prepared
        self.after = dict.fromkeys(prepared.mounts, 0)  # role -> last journal seq seen
        self.exchanges: list[Exchange] = []
        self.since = 0  # exchanges before this index came before the learner's action

    def read(self) -> bool:
        """Fetch what is new; True when something was."""
        before = len(self.exchanges)
        for role, mount in self.prepared.mounts.items():
            fresh = self.bench.admin.journal(mount, after=self.after[role])
            for entry in fresh:
                self.after[role] = max(self.after[role], entry["seq"])
            self.exchanges += [
                exchange_of(role, e) for e in self.prepared.mine(role, fresh, "request")
            ]
        return len(self.exchanges) > before

    def mark(self) -> None:
        self.since = len(self.exchanges)

    def _statement_requests(self, everything: bool) -> list[Exchange]:
        chosen = self.exchanges if everything else self.exchanges[self.since :]
        return [e for e in chosen if e.is_statements]

    def verbs(self, *, everything: bool = False) -> list[str | None]:
        """The verb of each statement sent since the mark (or ever)."""
        return [verb_of(s) for e in self._statement_requests(everything) for s in e.statements()]

    def refused(self) -> bool:
        """A statement request since the mark was answered non-2xx."""
        return any(not e.ok for e in self._statement_requests(False))


def integration_mismatch(scenario: Scenario, story: StoryIntegration | None) -> str | None:
    """Why the story's own integration settings cannot be the scenario's, or None."""
    if story is None:
        return "the story profile does not say which are set (integration: api_url, api_key)"
    wanted = scenario.integration
    for name, is_set in (("api_url", story.api_url_set), ("api_key", story.api_key_set)):
        role = wanted.get(name, "configured")
        if role not in ("configured", "none"):
            return f"this scenario points its {name} at the {role!r} mount, not the story's own"
        if (role == "configured") != is_set:
            return (
                f"this scenario needs the {name} {'set' if role == 'configured' else 'not set'},"
                f" and the story profile says integration.{name}: {str(is_set).lower()}"
            )
    if not wanted.get("api_url_slash", True):
        return "this scenario needs the API URL set without its trailing slash"
    return None


def delays(scenario: Scenario) -> float:
    """The seconds an LRS slowed on purpose adds to a story's run (quirk slow-responses)."""
    if "slow-responses" in scenario.lms.get("quirks", []):
        return SLOW_SECONDS * REQUESTS_PER_STORY
    return 0.0


def expects_no_statement(scenario: Scenario) -> bool:
    """The scenario's point is that nothing is sent (or accepted) anywhere."""
    expect = scenario.expect
    if expect.get("delivered") == "none" or expect.get("credentials") == "none":
        return True
    counts = [expect.get("statements", {}), expect.get("refused", {})]
    return bool(counts[0]) and all(v == 0 for c in counts for v in c.values())


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
        artifacts: Path | None = None,
        exitfirst: bool = False,
    ) -> None:
        self.scenarios = scenarios
        self.target = target or Target()
        self.driver = driver
        self.workers = max(1, workers)
        self.progress = progress
        self._bench = bench
        # Scenario i gets index first_index + i, which names its mounts on the bench.
        self.first_index = first_index
        # The report folder: a browser scenario that fails keeps its trace and screenshot there.
        self.artifacts = artifacts
        self.browser_version: str | None = None  # set once the browser driver has run
        # What an external story plays: given in its profile, else told from a first launch.
        self.story_behaviour: str | None = self.target.behaviour
        self.behaviour_error: str | None = None  # why the first launch told nothing
        # With exitfirst, set by the first failed or errored scenario: no scenario starts after
        # it (those already running finish); the others are reported as not run.
        self.exitfirst = exitfirst
        self.stopped = threading.Event()

    # -- shared steps ---------------------------------------------------------------------------
    def _story(self) -> StoryConfig:
        return StoryConfig(mutant=self.target.mutant)

    def _prepare(self, bench: Bench, scenario: Scenario, index: int) -> Prepared:
        return bench.prepare(
            scenario, index, self._story(), au_url=self.target.url, shared=self.target.integration
        )

    def _finish(
        self, bench: Bench, prepared: Prepared, outcome: dict[str, Any], started: float
    ) -> ScenarioResult:
        evidence = bench.evidence(prepared, outcome)
        expect = dict(prepared.scenario.expect)
        notes = [outcome.pop("waited")] if outcome.get("waited") else []
        if self.target.kind == "url":
            unjudged = REFERENCE_WORDS if self.target.outcome else OUTCOME_CHECKS
            dropped = [key for key in unjudged if expect.pop(key, None) is not None]
            if dropped:
                notes.append(
                    f"not judged for an external story: {', '.join(dropped)} (the reference "
                    "story's own report)"
                )
        checks = evaluate(evidence, expect)
        passed = all(c.passed for c in checks)
        return ScenarioResult(
            scenario=prepared.scenario,
            status="passed" if passed else "failed",
            message="; ".join(notes),
            behaviour=evidence.behaviour(),
            checks=checks,
            launch=prepared.launch,
            outcome=outcome,
            received={role: evidence.sent_statements(role) for role in prepared.mounts},
            statements={role: evidence.fates(role) for role in prepared.mounts},
            journal=_journal_excerpt(evidence),
            duration_s=time.monotonic() - started,
        )

    def _not_run(self, scenario: Scenario) -> ScenarioResult | None:
        """The scenario reported as not run once an earlier one stopped the run, else None."""
        if not self.stopped.is_set():
            return None
        return self._report(ScenarioResult(scenario, "skipped", message=NOT_RUN))

    def _report(self, result: ScenarioResult) -> ScenarioResult:
        if self.exitfirst and result.status in ("failed", "error"):
            self.stopped.set()
        if self.progress is not None:
            self.progress(result)
        return result

    # -- http driver ----------------------------------------------------------------------------
    def _run_http(self, bench: Bench, scenario: Scenario, index: int) -> ScenarioResult:
        if (not_run := self._not_run(scenario)) is not None:
            return not_run
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
            result = ScenarioResult(scenario, "error", message=error_text(exc))
        return self._report(result)

    # -- browser driver -------------------------------------------------------------------------
    async def _run_browser_one(
        self, bench: Bench, tabs: Tabs, scenario: Scenario, index: int, gate: asyncio.Semaphore
    ) -> ScenarioResult:
        async with gate:
            if (not_run := self._not_run(scenario)) is not None:
                return not_run
            started = time.monotonic()
            reason = _skip_reason(scenario, self.target, "browser", self.story_behaviour)
            if reason:
                return self._report(ScenarioResult(scenario, "skipped", message=reason))
            page, clean, traced, result = None, False, False, None
            try:
                page = await tabs.take()
                if self.artifacts is not None:
                    traced = await failure_trace.start(page)
                if self.target.kind == "url":  # it may keep state in its origin's storage
                    await forget_story_data(page, self.target.url or "")
                prepared = await asyncio.to_thread(self._prepare, bench, scenario, index)
                limit = SCENARIO_TIMEOUT_S + delays(scenario)
                outcome = await asyncio.wait_for(self._drive_page(bench, page, prepared), limit)
                clean = True
                result = await asyncio.to_thread(self._finish, bench, prepared, outcome, started)
            except BenchError as exc:
                result = ScenarioResult(scenario, "error", message=str(exc))
            except TimeoutError:
                result = ScenarioResult(
                    scenario,
                    "failed",
                    message=f"the story did not finish in {limit:g} s",
                )
            except Exception as exc:  # one broken scenario is reported; the run goes on
                result = ScenarioResult(scenario, "error", message=error_text(exc))
            finally:
                if page is not None:
                    if traced and result is not None and self.artifacts is not None:
                        result.artifacts = await failure_trace.keep(
                            page, result.status, self.artifacts, scenario.id
                        )
                    await tabs.give(page, reuse=clean)
            return self._report(result)

    async def _drive_page(self, bench: Bench, page: Any, prepared: Prepared) -> dict[str, Any]:
        await page.goto(prepared.launch["launch_url"], wait_until="domcontentloaded")
        if self.target.kind == "url":
            return await self._drive_external(bench, page, prepared)
        finish = await page.evaluate(FINISH_WHEN_READY, READY_TIMEOUT_S + delays(prepared.scenario))
        key = parse_qs(urlsplit(prepared.launch["launch_url"]).query)["cfg"][0]
        results = bench.story.registry.results
        for action in prepared.scenario.actions:
            if action == "finish":
                results.pop(key, None)
                await page.mouse.click(finish["x"], finish["y"])
                # The page reports to its server before it may redirect to returnURL.
                await _until(
                    lambda: key in results,
                    STORY_BUDGET_S + delays(prepared.scenario),
                    "the story to report its outcome",
                )
            elif action == "reload":
                results.pop(key, None)
                await page.reload(wait_until="domcontentloaded")
                finish = await page.evaluate(
                    FINISH_WHEN_READY, READY_TIMEOUT_S + delays(prepared.scenario)
                )
        reported = results.get(key)
        if reported is None:
            reported = await page.evaluate("window.weareOutcome || null") or {}
        return reported

    async def _drive_external(self, bench: Bench, page: Any, prepared: Prepared) -> dict[str, Any]:
        """The learner's actions on an external story, each `finish` followed by a wait for
        what the story sends (not for a quiet network); then its visible outcome, if readable."""
        budget = STORY_BUDGET_S + delays(prepared.scenario)
        waited: list[str] = []
        for action in prepared.scenario.actions:
            if action == "reload":
                await page.reload(wait_until="domcontentloaded")
                continue
            traffic = Traffic(bench, prepared)
            await asyncio.to_thread(traffic.read)  # what came before the action does not count
            traffic.mark()
            stopped = await self._finish_story(page, budget)
            if stopped:
                waited.append(stopped)
                break
            note = await self._await_story(page, prepared, traffic, budget)
            if note:
                waited.append(note)
        outcome = await self._read_outcome(page, budget)
        if waited:
            outcome["waited"] = "; ".join(waited)
        return outcome

    async def _await_story(
        self, page: Any, prepared: Prepared, traffic: Traffic, budget: float
    ) -> str | None:
        """Wait until the story has sent what it sends after the learner's action: its done
        signal (the profile's selector), or its closing statement (terminated in a cmi5 session,
        else Completed) or a refusal, then SETTLE_S of quiet; a scenario that expects nothing
        waits NOTHING_S of quiet. Bounded by `budget`; answers why it stopped waiting, or None.
        `traffic` was marked before the action; only journal entries new since the last look
        are read."""
        started = time.monotonic()
        expects_nothing = expects_no_statement(prepared.scenario)
        changed = started
        while (now := time.monotonic()) - started < budget:
            if self.target.done_selector and await page.locator(self.target.done_selector).count():
                return None
            if await asyncio.to_thread(traffic.read):
                changed = now
            quiet = now - changed
            verbs = traffic.verbs()
            closing = (
                VERB_TERMINATED
                if VERB_INITIALIZED in traffic.verbs(everything=True)
                else VERB_COMPLETED
            )
            if (closing in verbs or traffic.refused()) and quiet >= SETTLE_S:
                return None
            if expects_nothing and quiet >= NOTHING_S:
                return None
            await asyncio.sleep(POLL_S)
        sent = len(traffic.verbs())
        return (
            f"waited {budget:g} s after the learner's action for the story's closing statement "
            f"(or its done signal); it sent {sent} statement{'s' if sent != 1 else ''} meanwhile"
        )

    async def _finish_story(self, page: Any, budget: float) -> str | None:
        """The learner finishes the story (its profile's script or selector), as soon as the
        story lets them; None once done, else why not: the story showed its failure first (the
        learner cannot finish a story that failed), or its finish never became clickable."""
        if self.target.finish_script is not None:
            await asyncio.wait_for(self.target.finish_script(page), budget)
            return None
        selector = self.target.finish_selector
        if not selector:
            return None  # a story that finishes by itself
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            shown = await self._shown_outcome(page)
            if shown is not None and shown["status"] == "failed":
                return f"the story failed before it could be finished: {shown['reason']!r}"
            try:
                await page.click(selector, timeout=500)
                return None
            except PlaywrightTimeout:
                continue
        return f"the story's finish ({selector}) could not be clicked within {budget:g} s"

    async def _shown_outcome(self, page: Any) -> dict[str, Any] | None:
        """The outcome the story shows now (completed or failed), or None (none yet/unreadable)."""
        how = self.target.outcome
        if how is None:
            return None
        found = page.locator(how.selector)
        if not await found.count():
            return None
        text = " ".join(((await found.first.text_content()) or "").split())
        for status, pattern in (("failed", how.failed), ("completed", how.completed)):
            if text and re.search(pattern, text, re.IGNORECASE):
                return {"status": status, "reason": text}
        return None

    async def _read_outcome(self, page: Any, budget: float) -> dict[str, Any]:
        how = self.target.outcome
        if how is None:
            return {"status": "unknown", "reason": "an external story does not report its outcome"}
        deadline = time.monotonic() + budget
        while time.monotonic() < deadline:
            shown = await self._shown_outcome(page)
            if shown is not None:
                return shown
            await asyncio.sleep(0.2)
        found = page.locator(how.selector)
        text = (await found.first.text_content() or "") if await found.count() else ""
        return {
            "status": "unknown",
            "reason": f"{how.selector} showed {' '.join(text.split())!r} after {budget:g} s, "
            f"neither the completed words ({how.completed!r}) nor the failed ones "
            f"({how.failed!r})",
        }

    async def _learn_behaviour(self, bench: Bench, tabs: Tabs) -> None:
        """An external story's behaviour, told from what it sends on a plain launch (every
        parameter of We Are's article, an observing LMS): before any scenario is judged."""
        if self.target.kind != "url" or self.story_behaviour is not None:
            return
        page = await tabs.take()
        await forget_story_data(page, self.target.url or "")
        clean = False
        try:
            prepared = await asyncio.to_thread(
                self._prepare, bench, BASELINE, self.first_index + len(self.scenarios)
            )
            await asyncio.wait_for(
                self._drive_page(bench, page, prepared), SCENARIO_TIMEOUT_S + STORY_BUDGET_S
            )
            evidence = await asyncio.to_thread(bench.evidence, prepared, {})
            self.story_behaviour = evidence.behaviour()
            clean = True
        except Exception as exc:  # the scenarios then run and say what went wrong
            self.story_behaviour = None
            self.behaviour_error = error_text(exc)
        finally:
            await tabs.give(page, reuse=clean)

    async def _run_browser_on(
        self, bench: Bench, tabs: Tabs, gate: asyncio.Semaphore
    ) -> list[ScenarioResult]:
        await self._learn_behaviour(bench, tabs)
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
