"""The Statement Resource (xAPI-C §2.1): PUT, POST, GET (single, voided, filtered, paged), HEAD."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, get_type_hints

from flask import Blueprint, Response, g, request

from fake_lms.db import now_us
from fake_lms.lms import current_lms, json_response
from fake_lms.public_url import lms_base
from fake_lms.xapi import staged_batch, statement_store
from fake_lms.xapi.jsonbody import JSONBodyError, JSONTooDeep, parse_json
from fake_lms.xapi.limits import LIMITS_SECTION, MAX_BATCH_STATEMENTS, MAX_REPORTED_VIOLATIONS
from fake_lms.xapi.multipart import build_multipart, split_multipart
from fake_lms.xapi.policy import judged_write
from fake_lms.xapi.protocol import XAPIError, XRequest, check_params, int_param
from fake_lms.xapi.signature import check_signatures
from fake_lms.xapi.statement_access import current_access
from fake_lms.xapi.statement_format import format_statement
from fake_lms.xapi.statement_warnings import batch_warnings, warning_verdicts
from fake_lms.xapi.validation import (
    ValidationAbandoned,
    Violation,
    agent_ifi,
    check_batch,
    instant_us,
    is_iri,
    is_uuid,
    validate_actor,
)

bp = Blueprint("statements", __name__)

SECTION_GET = "xAPI-C §2.1.3"
FILTER_PARAMS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
    }
)
SINGLE_PARAMS = frozenset({"statementId", "voidedStatementId", "format", "attachments"})
HASH_HEADER = "x-experience-api-hash"


@bp.route("/statements", methods=["GET", "POST", "PUT", "DELETE"], strict_slashes=False)
def statements() -> Response:
    xreq: XRequest = g.xreq
    handler = {"GET": _get, "HEAD": _get, "POST": _post, "PUT": _put}.get(xreq.method)
    if handler is None:
        raise XAPIError(
            405,
            f"{xreq.method} is not allowed on statements",
            "xAPI-C §2.1",
            "method",
            headers={"Allow": "GET, HEAD, POST, PUT"},
        )
    return handler(xreq)


# --- writing -------------------------------------------------------------------------------


def _read_body(xreq: XRequest) -> tuple[Any, dict[str, tuple[str, bytes]]]:
    """The statement(s) and the attachment parts by sha2, from a JSON or multipart/mixed body."""
    ctype = xreq.content_type
    if ctype == "application/json":
        return _parse(xreq.body), {}
    if ctype == "multipart/mixed":
        parts = split_multipart(xreq.body, xreq.headers.get("Content-Type", ""))
        first, rest = parts[0], parts[1:]
        if first.content_type != "application/json":
            raise XAPIError(
                400,
                f"the first multipart part must be application/json, got {first.content_type!r}",
                "xAPI-C §1.5.2",
                "part[0]",
            )
        by_hash: dict[str, tuple[str, bytes]] = {}
        for index, part in enumerate(rest, start=1):
            sha2 = part.headers.get(HASH_HEADER)
            if not sha2:
                raise XAPIError(
                    400,
                    f"multipart part {index} has no X-Experience-API-Hash header",
                    "xAPI-C §1.5.2",
                    f"part[{index}]",
                )
            encoding = part.headers.get("content-transfer-encoding", "binary").lower()
            if encoding != "binary":
                raise XAPIError(
                    400,
                    f"multipart part {index} has Content-Transfer-Encoding {encoding[:20]!r};"
                    " attachment parts must be binary",
                    "xAPI-C §1.5.2",
                    f"part[{index}]",
                )
            if hashlib.sha256(part.content).hexdigest() != sha2.lower():
                raise XAPIError(
                    400,
                    f"multipart part {index}: content does not hash to its X-Experience-API-Hash"
                    f" {sha2[:16]}...",
                    "xAPI-D §2.4.11",
                    f"part[{index}]",
                )
            by_hash[sha2.lower()] = (part.content_type or "application/octet-stream", part.content)
        return _parse(first.content), by_hash
    raise XAPIError(
        400,
        f"Content-Type {ctype or 'none'!r} cannot carry statements; use application/json"
        " or multipart/mixed",
        "xAPI-C §1.5 (Content-Type)",
        "header:Content-Type",
    )


def _parse(data: bytes) -> Any:
    try:
        return parse_json(data)
    except JSONBodyError as exc:
        raise XAPIError(400, str(exc.rule), exc.section, exc.path) from exc


def _check_attachments(items: list[dict[str, Any]], parts: dict[str, tuple[str, bytes]]) -> None:
    """Every attachment without fileUrl has its part, and every part is claimed (xAPI-D §2.4.11)."""
    claimed: set[str] = set()
    for index, stmt in enumerate(items):
        for a_index, attachment in enumerate(stmt.get("attachments", [])):
            sha2 = attachment["sha2"].lower()
            claimed.add(sha2)
            if "fileUrl" not in attachment and sha2 not in parts:
                raise XAPIError(
                    400,
                    f"attachment {sha2[:16]}... has no fileUrl and no multipart part carries it",
                    "xAPI-D §2.4.11 (XAPI-00103)",
                    f"$[{index}].attachments[{a_index}]",
                )
    extra = sorted(set(parts) - claimed)
    if extra:
        raise XAPIError(
            400,
            f"multipart part with hash {extra[0][:16]}... matches no attachment of the statements",
            "xAPI-C §1.5.2",
            "body",
        )


def _store(xreq: XRequest, items: list[dict[str, Any]], parts: dict[str, Any]) -> list[str]:
    lms = current_lms()
    # waitress says whether the client is still there when channel_request_lookahead > 0
    gone = request.environ.get("waitress.client_disconnected")
    try:
        checked = check_batch(
            items, xreq.version, enough=MAX_REPORTED_VIOLATIONS, client_disconnected=gone
        )
    except ValidationAbandoned as exc:
        raise XAPIError(
            499,
            f"the client disconnected while {len(items)} statements were validated; nothing stored",
            "HTTP (499 client closed request)",
            "body",
        ) from exc
    violations = checked.violations
    if violations:
        _record_verdicts(items, violations, checked.unchecked)
        details: dict[str, Any] = {}
        if checked.unchecked:
            details["statements_not_checked"] = checked.unchecked
            details["checking_stopped"] = (
                f"checking stopped after more than {MAX_REPORTED_VIOLATIONS} violations;"
                f" the last {checked.unchecked} statements of the batch were not checked"
                f" ({LIMITS_SECTION})"
            )
        raise XAPIError(
            400,
            f"invalid statement: {violations[0].rule}",
            violations[0].section,
            violations[0].path,
            violations=[v.as_dict() for v in violations],
            details=details,
        )
    _check_attachments(items, parts)
    check_signatures(items, parts)
    principal = g.principal
    base = lms_base()
    authority = {
        "objectType": "Agent",
        "account": {
            "homePage": base,
            "name": principal.username or "fetch-token",
        },
    }
    stored_us = now_us() // 1000 * 1000
    prepared = [
        statement_store.prepare(s, authority=authority, version=xreq.version, stored_us=stored_us)
        for s in items
    ]
    attachment_rows = [(sha2, ctype, content) for sha2, (ctype, content) in parts.items()]
    ids = [p.id for p in prepared]
    statement_store.pack(prepared)  # (encoding and compressing: before the write lock)
    # (the index keys already made, also before it; a large batch looks its up chunk by chunk)
    known = (
        statement_store.key_ids(lms.db.connection(), g.mount, prepared)
        if len(prepared) <= staged_batch.STAGED_FROM
        else None
    )
    # Judged, stored and recorded in one transaction: parallel requests queue on its lock. A
    # large batch only reserves its place there and is stored in short steps (staged_batch).
    with judged_write(lms.db, principal, items, base, g.mount_mode) as (conn, recorded):
        staged = current_access().begin(
            conn, g.mount, prepared, attachment_rows, may_stage=not recorded, known=known
        )
    if staged is not None:
        staged_batch.finish(lms.db, staged)
    g.verdicts.extend({"statement": i, "verdict": "accepted"} for i in ids)
    # stored, yet not as the spec would have it sent (a SHOULD): say so in the journal
    raw = request.get_data(cache=True) if request.mimetype == "application/json" else None
    g.verdicts.extend(warning_verdicts(batch_warnings(items, xreq.version, raw)))
    return ids


_ITEM_INDEX = re.compile(r"\$\[(\d+)\]")


def _record_verdicts(
    items: list[dict[str, Any]], violations: list[Violation], unchecked: int
) -> None:
    """A verdict for each statement with violations (grouped in one pass over them all), and
    one summary each for the statements that were fine and those left unchecked: a batch of
    10,000 must not write 10,000 journal verdicts to say "not stored"."""
    by_index: dict[int, list[dict[str, str]]] = {}
    for v in violations:
        found = _ITEM_INDEX.match(v.path)
        if found:
            by_index.setdefault(int(found.group(1)), []).append(v.as_dict())
    verdicts = g.verdicts
    for index, mine in sorted(by_index.items()):
        stmt = items[index] if index < len(items) else None
        verdict: dict[str, Any] = {"verdict": "rejected", "violations": mine}
        if isinstance(stmt, dict) and isinstance(stmt.get("id"), str):
            verdict = {"statement": stmt["id"], **verdict}  # else found by its paths ($[i])
        verdicts.append(verdict)
    fine = len(items) - unchecked - len(by_index)
    for count, summary in ((fine, "not stored (batch rejected)"), (unchecked, "not checked")):
        if count:
            verdicts.append({"verdict": summary, "statements": count, "violations": []})


def _post(xreq: XRequest) -> Response:
    check_params(xreq, frozenset())
    body, parts = _read_body(xreq)
    items = body if isinstance(body, list) else [body]
    if isinstance(body, list) and not body:
        raise XAPIError(400, "an empty batch holds no statement", "xAPI-C §2.1.2", "$")
    if len(items) > MAX_BATCH_STATEMENTS:
        raise XAPIError(
            413,
            f"a batch of {len(items)} statements is more than this LRS takes in one request"
            f" ({MAX_BATCH_STATEMENTS}); send it in smaller batches",
            f"xAPI-C §3.2 (413 Request Entity Too Large); {LIMITS_SECTION}",
            "$",
        )
    return json_response(_store(xreq, items, parts))


def _put(xreq: XRequest) -> Response:
    check_params(xreq, frozenset({"statementId"}), required=("statementId",))
    statement_id = xreq.params["statementId"]
    if not is_uuid(statement_id):
        raise XAPIError(
            400,
            f"statementId {statement_id[:60]!r} is not a UUID",
            "xAPI-C §2.1.1",
            "query:statementId",
        )
    body, parts = _read_body(xreq)
    if not isinstance(body, dict):
        raise XAPIError(400, "PUT takes exactly one statement object", "xAPI-C §2.1.1", "$")
    if "id" in body and isinstance(body["id"], str) and body["id"].lower() != statement_id.lower():
        raise XAPIError(
            400,
            f"statement id {body['id'][:60]!r} differs from statementId {statement_id!r}",
            "xAPI-C §2.1.1",
            "$.id",
        )
    body.setdefault("id", statement_id)
    _store(xreq, [body], parts)
    return Response(status=204)


# --- reading -------------------------------------------------------------------------------


def _flag(xreq: XRequest, name: str) -> bool:
    value = xreq.params.get(name, "false")
    if value not in ("true", "false"):
        raise XAPIError(
            400, f"{name} must be true or false, got {value[:20]!r}", SECTION_GET, f"query:{name}"
        )
    return value == "true"


def _format(xreq: XRequest) -> str:
    fmt = xreq.params.get("format", "exact")
    if fmt not in ("exact", "ids", "canonical"):
        raise XAPIError(
            400,
            f"format must be exact, ids or canonical, got {fmt[:20]!r}",
            SECTION_GET,
            "query:format",
        )
    return fmt


def _respond(
    payload: Any, stmts: list[dict[str, Any]], xreq: XRequest, headers: dict[str, str]
) -> Response:
    if not _flag(xreq, "attachments"):
        return json_response(payload, headers=headers)
    hashes = [a["sha2"].lower() for s in stmts for a in s.get("attachments", []) if "sha2" in a]
    first = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    body, ctype = build_multipart(first, statement_store.attachments(current_lms().db, hashes))
    return Response(body, headers=headers, content_type=ctype)


def _get(xreq: XRequest) -> Response:
    if "more" in xreq.params:
        return _get_more(xreq)
    if "statementId" in xreq.params or "voidedStatementId" in xreq.params:
        return _get_single(xreq)
    check_params(xreq, FILTER_PARAMS)
    filters = _filters(xreq)
    limit = _limit(xreq)
    return _page(xreq, filters, limit, after=None, snapshot=None, fmt=_format(xreq))


def _get_single(xreq: XRequest) -> Response:
    check_params(xreq, SINGLE_PARAMS)
    if "statementId" in xreq.params and "voidedStatementId" in xreq.params:
        raise XAPIError(
            400, "statementId and voidedStatementId cannot be combined", SECTION_GET, "query"
        )
    voided = "voidedStatementId" in xreq.params
    name = "voidedStatementId" if voided else "statementId"
    wanted = xreq.params[name]
    if not is_uuid(wanted):
        raise XAPIError(400, f"{name} {wanted[:60]!r} is not a UUID", SECTION_GET, f"query:{name}")
    stmt = current_access().get_one(current_lms().db, g.mount, wanted, voided=voided)
    own = token_registration()
    if own is not None and stmt is not None:
        stmt = stmt if stmt.get("context", {}).get("registration") == own else None
    if stmt is None:
        state = "voided " if voided else ""
        raise XAPIError(
            404, f"no {state}statement with id {wanted}", "xAPI-C §2.1.3 (404)", f"query:{name}"
        )
    stored = datetime.fromisoformat(stmt["stored"].replace("Z", "+00:00"))
    headers = {"Last-Modified": format_datetime(stored.astimezone(UTC), usegmt=True)}
    formatted = format_statement(stmt, _format(xreq), xreq.header("Accept-Language"))
    return _respond(formatted, [stmt], xreq, headers)


def token_registration() -> str | None:
    """The registration a cmi5 auth-token's reads are confined to on an enforce mount: its own,
    as real LMSs scope an AU's credential (another registration's statements are as absent).
    None: no confinement (API keys; observe and plain mounts read the whole mount)."""
    principal = g.get("principal")
    if principal is None or principal.kind != "token" or g.get("mount_mode") != "enforce":
        return None
    return principal.registration or ""


def _filters(xreq: XRequest) -> statement_store.Filters:
    p = xreq.params
    f = statement_store.Filters()
    if "agent" in p:
        try:
            agent = parse_json(p["agent"])
        except JSONBodyError as exc:
            section = exc.section if isinstance(exc, JSONTooDeep) else SECTION_GET
            raise XAPIError(
                400, f"agent is not usable JSON: {exc.rule}", section, "query:agent"
            ) from exc
        problems = validate_actor(agent, "agent")
        if problems:
            raise XAPIError(400, f"agent: {problems[0].rule}", problems[0].section, "query:agent")
        f.agent = agent_ifi(agent)
    for name in ("verb", "activity"):
        if name in p:
            if not is_iri(p[name]):
                raise XAPIError(
                    400, f"{name} {p[name][:60]!r} is not an IRI", SECTION_GET, f"query:{name}"
                )
            setattr(f, name, p[name])
    if "registration" in p:
        if not is_uuid(p["registration"]):
            raise XAPIError(
                400,
                f"registration {p['registration'][:60]!r} is not a UUID",
                SECTION_GET,
                "query:registration",
            )
        f.registration = p["registration"]
    for name in ("since", "until"):
        if name in p:
            when = instant_us(p[name])
            if when is None:
                raise XAPIError(
                    400,
                    f"{name} {p[name][:60]!r} is not an ISO 8601 timestamp",
                    SECTION_GET,
                    f"query:{name}",
                )
            setattr(f, f"{name}_us", when)
    f.related_agents = _flag(xreq, "related_agents")
    f.related_activities = _flag(xreq, "related_activities")
    f.ascending = _flag(xreq, "ascending")
    return f


def _limit(xreq: XRequest) -> int:
    page = current_lms().config.page_limit
    value = int_param(xreq.params.get("limit", "0"), "limit", SECTION_GET)
    return page if value == 0 else min(value, page)


def _page(
    xreq: XRequest,
    f: statement_store.Filters,
    limit: int,
    *,
    after: int | None,
    snapshot: int | None,
    fmt: str,
) -> Response:
    own = token_registration()
    if own is not None:
        if f.registration not in (None, own):  # (another registration: nothing it may read)
            return _respond({"statements": [], "more": ""}, [], xreq, {})
        f.registration = own
    stmts, cursor, snapshot = current_access().query(
        current_lms().db, g.mount, f, limit=limit, after_seq=after, snapshot=snapshot
    )
    more = ""
    if cursor is not None:
        token = {
            "f": f.__dict__,
            "l": limit,
            "a": cursor,
            "s": snapshot,
            "fmt": fmt,
            "att": _flag(xreq, "attachments"),
        }
        encoded = base64.urlsafe_b64encode(json.dumps(token).encode()).decode().rstrip("=")
        more = f"{request.script_root}/xapi/{g.mount}/statements?more={encoded}"
    formatted = [format_statement(s, fmt, xreq.header("Accept-Language")) for s in stmts]
    return _respond({"statements": formatted, "more": more}, stmts, xreq, {})


def _get_more(xreq: XRequest) -> Response:
    check_params(xreq, frozenset({"more"}))
    raw = xreq.params["more"]
    try:
        token = parse_json(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        f = statement_store.Filters(**token["f"])
        limit, after, snapshot, fmt = token["l"], token["a"], token["s"], token["fmt"]
        if not _more_token_holds(f, (limit, after, snapshot), fmt, token.get("att", False)):
            raise ValueError("a field of the token has the wrong type or range")
        if token.get("att"):
            xreq.params["attachments"] = "true"
    except (ValueError, KeyError, TypeError) as exc:  # JSONBodyError and base64's are ValueErrors
        raise XAPIError(
            400, "the more token is not one this LRS issued", SECTION_GET, "query:more"
        ) from exc
    return _page(xreq, f, limit, after=after, snapshot=snapshot, fmt=fmt)


def _more_token_holds(
    f: statement_store.Filters, numbers: tuple[object, ...], fmt: Any, att: Any
) -> bool:
    """A forged token must not reach SQLite with a list for a string or a 30-digit integer."""
    bound = 2**62
    hints = get_type_hints(statement_store.Filters)
    return (
        all(isinstance(value, hints[name]) for name, value in f.__dict__.items())
        and all(v is None or -bound < v < bound for v in (f.since_us, f.until_us))
        and all(type(n) is int and 0 <= n < bound for n in numbers)
        and fmt in ("exact", "ids", "canonical")
        and type(att) is bool
    )
