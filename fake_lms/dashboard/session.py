"""The dashboard's login: the API key is asked once per browser session, not per tab.

`POST /api/session` (with the server-wide API key) answers a session cookie: no Expires or
Max-Age (the browser drops it when it closes), HttpOnly, SameSite=Strict, Path=/. The cookie holds
an opaque random id; the server keeps the ids in memory (a restart logs everyone out), never the
key. The cookie is a credential only for the browser's own same-origin requests: with
`Sec-Fetch-Site` it must say `same-origin`; without it (an old browser, or plain http away from
loopback, where browsers leave it out) a request carrying an `Origin` must carry this server's,
SameSite=Strict guards reads without one and a state-changing request must carry one. Otherwise
the cookie is ignored and the API key is required. The course content's origin (same host,
another port: same-site, so the browser sends the cookie along) is such another origin: a
course never acts with the dashboard's session (fake_lms/content.py).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from typing import cast

from flask import Request, Response, current_app

COOKIE = "weare_harness_session"
IDLE_S = 12 * 3600  # a session unused this long is forgotten
LIMIT = 256  # sessions kept at most; the least recently used goes first
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_EXTENSION = "weare_dashboard_sessions"
# The login's 401 challenge: a scheme no browser answers with its own password dialog.
CHALLENGE = 'WeareHarnessKey realm="weare-harness dashboard"'


class Sessions:
    """Session id -> (API key user, last use), in memory and thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._by_id: dict[str, tuple[str, float]] = {}

    def open(self, user: str) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            if len(self._by_id) >= LIMIT:
                oldest = min(self._by_id, key=lambda k: self._by_id[k][1])
                del self._by_id[oldest]
            self._by_id[sid] = (user, self._clock())
        return sid

    def user(self, sid: str) -> str | None:
        """The session's user (its last use refreshed), or None when unknown or idle too long."""
        now = self._clock()
        with self._lock:
            found = self._by_id.get(sid)
            if found is None:
                return None
            if now - found[1] > IDLE_S:
                del self._by_id[sid]
                return None
            self._by_id[sid] = (found[0], now)
            return found[0]

    def close(self, sid: str) -> None:
        with self._lock:
            self._by_id.pop(sid, None)


def sessions() -> Sessions:
    """This app's sessions (created on first use; dict.setdefault is atomic)."""
    return cast(Sessions, current_app.extensions.setdefault(_EXTENSION, Sessions()))


def _own_origin(request: Request) -> str:
    return request.host_url.rstrip("/")


def cookie_counts(request: Request) -> bool:
    """Whether the session cookie may stand for the API key on this request (see the module)."""
    if COOKIE not in request.cookies:
        return False
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    if origin is not None:  # the course content's origin, another site's, or "null"
        return origin == _own_origin(request)
    return request.method in SAFE_METHODS


def another_origin(request: Request) -> str | None:
    """The header that says a page of another origin made this request (a course on the content
    origin, another site), or None: the dashboard's own request, a typed URL, a non-browser
    client. `Sec-Fetch-Site` decides when sent; else an `Origin` other than this server's."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return None if site in ("same-origin", "none") else f"Sec-Fetch-Site: {site}"
    origin = request.headers.get("Origin")
    if origin is not None and origin != _own_origin(request):
        return f"Origin: {origin}"
    return None


def session_user(request: Request) -> str | None:
    """The user of the request's session cookie, or None (no cookie, not usable here, unknown)."""
    if not cookie_counts(request):
        return None
    return sessions().user(request.cookies[COOKIE])


def forget(request: Request) -> None:
    """Logout: forget the session the request presents, whatever its Sec-Fetch-Site or Origin.

    Unlike `cookie_counts`, no check of where the request comes from: ending a session grants
    nothing, and a logout that only cleared the cookie would leave the session valid for whoever
    holds a copy of it."""
    sid = request.cookies.get(COOKIE)
    if sid:
        sessions().close(sid)


def set_cookie(response: Response, request: Request, sid: str) -> None:
    response.set_cookie(
        COOKIE,
        sid,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
    )


def clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="Strict", secure=request.is_secure
    )
