"""`weare-harness serve` as users run it: a real process, durable across restart and kill -9."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import statement
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow


def test_serve_prints_base_url_endpoint_and_api_key(tmp_path):
    with ServeProcess(tmp_path / "lms.db") as server:
        text = "\n".join(server.banner)
        assert server.base_url in text
        assert "/xapi/default/" in text
        assert "API key: qa:s3cret-key" in text
        assert server.client().get(server.endpoint + "about").status_code == 200
        assert server.terminate() == 0


def test_statement_survives_a_clean_restart(tmp_path):
    stmt = statement()
    with ServeProcess(tmp_path / "lms.db") as server:
        assert server.client().post(server.endpoint + "statements", json=stmt).status_code == 200
        assert server.terminate() == 0
    with ServeProcess(tmp_path / "lms.db") as server:
        got = server.client().get(
            server.endpoint + "statements", params={"statementId": stmt["id"]}
        )
        assert got.status_code == 200
        assert got.json()["id"] == stmt["id"]


def test_accepted_statement_survives_kill_9(tmp_path):
    stmts = [statement() for _ in range(20)]
    with ServeProcess(tmp_path / "lms.db") as server:
        client = server.client()
        for s in stmts:
            assert client.post(server.endpoint + "statements", json=s).status_code == 200
        server.kill()
    with ServeProcess(tmp_path / "lms.db") as server:
        body = server.client().get(server.endpoint + "statements", params={"limit": 100}).json()
        assert sorted(s["id"] for s in body["statements"]) == sorted(s["id"] for s in stmts)


def test_eight_threads_posting_2000_statements_store_each_once(tmp_path):
    stmts = [statement() for _ in range(2000)]
    with ServeProcess(tmp_path / "lms.db") as server:

        def worker(chunk: list[dict]) -> list[int]:
            client = server.client()
            return [client.post(server.endpoint + "statements", json=s).status_code for s in chunk]

        with ThreadPoolExecutor(8) as pool:
            statuses = [c for r in pool.map(worker, [stmts[i::8] for i in range(8)]) for c in r]
        assert statuses == [200] * 2000
        server.terminate()
    import sqlite3

    conn = sqlite3.connect(tmp_path / "lms.db")
    ids = [r[0] for r in conn.execute("SELECT id FROM statements")]
    assert len(ids) == 2000
    assert set(ids) == {s["id"] for s in stmts}


def test_bad_api_key_flag_exits_2_with_one_line(tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "serve",
            "--api-key",
            "nocolon",
            "--db",
            str(tmp_path / "x.db"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "USER:SECRET" in r.stderr


def test_launch_prints_json_with_endpoint_and_launch_url(tmp_path):
    with ServeProcess(tmp_path / "lms.db") as server:
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "harness",
                "launch",
                "--lms",
                server.base_url,
                "--api-key",
                server.api_key,
                "--au-url",
                "http://127.0.0.1:9/story?x=1",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert r.returncode == 0, r.stderr
        launch = json.loads(r.stdout)
        assert launch["endpoint"] == server.endpoint
        assert launch["launch_url"].startswith("http://127.0.0.1:9/story?x=1&endpoint=")
        assert uuid.UUID(launch["registration"])


def test_launch_without_reachable_lms_exits_2(tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "launch",
            "--lms",
            "http://127.0.0.1:9",
            "--api-key",
            "a:b",
            "--au-url",
            "http://127.0.0.1:9/story",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2
    assert "cannot reach" in r.stderr
