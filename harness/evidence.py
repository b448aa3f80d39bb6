"""What a scenario run left behind: the launch, the story's outcome, journals and statements.

A statement counts as *accepted* only when the LRS answered its request 2xx AND the statement is
in the mount's store; a non-2xx answer makes it *refused* (the LRS's answer is kept to name it),
and a 2xx answer with nothing stored (a broken LRS) makes it *dropped*.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs

from fake_lms.cmi5.vocab import VERB_COMPLETED, VERB_INITIALIZED
from fake_lms.redact import redact_credentials

_REDACTED_USER = re.compile(r"user='([^']*)'")
NOT_BASIC = "<not a Basic credential>"
ACCEPTED, REFUSED, DROPPED = "accepted", "refused", "dropped"
ANSWER_LIMIT = 200
VERBS = "http://adlnet.gov/expapi/verbs/"  # ADL's verbs, shown without this prefix
# What a story plays, told from what it sent: We Are's two behaviours, something else, nothing.
DOCUMENTED, CMI5_FULL, OTHER, NOTHING = "weare-documented", "cmi5-full", "other", "nothing sent"


def verb_of(statement: dict[str, Any]) -> str | None:
    verb = statement.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    return verb_id if isinstance(verb_id, str) else None


def behaviour_of(statements: list[dict[str, Any]]) -> str:
    """`cmi5-full` when the story opened a cmi5 session (an initialized statement),
    `weare-documented` when it sent a Completed without one (We Are's article), `other` when
    it sent neither, `nothing sent` when it sent no statement."""
    verbs = [verb_of(s) for s in statements]
    if not verbs:
        return NOTHING
    if VERB_INITIALIZED in verbs:
        return CMI5_FULL
    return DOCUMENTED if VERB_COMPLETED in verbs else OTHER


@dataclass
class Exchange:
    """One journaled request to a mount, reduced to what checks look at."""

    role: str  # launch, configured, other
    seq: int  # journal sequence number: arrival order across mounts
    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: str
    verdicts: list[dict[str, Any]]
    principal: str
    query: str = ""
    response_body: str = ""

    @property
    def is_statements(self) -> bool:
        return "/statements" in self.path and self.method in ("POST", "PUT")

    @property
    def is_fetch(self) -> bool:
        return self.path.startswith("/fetch")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def basic_user(self) -> str | None:
        """The Basic user name the request carried (the journal keeps only that), if any."""
        for name, value in self.headers.items():
            if name.lower() == "authorization":
                match = _REDACTED_USER.search(value)
                return match.group(1) if match else NOT_BASIC
        return None

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def statements(self) -> list[dict[str, Any]]:
        try:
            body = json.loads(self.body)
        except ValueError:
            return []
        items = body if isinstance(body, list) else [body]
        return [s for s in items if isinstance(s, dict)]

    def answered_ids(self) -> list[str | None]:
        """The id of each statement as the LRS took it: its answer to a POST, the PUT's query."""
        own = [s.get("id") if isinstance(s.get("id"), str) else None for s in self.statements()]
        if self.method == "PUT":
            given = parse_qs(self.query).get("statementId", [None])[0]
            return [given or i for i in own]
        try:
            answered = json.loads(self.response_body)
        except ValueError:
            return own
        if isinstance(answered, list) and len(answered) == len(own):
            return [a if isinstance(a, str) else o for a, o in zip(answered, own, strict=True)]
        return own

    def answer(self) -> str:
        """The LRS's answer in one line: status, its error message and the rule it cites."""
        try:
            body = json.loads(self.response_body)
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("error"):
            text = f"{self.status}: {body['error']}"
            if body.get("requirement"):
                text += f" [cmi5 {body['requirement']}]"
            elif body.get("section"):
                text += f" [{body['section']}]"
        else:
            excerpt = " ".join(self.response_body.split())
            text = f"{self.status}: {excerpt}" if excerpt else str(self.status)
        text = redact_credentials(text)
        return text if len(text) <= ANSWER_LIMIT else text[: ANSWER_LIMIT - 1] + "…"


@dataclass(frozen=True)
class Sent:
    """One statement the story sent, with what became of it."""

    statement: dict[str, Any]
    exchange: Exchange
    fate: str  # accepted, refused, dropped

    @property
    def answer(self) -> str:
        if self.fate == DROPPED:
            return f"{self.exchange.status} but not stored"
        return self.exchange.answer()


@dataclass
class Evidence:
    launch: dict[str, Any]
    outcome: dict[str, Any]
    mount_names: dict[str, str]  # role -> mount name
    key_users: dict[str, str]  # role -> the Basic user of that mount's API key
    exchanges: list[Exchange] = field(default_factory=list)
    stored: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def statement_requests(self, role: str | None = None) -> list[Exchange]:
        return [e for e in self.exchanges if e.is_statements and role in (None, e.role)]

    def xapi_requests(self, role: str | None = None) -> list[Exchange]:
        """Every request the story made to an xAPI resource (statements, state, profiles,
        about), CORS preflights and the fetch URL aside."""
        return [
            e
            for e in self.exchanges
            if not e.is_fetch and e.method != "OPTIONS" and role in (None, e.role)
        ]

    def sent(self, role: str | None = None) -> list[Sent]:
        """Every statement the story sent (to `role`, or anywhere), each with its fate."""
        return [s for s in self._all_sent if role in (None, s.exchange.role)]

    @cached_property
    def _all_sent(self) -> list[Sent]:
        stored_ids = {
            r: {str(s.get("id", "")).lower() for s in statements}
            for r, statements in self.stored.items()
        }
        out = []
        for exchange in self.statement_requests():
            ids = exchange.answered_ids()
            for statement, sid in zip(exchange.statements(), ids, strict=True):
                if not exchange.ok:
                    fate = REFUSED
                elif sid and sid.lower() in stored_ids.get(exchange.role, set()):
                    fate = ACCEPTED
                else:
                    fate = DROPPED
                out.append(Sent(statement, exchange, fate))
        return out

    def sent_statements(self, role: str | None = None) -> list[dict[str, Any]]:
        """The statements the story sent, whatever the LRS made of them."""
        return [s.statement for s in self.sent(role)]

    def received(self, role: str | None = None) -> list[dict[str, Any]]:
        """Statements the LRS accepted (answered 2xx and stored), in the order they were sent."""
        return [s.statement for s in self.sent(role) if s.fate == ACCEPTED]

    def refused(self, role: str | None = None) -> list[Sent]:
        return [s for s in self.sent(role) if s.fate == REFUSED]

    def fates(self, role: str) -> dict[str, Any]:
        """Per mount: statements sent, accepted, refused and dropped, and the LRS's answers."""
        sent = self.sent(role)
        count = {fate: sum(1 for s in sent if s.fate == fate) for fate in (ACCEPTED, REFUSED)}
        answers = [s.answer for s in sent if s.fate != ACCEPTED]
        return {
            "sent": len(sent),
            **count,
            "dropped": sum(1 for s in sent if s.fate == DROPPED),
            "answers": list(dict.fromkeys(answers)),
        }

    def main_statement(self, *, accepted: bool = True) -> dict[str, Any] | None:
        """The completion: the completed statement, else the first; accepted ones or all sent."""
        received = self.received() if accepted else self.sent_statements()
        for stmt in received:
            verb = stmt.get("verb", {})
            if isinstance(verb, dict) and verb.get("display", {}).get("en-US") in (
                "Completed",
                "completed",
            ):
                return stmt
        return received[0] if received else None

    def behaviour(self) -> str:
        """What the story played, told from the statements it sent (`behaviour_of`)."""
        return behaviour_of(self.sent_statements())

    def fetches(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.is_fetch]

    def credential_kind(self, exchange: Exchange) -> str:
        user = exchange.basic_user
        if user is None:
            return "none"
        if user == "":
            return "fetch-token"
        if user in self.key_users.values():
            return "api-key"
        return f"unknown ({user})"

    def lookup(self, value: Any) -> Any:
        """Resolve '$launch.NAME' references in expected values."""
        if isinstance(value, str) and value.startswith("$launch."):
            return self.launch.get(value.removeprefix("$launch."))
        return value


def exchange_of(role: str, entry: dict[str, Any]) -> Exchange:
    """One journal entry of the admin API, as the checks look at it."""
    return Exchange(
        role=role,
        seq=entry["seq"],
        method=entry["method"],
        path=entry["path"],
        status=entry["status"],
        headers=entry["request_headers"],
        body=entry["request_body"],
        verdicts=entry["verdicts"],
        principal=entry.get("principal", ""),
        query=entry.get("query", ""),
        response_body=entry.get("response_body", ""),
    )


def gather(
    *,
    launch: dict[str, Any],
    outcome: dict[str, Any],
    mounts: dict[str, str],
    keys: dict[str, tuple[str, str]],
    journals: dict[str, list[dict[str, Any]]],
    stored: dict[str, list[dict[str, Any]]],
) -> Evidence:
    """Evidence from the admin API's journal entries of each role's mount, in arrival order."""
    exchanges = [
        exchange_of(role, entry) for role, entries in journals.items() for entry in entries
    ]
    exchanges.sort(key=lambda e: e.seq)
    return Evidence(
        launch=launch,
        outcome=outcome,
        mount_names=dict(mounts),
        key_users={role: key[0] for role, key in keys.items()},
        exchanges=exchanges,
        stored=stored,
    )
