"""The Document Resources: State (xAPI-C §2.3), Agent Profile (§2.6), Activity Profile (§2.7).

Shared rules: §2.2 (arbitrary content stored byte-exact; POST merges JSON objects) and §3.1
(ETag = quoted SHA-1 of the content; If-Match / If-None-Match honoured on PUT, POST and DELETE;
Agent and Activity Profile PUTs must carry one of them, State PUTs too in xAPI 2.0.0).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from flask import Blueprint, Response, g

from fake_lms.db import now_us
from fake_lms.lms import current_lms
from fake_lms.served import DOCUMENT_HEADERS
from fake_lms.xapi import document_store
from fake_lms.xapi.document_store import DocScope, Document, etag_of, media_type, merged_json
from fake_lms.xapi.jsonbody import JSONBodyError, JSONTooDeep, parse_json
from fake_lms.xapi.policy import judge_document
from fake_lms.xapi.protocol import XAPIError, XRequest, check_params
from fake_lms.xapi.resources import parse_agent_param
from fake_lms.xapi.validation import agent_ifi, instant_us, is_iri, is_uuid

bp = Blueprint("documents", __name__)

METHODS = ["GET", "POST", "PUT", "DELETE"]
SECTION_MERGE = "xAPI-C §2.2 (JSON procedure, 2.2.s8.b1)"
SECTION_CONCURRENCY = "xAPI-C §3.1 (concurrency)"
SECTION_CONTENT_TYPE = "xAPI-C §3.2 (3.2.s3.b6: Content-Type must match the content)"
DEFAULT_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class DocResource:
    """What distinguishes the three document resources."""

    kind: str
    label: str
    section: str
    id_param: str
    context_params: tuple[str, ...]  # in the order they are validated
    required: tuple[str, ...]
    multiple_delete: bool  # DELETE without the id deletes every document in the context


STATE = DocResource(
    kind=document_store.STATE,
    label="State",
    section="xAPI-C §2.3",
    id_param="stateId",
    context_params=("activityId", "agent", "registration"),
    required=("activityId", "agent"),
    multiple_delete=True,
)
AGENT_PROFILE = DocResource(
    kind=document_store.AGENT_PROFILE,
    label="Agent Profile",
    section="xAPI-C §2.6",
    id_param="profileId",
    context_params=("agent",),
    required=("agent",),
    multiple_delete=False,
)
ACTIVITY_PROFILE = DocResource(
    kind=document_store.ACTIVITY_PROFILE,
    label="Activity Profile",
    section="xAPI-C §2.7",
    id_param="profileId",
    context_params=("activityId",),
    required=("activityId",),
    multiple_delete=False,
)


@bp.route("/activities/state", methods=METHODS, strict_slashes=False)
def state() -> Response:
    return _serve(STATE)


@bp.route("/agents/profile", methods=METHODS, strict_slashes=False)
def agent_profile() -> Response:
    return _serve(AGENT_PROFILE)


@bp.route("/activities/profile", methods=METHODS, strict_slashes=False)
def activity_profile() -> Response:
    return _serve(ACTIVITY_PROFILE)


def _serve(res: DocResource) -> Response:
    xreq: XRequest = g.xreq
    _judge(current_lms().db.connection(), res, xreq)  # on arrival; a write again, in its write
    if xreq.method in ("GET", "HEAD"):
        return _get(res, xreq)
    if xreq.method == "PUT":
        return _write(res, xreq, post=False)
    if xreq.method == "POST":
        return _write(res, xreq, post=True)
    if xreq.method == "DELETE":
        return _delete(res, xreq)
    raise XAPIError(
        405,
        f"{xreq.method} is not allowed on the {res.label} Resource",
        res.section,
        "method",
        headers={"Allow": "GET, HEAD, POST, PUT, DELETE"},
    )


def _judge(conn: sqlite3.Connection, res: DocResource, xreq: XRequest) -> None:
    """The policy's verdict on the request, with `conn` as it sees the store: a write is judged
    inside its own write transaction too, so a session ended since its arrival (a `terminated`
    committed meanwhile) refuses it, as it would refuse a statement."""
    judge_document(conn, g.principal, res.kind, xreq, g.mount_mode)


# --- parameters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The validated parameters of one request."""

    scope: DocScope
    doc_id: str | None
    since_us: int | None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"document": self.scope.kind}
        if self.doc_id is not None:
            out["id"] = self.doc_id
        if self.scope.activity_id:
            out["activityId"] = self.scope.activity_id
        if self.scope.agent_ifi:
            out["agent"] = self.scope.agent_ifi
        if self.scope.registration:
            out["registration"] = self.scope.registration
        return out


