"""Evidence is read whole, page by page, or the scenario errors: never judged on a part of it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask, jsonify, request

from fake_lms.client import MAX_PAGES, PAGE_SIZE, AdminClient, AdminError
from fake_lms.live import LiveServer
from harness.bench import Bench
from harness.runner import Runner
from harness.scenarios import discover
from tests.factories import statement

STATEMENTS = 1200  # more than the old 1,000-statement cap
REQUESTS = 600  # more than the old 500-entry journal cap


@pytest.fixture(scope="module")
def bench() -> Iterator[Bench]:
    with Bench() as b:
        yield b


def _scenario(key: str = "precedence-endpoint-url-fetch-key"):
    return next(s for s in discover() if s.id == key)


def test_evidence_of_a_scenario_is_read_past_the_old_caps(bench):
    prepared = bench.prepare(_scenario(), 0)
    user, secret = prepared.keys["launch"]
    session = bench.lms.client(auth=(user, secret))
    url = bench.lms.endpoint(prepared.mounts["launch"]) + "statements"
    started = time.monotonic()
    for _ in range(REQUESTS):
        pair = [statement(), statement()]
        assert session.post(url, json=pair, timeout=10).status_code == 200
    session.close()

    evidence = bench.evidence(prepared, {})

    assert len(evidence.statement_requests("launch")) == REQUESTS
    assert len(evidence.received("launch")) == STATEMENTS
    assert len(evidence.stored["launch"]) >= STATEMENTS  # the LMS's own statements too
    assert time.monotonic() - started < 60


def test_isolated_lms_reads_every_statement_and_entry(fake_lms):
    session = fake_lms.client("configured")
    url = fake_lms.endpoint("configured") + "statements"
    for _ in range(REQUESTS):
        assert session.post(url, json=[statement(), statement()], timeout=10).status_code == 200
    session.close()

    assert len(fake_lms.journal("configured")) == REQUESTS
    assert len(fake_lms.stored_statements("configured")) == STATEMENTS
    assert len(fake_lms.statements("configured")) == STATEMENTS


def test_admin_pages_say_whether_more_remain_and_where_to_go_on(lms):
    session = lms.client()
    for _ in range(3):
        session.post(lms.endpoint() + "statements", json=statement(), timeout=10)

    first = lms.admin("GET", "mounts/default/statements", params={"limit": 2}).json()
    rest = lms.admin(
        "GET", "mounts/default/statements", params={"after": first["next_after"], "limit": 2}
    ).json()
    journal = lms.admin("GET", "mounts/default/journal", params={"limit": 2}).json()

    assert (len(first["statements"]), first["more"]) == (2, True)
    assert (len(rest["statements"]), rest["more"]) == (1, False)
    assert (len(journal["entries"]), journal["more"]) == (2, True)
    assert journal["next_after"] == journal["entries"][-1]["seq"]
    for bad in ("0", "5001", "x"):
        answer = lms.admin("GET", "mounts/default/journal", params={"limit": bad})
        assert answer.status_code == 400, bad


# -- a wrong admin API: the read fails loudly -------------------------------------------------


def _broken_admin(kind: str) -> Flask:
    app = Flask("broken-admin")

    @app.get("/api/mounts/<name>/journal")
    def journal(name: str):
        after = int(request.args.get("after", 0))
        if kind == "stuck":
            return jsonify({"entries": [{"seq": 1}], "more": True, "next_after": 0})
        if kind == "fails" and after > 0:
            return jsonify({"status": 500, "error": "database is locked"}), 500
        return jsonify({"entries": [{"seq": after + 1}], "more": True, "next_after": after + 1})

    return app


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("stuck", "cursor does not advance"),
        ("fails", "page 2: the fake LMS answered 500"),
        ("endless", "more than 5 pages"),
    ],
)
def test_a_journal_that_cannot_be_read_whole_raises(kind, message):
    with LiveServer(_broken_admin(kind)) as server:
        client = AdminClient(server.base_url, ("admin", "secret"), max_pages=5)
        with pytest.raises(AdminError, match=message):
            client.journal("m")
        client.close()


def test_a_scenario_whose_evidence_is_cut_short_errors(bench):
    bench.admin.page_size, bench.admin.max_pages = 1, 1
    try:
        [result] = Runner([_scenario()], bench=bench).run()
    finally:
        bench.admin.page_size, bench.admin.max_pages = PAGE_SIZE, MAX_PAGES

    assert result.status == "error"
    assert "cannot be read whole: more than 1 pages" in result.message
