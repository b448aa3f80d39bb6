"""certify's requests, in the order a We Are launch makes them; the checks judge what came back.

Credentials are set up here, not in the checks: the fetch URL of the first launch is POSTed
once, or the configured API key is used. Then both We Are behaviours are played:

- `weare-documented`: the Completed statement only, as the seed documents it, read back;
- `cmi5-full`: the whole AU session (LMS.LaunchData, learner preferences, initialized,
  completed, terminated), as `harness/story/client.py` sends it, every statement read back.

Order, when both share one launch: the documented flow goes first. A strict cmi5 LMS refuses
its lone Completed (11.0.0.0-3) and leaves the session as it was, so the full flow that follows
is judged on its own merits; the other way round, the full flow would have terminated the
session and the documented Completed would be refused for that, not for itself. When a second
launch URL is given, the full flow uses it (after `fetch.get-refused` has tried GET on its
still-unused fetch URL): each behaviour then has a session of its own.

The probes that write statements (a malformed statement, a PUT by id) need a started session:
a strict LMS refuses any statement before the learner preferences are read (11.0.0.0-3), and
that refusal would say nothing about the probe. They run inside the full flow's session, after
initialized and completed and before terminated; without a cmi5 session (an API key set-up),
after the documented flow. The read-only probes (redirects, wrong credentials, stability reads)
run first, while the session is open. Every statement sent is read back the way xAPI allows:
retried for a bounded time while it is not yet readable, honouring
X-Experience-API-Consistent-Through. Every loop is bounded; every request has the timeout of
`CertInputs`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from harness.certify.context import CertContext, basic_credential, mark_test, read_launch
from harness.certify.recorder import Exchange
from harness.urls import is_http_url

STABILITY_READS = 4
LIMIT_1 = {"limit": "1"}
WRONG_CREDENTIALS = "Basic d2VhcmUtaGFybmVzczpub3QtYS1yZWFsLWtleQ=="  # weare-harness:not-a-real-key
MALFORMED = {"verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}, "object": {"id": "x"}}
READ_BACK_WINDOW_S = 5.0  # how long a statement may take to become readable (eventual consistency)
READ_BACK_PAUSE_S = 0.25
SESSION_PROBES = ("malformed", "documented.put")


class Unreachable(Exception):
    """The target answered nothing at all: one line naming the URL and the network error."""


def unanswered(ex: Exchange) -> bool:
    """No answer at all: no connection, or none within the timeout."""
    return ex.status is None


def probe(ctx: CertContext) -> None:
    """One unauthenticated GET of the About resource: raise Unreachable if nothing answers
    within `give_up` seconds. It waits that long (not just `timeout`) so that a target which
    answers, but too slowly for We Are, is judged (performance.response-times) rather than
    called unreachable."""
    fetch = ctx.params.get("fetch")
    if is_http_url(ctx.destination):
        url = ctx.resource("about")
    elif is_http_url(fetch):
        parts = urlsplit(fetch)
        url = f"{parts.scheme}://{parts.netloc}/"
    else:
        return
    patience = max(ctx.inputs.give_up, ctx.inputs.timeout)
    ex = ctx.send(
        "probe",
        "reachability (GET about)",
        "GET",
        url,
        headers=ctx.xapi_headers(),
        timeout=patience,
    )
    if unanswered(ex):
        raise Unreachable(f"cannot reach {ex.url}: {ex.error}")


def as_authorization(token: str) -> str:
    """The Authorization header We Are sends with an auth-token (cmi5 8.2.2.0-5)."""
    return token if token.lower().startswith("basic ") else f"Basic {token}"


def credentials(ctx: CertContext) -> None:
    """What We Are authenticates with: the fetch URL's auth-token, else the API key."""
    fetch = ctx.params.get("fetch")
    if fetch and not is_http_url(fetch):  # We Are cannot POST to it: launch.fetch-url fails
        ctx.skip("fetch", f"the fetch parameter {fetch[:200]!r} is not an absolute http(s) URL")
        return
    if fetch:
        ex = ctx.send("fetch", "fetch (POST)", "POST", fetch)
        token = ctx.token_from(ex)
        if token:
            ctx.http.add_secret(token)
            ctx.token = token
            ctx.credentials = "fetch-token"
            # Read on with what the LMS meant, so later checks judge more than the prefix.
            ctx.authorization = as_authorization(token)
        return
    if ctx.inputs.api_key:
        ctx.authorization = f"Basic {basic_credential(ctx.inputs.api_key)}"
        ctx.credentials = "api-key"
        ctx.skip("fetch", "no fetch parameter: We Are uses the configured API key")
    else:
        ctx.skip("fetch", "no fetch parameter and no --api-key: We Are cannot authenticate")


