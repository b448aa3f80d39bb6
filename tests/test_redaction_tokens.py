"""A live cmi5 auth-token never reaches the journal or the dashboard, wherever a client puts it."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from fake_lms.redact import REDACTED, KnownSecrets, encoded_forms, redact_text
from tests.cmi5_au import AU
from tests.factories import statement


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


# --- tokens of any characters: a vendor LMS's auth-token is opaque --------------------------

# Each token's pieces are distinctive, so a piece left in a report shows a partial redaction.
ODD_TOKENS = {
    "quote": 'qTokA1x9"qTokB2y8"qTokC3z7',
    "backslash": "bTokA1x9\\bTokB2y8\\",
    "spaces": "sTokA1x9 sTokB2y8  sTokC3z7",
    "unicode": "uTokA1x9ü€uTokB2y8 ☃ uTokC3z7",
    "everything": 'eTokA1x9"\' \\/eTokB2y8ü\\"eTokC3z7',
}


def pieces(token: str) -> list[str]:
    return [p for p in re.split(r"[^A-Za-z0-9]+", token) if len(p) >= 6]


def leaks(text: str, token: str) -> list[str]:
    return [p for p in pieces(token) if p in text]


@pytest.mark.parametrize("token", ODD_TOKENS.values(), ids=ODD_TOKENS.keys())
def test_an_auth_token_member_is_hidden_whole_at_any_escaping_level(token):
    """Without knowing the token: its member in JSON, in JSON inside a JSON string (twice), in
    a Python repr, with non-ASCII escaped or not."""
    body = {"auth-token": token, "after": "kept-value"}
    texts = [
        json.dumps(body),
        json.dumps(body, ensure_ascii=False),
        json.dumps({"body": json.dumps(body)}),
        json.dumps({"outer": json.dumps({"body": json.dumps(body)})}),
        repr(body),
    ]
    for text in texts:
        out = redact_text(text)
        assert not leaks(out, token), (text, out)
        assert "kept-value" in out and REDACTED in out, out


@pytest.mark.parametrize("token", ODD_TOKENS.values(), ids=ODD_TOKENS.keys())
def test_a_known_token_is_hidden_whole_in_every_form(token):
    from harness.certify.recorder import secret_forms

    known = KnownSecrets(secret_forms([token]))
    texts = [
        token,
        f"Basic {token}",
        f"the auth-token {token!r} is not base64",
        json.dumps({"x": token}),
        json.dumps({"x": token}, ensure_ascii=False),
        json.dumps({"x": token}).replace("/", "\\/"),  # as PHP's json_encode writes it
        "?t=" + quote(token, safe=""),
    ]
    for text in texts:
        out = redact_text(text, known)
        assert not leaks(out, token), (text, out)


def vendor_lms(token: str, *, ascii_json: bool):
    """A vendor LMS on loopback whose fetch URL hands out `token` (and names it, once used)."""
    fetched = []

    def answer(method: str, path: str, body: bytes):
        if path.startswith("/fetch"):
            payload = (
                {"error-code": "1", "error-text": f"token {token} was already fetched"}
                if fetched
                else {"auth-token": token}
            )
            fetched.append(path)
            data = json.dumps(payload, ensure_ascii=ascii_json).encode()
            return 200, {"Content-Type": "application/json"}, data
        return 200, {"Content-Type": "application/json", "X-Experience-API-Version": "1.0.3"}, b"{}"

    return answer


@pytest.mark.parametrize("ascii_json", [True, False], ids=["escaped", "utf-8"])
@pytest.mark.parametrize("token", ODD_TOKENS.values(), ids=ODD_TOKENS.keys())
def test_certify_reports_hide_a_token_of_any_characters(token, ascii_json, tmp_path):
    """certify against a real LMS on loopback: no piece of the token in evidence.json,
    results.json or report.html, whatever characters it holds."""
    from urllib.parse import urlencode

    from harness.certify import report
    from harness.certify.context import CertInputs
    from harness.certify.run import certify
    from tests.loopback import answering

    with answering(vendor_lms(token, ascii_json=ascii_json)) as base:
        query = urlencode(
            {
                "endpoint": base + "/xapi/",
                "fetch": base + "/fetch/a",
                "actor": json.dumps({"objectType": "Agent", "mbox": "mailto:l@lms.example"}),
                "activityId": "https://lms.example/activities/story-1",
                "registration": "0f7a4b1e-7c2d-4a53-9d1e-3b8c2f6a9e10",
            }
        )
        cert = certify(CertInputs([f"https://story.example/?{query}"], timeout=5))
    paths = report.write(cert, tmp_path)
    evidence = (tmp_path / "evidence.json").read_text(encoding="utf-8")
    assert "auth-token" in evidence  # the fetch answer is in the evidence, its token hidden
    for name in ("evidence.json", "results.json", "report.html"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert not leaks(text, token), (name, leaks(text, token))
    assert paths["html"].exists()
