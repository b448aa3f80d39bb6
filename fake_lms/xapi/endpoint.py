"""The xAPI base endpoint of every mount: `/xapi/<mount>/`, with the checks every resource shares."""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from fake_lms.auth import authenticate, parse_basic
from fake_lms.cors import preflight
from fake_lms.lms import current_lms
from fake_lms.mount_cache import request_view
from fake_lms.xapi.policy import current_policy
from fake_lms.xapi.protocol import XAPIError, build_xrequest, request_version
from fake_lms.xapi.verdict import act_on

bp = Blueprint("xapi", __name__, url_prefix="/xapi/<mount>")

# Resources reachable without credentials or version header (xAPI-C §2.8: About).
OPEN_ENDPOINTS = {"xapi.resources.about"}
# Methods each read-mostly resource answers; anything else is a 405, told before credentials
# are checked, as a method the specification does not define is refused for anyone (§3.2).
ALLOWED_METHODS = {
    "xapi.statements.statements": ("GET", "HEAD", "POST", "PUT"),
    "xapi.resources.agents": ("GET", "HEAD"),
    "xapi.resources.activities": ("GET", "HEAD"),
}
_DOCUMENT_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE")
RESOURCE_METHODS = {  # what OPTIONS lists in Allow, per resource
    **ALLOWED_METHODS,
    "xapi.resources.about": ("GET", "HEAD"),
    "xapi.documents.state": _DOCUMENT_METHODS,
    "xapi.documents.agent_profile": _DOCUMENT_METHODS,
    "xapi.documents.activity_profile": _DOCUMENT_METHODS,
}


_assembled = False
_assembly_lock = threading.Lock()


def xapi_blueprint() -> Blueprint:
    """The endpoint blueprint with its resources; nested once, then shared by every app."""
    global _assembled
    with _assembly_lock:
        if _assembled:
            return bp
        from fake_lms.xapi.documents import bp as documents_bp
        from fake_lms.xapi.resources import bp as resources_bp
        from fake_lms.xapi.statements import bp as statements_bp

        for child in (statements_bp, documents_bp, resources_bp):
            bp.register_blueprint(child)
        _assembled = True
    return bp


def response_version(mount_name: str | None) -> str:
    """The X-Experience-API-Version a response under /xapi/ carries: the version the request
    was served in, else the version the mount answers as (`g.xapi_version`, which a layer
    around the LRS may set before it), else its own, else the server's (xAPI-C §3.3
    XAPI-00333: every response carries it; a 2.0.0 LRS sets it to 2.0.0)."""
    xreq = g.get("xreq")
    if xreq is not None:
        return str(xreq.version)
    if g.get("xapi_version"):
        return str(g.xapi_version)
    lms = current_lms()
    mount = request_view(lms.db).mount(mount_name) if mount_name else None
    return lms.config.xapi_version if mount is None else mount.xapi_version


@bp.url_value_preprocessor
def _pull_mount(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.mount = values.pop("mount") if values else None


@bp.before_request
def _prepare() -> Response | None:
    lms = current_lms()
    registry = request_view(lms.db)
    mount = registry.mount(g.mount)
    if mount is None:
        raise XAPIError(404, f"no LRS mount named {g.mount!r}", "weare-harness mounts", "path")
    g.mount_mode = mount.mode
    g.xapi_version = g.get("xapi_version") or mount.xapi_version  # (see `response_version`)
    if request.method == "OPTIONS":
        methods = RESOURCE_METHODS.get(request.endpoint or "")
        return preflight(request.headers.get("Origin"), lms.config.cors_origins, methods)
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise XAPIError(
            413,
            f"request body larger than {lms.config.max_body_bytes} bytes",
            "xAPI-C §3.2 (413 Request Entity Too Large)",
            "body",
        ) from exc
    xreq = build_xrequest(request, body)
    xreq.version = g.xapi_version  # what a refusal before negotiation answers in
    g.xreq = xreq
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    xreq.version = request_version(xreq, g.xapi_version)
    if xreq.alternate and xreq.version == "2.0.0":
        raise XAPIError(
            400, "xAPI 2.0.0 removed the alternate request syntax", "xAPI 2.0 (rules doc §5.8)"
        )
    resource = request.endpoint or ""
    allowed = ALLOWED_METHODS.get(resource)
    if allowed is not None and xreq.method not in allowed:
        raise XAPIError(
            405,
            f"{xreq.method} is not allowed on {resource.rsplit('.', 1)[-1]}",
            "xAPI-C §3.2 (405 Method Not Allowed)",
            "method",
            headers={"Allow": ", ".join(allowed)},
        )
    policy = current_policy()
    resolve_token = None if policy is None else policy.resolve_token
    g.principal = authenticate(
        lms.db, xreq.header("Authorization"), mount.name, resolve_token, registry.principal
    )
    if g.principal.kind == "api-key":
        lms.key_secret_seen(parse_basic(xreq.header("Authorization"))[1])
    if policy is not None:
        act_on(policy.judge_request(lms.db.connection(), g.principal, mount.mode))
    return None
