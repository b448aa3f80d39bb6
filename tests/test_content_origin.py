"""An imported course runs on an origin of its own and cannot act with the dashboard's session.

A real `serve` subprocess, a tester logged in to the dashboard in Chromium, and a hostile cmi5
course (tests/data/hostile_course/index.html) imported and launched from the dashboard: its
script tries every admin call (list mounts, read and delete a journal, create a mount whose
credentials open the default mount, make a launch and redeem its token, read the dashboard's
pages in iframes and the API key typed into a dashboard window it opened) and writes what each
got into the page. Every one fails; what the page cannot see (a no-cors request) is checked in
the LMS's state from outside.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from fake_lms import LMSConfig, create_app
from tests.loopback import free_port
from tests.serve_process import ServeProcess

HOSTILE_PAGE = Path(__file__).parent / "data" / "hostile_course" / "index.html"
NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
COURSE = "https://weare.example.com/courses/hostile"
TYPED_KEY = "tester:typed-into-the-dashboard"
TIMEOUT_MS = 15_000
# What the page tries; every one must come back with ok false (or null: judged from outside).
ATTEMPTS = [
    "list mounts",
    "read journal",
    "delete journal",
    "create mount",
    "create mount, simple request",
    "make a launch",
    "make a launch, simple request",
    "redeem a fetch token",
    "list mounts on its own origin",
    "dashboard session on its own origin",
    "dashboard page on its own origin",
    "admin API in an iframe",
    "dashboard in an iframe",
    "read the key typed into a dashboard window",
]
UNSEEN = {"create mount, simple request", "make a launch, simple request"}  # opaque to the page

expect.set_options(timeout=TIMEOUT_MS)


def hostile_package() -> bytes:
    xml = (
        f'<?xml version="1.0" encoding="utf-8"?><courseStructure xmlns="{NS}">'
        f'<course id="{COURSE}"><title><langstring lang="en">Hostile</langstring></title>'
        '<description><langstring lang="en">Wants the admin API</langstring></description>'
        f'</course><au id="{COURSE}/au/1"><title><langstring lang="en">Hostile AU</langstring>'
        '</title><description><langstring lang="en">Probes the LMS</langstring></description>'
        "<url>index.html</url></au></courseStructure>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("cmi5.xml", xml)
        z.writestr("index.html", HOSTILE_PAGE.read_bytes())
    return buf.getvalue()


def content_origin(server: ServeProcess) -> str | None:
    """The content origin the banner names, or None when it names none."""
    url = server.banner_url(r"course content \(.*\)")
    return url.removesuffix("/content/") if url else None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServeProcess]:
    port = str(free_port())
    with ServeProcess(tmp_path / "lms.db", "--no-story", "--content-port", port) as running:
        running.content_port = int(port)  # type: ignore[attr-defined]
        yield running


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


def log_in(page: Page, server: ServeProcess) -> None:
    page.goto(server.base_url + "/")
    page.locator("#api-key").fill(server.api_key)
    page.get_by_role("button", name="Use key").click()
    expect(page.locator("#app")).to_be_visible()


def launch_from_dashboard(page: Page, au_url: str) -> str:
    item = page.locator("#au-list > li.au").filter(has_text=au_url)
    item.locator(".builder > summary").click()
    item.get_by_role("button", name="Build launch").click()
    link = item.locator(".launch-link")
    expect(link).to_have_attribute("href", re.compile(r"^http://"))
    return link.get_attribute("href") or ""


def run_the_course(
    context: BrowserContext, dashboard: Page, launch_url: str, lms: str
) -> tuple[list[dict], str]:
    """Open the launch link as the tester would; the course probes, then opens the dashboard in a
    window, into which the tester types the API key if it shows the dashboard at all. The
    findings the course wrote, and the URL that window ended at."""
    with context.expect_page() as opened:
        dashboard.locator(".launch-link").click()
    course = opened.value
    course.wait_for_load_state()
    assert course.url.startswith(launch_url.split("?")[0]), course.url
    course.wait_for_function("document.body.dataset.phase === 'probed'")
    with context.expect_page() as popup:
        course.locator("#probe-window").click()
    window = popup.value
    window.wait_for_load_state()
    if window.url.startswith(lms) and window.locator("#api-key").count():
        window.evaluate("key => { document.getElementById('api-key').value = key; }", TYPED_KEY)
    course.wait_for_function("document.body.dataset.phase === 'done'")
    return json.loads(course.locator("#findings").text_content() or "[]"), window.url


def test_a_hostile_course_launched_from_the_dashboard_reaches_no_admin_call(
    server: ServeProcess, context: BrowserContext
) -> None:
    admin = server.client()
    imported = admin.post(
        f"{server.base_url}/api/courses?filename=hostile.zip",
        data=hostile_package(),
        headers={"Content-Type": "application/zip"},
        timeout=10,
    )
    assert imported.status_code == 201, imported.text
    au_url = imported.json()["aus"][0]["url"]
    read = admin.get(server.endpoint + "statements", timeout=10)  # an entry in the journal
    assert read.status_code == 200, read.text
    journal_before = admin.get(f"{server.base_url}/api/mounts/default/journal", timeout=10)
    seqs_before = [e["seq"] for e in journal_before.json()["entries"]]
    assert seqs_before, journal_before.text

    dashboard = context.new_page()
    log_in(dashboard, server)
    launch_url = launch_from_dashboard(dashboard, au_url)
    findings, window_url = run_the_course(context, dashboard, launch_url, server.base_url)

    by_name = {f["name"]: f for f in findings}
    assert sorted(by_name) == sorted(ATTEMPTS), findings
    took = {name: f for name, f in by_name.items() if f["ok"] is not False and name not in UNSEEN}
    assert took == {}, f"the course reached the admin API through the dashboard session: {took}"
    assert TYPED_KEY not in json.dumps(findings)
    for name in UNSEEN:
        assert by_name[name]["ok"] in (None, False), by_name[name]

    # What the page could not see, from outside: nothing it asked for happened.
    mounts = admin.get(f"{server.base_url}/api/mounts", timeout=10).json()
    assert [m["name"] for m in mounts] == ["default"], mounts
    for user in ("evil-cors", "evil-simple"):
        sneaked = requests.get(
            server.endpoint + "statements",
            auth=(user, f"{user}-secret"),
            headers={"X-Experience-API-Version": "1.0.3"},
            timeout=10,
        )
        assert sneaked.status_code == 401, (user, sneaked.text)
    aus = admin.get(f"{server.base_url}/api/aus", timeout=10).json()
    assert not [a for a in aus if "evil.example" in a["url"]], aus
    journal_after = admin.get(f"{server.base_url}/api/mounts/default/journal", timeout=10)
    assert [e["seq"] for e in journal_after.json()["entries"]][: len(seqs_before)] == seqs_before

    # The course ran on the content origin: same host, a port of its own, not the LMS's.
    origin = content_origin(server)
    assert origin is not None, server.banner
    assert au_url.startswith(f"{origin}/content/") and launch_url.startswith(au_url), launch_url
    assert urlsplit(origin).port != urlsplit(server.base_url).port
    # The dashboard refuses to load in a window the sandboxed course opened (its
    # Cross-Origin-Opener-Policy), so there was nothing to type the key into.
    assert not window_url.startswith(server.base_url), window_url


def test_the_content_origin_serves_no_admin_route_and_honours_no_session(
    server: ServeProcess,
) -> None:
    origin = content_origin(server)
    wanted = f"http://127.0.0.1:{server.content_port}"  # type: ignore[attr-defined]
    assert origin == wanted, server.banner
    browser_like = requests.Session()
    login = browser_like.post(
        f"{server.base_url}/api/session",
        auth=tuple(server.api_key.split(":", 1)),
        headers={"Sec-Fetch-Site": "same-origin"},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    cookie = {"weare_harness_session": browser_like.cookies["weare_harness_session"]}
    # The dashboard's own requests still count ...
    same = {"Sec-Fetch-Site": "same-origin"}
    own = requests.get(f"{server.base_url}/api/mounts", cookies=cookie, headers=same, timeout=10)
    assert own.status_code == 200, own.text
    # ... a request from the content origin never does, with or without Sec-Fetch-Site.
    for headers in (
        {"Origin": origin, "Sec-Fetch-Site": "same-site"},
        {"Origin": origin},  # a browser that sends no Sec-Fetch-Site
        {"Origin": "null"},
    ):
        for method in ("GET", "POST"):
            answer = requests.request(
                method,
                f"{server.base_url}/api/mounts",
                cookies=cookie,
                headers=headers,
                json={"name": "by-content"} if method == "POST" else None,
                timeout=10,
            )
            assert answer.status_code == 403, (method, headers, answer.text)
    # The content port routes course files only: no admin API, no dashboard, no session.
    for path in ("/", "/dashboard", "/api/mounts", "/api/session", "/api/health", "/fetch"):
        answer = requests.get(origin + path, cookies=cookie, headers=same, timeout=10)
        assert answer.status_code == 404, (path, answer.text)
        assert "Set-Cookie" not in answer.headers
    answer = requests.post(origin + "/api/session", auth=("qa", "s3cret-key"), timeout=10)
    assert answer.status_code == 404 and "Set-Cookie" not in answer.headers


def test_an_lms_without_a_content_origin_serves_no_package(tmp_path: Path) -> None:
    """`create_app` alone (no content server running): a package with files is refused with a
    409 that says why, and the LMS's own origin serves no course file."""
    app = create_app(LMSConfig(db_path=str(tmp_path / "lms.db")))
    try:
        key = app.extensions["weare"].config.api_keys[0]
        client = app.test_client()
        answer = client.post(
            "/api/courses?filename=hostile.zip",
            data=hostile_package(),
            headers={"Content-Type": "application/zip"},
            auth=(key.username, key.secret),
        )
        assert answer.status_code == 409, answer.text
        assert "content origin" in answer.json["error"]
        assert client.get("/api/courses", auth=(key.username, key.secret)).json == []
        served = client.get("/content/x/index.html")
        assert served.status_code == 404 and "content origin" in served.json["error"]
    finally:
        app.extensions["weare"].close()
