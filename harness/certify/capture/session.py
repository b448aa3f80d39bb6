"""One capture run: the launches the capture page reports, certify's requests between its steps,
and the verdict on the whole.

Who uses which fetch URL (each hands out its token once):

- launch 1: the page POSTs the fetch URL from the story's origin (the browser-side fetch) and
  hands the token to certify, which POSTs the same URL again (`fetch.single-use`), sends the
  CORS preflight from the page's own origin and its xAPI probes while the session is open; the
  page then sends the documented Completed statement, certify PUTs a copy and reads it back;
- with `--launches 1` the page goes on with the full cmi5 session on the same launch
  (LMS.LaunchData, learner preferences, initialized, completed, terminated), after the documented
  flow as `certify --launch-url` orders them; `fetch.get-refused` is SKIPPED (it needs a fetch
  URL nobody has used);
- launches 2..N: certify GETs the new fetch URL first (`fetch.get-refused`), then the page
  fetches its token by POST and plays the full cmi5 session on it. A step that failed on any of
  these launches is the one judged.

A launch without a fetch parameter (content registered as an external URL) is played with We
Are's configured API URL and key (`--endpoint`, `--api-key`), which the page gets when it opens
the launch; `cmi5-full` is then not-tested, as `certify --launch-url` judges such a launch.

The page's requests become Exchanges named as `harness/certify/flow.py` names its own, so every
registered check judges them; they stay out of `ctx.http.exchanges` (what certify itself sent),
since a browser sees only the answer headers CORS exposes, and join the evidence at the end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fake_lms.redact import KnownSecrets, redact_strings
from harness.certify.capture.evidence import LABELS, browser_exchange, page_verdict, parse_json
from harness.certify.capture.guard import new_secret
from harness.certify.context import (
    CertContext,
    CertInputs,
    basic_credential,
    fetch_capability,
    read_launch,
)
from harness.certify.flow import (
    CMI5_STEPS,
    Unreachable,
    accepted_id,
    credentials,
    fetch_again,
    preflight,
    probe,
    read_back_cmi5,
    read_back_documented,
    remaining_probes,
    session_probes,
    session_statement,
    xapi_probes,
)
from harness.certify.recorder import Exchange
from harness.certify.run import Certification, conclude
from harness.urls import is_http_url

PHASES = ("fetch", "documented", "cmi5-start", "cmi5-end")
CMI5_PHASES = ("cmi5-start", "cmi5-end")
STEP_LIMIT = 20  # a phase makes at most 6 requests; anything longer is not the capture page


class CaptureError(ValueError):
    """A request to the capture server that does not fit the run; the message says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def plan(number: int, total: int) -> list[str]:
    """The page's phases on launch `number` of `total`."""
    if total == 1:
        return list(PHASES)
    return ["fetch", "documented"] if number == 1 else ["fetch", *CMI5_PHASES]


def _ok(ex: Exchange | None) -> bool:
    return ex is not None and ex.status is not None and ex.status < 400


