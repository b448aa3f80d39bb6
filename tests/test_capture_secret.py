"""`certify --capture` hands We Are's configured API key to the capture page only: a real
certify subprocess on loopback, asked as a DNS-rebinding page asks (its own name as Host) and
as any other caller asks (without the secret in the page URL)."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from harness.certify.capture.session import CaptureSession
from tests.loopback import answering, free_port

API_KEY = "qa:capture-secret-key"
SECRET_FORMS = ("capture-secret-key", base64.b64encode(API_KEY.encode()).decode())


def lrs(method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Just enough of We Are's configured LRS for certify's first probe to get an answer."""
    return 200, {"Content-Type": "application/json", "X-Experience-API-Version": "1.0.3"}, b"{}"


class CaptureProcess:
    """`certify --capture` as a subprocess; `page_url` is the page URL it printed."""

    def __init__(self, report_dir: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "harness", "certify", "--capture", "--timeout", "60",
                "--report-dir", str(report_dir), *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        self.page_url = ""
        deadline = time.monotonic() + 20
        assert self.proc.stdout is not None
        while time.monotonic() < deadline and not self.page_url:
            line = self.proc.stdout.readline()
            if not line:
                break
            if found := re.search(r"capture page .*: (https?://\S+)", line):
                self.page_url = found.group(1)
        assert self.page_url, self.proc.stderr.read() if self.proc.stderr else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=10)


@pytest.fixture
def endpoint() -> Iterator[str]:
    with answering(lrs) as base:
        yield base + "/xapi/"


@pytest.fixture
def capture(tmp_path: Path, endpoint: str) -> Iterator[CaptureProcess]:
    run = CaptureProcess(tmp_path, "--port", "0", "--endpoint", endpoint, "--api-key", API_KEY)
    yield run
    run.stop()


def launch(url: str, host: str | None = None) -> requests.Response:
    """What the capture page sends when it opens a launch (the answer holds the API key)."""
    headers = {"Host": host} if host else {}
    body = {"launch_url": "http://lms.example/au/?activityId=x", "origin": "http://lms.example"}
    return requests.post(url, json=body, headers=headers, timeout=10)


def assert_no_key(answer: requests.Response) -> None:
    for form in SECRET_FORMS:
        assert form not in answer.text, answer.text


def test_the_page_url_carries_a_fresh_secret_of_192_bits(capture) -> None:
    secret = urlsplit(capture.page_url).path.strip("/")
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", secret), capture.page_url
    sessions = [CaptureSession(launches=1, request_timeout=1, page_url="") for _ in range(2)]
    assert sessions[0].secret != sessions[1].secret


def test_a_caller_without_the_secret_gets_403_and_no_key(capture) -> None:
    parts = urlsplit(capture.page_url)
    base = f"{parts.scheme}://{parts.netloc}"
    for answer in (
        launch(base + "/api/launches"),
        launch(f"{base}/{'x' * 32}/api/launches"),
        requests.get(base + "/api/status", timeout=10),
        requests.get(base + "/", timeout=10),
    ):
        assert answer.status_code == 403, (answer.request.url, answer.text)
        assert "capture secret" in answer.json()["error"]
        assert_no_key(answer)


def test_a_rebinding_page_is_refused_421_naming_the_host(capture) -> None:
    """After DNS rebinding, a browser sends the attacker's own name as Host, secret or not."""
    port = urlsplit(capture.page_url).port
    rebound = f"rebind.example:{port}"
    for answer in (
        launch(capture.page_url + "api/launches", host=rebound),
        requests.get(capture.page_url, headers={"Host": rebound}, timeout=10),
    ):
        assert answer.status_code == 421, answer.text
        error = answer.json()["error"]
        assert "rebind.example" in error and f"127.0.0.1:{port}" in error
        assert_no_key(answer)


def test_the_page_itself_gets_the_key(capture) -> None:
    """The capture page's own call, by its printed URL, still works (its script's path)."""
    page = requests.get(capture.page_url, timeout=10)
    assert page.status_code == 200 and 'src="capture.js"' in page.text
    answer = launch(capture.page_url + "api/launches")
    assert answer.status_code == 201, answer.text
    assert answer.json()["integration"]["api_key"] == SECRET_FORMS[1]


def test_behind_a_tunnel_the_public_host_is_the_one_answered(tmp_path, endpoint) -> None:
    port = free_port()
    run = CaptureProcess(tmp_path, "--port", str(port), "--public-url", "https://tunnel.example/")
    try:
        assert run.page_url.startswith("https://tunnel.example/")
        local = f"http://127.0.0.1:{port}{urlsplit(run.page_url).path}"
        for host in ("tunnel.example", f"127.0.0.1:{port}"):  # the tunnel may keep or rewrite it
            answer = requests.get(local, headers={"Host": host}, timeout=10)
            assert answer.status_code == 200, (host, answer.text)
        other = requests.get(local, headers={"Host": "tunnel.example.evil"}, timeout=10)
        assert other.status_code == 421
    finally:
        run.stop()
