"""The quirks as one layer around the LRS: the fake LMS behaving like broken LMSs, on demand.

`create_app` applies it; the xAPI and cmi5 modules hold conformance only and know no quirk.
The layer acts in four places, and adding a quirk touches this module (and the catalogue):

- middleware (`resolve`, `answer_early`, `after`, `error_body`): quirks of statuses and headers,
  answered before the LRS sees a request or changed in its response;
- a policy wrapper (`QuirkPolicy`): refusals the policy decides, answered otherwise;
- a statement access wrapper (`QuirkAccess`): statements accepted but dropped, or hidden a while;
- view wrappers (statements, fetch URL) and the fetch URL's terms: answers of another shape.

Launch quirks (amp-launch-url, mbox-actor, ...) shape the launch URL in `admin_cmi5.py`.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import wraps
from http import HTTPStatus
from typing import Any, cast

from flask import Flask, Response, g, redirect, request
from werkzeug.exceptions import RequestEntityTooLarge

from fake_lms.cmi5 import fetch, store
from fake_lms.db import Database, now_us
from fake_lms.lms import current_lms, json_response
from fake_lms.mount_cache import request_view
from fake_lms.quirks import (
    EVENTUAL_DELAY_SECONDS,
    SLOW_SECONDS,
    STALE_WAIT_SECONDS,
    XAPI_2_ONLY,
    catalogue,
)
from fake_lms.xapi import statement_access
from fake_lms.xapi.multipart import build_multipart, split_multipart
from fake_lms.xapi.policy import EXTENSION as POLICY_EXTENSION
from fake_lms.xapi.policy import Policy
from fake_lms.xapi.protocol import XAPIError, consistent_through
from fake_lms.xapi.verdict import Verdict

STATUS_QUIRKS = {"statements-401": 401, "statements-403": 403, "statements-503": 503}
STATEMENTS_VIEW = "xapi.statements.statements"
FETCH_VIEWS = ("fetch.fetch_by_path", "fetch.fetch_by_query")
_counter = itertools.count(1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def install(app: Flask) -> None:
    """Wrap what the app registered (policy, statement store, views, fetch terms). The
    middleware is registered by `create_app` itself, where its order among the app's own
    request hooks is seen."""
    policy = app.extensions.get(POLICY_EXTENSION)
    if policy is not None:
        app.extensions[POLICY_EXTENSION] = QuirkPolicy(policy)
    statement_access.register(app, QuirkAccess())
    # our views answer a Response (Flask types a view as anything it can turn into one)
    app.view_functions[STATEMENTS_VIEW] = _statements_view(_view(app, STATEMENTS_VIEW))
    for name in FETCH_VIEWS:
        if name in app.view_functions:
            app.view_functions[name] = _fetch_view(_view(app, name))
    fetch.register_terms(app, lambda mount: _fetch_terms(_in_force(mount)))


def _view(app: Flask, name: str) -> Callable[..., Response]:
    return cast("Callable[..., Response]", app.view_functions[name])


def active() -> set[str]:
    """The quirks in force for this request (server-wide and the mount's)."""
    return cast("set[str]", g.get("quirks", set()))


def _in_force(mount_name: str | None) -> set[str]:
    lms = current_lms()
    mount = request_view(lms.db).mount(mount_name) if mount_name else None
    return set(lms.config.quirks) | set(mount.quirks if mount else ())


# --- middleware ------------------------------------------------------------------------------


def resolve() -> None:
    """Before any other hook: the quirks in force for a request to an xAPI mount, and the
    version the mount answers as (xapi-2-only: 2.0.0, an alias for a 2.0.0 mount), which every
    response under /xapi/ carries, even a refusal before the mount is looked up."""
    if not request.path.startswith("/xapi/"):
        return
    name = request.path.split("/")[2] or None
    lms = current_lms()
    mount = request_view(lms.db).mount(name) if name else None
    in_force = set(lms.config.quirks) | set(mount.quirks if mount else ())
    if XAPI_2_ONLY in in_force:
        g.xapi_version = "2.0.0"
    if mount is not None and "xapi" in request.blueprints:
        g.quirks = in_force


def _quirk_answer(name: str, status: int) -> Response:
    return json_response(
        {"status": status, "error": f"quirk {name}: {catalogue()[name]['description']}"}, status
    )


def answer_early() -> Response | None:
    """Quirks that answer an xAPI request before the LRS sees it."""
    quirks = active()
    if not quirks:
        return None
    if "slow-responses" in quirks:
        time.sleep(SLOW_SECONDS)
    if request.method == "OPTIONS":
        if "no-cors-preflight" in quirks:
            return Response(status=404)
        return None
    if "error-every-3rd" in quirks and next(_counter) % 3 == 0:
        return _quirk_answer("error-every-3rd", 500)
    if "requires-trailing-slash" in quirks and not request.path.endswith("/"):
        target = request.full_path.replace(request.path, request.path + "/", 1).rstrip("?")
        return redirect(target, 301)  # type: ignore[return-value]
    if request.path.rstrip("/").endswith("/statements") and request.method in ("POST", "PUT"):
        for name, status in STATUS_QUIRKS.items():
            if name in quirks:
                return _quirk_answer(name, status)
        if "stale-content-length" in quirks and _length_changes_when_compacted():
            time.sleep(STALE_WAIT_SECONDS)
            return _quirk_answer("stale-content-length", 504)
    return None


def _length_changes_when_compacted() -> bool:
    """Whether a proxy that re-serialises the JSON body as a browser's JSON.stringify would (no
    spaces, UTF-8 as is) and keeps the received Content-Length would send fewer or more bytes
    than it announces. A body that is not JSON (or too large to read) is passed on untouched."""
    try:
        body = request.get_data(cache=True)
        compact = json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False)
        return len(compact.encode()) != len(body)
    except (RequestEntityTooLarge, ValueError, RecursionError):
        return False  # UnicodeError is a ValueError: undecodable or lone surrogates


