"""certify's requests, in the order a We Are launch makes them; the checks judge what came back.

Credentials are set up here, not in the checks: the fetch URL of the first launch is POSTed
once, or the configured API key is used. Then both We Are behaviours are played:

- `weare-documented`: the Completed statement only, as the seed documents it;
- `cmi5-full`: the whole AU session (LMS.LaunchData, learner preferences, initialized,
  completed, terminated), as `harness/story/client.py` sends it.

Order, when both share one launch: the documented flow goes first. A strict cmi5 LMS refuses
its lone Completed (11.0.0.0-3) and leaves the session as it was, so the full flow that follows
is judged on its own merits; the other way round, the full flow would have terminated the
session and the documented Completed would be refused for that, not for itself. When a second
launch URL is given, the full flow uses it (after `fetch.get-refused` has tried GET on its
still-unused fetch URL): each behaviour then has a session of its own.

The xAPI probes (redirects, malformed and wrongly authenticated statements, stability reads)
run before both behaviours, while the session is open, so a terminated session cannot colour
their answers. Every loop is bounded; every request has the timeout of `CertInputs`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlsplit

from harness.certify.context import CertContext, basic_credential, mark_test, read_launch
from harness.urls import is_http_url

STABILITY_READS = 4
LIMIT_1 = {"limit": "1"}
WRONG_CREDENTIALS = "Basic d2VhcmUtaGFybmVzczpub3QtYS1yZWFsLWtleQ=="  # weare-harness:not-a-real-key
MALFORMED = {"verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}, "object": {"id": "x"}}


class Unreachable(Exception):
    """The target answered nothing at all: one line naming the URL and the network error."""


def probe(ctx: CertContext) -> None:
    """One unauthenticated GET of the About resource: raise Unreachable if nothing answers."""
    fetch = ctx.params.get("fetch")
    if is_http_url(ctx.destination):
        url = ctx.resource("about")
    elif is_http_url(fetch):
        parts = urlsplit(fetch)
        url = f"{parts.scheme}://{parts.netloc}/"
    else:
        return
    ex = ctx.send("probe", "reachability (GET about)", "GET", url, headers=ctx.xapi_headers())
    if ex.status is None:
        raise Unreachable(f"cannot reach {ex.url}: {ex.error}")


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
            ctx.authorization = token if token.lower().startswith("basic ") else f"Basic {token}"
        return
    if ctx.inputs.api_key:
        ctx.authorization = f"Basic {basic_credential(ctx.inputs.api_key)}"
        ctx.credentials = "api-key"
        ctx.skip("fetch", "no fetch parameter: We Are uses the configured API key")
    else:
        ctx.skip("fetch", "no fetch parameter and no --api-key: We Are cannot authenticate")


def fetch_probes(ctx: CertContext) -> None:
    fetch = ctx.params.get("fetch")
    if fetch and ctx.token:
        ctx.send("fetch-again", "fetch again (POST)", "POST", fetch)
    else:
        ctx.skip("fetch-again", "no token was fetched")
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
    names = ["trailing-slash", "malformed", "bad-credentials", "state"]
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
    ctx.send(
        "malformed",
        "POST malformed statement",
        "POST",
        ctx.statements,
        headers=ctx.xapi_headers(body=True),
        body=MALFORMED,
    )
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


def documented(ctx: CertContext) -> None:
    """We Are's documented flow: the Completed statement, then PUT by id and read it back."""
    names = ("documented.completed", "documented.put", "documented.read-back")
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
    ids = ex.json()
    accepted = ex.status == 200 and isinstance(ids, list) and stmt["id"] in ids
    put_and_read_back(ctx, stmt["id"] if accepted else None)


def put_and_read_back(ctx: CertContext, accepted_id: str | None) -> None:
    """After the Completed statement: PUT a copy by id, and read the accepted one back."""
    put = ctx.completion()
    ctx.send(
        "documented.put",
        "PUT statement",
        "PUT",
        ctx.statements,
        headers=ctx.xapi_headers(body=True),
        body=put,
        params={"statementId": put["id"]},
    )
    if accepted_id is None:
        ctx.skip("documented.read-back", "the Completed statement was not accepted")
        return
    ctx.notes["documented_id"] = accepted_id
    ctx.send(
        "documented.read-back",
        "GET statement back",
        "GET",
        ctx.statements,
        headers=ctx.xapi_headers(),
        params={"statementId": accepted_id},
    )


CMI5_STEPS = (
    "cmi5.launch-data",
    "cmi5.preferences",
    "cmi5.initialized",
    "cmi5.completed",
    "cmi5.terminated",
)


def cmi5_full(ctx: CertContext) -> None:
    """The full cmi5 AU session, on the second launch when given, else on the first."""
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
        authorization = None
        if token:
            authorization = token if token.lower().startswith("basic ") else f"Basic {token}"
    if not authorization:
        for name in CMI5_STEPS:
            ctx.skip(name, "no auth-token for the cmi5 session")
        return
    base = destination if destination.endswith("/") else destination + "/"
    headers = ctx.xapi_headers(authorization=authorization)
    agent = json.dumps(actor)
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
    verbs = [("cmi5.initialized", "initialized", None, False)]
    if launch_data.get("launchMode", "Normal") == "Normal":
        result = {"completion": True, "duration": client._duration()}
        verbs.append(("cmi5.completed", "completed", result, True))
    else:
        ctx.skip("cmi5.completed", f"launchMode {launch_data.get('launchMode')!r}: no completed")
    verbs.append(("cmi5.terminated", "terminated", {"duration": client._duration()}, False))
    for name, verb, result, moveon in verbs:
        stmt = mark_test(client._cmi5(verb, result, moveon))
        ctx.send(name, f"POST {verb} statement", "POST", statements, headers=post, body=stmt)


# What certify plays after the probe, in order.
STEPS: tuple[Callable[[CertContext], None], ...] = (
    credentials,
    fetch_probes,
    preflight,
    xapi_probes,
    documented,
    cmi5_full,
)


def play(ctx: CertContext, step_done: Callable[[], None] | None = None) -> None:
    """Every request after the probe, in order; raises Unreachable if nothing ever answered."""
    for step in STEPS:
        step(ctx)
        if step_done is not None:
            step_done()
    if ctx.http.exchanges and all(e.status is None for e in ctx.http.exchanges):
        first = ctx.http.exchanges[0]
        raise Unreachable(f"cannot reach {first.url}: {first.error}")
