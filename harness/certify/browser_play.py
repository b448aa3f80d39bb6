"""certify --launch-url in a real browser: the browser is the judge.

We Are runs in the learner's browser, on its own origin. certify serves the capture page (the
reference story's own `story.js`, driven phase by phase, as `certify --capture` does) under the
origin We Are would have (`--origin`): headless Chromium asks for `ORIGIN/...` and certify answers
those requests itself (Playwright routes them to the capture server on 127.0.0.1), so every
request the page makes to the LMS leaves with that Origin and meets the LMS's real CORS, redirects
and mixed-content rules. Each launch URL's parameters are opened on that page in turn; between the
page's phases the capture session sends certify's own probes from Python (GET on a fresh fetch
URL, wrong credentials, a malformed statement, PUT), inside the session the page started.

What the browser refused (a CORS error, mixed content) reaches the page only as "Failed to fetch";
Chromium's own words come from the console and are joined to the request they name before the
checks run.

Chromium's Local Network Access checks are off: they ask a person for permission before a public
page may call a loopback or private address, which certify's own tests (an LMS on 127.0.0.1) and
an intranet LMS being certified would otherwise always fail on; no LMS answer changes with them.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlencode, urlsplit

from harness.browser import CHROMIUM_ARGS, launch_chromium
from harness.certify.capture.server import CaptureServer
from harness.certify.capture.session import CaptureSession
from harness.certify.causes import BLOCKED_IN_BROWSER
from harness.certify.context import TEST_ACTIVITY, TEST_ACTOR, CertInputs
from harness.certify.flow import Unreachable
from harness.certify.run import Certification

BROWSER_ARGS = (*CHROMIUM_ARGS, "--disable-features=LocalNetworkAccessChecks")
PUMP_MS = 100  # how often the wait loops hand control to Playwright (console events arrive then)
REQUESTS_PER_LAUNCH = 30  # the most requests a launch makes (page and probes): bounds the waits
BROWSER_WORDS = re.compile(r"(has been blocked by CORS policy|Mixed Content|ERR_[A-Z_]+)")


class BrowserUnavailable(Exception):
    """Chromium cannot be started here; the message says why and what to do."""


def page_query(launch_url: str | None) -> str:
    """The query the page is opened with: the launch URL's own, or for an API-key set-up
    (no launch URL), the two parameters We Are always needs, naming certify's test learner."""
    if launch_url:
        return urlsplit(launch_url).query
    return urlencode(
        {"actor": json.dumps(TEST_ACTOR, separators=(",", ":")), "activityId": TEST_ACTIVITY}
    )


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def attach_browser_words(session: CaptureSession, messages: list[str]) -> None:
    """Chromium's console words for each request the browser refused, on that request."""
    ctx = session.ctx
    if ctx is None:
        return
    words = [ctx.http.clean(m) for m in messages if BROWSER_WORDS.search(m)]
    for ex in session.timeline:
        if not (ex.error and ex.error.startswith(BLOCKED_IN_BROWSER)):
            continue
        said = next((w for w in words if ex.url and ex.url.split("?")[0] in w), None)
        if said:
            ex.error = f"{BLOCKED_IN_BROWSER} (Chromium: {said[:600]})"


def certify_in_browser(
    inputs: CertInputs,
    tick: Callable[[int], None] | None = None,
    browser: Any = None,
) -> Certification:
    """Play both behaviours in headless Chromium (`browser`, a started Playwright browser, or
    one started here); raises Unreachable when nothing answers and BrowserUnavailable when
    Chromium cannot start."""
    origin = origin_of(inputs.origin)
    launches: list[str | None] = list(inputs.launch_urls) or [None]
    session = CaptureSession(
        launches=len(launches),
        request_timeout=inputs.timeout,
        give_up=inputs.give_up,
        page_url=origin + "/",
        endpoint=inputs.endpoint,
        api_key=inputs.api_key,
        launch_urls=list(inputs.launch_urls),
        defer_judging=True,
    )
    pages = [f"{origin}/{session.secret}/?{page_query(url)}" for url in launches]
    return play_pages(session, pages, origin=origin, tick=tick, browser=browser)


def play_pages(
    session: CaptureSession,
    pages: list[str],
    *,
    origin: str | None = None,
    tick: Callable[[int], None] | None = None,
    browser: Any = None,
) -> Certification:
    """Open each page (a launch of the capture page) in turn in one browser context, let it
    play its phases, then judge. With `origin`, requests to it are answered by the capture
    server, which is then started here: the page lives on that origin."""
    budget_s = REQUESTS_PER_LAUNCH * (session.request_timeout + 1) + session.give_up
    server = CaptureServer(session, host="127.0.0.1", port=0, public_url=origin).start()
    messages: list[str] = []
    try:
        with _browser(browser) as chromium:
            context = chromium.new_context()
            try:
                if origin is not None:
                    context.route(f"{origin}/**", _forward(origin, server.base_url))
                for number, url in enumerate(pages, 1):
                    page = context.new_page()
                    page.on("console", lambda m: messages.append(m.text))
                    page.goto(url if origin else server.page_url + "?" + urlsplit(url).query)

                    def played(n: int = number) -> bool:
                        return session.failure is not None or _played(session, n)

                    _until(page, played, budget_s)
                    if session.failure is not None:
                        raise Unreachable(session.failure.removeprefix("certify "))
                    if tick:
                        tick(1)
                page.wait_for_timeout(PUMP_MS)  # the last console words
                attach_browser_words(session, messages)
                session.judge()
            finally:
                context.close()
            cert = session.result
            if cert is None:
                raise RuntimeError("the capture session judged the launches but made no result")
            cert.notes["driver"] = "browser"
            cert.notes["chromium"] = chromium.version
            return cert
    finally:
        server.stop()


@contextmanager
def _browser(given: Any) -> Iterator[Any]:
    """The browser given, or a headless Chromium started (and closed) here."""
    if given is not None:
        yield given
        return
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = launch_chromium(playwright, args=list(BROWSER_ARGS))
        except PlaywrightError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise BrowserUnavailable(
                f"Chromium could not start ({first}); install it (make setup) or ask for "
                "--driver http"
            ) from None
        try:
            yield chromium
        finally:
            chromium.close()


def _played(session: CaptureSession, number: int) -> bool:
    with session.lock:
        if len(session.launches) < number:
            return False
        launch = session.launches[number - 1]
        return len(launch["done"]) == len(launch["plan"])


def _until(page: Any, done: Callable[[], bool], budget_s: float) -> None:
    """Let the page run (Playwright delivers its events meanwhile) until `done()`, at most
    `budget_s` seconds; a page that never reports is an internal error, not a verdict."""
    deadline = time.monotonic() + budget_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the certify page did not finish its launch in {budget_s:g} s")
        page.wait_for_timeout(PUMP_MS)


def _forward(origin: str, local: str) -> Callable[[Any], None]:
    """Answer the page's requests to ORIGIN from the capture server on 127.0.0.1."""

    from playwright.sync_api import Error as PlaywrightError

    def handle(route: Any) -> None:
        url = route.request.url
        # the page may go away mid-request (its context closed): nothing waits for it then
        with suppress(PlaywrightError):
            route.fulfill(response=route.fetch(url=local + url[len(origin) :]))

    return handle
