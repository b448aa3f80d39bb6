"""What `certify --har` says about a recording: why a step is not tested, and in plain sentences
what the export left out (credentials, bodies, answers the browser blocked, the end of the file).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from harness.certify.har.entries import OMITTED, TOO_LARGE, Recorded
from harness.certify.har.reader import Recording
from harness.certify.har.slots import DOCUMENTED, FULL, Slots

if TYPE_CHECKING:
    from harness.certify.context import CertContext

BEHAVIOUR_WORDS = {
    DOCUMENTED: "We Are's documented flow (the lone Completed statement)",
    FULL: "the full cmi5 flow (LMS.LaunchData, cmi5 statements)",
}
PROBE = "a probe certify --launch-url sends itself; a recording holds only what the browser sent"
NOT_RECORDED = {
    "fetch-again": "no second POST on the fetch URL was recorded (certify --launch-url sends "
    "one itself to see the token refused)",
    "fetch-get": "no GET on the fetch URL was recorded",
    "preflight": "no CORS preflight (OPTIONS) was recorded: most browsers leave preflights out "
    "of a HAR",
    "documented.completed": "no Completed statement outside the cmi5 category was recorded",
    "documented.put": "no PUT of a statement was recorded",
    "documented.read-back": "no GET of the Completed statement by id was recorded",
    "cmi5.launch-data": "no GET of LMS.LaunchData was recorded",
    "cmi5.preferences": "no GET of the learner preferences was recorded",
}


def not_recorded(name: str, fetch: str | None) -> str:
    """Why a step of the flow is not tested: the recording does not hold it."""
    if name == "fetch":
        if fetch:
            return "no POST on the fetch URL was recorded"
        return "no fetch parameter: We Are uses the configured API key"
    if name in NOT_RECORDED:
        return NOT_RECORDED[name]
    if name.startswith("cmi5.read-back."):
        return f"no GET of the {name.rsplit('.', 1)[-1]} statement by id was recorded"
    if name.startswith("cmi5."):
        return f"no {name.removeprefix('cmi5.')} statement was recorded"
    return PROBE


def body_left_out(entry: Recorded, writer: str) -> str:
    why = entry.body_missing or OMITTED
    return (
        f"recorded ({entry.status}), but {why} ({writer}): what it held (a token, the statement "
        "ids) cannot be judged"
    )


def other_behaviour(shown: str) -> str:
    other = FULL if shown == DOCUMENTED else DOCUMENTED
    return (
        f"the recording shows {BEHAVIOUR_WORDS[shown]} only; {BEHAVIOUR_WORDS[other]} was not "
        "recorded"
    )


def _where(entry: Recorded) -> str:
    return f"{entry.method} {urlsplit(entry.url).path or '/'}"


def left_out(recording: Recording, slots: Slots, missing: list[str], ctx: CertContext) -> list[str]:
    """Plain sentences: what this recording does not hold, and what that leaves untested."""
    writer = recording.writer
    said = [
        "certify's own probes (a second POST and a GET on the fetch URL, wrong credentials, a "
        "malformed statement, PUT, reading statements back) are not in a recording: the checks "
        "that judge them are not tested unless the browser happened to make the same request"
    ]
    fetch = ctx.params.get("fetch")
    xapi = [e for e in slots.lms if not (fetch and e.url.startswith(fetch.split("?")[0]))]
    if xapi and not any(e.header("Authorization") for e in xapi):
        said.append(
            "No request to the LRS carries an Authorization header and no cookie is recorded: "
            "the export was sanitized (Chrome's 'Export HAR (sanitized)' leaves both out), so "
            "which credentials We Are sent cannot be judged and xapi.version-header is not tested"
        )
    omitted = [e for e in slots.lms if e.body_missing == OMITTED]
    if omitted:
        said.append(
            f"{len(omitted)} answer(s) from the LMS have no body in the recording ({writer} "
            "saved no response bodies; Firefox does so unless asked to save them): "
            + (
                f"{', '.join(missing)} not tested, as their body decides"
                if missing
                else "no check needed them"
            )
        )
    large = [e for e in slots.lms if e.body_missing == TOO_LARGE]
    if large:
        said.append(f"{len(large)} answer(s) from the LMS were too large to read")
    for entry in slots.lms:
        if entry.status is None:
            said.append(
                f"{_where(entry)} got no answer as the browser saw it (status 0; {writer}: "
                f"{entry.error or 'no words for why'}): judged as the browser saw it, a request "
                "it blocked (CORS, most often)"
            )
    if recording.truncated:
        said.append(
            f"The file ends before its last entry is whole (truncated): {len(recording.entries)} "
            "entries were read; whatever the browser did after them is not in it"
        )
    return [ctx.http.clean(line) for line in said]


def summary(
    recording: Recording, number: int, slots: Slots, missing: list[str], ctx: CertContext
) -> dict[str, Any]:
    """The recording in results.json and the report's header."""
    shown = sorted(slots.shown)
    return {
        "file": recording.name,
        "written_by": recording.writer,
        "launch": number,
        "launches": len(recording.launches),
        "launch_url": ctx.http.clean(ctx.inputs.launch_urls[0]),
        "behaviour_shown": shown[0] if len(shown) == 1 else (shown or None),
        "requests": len(slots.lms),
        "entries": len(recording.entries),
        "truncated": recording.truncated,
        "left_out": left_out(recording, slots, missing, ctx),
    }
