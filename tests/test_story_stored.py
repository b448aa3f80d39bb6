"""The reference story counts a statement as stored only when the LRS's answer carries its id.

An LRS that answers every statement POST with 200 `{"success": true}` and drops it made the
story report success. Now the story (the page, story.js in Chromium, and its Python twin
client.py) fails with the reason in words (xAPI Communication §2.1.2), completes when the
answer is 200 with the sent statement's id, and names the cmi5 requirement of a refusal in
whatever JSON member the LRS puts it. Real HTTP on loopback: the story's own origin
(StoryServer) and an LRS that answers in the shape each test gives, with CORS.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser

from harness.story.behaviour import StoryConfig
from harness.story.client import WeAreClient
from harness.story.server import StoryServer
from tests.chromium import fresh_page
from tests.loopback import answering

pytestmark = pytest.mark.slow

ACTOR = {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "l-1"}}
ACTIVITY = "https://lms.example/activities/story-1"
API_KEY = base64.b64encode(b"qa:s3cret-key").decode()
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Experience-API-Version",
    "Access-Control-Allow-Methods": "GET, POST, PUT, OPTIONS",
    "Content-Type": "application/json",
}
NOT_STORED = (
    'the LRS answered 200 without the statement ids ({"success":true}): not stored '
    "(xAPI Communication §2.1.2)"
)
REFUSAL = {
    "statusCode": 403,
    "error": "Forbidden",
    "message": "11.0.0.0-3 - The AU MUST retrieve the Learner Preferences document",
    "violatedReqId": "11.0.0.0-3",
}

Answer = Callable[[bytes], tuple[int, bytes]]


def success_only(body: bytes) -> tuple[int, bytes]:
    return 200, b'{"success":true}'


def with_its_id(body: bytes) -> tuple[int, bytes]:
    return 200, json.dumps([json.loads(body)["id"]]).encode()


def refused(body: bytes) -> tuple[int, bytes]:
    return 403, json.dumps(REFUSAL).encode()


def lrs(statements: Answer):
    def answer(method: str, path: str, body: bytes):
        if method == "OPTIONS":
            return 204, CORS, b""
        if method == "POST" and path.startswith("/xapi/statements"):
            status, payload = statements(body)
            return status, CORS, payload
        return 404, CORS, b'{"error": "not found"}'

    return answering(answer)


@pytest.fixture(scope="module")
def story() -> Iterator[StoryServer]:
    with StoryServer() as server:
        yield server


def launch_query() -> str:
    return urlencode({"actor": json.dumps(ACTOR), "activityId": ACTIVITY})


def in_the_page(browser: Browser, story: StoryServer, base: str) -> tuple[dict, list[str]]:
    """The page's outcome and its requests as it words them, after the learner finished."""
    config = StoryConfig(api_url=base + "/xapi/", api_key=API_KEY)
    with fresh_page(browser, 1000, 800, 15_000) as page:
        page.goto(f"{story.story_url(config)}&{launch_query()}")
        page.wait_for_function("window.weareReady === true")
        page.click("#finish")
        page.wait_for_function("window.weareFinished === true")
        shown = page.locator("#outcome-requests > li").all_inner_texts()
        return page.evaluate("window.weareOutcome"), shown


def in_python(base: str) -> dict:
    client = WeAreClient(StoryConfig(api_url=base + "/xapi/", api_key=API_KEY))
    return client.run(f"https://weare.example.com/story?{launch_query()}").as_dict()


@pytest.mark.parametrize(
    ("statements", "status", "reason", "shown"),
    [
        (
            success_only,
            "failed",
            NOT_STORED,
            "POST statements (completed) → 200, not stored: the answer lacks the statement's id",
        ),
        (with_its_id, "completed", "", "POST statements (completed) → 200, 1 statement stored"),
    ],
)
def test_a_statement_is_stored_only_when_the_answer_carries_its_id(
    browser, story, statements, status, reason, shown
):
    """200 {"success": true} fails the story saying why; 200 with the sent id completes it."""
    with lrs(statements) as base:
        page, listed = in_the_page(browser, story, base)
        client = in_python(base)
    for outcome in (page, client):
        assert (outcome["status"], outcome["reason"]) == (status, reason), outcome
        sent = [s.get("verb") for s in outcome["steps"] if s["step"] == "statement"]
        assert sent == ["completed"], outcome  # both name the verb of each statement step
    assert listed == [shown]


def test_a_refusal_names_the_requirement_from_any_member(browser, story):
    with lrs(refused) as base:
        page, shown = in_the_page(browser, story, base)
    assert page["status"] == "failed"
    assert shown == [
        "POST statements (completed) → 403, cmi5 11.0.0.0-3 The AU MUST retrieve the Learner Preferences "
        "document"
    ]
