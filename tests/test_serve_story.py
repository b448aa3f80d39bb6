"""`weare-harness serve` hosts the reference We Are story on its own origin (issue 12).

A real `serve` subprocess over real HTTP: the story answers from a second port, is registered as
an AU on start, `GET /api/story` names it, and `launch --au-url reference` resolves to it; the
launch it gives completes a cmi5 session, driven by the story client and by the page in Chromium.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from harness.story.behaviour import BEHAVIOURS, StoryConfig
from harness.story.client import WeAreClient
from tests.loopback import free_port_pair
from tests.serve_process import ServeProcess

API_KEY = "qa:s3cret-key"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _story_line(server: ServeProcess) -> str | None:
    return server.banner_url(r"reference story \(registered as an AU\)")


def _launch(server: ServeProcess, *args: str) -> subprocess.CompletedProcess[str]:
    lms = ("--lms", server.base_url, "--api-key", API_KEY)
    return subprocess.run(
        [sys.executable, "-m", "harness", "launch", *lms, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    db = tmp_path_factory.mktemp("story") / "lms.db"
    with ServeProcess(db, "--mount", "observe=observe", api_key=API_KEY) as running:
        yield running


def test_story_answers_the_page_from_its_own_origin(server: ServeProcess) -> None:
    info = server.client().get(server.base_url + "/api/story", timeout=10)
    assert info.status_code == 200, info.text
    url = info.json()["url"]
    assert _story_line(server) == url, server.banner
    assert _origin(url) != _origin(server.base_url)
    page = requests.get(url, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "We Are reference story" in page.text
    assert requests.get(_origin(url) + "/story/story.js", timeout=10).status_code == 200
    # the LMS's own origin does not serve the story
    assert requests.get(server.base_url + "/story/index.html", timeout=10).status_code == 404
    for behaviour, behaviour_url in info.json()["behaviours"].items():
        key = parse_qs(urlsplit(behaviour_url).query)["cfg"][0]
        config = requests.get(f"{_origin(url)}/story/api/configs/{key}", timeout=10).json()
        assert config["behaviour"] == behaviour


def test_api_story_needs_the_api_key(server: ServeProcess) -> None:
    answer = requests.get(server.base_url + "/api/story", timeout=10)
    assert answer.status_code in (401, 403), answer.text


def test_story_is_registered_as_an_au_in_each_behaviour(server: ServeProcess) -> None:
    story = server.client().get(server.base_url + "/api/story", timeout=10).json()
    aus = server.client().get(server.base_url + "/api/aus", timeout=10).json()
    registered = {au["url"] for au in aus}
    assert set(story["behaviours"]) == set(BEHAVIOURS)
    assert set(story["behaviours"].values()) <= registered, (registered, story)


def test_restart_on_the_same_story_port_registers_no_second_au(tmp_path: Path) -> None:
    port = free_port_pair()
    db = tmp_path / "lms.db"
    for _ in range(2):
        with ServeProcess(db, "--story-port", str(port), api_key=API_KEY) as running:
            aus = running.client().get(running.base_url + "/api/aus", timeout=10).json()
            running.terminate()
    assert len(aus) == len(BEHAVIOURS), aus


def test_no_story_disables_it(tmp_path: Path) -> None:
    with ServeProcess(tmp_path / "lms.db", "--no-story", api_key=API_KEY) as running:
        assert _story_line(running) is None, running.banner
        answer = running.client().get(running.base_url + "/api/story", timeout=10)
        assert answer.status_code == 404
        assert "--no-story" in answer.json()["error"]
        assert running.client().get(running.base_url + "/api/aus", timeout=10).json() == []
        done = _launch(running, "--au-url", "reference")
        assert done.returncode == 2, done
        assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "hosts no reference story" in lines[0], done.stderr


def test_story_port_defaults_to_the_lms_port_plus_one(tmp_path: Path) -> None:
    port = free_port_pair()
    with ServeProcess(tmp_path / "lms.db", "--port", str(port), api_key=API_KEY) as running:
        assert running.base_url == f"http://127.0.0.1:{port}"
        assert _story_line(running) == (
            f"http://127.0.0.1:{port + 1}/story/index.html?cfg=weare-documented"
        )


def test_story_port_zero_picks_a_free_port(tmp_path: Path) -> None:
    port = free_port_pair()
    with ServeProcess(
        tmp_path / "lms.db", "--port", str(port), "--story-port", "0", api_key=API_KEY
    ) as running:
        url = _story_line(running)
        assert url is not None, running.banner
        story_port = urlsplit(url).port
        assert story_port not in (0, port), url
        assert requests.get(url, timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("flag", "what"), [("--story-port", "the story"), ("--content-port", "course content")]
)
def test_story_or_content_port_in_use_exits_2_with_one_line(
    tmp_path: Path, flag: str, what: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "harness",
                "serve",
                "--port",
                "0",
                flag,
                str(port),
                "--db",
                str(tmp_path / "lms.db"),
                "--api-key",
                API_KEY,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"127.0.0.1:{port} for {what} ({flag})" in lines[0], lines


def _reference_launch(server: ServeProcess, *args: str) -> dict:
    done = _launch(server, "--au-url", "reference", "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _completed_in_the_lms(server: ServeProcess, launch_url: str) -> list[str]:
    """The verbs of the launch's registration the LMS stored; they must hold `completed`."""
    registration = parse_qs(urlsplit(launch_url).query)["registration"][0]
    path = f"{server.base_url}/api/registrations/{registration}/statements"
    answer = server.client().get(path, timeout=10).json()
    statements = answer["statements"] if isinstance(answer, dict) else answer
    verbs = [s.get("statement", s)["verb"]["id"].rsplit("/", 1)[-1] for s in statements]
    assert "completed" in verbs, verbs
    return verbs


