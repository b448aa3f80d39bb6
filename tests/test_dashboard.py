"""The developer dashboard in a real Chromium (Playwright) against a real fake LMS on loopback."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.chromium import fresh_page
from tests.cmi5_au import AU
from tests.factories import statement
from tests.serve_process import ServeProcess

STORY = "http://127.0.0.1:9/story/index.html"
TIMEOUT_MS = 10_000
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with fresh_page(browser, 1400, 1000, TIMEOUT_MS) as page:
        yield page


def key_text(lms) -> str:
    user, secret = lms.api_key
    return f"{user}:{secret}"


def open_dashboard(page: Page, lms, key: str | None = None) -> None:
    page.goto(lms.base_url + "/")
    page.locator("#api-key").fill(key or key_text(lms))
    page.get_by_role("button", name="Use key").click()
    if key is None:
        expect(page.locator("#app")).to_be_visible()
        expect(page.locator("#mounts li").first).to_be_visible()


def feed_entries(page: Page, mount: str = "default"):
    return page.locator(f'#feeds .feed[data-mount="{mount}"] > li.entry')


def au_item(page: Page, url: str):
    return page.locator("#au-list > li.au").filter(has_text=url)


# -- the page and the key ---------------------------------------------------------------------


def test_page_loads_without_auth_and_asks_for_the_key(page, lms):
    for path in ("/", "/dashboard"):
        raw = requests.get(lms.base_url + path, timeout=10)
        assert raw.status_code == 200
        assert raw.headers["Content-Type"].startswith("text/html")
        assert "script-src 'self'" in raw.headers["Content-Security-Policy"]
        assert lms.api_key[1] not in raw.text
    page.goto(lms.base_url + "/")
    expect(page.locator("#key-panel")).to_be_visible()
    expect(page.locator("#api-key")).to_have_attribute("type", "password")
    expect(page.locator("#app")).to_be_hidden()
    expect(page.locator("#base-url")).to_have_text(lms.base_url)
    assert lms.api_key[1] not in page.content()


def test_with_the_key_it_lists_mounts_and_aus_and_stays_logged_in_on_reload(page, lms):
    assert lms.admin("POST", "mounts", json={"name": "watch", "mode": "observe"}).ok
    au = lms.admin("POST", "aus", json={"url": STORY, "title": "Story one"}).json()
    open_dashboard(page, lms)
    mounts = page.locator("#mounts")
    expect(mounts.locator('li[data-mount="default"]')).to_contain_text(lms.endpoint())
    expect(mounts.locator('li[data-mount="default"]')).to_contain_text("enforce")
    expect(mounts.locator('li[data-mount="watch"]')).to_contain_text(lms.endpoint("watch"))
    expect(mounts.locator('li[data-mount="watch"]')).to_contain_text("observe")
    item = au_item(page, STORY)
    expect(item.locator(".au-title")).to_have_text("Story one")
    expect(item.locator(".au-publisher")).to_have_text(au["publisher_id"])
    expect(item.locator(".au-moveon")).to_have_text("moveOn NotApplicable")
    expect(page.locator("#api-key")).to_have_value("")  # the field does not keep the secret
    assert lms.api_key[1] not in page.content()
    assert lms.api_key[1] not in page.evaluate(
        "JSON.stringify({...sessionStorage, ...localStorage})"
    )
    page.reload()
    expect(page.locator("#key-panel")).to_be_hidden()
    expect(au_item(page, STORY)).to_be_visible()


def test_a_wrong_api_key_shows_a_visible_error(page, lms):
    open_dashboard(page, lms, key="nobody:wrong-secret")
    message = page.locator("#messages .message.error")
    expect(message).to_be_visible()
    expect(message).to_contain_text("API key refused")
    expect(message).to_contain_text("401")
    expect(page.locator("#key-panel")).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()
    assert page.context.cookies() == []


def test_the_key_is_asked_once_per_browser_session_not_per_tab(page, lms):
    """A fresh tab of the same browser is logged in; another browser (context) is asked again."""
    open_dashboard(page, lms)
    [cookie] = page.context.cookies()
    assert cookie["name"] == "weare_harness_session"
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert cookie["expires"] == -1  # a session cookie: gone when the browser closes
    assert lms.api_key[1] not in cookie["value"] and lms.api_key[0] not in cookie["value"]
    second = page.context.new_page()  # a fresh tab, not opened from the dashboard
    second.goto(lms.base_url + "/")
    expect(second.locator("#app")).to_be_visible()
    expect(second.locator("#key-panel")).to_be_hidden()
    expect(second.locator("#key-state")).to_have_text("API key in use (this browser session)")
    other = page.context.browser.new_context()
    try:
        stranger = other.new_page()
        stranger.goto(lms.base_url + "/")
        expect(stranger.locator("#key-panel")).to_be_visible()
        expect(stranger.locator("#app")).to_be_hidden()
    finally:
        other.close()
    second.get_by_role("button", name="Log out").click()
    expect(second.locator("#key-panel")).to_be_visible()
    assert page.context.cookies() == []
    page.reload()
    expect(page.locator("#key-panel")).to_be_visible()


def _login(lms) -> tuple[requests.Session, str]:
    s = requests.Session()
    r = s.post(f"{lms.base_url}/api/session", auth=lms.api_key, timeout=10)
    assert r.status_code == 200 and r.json() == {"user": lms.api_key[0]}, r.text
    assert "Max-Age" not in r.headers["Set-Cookie"] and "Expires" not in r.headers["Set-Cookie"]
    return s, s.cookies["weare_harness_session"]


def test_the_session_cookie_counts_only_on_same_origin_requests(lms):
    base = lms.base_url
    s, sid = _login(lms)
    jar = {"weare_harness_session": sid}
    same = {"Sec-Fetch-Site": "same-origin"}
    assert requests.get(f"{base}/api/mounts", cookies=jar, headers=same, timeout=10).ok
    # a page of another origin is refused outright (403), a typed URL is asked for the key (401)
    for site, status in (("cross-site", 403), ("same-site", 403), ("none", 401)):
        r = requests.get(f"{base}/api/mounts", cookies=jar, headers={"Sec-Fetch-Site": site})
        assert r.status_code == status, (site, r.text)
    body = {"name": "by-cookie"}
    foreign = {"Origin": "http://evil.example"}
    r = requests.post(f"{base}/api/mounts", cookies=jar, json=body, headers=foreign, timeout=10)
    assert r.status_code == 403, r.text  # no Sec-Fetch-Site: a write needs this server's Origin
    own = {"Origin": base}
    r = requests.post(f"{base}/api/mounts", cookies=jar, json=body, headers=own, timeout=10)
    assert r.status_code == 201, r.text
    r = requests.get(f"{base}/api/session", cookies=jar, headers=same, timeout=10)
    assert r.json() == {"user": lms.api_key[0]}
    assert s.delete(f"{base}/api/session", headers=same, timeout=10).status_code == 204
    r = requests.get(f"{base}/api/mounts", cookies=jar, headers=same, timeout=10)
    assert r.status_code == 401 and "expired" in r.json()["error"]
    assert r.headers["WWW-Authenticate"].split()[0] != "Basic"  # no browser password dialog
    assert requests.get(f"{base}/api/session", cookies=jar, timeout=10).json() == {"user": None}


def test_a_logout_without_fetch_metadata_or_origin_ends_the_session_for_good(tmp_path):
    """An old browser (or a script) sends neither Sec-Fetch-Site nor Origin: the logout clears
    the cookie and the session id is forgotten, so a copy of the cookie no longer opens the API."""
    with ServeProcess(tmp_path / "lms.db", "--no-story") as server:
        base = server.base_url
        login = requests.post(f"{base}/api/session", auth=server.key, timeout=10)
        assert login.status_code == 200, login.text
        jar = {"weare_harness_session": login.cookies["weare_harness_session"]}
        assert requests.get(f"{base}/api/mounts", cookies=jar, timeout=10).ok
        r = requests.delete(f"{base}/api/session", cookies=jar, timeout=10)
        assert r.status_code == 204
        assert "weare_harness_session=;" in r.headers["Set-Cookie"]
        replayed = requests.get(f"{base}/api/mounts", cookies=jar, timeout=10)
        assert replayed.status_code == 401, replayed.text
        r = requests.get(f"{base}/api/session", cookies=jar, timeout=10)
        assert r.json() == {"user": None}


def test_the_login_refuses_a_wrong_key_a_mount_key_and_another_site(lms):
    base = lms.base_url
    r = requests.post(f"{base}/api/session", auth=("nobody", "wrong"), timeout=10)
    assert r.status_code == 401 and not r.headers["WWW-Authenticate"].startswith("Basic")
    assert "Set-Cookie" not in r.headers
    assert lms.admin("POST", "mounts", json={"name": "own", "key": "m:mount-secret"}).ok
    r = requests.post(f"{base}/api/session", auth=("m", "mount-secret"), timeout=10)
    assert r.status_code in (401, 403) and "Set-Cookie" not in r.headers, r.text
    r = requests.post(
        f"{base}/api/session", auth=lms.api_key, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert r.status_code == 403 and "Set-Cookie" not in r.headers


def test_a_400_from_the_api_is_shown(page, lms):
    open_dashboard(page, lms)
    page.locator("#au-url").fill(STORY + "?endpoint=mine")
    page.get_by_role("button", name="Register AU").click()
    message = page.locator("#messages .message.error")
    expect(message).to_contain_text("HTTP 400")
    expect(message).to_contain_text("8.1.0.0-6")


# -- AUs and the launch builder -----------------------------------------------------------------


def test_registering_an_au_through_the_form_shows_it(page, lms):
    open_dashboard(page, lms)
    expect(page.locator("#aus-empty")).to_be_visible()
    url = STORY + "?lesson=2"
    page.locator("#au-url").fill(url)
    page.locator("#au-title").fill("Lesson two")
    page.locator("#au-move-on").select_option("CompletedAndPassed")
    page.locator("#au-mastery").fill("0.8")
    page.get_by_role("button", name="Register AU").click()
    item = au_item(page, url)
    expect(item.locator(".au-title")).to_have_text("Lesson two")
    expect(item.locator(".au-moveon")).to_have_text("moveOn CompletedAndPassed")
    expect(item.locator(".au-mastery")).to_have_text("0.8")
    expect(page.locator("#aus-empty")).to_be_hidden()
    stored = [a for a in lms.admin("GET", "aus").json() if a["url"] == url]
    assert len(stored) == 1
    assert stored[0]["move_on"] == "CompletedAndPassed"
    assert stored[0]["mastery_score"] == 0.8


def test_launch_builder_weare_profile_without_fetch_and_endpoint(page, lms):
    lms.admin("POST", "aus", json={"url": STORY})
    open_dashboard(page, lms)
    item = au_item(page, STORY)
    item.locator(".builder > summary").click()
    item.locator(".lb-profile").select_option("weare")
    omit = item.locator(".lb-omit")
    expect(omit).to_contain_text("sessionId")
    omit.get_by_label("fetch", exact=True).check()
    omit.get_by_label("endpoint", exact=True).check()
    item.locator(".lb-mode").select_option("Browse")
    item.get_by_role("button", name="Build launch").click()
    link = item.locator(".launch-link")
    expect(link).to_have_text(re.compile(r"^http://127\.0\.0\.1:9/story/index\.html\?"))
    shown = link.inner_text()
    assert link.get_attribute("href") == shown
    assert link.get_attribute("target") == "_blank"
    query = parse_qs(urlsplit(shown).query)
    assert "fetch" not in query
    assert "endpoint" not in query
    assert set(query) == {"actor", "registration", "sessionId", "activityId"}
    expect(item.locator(".lr-registration")).to_have_text(query["registration"][0])
    expect(item.locator(".lr-session")).to_have_text(query["sessionId"][0])
    # The sessions panel follows the last launch.
    expect(page.locator("#reg-id")).to_have_value(query["registration"][0])
    row = page.locator(f'#reg-view li.session[data-session="{query["sessionId"][0]}"]')
    expect(row).to_contain_text("launched")
    expect(row).to_contain_text("Browse / weare")


def test_sessions_panel_shows_the_last_launch_and_follows_it_live(page, lms):
    lms.admin("POST", "aus", json={"url": STORY, "move_on": "Completed"})
    open_dashboard(page, lms)
    item = au_item(page, STORY)
    item.locator(".builder > summary").click()
    item.get_by_role("button", name="Build launch").click()
    link = item.locator(".launch-link")
    expect(link).to_have_text(re.compile(r"fetch="))
    session_id = item.locator(".lr-session").inner_text()
    row = page.locator(f'#reg-view li.session[data-session="{session_id}"]')
    expect(row).to_contain_text("launched")
    au = AU(link.inner_text())
    au.start()
    assert au.initialized().status_code == 200
    # The live feed sees the AU's requests and the panel refreshes itself.
    expect(row).to_contain_text("initialized")
    expect(row.locator(".verb")).to_have_text(["initialized"])
    expect(row.locator(".fetch-calls")).to_have_text("1")
    assert au.completed().status_code == 200
    expect(row.locator(".verb")).to_have_text(["initialized", "completed"])
    expect(page.locator("#reg-view table.progress")).to_contain_text("yes")
    # A registration can also be typed in.
    other = lms.admin("POST", "launches", json={"au_url": STORY + "?x=1"}).json()
    page.locator("#reg-id").fill(other["registration"])
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#reg-view .reg-shown")).to_have_text(other["registration"])
    expect(
        page.locator(f'#reg-view li.session[data-session="{other["session_id"]}"]')
    ).to_be_visible()


# -- the live feed ------------------------------------------------------------------------------


def test_live_feed_shows_an_accepted_statement(page, lms):
    open_dashboard(page, lms)
    stmt = statement()
    r = lms.client().post(lms.endpoint() + "statements", json=stmt)
    assert r.status_code == 200, r.text
    entry = feed_entries(page).filter(has_text=stmt["id"])
    expect(entry).to_have_count(1)
    expect(entry.locator(".entry-head")).to_contain_text("POST")
    expect(entry.locator(".entry-head")).to_contain_text("/xapi/default/statements")
    expect(entry.locator(".entry-head .status")).to_have_text("200")
    expect(entry.locator("tr.stmt .verb-id")).to_have_text(stmt["verb"]["id"])
    expect(entry.locator("tr.stmt .stmt-verdicts")).to_have_text("accepted")
    # Bodies on demand.
    body = entry.locator("details.body").first
    expect(body.locator("pre")).to_be_hidden()
    body.locator("summary").click()
    expect(body.locator("pre")).to_contain_text(stmt["id"])
    # Newest first.
    second = statement()
    assert lms.client().post(lms.endpoint() + "statements", json=second).status_code == 200
    expect(feed_entries(page).first).to_contain_text(second["id"])


@pytest.mark.parametrize(
    ("mode", "status", "verdict"),
    [("enforce", 403, "refused"), ("observe", 200, "violation (observed)")],
)
def test_live_feed_shows_a_cmi5_verdict_with_its_requirement(page, lms, mode, status, verdict):
    mount = "default" if mode == "enforce" else "watch"
    if mode == "observe":
        lms.admin("POST", "mounts", json={"name": "watch", "mode": "observe"})
    out = lms.admin("POST", "launches", json={"au_url": STORY, "mount": mount}).json()
    au = AU(out["launch_url"])
    au.start()
    stmt = au.statement("completed", result={"completion": True, "duration": "PT1M"}, moveon=True)
    r = au.send(stmt)  # completed before initialized (cmi5 rejection table row 4)
    assert r.status_code == status, r.text
    entries = lms.admin("GET", f"mounts/{mount}/journal").json()["entries"]
    cmi5 = next(v for v in entries[-1]["verdicts"] if "cmi5" in v)
    requirement = cmi5["cmi5"][0]["requirement"]

    open_dashboard(page, lms)
    page.locator(f'#feed-tabs .tab[data-mount="{mount}"]').click()
    entry = feed_entries(page, mount).filter(has_text=stmt["id"])
    expect(entry).to_have_count(1)
    expect(entry.locator(".entry-head .status")).to_have_text(str(status))
    expect(entry.locator("tr.stmt .verb-id")).to_have_text(stmt["verb"]["id"])
    expect(entry.locator("tr.stmt .stmt-verdicts")).to_contain_text(verdict)
    block = entry.locator(".verdict-block")
    expect(block).to_have_count(1)  # the xAPI error mirroring the refusal is not shown twice
    expect(block.locator(".verdict-head .badge")).to_have_text(verdict)
    expect(block.locator("table.cmi5 .requirement").first).to_have_text(requirement)
    expect(block.locator("table.cmi5")).to_contain_text(cmi5["cmi5"][0]["rule"])
    expect(block.locator("table.cmi5 td").first).to_have_text(str(cmi5["cmi5"][0]["row"]))
    if mode == "observe":
        expect(entry.locator("tr.stmt .stmt-verdicts")).to_contain_text("accepted")
    # The fetch call of the same session is in the feed too, with its verdict.
    fetch = feed_entries(page, mount).filter(has_text="/fetch/")
    expect(fetch.locator(".verdict-head")).to_contain_text("8.2.1.0-3")


def test_statement_data_is_displayed_as_text_never_as_html(page, lms):
    open_dashboard(page, lms)
    accepted = statement(
        verb={"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": XSS}}
    )
    bad_verb = f"http://x.example/{XSS}"
    rejected = statement(verb={"id": bad_verb, "display": {"en-US": "x"}})
    client = lms.client()
    assert client.post(lms.endpoint() + "statements", json=accepted).status_code == 200
    assert client.post(lms.endpoint() + "statements", json=rejected).status_code == 400
    bad = feed_entries(page).filter(has_text=rejected["id"])
    expect(bad.locator("tr.stmt .verb-id")).to_have_text(bad_verb)
    expect(bad.locator("tr.stmt .stmt-verdicts")).to_have_text("rejected")
    good = feed_entries(page).filter(has_text=accepted["id"])
    body = good.locator("details.body").first
    body.locator("summary").click()
    expect(body.locator("pre")).to_contain_text(json.dumps(XSS)[1:-1])
    assert page.locator("#feeds img, #feeds script").count() == 0
    assert page.evaluate("window.__xss") is None


def test_polling_stops_while_the_tab_is_hidden(page, lms):
    open_dashboard(page, lms)
    status = page.locator("#feed-status")
    expect(status).to_contain_text("live")
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    expect(status).to_have_text("stopped while the tab is hidden")
    stmt = statement(id=str(uuid.uuid4()))
    assert lms.client().post(lms.endpoint() + "statements", json=stmt).status_code == 200
    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    expect(feed_entries(page).filter(has_text=stmt["id"])).to_have_count(1)
    expect(status).to_contain_text("live")


# -- filtering and exporting the feed ------------------------------------------------------------

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"


def visible_entries(page, mount: str = "default"):
    return page.locator(f'#feeds .feed[data-mount="{mount}"] > li.entry:visible')


def test_the_feed_filters_by_verb_verdict_text_and_mount(page, lms):
    assert lms.admin("POST", "mounts", json={"name": "watch", "mode": "observe"}).ok
    done = statement(verb={"id": COMPLETED, "display": {"en-US": "completed"}})
    seen = statement(verb={"id": EXPERIENCED, "display": {"en-US": "experienced"}})
    bad = statement(verb={"id": "not a uri", "display": {"en-US": "x"}})
    client = lms.client()
    open_dashboard(page, lms)
    assert client.post(lms.endpoint() + "statements", json=done).status_code == 200
    assert client.post(lms.endpoint() + "statements", json=seen).status_code == 200
    assert client.post(lms.endpoint() + "statements", json=bad).status_code == 400
    expect(feed_entries(page)).to_have_count(3)

    page.locator("#filter-verb").fill("experienced")
    expect(visible_entries(page)).to_have_count(1)
    expect(visible_entries(page)).to_contain_text(seen["id"])
    expect(page.locator("#filter-count")).to_have_text("1 of 3 shown")
    page.locator("#filter-verb").fill("")

    page.locator("#filter-verdict").select_option("rejected")
    expect(visible_entries(page)).to_have_count(1)
    expect(visible_entries(page)).to_contain_text(bad["id"])
    page.locator("#filter-verdict").select_option("error")
    expect(visible_entries(page)).to_have_count(1)
    page.locator("#filter-verdict").select_option("accepted")
    expect(visible_entries(page)).to_have_count(2)
    page.locator("#filter-verdict").select_option("")

    page.locator("#filter-text").fill(done["id"].upper())  # case does not matter
    expect(visible_entries(page)).to_have_count(1)
    expect(visible_entries(page)).to_contain_text(done["id"])
    # New entries arriving while a filter is set are filtered too.
    later = statement(verb={"id": COMPLETED, "display": {"en-US": "completed"}})
    assert client.post(lms.endpoint() + "statements", json=later).status_code == 200
    expect(feed_entries(page)).to_have_count(4)
    expect(visible_entries(page)).to_have_count(1)
    page.locator("#filter-text").fill("")
    expect(visible_entries(page)).to_have_count(4)
    expect(page.locator("#filter-count")).to_have_text("")

    page.locator("#filter-mount").select_option("watch")
    expect(page.locator('#feed-tabs .tab[data-mount="watch"]')).to_have_attribute(
        "aria-selected", "true"
    )
    expect(page.locator('#feeds .feed-panel[data-mount="default"]')).to_be_hidden()
    expect(page.locator('#feeds .feed-panel[data-mount="watch"]')).to_be_visible()
    page.locator('#feed-tabs .tab[data-mount="default"]').click()
    expect(page.locator("#filter-mount")).to_have_value("default")


def test_the_journal_is_exported_as_ndjson_with_secrets_redacted(page, lms, tmp_path):
    open_dashboard(page, lms)
    client = lms.client()
    ids = [statement()["id"] for _ in range(3)]
    for sid in ids:
        assert client.post(lms.endpoint() + "statements", json=statement(id=sid)).status_code == 200
    expect(feed_entries(page)).to_have_count(3)
    with page.expect_download() as info:
        page.get_by_role("button", name="Export NDJSON").click()
    download = info.value
    assert download.suggested_filename == "journal-default.ndjson"
    path = tmp_path / "journal.ndjson"
    download.save_as(path)
    text = path.read_text(encoding="utf-8")
    entries = [json.loads(line) for line in text.splitlines()]
    assert len(entries) == 3
    assert [e["request_body"] for e in entries] == [
        e["request_body"] for e in lms.admin("GET", "mounts/default/journal").json()["entries"]
    ]
    assert all(sid in text for sid in ids)
    assert lms.api_key[1] not in text
    assert page.locator("#messages .message.error").count() == 0


def test_the_learner_preferences_404_is_drawn_as_expected_not_as_an_error(page, lms):
    """cmi5 §11: before any preferences are stored, the AU's GET of cmi5LearnerPreferences is
    answered 404 and the AU must tolerate it; another 404 stays an error."""
    out = lms.admin("POST", "launches", json={"au_url": STORY}).json()
    au = AU(out["launch_url"])
    au.start()
    assert au.get_preferences().status_code == 404
    other = au.http.get(
        au.endpoint + "agents/profile",
        params={"profileId": "something-else", "agent": json.dumps(au.actor)},
    )
    assert other.status_code == 404
    open_dashboard(page, lms)
    prefs = feed_entries(page).filter(has_text="cmi5LearnerPreferences")
    expect(prefs).to_have_count(2)
    for i in range(2):
        entry = prefs.nth(i)
        expect(entry).to_have_class(re.compile(r"\bexpected\b"))
        expect(entry).not_to_have_class(re.compile(r"\bs4xx\b"))
        expect(entry.locator(".entry-head .status")).to_have_text("404")
        expect(entry.locator(".entry-head .status")).not_to_have_class(re.compile(r"\bs4xx\b"))
        block = entry.locator(".verdict-block")
        expect(block).to_have_count(1)
        expect(block).to_have_class(re.compile(r"\bexpected\b"))
        expect(block.locator(".badge")).to_have_text("expected")
        expect(block).to_contain_text("cmi5 §11")
        expect(block).to_contain_text("must tolerate this 404")
        expect(entry.locator(".badge.bad")).to_have_count(0)
    unexpected = feed_entries(page).filter(has_text="something-else")
    expect(unexpected).to_have_class(re.compile(r"\bs4xx\b"))
    expect(unexpected.locator(".verdict-block .badge")).to_have_text("not found")
    expect(unexpected.locator(".verdict-block.expected")).to_have_count(0)
    page.locator("#filter-verdict").select_option("error")
    expect(visible_entries(page)).to_have_count(1)
    expect(visible_entries(page)).to_contain_text("something-else")
    page.locator("#filter-verdict").select_option("expected")
    expect(visible_entries(page)).to_have_count(2)


def test_satisfied_with_nothing_completed_is_explained_by_move_on_not_applicable(page, lms):
    """cmi5 §13.1.4 / 9.6.1.1-3: moveOn NotApplicable is satisfied from registration time, so the
    dashboard says why 'Satisfied' is yes while 'Completed' is no; another moveOn gets no such line."""
    free = lms.admin("POST", "aus", json={"url": STORY, "title": "Free AU"}).json()
    graded = lms.admin(
        "POST", "aus", json={"url": STORY + "?g=1", "title": "Graded AU", "move_on": "Completed"}
    ).json()
    assert free["move_on"] == "NotApplicable"
    open_dashboard(page, lms)
    for au, satisfied in ((free, "yes"), (graded, "no")):
        launch = lms.admin("POST", "launches", json={"au_id": au["id"]}).json()
        page.locator("#reg-id").fill(launch["registration"])
        page.get_by_role("button", name="Show").click()
        expect(page.locator("#reg-view .reg-shown")).to_have_text(launch["registration"])
        row = page.locator("#reg-view table.progress tbody tr")
        expect(row.locator("td").nth(1)).to_have_text("no")  # nothing completed
        expect(row.locator("td.satisfied .yes, td.satisfied .no")).to_have_text(satisfied)
        note = page.locator("#reg-view .satisfied-note")
        if satisfied == "yes":
            expect(row.locator("td.satisfied")).to_contain_text("moveOn NotApplicable")
            expect(row.locator("td.satisfied")).to_have_attribute(
                "title", re.compile("nothing completed yet")
            )
            expect(note).to_have_count(1)
            expect(note).to_contain_text("Free AU")
            expect(note).to_contain_text("9.6.1.1-3")
        else:
            expect(note).to_have_count(0)
            expect(row.locator("td.satisfied .why")).to_have_count(0)


def test_screenshot(page, lms):
    lms.admin("POST", "mounts", json={"name": "watch", "mode": "observe"})
    lms.admin("POST", "aus", json={"url": STORY, "title": "Story one", "move_on": "Completed"})
    open_dashboard(page, lms)
    item = au_item(page, STORY)
    item.locator(".builder > summary").click()
    item.get_by_role("button", name="Build launch").click()
    expect(item.locator(".launch-link")).to_have_text(re.compile(r"fetch="))
    au = AU(item.locator(".launch-link").inner_text())
    au.start()
    au.completed()  # refused: before initialized
    au.initialized()
    au.completed()
    expect(feed_entries(page).filter(has_text="refused")).to_have_count(1)
    expect(page.locator("#reg-view .verb")).to_have_text(["initialized", "completed"])
    page.screenshot(path="/tmp/dashboard.png", full_page=True)
