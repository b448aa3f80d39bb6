"""The single-use fetch URL (cmi5 §8.2): POST once for the session's auth-token, errors after.

How the URL hands out a token is its `FetchTerms`: cmi5's by default; an app may register others
per mount (`register_terms`), e.g. to emulate an LMS that answers GET or hands a token out again.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request

from fake_lms.cmi5 import store
from fake_lms.cors import preflight
from fake_lms.db import now_us
from fake_lms.lms import current_lms, json_response

bp = Blueprint("fetch", __name__)
SECTION = "cmi5 §8.2"
TERMS_EXTENSION = "weare.fetch_terms"
REPEATED = "8.2.3.0-1"  # the requirement a second fetch breaks: the AU SHOULD NOT


@dataclass(frozen=True)
class FetchTerms:
    """The method the fetch URL answers (cmi5: POST, 8.2.1.0-2) and whether its token is handed
    out once (cmi5 8.2.3.0-1) or kept and handed out on every call."""

    method: str = "POST"
    once: bool = True


CMI5_TERMS = FetchTerms()


def register_terms(app: Flask, terms_for: Callable[[str], FetchTerms]) -> None:
    """Make `terms_for(mount name)` decide the terms of each fetch of `app`."""
    app.extensions[TERMS_EXTENSION] = terms_for


def _terms(mount: str) -> FetchTerms:
    terms_for = current_app.extensions.get(TERMS_EXTENSION)
    return CMI5_TERMS if terms_for is None else terms_for(mount)


def auth_token(token: str) -> str:
    """A complete Basic credential, as CATAPULT hands out: base64 of ':' + token (rules doc §2.2)."""
    return base64.b64encode(f":{token}".encode()).decode()


def error(code: str, text: str) -> Response:
    """Fetch errors are still HTTP 200 with a JSON body (8.2.2.0-3, 8.2.3.2-1)."""
    return json_response({"error-code": code, "error-text": text})


def verdict(requirement: str, rule: str, kind: str = "violation") -> dict[str, Any]:
    """A journal verdict on a fetch."""
    return {"verdict": kind, "requirement": requirement, "rule": rule, "section": SECTION}


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
    terms = _terms(g.journal_mount)
    wanted = terms.method
    if request.method == "OPTIONS":
        return preflight(request.headers.get("Origin"), lms.config.cors_origins, (wanted,))
    if request.method != wanted:
        rule = f"the fetch URL must be called with {wanted}, not {request.method}"
        if wanted == "POST":
            g.verdicts.append(verdict("8.2.1.0-2", rule))
        response = json_response(
            {"status": 405, "error": rule, "section": "cmi5 §8.2.1 (8.2.1.0-2)"}, 405
        )
        response.headers["Allow"] = f"{wanted}, OPTIONS"
        return response
    if session is None:
        g.verdicts.append(verdict("8.2.3.2-1", "unknown fetch URL", "refused"))
        return error("2", "unknown fetch URL: no launch issued it")
    with lms.db.write() as wconn:
        fresh = store.get_session(wconn, session.id)
        if fresh is None:  # deleted since the lookup
            g.verdicts.append(verdict("8.2.3.2-1", "unknown fetch URL", "refused"))
            return error("2", "unknown fetch URL: no launch issued it")
        store.update_session(wconn, fresh.id, fetch_calls=fresh.fetch_calls + 1, last_us=now_us())
        if not fresh.open:
            g.verdicts.append(verdict("8.2.1.0-6", f"fetch after the session was {fresh.state}"))
            return error("1", f"the session of this fetch URL is {fresh.state}")
        if fresh.token_fetched and terms.once:
            g.verdicts.append(verdict(REPEATED, "fetch called more than once; the AU SHOULD NOT"))
            return error("1", "the auth-token of this fetch URL was already handed out")
        if fresh.token_clear is None:
            # (handed out under terms that did not keep it: only its digest is kept)
            g.verdicts.append(verdict("8.2.3.2-1", "auth-token no longer kept", "refused"))
            return error("3", "the auth-token of this fetch URL was handed out and not kept")
        # Once handed out the token only needs checking: the store keeps its digest alone,
        # unless the terms hand it out again.
        kept = None if terms.once else fresh.token_clear
        store.update_session(wconn, fresh.id, token_fetched=1, token_clear=kept)
    lms.token_issued(fresh.token_clear)
    g.verdicts.append(verdict("8.2.1.0-3", "auth-token handed out", "accepted"))
    return json_response({"auth-token": auth_token(fresh.token_clear)})
