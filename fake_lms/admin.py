"""The admin API under `/api/`: mounts, journals and launches, for the CLI, the runner and tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, request, stream_with_context

from fake_lms import journal
from fake_lms.auth import authenticate
from fake_lms.config import ApiKey, ConfigError, check_mount_name, check_xapi_version
from fake_lms.dashboard import session as dashboard_session
from fake_lms.lms import current_lms, json_response
from fake_lms.mounts import (
    ADMIN,
    START,
    Mount,
    UnknownMount,
    add_mount,
    change_mount,
    delete_credentials,
    generate_credential,
    get_mount,
    list_mounts,
    mount_credentials,
)
from fake_lms.openapi import allows, body_field_enums, body_field_types, json_type
from fake_lms.public_url import lms_base
from fake_lms.quirks import QuirkError, check_names, check_xapi_version_agrees, xapi_version
from fake_lms.xapi import statement_store
from fake_lms.xapi.jsonbody import JSONBodyError, parse_json
from fake_lms.xapi.protocol import XAPIError, int_param

bp = Blueprint("admin", __name__, url_prefix="/api")
SECTION = "weare-harness admin API"
PAGE_DEFAULT = 500  # journal entries or statements per page unless `limit` says otherwise
PAGE_MAX = 5000
STORY_CONFIG = "WEARE_STORY"  # app.config: the hosted story's URLs, set by `serve` on start
# No API key needed: liveness, this API's description, and the dashboard's session probe/logout.
OPEN_ENDPOINTS = (
    "admin.health",
    "admin.openapi",
    "admin.current_session",
    "admin.login",  # checks the key itself
    "admin.logout",
)


def require_api_key() -> None:
    """Admin routes need a server-wide API key (not a mount key, never an auth-token), or the
    dashboard's session cookie on the browser's own same-origin requests (dashboard/session.py).

    A request a page of another origin made (an imported course on the content origin, another
    site) is refused whatever it carries, with no Basic challenge: the page cannot ride on the
    dashboard's session nor on Basic credentials the browser keeps, nor raise a password dialog
    for this server."""
    if request.endpoint in OPEN_ENDPOINTS:
        return
    elsewhere = dashboard_session.another_origin(request)
    if elsewhere is not None:
        raise XAPIError(
            403,
            f"the admin API takes no request made by a page of another origin ({elsewhere}): "
            "use the dashboard, or the API key from outside a browser",
            SECTION,
            f"header:{elsewhere.split(':')[0]}",
        )
    if "Authorization" not in request.headers and dashboard_session.cookie_counts(request):
        if dashboard_session.session_user(request) is not None:
            return
        raise XAPIError(
            401,
            "the dashboard session is unknown or has expired (the server restarted?): "
            "enter the API key again",
            SECTION,
            f"cookie:{dashboard_session.COOKIE}",
            headers={"WWW-Authenticate": dashboard_session.CHALLENGE},
        )
    server_wide_user(request.headers.get("Authorization"))


def server_wide_user(header: str | None) -> str:
    """The user of a server-wide API key in `header`; 401 or 403 otherwise."""
    principal = authenticate(current_lms().db, header, "")
    if principal.kind != "api-key" or principal.mount is not None:
        raise XAPIError(403, "the admin API needs a server-wide API key", SECTION)
    return principal.username


bp.before_request(require_api_key)


def json_body() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        body = parse_json(raw)
    except JSONBodyError as exc:
        raise XAPIError(
            400, f"request body is not usable JSON: {exc.rule}", f"{SECTION}; {exc.section}", "body"
        ) from exc
    if not isinstance(body, dict):
        raise XAPIError(400, "request body must be a JSON object", SECTION, "body")
    check_field_types(body)
    return body


def check_field_types(body: dict[str, Any]) -> None:
    """Each field of the body has a JSON type the API description (/api/openapi.json) allows
    for this operation; 400 naming the first field that does not."""
    rule = request.url_rule
    if rule is None:
        return
    enums = body_field_enums(request.method, rule.rule)
    for name, types in body_field_types(request.method, rule.rule).items():
        if name in body and not allows(types, body[name]):
            said = f"{name} must be {' or '.join(sorted(types))}, got {json_type(body[name])}"
            if name in enums:
                said += f": {body[name]!r} is not one of {', '.join(map(str, enums[name]))}"
            raise XAPIError(400, said, SECTION, f"body.{name}")


def endpoint_url(mount: str) -> str:
    return f"{lms_base()}/xapi/{mount}/"


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
    server_quirks = current_lms().config.quirks
    in_force = [*server_quirks, *(q for q in mount.quirks if q not in server_quirks)]
    return {
        "name": mount.name,
        "mode": mount.mode,
        # the version it answers as: its own, or 2.0.0 when the xapi-2-only quirk is in force
        "xapi_version": xapi_version(mount.xapi_version, {*server_quirks, *mount.quirks}),
        "quirks": in_force,
        "mount_quirks": list(mount.quirks),
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


@bp.get("/story")
def story() -> Response:
    """The reference We Are story `serve` hosts on its own origin, registered as an AU."""
    info = current_app.config.get(STORY_CONFIG)
    if not info:
        raise XAPIError(
            404,
            "this server hosts no reference story: `serve` was started with --no-story, or the "
            "app was created without one",
            SECTION,
            "path",
        )
    return json_response(info)


@bp.get("/session")
def current_session() -> Response:
    """Whether this browser has a dashboard session: `{"user": NAME}` or `{"user": null}`."""
    response = json_response({"user": dashboard_session.session_user(request)})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/session")
def login() -> Response:
    """The dashboard's login: the server-wide API key (Authorization: Basic) buys a session
    cookie."""
    site = request.headers.get("Sec-Fetch-Site")
    if site not in (None, "same-origin", "none"):
        raise XAPIError(
            403, f"a login from another site is refused (Sec-Fetch-Site: {site})", SECTION
        )
    try:
        user = server_wide_user(request.headers.get("Authorization"))
    except XAPIError as exc:
        # A Basic challenge would make the browser open its own password dialog over the page.
        if exc.status == 401:
            exc.headers = {"WWW-Authenticate": dashboard_session.CHALLENGE}
        raise
    response = json_response({"user": user})
    dashboard_session.set_cookie(response, request, dashboard_session.sessions().open(user))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/session")
def logout() -> Response:
    """Ends the dashboard session: forgets its id and clears the cookie (idempotent)."""
    dashboard_session.forget(request)
    response = Response(status=204)
    dashboard_session.clear_cookie(response, request)
    return response


@bp.get("/mounts")
def mounts() -> Response:
    return json_response([_describe(m) for m in list_mounts(current_lms().db)])


def _also_opens(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"also_opens must be a list of mount names, got {value!r:.80}")
    return tuple(value)


def _xapi_version(body: dict[str, Any], quirks: list[str] | None, where: str) -> str | None:
    """The body's `xapi_version`, checked, and checked against the xapi-2-only quirk that the
    mount will have (`quirks`) or the server has."""
    if "xapi_version" not in body:
        return None
    version = check_xapi_version(body["xapi_version"])
    check_xapi_version_agrees(version, {*current_lms().config.quirks, *(quirks or ())}, where)
    return version


@bp.post("/mounts")
def create_mount() -> Response:
    """Create a mount; the whole body is checked before anything is stored."""
    body = json_body()
    lms = current_lms()
    try:
        quirks = check_names(_quirk_list(body["quirks"])) if body.get("quirks") else None
        version = _xapi_version(body, quirks, "body") or lms.config.xapi_version
        also_opens = _also_opens(body.get("also_opens", []))
        key = None
        if "username" in body:
            _check_username(body["username"])
        if "username" in body or "secret" in body:
            key = ApiKey.parse(
                f"{body.get('username', '')}:{body.get('secret', '')}", what="username/secret"
            )
        mount = add_mount(
            lms.db,
            str(body.get("name", "")),
            str(body.get("mode", "enforce")),
            quirks=quirks,
            key=key,
            also_opens=also_opens,
            xapi_version=version,
        )
    except (ConfigError, QuirkError) as exc:
        raise XAPIError(400, str(exc), SECTION, "body") from exc
    except UnknownMount as exc:
        raise XAPIError(404, str(exc), SECTION, "body.also_opens") from exc
    if key is not None:
        lms.key_secret_seen(key.secret)
    return json_response(_describe(mount), 201)


ORIGINS = {START: "command line", ADMIN: "admin API"}


@bp.get("/mounts/<name>/credentials")
def mount_credentials_list(name: str) -> Response:
    """The API keys that open a mount: user name, server-wide or not, and where each was made
    (never a secret: the store keeps their salted hashes only)."""
    mount_or_404(name)
    keys = [
        {"username": user, "server_wide": wide, "origin": ORIGINS.get(origin, origin)}
        for user, wide, origin in mount_credentials(current_lms().db, name)
    ]
    return json_response({"mount": name, "credentials": keys})


def _check_username(username: Any) -> str:
    """A key's user name: a non-empty string without ':' (Basic credentials split at the first
    ':', so such a name could never authenticate); 400 at body.username otherwise."""
    if not isinstance(username, str) or not username or ":" in username:
        raise XAPIError(
            400,
            f"username must be a non-empty string without ':' (Basic credentials split at the "
            f"first ':'), got {username!r:.80}",
            SECTION,
            "body.username",
        )
    return username


@bp.post("/mounts/<name>/credentials")
def generate_mount_credentials(name: str) -> Response:
    """A new API key for `username` that opens this mount and those in `also_opens`: its secret
    is generated by the server and in this answer only (the store keeps a hash of it)."""
    mount_or_404(name)
    body = json_body()
    username = _check_username(body.get("username"))
    try:
        also_opens = _also_opens(body.get("also_opens", []))
        for other in also_opens:
            check_mount_name(other)
        secret = generate_credential(current_lms().db, name, username, also_opens)
    except ConfigError as exc:
        raise XAPIError(400, str(exc), SECTION, "body.also_opens") from exc
    except UnknownMount as exc:
        raise XAPIError(404, str(exc), SECTION, "body.also_opens") from exc
    current_lms().key_secret_seen(secret)
    described = {"mount": name, "username": username, "secret": secret, "also_opens": also_opens}
    return json_response(described, 201)


@bp.delete("/mounts/<name>/credentials/<username>")
def delete_mount_credentials(name: str, username: str) -> Response:
    """Revoke the keys of `username` that the admin API made for this mount."""
    mount_or_404(name)
    deleted, kept = delete_credentials(current_lms().db, name, username)
    if deleted:
        return json_response({"mount": name, "username": username, "deleted": deleted})
    if kept:
        raise XAPIError(
            409,
            f"the key of user {username!r} on mount {name!r} was given to `serve` (--api-key or "
            "--mount), not made through this API: start the server without it to revoke it",
            SECTION,
            "path:username",
        )
    raise XAPIError(
        404,
        f"no key made through this API for user {username!r} opens mount {name!r}",
        SECTION,
        "path:username",
    )


@bp.patch("/mounts/<name>")
def update_mount(name: str) -> Response:
    mount = mount_or_404(name)
    body = json_body()
    try:
        quirks = check_names(_quirk_list(body["quirks"])) if "quirks" in body else None
        mode = str(body["mode"]) if "mode" in body else None
        version = _xapi_version(body, list(mount.quirks) if quirks is None else quirks, "body")
        change_mount(current_lms().db, name, mode=mode, quirks=quirks, xapi_version=version)
    except (ConfigError, QuirkError) as exc:
        raise XAPIError(400, str(exc), SECTION, "body") from exc
    return json_response(_describe(mount_or_404(name)))


def _int_arg(name: str, default: int) -> int:
    return int_param(request.args.get(name, str(default)), name, SECTION)


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


def flush_journal() -> None:
    """Wait for pending journal entries; 503 with the reason when the journal cannot be written."""
    try:
        current_lms().journal.flush()
    except journal.JournalUnavailable as exc:
        raise XAPIError(503, str(exc), SECTION, headers={"Retry-After": "1"}) from exc


@bp.get("/mounts/<name>/journal")
def read_journal(name: str) -> Response:
    """A page of a mount's journal: `entries`, `more` and `next_after` to pass as `after`."""
    mount_or_404(name)
    after, limit = _paging()
    flush_journal()
    entries = journal.read(current_lms().db, name, after=after, limit=limit + 1)
    page = _page([e["seq"] for e in entries], after, limit)
    return json_response({"mount": name, "entries": entries[:limit], **page})


