"""A live cmi5 auth-token never reaches the journal or the dashboard, wherever a client puts it."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from fake_lms.redact import REDACTED, KnownSecrets, encoded_forms, redact_text
from tests.cmi5_au import AU
from tests.conftest import statement


@pytest.fixture
def session(lms) -> Iterator[AU]:
    """An AU that launched and fetched its auth-token (the Basic credential the fetch URL gives)."""
    r = lms.admin("POST", "launches", json={"au_url": "https://au.example.com/a.html"})
    assert r.status_code == 201, r.text
    au = AU(r.json()["launch_url"])
    au.start()
    au.initialized()
    yield au


def token_of(au: AU) -> tuple[str, str]:
    """(the auth-token as handed out, the raw token inside it)."""
    handed = au.http.headers["Authorization"].removeprefix("Basic ")
    raw = base64.b64decode(handed).decode().removeprefix(":")
    assert uuid.UUID(raw)
    return handed, raw


def journal_text(lms) -> str:
    entries: list[dict[str, Any]] = []
    after = 0
    for _ in range(50):  # bounded paging
        page = lms.admin("GET", f"mounts/default/journal?after={after}").json()
        entries += page["entries"]
        if not page["more"]:
            break
        after = page["next_after"]
    return json.dumps(entries)


def assert_hidden(text: str, handed: str, raw: str) -> None:
    for secret in (handed.rstrip("="), raw, raw.upper(), quote(handed.rstrip("="), safe="")):
        assert secret not in text, secret


def test_a_token_placed_anywhere_is_journaled_redacted(lms, session):
    handed, raw = token_of(session)
    client = lms.client()
    # In URL queries: as handed out (percent-encoded by requests) and raw.
    for params in ({"x": handed}, {"limit": "1", "y": raw}):
        assert client.get(lms.endpoint() + "statements", params=params).status_code < 500
    # In a statement extension, posted with the API key, then read back (response body).
    stmt = statement(
        result={"extensions": {"https://weare.example.com/x/token": handed, "https://w/raw": raw}}
    )
    assert client.post(lms.endpoint() + "statements", json=stmt).status_code == 200
    assert client.get(lms.endpoint() + "statements", params={"statementId": stmt["id"]}).ok
    # In a state document body, JSON-escaped, with the AU's own credential.
    state = {
        "activityId": session.activity_id,
        "agent": json.dumps(session.actor),
        "registration": session.registration,
        "stateId": "bookmark",
    }
    body = json.dumps({"t": handed.replace("/", "\\/"), "r": raw})
    put = session.http.put(session.endpoint + "activities/state", params=state, data=body)
    assert put.status_code == 204, put.text
    assert session.http.get(session.endpoint + "activities/state", params=state).ok
    # In headers other than Authorization.
    r = client.get(
        lms.endpoint() + "about", headers={"X-Debug-Token": handed, "X-Raw": f"tok={raw}"}
    )
    assert r.status_code == 200

    text = journal_text(lms)
    assert_hidden(text, handed, raw)
    entries = json.loads(text)
    assert any(REDACTED in e["query"] for e in entries)
    posted = [e for e in entries if e["method"] == "POST" and e["path"].endswith("/statements")]
    assert any(REDACTED in e["request_body"] and stmt["id"] in e["request_body"] for e in posted)
    read_back = [e for e in entries if "statementId" in e["query"]]
    assert read_back and REDACTED in read_back[-1]["response_body"]
    headers = [e["request_headers"] for e in entries if e["path"].endswith("/about")]
    assert headers and headers[-1]["X-Debug-Token"] == REDACTED
    assert headers[-1]["X-Raw"] == f"tok={REDACTED}"


def test_a_token_fetched_before_a_restart_is_still_hidden(tmp_path):
    from fake_lms import LMSConfig
    from fake_lms.live import FakeLMS

    db = str(tmp_path / "lms.db")
    with FakeLMS(LMSConfig(db_path=db)) as lms:
        r = lms.admin("POST", "launches", json={"au_url": "https://au.example.com/a.html"})
        au = AU(r.json()["launch_url"])
        au.start()
        handed, raw = token_of(au)
    with FakeLMS(LMSConfig(db_path=db)) as lms:
        lms.client().get(lms.endpoint() + "about", params={"x": handed, "y": raw})
        assert_hidden(journal_text(lms), handed, raw)


def test_the_dashboard_never_shows_a_token(lms, session):
    sync_api = pytest.importorskip("playwright.sync_api")
    from harness.browser import launch_chromium

    handed, raw = token_of(session)
    stmt = statement(result={"extensions": {"https://weare.example.com/x/token": handed}})
    assert lms.client().post(lms.endpoint() + "statements", json=stmt).status_code == 200
    lms.client().get(lms.endpoint() + "about", params={"x": raw})
    bodies: list[str] = []
    with sync_api.sync_playwright() as playwright:
        try:
            browser = launch_chromium(playwright)
        except sync_api.Error as exc:
            pytest.skip(f"Chromium cannot be launched here: {exc.message.splitlines()[0]}")
        try:
            page = browser.new_page()
            page.on("response", lambda r: bodies.append(r.text()) if "/api/" in r.url else None)
            page.goto(lms.base_url + "/")
            page.locator("#api-key").fill(":".join(lms.api_key))
            page.get_by_role("button", name="Use key").click()
            entries = page.locator('#feeds .feed[data-mount="default"] > li.entry')
            entries.filter(has_text=stmt["id"]).first.wait_for(timeout=10_000)
            html = page.content()
        finally:
            browser.close()
    assert stmt["id"] in html
    assert any("/journal" in b or "entries" in b for b in bodies)
    assert_hidden(html + "".join(bodies), handed, raw)


# --- the redactor itself -----------------------------------------------------------------------
def test_every_form_of_a_known_token_is_redacted_and_others_are_kept():
    token, other = str(uuid.uuid4()), str(uuid.uuid4())
    known = KnownSecrets(["api-secret-1"], [token])
    handed = base64.b64encode(f":{token}".encode()).decode()
    for form in (*encoded_forms(token), token, token.upper()):
        for text in (form, f"a{form}b", f"?x={form}%3D%3D&y=1", f'{{"k":"{form}=="}}'):
            out = redact_text(text, known)
            assert token not in out and handed.rstrip("=") not in out, (text, out)
            assert REDACTED in out
    kept = f"statement {other} by {base64.b64encode(f':{other}'.encode()).decode()}"
    assert redact_text(kept, known) == kept
    assert redact_text("key api-secret-1 here", known) == f"key {REDACTED} here"


def test_a_token_issued_later_is_redacted_from_then_on():
    known = KnownSecrets()
    token = str(uuid.uuid4())
    assert redact_text(token, known) == token
    known.add_token(token)
    assert redact_text(token, known) == REDACTED


def test_a_credential_added_later_is_hidden_and_known_tokens_stay_hidden(lms, session):
    handed, raw = token_of(session)
    client = lms.client()
    client.get(lms.endpoint() + "about", params={"x": raw})  # the cache of secrets is built
    body = {"name": "later", "username": "late", "secret": "late-secret-42"}
    assert lms.admin("POST", "mounts", json=body).status_code == 201
    client.get(lms.endpoint() + "about", params={"k": "late-secret-42", "t": handed})
    text = journal_text(lms)
    assert "late-secret-42" not in text
    assert_hidden(text, handed, raw)
