"""A small cmi5 LMS on loopback that words its answers as a real one does, not as our fake LMS.

Its refusals take any shape a test gives (`Shape`): a Node LMS's `{"statusCode": 403,
"error": "Forbidden", "message": "11.0.0.0-3 - …", "violatedReqId": "11.0.0.0-3"}`, nested
JSON, plain text, an HTML page. It is strict cmi5: a statement before the learner preferences
were read is refused (11.0.0.0-3), a token of an abandoned session is refused (8.1.2.0-2; with
`abandon_on_relaunch`, making a launch abandons the earlier launches of the registration), and
everything else is answered as xAPI 1.0.3 says. `launch_data`, `preferences` and
`statement_answer` replace its answers to test the checks that judge them.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.loopback import answering

Reply = tuple[int, str, str]  # status, content type, body
Shape = Callable[[int, str, str], Reply]  # (status, requirement id, message) -> reply
ACTOR = {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "l-1"}}
REGISTRATION = "0f7a4b1e-7c2d-4a53-9d1e-3b8c2f6a9e10"
ACTIVITY = "https://lms.example/activities/story-1"
SESSION_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Experience-API-Version",
    "Access-Control-Allow-Methods": "GET, POST, PUT, OPTIONS",
}


def node_lms(status: int, requirement: str, message: str) -> Reply:
    """The shape of a Node (NestJS-style) cmi5 LMS's refusal."""
    word = {401: "Unauthorized", 403: "Forbidden"}[status]
    body = {
        "statusCode": status,
        "error": word,
        "message": f"{requirement} - {message}",
        "violatedReqId": requirement,
    }
    return status, "application/json", json.dumps(body)


def nested(status: int, requirement: str, message: str) -> Reply:
    body = {"errors": [{"code": requirement, "detail": message}]}
    return status, "application/json", json.dumps(body)


def text(status: int, requirement: str, message: str) -> Reply:
    return status, "text/plain", f"{status} Forbidden: {requirement} - {message}"


def html(status: int, requirement: str, message: str) -> Reply:
    page = (
        "<!doctype html><html><head><title>403 Forbidden</title></head><body>"
        f"<h1>Forbidden</h1><p>cmi5 requirement {requirement}: {message}</p>"
        "<footer>LMS 1.0.3, 2024-06-05</footer></body></html>"
    )
    return status, "text/html; charset=utf-8", page


SHAPES: dict[str, Shape] = {"node": node_lms, "nested": nested, "text": text, "html": html}


@dataclass
class Session:
    token: str
    registration: str
    prefs_read: bool = False
    abandoned: bool = False


@dataclass
class RealLMS:
    shape: Shape = node_lms
    strict: bool = True  # refuse statements before the learner preferences were read
    abandon_on_relaunch: bool = False
    launch_data: dict[str, Any] | None = None  # None: a complete one
    preferences: tuple[int, str] = (404, "")
    statement_answer: Reply | None = None  # every statement POST answered so, stored nowhere
    base: str = ""
    sessions: dict[str, Session] = field(default_factory=dict)  # session id -> session
    fetched: set[str] = field(default_factory=set)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def launch(self, registration: str = REGISTRATION) -> str:
        """A launch URL of a new session; with abandon_on_relaunch the registration's earlier
        sessions are abandoned now, as cmi5 §9.3.6 lets an LMS do."""
        session = f"s-{len(self.sessions) + 1}"
        with self.lock:
            if self.abandon_on_relaunch:
                for other in self.sessions.values():
                    other.abandoned |= other.registration == registration
            self.sessions[session] = Session(uuid.uuid4().hex, registration)
        query = {
            "endpoint": self.base + "/xapi/",
            "fetch": f"{self.base}/fetch/{session}",
            "actor": json.dumps(ACTOR),
            "activityId": ACTIVITY,
            "registration": registration,
            "sessionId": session,
        }
        return "https://story.example/?" + urlencode(query)

    # -- answers ------------------------------------------------------------------------------
    def answer(self, method: str, url: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(url)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        if path.startswith("/fetch/"):
            return self._fetch(method, path.rsplit("/", 1)[-1])
        if not path.startswith("/xapi/"):
            return 404, "application/json", '{"error": "not found"}'
        resource = path[len("/xapi/") :]
        if resource == "about":
            return 200, "application/json", '{"version": ["1.0.3"]}'
        session = self._session(headers.get("Authorization", ""))
        if session is None:
            return 401, "application/json", '{"error": "unknown credentials"}'
        if resource == "statements":
            return self._statements(method, query, session, body)
        if resource == "activities/state":
            data = self.launch_data
            if data is None:
                template = {"extensions": {SESSION_EXTENSION: session}}
                data = {"contextTemplate": template, "launchMode": "Normal", "moveOn": "Completed"}
            return 200, "application/json", json.dumps(data)
        if resource == "agents/profile":
            self.sessions[session].prefs_read = True
            status, text_ = self.preferences
            return status, "application/json", text_
        return 404, "application/json", '{"error": "not found"}'

    def _fetch(self, method: str, session: str) -> Reply:
        if method != "POST":
            return 405, "application/json", '{"error": "POST only"}'
        with self.lock:
            first = session not in self.fetched
            self.fetched.add(session)
        if not first or session not in self.sessions:
            return 200, "application/json", '{"error-code": "1", "error-text": "already fetched"}'
        return 200, "application/json", json.dumps({"auth-token": self.sessions[session].token})

    def _session(self, authorization: str) -> str | None:
        token = authorization.removeprefix("Basic ")
        return next((n for n, s in self.sessions.items() if s.token == token), None)

    def _statements(self, method: str, query: dict[str, str], session: str, body: bytes) -> Reply:
        if method == "GET":
            if "statementId" in query:
                found = self.stored.get(query["statementId"])
                return (200, "application/json", json.dumps(found)) if found else (404, "", "")
            return 200, "application/json", '{"statements": [], "more": ""}'
        try:
            stmt = json.loads(body)
        except ValueError:
            return 400, "application/json", '{"error": "not JSON"}'
        if not isinstance(stmt, dict) or "actor" not in stmt:
            return 400, "application/json", '{"error": "a statement needs an actor"}'
        if self.sessions[session].abandoned:
            return self.shape(403, "8.1.2.0-2", "the session of this token was abandoned")
        if self.strict and not self.sessions[session].prefs_read:
            return self.shape(403, "11.0.0.0-3", "the learner preferences were not read")
        if self.statement_answer is not None:
            return self.statement_answer
        stmt_id = query.get("statementId") or stmt.setdefault("id", str(uuid.uuid4()))
        self.stored[stmt_id] = stmt
        if method == "PUT":
            return 204, "application/json", ""
        return 200, "application/json", json.dumps([stmt_id])


@contextmanager
def real_lms(lms: RealLMS) -> Iterator[RealLMS]:
    """Serve `lms` on a loopback port until the block ends (its `base` set)."""

    def reply(method: str, path: str, body: bytes, headers: dict[str, str]):
        if method == "OPTIONS":
            status, kind, text_ = 204, "", ""
        else:
            status, kind, text_ = lms.answer(method, path, headers, body)
        sent = {**CORS, "X-Experience-API-Version": "1.0.3"}
        if kind:
            sent["Content-Type"] = kind
        return status, sent, text_.encode()

    with answering(reply, headers=True) as base:
        lms.base = base
        yield lms
