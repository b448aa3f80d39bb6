"""`certify --har`: judge a launch a browser recorded with the same registered checks as
`certify --launch-url`, nothing sent.

The recorded requests take the names the flow gives its own (`slots.py`), as Exchanges made the
way the capture page's are (`browser_exchange`), so every check reads them unchanged. What the
recording cannot hold is *not tested* with its reason, never passed: certify's own probes (a
second POST and a GET on the fetch URL, wrong credentials, a malformed statement, PUT, read-backs)
unless the recording happens to hold them, and any answer whose body the export left out when the
body decides (a 2xx: was there a token, were the ids there?); an error status is judged on its
status. The behaviour shown is the one the statements sent show; the other is not tested.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from harness.certify.capture.evidence import browser_exchange
from harness.certify.context import CertContext, CertInputs
from harness.certify.flow import CMI5_STEPS, READ_BACK_PREFIX, STABILITY_READS
from harness.certify.har import words
from harness.certify.har.entries import Recorded
from harness.certify.har.reader import Recording
from harness.certify.har.secrets import recording_secrets
from harness.certify.har.slots import DOCUMENTED, FULL, Slots, sort
from harness.certify.recorder import Exchange
from harness.certify.run import Certification, conclude
from harness.urls import is_http_url

DRIVER = "har"
WHERE = "recorded"
STEP_KINDS = {
    "fetch": "fetch",
    "fetch-again": "fetch",
    "fetch-get": "fetch",
    "cmi5.launch-data": "launch-data",
    "cmi5.preferences": "preferences",
}
STABILITY = tuple(f"stability-{i}" for i in range(STABILITY_READS))
PROBES = ("trailing-slash", "bad-credentials", "state", "malformed", *STABILITY)
NAMES = (
    "fetch", "fetch-again", "fetch-get", "preflight", *PROBES, "documented.completed",
    "documented.read-back", "documented.put", *CMI5_STEPS,
    *(READ_BACK_PREFIX + s.removeprefix("cmi5.") for s in CMI5_STEPS[2:]),
)  # fmt: skip


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def of_launch(recording: Recording, launch: Recorded) -> list[Recorded]:
    """The requests of one launch: from its page request up to the next launch's."""
    after = [e for e in recording.entries if e.number >= launch.number]
    later = [e.number for e in recording.launches if e.number > launch.number]
    return [e for e in after if not later or e.number < later[0]]


def exchange(name: str | None, entry: Recorded, ctx: CertContext, writer: str) -> Exchange:
    """A recorded request as the checks read it (secrets hidden everywhere but `raw`)."""
    kind = STEP_KINDS.get(name or "", "")
    if not kind:
        resource = urlsplit(entry.url).path.rsplit("/", 1)[-1] or "/"
        kind = "statement" if resource == "statements" and entry.method == "POST" else ""
        kind = kind or f"{entry.method} {resource}"
    step: dict[str, Any] = {
        "step": kind,
        "method": entry.method,
        "url": entry.url,
        "request_headers": dict(entry.request_headers),
        "request_body": entry.request_body or "",
        "status": entry.status,
        "response_headers": dict(entry.response_headers),
        "response_text": entry.response_body or "",
        "error": f"{writer}: {entry.error or 'no answer, and no words for why'}",
        "ms": entry.seconds * 1000,
    }
    return browser_exchange(step, ctx.http.clean, WHERE)


def destination(ctx: CertContext, entries: list[Recorded]) -> None:
    """Where We Are sent: the endpoint parameter, else the statements URL the recording shows
    (the API URL configured in We Are)."""
    if ctx.destination:
        return
    for entry in entries:
        path = urlsplit(entry.url).path
        if entry.method in ("POST", "PUT") and path.rstrip("/").endswith("/statements"):
            ctx.destination = entry.url.split("?", 1)[0].rstrip("/")[: -len("statements")]
            ctx.destination_source = "the API URL configured in We Are (as the recording shows)"
            return


def place(ctx: CertContext, slots: Slots, writer: str) -> list[str]:
    """Put each named recording where the checks look; the names whose answer's body is left
    out (and decides) are not tested instead."""
    missing = []
    by_entry = {id(entry): name for name, entry in slots.named.items()}
    for entry in slots.lms:
        name = by_entry.get(id(entry))
        ex = exchange(name, entry, ctx, writer)
        ctx.http.exchanges.append(ex)
        if name is None:
            continue
        if entry.body_missing and entry.status is not None and entry.status < 300:
            ctx.skip(name, words.body_left_out(entry, writer))
            missing.append(name)
            continue
        ctx.sent[name] = ex
        if name in slots.reads:
            sid = next(s for s, n in slots.statements.items() if n == name)
            ctx.notes.setdefault("read_back", {})[name] = {
                "statement_id": sid,
                "attempts": slots.reads[name],
                "seconds": 0,
            }
    return missing


def credentials(ctx: CertContext, slots: Slots) -> None:
    """The credentials We Are used, as the recording shows them."""
    fetch = ctx.sent.get("fetch")
    token = ctx.token_from(fetch) if fetch is not None else None
    if token:
        ctx.token, ctx.credentials = token, "fetch-token"
        ctx.http.add_secret(token)
    sent = [e.header("Authorization") for e in slots.lms if e.header("Authorization")]
    if sent:
        ctx.authorization = sent[0]
        ctx.credentials = ctx.credentials or ("fetch-token" if "fetch" in ctx.params else "api-key")


def not_recorded(ctx: CertContext) -> None:
    """Why each step the recording lacks is not tested."""
    fetch = ctx.params.get("fetch")
    for name in NAMES:
        if name in ctx.sent or name in ctx.not_sent:
            continue
        ctx.skip(name, words.not_recorded(name, fetch))


def behaviours(ctx: CertContext, slots: Slots) -> None:
    """The behaviour the statements show is judged; the other is not tested."""
    for shown, other in ((DOCUMENTED, FULL), (FULL, DOCUMENTED)):
        if slots.shown == {shown}:
            ctx.not_tested[other] = words.other_behaviour(shown)


def judge(recording: Recording, launch: Recorded, number: int) -> Certification:
    """The verdict on one recorded launch."""
    entries = of_launch(recording, launch)
    inputs = CertInputs(
        launch_urls=[launch.url], origin=origin_of(launch.url), driver=DRIVER, timeout=10.0
    )
    ctx = CertContext.create(inputs)
    for secret in recording_secrets(recording.entries):
        ctx.http.add_secret(secret)
    ctx.notes["started"] = datetime.now(UTC)
    ctx.notes["driver"] = DRIVER
    destination(ctx, entries)
    fetch = ctx.params.get("fetch")
    writer = recording.writer
    slots = sort(entries, fetch if is_http_url(fetch) else None, ctx.destination)
    missing = place(ctx, slots, writer)
    credentials(ctx, slots)
    not_recorded(ctx)
    behaviours(ctx, slots)
    ctx.notes["har"] = words.summary(recording, number, slots, missing, ctx)
    return conclude(ctx)
