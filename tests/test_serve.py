"""`weare-harness serve` as users run it: a real process, durable across restart and kill -9."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from requests import Response

from harness.queue_log import QueueDepthNote
from tests.cmi5_au import AU
from tests.factories import statement
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow


def harness_cli(*args: str, **options: object) -> subprocess.CompletedProcess[str]:
    """`weare-harness ARGS` as a real process, its output as text."""
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        timeout=30,
        **options,  # type: ignore[call-overload]
    )


def test_serve_prints_base_url_endpoint_and_api_key(tmp_path):
    with ServeProcess(tmp_path / "lms.db") as server:
        text = "\n".join(server.banner)
        assert server.base_url in text
        assert "/xapi/default/" in text
        assert "API key: qa:s3cret-key" in text
        # What to paste into We Are's integration settings: the API URL and the Basic key.
        paste = base64.b64encode(b"qa:s3cret-key").decode()
        assert f"in We Are: API URL {server.endpoint}  API key {paste}" in text
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
    r = harness_cli("serve", "--api-key", "nocolon", "--db", str(tmp_path / "x.db"))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "USER:SECRET" in r.stderr


def test_launch_prints_json_with_endpoint_and_launch_url(tmp_path):
    with ServeProcess(tmp_path / "lms.db") as server:
        r = harness_cli(
            "launch",
            "--lms",
            server.base_url,
            "--api-key",
            server.api_key,
            "--au-url",
            "http://127.0.0.1:9/story?x=1",
            "--json",
        )
        assert r.returncode == 0, r.stderr
        launch = json.loads(r.stdout)
        assert launch["endpoint"] == server.endpoint
        assert launch["launch_url"].startswith("http://127.0.0.1:9/story?x=1&endpoint=")
        assert uuid.UUID(launch["registration"])


# The commands that talk to a running fake LMS, each with its arguments besides --lms.
LMS_CLIENTS = [
    ("launch", "--api-key", "a:b", "--au-url", "http://127.0.0.1:9/story"),
    ("au", "register", "--api-key", "a:b", "--url", "http://127.0.0.1:9/story"),
    ("course", "import", "--api-key", "a:b", "cmi5.xml"),
]


@pytest.mark.parametrize("command", LMS_CLIENTS, ids=lambda c: " ".join(c[:2]))
def test_lms_client_without_reachable_lms_exits_2(tmp_path, command):
    (tmp_path / "cmi5.xml").write_text("<courseStructure/>")
    r = harness_cli(*command, "--lms", "http://127.0.0.1:9", cwd=tmp_path)
    assert r.returncode == 2
    assert "cannot reach" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr  # one line, naming the fix
    assert "is `weare-harness serve` running there?" in r.stderr


@pytest.mark.parametrize("lms", ["127.0.0.1:8080", "ftp://127.0.0.1/", "http:///x"])
@pytest.mark.parametrize("command", LMS_CLIENTS, ids=lambda c: " ".join(c[:2]))
def test_lms_url_without_http_scheme_exits_2_with_one_line(command, lms):
    r = harness_cli(*command, "--lms", lms)
    assert r.returncode == 2
    [line] = r.stderr.strip().splitlines()
    assert "argument --lms: must be an absolute http(s) URL" in line
    assert repr(lms) in line
    assert "InvalidSchema" not in line and "MissingSchema" not in line


# --- serve --mode: what a mount does with a cmi5 violation -------------------------------------

STORY = "http://127.0.0.1:9/story/index.html"


def _completed_before_initialized(server: ServeProcess, mount: str = "default") -> Response:
    """A conformant start (fetch, LaunchData, preferences), then Completed without Initialized:
    cmi5 rejection-table row 4 (9.3.0.0-4), the rule We Are's documented flow also breaks."""
    launched = server.client().post(
        server.base_url + "/api/launches", json={"au_url": STORY, "mount": mount}, timeout=10
    )
    assert launched.status_code == 201, launched.text
    au = AU(launched.json()["launch_url"])
    assert au.endpoint == f"{server.base_url}/xapi/{mount}/"
    au.start()
    stmt = au.statement("completed", result={"completion": True, "duration": "PT1M"}, moveon=True)
    return au.http.post(au.endpoint + "statements", json=stmt, timeout=10)


def _journaled_violations(server: ServeProcess, mount: str = "default") -> list[dict]:
    journal = server.client().get(f"{server.base_url}/api/mounts/{mount}/journal", timeout=10)
    assert journal.status_code == 200, journal.text
    return [
        v
        for e in journal.json()["entries"]
        if e["method"] == "POST" and e["path"].endswith("/statements")
        for v in e["verdicts"]
        if "cmi5" in v
    ]


def _mount_banner(server: ServeProcess, name: str) -> list[str]:
    """The banner's three lines for one mount: endpoint, mode, quirks."""
    head = f"  xAPI endpoint (mount {name!r}): {server.base_url}/xapi/{name}/"
    assert head in server.banner, server.banner
    at = server.banner.index(head)
    return [line.strip() for line in server.banner[at : at + 3]]


