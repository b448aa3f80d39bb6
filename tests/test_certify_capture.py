"""`certify --capture` end to end, the test playing the vendor.

Real parts only: `weare-harness serve` (a subprocess; enforcing by default, with an observing
mount and an observing mount under the `no-cors-preflight` quirk), three `certify --capture`
subprocesses on free ports (started together), their course packages imported with
`weare-harness course import` (which validates them against the cmi5 XSD and import rules), a
launch of the AU through the admin API as an LMS makes it for a learner, and the launch URL opened
in one Chromium. Each certify must finish with the verdict the LMS deserves, show it on the page
and leak no token. The page with its verdict and the report are screenshotted for the docs.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from fake_lms.redact import KnownSecrets
from fake_lms.secret_hash import digest_with
from harness.browser import launch_chromium
from harness.certify.capture.server import CaptureServer
from harness.certify.capture.session import CaptureError, CaptureSession
from harness.cli import main
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "reports" / "screenshots"
API_KEY = "qa:s3cret-key"
SESSION_VERBS = ("initialized", "completed", "terminated")
WAIT_MS = 60_000
CASES = {  # case -> the serve mount its launches use, and how many launches
    "observe": ("observe", 2),
    "no-preflight": ("nocors", 1),
    "enforce": ("default", 1),
    "api-key": ("observe", 1),  # launched without endpoint and fetch: We Are's API URL and key
}
NO_CMI5 = {"profile": "weare", "omit": ["endpoint", "fetch"]}


def harness(*args: str, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


class Capture:
    """One `certify --capture` subprocess and what it printed."""

    def __init__(self, report_dir: Path, *extra: str) -> None:
        self.report_dir = report_dir
        self.proc = harness(
            "certify", "--capture", "--port", "0", "--timeout", "60",
            "--report-dir", str(report_dir), *extra,
        )  # fmt: skip
        self.lines: list[str] = []
        self.page_url = self.package = ""

    def read_banner(self) -> Capture:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (self.page_url and self.package):
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip())
            if found := re.search(r"capture page .*: (http://\S+)", line):
                self.page_url = found.group(1)
            if found := re.search(r"cmi5 course package .*: (\S+\.zip)", line):
                self.package = found.group(1)
        assert self.page_url and self.package, (self.lines, self.proc.stderr)
        return self

    def finish(self) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, "\n".join(self.lines) + out, err


def wait_for(page, name: str, capture: Capture) -> None:
    """Until the page sets `name` (a bound for a loaded machine, not a speed check)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(f"{name} !== undefined", timeout=WAIT_MS)
    except PlaywrightTimeout:
        capture.proc.kill()
        _, err = capture.proc.communicate(timeout=10)
        raise AssertionError(f"no {name}: {page.inner_text('body')}\ncertify: {err}") from None


@pytest.fixture(scope="module")
def lms(tmp_path_factory) -> Iterator[ServeProcess]:
    db = tmp_path_factory.mktemp("capture-lms") / "lms.db"
    with ServeProcess(
        db, "--no-story", "--mount", "observe=observe", "--mount", "nocors=observe"
    ) as serve:
        answer = serve.client().patch(
            serve.base_url + "/api/mounts/nocors", json={"quirks": ["no-cors-preflight"]}
        )
        assert answer.status_code == 200, answer.text
        yield serve


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def early(tmp_path_factory) -> Iterator[dict[str, Capture]]:
    """The certify processes that need nothing from serve, started before it and Chromium."""
    base = tmp_path_factory.mktemp("capture")
    captures = {
        case: Capture(base / case, "--launches", str(n))
        for case, (_, n) in CASES.items()
        if case != "api-key"
    }
    yield captures
    for capture in captures.values():
        if capture.proc.poll() is None:
            capture.proc.kill()
            capture.proc.communicate(timeout=10)