def _target(res: DocResource, xreq: XRequest, *, id_required: bool, since: bool) -> Target:
    allowed = {*res.context_params, res.id_param}
    if since:
        allowed.add("since")
    required = (*res.required, res.id_param) if id_required else res.required
    check_params(xreq, frozenset(allowed), required)
    p = xreq.params

    activity_id = ""
    if "activityId" in res.context_params:
        activity_id = p["activityId"]
        if not is_iri(activity_id):
            raise XAPIError(
                400,
                f"activityId {activity_id[:80]!r} is not an IRI",
                res.section,
                "query:activityId",
            )

    ifi = ""
    if "agent" in res.context_params:
        agent = parse_agent_param(xreq)
        if not isinstance(agent, dict) or agent.get("objectType") == "Group":
            raise XAPIError(
                400,
                "agent must be an Agent, not a Group (use the Group's identifier in an Agent"
                " object to store data against an identified Group)",
                res.section,
                "query:agent",
            )
        ifi = agent_ifi(agent) or ""
        if not ifi:
            raise XAPIError(
                400, "agent has no inverse functional identifier", res.section, "query:agent"
            )

    doc_id = p.get(res.id_param)
    if doc_id is not None and doc_id == "":
        raise XAPIError(
            400, f"{res.id_param} must not be empty", res.section, f"query:{res.id_param}"
        )

    registration: str | None = ""
    if "registration" in res.context_params:
        raw = p.get("registration")
        if raw is not None and not is_uuid(raw):
            raise XAPIError(
                400,
                f"registration {raw[:60]!r} is not a UUID",
                res.section,
                "query:registration",
            )
        if raw is not None:
            registration = raw.lower()
        elif doc_id is None:
            # The multiple-document forms cover the Activity + Agent context, all registrations.
            registration = None

    since_us = None
    if since and "since" in p:
        since_us = instant_us(p["since"])
        if since_us is None:
            raise XAPIError(
                400,
                f"since {p['since'][:60]!r} is not an ISO 8601 timestamp",
                res.section,
                "query:since",
            )

    scope = DocScope(g.mount, res.kind, activity_id, ifi, registration)
    return Target(scope, doc_id, since_us)


