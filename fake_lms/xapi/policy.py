"""What the LRS asks of a profile that governs its credentials, e.g. cmi5: the request policy.

The LRS knows xAPI only. A profile that adds rules on top (cmi5: session tokens, statement order,
read-only documents) implements `Policy`; `create_app` registers it with `register`. An app with
no policy is a plain LRS: only API keys open it and every valid statement is stored.

A policy judges and returns a `Verdict` (fake_lms/xapi/verdict.py); the LRS records it and, for
a refusal, answers with its own error. Every method is told the mount's mode ("enforce",
"observe", "plain"): what the policy does with a break there is its own choice. Writes are
judged inside the write transaction that stores them (`judged_write` for statements, the
document resources' own for documents), so parallel requests on one session are judged one
after the other, each against the state the ones committed before it left (xAPI-C §2.1.2 atomic
batches; cmi5 §9.3 statement order).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from flask import Flask, current_app

from fake_lms.db import Database
from fake_lms.mounts import Principal
from fake_lms.xapi.protocol import XRequest
from fake_lms.xapi.verdict import Verdict, act_on

EXTENSION = "weare.policy"


class Policy(Protocol):
    """Rules a profile adds to the LRS; every method runs inside the request it judges."""

    def resolve_token(
        self, conn: sqlite3.Connection, user: str, secret: str, mount: str
    ) -> Principal | None:
        """The principal of a credential the profile issued (not an API key), or None."""

    def judge_request(self, conn: sqlite3.Connection, principal: Principal, mode: str) -> Verdict:
        """Any authenticated xAPI request, before its resource is served."""

    def judge_statements(
        self,
        conn: sqlite3.Connection,
        principal: Principal,
        statements: list[dict[str, Any]],
        mode: str,
    ) -> tuple[Verdict, Any]:
        """Valid xAPI statements about to be stored, inside the write transaction `conn` holds;
        returns the verdict and what `after_store` needs (None: nothing to record)."""

    def after_store(
        self,
        conn: sqlite3.Connection,
        principal: Principal,
        judged: Any,
        statements: list[dict[str, Any]],
        lms_base: str,
    ) -> None:
        """The statements are stored, in the same transaction: record what they changed."""

    def judge_document(
        self, conn: sqlite3.Connection, principal: Principal, kind: str, xreq: XRequest, mode: str
    ) -> Verdict:
        """A request on a document resource ('state', 'agent-profile', 'activity-profile'): on
        arrival, and for a write again inside the write transaction `conn` then holds."""


def register(app: Flask, policy: Policy | None) -> None:
    """Make `policy` govern every mount of `app`; None leaves a plain LRS."""
    app.extensions[EXTENSION] = policy


def current_policy() -> Policy | None:
    return current_app.extensions.get(EXTENSION)


def judge_document(
    conn: sqlite3.Connection, principal: Principal, kind: str, xreq: XRequest, mode: str
) -> None:
    """Judge a document request with `conn` (inside a write, the write's own) and act on it."""
    policy = current_policy()
    if policy is not None:
        act_on(policy.judge_document(conn, principal, kind, xreq, mode))


@contextmanager
def judged_write(
    db: Database, principal: Principal, statements: list[dict[str, Any]], lms_base: str, mode: str
) -> Iterator[tuple[sqlite3.Connection, bool]]:
    """One write transaction: judge the statements, let the caller store them, record them.
    Yields the connection and whether the policy records what the statements change (then
    they must be stored in this very transaction, never staged across several).

    A refusal or a failed store rolls the whole transaction back.
    """
    policy = current_policy()
    with db.write() as conn:
        judged = None
        if policy is not None:
            verdict, judged = policy.judge_statements(conn, principal, statements, mode)
            act_on(verdict)
        yield conn, judged is not None
        if policy is not None and judged is not None:
            policy.after_store(conn, principal, judged, statements, lms_base)
