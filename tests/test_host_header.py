"""Every URL a real `serve` hands out names the address other machines reach it by
(`--public-url`, else the address it listens on), never the request's Host header; its story
port declares every answer's type (nosniff); listening beyond loopback names a reachable host
and says what it exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.public_base import exposure_warning, reachable_host
from tests.factories import statement
from tests.serve_process import ServeProcess
from tests.test_course_import import au, course, make_zip

FORGED = "evil.example"
PUBLIC = "https://lms.example.test/weare"


def forged(serve: ServeProcess, method: str, path: str, **kwargs) -> requests.Response:
    """A request to the real server whose Host header names another machine."""
    headers = {"Host": f"{FORGED}:8080", **kwargs.pop("headers", {})}
    return serve.client().request(method, serve.base_url + path, headers=headers, **kwargs)


def urls_handed_out(serve: ServeProcess) -> str:
    """The text of every answer carrying an absolute URL: a launch, a course import (content
    URLs), the mounts' endpoints and a stored statement's authority, all asked with a forged
    Host."""
    answers = []
    launch = forged(serve, "POST", "/api/launches", json={"au_url": "https://au.example/a.html"})
    answers.append(launch)
    package = make_zip({"cmi5.xml": course(au(url="story/index.html")), "story/index.html": "x"})
    imported = forged(
        serve,
        "POST",
        "/api/courses?filename=course.zip",
        data=package,
        headers={"Content-Type": "application/zip"},
    )
    answers.append(imported)
    course_id = imported.json()["id"]
    answers.append(forged(serve, "POST", f"/api/courses/{course_id}/aus/0/launches", json={}))
    answers.append(forged(serve, "GET", "/api/mounts"))
    stmt = statement(actor={"objectType": "Agent", "mbox": "mailto:learner@example.com"})
    assert forged(serve, "POST", "/xapi/default/statements", json=stmt).status_code == 200
    answers.append(forged(serve, "GET", f"/xapi/default/statements?statementId={stmt['id']}"))
    for answer in answers:
        assert answer.status_code < 300, (answer.request.url, answer.text)
    return "\n".join(a.text for a in answers)


def assert_all_on(text: str, base: str, content_base: str) -> None:
    """Every URL handed out starts with `base`; imported content's with `content_base` (its
    own origin: the same host, the content port)."""
    assert FORGED not in text
    decoded = json.dumps(json.loads("[" + ",".join(text.splitlines()) + "]"))
    assert FORGED not in requests.utils.unquote(decoded)
    found = {
        "endpoint": r'"endpoint":"([^"]+)"',
        "fetch": r'"fetch":"([^"]+)"',
        "content": r'"url":"([^"]+/content/[^"]+)"',
        "authority": r'"homePage":"([^"]+)"',
    }
    for what, pattern in found.items():
        values = re.findall(pattern, text)
        assert values, f"no {what} URL in the answers"
        wanted = content_base if what == "content" else base
        assert all(v.startswith(wanted + "/") or v == wanted for v in values), (what, values)


def content_origin(serve: ServeProcess) -> str:
    url = serve.banner_url(r"course content \(imported packages, an origin of its own\)")
    assert url, serve.banner
    return url.removesuffix("/").removesuffix("/content")


@pytest.fixture(scope="module")
def listening(tmp_path_factory) -> Iterator[ServeProcess]:
    with ServeProcess(tmp_path_factory.mktemp("host") / "lms.db", "--no-story") as serve:
        yield serve


def test_a_forged_host_gets_urls_on_the_address_listened_on(listening) -> None:
    assert_all_on(urls_handed_out(listening), listening.base_url, content_origin(listening))


def test_with_public_url_every_url_handed_out_starts_with_it(tmp_path) -> None:
    with ServeProcess(tmp_path / "lms.db", "--public-url", PUBLIC + "/") as serve:
        assert f"  public URL (every URL it hands out starts with it): {PUBLIC}" in serve.banner
        content = content_origin(serve)
        assert content.startswith("http://lms.example.test:"), content  # public host, own port
        assert_all_on(urls_handed_out(serve), PUBLIC, content)
        story = next(line for line in serve.banner if "reference story" in line)
        assert "http://lms.example.test:" in story, story  # the public host, the story's port
        assert f"  dashboard: {PUBLIC}/" in serve.banner


def test_a_public_url_that_is_not_a_base_url_exits_2(tmp_path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "harness", "serve", "--port", "0", "--db", str(tmp_path / "x.db"),
         "--public-url", "https://lms.example.test/?x=1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 2
    assert "no query or fragment" in run.stderr and "Traceback" not in run.stderr


# -- the story port -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def story_base(tmp_path_factory) -> Iterator[str]:
    with ServeProcess(tmp_path_factory.mktemp("story") / "lms.db") as serve:
        line = next(line for line in serve.banner if "reference story" in line)
        yield re.search(r"(http://[^/\s]+)/story/", line).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/story/index.html", None),
        ("GET", "/story/story.js", None),
        ("GET", "/story/api/configs/weare-documented", None),
        ("GET", "/story/api/configs/nope", None),  # a JSON error
        ("POST", "/story/api/configs", "not json"),
        ("GET", "/nothing-here", None),  # the framework's own 404
    ],
)
def test_every_story_answer_is_nosniff(story_base, method, path, body) -> None:
    answer = requests.request(method, story_base + path, data=body, timeout=10)
    assert answer.headers.get("X-Content-Type-Options") == "nosniff", (path, answer.status_code)


# -- listening beyond loopback --------------------------------------------------------------


def test_a_wildcard_address_is_never_a_url_and_is_warned_about() -> None:
    assert reachable_host("0.0.0.0") not in ("0.0.0.0", "", "[::]")
    assert reachable_host("::") not in ("0.0.0.0", "::", "[::]")
    assert reachable_host("0.0.0.0", "https://lms.example.test/x") == "lms.example.test"
    assert reachable_host("127.0.0.1") == "127.0.0.1"
    assert exposure_warning("127.0.0.1", "x", "http://127.0.0.1:1") is None
    assert exposure_warning("::1", "x", "http://[::1]:1") is None
    line = exposure_warning("0.0.0.0", "the dashboard", "http://host:1")
    assert line and "\n" not in line and "other machines" in line and "the dashboard" in line


ISOLATED = shutil.which("unshare") is not None and (
    subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False).returncode == 0
)


@pytest.mark.skipif(not ISOLATED, reason="needs `unshare -rn` (a network namespace of its own)")
def test_serve_on_0_0_0_0_registers_a_reachable_story_and_warns(tmp_path: Path) -> None:
    """`serve --host 0.0.0.0` in a network namespace of its own (nothing outside can reach
    it): the banner and the registered story name no wildcard address, and one line warns."""
    isolated = ("unshare", "-rn", sys.executable, "-m", "harness")
    serve = ServeProcess(tmp_path / "lms.db", "--host", "0.0.0.0", command=isolated)
    with serve:
        banner = "\n".join(serve.banner)
    assert serve.proc is not None and serve.proc.stderr is not None
    stderr = serve.proc.stderr.read()
    story = re.search(r"reference story \(registered as an AU\): (\S+)", banner)
    assert story, (banner, stderr)
    assert "0.0.0.0" not in story.group(1) and "[::]" not in story.group(1)
    endpoint = re.search(r"in We Are: API URL (\S+)", banner)
    assert endpoint and "0.0.0.0" not in endpoint.group(1), banner
    warnings = [line for line in stderr.splitlines() if "other machines" in line]
    assert len(warnings) == 1, stderr
    assert "0.0.0.0" in warnings[0] and "reference story" in warnings[0]