def fetch_again(ctx: CertContext, fetch: str | None, reason_if_not: str) -> None:
    """POST the fetch URL a second time: a single-use URL answers error-code 1 (8.2.3.2-1).
    Sent whenever the first POST went out, token or not: a POST the browser blocked may still
    have used the token up, and this answer says so."""
    if fetch and is_http_url(fetch) and "fetch" in ctx.sent:
        ctx.send(
            "fetch-again",
            "fetch again (POST)",
            "POST",
            fetch,
            headers={"Origin": ctx.inputs.origin},
        )
    else:
        ctx.skip("fetch-again", reason_if_not)


def fetch_probes(ctx: CertContext) -> None:
    fetch_again(ctx, ctx.params.get("fetch"), "no fetch URL was called")
    if len(ctx.inputs.launch_urls) < 2:
        ctx.skip("fetch-get", "needs a second, unused launch URL (--launch-url twice)")
        return
    params, _, _ = read_launch(ctx.inputs.launch_urls[1])
    if not is_http_url(params.get("fetch")):
        ctx.skip("fetch-get", "the second launch URL has no http(s) fetch parameter")
        return
    ctx.send("fetch-get", "fetch (GET)", "GET", params["fetch"])


def preflight(ctx: CertContext) -> None:
    if not is_http_url(ctx.destination):
        ctx.skip("preflight", "no destination")
        return
    ctx.send(
        "preflight",
        "CORS preflight",
        "OPTIONS",
        ctx.statements,
        headers={
            "Origin": ctx.inputs.origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-experience-api-version",
        },
    )


def xapi_probes(ctx: CertContext) -> None:
    """The probes that write nothing a session could refuse: wrong credentials, reads."""
    names = ["trailing-slash", "bad-credentials", "state"]
    names += [f"stability-{i}" for i in range(STABILITY_READS)]
    if not is_http_url(ctx.destination):
        for name in names:
            ctx.skip(name, "no destination")
        return
    ctx.send(
        "bad-credentials",
        "POST with wrong credentials",
        "POST",
        ctx.statements,
        headers=ctx.xapi_headers(body=True, authorization=WRONG_CREDENTIALS),
        body=ctx.completion(),
    )
    if not ctx.authorization:
        for name in names:
            ctx.not_sent.setdefault(name, "no credentials")
        return
    reads = [("trailing-slash", "GET statements (no trailing slash)")]
    # intermittent 5xx show up over repetition
    reads += [(f"stability-{i}", "GET statements (stability)") for i in range(STABILITY_READS)]
    name, label = reads[0]
    ctx.send(name, label, "GET", ctx.statements, headers=ctx.xapi_headers(), params=LIMIT_1)
    if ctx.params.get("fetch"):
        ctx.skip("state", "a cmi5 launch: the State resource is judged through LMS.LaunchData")
    else:
        ctx.send(
            "state",
            "GET a State document",
            "GET",
            ctx.resource("activities/state"),
            headers=ctx.xapi_headers(),
            params={
                "stateId": "weare-harness-probe",
                "activityId": "https://weare-harness.dev/certification/story",
                "agent": '{"mbox":"mailto:certification@weare-harness.dev"}',
            },
        )
    for name, label in reads[1:]:
        ctx.send(name, label, "GET", ctx.statements, headers=ctx.xapi_headers(), params=LIMIT_1)


EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"


def session_statement(
    params: dict[str, str], actor: dict[str, Any], template: Any
) -> dict[str, Any]:
    """A "cmi5 allowed" statement of a started session (cmi5 §9.6.3: any verb, without the cmi5
    category, carrying the LaunchData context template): what certify PUTs inside a session,
    so a strict LMS judges the PUT and not a broken session rule."""
    context = json.loads(json.dumps(template)) if isinstance(template, dict) else {}
    if params.get("registration"):
        context["registration"] = params["registration"]
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return mark_test(
        {
            "id": str(uuid.uuid4()),
            "actor": actor,
            "verb": {"id": EXPERIENCED, "display": {"en-US": "experienced"}},
            "object": {"id": params.get("activityId", ""), "objectType": "Activity"},
            "timestamp": stamp,
            "context": context,
        }
    )