class CaptureSession:
    """What the capture server knows; every method holds the lock, so page requests queue."""

    def __init__(
        self,
        *,
        launches: int,
        request_timeout: float,
        page_url: str,
        give_up: float = 60.0,
        endpoint: str | None = None,
        api_key: str | None = None,
        launch_urls: list[str] | None = None,
        defer_judging: bool = False,
        driver: str = "browser",
    ) -> None:
        self.driver = driver
        self.total = launches
        # certify --launch-url: the LMS's own launch URLs (the page opens their parameters on
        # certify's origin); None in capture mode, where the page's URL is the launch URL.
        self.launch_urls = launch_urls
        self.defer_judging = defer_judging  # the browser driver adds the browser's words first
        self.played = threading.Event()
        self.endpoint, self.api_key = endpoint, api_key  # We Are's configured API URL and key
        self.request_timeout = request_timeout
        self.give_up = give_up  # how long the first probe waits for any answer (CertInputs)
        self.page_url = page_url
        # The first path segment of every URL the capture server answers (see guard.py);
        # reports show it redacted, like any secret of the run.
        self.secret = new_secret()
        self.lock = threading.Condition(threading.RLock())
        self.ctx: CertContext | None = None
        self.launches: list[dict[str, Any]] = []
        self.timeline: list[Exchange] = []
        self._seen = 0
        self.progress: list[dict[str, str]] = []
        self.result: Certification | None = None
        self.failure: str | None = None
        self.reports: str | None = None
        self.final_seen = threading.Event()
        self._shown: set[int] = set()  # the launches whose page has shown the verdict

    # -- what the page sends ----------------------------------------------------------------

    def open_launch(self, launch_url: str, origin: str, user_agent: str) -> dict[str, Any]:
        with self.lock:
            if self.result is not None or self.failure is not None:
                raise CaptureError(409, "this certification is over; start certify again")
            if len(self.launches) >= self.total:
                raise CaptureError(
                    409, f"certify expected {self.total} launch(es) and has them all"
                )
            if not is_http_url(launch_url):
                raise CaptureError(400, "launch_url must be the page's http(s) URL")
            number = len(self.launches) + 1
            phases = plan(number, self.total)
            launch: dict[str, Any] = {"number": number, "plan": phases, "done": []}
            self.launches.append(launch)
            self._note(f"launch {number} of {self.total} arrived", "done")
            real = self._real_launch(number, launch_url)
            if number == 1:
                self._first(real, origin)
            else:
                self._another(real)
            if CMI5_PHASES[0] in phases and not read_launch(launch_url)[0].get("fetch"):
                for name in CMI5_PHASES:  # as `certify --launch-url` judges such a launch
                    phases.remove(name)
                self._ctx().not_tested["cmi5-full"] = (
                    f"launch {number} has no fetch parameter: not a cmi5 launch (import the "
                    "course package as cmi5 content to test the full cmi5 flow)"
                    if self.launch_urls is None
                    else "needs a cmi5 launch URL (--launch-url with a fetch parameter)"
                )
            launch["user_agent"] = user_agent[:300]
            self.lock.notify_all()
            return {
                "launch": number,
                "total": self.total,
                "phases": phases,
                "integration": self.integration(),
                "timeout_ms": round(self.request_timeout * 1000),
            }

    def _real_launch(self, number: int, page_url: str) -> str | None:
        """The launch URL certify judges: the LMS's own with --launch-url (None for a launch
        made up for an API-key set-up), else the page's."""
        if self.launch_urls is None:
            return page_url
        return self.launch_urls[number - 1] if number <= len(self.launch_urls) else None

    def integration(self) -> dict[str, str | None]:
        """We Are's own integration settings for the page, as a customer sets them (or none)."""
        key = basic_credential(self.api_key) if self.api_key else None
        return {"api_url": self.endpoint, "api_key": key}

    def report_phase(self, number: int, phase: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if self.result is not None or self.failure is not None:
                raise CaptureError(409, "this certification is over")
            if not 1 <= number <= len(self.launches):
                raise CaptureError(404, f"no launch {number}")
            launch = self.launches[number - 1]
            expected = [p for p in launch["plan"] if p not in launch["done"]]
            if not expected or phase != expected[0]:
                raise CaptureError(409, f"launch {number} expects {expected[:1] or 'nothing'}")
            steps = body.get("steps")
            if not isinstance(steps, list) or len(steps) > STEP_LIMIT:
                raise CaptureError(400, f"steps must be a list of at most {STEP_LIMIT} requests")
            if not all(isinstance(s, dict) for s in steps):
                raise CaptureError(400, "every step must be an object")
            error = body.get("error")
            error = str(error)[:500] if error else None
            exchanges = [browser_exchange(step, self._ctx().http.clean) for step in steps]
            if phase == "fetch":
                self._fetched(number, exchanges, body.get("authorization"), error)
            elif phase == "documented":
                self._documented(exchanges, error)
            elif phase == "cmi5-start":
                self._cmi5_start(launch, exchanges, error)
            else:
                self._cmi5_end(launch, exchanges, error)
            launch["done"].append(phase)
            self._sync(exchanges)
            word = "stopped: " + self.ctx.http.clean(error) if error else "done"  # type: ignore[union-attr]
            self._note(
                f"launch {number}: {phase} in the browser {word}", "fail" if error else "done"
            )
            if len(self.launches) == self.total and all(
                len(x["done"]) == len(x["plan"]) for x in self.launches
            ):
                if self.defer_judging:
                    self.played.set()
                else:
                    self._judge()
            self.lock.notify_all()
            return {"ok": True}

    # -- certify's side -----------------------------------------------------------------------

    def _first(self, launch_url: str | None, origin: str) -> None:
        inputs = CertInputs(
            launch_urls=[launch_url] if launch_url else [],
            endpoint=self.endpoint,
            api_key=self.api_key,
            origin=origin,
            timeout=self.request_timeout,
            give_up=self.give_up,
            driver=self.driver,
        )
        self.ctx = ctx = CertContext.create(inputs)
        ctx.http.add_secret(self.secret)
        ctx.notes["started"] = datetime.now(UTC)
        try:
            probe(ctx)
        except Unreachable as exc:
            self.failure = str(exc)
            self.lock.notify_all()
            raise CaptureError(502, f"certify {exc}") from None

    def _another(self, launch_url: str | None) -> None:
        ctx = self._ctx()
        if launch_url is None:
            return
        ctx.inputs.launch_urls.append(launch_url)
        fetch = read_launch(launch_url)[0].get("fetch")
        for secret in fetch_capability(fetch):
            ctx.http.add_secret(secret)
        if is_http_url(fetch):
            earlier = ctx.sent.get("fetch-get")
            ctx.send("fetch-get", f"launch {len(self.launches)}: fetch (GET)", "GET", fetch)
            if earlier is not None and ctx.token_from(earlier):
                ctx.sent["fetch-get"] = earlier  # a token handed out on any launch is judged
        elif "fetch-get" not in ctx.sent:
            ctx.skip("fetch-get", f"launch {len(self.launches)} has no http(s) fetch parameter")
        self._sync([])

    def _fetched(
        self, number: int, exchanges: list[Exchange], authorization: Any, error: str | None
    ) -> None:
        ctx = self._ctx()
        launch = self.launches[number - 1]
        name = "fetch" if number == 1 else "cmi5.fetch"
        fetches = [ex for ex in exchanges if ex.label.endswith(LABELS["fetch"])]
        urls = ctx.inputs.launch_urls
        given = read_launch(urls[number - 1])[0].get("fetch") if len(urls) >= number else None
        if given and not is_http_url(given):  # the page resolved it against its own origin
            ctx.skip(name, f"the fetch parameter {given[:200]!r} is not an absolute http(s) URL")
        elif fetches:
            self._put(name, fetches[-1])
        else:
            ctx.skip(name, f"the page made no fetch: {error or 'no fetch parameter'}")
        fetch = (ctx.params if number == 1 else {}).get("fetch")
        if isinstance(authorization, str) and authorization:
            token = authorization.partition(" ")[2] or authorization
            ctx.http.add_secret(token)
            ctx.http.add_secret(authorization)
            launch["authorization"] = authorization
            if fetch:
                ctx.token, ctx.authorization, ctx.credentials = token, authorization, "fetch-token"
        if number != 1:
            return
        if not fetch:
            credentials(ctx)  # no fetch parameter: the configured API key, as the page used it
            launch["authorization"] = ctx.authorization
        fetch_again(ctx, fetch if fetches else None, "the page made no fetch")
        if self.total < 2:
            how = (
                "certify --capture --launches 2"
                if self.launch_urls is None
                else "--launch-url twice"
            )
            ctx.skip(
                "fetch-get",
                f"needs a second, unused launch ({how}): GET is tried on a fetch URL nobody "
                "has used yet",
            )
        preflight(ctx)
        xapi_probes(ctx)

    def _documented(self, exchanges: list[Exchange], error: str | None) -> None:
        ctx = self._ctx()
        sent = [ex for ex in exchanges if ex.method == "POST"]
        if not sent:
            reason = f"not sent by the page: {error or 'it stopped before'}"
            for name in ("documented.completed", "documented.read-back"):
                ctx.skip(name, reason)
            return
        ex = sent[-1]
        self._put("documented.completed", ex)
        if ctx.authorization:
            read_back_documented(ctx, accepted_id(ex, parse_json(ex.request_body)))
        else:
            ctx.skip("documented.read-back", "no credentials: the page got no auth-token")

    def _cmi5_start(
        self, launch: dict[str, Any], exchanges: list[Exchange], error: str | None
    ) -> None:
        """LMS.LaunchData, preferences, initialized and completed from the page; then, inside
        the started session, certify's statement-writing probes and the read-backs."""
        ctx = self._ctx()
        for name in CMI5_STEPS:
            if name not in ctx.sent:
                ctx.skip(name, f"not sent by the page: {error or 'it stopped before'}")
        ctx.notes["cmi5_launch"] = launch["number"]
        played = self._cmi5_statements(exchanges)
        authorization = launch.get("authorization")
        if "cmi5.initialized" in ctx.sent and _ok(ctx.sent["cmi5.initialized"]):
            where = f"inside the full cmi5 flow's session (launch {launch['number']})"
            urls = ctx.inputs.launch_urls
            params, actor, _ = read_launch(urls[launch["number"] - 1]) if urls else ({}, {}, None)
            data = ctx.sent["cmi5.launch-data"].json() if "cmi5.launch-data" in ctx.sent else None
            template = data.get("contextTemplate") if isinstance(data, dict) else None
            session_probes(ctx, authorization, where, session_statement(params, actor, template))
        read_back_cmi5(ctx, played, authorization)

    def _cmi5_end(
        self, launch: dict[str, Any], exchanges: list[Exchange], error: str | None
    ) -> None:
        ctx = self._ctx()
        if "cmi5.terminated" not in ctx.sent:
            ctx.skip("cmi5.terminated", f"not sent by the page: {error or 'it stopped before'}")
        read_back_cmi5(ctx, self._cmi5_statements(exchanges), launch.get("authorization"))

    def _cmi5_statements(self, exchanges: list[Exchange]) -> list[tuple[str, Any]]:
        """Put the page's cmi5 requests where the checks look; the statements it POSTed."""
        played: list[tuple[str, Any]] = []
        for ex in exchanges:
            if ex.label.endswith(LABELS["launch-data"]):
                self._put("cmi5.launch-data", ex)
            elif ex.label.endswith(LABELS["preferences"]):
                self._put("cmi5.preferences", ex)
            elif ex.method == "POST" and "statements" in ex.url:
                statement = parse_json(ex.request_body)
                verb = ""
                if isinstance(statement, dict) and isinstance(statement.get("verb"), dict):
                    verb = str(statement["verb"].get("id", "")).rsplit("/", 1)[-1]
                if f"cmi5.{verb}" in CMI5_STEPS:
                    self._put(f"cmi5.{verb}", ex)
                    played.append((verb, statement))
        return played

    def _put(self, name: str, ex: Exchange) -> None:
        """Judge a step by its latest answer, unless an earlier launch's went wrong."""
        ctx = self._ctx()
        if _ok(ctx.sent.get(name)) or name not in ctx.sent:
            ctx.sent[name] = ex
        ctx.not_sent.pop(name, None)

    def _sync(self, browser: list[Exchange]) -> None:
        """The evidence in the order things happened: certify's new requests, then the page's."""
        ctx = self._ctx()
        self.timeline += ctx.http.exchanges[self._seen :]
        self._seen = len(ctx.http.exchanges)
        self.timeline += browser

    def judge(self) -> None:
        """Run the checks on everything gathered: the verdict the page and the command show."""
        with self.lock:
            self._judge()
            self.lock.notify_all()

    def _judge(self) -> None:
        ctx = self._ctx()
        remaining_probes(ctx)  # no cmi5 session had them: after the documented flow
        self._sync([])
        ctx.notes["capture"] = {
            "page_url": ctx.http.clean(self.page_url),
            "launches": [
                {
                    "number": x["number"],
                    "phases": x["plan"],
                    "user_agent": x.get("user_agent", ""),
                }
                for x in self.launches
            ],
            "browser_requests": len(self.timeline) - len(ctx.http.exchanges),
        }
        self._note("certify judged both behaviours", "done")
        self.result = conclude(ctx, exchanges=list(self.timeline))

    def _ctx(self) -> CertContext:
        if self.ctx is None:
            raise CaptureError(409, "no launch yet")
        return self.ctx

    def _note(self, text: str, status: str) -> None:
        self.progress.append({"text": text, "status": status})

    # -- what the command and the page read -------------------------------------------------

    def wait(
        self, deadline: float, on_progress: Callable[[str], None] | None = None
    ) -> Certification | None:
        """Block until judged, failed or the monotonic `deadline` (None then), handing each
        new progress line (redacted, as the page shows it) to `on_progress`."""
        shown = 0
        with self.lock:
            while True:
                if on_progress is not None:
                    for line in self.status()["progress"][shown:]:
                        on_progress(line["text"])
                    shown = len(self.progress)
                if self.result is not None or self.failure is not None:
                    return self.result
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.lock.wait(min(left, 1.0))

    def finish(self, reports: str) -> None:
        with self.lock:
            self.reports = reports
            self._note(f"reports written to {reports}", "done")

    def shown(self, number: int) -> None:
        """The page of launch `number` says it shows the verdict. Only then may certify stop
        its server: a status answer still on its way when the server stops never arrives, and
        that page would show no verdict."""
        with self.lock:
            if not 1 <= number <= len(self.launches):
                raise CaptureError(404, f"no launch {number}")
            if self.result is None or self.reports is None:
                raise CaptureError(409, "there is no verdict to show yet")
            self._shown.add(number)
            if self._shown >= {x["number"] for x in self.launches}:
                self.final_seen.set()

    def status(self) -> dict[str, Any]:
        """What the page shows: progress, then the verdict; every string redacted."""
        with self.lock:
            state = "waiting" if not self.launches else "running"
            data: dict[str, Any] = {
                "state": state,
                "launches": {"expected": self.total, "arrived": len(self.launches)},
                "progress": list(self.progress),
                "error": self.failure,
                "verdict": None,
                "reports": self.reports,
            }
            if self.failure:
                data["state"] = "failed"
            cert = self.result
            if cert is not None and self.reports is not None:
                data["state"] = "done"
                data["verdict"] = page_verdict(cert)
            if self.ctx is None:
                return data
            redacted: dict[str, Any] = redact_strings(data, KnownSecrets(self.ctx.http.secrets))
            return redacted
