"""The single-use fetch URL (cmi5 §8.2): POST once for the session's auth-token, errors after."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response, g, request

from fake_lms.cmi5 import store
from fake_lms.cors import preflight
from fake_lms.db import now_us
from fake_lms.lms import current_lms, json_response
from fake_lms.mounts import get_mount

bp = Blueprint("fetch", __name__)
SECTION = "cmi5 §8.2"


def auth_token(token: str) -> str:
    """A complete Basic credential, as CATAPULT hands out: base64 of ':' + token (rules doc §2.2)."""
    return base64.b64encode(f":{token}".encode()).decode()


def _error(code: str, text: str) -> Response:
    """Fetch errors are still HTTP 200 with a JSON body (8.2.2.0-3, 8.2.3.2-1)."""
    return json_response({"error-code": code, "error-text": text})


def _verdict(requirement: str, rule: str, verdict: str = "violation") -> dict[str, Any]:
    return {"verdict": verdict, "requirement": requirement, "rule": rule, "section": SECTION}


@bp.route("/fetch/<fetch_id>", methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"])
def fetch_by_path(fetch_id: str) -> Response:
    return _fetch(fetch_id)


@bp.route("/fetch", methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"])
def fetch_by_query() -> Response:
    return _fetch(request.args.get("id", ""))


def _fetch(fetch_id: str) -> Response:
    lms = current_lms()
    conn = lms.db.connection()
    session = store.session_by_fetch(conn, fetch_id) if fetch_id else None
    g.journal_mount = session.mount if session else lms.config.default_mount
    mount = get_mount(lms.db, g.journal_mount)
    g.quirks = set(lms.config.quirks) | set(mount.quirks if mount else ())
    wanted = "GET" if "fetch-get-only" in g.quirks else "POST"
    if request.method == "OPTIONS":
        return preflight(request.headers.get("Origin"), lms.config.cors_origins, (wanted,))
    if request.method != wanted:
        rule = f"the fetch URL must be called with {wanted}, not {request.method}"
        if wanted == "POST":
            g.verdicts.append(_verdict("8.2.1.0-2", rule))
        response = json_response(
            {"status": 405, "error": rule, "section": "cmi5 §8.2.1 (8.2.1.0-2)"}, 405
        )
        response.headers["Allow"] = f"{wanted}, OPTIONS"
        return response
    if session is None:
        g.verdicts.append(_verdict("8.2.3.2-1", "unknown fetch URL", "refused"))
        return _error("2", "unknown fetch URL: no launch issued it")
    if "fetch-application-error" in g.quirks:
        g.verdicts.append(_verdict("8.2.3.2-1", "quirk: application error", "refused"))
        return _error("3", "general application error (quirk fetch-application-error)")
    with lms.db.write() as wconn:
        fresh = store.get_session(wconn, session.id)
        if fresh is None:  # deleted since the lookup
            g.verdicts.append(_verdict("8.2.3.2-1", "unknown fetch URL", "refused"))
            return _error("2", "unknown fetch URL: no launch issued it")
        store.update_session(wconn, fresh.id, fetch_calls=fresh.fetch_calls + 1, last_us=now_us())
        if not fresh.open:
            g.verdicts.append(_verdict("8.2.1.0-6", f"fetch after the session was {fresh.state}"))
            return _error("1", f"the session of this fetch URL is {fresh.state}")
        if fresh.token_fetched and "reusable-fetch-token" not in g.quirks:
            g.verdicts.append(
                _verdict("8.2.3.0-1", "fetch called more than once; the AU SHOULD NOT")
            )
            code = "" if "fetch-empty-error-code" in g.quirks else "1"
            return _error(code, "the auth-token of this fetch URL was already handed out")
        if fresh.token_clear is None:
            # (handed out before the quirk reusable-fetch-token was set: only its digest is kept)
            g.verdicts.append(_verdict("8.2.3.2-1", "auth-token no longer kept", "refused"))
            return _error("3", "the auth-token of this fetch URL was handed out and not kept")
        # Once handed out the token only needs checking: the store keeps its digest alone,
        # unless the quirk reusable-fetch-token will hand it out again.
        kept = fresh.token_clear if "reusable-fetch-token" in g.quirks else None
        store.update_session(wconn, fresh.id, token_fetched=1, token_clear=kept)
    lms.token_issued(fresh.token_clear)
    g.verdicts.append(_verdict("8.2.1.0-3", "auth-token handed out", "accepted"))
    token = auth_token(fresh.token_clear)
    if "token-with-basic-prefix" in g.quirks:
        token = f"Basic {token}"
    return json_response({"auth-token": token})