def session_probes(
    ctx: CertContext,
    authorization: str | None,
    where: str,
    put: dict[str, Any] | None = None,
) -> None:
    """The probes that write statements, sent once, inside a started session when there is one
    (`where` says which, for the report; `put` the statement to PUT there, else We Are's
    Completed)."""
    if any(name in ctx.sent for name in SESSION_PROBES):
        return
    if not is_http_url(ctx.destination) or not authorization:
        for name in SESSION_PROBES:
            ctx.skip(
                name, "no destination" if not is_http_url(ctx.destination) else "no credentials"
            )
        return
    ctx.notes["session_probes"] = where
    headers = ctx.xapi_headers(body=True, authorization=authorization)
    ctx.send(
        "malformed", "POST malformed statement", "POST", ctx.statements, headers=headers,
        body=MALFORMED,
    )  # fmt: skip
    put = put or ctx.completion()
    ctx.send(
        "documented.put",
        "PUT statement",
        "PUT",
        ctx.statements,
        headers=headers,
        body=put,
        params={"statementId": put["id"]},
    )


def consistent_through(ex: Exchange) -> datetime | None:
    value = ex.header("X-Experience-API-Consistent-Through")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def read_back(
    ctx: CertContext, name: str, label: str, statement_id: str, authorization: str | None
) -> Exchange:
    """GET a statement by id until it reads back, for at most READ_BACK_WINDOW_S: an LRS may
    make statements readable a moment later (xAPI-C §2.1.3); one whose
    X-Experience-API-Consistent-Through is past the write and still lacks it has not stored it.
    `ctx.notes["read_back"][name]` says how many reads it took and how long."""
    written = datetime.now().astimezone()
    started = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        ex = ctx.send(
            name,
            label,
            "GET",
            ctx.statements,
            headers=ctx.xapi_headers(authorization=authorization),
            params={"statementId": statement_id},
        )
        waited = time.monotonic() - started
        through = consistent_through(ex)
        settled = through is not None and through > written
        if ex.status != 404 or settled or waited + READ_BACK_PAUSE_S > READ_BACK_WINDOW_S:
            break
        time.sleep(READ_BACK_PAUSE_S)
    ctx.notes.setdefault("read_back", {})[name] = {
        "statement_id": statement_id,
        "attempts": attempts,
        "seconds": round(time.monotonic() - started, 2),
    }
    return ex


def accepted_id(ex: Exchange | None, statement: Any) -> str | None:
    """The statement's id when the answer is 200 with the ids and names it (xAPI-C §2.1.2)."""
    sid = statement.get("id") if isinstance(statement, dict) else None
    ids = ex.json() if ex is not None else None
    ok = ex is not None and ex.status == 200 and isinstance(ids, list) and sid in ids
    return sid if ok and isinstance(sid, str) else None


def documented(ctx: CertContext) -> None:
    """We Are's documented flow: the Completed statement, then read it back."""
    names = ("documented.completed", "documented.read-back")
    reason = None if is_http_url(ctx.destination) else "no destination"
    reason = reason or (None if ctx.authorization else "no credentials")
    if reason:
        for name in names:
            ctx.skip(name, reason)
        return
    stmt = ctx.completion()
    ex = ctx.send(
        "documented.completed",
        "POST Completed statement",
        "POST",
        ctx.statements,
        headers=ctx.xapi_headers(body=True),
        body=stmt,
    )
    read_back_documented(ctx, accepted_id(ex, stmt))


def read_back_documented(ctx: CertContext, accepted: str | None) -> None:
    if accepted is None:
        ctx.skip("documented.read-back", "the Completed statement was not accepted")
        return
    ctx.notes["documented_id"] = accepted
    read_back(ctx, "documented.read-back", "GET statement back", accepted, ctx.authorization)


CMI5_STEPS = (
    "cmi5.launch-data",
    "cmi5.preferences",
    "cmi5.initialized",
    "cmi5.completed",
    "cmi5.terminated",
)
READ_BACK_PREFIX = "cmi5.read-back."


def read_back_cmi5(
    ctx: CertContext, verbs: list[tuple[str, Any]], authorization: str | None
) -> None:
    """Read back each accepted statement of the cmi5 session (`verbs`: verb, statement)."""
    for verb, statement in verbs:
        sent = ctx.sent.get(f"cmi5.{verb}")
        sid = accepted_id(sent, statement)
        if sid is None:
            ctx.skip(READ_BACK_PREFIX + verb, f"the {verb} statement was not accepted")
            continue
        read_back(ctx, READ_BACK_PREFIX + verb, f"GET {verb} statement back", sid, authorization)


