"""A launch end to end, as a developer sees it: `serve`, the story page's outcome, the dashboard.

A real `serve` subprocess hosts the reference story; the story is launched through serve's admin
API and finished in Chromium. The page says where it sent, with which credentials and what the
LRS answered, in words and never with the auth-token; the dashboard's live feed shows the
statements. Screenshots of both go to reports/screenshots/ (shown in the docs).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.chromium import fresh_page
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow

API_KEY = "qa:s3cret-key"
ACTOR = {
    "objectType": "Agent",
    "account": {"homePage": "https://lms.example.com", "name": "1625378"},
}
ACTIVITY = "https://weare.example.com/stories/42"
SHOTS = Path(__file__).resolve().parent.parent / "reports" / "screenshots"
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    db = tmp_path_factory.mktemp("outcome") / "lms.db"
    with ServeProcess(db, "--mount", "observe=observe", api_key=API_KEY) as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with fresh_page(browser, 1280, 900, TIMEOUT_MS) as page:
        yield page


def launch_documented(server: ServeProcess, mount: str) -> str:
    """A launch of the hosted story (We Are's documented flow) through serve's admin API."""
    api = server.client()
    story = api.get(server.base_url + "/api/story", timeout=10).json()
    body = {"au_url": story["behaviours"]["weare-documented"], "profile": "weare", "mount": mount}
    answer = api.post(server.base_url + "/api/launches", json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["launch_url"]


def finish_story(page: Page, launch_url: str) -> dict:
    page.goto(launch_url, wait_until="domcontentloaded")
    page.wait_for_function("window.weareReady === true")
    page.click("#finish")
    page.wait_for_function("window.weareFinished === true")
    return page.evaluate("window.weareOutcome")


def auth_token(outcome: dict) -> str:
    fetch = next(s for s in outcome["steps"] if s["step"] == "fetch")
    token = json.loads(fetch["body"])["auth-token"]
    assert isinstance(token, str) and len(token) > 8
    return token


def assert_token_nowhere(page: Page, token: str) -> None:
    """A secret (auth-token, API key) is neither in the DOM nor in the text of the page."""
    assert token not in page.content()  # the DOM, attributes included
    assert token not in page.locator("body").inner_text()


def test_the_story_page_says_its_outcome_in_words_never_the_token(server, page):
    launch_url = launch_documented(server, "observe")
    outcome = finish_story(page, launch_url)
    assert outcome["status"] == "completed", outcome
    host = urlsplit(server.base_url).netloc
    expect(page.locator("#status")).to_have_text("completed")
    expect(page.locator("#outcome-destination")).to_have_text(f"{host}/xapi/observe/")
    expect(page.locator("#outcome-credentials")).to_have_text(
        "auth-token from fetch (the token itself is not shown)"
    )
    requests_shown = page.locator("#outcome-requests > li")
    expect(requests_shown).to_have_text(
        [
            f"POST fetch URL ({host}) → 200, auth-token received",
            "POST statements (completed) → 200, 1 statement stored",
        ]
    )
    assert_token_nowhere(page, auth_token(outcome))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "story-outcome.png"), full_page=True)


def test_the_story_page_names_the_cmi5_rule_of_a_refusal(server, page):
    """We Are's documented flow on an enforce mount: the completed statement alone is refused."""
    outcome = finish_story(page, launch_documented(server, "default"))
    assert outcome["status"] == "failed", outcome
    refused = page.locator("#outcome-requests > li").last
    expect(refused).to_have_text(
        re.compile(r"^POST statements \(completed\) → 403, cmi5 11\.0\.0\.0-3 \S")
    )
    expect(page.locator("#outcome-reason")).to_contain_text("the LRS refused the statement: 403")
    assert_token_nowhere(page, auth_token(outcome))


def test_the_story_page_names_the_api_key_user_never_the_secret(server, page):
    """No endpoint and no fetch parameter: the story sends to its configured API URL with its key."""
    story = server.client().get(server.base_url + "/api/story", timeout=10).json()["url"]
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(story))
    basic = base64.b64encode(API_KEY.encode()).decode()
    config = {"api_url": server.base_url + "/xapi/observe/", "api_key": basic}
    made = requests.post(f"{origin}/story/api/configs", json=config, timeout=10)
    assert made.status_code == 201, made.text
    query = {"cfg": made.json()["id"], "actor": json.dumps(ACTOR), "activityId": ACTIVITY}
    outcome = finish_story(page, f"{origin}/story/index.html?{urlencode(query)}")
    assert outcome["status"] == "completed", outcome
    expect(page.locator("#outcome-credentials")).to_have_text("API key (Basic, user qa)")
    expect(page.locator("#outcome-requests > li")).to_have_text(
        ["POST statements (completed) → 200, 1 statement stored"]
    )
    for secret in (basic, API_KEY.split(":", 1)[1]):
        assert_token_nowhere(page, secret)


def test_dashboard_shows_the_launch_live(server, page):
    """The dashboard after a real launch of the hosted story: the statements are in the feed."""
    page.goto(server.base_url + "/")
    page.locator("#api-key").fill(API_KEY)
    page.get_by_role("button", name="Use key").click()
    expect(page.locator("#app")).to_be_visible()
    page.locator("#filter-mount").select_option("observe")
    feed = page.locator('#feeds .feed[data-mount="observe"] > li.entry')
    expect(feed.first).to_be_visible()
    story = server.client().get(server.base_url + "/api/story", timeout=10).json()["url"]
    expect(
        page.locator("#au-list > li.au").filter(has_text=urlsplit(story).netloc).first
    ).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)


def test_the_story_page_lists_each_verb_with_its_answer(server, page):
    """The cmi5-full story sends initialized, completed and terminated: one line each."""
    api = server.client()
    story = api.get(server.base_url + "/api/story", timeout=10).json()
    body = {"au_url": story["behaviours"]["cmi5-full"], "profile": "cmi5"}
    answer = api.post(server.base_url + "/api/launches", json=body, timeout=10)
    assert answer.status_code == 201, answer.text
    outcome = finish_story(page, answer.json()["launch_url"])
    assert outcome["status"] == "completed", outcome
    sent = page.locator("#outcome-requests > li").filter(has_text="POST statements")
    expect(sent).to_have_text(
        [
            f"POST statements ({verb}) → 200, 1 statement stored"
            for verb in ("initialized", "completed", "terminated")
        ]
    )
    assert [s.get("verb") for s in outcome["steps"] if s["step"] == "statement"] == [
        "initialized",
        "completed",
        "terminated",
    ]
