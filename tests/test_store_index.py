"""Filtered GETs read index tables in page order (issue 13): every filter's query plan uses its
index, StatementRef matches keep xAPI-C §2.1.3 semantics in any arrival order, `more` pages
stay stable while statements arrive, and a schema-4 store is upgraded with its statements."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_lms import journal
from fake_lms.db import SCHEMA_VERSION, Database
from fake_lms.live import FakeLMS
from fake_lms.mounts import ensure_mount
from fake_lms.xapi import statement_store
from fake_lms.xapi.statement_store import Filters
from tests.factories import statement

PASSED = "http://adlnet.gov/expapi/verbs/passed"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
SCHEMA_4 = Path(__file__).parent / "data" / "schema_v4.sql"


@pytest.fixture(scope="module")
def lms(module_lms: FakeLMS) -> FakeLMS:
    return module_lms


def _actor() -> dict:
    return {"mbox": f"mailto:{uuid.uuid4().hex[:12]}@example.com"}


def _post(lms: FakeLMS, body) -> None:
    r = lms.client().post(lms.endpoint() + "statements", json=body)
    assert r.status_code == 200, r.text


def _ids(lms: FakeLMS, **params) -> list[str]:
    r = lms.client().get(lms.endpoint() + "statements", params=params)
    assert r.status_code == 200, r.text
    return [s["id"] for s in r.json()["statements"]]


# --- query plans -----------------------------------------------------------------------------

FILTERS = {
    "none": Filters(),
    "agent": Filters(agent="mbox:mailto:a@example.com"),
    "related_agents": Filters(agent="mbox:mailto:a@example.com", related_agents=True),
    "verb": Filters(verb=COMPLETED),
    "activity": Filters(activity="https://weare.example.com/stories/1"),
    "related_activities": Filters(
        activity="https://weare.example.com/stories/1", related_activities=True
    ),
    "registration": Filters(registration="760e3480-ba55-4991-94b0-01820dbd23a2"),
    "since": Filters(since_us=1),
    "until": Filters(until_us=2**52),
    "ascending": Filters(agent="mbox:mailto:a@example.com", ascending=True),
    "agent+verb+activity": Filters(
        agent="mbox:mailto:a@example.com",
        verb=COMPLETED,
        activity="https://weare.example.com/stories/1",
    ),
}


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Iterator[Database]:
    db = Database(tmp_path_factory.mktemp("plans") / "lms.db")
    stmt = statement(actor={"mbox": "mailto:a@example.com"})
    stmt["object"]["id"] = "https://weare.example.com/stories/1"
    statement_store.bulk_seed(db, "default", [stmt])
    yield db
    db.close()


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_each_filter_reads_an_index_in_page_order(small_store, name):
    """A page's cost must not grow with the store: each query is a SEARCH on an index or the
    rowid range, never a SCAN of a table, never a sort or a temporary b-tree of all matches."""
    conn = small_store.connection()
    traced: list[str] = []
    conn.set_trace_callback(traced.append)
    try:
        stmts, _, _ = statement_store.query(
            small_store, "default", FILTERS[name], limit=10, after_seq=None, snapshot=None
        )
    finally:
        conn.set_trace_callback(None)
    assert len(stmts) == 1, name
    selects = [sql for sql in traced if sql.lstrip().upper().startswith("SELECT")]
    assert selects
    for sql in selects:
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
        # (the subquery that hides a batch still being stored is a SEARCH of its own)
        steps = [step for step in plan if not step.startswith("CORRELATED SCALAR SUBQUERY")]
        assert all(step.startswith("SEARCH") for step in steps), (name, sql, plan)
        assert not any("TEMP B-TREE" in step for step in plan), (name, sql, plan)
    page = next(s for s in selects if "statement_index k0" in s)
    plan = " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + page))
    assert "SEARCH k0 USING PRIMARY KEY (kid=? AND seq>? AND seq<?)" in plan, plan


def test_registration_listing_reads_the_registration_keys_not_the_table(tmp_path):
    """GET /api/registrations/R/statements (every mount, arrival order) follows the index: its
    plan searches index_keys and statement_index and never scans statements; it finds the
    statements whose own context names R on each mount, and not a StatementRef to one of them."""
    db = Database(tmp_path / "lms.db")
    try:
        registration = str(uuid.uuid4())
        mine = [statement(context={"registration": registration.upper()}) for _ in range(2)]
        other = statement(context={"registration": str(uuid.uuid4())})
        ref = statement(object={"objectType": "StatementRef", "id": mine[0]["id"]})
        for mount in ("default", "second"):
            ensure_mount(db, mount)
        statement_store.bulk_seed(db, "default", [mine[0], other, ref])
        statement_store.bulk_seed(db, "second", [mine[1]])
        conn = db.connection()
        traced: list[str] = []
        conn.set_trace_callback(traced.append)
        try:
            got = statement_store.of_registration(conn, registration)
        finally:
            conn.set_trace_callback(None)
        assert [(mount, s["id"]) for mount, s in got] == [
            ("default", mine[0]["id"]),
            ("second", mine[1]["id"]),
        ]
        listing = next(sql for sql in traced if "statement_index" in sql)
        plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + listing)]
        assert not any(step.startswith("SCAN") for step in plan), plan
    finally:
        db.close()


# --- semantics -------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["target first", "reference first"])
def test_statement_refs_match_through_any_arrival_order_and_depth(lms, order):
    """A statement referencing a match matches (xAPI-C §2.1.3), also through a chain of
    references and when the reference arrived before its target; a combined filter judges one
    statement, so a reference does not match by mixing its own verb with its target's agent."""
    learner = _actor()
    target = statement(actor=learner, verb={"id": PASSED})
    ref = statement(object={"objectType": "StatementRef", "id": target["id"]})
    ref_of_ref = statement(object={"objectType": "StatementRef", "id": ref["id"]})
    if order == "target first":
        _post(lms, target)
        _post(lms, [ref, ref_of_ref])
    else:
        _post(lms, ref_of_ref)
        _post(lms, ref)
        _post(lms, target)
    agent = json.dumps(learner)
    everything = {target["id"], ref["id"], ref_of_ref["id"]}
    assert set(_ids(lms, agent=agent)) == everything
    assert set(_ids(lms, agent=agent, verb=PASSED)) == everything
    # the references' own verb is `completed`, their target's agent the learner: no match
    assert _ids(lms, agent=agent, verb=COMPLETED) == []