def cmi5_full(ctx: CertContext) -> None:
    """The full cmi5 AU session, on the second launch when given, else on the first; the
    statement-writing probes inside it, before terminated."""
    for name in CMI5_STEPS:
        ctx.skip(name, "the full cmi5 flow was not played")
    if not ctx.has_launch:
        ctx.not_tested["cmi5-full"] = (
            "needs a cmi5 launch URL (--launch-url with a fetch parameter)"
        )
        return
    own = len(ctx.inputs.launch_urls) > 1
    url = ctx.inputs.launch_urls[1 if own else 0]
    params, actor, error = read_launch(url)
    if error or not params.get("fetch"):
        ctx.not_tested["cmi5-full"] = (
            f"the launch URL is unusable: {error}"
            if error
            else "the launch URL has no fetch parameter: not a cmi5 launch"
        )
        return
    destination = params.get("endpoint") or ctx.inputs.endpoint
    if not is_http_url(destination):
        ctx.not_tested["cmi5-full"] = "no destination: nowhere to send"
        return
    ctx.notes["cmi5_launch"] = 2 if own else 1
    authorization = ctx.authorization
    if own:
        token = None  # no absolute fetch URL (launch.fetch-url fails): no token, no session
        if is_http_url(params["fetch"]):
            ex = ctx.send("cmi5.fetch", "second launch: fetch (POST)", "POST", params["fetch"])
            token = ctx.token_from(ex)
        ctx.http.add_secret(token)
        authorization = as_authorization(token) if token else None
    if not authorization:
        for name in CMI5_STEPS:
            ctx.skip(name, "no auth-token for the cmi5 session")
        return
    base = destination if destination.endswith("/") else destination + "/"
    headers = ctx.xapi_headers(authorization=authorization)
    agent = json.dumps(actor, separators=(",", ":"))
    data = ctx.send(
        "cmi5.launch-data",
        "GET LMS.LaunchData",
        "GET",
        base + "activities/state",
        headers=headers,
        params={
            "stateId": "LMS.LaunchData",
            "activityId": params["activityId"],
            "agent": agent,
            "registration": params.get("registration", ""),
        },
    )
    ctx.send(
        "cmi5.preferences",
        "GET learner preferences",
        "GET",
        base + "agents/profile",
        headers=headers,
        params={"profileId": "cmi5LearnerPreferences", "agent": agent},
    )
    client = ctx.client("cmi5-full", params, actor)
    launch_data = data.json() if isinstance(data.json(), dict) else {}
    client.launch_data = launch_data
    template = launch_data.get("contextTemplate")
    client.template = template if isinstance(template, dict) else {}
    post = {**ctx.xapi_headers(body=True, authorization=authorization)}
    statements = base.rstrip("/") + "/statements"

    def send(name: str, verb: str, stmt: dict[str, Any]) -> None:
        ctx.send(name, f"POST {verb} statement", "POST", statements, headers=post, body=stmt)

    played: list[tuple[str, Any]] = []
    initialized = mark_test(client._cmi5("initialized"))
    send("cmi5.initialized", "initialized", initialized)
    played.append(("initialized", initialized))
    if launch_data.get("launchMode", "Normal") == "Normal":
        result = {"completion": True, "duration": client._duration()}
        completed = mark_test(client._cmi5("completed", result, True))
        send("cmi5.completed", "completed", completed)
        played.append(("completed", completed))
    else:
        ctx.skip("cmi5.completed", f"launchMode {launch_data.get('launchMode')!r}: no completed")
    where = f"inside the full cmi5 flow's session (launch {ctx.notes['cmi5_launch']})"
    session_probes(ctx, authorization, where, session_statement(params, actor, client.template))
    read_back_cmi5(ctx, played, authorization)
    terminated = mark_test(client._cmi5("terminated", {"duration": client._duration()}))
    send("cmi5.terminated", "terminated", terminated)
    read_back_cmi5(ctx, [("terminated", terminated)], authorization)


def remaining_probes(ctx: CertContext) -> None:
    """The statement-writing probes, when no cmi5 session had them: after the documented flow."""
    session_probes(ctx, ctx.authorization, "after the documented flow (no cmi5 session)")


# What certify plays after the probe, in order.
STEPS: tuple[Callable[[CertContext], None], ...] = (
    credentials,
    fetch_probes,
    preflight,
    xapi_probes,
    documented,
    cmi5_full,
    remaining_probes,
)


def play(ctx: CertContext, step_done: Callable[[], None] | None = None) -> None:
    """Every request after the probe, in order; raises Unreachable if nothing ever answered."""
    for step in STEPS:
        step(ctx)
        if step_done is not None:
            step_done()
    if ctx.http.exchanges and all(unanswered(e) for e in ctx.http.exchanges):
        first = ctx.http.exchanges[0]
        raise Unreachable(f"cannot reach {first.url}: {first.error}")
