"""`GET /api/mounts/<name>/journal.ndjson`: the whole journal as NDJSON, redacted, over real HTTP."""

from __future__ import annotations

import base64
import json

import requests

from fake_lms import admin
from tests.cmi5_au import AU
from tests.factories import statement

STORY = "http://127.0.0.1:9/story/index.html"


def export(lms, mount: str = "default", **kwargs) -> requests.Response:
    return lms.admin("GET", f"mounts/{mount}/journal.ndjson", **kwargs)


def test_the_export_is_ndjson_of_every_entry_with_secrets_redacted(lms):
    out = lms.admin("POST", "launches", json={"au_url": STORY}).json()
    au = AU(out["launch_url"])
    au.start()
    token = au.http.headers["Authorization"].removeprefix("Basic ")
    assert au.initialized().status_code == 200
    assert lms.client().post(lms.endpoint() + "statements", json=statement()).status_code == 200
    r = export(lms)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/x-ndjson")
    assert "attachment" in r.headers["Content-Disposition"]
    lines = r.text.splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON entry
    assert r.text.endswith("\n")
    page = lms.admin("GET", "mounts/default/journal?limit=5000").json()["entries"]
    assert [e["seq"] for e in entries] == [e["seq"] for e in page]
    assert entries == page
    user, secret = lms.api_key
    basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
    token_secret = base64.b64decode(token).decode().split(":", 1)[1]
    for needle in (secret, basic, token, token_secret):
        assert needle not in r.text, "a secret appears unredacted in the NDJSON export"
    paths = [e["path"] for e in entries]
    assert any("/fetch/" in p for p in paths) and any(p.endswith("/statements") for p in paths)


def test_the_export_pages_through_a_journal_longer_than_one_page(lms, monkeypatch):
    monkeypatch.setattr(admin, "PAGE_MAX", 3)  # the server runs in this process
    client = lms.client()
    for _ in range(7):
        assert client.post(lms.endpoint() + "statements", json=statement()).status_code == 200
    entries = [json.loads(line) for line in export(lms).text.splitlines()]
    assert len(entries) == 7
    assert [e["seq"] for e in entries] == sorted({e["seq"] for e in entries})


def test_the_export_needs_the_api_key_and_a_known_mount(lms):
    assert requests.get(
        lms.base_url + "/api/mounts/default/journal.ndjson", timeout=10
    ).status_code in (401, 403)
    r = export(lms, "nope")
    assert r.status_code == 404
    assert "nope" in r.json()["error"]


def test_an_empty_journal_exports_as_an_empty_body(lms):
    r = export(lms)
    assert r.status_code == 200
    assert r.text == ""