# We Are's documented flow sends `completed` alone, which an enforce mount refuses (cmi5
# 11.0.0.0-3), so that behaviour is launched on an observe mount; cmi5-full on the enforce one.
@pytest.mark.parametrize(
    ("profile", "behaviour", "mount"),
    [("weare", "weare-documented", "observe"), ("cmi5", "cmi5-full", "default")],
)
def test_launch_reference_completes_a_session_with_the_story_client(
    server: ServeProcess, profile: str, behaviour: str, mount: str
) -> None:
    story = server.client().get(server.base_url + "/api/story", timeout=10).json()
    story_url = story["behaviours"][behaviour]
    launch = _reference_launch(server, "--profile", profile, "--mount", mount)
    launch_url = launch["launch_url"]
    assert launch_url.startswith(story_url + "&"), (launch_url, story_url)
    # the configuration the page itself reads from its origin
    key = parse_qs(urlsplit(story_url).query)["cfg"][0]
    config = requests.get(f"{_origin(story_url)}/story/api/configs/{key}", timeout=10)
    assert config.json()["behaviour"] == behaviour
    client = WeAreClient(
        StoryConfig(**config.json()), origin=_origin(story_url), story_url=story_url
    )
    outcome = client.run(launch_url)
    assert outcome.status == "completed", outcome.as_dict()
    assert outcome.destination == f"{server.base_url}/xapi/{mount}/", outcome.as_dict()
    _completed_in_the_lms(server, launch_url)


def test_launch_reference_completes_a_session_in_chromium(server: ServeProcess) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    from harness.browser import launch_chromium

    launch_url = _reference_launch(server)["launch_url"]
    with playwright.sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page()
            page.goto(launch_url, wait_until="domcontentloaded", timeout=15_000)
            page.wait_for_function("window.weareReady === true", timeout=15_000)
            page.click("#finish")
            page.wait_for_function("window.weareFinished === true", timeout=15_000)
            outcome = page.evaluate("window.weareOutcome")
        finally:
            browser.close()
    assert outcome["status"] == "completed", outcome
    assert outcome["credentials"] == "fetch-token", outcome
    verbs = _completed_in_the_lms(server, launch_url)
    assert {"initialized", "terminated"} <= set(verbs), verbs  # the cmi5-full session, whole


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (("--story-port", "99999"), "--story-port 99999"),
        (("--story-port", "-5"), "--story-port -5"),
        (("--port", "65535"), "--port + 1 = 65536"),
        (("--port", "65534", "--no-story"), "--content-port (default --port + 2 = 65536)"),
        (("--content-port", "70000"), "--content-port 70000"),
    ],
)
def test_a_story_or_content_port_out_of_range_exits_2_with_one_line(
    tmp_path: Path, flags: tuple[str, ...], named: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness", "serve", "--db", str(tmp_path / "lms.db"), *flags],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "0..65535" in lines[0], done.stderr
