"""The dashboard's first launch, as the tour does it, in a real Chromium on a 1280×800 screen.

A refused statement says which rule it broke and offers to switch its mount to observe; each
mount shows its mode and quirks with controls to change them; the launch builder picks the
profile the AU names; the feed sits beside the AUs and follows the registration just launched.
"""

from __future__ import annotations

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