def journal_entries(name: str, last: int) -> Iterator[dict[str, Any]]:
    """A mount's journal entries in arrival order up to sequence number `last`, page by page."""
    db = current_lms().db
    after = 0
    while after < last:  # bounded: every page moves `after` on, and it stops at `last`
        entries = journal.read(db, name, after=after, limit=PAGE_MAX)
        for entry in entries:
            if entry["seq"] > last:
                return
            yield entry
        if not entries:
            return
        after = entries[-1]["seq"]


def ndjson(entries: Iterator[dict[str, Any]], filename: str) -> Response:
    """Journal entries streamed as an NDJSON download, one entry per line."""
    lines = (json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in entries)
    return Response(
        stream_with_context(lines),
        content_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/mounts/<name>/journal.ndjson")
def export_journal(name: str) -> Response:
    """The whole journal of a mount as NDJSON (one entry per line, redacted as it is stored),
    streamed page by page up to the last entry present when the request came in."""
    mount_or_404(name)
    flush_journal()
    last = journal.last_seq(current_lms().db, name)
    return ndjson(journal_entries(name, last), f"journal-{name}.ndjson")


@bp.delete("/mounts/<name>/journal")
def reset_journal(name: str) -> Response:
    mount_or_404(name)
    flush_journal()
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
            "SELECT seq, statement FROM statements WHERE mount = ? AND seq > ?"
            f" AND {statement_store.visible('seq')} ORDER BY seq LIMIT ?",
            (name, after, limit + 1),
        )
        .fetchall()
    )
    page = _page([r[0] for r in rows], after, limit)
    statements = [statement_store.load(r[1]) for r in rows[:limit]]
    return json_response({"mount": name, "statements": statements, **page})
