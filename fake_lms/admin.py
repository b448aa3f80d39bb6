"""The admin API under `/api/`: mounts, journals and launches, for the CLI, the runner and tests."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from fake_lms import journal
from fake_lms.auth import authenticate
from fake_lms.config import ApiKey, ConfigError
from fake_lms.lms import current_lms, json_response
from fake_lms.mounts import (
    Mount,
    add_credential,
    ensure_mount,
    get_mount,
    list_mounts,
    set_mode,
    set_quirks,
)
from fake_lms.quirks import QuirkError, check_names
from fake_lms.xapi import statement_store
from fake_lms.xapi.protocol import XAPIError

bp = Blueprint("admin", __name__, url_prefix="/api")
SECTION = "weare-harness admin API"
PAGE_DEFAULT = 500  # journal entries or statements per page unless `limit` says otherwise
PAGE_MAX = 5000
OPEN_ENDPOINTS = ("admin.health", "admin.openapi")  # no API key needed


def require_api_key() -> None:
    """Admin routes need a server-wide API key (not a mount key, never an auth-token)."""
    if request.endpoint in OPEN_ENDPOINTS:
        return
    principal = authenticate(current_lms().db, request.headers.get("Authorization"), "")
    if principal.kind != "api-key" or principal.mount is not None:
        raise XAPIError(403, "the admin API needs a server-wide API key", SECTION)


bp.before_request(require_api_key)


def json_body() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise XAPIError(400, f"request body is not JSON: {exc}", SECTION, "body") from exc
    if not isinstance(body, dict):
        raise XAPIError(400, "request body must be a JSON object", SECTION, "body")
    return body


def endpoint_url(mount: str) -> str:
    return f"{request.host_url.rstrip('/')}/xapi/{mount}/"


def mount_or_404(name: str) -> Mount:
    mount = get_mount(current_lms().db, name)
    if mount is None:
        raise XAPIError(404, f"no LRS mount named {name!r}", SECTION, "path")
    return mount


def _quirk_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QuirkError("quirks must be a list of quirk names")
    return value


def _describe(mount: Mount) -> dict[str, Any]:
    return {
        "name": mount.name,
        "mode": mount.mode,
        "quirks": list(mount.quirks),
        "endpoint": endpoint_url(mount.name),
        "statements": statement_store.count(current_lms().db, mount.name),
    }


@bp.get("/health")
def health() -> Response:
    return json_response({"status": "ok", "default_mount": current_lms().config.default_mount})


@bp.get("/openapi.json")
def openapi() -> Response:
    """This API described in OpenAPI 3.1 (fake_lms/data/openapi.json with the Statement schema)."""
    from fake_lms.openapi import document

    return json_response(document())


@bp.get("/mounts")
def mounts() -> Response:
    return json_response([_describe(m) for m in list_mounts(current_lms().db)])


@bp.post("/mounts")
def create_mount() -> Response:
    body = json_body()
    lms = current_lms()
    try:
        mount = ensure_mount(lms.db, str(body.get("name", "")), str(body.get("mode", "enforce")))
        if body.get("quirks"):
            set_quirks(lms.db, mount.name, check_names(_quirk_list(body["quirks"])))
        for other in body.get("also_opens", []):
            mount_or_404(str(other))
        if "username" in body or "secret" in body:
            key = ApiKey.parse(
                f"{body.get('username', '')}:{body.get('secret', '')}", what="username/secret"
            )
            add_credential(lms.db, key, mount=mount.name)
            for other in body.get("also_opens", []):
                add_credential(lms.db, key, mount=str(other))
            lms.forget_secrets()
    except (ConfigError, QuirkError) as exc:
        raise XAPIError(400, str(exc), SECTION, "body") from exc
    return json_response(_describe(mount_or_404(mount.name)), 201)


@bp.patch("/mounts/<name>")
def update_mount(name: str) -> Response:
    mount_or_404(name)
    body = json_body()
    try:
        if "mode" in body:
            set_mode(current_lms().db, name, str(body["mode"]))
        if "quirks" in body:
            set_quirks(current_lms().db, name, check_names(_quirk_list(body["quirks"])))
    except (ConfigError, QuirkError) as exc:
        raise XAPIError(400, str(exc), SECTION, "body") from exc
    return json_response(_describe(mount_or_404(name)))


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, str(default))
    if not raw.isdigit():
        raise XAPIError(
            400,
            f"{name} must be a non-negative integer, got {raw[:20]!r}",
            SECTION,
            f"query:{name}",
        )
    return int(raw)


def _page(seqs: list[int], after: int, limit: int) -> dict[str, Any]:
    """Whether more remain after this page (`limit + 1` were read) and the next cursor."""
    shown = seqs[:limit]
    return {"more": len(seqs) > limit, "next_after": shown[-1] if shown else after}


def _paging() -> tuple[int, int]:
    """`after` (a sequence number, exclusive) and `limit` from the query, limit 1..5000."""
    limit = _int_arg("limit", PAGE_DEFAULT)
    if not 1 <= limit <= PAGE_MAX:
        raise XAPIError(400, f"limit must be 1..{PAGE_MAX}, got {limit}", SECTION, "query:limit")
    return _int_arg("after", 0), limit


@bp.get("/mounts/<name>/journal")
def read_journal(name: str) -> Response:
    """A page of a mount's journal: `entries`, `more` and `next_after` to pass as `after`."""
    mount_or_404(name)
    after, limit = _paging()
    current_lms().journal.flush()
    entries = journal.read(current_lms().db, name, after=after, limit=limit + 1)
    page = _page([e["seq"] for e in entries], after, limit)
    return json_response({"mount": name, "entries": entries[:limit], **page})


@bp.delete("/mounts/<name>/journal")
def reset_journal(name: str) -> Response:
    mount_or_404(name)
    current_lms().journal.flush()
    return json_response({"mount": name, "deleted": journal.reset(current_lms().db, name)})


@bp.get("/mounts/<name>/statements")
def all_statements(name: str) -> Response:
    """A page of everything a mount stores, in storage order, paged like the journal."""
    mount_or_404(name)
    after, limit = _paging()
    rows = (
        current_lms()
        .db.connection()
        .execute(
            "SELECT seq, statement FROM statements WHERE mount = ? AND seq > ? ORDER BY seq"
            " LIMIT ?",
            (name, after, limit + 1),
        )
        .fetchall()
    )
    page = _page([r[0] for r in rows], after, limit)
    statements = [json.loads(r[1]) for r in rows[:limit]]
    return json_response({"mount": name, "statements": statements, **page})