def _http_date(us: int) -> str:
    return format_datetime(datetime.fromtimestamp(us // 1_000_000, UTC), usegmt=True)


# --- GET / HEAD ------------------------------------------------------------------------------


def _get(res: DocResource, xreq: XRequest) -> Response:
    # `since` only filters the id list, but LRS-TS also sends it with the id (and expects 200),
    # so it is accepted (and validated) there too.
    target = _target(res, xreq, id_required=False, since=True)
    db = current_lms().db
    if target.doc_id is None:
        with db.read() as conn:
            ids, newest = document_store.list_ids(conn, target.scope, target.since_us)
        body = json.dumps(ids, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"ETag": etag_of(body), "Cache-Control": "no-store", **DOCUMENT_HEADERS}
        if newest is not None:
            headers["Last-Modified"] = _http_date(newest)
        return _head_aware(xreq, Response(body, 200, headers, content_type="application/json"))
    with db.read() as conn:
        doc = document_store.get(conn, target.scope, target.doc_id)
    if doc is None:
        raise XAPIError(
            404,
            f"no {res.label} document with {res.id_param} {target.doc_id[:80]!r} in this context",
            f"{res.section} (404 Not Found, xAPI-C §3.2)",
            f"query:{res.id_param}",
        )
    headers = {
        "ETag": doc.etag,
        "Last-Modified": _http_date(doc.updated_us),
        "Cache-Control": "no-store",
        **DOCUMENT_HEADERS,
    }
    return _head_aware(xreq, Response(doc.content, 200, headers, content_type=doc.content_type))


def _head_aware(xreq: XRequest, response: Response) -> Response:
    """A real HEAD is trimmed by the server; a HEAD sent with the alternate syntax must be too."""
    if xreq.method == "HEAD" and xreq.alternate:
        response.set_data(b"")
    return response


# --- PUT / POST ------------------------------------------------------------------------------


def _write(res: DocResource, xreq: XRequest, *, post: bool) -> Response:
    target = _target(res, xreq, id_required=True, since=False)
    if target.doc_id is None:
        raise XAPIError(400, f"{res.id_param} is required", res.section, f"query:{res.id_param}")
    content = xreq.body
    content_type = (xreq.header("Content-Type") or "").strip() or DEFAULT_CONTENT_TYPE
    posted_is_json = media_type(content_type) == "application/json"
    posted_obj: Any = None
    if posted_is_json:
        try:
            posted_obj = parse_json(content)
        except JSONTooDeep as exc:
            raise XAPIError(400, f"the document: {exc.rule}", exc.section, "body") from exc
        except JSONBodyError as exc:
            raise XAPIError(
                400,
                f"the document is sent as application/json but is not valid JSON: {exc.rule}",
                SECTION_CONTENT_TYPE,
                "body",
            ) from exc
    preconditions = _Preconditions.read(xreq)

    db = current_lms().db
    with db.write() as conn:
        _judge(conn, res, xreq)
        current = document_store.get(conn, target.scope, target.doc_id)
        preconditions.check(res, xreq, current)
        verdict = "stored"
        if post and current is not None:
            existing_obj = _json_object(current)
            if existing_obj is None:
                raise XAPIError(
                    400,
                    "POST merges JSON objects only; the stored document is"
                    f" {_what(current.content_type, current.content)} and was left unchanged"
                    " (use PUT to replace it)",
                    SECTION_MERGE,
                    "body",
                )
            if not posted_is_json or not isinstance(posted_obj, dict):
                raise XAPIError(
                    400,
                    "POST onto an existing JSON document merges JSON objects only; the posted"
                    f" document is {_what(content_type, content)}; the stored"
                    " document was left unchanged",
                    SECTION_MERGE,
                    "body",
                )
            content = merged_json(existing_obj, posted_obj)
            content_type = current.content_type
            verdict = "merged"
        doc = document_store.put(conn, target.scope, target.doc_id, content, content_type, now_us())
    g.verdicts.append(
        {**target.describe(), "verdict": verdict, "replaced": current is not None, "etag": doc.etag}
    )
    return Response(status=204, headers={"ETag": doc.etag})


def _json_object(doc: Document) -> dict[str, Any] | None:
    if doc.media_type != "application/json":
        return None
    try:
        value = parse_json(doc.content)
    except JSONBodyError:
        return None
    return value if isinstance(value, dict) else None


def _what(content_type: str, content: bytes) -> str:
    """How a document falls short of the JSON object a merge needs."""
    if media_type(content_type) != "application/json":
        return f"of type {content_type!r}"
    try:
        parsed = parse_json(content)
    except JSONBodyError:
        return "not valid JSON"
    return f"JSON but {_JSON_KINDS.get(type(parsed), 'a value')}, not an object"


_JSON_KINDS = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


# --- DELETE ----------------------------------------------------------------------------------


def _delete(res: DocResource, xreq: XRequest) -> Response:
    target = _target(res, xreq, id_required=not res.multiple_delete, since=False)
    db = current_lms().db
    if target.doc_id is None:
        # Multiple-document DELETE (State only): no single entity for If-Match to be about.
        with db.write() as conn:
            _judge(conn, res, xreq)
            deleted = document_store.delete_all(conn, target.scope)
        g.verdicts.append(
            {
                **target.describe(),
                "verdict": "deleted",
                "count": len(deleted),
                "ids": [doc_id for _, doc_id in deleted],
            }
        )
        return Response(status=204)
    preconditions = _Preconditions.read(xreq)
    with db.write() as conn:
        _judge(conn, res, xreq)
        current = document_store.get(conn, target.scope, target.doc_id)
        preconditions.check(res, xreq, current)
        existed = document_store.delete(conn, target.scope, target.doc_id)
    g.verdicts.append({**target.describe(), "verdict": "deleted", "existed": existed})
    return Response(status=204)


# --- concurrency (xAPI-C §3.1, RFC 7232) -----------------------------------------------------

ANY = "*"


def _parse_tags(name: str, value: str | None) -> list[str] | None:
    """`*` -> ["*"]; `"a", W/"b"` -> ['"a"', 'W/"b"']; absent -> None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise XAPIError(
            400,
            f"{name} is empty; send a quoted ETag from a GET, or * ",
            SECTION_CONCURRENCY,
            f"header:{name}",
        )
    if value == ANY:
        return [ANY]
    return [t.strip() for t in value.split(",") if t.strip()]


def _weak(tag: str) -> str:
    return tag[2:] if tag.startswith("W/") else tag


@dataclass(frozen=True)
class _Preconditions:
    if_match: list[str] | None
    if_none_match: list[str] | None

    @classmethod
    def read(cls, xreq: XRequest) -> _Preconditions:
        return cls(
            _parse_tags("If-Match", xreq.header("If-Match")),
            _parse_tags("If-None-Match", xreq.header("If-None-Match")),
        )

    def check(self, res: DocResource, xreq: XRequest, current: Document | None) -> None:
        etag_header = {"ETag": current.etag} if current is not None else {}
        if self.if_match is not None:
            if current is None:
                raise XAPIError(
                    412,
                    f"If-Match {', '.join(self.if_match)} failed: the document does not exist;"
                    " nothing was changed",
                    SECTION_CONCURRENCY,
                    "header:If-Match",
                )
            if self.if_match != [ANY] and current.etag not in self.if_match:
                hint = ""
                if current.etag.strip('"') in self.if_match:
                    hint = " (entity tags are compared quoted, as the ETag header gives them)"
                raise XAPIError(
                    412,
                    f"If-Match {', '.join(self.if_match)[:200]} does not match the current ETag"
                    f" {current.etag}{hint}: the document changed since it was fetched; nothing"
                    " was changed",
                    SECTION_CONCURRENCY,
                    "header:If-Match",
                    headers=etag_header,
                )
        if self.if_none_match is not None and current is not None:
            tags = {_weak(t) for t in self.if_none_match}
            if ANY in tags or current.etag in tags:
                raise XAPIError(
                    412,
                    f"If-None-Match {', '.join(self.if_none_match)[:200]} failed: the document"
                    f" already exists (ETag {current.etag}); nothing was changed",
                    SECTION_CONCURRENCY,
                    "header:If-None-Match",
                    headers=etag_header,
                )
        if xreq.method != "PUT" or self.if_match is not None or self.if_none_match is not None:
            return
        profile = res.kind != document_store.STATE
        if current is not None and (profile or xreq.version == "2.0.0"):
            raise XAPIError(
                409,
                f"PUT without If-Match or If-None-Match onto an existing {res.label} document:"
                " GET the document to check its current state, then PUT again with If-Match"
                f" set to its ETag (currently {current.etag}); nothing was changed",
                SECTION_CONCURRENCY
                + ("" if profile else " — xAPI 2.0.0 applies it to the State Resource too"),
                "header:If-Match",
                headers=etag_header,
            )
        if current is None and profile:
            raise XAPIError(
                400,
                f"a PUT to the {res.label} Resource must include If-Match or If-None-Match"
                " (If-None-Match: * to create a new document)",
                SECTION_CONCURRENCY + " client requirement 3.1.s3.b1",
                "header:If-None-Match",
            )
