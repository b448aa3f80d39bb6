"""`certify --har` on real recordings: Playwright records the reference story (both behaviours)
against a `serve` subprocess, one mount per quirk; the recordings are judged and compared with
`certify --launch-url` in Chromium on the same server, and reshaped as Chrome (sanitized),
Firefox (no bodies) and Safari write them (tests/har_shapes.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Browser, sync_playwright

from fake_lms.quirks import catalogue
from harness.browser import launch_chromium
from harness.certify.browser_play import BROWSER_ARGS, certify_in_browser
from harness.certify.context import CertInputs
from harness.certify.har import reader
from harness.certify.har.judge import judge
from harness.certify.run import Certification
from tests.certify_cli import certify, report
from tests.har_shapes import chrome, firefox, safari, write
from tests.serve_process import ServeProcess
from tests.test_certify_quirks import CAUGHT_BY, ENFORCING, HARMLESS

pytestmark = pytest.mark.slow

API_KEY = "qa:s3cret-key"
BEHAVIOURS = ("weare-documented", "cmi5-full")
PAGE_MS = 20_000
# Quirks whose catching check needs a request only certify makes (a second POST on the fetch
# URL, a read-back, a second launch): a recording cannot show them, the check is not tested.
PROBE_ONLY = {
    "reusable-fetch-token": "fetch.single-use",
    "fetch-empty-error-code": "fetch.single-use",
    "drops-statements": "statement.read-back",
    "statement-as-list": "statement.read-back",
    "requires-trailing-slash": "xapi.trailing-slash",
}
# A quirk that bites only on a second launch for the same learner: a recording of one launch
# shows a launch that works, and says so.
ONE_LAUNCH_WORKS = ("relaunch-abandons",)
# Quirks certify catches with its own CORS preflight: a recording holds no preflight, but shows
# what it does, the browser blocking the request that needed it.
SEEN_IN_THE_BROWSER = {
    "no-cors-preflight": ("fetch.token", "fail"),  # no Access-Control headers anywhere
    "preflight-without-version-header": ("statement.completed", "fail"),
}
# Quirks judged both ways on the same server: same verdict per behaviour, same causes.
COMPARED = (
    "fetch-no-cors",
    "fetch-application-error",
    "token-with-basic-prefix",
    "statements-403",
    "ok-without-ids",
    "no-version-header",
    "401-for-403",
    "registration-not-uuid",
)
# `make test` compares three of them, one per part of the flow (fetch, statements, headers);
# `make test-full` all (tests/full_proofs.py).
COMPARED_IN_MAKE_TEST = ("fetch-application-error", "statements-403", "no-version-header")
SLOW = ("slow-responses",)  # recorded in the documented flow only: 2.5 s per xAPI answer


class Lab:
    def __init__(self, server: ServeProcess, browser: Browser, folder: Path) -> None:
        self.server, self.browser, self.folder = server, browser, folder
        self.api = server.client()
        self.story = self.api.get(server.base_url + "/api/story", timeout=10).json()
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.story["url"]))
        self.recordings: dict[tuple[str, str], Path] = {}

    def mount(self, quirk: str) -> str:
        name = "q" + quirk.replace("-", "")[:30] if quirk else "default"
        if quirk:
            mode = "enforce" if quirk in ENFORCING else "observe"
            body = {"name": name, "mode": mode, "quirks": [quirk]}
            answer = self.api.post(self.server.base_url + "/api/mounts", json=body, timeout=10)
            assert answer.status_code in (201, 409), answer.text
        return name

    def launch(self, mount: str, au_url: str) -> str:
        body = {"au_url": au_url, "mount": mount}
        answer = self.api.post(self.server.base_url + "/api/launches", json=body, timeout=10)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["launch_url"])

    def record(self, quirk: str, behaviour: str) -> Path:
        """The story launched and finished in Chromium, recorded by Playwright (once)."""
        key = (quirk, behaviour)
        if key not in self.recordings:
            url = self.launch(self.mount(quirk), self.story["behaviours"][behaviour])
            path = self.folder / f"{quirk or 'none'}-{behaviour}.har"
            context = self.browser.new_context(record_har_path=str(path))
            try:
                page = context.new_page()
                page.set_default_timeout(PAGE_MS)
                page.goto(url)
                page.wait_for_function("window.weareReady === true")
                page.click("#finish")
                page.wait_for_function("window.weareFinished === true")
            finally:
                context.close()
            self.recordings[key] = path
        return self.recordings[key]

    def launch_url_run(self, quirk: str) -> Certification:
        """certify --launch-url in Chromium on the same mount, from the story's own origin."""
        mount = self.mount(quirk)
        urls = [self.launch(mount, "http://127.0.0.1:9/story") for _ in range(2)]
        inputs = CertInputs(launch_urls=urls, origin=self.origin, timeout=5.0, driver="browser")
        return certify_in_browser(inputs, browser=self.browser)


