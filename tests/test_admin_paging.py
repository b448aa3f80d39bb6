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


def _busy_admin(busy_answers: int, retry_after: str | None = "0") -> tuple[Flask, list[str]]:
    """An admin API whose journal answers 503 (Retry-After `retry_after`) `busy_answers` times,
    then a page; its journal of requests is the list returned."""
    app, seen = Flask("busy-admin"), []

    @app.route("/api/mounts/<name>/journal", methods=["GET", "POST"])
    def journal(name: str):
        seen.append(request.method)
        if len(seen) <= busy_answers:
            headers = {"Retry-After": retry_after} if retry_after is not None else {}
            return jsonify({"status": 503, "error": "the journal did not catch up"}), 503, headers
        return jsonify({"entries": [{"seq": 1}], "more": False, "next_after": 1})

    return app, seen


@pytest.mark.parametrize(
    ("busy", "retry_after", "read", "asked"),
    [
        (2, "0", True, 3),  # asked again after the time the server names, then read
        (3, "0", True, 4),  # RETRIES (3) more times at most
        (4, "0", False, 4),  # still busy: the 503 is the answer, named
        (1, None, False, 1),  # no Retry-After: not asked again
        (1, "soon", False, 1),  # not a number of seconds: not asked again
    ],
)
def test_a_read_the_server_asks_to_retry_is_asked_again_a_bounded_number_of_times(
    busy, retry_after, read, asked
):
    app, seen = _busy_admin(busy, retry_after)
    with LiveServer(app) as server:
        client = AdminClient(server.base_url, ("admin", "secret"))
        if read:
            assert client.journal("m") == [{"seq": 1}]
        else:
            with pytest.raises(AdminError, match="answered 503 to GET"):
                client.journal("m")
        client.close()
    assert seen == ["GET"] * asked


def test_a_write_answered_503_is_not_sent_again():
    app, seen = _busy_admin(1)
    with LiveServer(app) as server:
        client = AdminClient(server.base_url, ("admin", "secret"))
        assert client.request("POST", "mounts/m/journal").status_code == 503
        client.close()
    assert seen == ["POST"]
