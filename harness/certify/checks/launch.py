"""The launch URL: We Are's parameters, their encoding, the actor, registration and activity."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from fake_lms.xapi.validation import is_iri, is_uuid, validate_agent
from harness.certify.context import CertContext, read_launch
from harness.certify.registry import (
    BLOCKER,
    FAIL,
    PASS,
    SKIPPED,
    WARN,
    WARNING,
    Finding,
    check,
    requires_launch_url,
    requires_readable_launch,
)
from harness.urls import is_http_url

QUERY = "cmi5 §8.1"  # the launch URL's query: name/value pairs separated by '&'
PARAMETERS = "seed: Required Query Parameters"
OPTIONAL = ("endpoint", "fetch", "registration")  # We Are falls back on its configuration


@check(
    "launch.required-parameters",
    title="The launch URL carries We Are's parameters",
    source="seed: Required Query Parameters (actor, activityId); cmi5 §8.1",
    severity=BLOCKER,
    why="Without actor and activityId We Are cannot tell who finished what.",
    fix="Add actor (JSON Agent) and activityId (IRI) to the launch URL's query.",
)
@requires_launch_url
def launch_required_parameters(ctx: CertContext) -> Finding:
    if ctx.launch_error:
        return Finding(FAIL, ctx.launch_error, requirement=PARAMETERS, path="query:actor")
    present = [n for n in OPTIONAL if n in ctx.params]
    missing = [n for n in OPTIONAL if n not in present]
    compared: dict[str, Any] = {
        "requirement": PARAMETERS,
        "expected": list(OPTIONAL),
        "actual": present,
    }
    if missing:
        return Finding(
            WARN,
            f"actor and activityId are present; {missing} absent: We Are then uses the API URL "
            "and key configured in the integration (seed steps 2 and 3)",
            path=f"query:{missing[0]}",
            **compared,
        )
    return Finding(
        PASS, "actor, activityId, endpoint, fetch and registration are present", **compared
    )


@check(
    "launch.no-html-entities",
    title="Query pairs are separated by '&', not '&amp;'",
    source="cmi5 §8.1: name/value pairs in the query string",
    severity=BLOCKER,
    why="We Are reads '&amp;actor' as a parameter named 'amp;actor' and finds no actor.",
    fix="Do not HTML-escape the launch URL when you build or store it.",
)
@requires_launch_url
def launch_no_html_entities(ctx: CertContext) -> Finding:
    url = ctx.inputs.launch_urls[0]
    count = url.count("&amp;")
    compared: dict[str, Any] = {
        "requirement": QUERY,
        "path": "query",
        "expected": 0,
        "actual": count,
    }
    if count:
        return Finding(
            FAIL,
            f"{count} pairs are separated by '&amp;' instead of '&' (the other launch checks "
            "read on as if they were '&')",
            **compared,
        )
    return Finding(PASS, "pairs are separated by '&'", **compared)


@check(
    "launch.values-encoded",
    title="Launch values are URL-encoded",
    source="cmi5 8.1.0.0-8",
    severity=WARNING,
    why="Unencoded JSON or spaces break some browsers and proxies.",
    fix="URL-encode every value (encodeURIComponent / urllib.parse.quote).",
)
@requires_launch_url
def launch_values_encoded(ctx: CertContext) -> Finding:
    raw = urlsplit(ctx.inputs.launch_urls[0].replace("&amp;", "&")).query
    unencoded = [
        pair.split("=", 1)[0]
        for pair in raw.split("&")
        if "=" in pair and re.search(r'[{}"\s<>|\\^`]|[^\x00-\x7f]', pair.split("=", 1)[1])
    ]
    compared: dict[str, Any] = {"requirement": "8.1.0.0-8", "expected": [], "actual": unencoded}
    if unencoded:
        return Finding(
            FAIL,
            f"values not URL-encoded: {unencoded}; expected percent-encoding",
            path=f"query:{unencoded[0]}",
            **compared,
        )
    return Finding(PASS, "every value is URL-encoded", path="query", **compared)


@check(
    "launch.fetch-url",
    title="The fetch parameter is an absolute http(s) URL",
    source="cmi5 §8.1.2 (8.1.2.0-1): fetch is the token service's absolute URL, URL-encoded once",
    severity=BLOCKER,
    why="We Are POSTs to the fetch value as it reads it; a value that is no absolute URL (encoded "
    "twice, relative) gets no auth-token, and no statement is authorised.",
    fix="Put the fetch URL in the launch URL absolute (scheme and host) and percent-encoded "
    "once (encodeURIComponent / urllib.parse.quote), not twice.",
)
@requires_launch_url
def launch_fetch_url(ctx: CertContext) -> Finding:
    wrong = []
    values = []
    for number, url in enumerate(ctx.inputs.launch_urls, 1):
        fetch = read_launch(url)[0].get("fetch")
        if fetch is None or is_http_url(fetch):
            continue
        twice = " (percent-encoded once too often)" if is_http_url(unquote(fetch)) else ""
        wrong.append(f"launch URL {number}: fetch {fetch[:200]!r}{twice}")
        values.append(fetch)
    where: dict[str, Any] = {"requirement": "8.1.2.0-1", "path": "query:fetch"}
    if wrong:
        return Finding(
            FAIL,
            "; ".join(wrong) + " is not an absolute http(s) URL; expected e.g. "
            "'https://lms.example/fetch/…' once decoded (cmi5 8.1.2.0-1)",
            actual=values,
            **where,
        )
    if "fetch" not in ctx.params:
        return Finding(SKIPPED, "no fetch parameter: We Are uses the configured API key", **where)
    scheme = urlsplit(ctx.params["fetch"]).scheme
    return Finding(PASS, f"fetch is an absolute {scheme} URL", actual=scheme, **where)


@check(
    "launch.actor",
    title="The actor is an xAPI Agent identified by an account",
    source="seed: actor; xAPI-D §2.4.2; cmi5 9.2.0.0-3",
    severity=BLOCKER,
    why="We Are echoes the actor in every statement; an invalid one is refused by the LRS.",
    fix='Send {"objectType":"Agent","account":{"homePage":"<your LMS>","name":"<learner id>"}}.',
)
@requires_readable_launch
def launch_actor_is_account_agent(ctx: CertContext) -> Finding:
    problems = validate_agent(ctx.actor, "actor")
    if problems:
        return Finding(
            FAIL,
            f"actor {ctx.params['actor'][:120]} is not a valid xAPI Agent: {problems[0].rule}",
            requirement=problems[0].section,
            path=f"query:{problems[0].path}",
        )
    account = ctx.actor.get("account")
    if not isinstance(account, dict):
        # A valid Agent all the same: We Are echoes it and the LRS stores the completion.
        ifi = next((k for k in ("mbox", "mbox_sha1sum", "openid") if k in ctx.actor), "?")
        return Finding(
            WARN,
            f"actor is identified by {ifi} ({ctx.actor.get(ifi)!r}), not by an account "
            "(homePage, name) as cmi5 9.2.0.0-3 requires; a valid xAPI Agent, so We Are's "
            "completions still arrive, but a strict cmi5 LRS may refuse them",
            diagnose=False,
            requirement="9.2.0.0-3",
            path="query:actor.account",
            expected="account",
            actual=ifi,
        )
    return Finding(
        PASS,
        f"actor account {account.get('name')!r} at {account.get('homePage')!r}",
        requirement="9.2.0.0-3",
        path="query:actor.account",
        expected="account",
        actual="account",
    )


@check(
    "launch.registration-uuid",
    title="The registration is a UUID",
    source="seed: registration; cmi5 8.1.4.0-1; xAPI-D §2.4.6",
    severity=BLOCKER,
    why="We Are echoes it as context.registration, which must be a UUID or the LRS refuses it.",
    fix="Generate registrations as UUIDs (RFC 4122).",
)
@requires_readable_launch
def launch_registration_uuid(ctx: CertContext) -> Finding:
    registration = ctx.params.get("registration")
    where: dict[str, Any] = {"requirement": "8.1.4.0-1", "path": "query:registration"}
    if registration is None:
        return Finding(SKIPPED, "no registration parameter (optional for We Are)", **where)
    if not is_uuid(registration):
        return Finding(
            FAIL, f"registration {registration[:60]!r} is not a UUID", actual=registration, **where
        )
    return Finding(PASS, f"registration {registration} is a UUID", actual=registration, **where)


@check(
    "launch.activity-id",
    title="The activityId is an absolute IRI, and the AU's when certify knows it",
    source="seed: activityId (the Activity ID of the AU being launched); cmi5 8.1.5.0-1, "
    "8.1.5.0-4, 8.1.5.0-6",
    severity=BLOCKER,
    why="It becomes the statement's object id: the LRS refuses one that is not an IRI, and a "
    "completion of another activity id is not recorded against the AU that was launched.",
    fix="Use the AU's activity id, an absolute URL/IRI, as activityId in every launch of it.",
)
@requires_readable_launch
def launch_activity_id_iri(ctx: CertContext) -> Finding:
    activity = ctx.params["activityId"]
    path = "query:activityId"
    if not is_iri(activity):
        return Finding(
            FAIL,
            f"activityId {activity[:80]!r} is not an absolute IRI",
            requirement="8.1.5.0-1",
            path=path,
            actual=activity,
        )
    expected = ctx.inputs.expected_activity_id
    if expected is None:
        return Finding(
            PASS, f"activityId {activity}", requirement="8.1.5.0-1", path=path, actual=activity
        )
    compared: dict[str, Any] = {
        "requirement": "8.1.5.0-4",
        "path": path,
        "expected": expected,
        "actual": activity,
    }
    if activity != expected:
        return Finding(
            FAIL,
            f"activityId {activity[:120]!r} is not the AU's activity id {expected[:120]!r}: "
            "We Are's completion would name another activity (cmi5 8.1.5.0-4, 8.1.5.0-6)",
            **compared,
        )
    return Finding(PASS, f"activityId {activity} is the AU's activity id", **compared)


@check(
    "destination",
    title="We Are knows where to send",
    source="seed: The endpoint query parameter has precedence.; cmi5 8.1.1.0-3",
    severity=BLOCKER,
    why="Completions go to the endpoint parameter, or to the configured API URL.",
    fix="Give the endpoint launch parameter, or configure the API URL in We Are.",
)
def destination_resolved(ctx: CertContext) -> Finding:
    seed = "seed: The endpoint query parameter has precedence."
    path = "query:endpoint" if "endpoint" in ctx.params else ""
    if not ctx.destination:
        return Finding(
            FAIL,
            "no endpoint parameter and no --endpoint (API URL): nowhere to send",
            requirement=seed,
            path="query:endpoint",
        )
    parts = urlsplit(ctx.destination)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return Finding(
            FAIL,
            f"destination {ctx.destination!r} is not an http(s) URL",
            requirement=seed,
            path=path,
            actual=ctx.destination,
        )
    compared: dict[str, Any] = {"requirement": "8.1.1.0-3", "path": path, "actual": ctx.destination}
    if not ctx.destination.endswith("/"):
        return Finding(
            WARN,
            f"{ctx.destination_source} {ctx.destination!r} has no trailing slash: We Are "
            f"sends to {ctx.statements}, but a cmi5 AU that appends 'statements' to it as "
            f"cmi5 8.1.1.0-3 describes calls {ctx.destination + 'statements'!r}; expected "
            f"{ctx.destination + '/'!r}",
            diagnose=False,
            expected=ctx.destination + "/",
            **compared,
        )
    return Finding(
        PASS,
        f"We Are sends to {ctx.destination} ({ctx.destination_source})",
        expected=ctx.destination,
        **compared,
    )