def _strip_cors(response: Response) -> None:
    for name in [h for h in response.headers.keys() if h.startswith("Access-Control-")]:  # noqa: SIM118
        response.headers.pop(name, None)


def after(response: Response) -> None:
    """Quirks of the response headers, before the exchange is journaled."""
    quirks = active()
    if "no-version-header" in quirks:
        response.headers.pop("X-Experience-API-Version", None)
    if "no-cors-preflight" in quirks or (
        "fetch-no-cors" in quirks and request.blueprint == "fetch"
    ):
        _strip_cors(response)
    if "eventual-read" in quirks and "X-Experience-API-Consistent-Through" in response.headers:
        response.headers["X-Experience-API-Consistent-Through"] = consistent_through(
            readable_until_us()
        )
    if "preflight-without-version-header" in quirks and request.method == "OPTIONS":
        allowed = response.headers.get("Access-Control-Allow-Headers", "")
        kept = [h for h in allowed.split(", ") if h.lower() != "x-experience-api-version"]
        response.headers["Access-Control-Allow-Headers"] = ", ".join(kept)


def error_body(exc: XAPIError) -> dict[str, Any]:
    """The body of a refusal; with cmi5-errors-in-message, a cmi5 refusal (401/403 naming a
    requirement id) in another LMS's shape, none of our own fields kept."""
    if (
        "cmi5-errors-in-message" not in active()
        or not exc.requirement
        or exc.status not in (401, 403)
    ):
        return exc.body()
    message = exc.rule
    if not message.startswith(exc.requirement):
        message = f"{exc.requirement} - {message}"
    return {
        "statusCode": exc.status,
        "error": HTTPStatus(exc.status).phrase,
        "message": message,
        "violatedReqId": exc.requirement,
    }


# --- the policy: refusals answered otherwise -------------------------------------------------


def _answered_otherwise(verdict: Verdict) -> Verdict:
    """401-for-403: a refusal for a broken rule answered 401, as if the credential were bad."""
    refusal = verdict.refusal
    if (
        "401-for-403" in active()
        and refusal is not None
        and verdict.findings
        and refusal.status == 403
    ):
        return replace(verdict, refusal=replace(refusal, status=401))
    return verdict


class QuirkPolicy:
    """The app's policy, its refusals answered as the quirks in force say."""

    def __init__(self, inner: Policy) -> None:
        self.inner = inner

    def resolve_token(self, *args: Any) -> Any:
        return self.inner.resolve_token(*args)

    def judge_request(self, *args: Any) -> Verdict:
        return _answered_otherwise(self.inner.judge_request(*args))

    def judge_statements(self, *args: Any) -> tuple[Verdict, Any]:
        verdict, judged = self.inner.judge_statements(*args)
        return _answered_otherwise(verdict), judged

    def after_store(self, *args: Any) -> None:
        self.inner.after_store(*args)

    def judge_document(self, *args: Any) -> Verdict:
        return _answered_otherwise(self.inner.judge_document(*args))


# --- the statement store: accepted but dropped, or not readable yet --------------------------


def readable_until_us() -> int:
    """eventual-read: statements stored after this time are not readable yet. One value per
    request, so the X-Experience-API-Consistent-Through it answers agrees with what it hid."""
    if "readable_until_us" not in g:
        g.readable_until_us = now_us() - int(EVENTUAL_DELAY_SECONDS * 1_000_000)
    return int(g.readable_until_us)