@pytest.fixture(scope="module")
def runs(early, lms, browser, tmp_path_factory) -> dict[str, dict]:
    """Each case played once, the certify processes started together."""
    captures = dict(early)
    captures["api-key"] = Capture(
        tmp_path_factory.mktemp("capture-api-key"),
        "--endpoint", f"{lms.base_url}/xapi/observe/", "--api-key", API_KEY,
    )  # fmt: skip
    for capture in captures.values():
        capture.read_banner()
    imported = harness(
        "course", "import", "--lms", lms.base_url, "--api-key", API_KEY,
        captures["enforce"].package,
    )  # fmt: skip
    results: dict[str, dict] = {}
    for case, capture in captures.items():
        if case == "enforce":
            out, err = imported.communicate(timeout=30)
            assert imported.returncode == 0, err
            course = json.loads(out)
        else:  # the route `course import` calls, without one more interpreter start
            answer = lms.client().post(
                f"{lms.base_url}/api/courses?filename={Path(capture.package).name}",
                data=Path(capture.package).read_bytes(),
                headers={"Content-Type": "application/octet-stream"},
            )
            assert answer.status_code == 201, answer.text
            course = answer.json()
        mount, count = CASES[case]
        for _ in range(count):  # each launch as an LMS makes it for the learner, in a window
            answer = lms.client().post(
                f"{lms.base_url}/api/courses/{course['id']}/aus/0/launches",
                json={"mount": mount, **(NO_CMI5 if case == "api-key" else {})},
            )
            assert answer.status_code == 201, answer.text
            launch_url = answer.json()["launch_url"]
            page = browser.new_page(viewport={"width": 900, "height": 900})
            page.goto(launch_url)
            wait_for(page, "window.weareCapturePlayed", capture)
        wait_for(page, "window.weareCaptureDone", capture)
        code, out, err = capture.finish()
        results[case] = {
            "capture": capture,
            "course": course,
            "launch_url": launch_url,
            "code": code,
            "out": out,
            "err": err,
            "page_text": page.inner_text("body"),
            "page_html": page.content(),
            "results": json.loads((capture.report_dir / "results.json").read_text()),
            "page": page,
        }
    yield results
    for run in results.values():
        run["page"].close()


def checks(run: dict) -> dict[str, dict]:
    return {c["id"]: c for c in run["results"]["checks"]}


def test_package_is_one_own_window_au_at_the_capture_page(runs) -> None:
    run = runs["observe"]
    with zipfile.ZipFile(run["capture"].package) as archive:
        assert archive.namelist() == ["cmi5.xml"]
    (au,) = run["course"]["aus"]
    assert au["url"] == run["capture"].page_url
    assert au["launch_method"] == "OwnWindow"


def test_observe_mode_lms_works_both_ways_in_the_browser(runs) -> None:
    run = runs["observe"]
    assert run["code"] == 0, run["err"]
    behaviours = run["results"]["behaviours"]
    assert behaviours["weare-documented"]["verdict"] == "works", behaviours
    assert behaviours["cmi5-full"]["verdict"] == "works", behaviours
    found = checks(run)
    for check_id in (
        "fetch.token",
        "fetch.single-use",
        "fetch.get-refused",
        "statement.completed",
        "statement.read-back",
        "cmi5.session",
        "cors.preflight",
    ):
        assert found[check_id]["status"] == "pass", found[check_id]
    labels = [e["label"] for e in found["statement.completed"]["exchanges"]]
    assert labels == ["in the browser: POST completed statement"]
    labels = [e["label"] for e in found["cmi5.session"]["exchanges"]]
    assert labels == [f"in the browser: POST {v} statement" for v in SESSION_VERBS]
    assert run["results"]["cmi5_launch"] == 2  # the full flow had a session of its own
    capture = run["results"]["capture"]
    assert [x["phases"] for x in capture["launches"]] == [
        ["fetch", "documented"],
        ["fetch", "cmi5-start", "cmi5-end"],
    ]
    assert "WORKS" in run["page_text"]
    assert "  launch 2 of 2 arrived" in run["out"]  # the console follows as the page does


def test_one_launch_skips_get_refusal_with_the_reason(runs) -> None:
    found = checks(runs["enforce"])
    assert found["fetch.get-refused"]["status"] == "skipped"
    assert "--launches 2" in found["fetch.get-refused"]["detail"]
    assert runs["enforce"]["results"]["cmi5_launch"] == 1


def test_lms_without_cors_preflight_will_not_work_naming_the_preflight(runs) -> None:
    run = runs["no-preflight"]
    assert run["code"] == 1, run["err"]
    behaviours = run["results"]["behaviours"]
    for name in ("weare-documented", "cmi5-full"):
        assert behaviours[name]["verdict"] == "will-not-work"
        assert "cors.preflight" in behaviours[name]["blockers"], behaviours[name]
    found = checks(run)
    assert found["cors.preflight"]["status"] == "fail"
    # the advice comes from the preflight's missing CORS headers, not from its 404
    assert found["cors.preflight"]["advice"]["cause"] == "cors-missing"
    assert "Access-Control-Allow-Headers" in found["cors.preflight"]["how_to_fix"]
    # the page's own fetch got no answer the browser would hand it: said so, not "no connection"
    assert found["fetch.token"]["advice"]["cause"] == "blocked-in-browser"
    assert "in the browser" in found["fetch.token"]["exchanges"][0]["label"]
    assert "preflight" in run["page_text"].lower()


