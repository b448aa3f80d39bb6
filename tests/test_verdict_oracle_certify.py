"""The verdict oracle for certify: every registered check, proved both ways on real servers,
in each of certify's ways of playing We Are.

For each check, ORACLE names the server behaviours that must make it PASS and at least one
wrong behaviour that must make it FAIL (or, for the two features certify reports as optional
in an API-key set-up, 'unsupported'). Behaviours are real HTTP servers on 127.0.0.1: one fake
LMS (module-scoped) with a mount per quirk or mode, launches shaped by the admin API, a port
nothing listens on, a server answering HTML, one answering 500 and one slow to answer. Each
behaviour is certified once per mode and shared by every check that asks about it. A check
registered without oracle cases fails `test_every_registered_check_has_oracle_cases`.

The modes: `browser` (`certify --launch-url`: the reference story's script in headless Chromium,
from the origin We Are would have), `capture` (`certify --capture`: the capture page opened by
the LMS's launch, on the capture server's own origin) and `http` (`--driver http`: Python only,
where the browser-only check warns and caps every behaviour at works-with-warnings). One
Chromium serves every browser certification of the module.

`make test` plays the capture page on the behaviours where its own origin can change what the
browser sees (CORS, the API-key set-up, a refusing or broken LMS: CAPTURE_IN_MAKE_TEST); on the
others it runs the same script as `browser` from another origin. `make test-full` plays every
behaviour in every mode (tests/full_proofs.py).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest

from fake_lms import LMSConfig, MountSpec
from fake_lms.live import FakeLMS
from harness.browser import launch_chromium
from harness.certify.browser_play import BROWSER_ARGS, certify_in_browser, page_query, play_pages
from harness.certify.capture.session import CaptureSession
from harness.certify.context import CertInputs
from harness.certify.flow import Unreachable
from harness.certify.registry import BEHAVIOURS, REGISTRY
from harness.certify.report import junit
from harness.certify.run import Certification, certify
from tests.loopback import answering, dead_port, html_page, server_error

pytestmark = pytest.mark.slow

PASS, WARN, FAIL, UNSUPPORTED, SKIPPED = "pass", "warn", "fail", "unsupported", "skipped"
MODES = ("browser", "capture", "http")
KEY = ("vendor", "k3y-s3cret")

# check id -> (behaviours that must PASS it, {wrong behaviour: the status it must get})
ORACLE: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "launch.required-parameters": (("conformant",), {"missing-actor": FAIL}),
    "launch.no-html-entities": (("conformant",), {"quirk:amp-launch-url": FAIL}),
    "launch.values-encoded": (("conformant",), {"raw-actor": FAIL}),
    "launch.fetch-url": (("conformant",), {"fetch-encoded-twice": FAIL}),
    "launch.actor": (("conformant",), {"quirk:mbox-actor": WARN, "garbage-actor": FAIL}),
    "launch.registration-uuid": (("conformant",), {"quirk:registration-not-uuid": FAIL}),
    "launch.activity-id": (("conformant",), {"activity-not-iri": FAIL}),
    "destination": (
        ("conformant", "api-key"),
        {"no-destination": FAIL, "endpoint-without-slash": WARN},
    ),
    "fetch.token": (
        ("conformant", "enforce"),
        {
            "quirk:fetch-get-only": FAIL,
            "quirk:token-with-basic-prefix": FAIL,
            "quirk:fetch-application-error": FAIL,
            "dead-fetch-port": FAIL,
            "quirk:fetch-no-cors": FAIL,  # http mode cannot see it: MODE_STATUS
            "quirk:relaunch-abandons": FAIL,
        },
    ),
    "fetch.single-use": (
        ("conformant",),
        {"quirk:reusable-fetch-token": FAIL, "quirk:fetch-empty-error-code": FAIL},
    ),
    "fetch.get-refused": (("conformant",), {"quirk:fetch-get-only": FAIL}),
    "statement.completed": (
        ("conformant", "api-key"),
        {
            "enforce": FAIL,
            "html-endpoint": FAIL,
            "500-endpoint": FAIL,
            "quirk:statements-401": FAIL,
            "quirk:statements-403": FAIL,
            "quirk:xapi-2-only": FAIL,
            "quirk:ok-without-ids": FAIL,
            "quirk:cmi5-errors-in-message": FAIL,
        },
    ),
    # inside the full flow's started session, a strict LMS judges the PUT itself (issue item 4)
    "statement.put": (("conformant", "api-key", "enforce"), {"500-endpoint": FAIL}),
    "statement.read-back": (
        ("conformant", "api-key", "quirk:eventual-read", "quirk:stale-content-length"),
        {"quirk:drops-statements": FAIL, "quirk:statement-as-list": WARN},
    ),
    "cmi5.read-back": (
        ("conformant", "enforce", "quirk:eventual-read", "quirk:stale-content-length"),
        {"quirk:drops-statements": FAIL, "quirk:statement-as-list": WARN},
    ),
    "cmi5.launch-data": (("conformant", "enforce"), {"html-endpoint": FAIL}),
    "cmi5.learner-preferences": (
        ("conformant", "enforce"),
        {"500-endpoint": FAIL, "html-endpoint": FAIL},
    ),
    "cmi5.session": (
        ("conformant", "enforce", "quirk:stale-content-length"),
        {"500-endpoint": FAIL, "quirk:statements-503": FAIL, "quirk:ok-without-ids": FAIL},
    ),
    "cors.preflight": (
        ("conformant", "api-key"),
        {"quirk:no-cors-preflight": FAIL, "quirk:preflight-without-version-header": FAIL},
    ),
    "xapi.trailing-slash": (("conformant",), {"quirk:requires-trailing-slash": FAIL}),
    "xapi.malformed-refused": (("conformant", "enforce"), {"html-endpoint": FAIL}),
    "auth.bad-credentials": (
        ("conformant", "api-key"),
        {"html-endpoint": FAIL, "500-endpoint": FAIL},
    ),
    "xapi.documents": (("api-key",), {"api-key-500": UNSUPPORTED, "api-key-html": UNSUPPORTED}),
    "xapi.no-server-errors": (
        ("conformant", "enforce"),
        {"quirk:error-every-3rd": FAIL, "500-endpoint": FAIL},
    ),
    "xapi.version-header": (("conformant",), {"quirk:no-version-header": FAIL}),
    "performance.response-times": (
        ("conformant",),
        {"slow-endpoint": FAIL},  # the slow-responses quirk: tests/test_certify.py
    ),
    "browser.judged": (("conformant",), {}),  # WARN in http mode: MODE_STATUS
}

# (check, behaviour, mode) -> the status that mode must give instead of the ORACLE's.
MODE_STATUS = {
    ("browser.judged", "conformant", "http"): WARN,
    # Python reads a fetch answer whatever its CORS headers: only a browser is refused it.
    ("fetch.token", "quirk:fetch-no-cors", "http"): PASS,
    # In a browser the story stops where CORS blocked it (LMS.LaunchData from a server that
    # sends no Access-Control-Allow-Origin): the later steps are not reached, hence not judged.
    **{
        (check_id, behaviour, mode): SKIPPED
        for check_id, behaviour in (
            ("cmi5.learner-preferences", "html-endpoint"),
            ("cmi5.learner-preferences", "500-endpoint"),
            ("cmi5.session", "500-endpoint"),
        )
        for mode in ("browser", "capture")
    },
}
# (behaviour, mode) -> verdicts that mode must give instead of VERDICTS'.
MODE_VERDICTS = {
    # the capture page's launch itself lacks endpoint and fetch: launch.required-parameters warns
    ("api-key", "capture"): {"weare-documented": "works-with-warnings", "cmi5-full": "not-tested"},
}

# Per-behaviour verdicts a few whole behaviours must get (exit code follows from them).
VERDICTS = {
    "fetch-encoded-twice": {"weare-documented": "will-not-work", "cmi5-full": "will-not-work"},
    "conformant": {"weare-documented": "works", "cmi5-full": "works"},
    "quirk:mbox-actor": {
        "weare-documented": "works-with-warnings",
        "cmi5-full": "works-with-warnings",
    },
    "enforce": {"weare-documented": "will-not-work", "cmi5-full": "works"},
    "api-key": {"weare-documented": "works", "cmi5-full": "not-tested"},
    "api-key-500": {"weare-documented": "will-not-work", "cmi5-full": "not-tested"},
    "quirk:reusable-fetch-token": {
        "weare-documented": "works-with-warnings",
        "cmi5-full": "works-with-warnings",
    },
    "500-endpoint": {"weare-documented": "will-not-work", "cmi5-full": "will-not-work"},
}


# The verdict on the whole: plain "works" only when both behaviours work.
OVERALL = {
    "conformant": "works",
    "enforce": "works-only-with-cmi5-full",
    "api-key": "works-with-weare-documented-cmi5-full-not-tested",
    "api-key-500": "will-not-work",
    "quirk:reusable-fetch-token": "works-with-warnings",
    "500-endpoint": "will-not-work",
    "fetch-encoded-twice": "will-not-work",
}
REQUIRES = ("any", "both", "weare-documented", "cmi5-full")
MODE_OVERALL = {
    ("api-key", "capture"): "works-with-weare-documented-cmi5-full-not-tested",
}


def with_param(url: str, name: str, value: str | None) -> str:
    """The launch URL with one parameter replaced (or removed), the rest kept and re-encoded."""
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    if value is not None:
        pairs.append((name, value))
    return parts._replace(query=urlencode(pairs, quote_via=quote)).geturl()


@dataclass
class Servers:
    lms: FakeLMS
    html: str
    error: str
    slow: str

    def mount(self, name: str, mode: str = "observe", quirks: tuple[str, ...] = ()) -> str:
        body = {"name": name, "mode": mode, "quirks": list(quirks)}
        if name == "keyed":
            body |= {"username": KEY[0], "secret": KEY[1]}
        r = self.lms.admin("POST", "mounts", json=body)
        assert r.status_code == 201, r.text
        return name

    def launch(self, mount: str = "conformant", **shape: object) -> str:
        body = {"au_url": "http://127.0.0.1:9/story", "mount": mount, **shape}
        r = self.lms.admin("POST", "launches", json=body)
        assert r.status_code == 201, r.text
        return r.json()["launch_url"]

    def launches(self, mount: str = "conformant", n: int = 2, **shape: object) -> list[str]:
        return [self.launch(mount, **shape) for _ in range(n)]


def _slow_about() -> Callable[[str, str, bytes], tuple[int, dict[str, str], bytes]]:
    """Slow on the About resource, the first request of every certification (in every mode)."""

    def answer(method: str, path: str, body: bytes):
        if path.split("?")[0].endswith("/about"):
            time.sleep(2.2)
        return html_page(method, path, body)

    return answer


# behaviour name -> how to certify it
def _inputs(s: Servers, behaviour: str) -> CertInputs:
    if behaviour.startswith("quirk:"):
        quirk = behaviour.split(":", 1)[1]
        mode = "enforce" if quirk in ("401-for-403", "cmi5-errors-in-message") else "observe"
        return CertInputs(s.launches(s.mount(quirk, mode, (quirk,))), timeout=5)
    endpoint_of = lambda base: base + "/xapi/"  # noqa: E731
    if behaviour == "conformant":
        return CertInputs(s.launches(), timeout=5)
    if behaviour == "enforce":
        return CertInputs(s.launches(s.mount("enforcing", "enforce")), timeout=5)
    if behaviour == "api-key":
        return CertInputs(endpoint=s.lms.endpoint("keyed"), api_key=":".join(KEY), timeout=5)
    if behaviour == "api-key-500":
        return CertInputs(endpoint=endpoint_of(s.error), api_key="a:b", timeout=5)
    if behaviour == "api-key-html":
        return CertInputs(endpoint=endpoint_of(s.html), api_key="a:b", timeout=5)
    if behaviour == "slow-endpoint":
        return CertInputs(endpoint=endpoint_of(s.slow), api_key="a:b", timeout=5)
    if behaviour == "missing-actor":
        return CertInputs(s.launches(omit=["actor"]), timeout=5)
    if behaviour == "garbage-actor":
        return CertInputs(s.launches(overrides={"actor": '{"name": "no identifier"}'}), timeout=5)
    if behaviour == "endpoint-without-slash":
        urls = [
            with_param(u, "endpoint", s.lms.endpoint("conformant").rstrip("/"))
            for u in s.launches()
        ]
        return CertInputs(urls, timeout=5)
    if behaviour == "raw-actor":
        return CertInputs(s.launches(raw_actor=True), timeout=5)
    if behaviour == "activity-not-iri":
        return CertInputs(s.launches(overrides={"activityId": "story one"}), timeout=5)
    if behaviour == "no-destination":
        return CertInputs(s.launches(omit=["endpoint"]), timeout=5)
    if behaviour == "fetch-encoded-twice":  # 'http%3A%2F%2F…' once decoded
        fetch_of = lambda url: dict(parse_qsl(urlsplit(url).query))["fetch"]  # noqa: E731
        urls = [with_param(u, "fetch", quote(fetch_of(u), safe="")) for u in s.launches()]
        return CertInputs(urls, timeout=5)
    if behaviour == "dead-fetch-port":
        dead = f"http://127.0.0.1:{dead_port()}/fetch/x"
        return CertInputs([with_param(u, "fetch", dead) for u in s.launches()], timeout=5)
    if behaviour in ("html-endpoint", "500-endpoint"):
        base = s.html if behaviour == "html-endpoint" else s.error
        urls = [with_param(u, "endpoint", endpoint_of(base)) for u in s.launches()]
        return CertInputs(urls, timeout=5)
    raise AssertionError(f"no server behaviour named {behaviour!r}")


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[Servers]:
    db = tmp_path_factory.mktemp("oracle") / "lms.db"
    config = LMSConfig(db_path=str(db), mounts=[MountSpec("conformant", mode="observe")])
    with ExitStack() as stack:
        lms = stack.enter_context(FakeLMS(config))
        s = Servers(
            lms,
            stack.enter_context(answering(html_page)),
            stack.enter_context(answering(server_error)),
            stack.enter_context(answering(_slow_about())),
        )
        s.mount("keyed")
        yield s


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, args=list(BROWSER_ARGS))
        yield browser
        browser.close()


def certify_captured(inputs: CertInputs, browser: object) -> Certification:
    """`certify --capture` as an LMS launch meets it: the capture page (on its own origin)
    opened with each launch's parameters; an API-key set-up is launched without endpoint and
    fetch, as content registered by URL."""
    session = CaptureSession(
        launches=max(1, len(inputs.launch_urls)),
        request_timeout=inputs.timeout,
        page_url="",
        endpoint=inputs.endpoint,
        api_key=inputs.api_key,
        defer_judging=True,
    )
    urls = inputs.launch_urls or [None]
    pages = [f"http://launch.invalid/?{page_query(url)}" for url in urls]
    return play_pages(session, pages, browser=browser)


@pytest.fixture(scope="module")
def certified(servers, chromium) -> Callable[[str, str], Certification]:
    """Certify each server behaviour once per mode, on first use."""
    cache: dict[tuple[str, str], Certification] = {}
    made_again: set[tuple[str, str]] = set()

    def get(behaviour: str, mode: str, again: bool = False) -> Certification:
        """`again`: certify once more (once at most: a second look, not a retry loop)."""
        again = again and (behaviour, mode) not in made_again
        if again:
            made_again.add((behaviour, mode))
        if again or (behaviour, mode) not in cache:
            inputs = _inputs(servers, behaviour)
            if mode == "browser":
                inputs.driver = "browser"
                cache[behaviour, mode] = certify_in_browser(inputs, browser=chromium)
            elif mode == "capture":
                cache[behaviour, mode] = certify_captured(inputs, chromium)
            else:
                cache[behaviour, mode] = certify(inputs)
        return cache[behaviour, mode]

    return get


PAIRS = [
    (check_id, behaviour, MODE_STATUS.get((check_id, behaviour, mode), PASS), mode)
    for check_id, (good, _) in ORACLE.items()
    for behaviour in good
    for mode in MODES
] + [
    (check_id, behaviour, status, mode)
    for check_id, (_, wrong) in ORACLE.items()
    for behaviour, status in wrong.items()
    for mode in MODES
]
PAIRS = [(c, b, MODE_STATUS.get((c, b, m), s), m) for c, b, s, m in PAIRS]
# The behaviours `make test` certifies through the capture page (see the module's docstring).
CAPTURE_IN_MAKE_TEST = {
    "conformant",
    "enforce",
    "api-key",
    "api-key-500",
    "500-endpoint",
    "html-endpoint",
    "quirk:fetch-no-cors",
    "quirk:no-cors-preflight",
    "quirk:preflight-without-version-header",
}


def in_make_test(behaviour: str, mode: str) -> bool:
    return mode != "capture" or behaviour in CAPTURE_IN_MAKE_TEST


def params(*cases: tuple[str, str]) -> list[object]:
    """(behaviour, mode) cases, those `make test` leaves to `make test-full` marked so."""
    return [
        case if in_make_test(*case) else pytest.param(*case, marks=pytest.mark.full)
        for case in cases
    ]


def test_every_registered_check_has_oracle_cases():
    assert set(ORACLE) == {c.id for c in REGISTRY}
    for check_id, (good, wrong) in ORACLE.items():
        both_ways = any(status in (FAIL, UNSUPPORTED) for status in wrong.values()) or any(
            status != PASS for (c, _, _), status in MODE_STATUS.items() if c == check_id
        )
        assert good and both_ways, check_id
        assert wrong or check_id == "browser.judged", check_id


def test_the_oracle_counts_its_pairs():
    # (check × server behaviour × mode) pairs; printed for the record with -s.
    for mode in MODES:
        count = len([p for p in PAIRS if p[3] == mode])
        print(f"\ncertify verdict oracle, {mode}: {count} (check × behaviour) pairs")
    assert len(PAIRS) >= 2 * len(REGISTRY) * len(MODES)


# A timed check: one answer stalled by a loaded test machine is not the server's doing. Where
# such a check must pass, a second certification decides; a slow server is slow both times.
TIMED = {"performance.response-times"}


def settled(certified: Callable[..., Certification], behaviour: str, mode: str) -> Certification:
    """The behaviour's certification, made again once where a timed check that must pass on it
    (the oracle's status) did not: every test that reads a verdict reads the settled one."""
    cert = certified(behaviour, mode)
    for outcome in cert.outcomes:
        check_id = outcome.check.id
        if check_id not in TIMED or outcome.status == PASS:
            continue
        good, _ = ORACLE[check_id]
        if behaviour in good and MODE_STATUS.get((check_id, behaviour, mode), PASS) == PASS:
            return certified(behaviour, mode, again=True)
    return cert


@pytest.mark.parametrize(
    ("check_id", "behaviour", "status", "mode"),
    [p if in_make_test(p[1], p[3]) else pytest.param(*p, marks=pytest.mark.full) for p in PAIRS],
)
def test_oracle(certified, check_id, behaviour, status, mode):
    cert = settled(certified, behaviour, mode)
    outcome = next(o for o in cert.outcomes if o.check.id == check_id)
    assert outcome.status == status, (
        f"{check_id} on {behaviour} ({mode}): {outcome.status} ({outcome.finding.detail})"
    )


def _in_mode(verdict: str, mode: str) -> str:
    """Without a browser no behaviour is better than works-with-warnings."""
    return "works-with-warnings" if mode == "http" and verdict == "works" else verdict


@pytest.mark.parametrize(
    ("behaviour", "mode"), params(*((b, m) for b in sorted(VERDICTS) for m in MODES))
)
def test_behaviour_verdicts(certified, behaviour, mode):
    cert = settled(certified, behaviour, mode)
    verdicts = {n: b.verdict for n, b in cert.behaviours.items()}
    wanted = MODE_VERDICTS.get((behaviour, mode), VERDICTS[behaviour])
    assert verdicts == {n: _in_mode(v, mode) for n, v in wanted.items()}
    overall = MODE_OVERALL.get((behaviour, mode), OVERALL.get(behaviour))
    if overall is not None:
        assert cert.verdict == _in_mode(overall, mode)
    works = {n for n, v in verdicts.items() if v.startswith("works")}
    assert cert.exit_code == (0 if works else 1)  # --require any, the default
    for result in cert.behaviours.values():  # the reason names every blocker
        assert all(f"{b} " in result.reason for b in result.blockers), result.reason
    for require in REQUIRES:
        held = replace(cert, require=require)
        needed = set(BEHAVIOURS) if require == "both" else {require}
        met = bool(works) if require == "any" else needed <= works
        assert held.exit_code == (0 if met else 1), require
        root = ET.fromstring(junit(held, held.as_dict()))
        failures = root.findall(".//failure")
        assert bool(failures) == (held.exit_code == 1), (require, len(failures))
        failed_behaviours = {
            c.get("name")
            for c in root.iter("testcase")
            if c.get("classname") == "certify.behaviour" and c.find("failure") is not None
        }
        assert failed_behaviours == set(held.unmet())


@pytest.mark.parametrize(
    ("behaviour", "mode"), params(*(("fetch-encoded-twice", m) for m in MODES))
)
def test_a_fetch_value_encoded_twice_fails_with_the_value_shown(certified, behaviour, mode):
    cert = certified("fetch-encoded-twice", mode)
    outcome = next(o for o in cert.outcomes if o.check.id == "launch.fetch-url")
    assert "'http%3A%2F%2F127.0.0.1%3A" in outcome.finding.detail
    assert "percent-encoded once too often" in outcome.finding.detail
    assert "8.1.2.0-1" in outcome.finding.detail
    token = next(o for o in cert.outcomes if o.check.id == "fetch.token")
    assert token.status == "skipped" and "not an absolute http(s) URL" in token.finding.detail
    reason = cert.behaviours["weare-documented"].reason
    assert reason.startswith("launch.fetch-url fail: ") and "; statement.completed " in reason


def test_a_dead_port_gets_no_verdict_at_all():
    dead = f"http://127.0.0.1:{dead_port()}/xapi/"
    with pytest.raises(Unreachable, match="connection refused"):
        certify(CertInputs(endpoint=dead, api_key="a:b", timeout=2))