def _readable_yet(stmt: dict[str, Any]) -> bool:
    stored = datetime.fromisoformat(stmt["stored"].replace("Z", "+00:00"))
    return (stored - _EPOCH) // timedelta(microseconds=1) <= readable_until_us()


class QuirkAccess(statement_access.Store):
    """The statement store as the quirks in force say: drops-statements answers a write as
    stored and stores nothing; eventual-read hides statements stored in the last moment."""

    def begin(self, *args: Any, **kwargs: Any) -> Any:
        if "drops-statements" in active():
            return None
        return super().begin(*args, **kwargs)

    def query(self, db: Database, mount: str, f: Any, **kwargs: Any) -> Any:
        if "eventual-read" in active():  # (the filters go into the more token as changed)
            until = readable_until_us()
            f.until_us = until if f.until_us is None else min(f.until_us, until)
        return super().query(db, mount, f, **kwargs)

    def get_one(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        stmt = super().get_one(*args, **kwargs)
        if stmt is not None and "eventual-read" in active() and not _readable_yet(stmt):
            return None
        return stmt


# --- views: answers of another shape ---------------------------------------------------------


def _statements_view(view: Callable[..., Response]) -> Callable[..., Response]:
    @wraps(view)
    def statements(**kwargs: Any) -> Response:
        quirks, xreq = active(), g.xreq
        if "ok-without-ids" in quirks and xreq.method in ("POST", "PUT"):
            # the LMS answers every write as done, stores nothing and names no id
            g.verdicts.append({"verdict": "not stored (quirk ok-without-ids)", "violations": []})
            return (
                json_response({"success": True}) if xreq.method == "POST" else Response(status=204)
            )
        response = view(**kwargs)
        single = "statementId" in xreq.params or "voidedStatementId" in xreq.params
        if (
            "statement-as-list" in quirks
            and xreq.method in ("GET", "HEAD")
            and single
            and "more" not in xreq.params
            and response.status_code == 200
        ):
            _as_list(response)
        return response

    return statements


def _listed(statement_json: bytes) -> bytes:
    listed = [json.loads(statement_json)]
    return json.dumps(listed, ensure_ascii=False, separators=(",", ":")).encode()


def _as_list(response: Response) -> None:
    """statement-as-list: one statement answered inside an array (multipart: in its first part)."""
    if response.mimetype != "multipart/mixed":
        response.set_data(_listed(response.get_data()))
        return
    first, *rest = split_multipart(response.get_data(), response.content_type or "")
    parts = [
        (p.headers.get("x-experience-api-hash", ""), p.headers.get("content-type", ""), p.content)
        for p in rest
    ]
    body, ctype = build_multipart(_listed(first.content), parts)
    response.set_data(body)
    response.content_type = ctype


def _fetch_terms(quirks: set[str]) -> fetch.FetchTerms:
    """fetch-get-only: the URL answers GET only; reusable-fetch-token: it hands its token out
    on every call."""
    return fetch.FetchTerms(
        method="GET" if "fetch-get-only" in quirks else "POST",
        once="reusable-fetch-token" not in quirks,
    )


def _fetch_view(view: Callable[..., Response]) -> Callable[..., Response]:
    @wraps(view)
    def fetch_url(**kwargs: Any) -> Response:
        lms = current_lms()
        fetch_id = kwargs.get("fetch_id", request.args.get("id", ""))
        session = store.session_by_fetch(lms.db.connection(), fetch_id) if fetch_id else None
        g.quirks = quirks = _in_force(session.mount if session else lms.config.default_mount)
        terms = _fetch_terms(quirks)
        if "fetch-application-error" in quirks and session and request.method == terms.method:
            g.journal_mount = session.mount
            g.verdicts.append(fetch.verdict("8.2.3.2-1", "quirk: application error", "refused"))
            return fetch.error("3", "general application error (quirk fetch-application-error)")
        response = view(**kwargs)
        if response.mimetype == "application/json" and response.status_code == 200:
            _reshape_fetch_answer(response, quirks)
        return response

    return fetch_url


def _reshape_fetch_answer(response: Response, quirks: set[str]) -> None:
    """token-with-basic-prefix: the token handed out with 'Basic ' before it;
    fetch-empty-error-code: a repeated fetch refused with an empty error code."""
    body = json.loads(response.get_data())
    if "token-with-basic-prefix" in quirks and "auth-token" in body:
        body["auth-token"] = f"Basic {body['auth-token']}"
    elif (
        "fetch-empty-error-code" in quirks
        and body.get("error-code") == "1"
        and g.verdicts
        and g.verdicts[-1].get("requirement") == fetch.REPEATED
    ):
        body["error-code"] = ""
    else:
        return
    response.set_data(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
