"""The admin API checks a whole request before it stores anything: a refusal leaves no trace."""

from __future__ import annotations

from typing import Any

import pytest
import requests


def mount_names(lms) -> set[str]:
    r = lms.admin("GET", "mounts")
    assert r.status_code == 200, r.text
    return {m["name"] for m in r.json()}


def au_urls(lms) -> list[str]:
    r = lms.admin("GET", "aus")
    assert r.status_code == 200, r.text
    return [a["url"] for a in r.json()]


def test_create_mount_with_a_missing_also_opens_mount_creates_nothing(lms):
    r = lms.admin(
        "POST",
        "mounts",
        json={"name": "fresh", "username": "u", "secret": "s3cret", "also_opens": ["nope"]},
    )
    assert r.status_code == 404, r.text
    assert "nope" in r.json()["error"]
    assert "fresh" not in mount_names(lms)
    # The credential was not stored either: it opens nothing.
    r = requests.get(
        lms.endpoint() + "statements",
        auth=("u", "s3cret"),
        headers={"X-Experience-API-Version": "1.0.3"},
        timeout=5,
    )
    assert r.status_code == 401, r.text


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"quirks": ["no-such-quirk"]}, 400),
        ({"quirks": "slow-responses"}, 400),
        ({"also_opens": "default"}, 400),  # a string, not a list: never read as 'd', 'e', ...
        ({"username": "only-a-user"}, 400),  # no secret
        ({"also_opens": ["default", "missing"], "username": "u", "secret": "s"}, 404),
    ],
)
def test_a_refused_create_mount_leaves_no_mount(lms, extra: dict[str, Any], status: int):
    r = lms.admin("POST", "mounts", json={"name": "fresh", **extra})
    assert r.status_code == status, r.text
    assert "fresh" not in mount_names(lms)


def test_create_mount_with_existing_also_opens_still_works(lms):
    r = lms.admin(
        "POST",
        "mounts",
        json={
            "name": "fresh",
            "mode": "observe",
            "quirks": ["no-version-header"],
            "username": "u",
            "secret": "s3cret",
            "also_opens": ["default"],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["quirks"] == ["no-version-header"]
    assert r.json()["mode"] == "observe"
    for mount in ("fresh", "default"):
        answer = requests.get(
            lms.endpoint(mount) + "statements",
            auth=("u", "s3cret"),
            headers={"X-Experience-API-Version": "1.0.3"},
            timeout=5,
        )
        assert answer.status_code == 200, (mount, answer.text)


def test_a_refused_mount_update_changes_nothing(lms):
    r = lms.admin("PATCH", "mounts/default", json={"mode": "observe", "quirks": ["no-such"]})
    assert r.status_code == 400, r.text
    (default,) = [m for m in lms.admin("GET", "mounts").json() if m["name"] == "default"]
    assert default["mode"] == "enforce"
    assert default["quirks"] == []


@pytest.mark.parametrize(
    "extra",
    [
        {"launch_mode": "Sideways"},
        {"no_such_field": 1},
        {"mount": "missing"},
        {"actor": "not an agent"},
        {"registration": "not-a-uuid"},
    ],
)
def test_a_refused_launch_by_au_url_registers_no_au(lms, extra: dict[str, Any]):
    url = "https://au.example.com/lesson.html"
    r = lms.admin("POST", "launches", json={"au_url": url, **extra})
    assert r.status_code in (400, 404), r.text
    assert url not in au_urls(lms)


def test_a_launch_by_au_url_refused_for_a_foreign_registration_registers_no_au(lms):
    first = lms.admin("POST", "launches", json={"au_url": "https://au.example.com/a.html"})
    assert first.status_code == 201, first.text
    url = "https://au.example.com/b.html"
    r = lms.admin(
        "POST", "launches", json={"au_url": url, "registration": first.json()["registration"]}
    )
    assert r.status_code == 409, r.text
    assert url not in au_urls(lms)


def test_a_launch_by_au_url_registers_the_au_once(lms):
    url = "https://au.example.com/lesson.html"
    for _ in range(2):
        r = lms.admin("POST", "launches", json={"au_url": url})
        assert r.status_code == 201, r.text
    assert au_urls(lms).count(url) == 1


def test_also_opens_may_name_the_mount_being_created(lms):
    body = {"name": "fresh", "username": "u", "secret": "s3cret", "also_opens": ["fresh"]}
    r = lms.admin("POST", "mounts", json=body)
    assert r.status_code == 201, r.text
    assert "fresh" in mount_names(lms)


@pytest.mark.parametrize(
    "url", ["javascript:alert(document.cookie)", "data:text/html,hi", "myapp://content/launch"]
)
def test_course_import_and_post_aus_refuse_the_same_au_urls(lms, url: str):
    """One rule (fake_lms/cmi5/au_url.py): course import used to accept `javascript:` AU urls."""
    by_hand = lms.admin("POST", "aus", json={"url": url})
    assert by_hand.status_code == 400, by_hand.text
    structure = (
        '<?xml version="1.0"?><courseStructure '
        'xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">'
        '<course id="https://weare.example.com/c"><title><langstring lang="en">C</langstring>'
        '</title><description><langstring lang="en">C</langstring></description></course>'
        '<au id="https://weare.example.com/c/au"><title><langstring lang="en">A</langstring>'
        '</title><description><langstring lang="en">A</langstring></description>'
        f"<url>{url}</url></au></courseStructure>"
    )
    imported = lms.admin(
        "POST", "courses", data=structure.encode(), headers={"Content-Type": "application/xml"}
    )
    assert imported.status_code == 400, imported.text
    for answer in (by_hand, imported):
        assert answer.json()["requirement"] == "13.1.4.0-2"
        assert "expected http or https" in answer.json()["error"]
    assert url not in au_urls(lms)
