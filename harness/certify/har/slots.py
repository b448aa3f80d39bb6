"""Which step of a We Are launch each recorded request is: the names `harness/certify/flow.py`
gives its own requests (`fetch`, `documented.completed`, `cmi5.initialized`, ...), so every
registered check finds the recorded request where it looks for certify's.

A statement POST is named by what it carries: a statement in the cmi5 category (or with verb
initialized or terminated) is the full cmi5 flow's, a Completed without it is We Are's documented
statement. A GET by statementId reads back the statement of that id. Requests to the LMS that are
no step (another resource, a page of its own) are kept for the checks that judge every answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness.certify.flow import READ_BACK_PREFIX
from harness.certify.har.entries import Recorded

CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
CMI5_ONLY = ("initialized", "terminated")
DOCUMENTED, FULL = "weare-documented", "cmi5-full"


@dataclass
class Slots:
    """The recorded requests by step name, and the behaviours they show."""

    named: dict[str, Recorded] = field(default_factory=dict)
    statements: dict[str, str] = field(default_factory=dict)  # statement id -> step name
    lms: list[Recorded] = field(default_factory=list)  # every request to the fetch URL or LRS
    reads: dict[str, int] = field(default_factory=dict)  # read-back name -> reads recorded
    shown: set[str] = field(default_factory=set)


def statement_of(entry: Recorded) -> dict[str, Any] | None:
    """The (first) statement a POST or PUT carried, when the recording holds its body."""
    try:
        body = json.loads(entry.request_body or "")
    except ValueError:
        return None
    body = body[0] if isinstance(body, list) and body else body
    return body if isinstance(body, dict) else None


def verb_of(statement: dict[str, Any]) -> str:
    verb = statement.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    return verb_id.rstrip("/").rsplit("/", 1)[-1] if isinstance(verb_id, str) else ""


def is_cmi5(statement: dict[str, Any]) -> bool:
    context = statement.get("context")
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    category = activities.get("category") if isinstance(activities, dict) else None
    ids = (
        [c.get("id") for c in category if isinstance(c, dict)] if isinstance(category, list) else []
    )
    return CMI5_CATEGORY in ids or verb_of(statement) in CMI5_ONLY


def _ok(entry: Recorded | None) -> bool:
    return entry is not None and entry.status is not None and entry.status < 400


def put(slots: Slots, name: str, entry: Recorded) -> None:
    """Name a step by its latest recording, unless an earlier one went wrong (as capture does)."""
    if name not in slots.named or _ok(slots.named[name]):
        slots.named[name] = entry


def _under(url: str, base: str) -> bool:
    return url.split("?", 1)[0].startswith(base.rstrip("/") + "/")


def _resource(entry: Recorded, base: str) -> str:
    return urlsplit(entry.url).path[len(urlsplit(base.rstrip("/")).path) :].strip("/")


def sort(entries: list[Recorded], fetch: str | None, destination: str | None) -> Slots:
    """Name the recorded requests of one launch (`entries`, in the order they were made)."""
    slots = Slots()
    fetch_posts = 0
    for entry in entries:
        if fetch and entry.url.split("#", 1)[0] == fetch:
            slots.lms.append(entry)
            if entry.method == "POST":
                fetch_posts += 1
                name = "fetch" if fetch_posts == 1 else "fetch-again"
                slots.named.setdefault(name, entry)
            elif entry.method == "GET":
                slots.named.setdefault("fetch-get", entry)
            continue
        if destination and _under(entry.url, destination):
            slots.lms.append(entry)
            _xapi(slots, entry, _resource(entry, destination))
    return slots


def _xapi(slots: Slots, entry: Recorded, resource: str) -> None:
    query = dict(parse_qsl(urlsplit(entry.url).query))
    if resource == "statements" and entry.method == "OPTIONS":
        slots.named.setdefault("preflight", entry)
    elif resource == "statements" and entry.method in ("POST", "PUT"):
        _statement(slots, entry)
    elif resource == "statements" and entry.method == "GET" and "statementId" in query:
        name = slots.statements.get(query["statementId"])
        if name is not None:  # read again until readable: the last read is the verdict
            slots.named[name] = entry
            slots.reads[name] = slots.reads.get(name, 0) + 1
    elif resource == "activities/state" and query.get("stateId") == "LMS.LaunchData":
        put(slots, "cmi5.launch-data", entry)
        slots.shown.add(FULL)
    elif resource == "agents/profile" and query.get("profileId") == "cmi5LearnerPreferences":
        put(slots, "cmi5.preferences", entry)
        slots.shown.add(FULL)


def _statement(slots: Slots, entry: Recorded) -> None:
    statement = statement_of(entry)
    if statement is None:
        return
    verb = verb_of(statement)
    if entry.method == "PUT":
        name, read_back = "documented.put", None
    elif is_cmi5(statement):
        name, read_back = f"cmi5.{verb}", READ_BACK_PREFIX + verb
        slots.shown.add(FULL)
    elif verb == "completed":
        name, read_back = "documented.completed", "documented.read-back"
        slots.shown.add(DOCUMENTED)
    else:
        return
    put(slots, name, entry)
    sid = statement.get("id")
    if read_back and isinstance(sid, str):
        slots.statements[sid] = read_back
