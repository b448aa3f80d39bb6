"""The dashboard's first launch, as the tour does it, in a real Chromium on a 1280×800 screen.

A refused statement says which rule it broke and offers to switch its mount to observe; each
mount shows its mode and quirks with controls to change them; the launch builder picks the
profile the AU names; the feed sits beside the AUs and follows the registration just launched.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.chromium import fresh_page
from tests.cmi5_au import AU
from tests.serve_process import ServeProcess

ROOT = Path(__file__).resolve().parent.parent
STORY = "http://127.0.0.1:9/story/index.html"
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with fresh_page(browser, 1280, 800, TIMEOUT_MS) as page:
        yield page


def open_dashboard(page: Page, lms, query: str = "") -> None:
    """Log in with `lms`'s key (a FakeLMS or a ServeProcess)."""
    user, secret = lms.key if isinstance(lms, ServeProcess) else lms.api_key
    page.goto(lms.base_url + "/" + query)
    page.locator("#api-key").fill(f"{user}:{secret}")
    page.get_by_role("button", name="Use key").click()
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#mounts li").first).to_be_visible()


def mount_of(lms, name: str) -> dict:
    return next(m for m in lms.admin("GET", "mounts").json() if m["name"] == name)


def completed_alone(lms, mount: str = "default") -> tuple[AU, dict]:
    """We Are's documented flow: the auth-token from fetch, then a Completed statement alone."""
    out = lms.admin("POST", "launches", json={"au_url": STORY, "profile": "weare", "mount": mount})
    au = AU(out.json()["launch_url"])
    assert au.fetch().status_code == 200
    stmt = au.statement("completed", result={"completion": True, "duration": "PT1M"}, moveon=True)
    return au, stmt


def test_a_refused_entry_names_the_rule_and_switches_its_mount_to_observe(page, lms):
    au, stmt = completed_alone(lms)
    refused = au.send(stmt)
    assert refused.status_code == 403, refused.text
    requirement = refused.json()["requirement"]
    open_dashboard(page, lms)
    entry = page.locator('#feeds .feed[data-mount="default"] > li.entry').filter(
        has_text=stmt["id"]
    )
    help_box = entry.locator(".refusal-help")
    expect(help_box.locator(".refusal-rule")).to_contain_text(f"cmi5 {requirement}")
    expect(help_box.locator(".refusal-rule")).to_contain_text("mount default enforces")
    help_box.get_by_role("button", name="Switch mount default to observe").click()
    expect(page.locator('#mounts li[data-mount="default"] .mount-mode-badge')).to_have_text(
        "observe"
    )
    expect(page.locator("#messages .message.info")).to_contain_text(
        "Mount default now has mode observe"
    )
    expect(help_box.locator(".switch-observe")).to_be_hidden()
    assert mount_of(lms, "default")["mode"] == "observe"
    again = au.statement("completed", result={"completion": True, "duration": "PT1M"}, moveon=True)
    assert au.send(again).status_code == 200  # the documented flow now goes through


def test_each_mount_shows_its_mode_and_quirks_with_controls_to_change_them(page, lms):
    assert lms.admin("POST", "mounts", json={"name": "watch", "mode": "observe"}).ok
    open_dashboard(page, lms)
    watch = page.locator('#mounts li[data-mount="watch"]')
    expect(watch.locator(".mount-mode-badge")).to_have_text("observe")
    expect(watch.locator(".mount-quirks")).to_have_text("quirks: none")
    # its name begins with the words shown (WCAG 2.5.3) and says whose quirks they are
    expect(watch.locator(".mount-quirks")).to_have_attribute(
        "aria-label", "quirks: none (mount watch)"
    )
    watch.get_by_label("Mode of mount watch").select_option("plain")
    expect(watch.locator(".mount-mode-badge")).to_have_text("plain")
    assert mount_of(lms, "watch")["mode"] == "plain"
    watch.locator(".mount-quirks").click()
    watch.get_by_label("reusable-fetch-token").check()
    watch.get_by_role("button", name="Apply quirks").click()
    expect(watch.locator(".mount-quirks")).to_have_text("quirks: reusable-fetch-token")
    assert mount_of(lms, "watch")["mount_quirks"] == ["reusable-fetch-token"]
    # the other mount is untouched
    default = page.locator('#mounts li[data-mount="default"]')
    expect(default.locator(".mount-mode-badge")).to_have_text("enforce")
    expect(default.locator(".mount-quirks")).to_have_text("quirks: none")


