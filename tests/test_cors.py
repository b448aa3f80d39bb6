"""CORS: any origin without credentials; only origins named with --cors-origin get credentials."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from fake_lms import LMSConfig
from fake_lms.config import ConfigError, check_origin
from fake_lms.live import FakeLMS
from tests.serve_process import ServeProcess

STORY = "http://127.0.0.1:9999"
OTHER = "https://evil.example.com"
XAPI_REQUEST_HEADERS = "authorization,content-type,x-experience-api-version,if-match,if-none-match"
EXPOSED = (
    "etag",
    "last-modified",
    "x-experience-api-consistent-through",
    "x-experience-api-version",
)


@pytest.fixture
def trusting(tmp_path) -> Iterator[FakeLMS]:
    """A fake LMS that gives credentials to the story's origin only."""
    config = LMSConfig(db_path=str(tmp_path / "lms.db"), cors_origins=(STORY,))
    with FakeLMS(config) as server:
        yield server


def preflight(url: str, origin: str) -> requests.Response:
    return requests.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": XAPI_REQUEST_HEADERS,
        },
        timeout=5,
    )


def get_statements(lms: FakeLMS, origin: str) -> requests.Response:
    return lms.client().get(lms.endpoint() + "statements", headers={"Origin": origin}, timeout=5)


def vary(r: requests.Response) -> set[str]:
    return {v.strip().lower() for v in r.headers.get("Vary", "").split(",") if v.strip()}


def assert_public(r: requests.Response) -> None:
    """Readable by any page, never with credentials."""
    assert r.headers.get("Access-Control-Allow-Origin") == "*", r.headers
    assert "Access-Control-Allow-Credentials" not in r.headers, r.headers


def assert_credentialed(r: requests.Response, origin: str) -> None:
    assert r.headers.get("Access-Control-Allow-Origin") == origin, r.headers
    assert r.headers.get("Access-Control-Allow-Credentials") == "true", r.headers
    assert "origin" in vary(r), r.headers


@pytest.mark.parametrize("origin", [STORY, OTHER, "null"])
def test_by_default_any_origin_reads_without_credentials(lms, origin):
    r = get_statements(lms, origin)
    assert r.status_code == 200, r.text
    assert_public(r)
    exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert set(EXPOSED) <= exposed


@pytest.mark.parametrize("origin", [STORY, OTHER, "null"])
def test_by_default_the_preflight_allows_the_xapi_headers_without_credentials(lms, origin):
    r = preflight(lms.endpoint() + "activities/state", origin)
    assert r.status_code == 204, r.text
    assert_public(r)
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert set(XAPI_REQUEST_HEADERS.split(",")) <= allowed
    assert "PUT" in r.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize("origin", [OTHER, "null"])
def test_by_default_the_fetch_url_gives_no_credentials(lms, origin):
    assert_public(preflight(lms.base_url + "/fetch/unknown", origin))
    r = requests.post(lms.base_url + "/fetch/unknown", headers={"Origin": origin}, timeout=5)
    assert r.status_code == 200, r.text
    assert_public(r)


def test_a_named_origin_gets_credentials_on_reads_preflights_and_fetch(trusting):
    assert_credentialed(get_statements(trusting, STORY), STORY)
    assert_credentialed(preflight(trusting.endpoint() + "statements", STORY), STORY)
    assert_credentialed(preflight(trusting.base_url + "/fetch/x", STORY), STORY)
    r = requests.post(trusting.base_url + "/fetch/x", headers={"Origin": STORY}, timeout=5)
    assert_credentialed(r, STORY)
    # A preflight for a path no resource answers still follows the rule.
    assert_credentialed(preflight(trusting.endpoint() + "no/such/resource", STORY), STORY)


@pytest.mark.parametrize("origin", [OTHER, "null", STORY + ".evil.example.com"])
def test_an_origin_not_named_gets_star_and_vary_origin(trusting, origin):
    for r in (
        get_statements(trusting, origin),
        preflight(trusting.endpoint() + "statements", origin),
        preflight(trusting.endpoint() + "no/such/resource", origin),
    ):
        assert r.status_code in (200, 204), r.text
        assert_public(r)
        assert "origin" in vary(r), r.headers


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://weare.example.com", "https://weare.example.com"),
        ("HTTP://LocalHost:8080", "http://localhost:8080"),
        ("http://[::1]:5173", "http://[::1]:5173"),
    ],
)
def test_origins_are_checked_and_lower_cased(given, kept):
    assert check_origin(given) == kept


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("null", "never given credentials"),
        ("NULL", "never given credentials"),
        ("*", "already allowed without credentials"),
        ("https://weare.example.com/", "no path"),
        ("https://weare.example.com/story", "no path"),
        ("weare.example.com", "scheme://host"),
        ("https://user@weare.example.com", "scheme://host"),
        ("https://weare.example.com:99999", "scheme://host"),
        ("https://weare.example.com?x=1", "scheme://host"),
        ("", "scheme://host"),
    ],
)
def test_a_bad_origin_is_refused(bad, reason):
    with pytest.raises(ConfigError, match=reason.replace("*", r"\*").replace("?", r"\?")):
        LMSConfig(cors_origins=(bad,))


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["null", "https://weare.example.com/path"])
def test_serve_refuses_a_bad_cors_origin_with_exit_2_and_one_line(tmp_path, bad):
    serve = [sys.executable, "-m", "harness", "serve", "--db", str(tmp_path / "x.db")]
    r = subprocess.run(
        [*serve, "--cors-origin", "https://ok.example.com", "--cors-origin", bad],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "--cors-origin" in r.stderr


@pytest.mark.slow
def test_serve_cors_origin_gives_that_origin_credentials(tmp_path):
    with ServeProcess(tmp_path / "lms.db", "--cors-origin", STORY) as server:
        client = server.client()
        named = client.get(server.endpoint + "about", headers={"Origin": STORY}, timeout=5)
        assert_credentialed(named, STORY)
        other = client.get(server.endpoint + "about", headers={"Origin": OTHER}, timeout=5)
        assert_public(other)
        assert server.terminate() == 0