def judged(path: Path) -> Certification:
    recording = reader.read(path)
    return judge(recording, reader.pick(recording, None), 1)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    folder = tmp_path_factory.mktemp("har")
    serve = ServeProcess(folder / "lms.db", "--mode", "observe", api_key=API_KEY)
    with serve as server, sync_playwright() as playwright:
        try:
            browser = launch_chromium(playwright, args=list(BROWSER_ARGS))
        except Exception as exc:  # no Chromium here: say so instead of failing obscurely
            pytest.skip(f"Chromium cannot be launched here: {exc}")
        try:
            yield Lab(server, browser, folder)
        finally:
            browser.close()


def statuses(cert: Certification) -> dict[str, str]:
    return {o.check.id: o.status for o in cert.outcomes}


def causes(cert: Certification) -> dict[str, str | None]:
    return {o.check.id: o.cause.name if o.cause else None for o in cert.outcomes}


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_a_recorded_launch_names_the_behaviour_it_shows_and_its_verdict(lab, behaviour):
    cert = judged(lab.record("", behaviour))
    other = next(b for b in BEHAVIOURS if b != behaviour)
    assert cert.notes["har"]["behaviour_shown"] == behaviour
    assert cert.behaviours[behaviour].verdict == "works", cert.behaviours[behaviour]
    assert cert.behaviours[other].verdict == "not-tested"
    assert "was not recorded" in cert.behaviours[other].reason
    reference = lab.launch_url_run("")
    assert reference.behaviours[behaviour].verdict == "works"
    # every check the recording judged agrees with certify's own run; the rest say why not
    for check, status in statuses(cert).items():
        if status == "skipped":
            outcome = next(o for o in cert.outcomes if o.check.id == check)
            assert outcome.finding.message, check
        else:
            assert status == statuses(reference)[check], check


@pytest.mark.parametrize("quirk", sorted(CAUGHT_BY))
def test_every_quirk_is_caught_or_said_to_need_a_probe(lab, quirk):
    check, status = SEEN_IN_THE_BROWSER.get(quirk, CAUGHT_BY[quirk])
    found = {}
    for behaviour in BEHAVIOURS if quirk not in SLOW else BEHAVIOURS[:1]:
        cert = judged(lab.record(quirk, behaviour))
        found[behaviour] = next(o for o in cert.outcomes if o.check.id == check)
        if quirk in ONE_LAUNCH_WORKS:
            assert cert.behaviours[behaviour].verdict == "works", cert.behaviours
    if quirk in ONE_LAUNCH_WORKS:
        assert all(o.status == "pass" for o in found.values())
        return
    if quirk in PROBE_ONLY:
        for outcome in found.values():
            if outcome.status == "skipped":
                assert "recorded" in outcome.finding.message or "probe" in (
                    outcome.finding.message
                ), outcome.finding.message
        assert any(o.status in ("skipped", status) for o in found.values()), found
        return
    assert any(o.status == status for o in found.values()), {
        b: (o.status, o.finding.message) for b, o in found.items()
    }


@pytest.mark.parametrize(
    "quirk",
    [
        q if q in COMPARED_IN_MAKE_TEST else pytest.param(q, marks=pytest.mark.full)
        for q in COMPARED
    ],
)
def test_har_gives_the_verdict_and_cause_of_certify_launch_url(lab, quirk):
    reference = lab.launch_url_run(quirk)
    for behaviour in BEHAVIOURS:
        cert = judged(lab.record(quirk, behaviour))
        judged_here = [b for b in BEHAVIOURS if cert.behaviours[b].verdict != "not-tested"]
        assert judged_here, cert.behaviours
        for name in judged_here:
            assert cert.behaviours[name].verdict == reference.behaviours[name].verdict, (
                name,
                cert.behaviours[name],
                reference.behaviours[name],
            )
        mine, theirs = statuses(cert), statuses(reference)
        for check, status in mine.items():
            if status in ("fail", "warn"):
                assert theirs[check] == status, (check, cert.outcomes, theirs)
                assert causes(cert)[check] == causes(reference)[check], check


def test_harmless_quirks_are_judged_as_working(lab):
    for quirk in sorted(HARMLESS):
        cert = judged(lab.record(quirk, "weare-documented"))
        assert cert.behaviours["weare-documented"].verdict == "works", (quirk, cert.behaviours)
    assert set(CAUGHT_BY) | set(HARMLESS) == set(catalogue())


SHAPES: dict[str, Callable[[dict], dict]] = {"chrome": chrome, "firefox": firefox, "safari": safari}