def test_voided_statements_are_left_out_and_their_voiding_statement_matches(lms):
    learner = _actor()
    kept, voided = statement(actor=learner), statement(actor=learner)
    voiding = statement(
        verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": voided["id"]}
    )
    _post(lms, [kept, voided])
    _post(lms, voiding)
    assert _ids(lms, agent=json.dumps(learner)) == [voiding["id"], kept["id"]]
    assert _ids(lms, agent=json.dumps(learner), ascending="true") == [kept["id"], voiding["id"]]


def test_group_members_match_the_agent_filter(lms):
    """Groups with a member matching the agent are a match (xAPI-C §2.1.3, agent)."""
    learner = _actor()
    group = {"objectType": "Group", "member": [learner, _actor()]}
    stmt = statement(actor=group)
    _post(lms, stmt)
    assert _ids(lms, agent=json.dumps(learner)) == [stmt["id"]]


def test_more_pages_stay_stable_while_statements_arrive(lms):
    learner = _actor()
    first = [statement(actor=learner) for _ in range(5)]
    _post(lms, first)
    client = lms.client()
    page = client.get(
        lms.endpoint() + "statements", params={"agent": json.dumps(learner), "limit": 2}
    ).json()
    seen = [s["id"] for s in page["statements"]]
    while page["more"]:
        _post(lms, statement(actor=learner))  # newer than the first page: not in this listing
        page = client.get(lms.base_url + page["more"]).json()
        seen += [s["id"] for s in page["statements"]]
    assert seen == [s["id"] for s in reversed(first)]


