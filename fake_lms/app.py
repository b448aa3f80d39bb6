"""`create_app(config)`: a fresh fake LMS; many can live in one process."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from typing import Any, Final, Literal, cast

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from fake_lms import journal, quirks_layer
from fake_lms.config import LMSConfig
from fake_lms.cors import add_cors_headers, preflight
from fake_lms.db import Database, is_store_full
from fake_lms.lms import LMS, current_lms, json_response
from fake_lms.mount_cache import request_view
from fake_lms.mounts import Principal, ensure_mount, replace_start_credentials
from fake_lms.xapi import statement_store
from fake_lms.xapi.endpoint import response_version
from fake_lms.xapi.policy import Policy
from fake_lms.xapi.policy import register as register_policy
from fake_lms.xapi.protocol import XAPIError, consistent_through

log = logging.getLogger("fake_lms")
MAX_URL_BYTES = 8192  # path and query of a request; longer: 414 (docs/limits.md)
_MOUNT_PATH = re.compile(r"^/xapi/([^/]+)(?:/|$)")


CMI5: Final = "cmi5"  # `create_app`'s default policy: the cmi5 rules govern session tokens


def create_app(
    config: LMSConfig | None = None, *, policy: Policy | Literal["cmi5"] | None = CMI5
) -> Flask:
    """A fake cmi5 LMS; `policy=None` gives a plain xAPI LRS (API keys only, no cmi5 rules, no
    launches), another `Policy` other rules on the same LRS."""
    config = config or LMSConfig()
    app = Flask("fake_lms")
    # '//' is never merged by a redirect (a redirected POST loses its body); see DoubleSlash.
    app.url_map.merge_slashes = False
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    db = Database(config.db_path)
    for spec in config.mounts:
        ensure_mount(db, spec.name, spec.mode, config.mount_xapi_version(spec))
    # The keys of this start, and no others given to an earlier one, open the server.
    mount_keys = [(spec.name, spec.key) for spec in config.mounts if spec.key is not None]
    replace_start_credentials(db, config.api_keys, mount_keys)
    app.extensions["weare"] = LMS(config, db)

    from fake_lms.admin import bp as admin_bp
    from fake_lms.dashboard.views import bp as dashboard_bp
    from fake_lms.xapi.endpoint import xapi_blueprint

    app.register_blueprint(xapi_blueprint())
    app.register_blueprint(admin_bp)
    if policy == CMI5:
        _register_cmi5(app)
    else:
        register_policy(app, policy)
    app.register_blueprint(dashboard_bp)

    app.wsgi_app = DoubleSlash(app.wsgi_app)  # type: ignore[method-assign]
    # The quirks are one layer around the LRS: which are in force is known before any answer;
    # those that answer a request do so once it is journaled, before the LRS sees it.
    app.before_request(quirks_layer.resolve)
    app.before_request(_refuse_long_url)
    app.before_request(_start_exchange)
    app.before_request(quirks_layer.answer_early)
    quirks_layer.install(app)
    app.after_request(_finish_exchange)
    app.teardown_request(lambda _exc: db.release())
    app.register_error_handler(XAPIError, _xapi_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(sqlite3.Error, _store_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def _register_cmi5(app: Flask) -> None:
    """The cmi5 LMS on top of the LRS: its policy, launches, the fetch URL, and the redirect of
    `/content/` to the content origin."""
    from fake_lms.admin_cmi5 import bp as cmi5_admin_bp
    from fake_lms.cmi5.enforce import Cmi5Policy
    from fake_lms.cmi5.fetch import bp as fetch_bp
    from fake_lms.content import moved_bp

    register_policy(app, Cmi5Policy())
    app.register_blueprint(cmi5_admin_bp)
    app.register_blueprint(fetch_bp)
    app.register_blueprint(moved_bp)  # course files themselves: fake_lms/content.py


class DoubleSlash:
    """Serve '/xapi/M//statements' as '/xapi/M/statements', keeping the path the client sent.

    An AU that appends '/statements' to an endpoint ending in '/' is common (CATAPULT's test
    AUs do it); the LMS answers it, and the journal shows the original path with a warning.
    """

    _PATTERN = re.compile(r"^(/xapi/[^/]+/)/+(.*)$")

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        match = self._PATTERN.match(environ.get("PATH_INFO", ""))
        if match:
            environ["weare.sent_path"] = environ["PATH_INFO"]
            environ["PATH_INFO"] = match.group(1) + match.group(2)
        return self.wsgi_app(environ, start_response)


def _sent_path() -> str:
    return cast(str, request.environ.get("weare.sent_path", request.path))


def _refuse_long_url() -> None:
    env = request.environ
    length = len(env.get("PATH_INFO", "")) + len(env.get("QUERY_STRING", "")) + 1
    if length > MAX_URL_BYTES:
        raise XAPIError(
            414,
            f"the URL is {length} bytes long, more than the limit of {MAX_URL_BYTES}: send long"
            " parameters in the body (xAPI alternate request syntax)",
            "HTTP (RFC 9110 §15.5.15 414 URI Too Long); xAPI-C §1.3",
            "url",
        )


def _start_exchange() -> Response | None:
    g.started = time.perf_counter()
    g.verdicts = []
    if "weare.sent_path" in request.environ:
        g.verdicts.append(
            {
                "verdict": "warning",
                "rule": f"'//' in {_sent_path()!r}: 'statements' was appended to an endpoint that "
                "already ends with '/'",
                "section": "cmi5 8.1.1.0-3",
            }
        )
    match = _MOUNT_PATH.match(request.path)
    g.journal_mount = match.group(1) if match else None
    if g.journal_mount and request.method == "OPTIONS" and request.endpoint is None:
        # A preflight for a path Flask does not route still deserves a CORS answer.
        return preflight(request.headers.get("Origin"), current_lms().config.cors_origins)
    return None


def _finish_exchange(response: Response) -> Response:
    lms = current_lms()
    mount = g.get("journal_mount")
    if mount is None:
        return response
    if request.path.startswith("/xapi/"):
        response.headers["X-Experience-API-Version"] = response_version(mount)
        response.headers["X-Experience-API-Consistent-Through"] = consistent_through(
            statement_store.readable_through_us(lms.db)
        )
    add_cors_headers(response, request.headers.get("Origin"), lms.config.cors_origins)
    quirks_layer.after(response)
    # The xAPI endpoint resolved the mount already; other paths under /xapi/ look it up.
    if g.get("mount_mode") is not None or request_view(lms.db).mount(mount) is not None:
        try:
            request_body = request.get_data(cache=True)
        except HTTPException:
            request_body = b"[body refused: too large]"
        response_body = b"" if response.is_streamed else response.get_data()
        try:
            _journal(mount, request_body, response, response_body)
        except journal.JournalClosed:  # a request that outlived the server's shutdown
            log.warning(
                "journal closed: %s on mount %s answered %d and is not journaled",
                request.method,
                mount,
                response.status_code,
            )
    return response


def _journal(mount: str, request_body: bytes, response: Response, response_body: bytes) -> None:
    lms = current_lms()
    journal.record(
        lms.journal,
        mount=mount,
        method=request.method,
        path=_sent_path(),
        query=request.query_string.decode("latin-1"),
        request_headers=request.headers.items(),
        request_body=request_body,
        status=response.status_code,
        response_headers=response.headers.items(),
        response_body=response_body,
        verdicts=g.get("verdicts", []),
        duration_ms=(time.perf_counter() - g.get("started", time.perf_counter())) * 1000,
        body_limit=lms.config.journal_body_limit,
        secrets=lms.secrets(),
        principal=_principal_label(g.get("principal")),
    )


def _principal_label(principal: Principal | None) -> str:
    """Which credential a request used, without the secret: for the journal and its readers."""
    if principal is None:
        return ""
    if principal.kind == "token":
        return f"token:{principal.session}"
    return f"{principal.kind}:{principal.username}"


VERDICT_BY_STATUS = {400: "rejected", 401: "refused", 403: "refused", 404: "not found"}


def _xapi_error(exc: XAPIError) -> Response:
    """Answer a refusal; journal it once (handlers that judged statements already did)."""
    verdicts = g.setdefault("verdicts", [])
    if not any(v.get("verdict") in ("refused", "rejected") for v in verdicts):
        verdicts.append(
            {
                "verdict": VERDICT_BY_STATUS.get(exc.status, "error"),
                "status": exc.status,
                "violations": exc.violations,
            }
        )
    return json_response(quirks_layer.error_body(exc), exc.status, exc.headers)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    body = {"status": status, "error": exc.description or exc.name, "section": "HTTP"}
    if status == 413:
        body["section"] = "xAPI-C §3.2 (413 Request Entity Too Large)"
    response = json_response(body, status)
    allowed = getattr(exc, "valid_methods", None)
    if status == 405 and allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def _store_error(exc: sqlite3.Error) -> Response:
    """A full store (disk or page limit) answers 507 with the cause; reads keep working."""
    if not is_store_full(exc):
        return _unexpected_error(exc)
    log.error("store full while serving %s %s: %s", request.method, request.path, exc)
    body = {
        "status": 507,
        "error": f"the store is full: {exc}; retry when space is freed",
        "section": "HTTP (RFC 4918 §11.5 507 Insufficient Storage)",
    }
    return json_response(body, 507, {"Retry-After": "10"})


def _unexpected_error(exc: Exception) -> Response:
    log.exception("unexpected error while serving %s %s", request.method, request.path)
    return json_response(
        {"status": 500, "error": f"internal error: {type(exc).__name__}", "section": "HTTP"}, 500
    )