def shaped(lab: Lab, quirk: str, behaviour: str, shape: str) -> Certification:
    source = lab.record(quirk, behaviour)
    data = SHAPES[shape](json.loads(source.read_text(encoding="utf-8")))
    return judged(write(source.with_name(f"{source.stem}-{shape}.har"), data))


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_a_sanitized_chrome_export_is_judged_and_says_the_credentials_are_left_out(lab, behaviour):
    cert = shaped(lab, "", behaviour, "chrome")
    assert cert.behaviours[behaviour].verdict == "works"
    assert any("sanitized" in line for line in cert.notes["har"]["left_out"])
    version = next(o for o in cert.outcomes if o.check.id == "xapi.version-header")
    assert version.status == "skipped"


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_a_firefox_export_without_bodies_leaves_the_checks_that_read_them_untested(lab, behaviour):
    cert = shaped(lab, "", behaviour, "firefox")
    checks = statuses(cert)
    assert checks["fetch.token"] == "skipped"
    core = "statement.completed" if behaviour == "weare-documented" else "cmi5.session"
    assert checks[core] == "skipped"
    token = next(o for o in cert.outcomes if o.check.id == "fetch.token")
    assert "leaves this answer's body out" in token.finding.message
    assert any("have no body in the recording" in line for line in cert.notes["har"]["left_out"])
    # nothing judged: the behaviour does not pass on a guess
    assert cert.behaviours[behaviour].verdict == "will-not-work"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_cors_blocked_fetch_is_judged_as_the_browser_saw_it_in_every_shape(lab, shape):
    cert = shaped(lab, "fetch-no-cors", "weare-documented", shape)
    token = next(o for o in cert.outcomes if o.check.id == "fetch.token")
    assert token.status == "fail", token.finding.message
    assert token.cause is not None and token.cause.name == "blocked-in-browser"
    assert "Access-Control-Allow-Origin" in token.cause.fix
    said = [line for line in cert.notes["har"]["left_out"] if "got no answer" in line]
    assert said and "status 0" in said[0], cert.notes["har"]["left_out"]
    if shape == "chrome":
        assert "net::ERR_FAILED" in said[0]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_keeps_the_verdict_of_the_playwright_recording(lab, shape):
    for quirk in ("", "statements-403"):
        source = judged(lab.record(quirk, "weare-documented"))
        cert = shaped(lab, quirk, "weare-documented", shape)
        if shape == "firefox" and quirk == "":
            continue  # without bodies a 200 decides nothing (the test above)
        assert cert.verdict == source.verdict, (shape, quirk)


def test_no_output_holds_a_secret_of_the_recording(lab, tmp_path):
    """Tokens, cookies and Basic credentials of the input: none in any output file or line."""
    source = lab.record("", "cmi5-full")
    data = json.loads(source.read_text(encoding="utf-8"))
    cookie, basic_user, basic_password = "lms-session-5ecret-cookie", "vendor", "p4ss-w0rd-basic"
    basic = __import__("base64").b64encode(f"{basic_user}:{basic_password}".encode()).decode()
    launch = data["log"]["entries"][0]
    sesskey = "m00dle-sesskey-5ecret"  # an LMS's own session key, in the launch URL
    launch["request"]["url"] += f"&sesskey={sesskey}"
    launch["request"]["headers"].append({"name": "Cookie", "value": f"MoodleSession={cookie}"})
    launch["request"]["cookies"] = [{"name": "MoodleSession", "value": cookie}]
    launch["response"]["headers"].append(
        {"name": "Set-Cookie", "value": f"MoodleSession={cookie}; Path=/; HttpOnly"}
    )
    for entry in data["log"]["entries"]:
        if entry["request"]["url"].endswith("/api/story"):
            continue
        if "/xapi/" in entry["request"]["url"] and entry["request"]["method"] == "GET":
            entry["request"]["headers"].append(
                {"name": "Proxy-Authorization", "value": f"Basic {basic}"}
            )
    path = write(tmp_path / "secret.har", data)
    secrets = [cookie, basic, basic_password, sesskey]
    for entry in data["log"]["entries"]:
        for header in entry["request"]["headers"]:
            if header["name"].lower() == "authorization":
                secrets += [header["value"], header["value"].split(" ", 1)[1]]
        if "/fetch/" in entry["request"]["url"]:
            secrets.append(entry["request"]["url"].rsplit("/", 1)[1])
            secrets.append(json.loads(entry["response"]["content"]["text"])["auth-token"])
    assert len(set(secrets)) >= 6, secrets
    r = certify("--har", str(path), "--report-dir", str(tmp_path / "rep"))
    assert r.returncode == 0, r.stdout + r.stderr
    outputs = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "rep").iterdir()}
    outputs |= {"stdout": r.stdout, "stderr": r.stderr}
    assert {"report.html", "results.json", "junit.xml", "evidence.json", "certificate.json"} <= set(
        outputs
    )
    for name, text in outputs.items():
        for secret in set(secrets):
            assert secret not in text, (name, secret[:6])
    assert report(tmp_path / "rep")["har"]["behaviour_shown"] == "cmi5-full"
    verify = certify("--verify", str(tmp_path / "rep"))
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_serve_answers_the_story_recording(lab):
    """The recordings are of this server: its story's origin is the launch page's."""
    cert = judged(lab.record("", "weare-documented"))
    assert cert.inputs.origin == lab.origin
    assert requests.get(lab.story["url"], timeout=10).status_code == 200