def test_default_serve_enforces_cmi5_and_says_so(tmp_path):
    with ServeProcess(tmp_path / "lms.db") as server:
        assert _mount_banner(server, "default") == [
            f"xAPI endpoint (mount 'default'): {server.endpoint}",
            "mode: enforce (cmi5 violations refused with 403 and the requirement id)",
            "quirks: none",
        ]
        r = _completed_before_initialized(server)
        assert r.status_code == 403, r.text
        assert r.json()["requirement"] == "9.3.0.0-4"
        [verdict] = _journaled_violations(server)
        assert verdict["verdict"] == "refused"
        assert server.terminate() == 0


def test_serve_mode_observe_accepts_the_violation_and_journals_it(tmp_path):
    with ServeProcess(tmp_path / "lms.db", "--mode", "observe") as server:
        assert _mount_banner(server, "default")[1:] == [
            "mode: observe (cmi5 violations accepted and journaled)",
            "quirks: none",
        ]
        r = _completed_before_initialized(server)
        assert r.status_code == 200, r.text
        [verdict] = _journaled_violations(server)
        assert verdict["verdict"] == "violation (observed)"
        assert verdict["cmi5"][0]["requirement"] == "9.3.0.0-4"
        assert verdict["cmi5"][0]["row"] == 4
        assert server.terminate() == 0


def test_mode_applies_to_every_mount_unless_its_spec_names_one(tmp_path):
    args = ("--mode", "observe", "--mount", "strict=enforce:vendor:pw", "--mount", "loose")
    quirk = ("--quirk", "preflight-without-version-header")
    with ServeProcess(tmp_path / "lms.db", *args, *quirk) as server:
        assert _mount_banner(server, "strict")[1:] == [
            "mode: enforce (cmi5 violations refused with 403 and the requirement id)",
            "quirks: preflight-without-version-header (server-wide)",
        ]
        assert _mount_banner(server, "loose")[1] == (
            "mode: observe (cmi5 violations accepted and journaled)"
        )
        assert _completed_before_initialized(server, "strict").status_code == 403
        assert _completed_before_initialized(server, "loose").status_code == 200
        assert _completed_before_initialized(server, "default").status_code == 200
        mounts = {
            m["name"]: m["mode"]
            for m in server.client().get(server.base_url + "/api/mounts").json()
        }
        assert mounts == {"default": "observe", "strict": "enforce", "loose": "observe"}


def test_banner_and_api_show_server_wide_quirks_and_credential_users(tmp_path):
    args = ("--mount", "strict=enforce:vendor:pw-secret", "--mount", "loose")
    quirks = ("--quirk", "no-version-header", "--quirk", "mbox-actor")
    with ServeProcess(tmp_path / "lms.db", *args, *quirks) as server:
        client = server.client()
        patched = client.patch(
            server.base_url + "/api/mounts/loose", json={"quirks": ["fetch-get-only"]}
        )
        assert patched.status_code == 200, patched.text
        described = {m["name"]: m for m in client.get(server.base_url + "/api/mounts").json()}
        assert described["strict"]["quirks"] == ["no-version-header", "mbox-actor"]
        assert described["strict"]["mount_quirks"] == []
        assert described["loose"]["quirks"] == ["no-version-header", "mbox-actor", "fetch-get-only"]
        assert described["loose"]["mount_quirks"] == ["fetch-get-only"]
        at = server.banner.index(
            f"  xAPI endpoint (mount 'strict'): {server.base_url}/xapi/strict/"
        )
        assert [line.strip() for line in server.banner[at + 2 : at + 5]] == [
            "quirks: no-version-header (server-wide), mbox-actor (server-wide)",
            "xAPI version: 1.0.3 (an xAPI 1.0.3 LRS; requests in 2.0.0 are served by the 2.0.0 rules)",
            "credentials: vendor, qa (server-wide)",
        ]
        assert "pw-secret" not in "\n".join(server.banner)
        assert server.terminate() == 0


def test_port_in_use_exits_2_naming_it(tmp_path):
    with ServeProcess(tmp_path / "lms.db") as server:
        taken = server.base_url.rsplit(":", 1)[1]
        r = harness_cli("serve", "--port", taken, "--db", str(tmp_path / "b.db"))
        assert r.returncode == 2
        [line] = r.stderr.strip().splitlines()
        assert f"cannot listen on 127.0.0.1:{taken}" in line


