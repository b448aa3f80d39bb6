"""Bytes served back as stored never run as an LMS page: nosniff and a sandboxing CSP.

A state document stored as `text/html` is answered with `Content-Security-Policy: sandbox`, so
opened in Chromium its script does not run. Course files are served under `/content/` on an
origin of their own (the LMS's origin redirects there), with a sandbox that still lets a real
course run: the @xapi/cmi5 AU page, imported as a zip package and launched from the content
origin in Chromium, runs a whole cmi5 session against the LRS.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from typing import Any

import pytest
import requests

from fake_lms.served import CONTENT_SANDBOX
from tests.factories import ACTOR
from tests.test_interop_cmi5_client import (  # noqa: F401 - `browser` and `opened` are fixtures
    BUNDLE,
    INTEROP,
    NORMAL_SEQUENCE,
    PAGE,
    browser,
    opened,
    statement_posts,
)

ACTIVITY = "https://weare.example.com/stories/42"
HOSTILE_HTML = (
    b"<!doctype html><title>stored</title>"
    b"<script>document.title = 'script ran'; window.ran = true;</script>"
)
NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
COURSE = "https://weare.example.com/courses/served"


def state_params(state_id: str = "page") -> dict[str, str]:
    return {"activityId": ACTIVITY, "agent": json.dumps(ACTOR), "stateId": state_id}


def put_html_state(lms) -> str:
    """Store a `text/html` state document; the URL that reads it back."""
    r = lms.client().put(
        lms.endpoint() + "activities/state",
        params=state_params(),
        data=HOSTILE_HTML,
        headers={"Content-Type": "text/html"},
    )
    assert r.status_code == 204, r.text
    return r.request.url


@pytest.mark.parametrize(
    ("resource", "params"),
    [
        ("activities/state", state_params()),
        ("activities/profile", {"activityId": ACTIVITY, "profileId": "page"}),
        ("agents/profile", {"agent": json.dumps(ACTOR), "profileId": "page"}),
    ],
)
def test_a_stored_html_document_is_served_sandboxed_and_unsniffed(lms, resource, params):
    client = lms.client()
    r = client.put(
        lms.endpoint() + resource,
        params=params,
        data=HOSTILE_HTML,
        headers={"Content-Type": "text/html", "If-None-Match": "*"},
    )
    assert r.status_code == 204, r.text
    got = client.get(lms.endpoint() + resource, params=params)
    assert got.status_code == 200, got.text
    assert got.content == HOSTILE_HTML  # served as stored, type included
    assert got.headers["Content-Type"].startswith("text/html")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Security-Policy"] == "sandbox"
    # The id list is served by the same GET: the same headers.
    id_param = "stateId" if "stateId" in params else "profileId"
    listed = client.get(lms.endpoint() + resource, params={**params, id_param: None})
    assert listed.status_code == 200, listed.text
    assert listed.json() == ["page"]
    assert listed.headers["X-Content-Type-Options"] == "nosniff"


def test_a_stored_html_document_opened_in_chromium_runs_no_script(lms, browser):  # noqa: F811
    url = put_html_state(lms)
    credentials = base64.b64encode(":".join(lms.api_key).encode()).decode()
    context = browser.new_context(
        extra_http_headers={
            "Authorization": f"Basic {credentials}",
            "X-Experience-API-Version": "1.0.3",
        }
    )
    try:
        page = context.new_page()
        response = page.goto(url, timeout=15_000)
        assert response is not None and response.status == 200
        assert page.title() == "stored"  # rendered as HTML ...
        assert page.evaluate("() => window.ran === undefined")  # ... but its script never ran
        assert page.evaluate("() => window.origin") == "null"  # in an opaque origin
    finally:
        context.close()


# --- course files under /content/ on the content origin ----------------------------------------
def package(**files: bytes) -> bytes:
    xml = (
        f'<?xml version="1.0" encoding="utf-8"?><courseStructure xmlns="{NS}">'
        f'<course id="{COURSE}"><title><langstring lang="en">Served</langstring></title>'
        '<description><langstring lang="en">A packaged AU</langstring></description></course>'
        f'<au id="{COURSE}/au/1" moveOn="CompletedAndPassed" masteryScore="0.5">'
        '<title><langstring lang="en">AU</langstring></title>'
        '<description><langstring lang="en">The @xapi/cmi5 page</langstring></description>'
        f"<url>{PAGE}</url></au></courseStructure>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("cmi5.xml", xml)
        for name, content in files.items():
            z.writestr(name, content)
    return buf.getvalue()


def import_package(lms, data: bytes) -> dict[str, Any]:
    r = lms.admin("POST", "courses", data=data, headers={"Content-Type": "application/zip"})
    assert r.status_code == 201, r.text
    return r.json()


def test_course_files_are_served_with_nosniff_and_a_sandbox_that_lets_them_run(lms):
    course = import_package(lms, package(**{PAGE: b"<html>au</html>", "lib.js": b"1;"}))
    base = f"{lms.content_url}/content/{course['id']}/"
    for name, ctype in ((PAGE, "text/html"), ("lib.js", "javascript")):
        r = lms.client().get(base + name)
        assert r.status_code == 200, r.text
        assert ctype in r.headers["Content-Type"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Security-Policy"] == CONTENT_SANDBOX
    policy = CONTENT_SANDBOX.split()
    assert policy[0] == "sandbox" and "allow-scripts" in policy
    missing = lms.client().get(base + "missing.html")
    assert missing.status_code == 404
    assert missing.headers["X-Content-Type-Options"] == "nosniff"
    # the LMS's own origin serves no course file: it sends the browser to the content origin
    moved = requests.get(
        f"{lms.base_url}/content/{course['id']}/{PAGE}?a=1", allow_redirects=False, timeout=10
    )
    assert moved.status_code == 308, moved.text
    assert moved.headers["Location"] == base + PAGE + "?a=1"
    assert b"<html>au</html>" not in moved.content


@pytest.mark.slow
@pytest.mark.skipif(not BUNDLE.is_file(), reason="@xapi/cmi5 is not installed (make setup)")
def test_a_real_cmi5_page_launched_from_content_runs_a_whole_session(lms, opened):  # noqa: F811
    page = (INTEROP / PAGE).read_bytes()
    bundle_path = BUNDLE.relative_to(INTEROP).as_posix()
    course = import_package(lms, package(**{PAGE: page, bundle_path: BUNDLE.read_bytes()}))
    r = lms.admin("POST", f"courses/{course['id']}/aus/0/launches", json={})
    assert r.status_code == 201, r.text
    launch = r.json()
    assert launch["launch_url"].startswith(f"{lms.content_url}/content/{course['id']}/{PAGE}?")

    run = opened(launch["launch_url"])
    served = [x for x in run.responses if x.url.startswith(f"{lms.content_url}/content/")]
    assert served and all(
        x.all_headers().get("content-security-policy") == CONTENT_SANDBOX for x in served
    ), [(x.url, x.all_headers()) for x in served]
    results = run.run(NORMAL_SEQUENCE)
    assert results["errors"] == [], f"{results['errors']}\n{run.console}"
    assert not [c for c in run.console if c.startswith("pageerror")], run.console
    assert all(s["ok"] and s["status"] == 200 for s in results["steps"]), results["steps"]
    entries = lms.admin("GET", "mounts/default/journal").json()["entries"]
    posts = statement_posts(entries)
    assert len(posts) == 5 and all(e["status"] in (200, 204) for e in posts), entries
