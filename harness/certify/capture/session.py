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
    credentials,
    preflight,
    probe,
    put_and_read_back,
    xapi_probes,
)
from harness.certify.recorder import Exchange
from harness.certify.run import Certification, conclude
from harness.urls import is_http_url

PHASES = ("fetch", "documented", "cmi5-full")
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
    return ["fetch", "documented"] if number == 1 else ["fetch", "cmi5-full"]


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
        endpoint: str | None = None,
        api_key: str | None = None,
    ) -> None:
        self.total = launches
        self.endpoint, self.api_key = endpoint, api_key  # We Are's configured API URL and key
        self.request_timeout = request_timeout
        self.page_url = page_url
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
            launch = {"number": number, "plan": phases, "done": []}
            self.launches.append(launch)
            self._note(f"launch {number} of {self.total} arrived", "done")
            if number == 1:
                self._first(launch_url, origin)
            else:
                self._another(launch_url)
            if "cmi5-full" in phases and not read_launch(launch_url)[0].get("fetch"):
                phases.remove("cmi5-full")  # as `certify --launch-url` judges such a launch
                self._ctx().not_tested["cmi5-full"] = (
                    f"launch {number} has no fetch parameter: not a cmi5 launch (import the "
                    "course package as cmi5 content to test the full cmi5 flow)"
                )
            launch["user_agent"] = user_agent[:300]
            self.lock.notify_all()
            return {
                "launch": number,
                "total": self.total,
                "phases": phases,
                "integration": self.integration(),
            }

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
            else:
                self._cmi5(number, exchanges, error)
            launch["done"].append(phase)
            self._sync(exchanges)
            word = "stopped: " + self.ctx.http.clean(error) if error else "done"  # type: ignore[union-attr]
            self._note(
                f"launch {number}: {phase} in the browser {word}", "fail" if error else "done"
            )
            if len(self.launches) == self.total and all(
                len(x["done"]) == len(x["plan"]) for x in self.launches
            ):
                self._judge()
            self.lock.notify_all()
            return {"ok": True}

    # -- certify's side -----------------------------------------------------------------------

    def _first(self, launch_url: str, origin: str) -> None:
        inputs = CertInputs(
            launch_urls=[launch_url],
            endpoint=self.endpoint,
            api_key=self.api_key,
            origin=origin,
            timeout=self.request_timeout,
        )
        self.ctx = ctx = CertContext.create(inputs)
        ctx.notes["started"] = datetime.now(UTC)
        try:
            probe(ctx)
        except Unreachable as exc:
            self.failure = str(exc)
            self.lock.notify_all()
            raise CaptureError(502, f"certify {exc}") from None

    def _another(self, launch_url: str) -> None:
        ctx = self._ctx()
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
        name = "fetch" if number == 1 else "cmi5.fetch"
        fetches = [ex for ex in exchanges if ex.label.endswith(LABELS["fetch"])]
        if fetches:
            self._put(name, fetches[-1])
        else:
            ctx.skip(name, f"the page made no fetch: {error or 'no fetch parameter'}")
        fetch = (ctx.params if number == 1 else {}).get("fetch")
        if isinstance(authorization, str) and authorization:
            token = authorization.partition(" ")[2] or authorization
            ctx.http.add_secret(token)
            ctx.http.add_secret(authorization)
            if fetch:
                ctx.token, ctx.authorization, ctx.credentials = token, authorization, "fetch-token"
        if number != 1:
            return
        if not fetch:
            credentials(ctx)  # no fetch parameter: the configured API key, as the page used it
        if fetch and ctx.token:
            ctx.send("fetch-again", "fetch again (POST)", "POST", fetch)
        else:
            reason = "the page got no token from the fetch URL" if fetch else "no fetch parameter"
            ctx.skip("fetch-again", reason)
        if self.total < 2:
            ctx.skip(
                "fetch-get",
                "needs a second launch (certify --capture --launches 2): GET is tried on a "
                "fetch URL nobody has used yet",
            )
        preflight(ctx)
        xapi_probes(ctx)

    def _documented(self, exchanges: list[Exchange], error: str | None) -> None:
        ctx = self._ctx()
        sent = [ex for ex in exchanges if ex.method == "POST"]
        if not sent:
            reason = f"not sent by the page: {error or 'it stopped before'}"
            for name in ("documented.completed", "documented.put", "documented.read-back"):
                ctx.skip(name, reason)
            return
        ex = sent[-1]
        self._put("documented.completed", ex)
        statement = parse_json(ex.request_body) or {}
        ids = ex.json()
        sid = statement.get("id") if isinstance(statement, dict) else None
        accepted = ex.status == 200 and isinstance(ids, list) and sid in ids
        if ctx.authorization:
            put_and_read_back(ctx, sid if accepted else None)
        else:
            ctx.skip("documented.put", "no credentials: the page got no auth-token")
            ctx.skip("documented.read-back", "no credentials: the page got no auth-token")

    def _cmi5(self, number: int, exchanges: list[Exchange], error: str | None) -> None:
        ctx = self._ctx()
        for name in CMI5_STEPS:
            if name not in ctx.sent:
                ctx.skip(name, f"not sent by the page: {error or 'it stopped before'}")
        ctx.notes["cmi5_launch"] = number
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

    def _judge(self) -> None:
        ctx = self._ctx()
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
        assert self.ctx is not None, "no launch yet"
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

    def status(self, launch: int | None = None) -> dict[str, Any]:
        """What the page shows: progress, then the verdict; every string redacted. certify
        may exit once the page of every launch (`launch`: the asking page's) has the verdict."""
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
                if launch is not None:
                    self._shown.add(launch)
                if self._shown >= {x["number"] for x in self.launches}:
                    self.final_seen.set()
            if self.ctx is None:
                return data
            return redact_strings(data, KnownSecrets(self.ctx.http.secrets))