def test_a_stored_mount_takes_the_mode_given_now_and_the_banner_says_it_changed(tmp_path):
    db = tmp_path / "lms.db"
    with ServeProcess(db) as server:
        client = server.client()
        patched = client.patch(
            server.base_url + "/api/mounts/default", json={"quirks": ["no-cors-preflight"]}
        )
        assert patched.status_code == 200, patched.text
        assert client.post(server.base_url + "/api/mounts", json={"name": "old"}).status_code == 201
        assert server.terminate() == 0
    with ServeProcess(db, "--mode", "observe") as server:
        assert _mount_banner(server, "default")[1:] == [
            "mode: observe (cmi5 violations accepted and journaled; was enforce in this store)",
            "quirks: no-cors-preflight",
        ]
        old = "  xAPI endpoint (mount 'old', kept in the store from an earlier run): "
        assert old + f"{server.base_url}/xapi/old/" in server.banner
        assert _completed_before_initialized(server).status_code == 200
        assert server.terminate() == 0
    with ServeProcess(db) as server:
        assert "was observe in this store" in _mount_banner(server, "default")[1]
        assert _completed_before_initialized(server).status_code == 403


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--mode", "strict"), "argument --mode: invalid choice: 'strict'"),
        (("--mount", "obs=strict"), "--mount obs=strict: mode 'strict' is not one of"),
        (("--mount", "obs", "--mount", "obs"), "--mount obs is given twice"),
        (("--xapi-version", "2.0"), "argument --xapi-version: invalid choice: '2.0'"),
        (("--port", "99999"), "argument --port: port must be 0-65535 (0 picks a free one)"),
        (("--port", "-1"), "argument --port: port must be 0-65535"),
        (("--port", "http"), "argument --port: port must be a number, got 'http'"),
        (("--quirk", "no-cors-preflite"), "did you mean 'no-cors-preflight'?"),
        (("--bogus",), "serve: unrecognized arguments: --bogus (run `weare-harness serve --help`"),
        (
            ("--xapi-version", "1.0.3", "--quirk", "xapi-2-only"),
            "--xapi-version: xapi_version 1.0.3 contradicts the quirk xapi-2-only",
        ),
    ],
)
def test_bad_mode_exits_2_with_the_reason(tmp_path, args, reason):
    r = harness_cli("serve", "--db", str(tmp_path / "x.db"), *args)
    assert r.returncode == 2
    [line] = r.stderr.strip().splitlines()  # one line: no usage block, no traceback
    assert reason in line, r.stderr
    assert not (tmp_path / "x.db").exists()


# --- --help: defaults, environment, exit codes and an example for every subcommand ------------

SUBCOMMANDS = [
    "run",
    "serve",
    "launch",
    "au",
    "au register",
    "course",
    "course import",
    "certify",
    "quirks",
    "doctor",
    "scenarios",
    "scenarios validate",
    "scenarios new",
    "load",
    "mutants",
    "report",
    "report open",
]


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_each_help_names_exit_codes_and_an_example(command):
    r = harness_cli(*command.split(), "--help")
    assert r.returncode == 0, r.stderr
    assert "exit codes: 0 all good, 1 checks failed, 2 usage or environment error" in r.stdout
    assert f"example:\n  weare-harness {command.split()[0]}" in r.stdout


def test_serve_help_lists_defaults_and_the_environment_it_reads():
    r = harness_cli("serve", "--help")
    text = " ".join(r.stdout.split())  # argparse wraps lines
    assert "address to listen on (default: 127.0.0.1)" in text
    assert "(0 picks a free one) (default: 8080)" in text
    assert "SQLite file (default: .harness/lms.db)" in text
    assert "environment: WEARE_HARNESS_API_KEY" in text
    assert "(default: None)" not in text and "(default: [])" not in text


# --- waitress's queue-depth warnings -----------------------------------------------------------


def test_queue_depth_warnings_become_one_explained_line_per_interval():
    clock = [100.0]
    logger = logging.getLogger("test.waitress.queue")
    logger.propagate = False
    logger.addFilter(QueueDepthNote(threads=4, interval=60, clock=lambda: clock[0]))
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logger.addHandler(handler)
    for depth in (1, 2, 3):  # a burst: only the first is said
        logger.warning("Task queue depth is %d", depth)
    clock[0] += 61
    logger.warning("Task queue depth is %d", 7)
    logger.warning("something else")
    assert seen == [
        "1 request waiting for one of the 4 worker threads; they are answered in turn (busy, "
        "not broken). Raise --threads if this persists (said at most once every 60 s)",
        "7 requests waiting for one of the 4 worker threads; they are answered in turn (busy, "
        "not broken). Raise --threads if this persists (said at most once every 60 s)",
        "something else",
    ]


def test_serve_under_a_burst_says_the_queue_note_not_bare_depths(tmp_path):
    args = ("--threads", "1", "--quirk", "slow-responses")
    with ServeProcess(tmp_path / "lms.db", *args) as server:
        url = server.endpoint + "about"
        with ThreadPoolExecutor(3) as pool:
            codes = list(
                pool.map(lambda _: server.client().get(url, timeout=30).status_code, range(3))
            )
        assert codes == [200, 200, 200]
        assert server.terminate() == 0
        err = server.proc.stderr.read()
    assert "Task queue depth" not in err
    assert err.count("waiting for one of the 1 worker thread;") == 1, err