def test_since_and_until_hold_when_stored_times_tie(lms):
    """A batch shares one stored time: since excludes all of it, until includes all of it."""
    learner = _actor()
    batch = [statement(actor=learner) for _ in range(3)]
    _post(lms, batch)
    later = statement(actor=learner)
    _post(lms, later)
    client = lms.client()
    stored = client.get(
        lms.endpoint() + "statements", params={"statementId": batch[1]["id"]}
    ).json()["stored"]
    agent = json.dumps(learner)
    assert set(_ids(lms, agent=agent, until=stored)) == {s["id"] for s in batch}
    assert later["id"] in _ids(lms, agent=agent, since=stored)
    assert not {s["id"] for s in batch} & set(_ids(lms, agent=agent, since=stored))


# --- an older store --------------------------------------------------------------------------


def test_a_schema_4_store_is_upgraded_and_its_statements_read_back(tmp_path):
    """Statements of a store written before the index tables: renumbered in stored-time order
    (they were stored out of order), indexed, and found by every filter."""
    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_4.read_text())
    learner = {"mbox": "mailto:old@example.com"}
    newer, older = statement(actor=learner), statement(actor=learner, verb={"id": PASSED})
    ref = statement(object={"objectType": "StatementRef", "id": older["id"]})
    rows = [(newer, 2_000_000), (older, 1_000_000), (ref, 3_000_000)]
    for seq, (stmt, stored_us) in enumerate(rows, start=1):
        stored = {**stmt, "stored": statement_store.iso_us(stored_us)}
        obj = stmt["object"]
        conn.execute(
            "INSERT INTO statements (seq, mount, id, stored_us, verb_id, object_id, ref_id,"
            " registration, statement, added) VALUES (?, 'default', ?, ?, ?, ?, ?, ?, ?, '')",
            (
                seq,
                stmt["id"],
                stored_us,
                stmt["verb"]["id"],
                obj["id"] if obj.get("objectType", "Activity") == "Activity" else None,
                obj["id"] if obj.get("objectType") == "StatementRef" else None,
                stmt["context"]["registration"],
                json.dumps(stored),
            ),
        )
    conn.execute(
        "INSERT INTO journal (mount, at, method, path, query, request_headers, request_body,"
        " status, response_headers, response_body, verdicts, duration_ms) VALUES ('default',"
        " '2026-01-01', 'POST', '/xapi/default/statements', '', '{}', 'sent', 200, '{}',"
        " 'answered', '[]', 1.5)"
    )
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()

    db = Database(path)
    try:
        assert db.connection().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION

        def ids(**kw) -> list[str]:
            stmts, _, _ = statement_store.query(
                db, "default", Filters(**kw), limit=10, after_seq=None, snapshot=None
            )
            return [s["id"] for s in stmts]

        assert ids() == [ref["id"], newer["id"], older["id"]]  # newest stored first
        assert ids(agent="mbox:mailto:old@example.com") == [ref["id"], newer["id"], older["id"]]
        assert ids(verb=PASSED) == [ref["id"], older["id"]]
        assert ids(since_us=1_500_000) == [ref["id"], newer["id"]]
        assert (
            statement_store.get_one(db, "default", older["id"], voided=False)["id"] == older["id"]
        )
    finally:
        db.close()
    Database(path).close()  # opening it again is a no-op


def test_journal_fields_pack_and_unpack_to_the_same_text():
    fields = ('{"Host": "127.0.0.1:8"}', '{"name": "Zoë ✓"}', "", "[1,\n2]", '[{"verdict": "x"}]')
    packed = journal.pack(fields)
    assert packed[0] == 1  # the dictionary it was packed with
    assert journal.unpack(packed) == fields
    assert len(packed) < sum(len(f) for f in fields)


def test_new_statements_are_stored_packed_and_old_text_rows_still_read(small_store):
    """Statements are packed (a quarter of their JSON), and rows stored as JSON text before
    schema 5 read the same way (statement_store.load takes both)."""
    (value,) = small_store.connection().execute("SELECT statement FROM statements").fetchone()
    assert isinstance(value, bytes)
    stmt = statement_store.load(value)
    assert stmt["actor"] == {"mbox": "mailto:a@example.com"}
    assert len(value) < len(json.dumps(stmt)) / 2
    assert statement_store.load(json.dumps(stmt)) == stmt