def test_the_launch_builder_picks_the_profile_the_au_names(page, tmp_path):
    """serve's reference story: the weare-documented AU launches with the weare profile."""
    with ServeProcess(tmp_path / "lms.db") as server:
        story = server.client().get(server.base_url + "/api/story", timeout=10).json()
        assert story["profiles"] == {"weare-documented": "weare", "cmi5-full": "cmi5"}
        open_dashboard(page, server)
        for behaviour, profile in story["profiles"].items():
            item = page.locator("#au-list > li.au").filter(has_text=f"({behaviour};")
            expect(item.locator(".au-title")).to_contain_text(f"the {profile} profile")
            item.locator(".builder > summary").click()
            expect(item.locator(".lb-profile")).to_have_value(profile)
        documented = page.locator("#au-list > li.au").filter(has_text="(weare-documented;")
        documented.get_by_role("button", name="Build launch").click()
        expect(documented.locator(".launch-link")).to_contain_text("cfg=weare-documented")
        registration = documented.locator(".lr-registration").inner_text()
        info = server.client().get(f"{server.base_url}/api/registrations/{registration}")
        assert [s["profile"] for s in info.json()["sessions"]] == ["weare"]


def test_a_wrong_key_names_the_unknown_user_not_an_empty_mount(page, lms):
    page.goto(lms.base_url + "/")
    page.locator("#api-key").fill("nobody:wrong-secret")
    page.get_by_role("button", name="Use key").click()
    message = page.locator("#messages .message.error")
    expect(message).to_contain_text("unknown API key user 'nobody'")
    expect(message).not_to_contain_text("mount")
    # the LRS still names the mount a key does not open
    headers = {"X-Experience-API-Version": "1.0.3"}
    r = requests.get(
        lms.endpoint() + "statements", auth=("nobody", "wrong"), headers=headers, timeout=10
    )
    assert r.status_code == 401 and "on mount 'default'" in r.json()["error"], r.text


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_make_serve_takes_port_and_mode(tmp_path):
    """`make serve PORT= MODE=` (dry run: the command it would run), then that command's flags."""
    dry = subprocess.run(
        ["make", "-n", "--no-print-directory", "-C", str(ROOT), "serve", "PORT=0", "MODE=observe"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    [line] = [ln for ln in dry.stdout.splitlines() if "weare-harness serve" in ln]
    command = line.split()
    assert command[0].endswith("/weare-harness") and command[1] == "serve", command
    assert command[2:] == ["--port", "0", "--mode", "observe"], command
    with ServeProcess(tmp_path / "lms.db", "--no-story", *command[2:]) as server:
        mounts = server.client().get(server.base_url + "/api/mounts", timeout=10).json()
        assert [(m["name"], m["mode"]) for m in mounts] == [("default", "observe")]


def launch_from_the_builder(page: Page, url: str) -> tuple[str, AU]:
    item = page.locator("#au-list > li.au").filter(has_text=url)
    item.locator(".builder > summary").click()
    item.get_by_role("button", name="Build launch").click()
    expect(item.locator(".launch-link")).to_contain_text("registration=")
    registration = item.locator(".lr-registration").inner_text()
    return registration, AU(item.locator(".launch-link").inner_text())


def test_the_feed_sits_beside_the_aus_and_follows_the_launched_registration(page, lms, tmp_path):
    lms.admin("POST", "aus", json={"url": STORY, "title": "Story one"})
    other = lms.admin("POST", "launches", json={"au_url": "http://127.0.0.1:9/other.html"}).json()
    stranger = AU(other["launch_url"])
    assert stranger.fetch().status_code == 200
    open_dashboard(page, lms)
    aus = page.locator("#aus-panel").bounding_box()
    feed = page.locator("#feed-panel").bounding_box()
    assert aus is not None and feed is not None
    assert feed["x"] >= aus["x"] + aus["width"], (aus, feed)  # beside, not under
    assert feed["y"] < 800 / 2, feed  # in view without scrolling

    registration, au = launch_from_the_builder(page, STORY)
    au.start()  # fetch, LMS.LaunchData, learner preferences
    assert au.initialized().status_code == 200
    assert stranger.get_launch_data().status_code == 200  # another registration's exchange
    expect(page.locator("#filter-registration")).to_have_value(registration)
    shown = page.locator('#feeds .feed[data-mount="default"] > li.entry:visible')
    expect(shown).to_have_count(4)  # fetch, LaunchData, preferences, initialized
    expect(shown.first).to_contain_text("initialized")
    expect(shown.last).to_contain_text("/fetch/")
    # the builder's button scrolled the page; the feed stays in view (viewport coordinates)
    first = shown.first.bounding_box()
    assert first is not None and 0 <= first["y"] < 800, first

    # the address is the registration's permalink; the view has the link and its own export
    assert page.url == f"{lms.base_url}/?registration={registration}"
    link = page.locator("#reg-view .reg-permalink")
    expect(link).to_have_attribute("href", f"/?registration={registration}")
    with page.expect_download() as info:
        page.get_by_role("button", name="Export this registration (NDJSON)").click()
    assert info.value.suggested_filename == f"journal-{registration}.ndjson"
    path = tmp_path / "registration.ndjson"
    info.value.save_as(path)
    entries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [e["path"].split("/")[1] for e in entries] == ["fetch", "xapi", "xapi", "xapi"]
    assert registration in entries[-1]["request_body"]
    assert other["registration"] not in path.read_text(encoding="utf-8")
    assert lms.api_key[1] not in path.read_text(encoding="utf-8")

    # the permalink, opened in another tab, shows the registration and filters the feed to it
    second = page.context.new_page()
    second.goto(f"{lms.base_url}/?registration={registration}")
    expect(second.locator("#reg-view .reg-shown")).to_have_text(registration)
    expect(second.locator("#filter-registration")).to_have_value(registration)
    expect(second.locator('#feeds .feed[data-mount="default"] > li.entry:visible')).to_have_count(4)


def test_a_registration_export_of_an_unknown_registration_is_a_404(lms):
    r = lms.admin("GET", "registrations/no-such-registration/journal.ndjson")
    assert r.status_code == 404 and "no registration" in r.json()["error"], r.text


def test_a_session_card_shows_refusals_and_the_registration_can_be_abandoned_waived_reset(
    page, lms
):
    lms.admin("POST", "aus", json={"url": STORY, "move_on": "Completed"})
    open_dashboard(page, lms)
    registration, au = launch_from_the_builder(page, STORY)
    assert au.fetch().status_code == 200
    stmt = au.statement("completed", result={"completion": True, "duration": "PT1M"}, moveon=True)
    assert au.send(stmt).status_code == 403
    card = page.locator("#reg-view li.session")
    expect(card.locator(".session-refusals .refusal")).to_have_text(
        [re.compile(r"^POST statements \(completed\) → 403 cmi5 .*11\.0\.0\.0-3")]
    )
    expect(card.locator(".verbs")).to_have_text("Verbs none accepted")

    card.get_by_role("button", name="Abandon").click()
    expect(card.locator(".session-head")).to_contain_text("abandoned")
    expect(card.get_by_role("button", name="Abandon")).to_have_count(0)
    info = lms.admin("GET", f"registrations/{registration}").json()
    assert [s["state"] for s in info["sessions"]] == ["abandoned"]

    row = page.locator("#reg-view table.progress tbody tr")
    row.get_by_role("button", name="Waive").click()
    expect(row.locator("td").nth(3)).to_have_text("yes")
    info = lms.admin("GET", f"registrations/{registration}").json()
    assert [p["waived"] for p in info["progress"].values()] == [True]

    page.locator("#reg-view").get_by_role("button", name="Reset").click()
    expect(page.locator("#messages .message.info")).to_contain_text(f"{registration} reset")
    expect(page.locator("#reg-view")).to_contain_text("No session.")
    expect(row.locator("td").nth(3)).to_have_text("no")
    info = lms.admin("GET", f"registrations/{registration}").json()
    assert info["sessions"] == [] and [p["waived"] for p in info["progress"].values()] == [False]
    gone = au.fetch()  # the forgotten session's fetch URL hands out nothing (cmi5 error JSON)
    assert "auth-token" not in gone.json() and "error-code" in gone.json(), gone.text


def test_a_reset_of_an_unknown_registration_is_a_404(lms):
    r = lms.admin("POST", "registrations/no-such-registration/reset")
    assert r.status_code == 404 and "no registration" in r.json()["error"], r.text