def test_enforcing_lms_refuses_documented_flow_and_accepts_cmi5_full(runs, browser) -> None:
    run = runs["enforce"]
    assert run["code"] == 0, run["err"]
    behaviours = run["results"]["behaviours"]
    assert behaviours["weare-documented"]["verdict"] == "will-not-work"
    assert behaviours["cmi5-full"]["verdict"] == "works"
    assert "11.0.0.0-3" in run["results"]["summary"]
    assert "11.0.0.0-3" in run["page_text"]
    # the page's headline and exit code are the report's: never plain WORKS here
    assert run["results"]["verdict"] == "works-only-with-cmi5-full"
    assert "WORKS ONLY WITH THE FULL cmi5 FLOW" in run["page_text"]
    assert "requirement met (--require any" in run["page_text"]
    assert run["results"]["meta"]["command"].startswith("weare-harness certify --capture")
    assert run["results"]["meta"]["driver"] != "http"
    assert main(["certify", "--verify", str(run["capture"].report_dir)]) == 0  # intact
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    run["page"].screenshot(  # the verdict, what to fix and the first checks
        path=str(SCREENSHOTS / "certify-capture.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 900, "height": 1500},
    )
    run["page"].set_viewport_size({"width": 375, "height": 800})  # a phone: no sideways scroll
    assert run["page"].evaluate("document.documentElement.scrollWidth") <= 375
    report = browser.new_page(viewport={"width": 1000, "height": 1400})
    report.goto((run["capture"].report_dir / "report.html").as_uri())
    report.screenshot(path=str(SCREENSHOTS / "certify-capture-report.png"))
    report.close()


def test_launch_without_fetch_uses_the_configured_api_key_in_the_browser(runs) -> None:
    """Content registered as an external URL: no endpoint or fetch; We Are's API URL and key."""
    run = runs["api-key"]
    assert run["code"] == 0, run["err"]
    behaviours = run["results"]["behaviours"]
    documented = behaviours["weare-documented"]
    assert documented["verdict"] == "works-with-warnings", documented
    assert documented["blockers"] == []
    assert documented["warnings"][0] == "launch.required-parameters"  # endpoint, fetch absent
    assert behaviours["cmi5-full"]["verdict"] == "not-tested"
    assert "no fetch parameter" in behaviours["cmi5-full"]["reason"]
    assert run["results"]["credentials"] == "api-key"
    found = checks(run)
    assert found["statement.completed"]["status"] == "pass"
    assert found["statement.completed"]["exchanges"][0]["label"].startswith("in the browser")
    assert found["fetch.token"]["status"] == "skipped"
    secret = API_KEY.split(":")[1]
    key = base64.b64encode(API_KEY.encode()).decode()
    for path in run["capture"].report_dir.iterdir():
        if path.suffix in (".json", ".html", ".xml"):
            assert secret not in path.read_text() and key not in path.read_text(), path.name
    assert secret not in run["page_html"] and key not in run["page_html"]


def handed_out_tokens(db: Path) -> tuple[int, KnownSecrets]:
    """How many sessions the fake LMS made, and a finder of their tokens in any text (raw, or as
    the fetch URL hands them out): the store keeps their digests, not the tokens."""
    with sqlite3.connect(db) as conn:
        digests = [token for (token,) in conn.execute("SELECT token FROM sessions")]
        key = conn.execute("SELECT value FROM store_meta WHERE name = 'token-key'").fetchone()[0]
    finder = KnownSecrets()
    finder.add_digests(digest_with(bytes.fromhex(key)), digests)
    return len(digests), finder


def test_no_token_on_the_page_or_in_the_reports(runs, lms) -> None:
    sessions, tokens = handed_out_tokens(lms.db)
    assert sessions == 5  # five launches
    for case, run in runs.items():
        fetch = dict(parse_qsl(urlsplit(run["launch_url"]).query)).get("fetch", "")
        capability = fetch.rstrip("/").rsplit("/", 1)[-1] or "no fetch URL"
        texts = {
            "page": run["page_html"],
            "stdout": run["out"],
            **{
                path.name: path.read_text()
                for path in run["capture"].report_dir.iterdir()
                if path.suffix in (".json", ".html", ".xml")
            },
        }
        secret = urlsplit(run["capture"].page_url).path.strip("/")  # printed, never reported
        assert len(secret) >= 32 and secret in run["out"]
        for where, text in texts.items():
            assert where == "stdout" or secret not in text, f"{case}: the capture secret in {where}"
            assert capability not in text, f"{case}: the fetch URL's capability in {where}"
            assert tokens.redact(text) == text, f"{case}: a session token in {where}"
            leaked = re.findall(r'auth-token\\?"\s*:\s*\\?"(?!\[redacted)([^"\\]+)', text)
            assert not leaked, f"{case}: an auth-token in {where}: {leaked[:1]}"
            assert not re.search(r"Basic [A-Za-z0-9+/=]{12,}", text), f"{case}: {where}"


def test_no_launch_within_the_timeout_exits_2_with_one_line(tmp_path, capsys) -> None:
    code = main(
        ["certify", "--capture", "--port", "0", "--timeout", "0.3", "--report-dir", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "no launch arrived within 0.3 s" in err
    assert (tmp_path / "weare-certify-course.zip").is_file()


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (("--port", "70000"), "port must be 0-65535"),
        (("--public-url", "ftp://x"), "absolute http(s) URL"),
        (("--launches", "0"), "must be 1 or more"),
        (("--timeout", "0"), "--timeout must be positive"),
        (("--launch-url", "http://127.0.0.1:1/?a=b"), "drop --launch-url"),
        (("--host", "0.0.0.0"), "needs --public-url"),
        (("--endpoint", "http://127.0.0.1:1/xapi/"), "--endpoint and --api-key go together"),
    ],
)
def test_bad_flags_exit_2_with_one_line(flags, says, tmp_path, capsys) -> None:
    try:
        code = main(["certify", "--capture", "--report-dir", str(tmp_path), *flags])
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert says in err


def test_port_taken_exits_2_with_one_line(tmp_path, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code = main(["certify", "--capture", "--port", port, "--report-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err


def test_capture_page_opened_by_hand_reports_nothing() -> None:
    """Without a launch query the page says to launch it from the LMS; the API refuses junk."""
    session = CaptureSession(launches=1, request_timeout=5, page_url="")
    with CaptureServer(session, host="127.0.0.1", port=0) as server:
        page = requests.get(server.page_url, timeout=5)
        assert page.status_code == 200
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert 'src="story.js" data-library' in page.text
        status = requests.get(server.page_url + "api/status", timeout=5).json()
        assert status["state"] == "waiting"
        assert status["launches"] == {"expected": 1, "arrived": 0}
        junk = requests.post(server.page_url + "api/launches", json={"launch_url": "x"}, timeout=5)
        assert junk.status_code == 400
        early = requests.post(server.page_url + "api/launches/1/phases/fetch", json={}, timeout=5)
        assert early.status_code == 404


def test_capture_api_takes_odd_reports_without_a_5xx() -> None:
    """What the page reports comes from a browser: odd shapes are read or refused, never a 500."""
    session = CaptureSession(launches=1, request_timeout=5, page_url="")
    with CaptureServer(session, host="127.0.0.1", port=0) as server:
        api = server.page_url + "api/launches"
        opened = requests.post(api, json={"launch_url": "http://127.0.0.1:1/?x=1"}, timeout=5)
        assert opened.status_code == 201, opened.text
        odd = {"status": True, "url": 5, "ms": "x", "request_headers": {"a": 1}, "body": None}
        fetch = requests.post(
            f"{api}/1/phases/fetch", json={"steps": [odd], "authorization": 7}, timeout=5
        )
        assert fetch.status_code == 200, fetch.text
        assert (
            requests.post(f"{api}/1/phases/documented", json={"steps": "x"}, timeout=5).status_code
            == 400
        )
        assert (
            requests.post(f"{api}/1/phases/cmi5-start", json={"steps": []}, timeout=5).status_code
            == 409
        )
        assert (
            requests.post(f"{api}/1/phases/nope", json={"steps": []}, timeout=5).status_code == 404
        )
        assert requests.post(f"{api}/1/phases/documented", data="[", timeout=5).status_code == 400
        assert requests.get(server.page_url + "api/status", timeout=5).status_code == 200


def test_certify_waits_for_each_page_to_say_it_shows_the_verdict() -> None:
    """Reading the status is not enough to release certify: the answer may still be on its
    way when the server stops. Only the page's own word (`shown`) is, and only with a verdict."""
    session = CaptureSession(launches=1, request_timeout=1, page_url="http://127.0.0.1:9/")
    with pytest.raises(CaptureError) as unknown:
        session.shown(1)
    assert unknown.value.status == 404
    session.launches.append({"number": 1, "plan": [], "done": []})
    with pytest.raises(CaptureError) as early:
        session.shown(1)
    assert early.value.status == 409  # no verdict yet
    session.result, session.reports = object(), "reports/certify"  # type: ignore[assignment]
    assert not session.final_seen.is_set()
    session.shown(1)
    assert session.final_seen.is_set()
