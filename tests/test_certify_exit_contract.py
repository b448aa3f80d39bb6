"""certify's contract with scripts and vendors, through the real CLI against a real fake LMS:
the headline never says plain WORKS while a behaviour will not work or was not tested, the exit
code follows `--require` and junit.xml fails exactly when it is 1, no file certify writes holds
a secret in any form, an internal error is one line and exit 3, and the report's meta says how
the run was made."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit

import pytest

from fake_lms import LMSConfig, MountSpec
from fake_lms.live import FakeLMS
from harness.certify import report
from harness.certify.capture import package
from harness.certify.context import CertInputs, fetch_capability
from harness.certify.run import certify
from harness.cli import main

pytestmark = pytest.mark.slow

KEY = ("vendor", "k3y-s3cret-for-certify")
API_KEY = ":".join(KEY)


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    db = tmp_path_factory.mktemp("contract") / "lms.db"
    config = LMSConfig(
        db_path=str(db),
        mounts=[
            MountSpec("default", mode="observe"),
            MountSpec("strict", mode="enforce"),
            MountSpec.parse(f"keyed=observe:{API_KEY}"),
        ],
    )
    with FakeLMS(config) as server:
        yield server


def launches(lms: FakeLMS, mount: str = "default", n: int = 2) -> list[str]:
    urls = []
    for _ in range(n):
        r = lms.admin("POST", "launches", json={"au_url": "http://127.0.0.1:9/s", "mount": mount})
        assert r.status_code == 201, r.text
        urls.append(r.json()["launch_url"])
    return urls


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["certify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def as_launch_args(urls: list[str]) -> list[str]:
    return [word for url in urls for word in ("--launch-url", url)]


def load(rep: Path, name: str) -> dict:
    return json.loads((rep / name).read_text())


def failures(rep: Path) -> list[tuple[str, str]]:
    root = ET.fromstring((rep / "junit.xml").read_bytes())
    return [
        (case.get("classname"), case.get("name"))
        for case in root.iter("testcase")
        if case.find("failure") is not None
    ]


# -- 1. the headline and the exit code ----------------------------------------------------------


def test_strict_lms_works_only_with_the_full_cmi5_flow_never_plain_works(lms, tmp_path, capsys):
    rep = tmp_path / "any"
    code, out, _ = run(capsys, *as_launch_args(launches(lms, "strict")), "--report-dir", str(rep))
    assert code == 0, out
    results = load(rep, "results.json")
    assert results["verdict"] == "works-only-with-cmi5-full"
    assert results["headline"] == "WORKS ONLY WITH THE FULL cmi5 FLOW"
    assert results["require"] == "any" and results["require_met"] is True
    assert load(rep, "certificate.json")["verdict"] == "works-only-with-cmi5-full"
    assert "verdict: WORKS ONLY WITH THE FULL cmi5 FLOW" in out
    assert "verdict: WORKS (" not in out and "verdict: WORKS\n" not in out
    page = (rep / "report.html").read_text()
    assert '<header class="v-partial">' in page  # amber, not green
    assert '<span class="verdict">WORKS ONLY WITH THE FULL cmi5 FLOW</span>' in page
    assert '<span class="verdict">WORKS</span>' not in page
    assert failures(rep) == []  # exit 0: no <failure> at all
    assert main(["certify", "--verify", str(rep)]) == 0


@pytest.mark.parametrize(
    ("require", "code"), [("both", 1), ("weare-documented", 1), ("cmi5-full", 0)]
)
def test_require_decides_the_exit_code_and_junit_follows_it(lms, tmp_path, capsys, require, code):
    rep = tmp_path / require
    args = [*as_launch_args(launches(lms, "strict")), "--require", require]
    got, out, _ = run(capsys, *args, "--report-dir", str(rep))
    assert got == code, out
    results = load(rep, "results.json")
    assert results["verdict"] == "works-only-with-cmi5-full"
    assert results["require"] == require and results["exit_code"] == code
    found = failures(rep)
    if code == 0:
        assert found == []
        assert "requirement met" in out
    else:
        assert ("certify.behaviour", "weare-documented") in found
        assert ("certify.statement", "statement.completed") in found
        assert ("certify.behaviour", "cmi5-full") not in found
        assert f"requirement not met (--require {require}" in out
    certificate = load(rep, "certificate.json")
    assert certificate["require"] == require and certificate["require_met"] is (code == 0)
    assert main(["certify", "--verify", str(rep)]) == 0
    capsys.readouterr()


def test_api_key_only_says_the_full_flow_was_not_tested(lms, tmp_path, capsys):
    rep = tmp_path / "key"
    base = ["--endpoint", lms.endpoint("keyed"), "--api-key", API_KEY]
    code, out, _ = run(capsys, *base, "--report-dir", str(rep))
    assert code == 0, out
    results = load(rep, "results.json")
    assert results["verdict"] == "works-with-weare-documented-cmi5-full-not-tested"
    page = (rep / "report.html").read_text()
    assert "WORKS WITH WE ARE&#39;S DOCUMENTED FLOW; THE FULL cmi5 FLOW WAS NOT TESTED" in page
    assert '<header class="v-partial">' in page
    assert failures(rep) == []
    assert "credentials: API key" in page
    both = tmp_path / "both"
    code, out, _ = run(capsys, *base, "--require", "both", "--report-dir", str(both))
    assert code == 1, out
    assert failures(both) == [("certify.behaviour", "cmi5-full")]  # not tested: not met


# -- 3. no secret in any file certify writes ----------------------------------------------------


def secret_forms(secret: str) -> set[str]:
    once = quote(secret, safe="")
    return {secret, once, quote(once, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


def handed_out(lms: FakeLMS) -> list[str]:
    """Every session token the fake LMS handed out, raw and as its fetch URL hands it out (the
    LMS knows them in clear; its store keeps digests)."""
    tokens = lms.app.extensions["weare"].secrets().tokens()
    return tokens + [base64.b64encode(f":{t}".encode()).decode() for t in tokens]


def assert_no_secret_written(rep: Path, secrets: list[str], *texts: str) -> None:
    files = [p for p in rep.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {
        "report.html",
        "results.json",
        "junit.xml",
        "evidence.json",
        "certificate.json",
        "history.jsonl",
    }
    for secret in secrets:
        assert len(secret) >= 8, secret
        for form in secret_forms(secret):
            for path in files:
                assert form.encode() not in path.read_bytes(), (path.name, form)
            for text in texts:
                assert form not in text, form


def test_no_file_holds_a_fetch_capability_token_or_api_key(lms, tmp_path, capsys):
    urls = launches(lms)
    rep = tmp_path / "launch"
    code, out, err = run(capsys, *as_launch_args(urls), "--report-dir", str(rep))
    assert code == 0, out + err
    command = load(rep, "results.json")["meta"]["command"]
    assert command.startswith("weare-harness certify --launch-url") and "[redacted]" in command
    capabilities = [c for url in urls for c in fetch_capability(fetch_of(url))]
    assert len(capabilities) == 2
    assert_no_secret_written(rep, capabilities + handed_out(lms), out, err)

    keyed = tmp_path / "keyed"
    code, out, err = run(
        capsys,
        "--endpoint",
        lms.endpoint("keyed"),
        f"--api-key={API_KEY}",
        "--report-dir",
        str(keyed),
    )
    assert code == 0, out + err
    basic = base64.b64encode(API_KEY.encode()).decode()
    assert_no_secret_written(keyed, [API_KEY, KEY[1], basic], out, err)


def fetch_of(url: str) -> str:
    return dict(parse_qsl(urlsplit(url).query))["fetch"]


# -- 4. bad input is a verdict, an internal error is one line and exit 3 -------------------------


def encoded_twice(url: str) -> str:
    """The launch URL with its fetch value percent-encoded once too often."""
    parts = urlsplit(url)
    pairs = [(k, quote(v, safe="") if k == "fetch" else v) for k, v in parse_qsl(parts.query)]
    return parts._replace(query=urlencode(pairs, quote_via=quote)).geturl()


def test_a_fetch_value_encoded_twice_is_a_failing_check_not_a_traceback(lms, tmp_path, capsys):
    (url,) = launches(lms, n=1)
    rep = tmp_path / "twice"
    code, out, err = run(capsys, "--launch-url", encoded_twice(url), "--report-dir", str(rep))
    assert code == 1, out + err
    assert "Traceback" not in out + err
    checks = {c["id"]: c for c in load(rep, "results.json")["checks"]}
    assert checks["launch.fetch-url"]["status"] == "fail"
    assert "'http%3A%2F%2F127.0.0.1%3A" in checks["launch.fetch-url"]["detail"]
    assert checks["fetch.token"]["status"] == "skipped"
    assert "credentials: none (no token was fetched, no API key)" in out
    assert_no_secret_written(rep, fetch_capability(fetch_of(url)), out, err)


def test_an_internal_error_exits_3_with_one_line_and_a_redacted_traceback(
    lms, tmp_path, capsys, monkeypatch
):
    """An internal bug cannot be made on purpose without planting one: summary raises."""
    urls = launches(lms)

    def broken(cert):
        raise ValueError(f"cannot summarise {urls[0]}")

    monkeypatch.setattr(report, "summary", broken)
    rep = tmp_path / "broken"
    code, out, err = run(capsys, *as_launch_args(urls), "--report-dir", str(rep))
    assert code == 3
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("weare-harness certify: internal error (ValueError: cannot summ")
    assert lines[0].endswith(f"traceback written to {rep / 'traceback.txt'}")
    text = (rep / "traceback.txt").read_text()
    assert "Traceback (most recent call last)" in text and "in broken" in text
    capabilities = [c for url in urls for c in fetch_capability(fetch_of(url))]
    for secret in capabilities + handed_out(lms):
        for form in secret_forms(secret):
            assert form not in text and form not in err and form not in out


def test_an_internal_error_in_capture_mode_exits_3(tmp_path, capsys, monkeypatch, lms):
    def broken(page_url, report_dir):
        raise RuntimeError(f"planted fault; the key was {API_KEY}")

    monkeypatch.setattr(package, "write", broken)
    rep = tmp_path / "capture"
    code, out, err = run(
        capsys,
        "--capture",
        "--port",
        "0",
        "--endpoint",
        lms.endpoint("keyed"),
        "--api-key",
        API_KEY,
        "--report-dir",
        str(rep),
    )
    assert code == 3, out + err
    assert len(err.strip().splitlines()) == 1 and "internal error (RuntimeError: planted" in err
    text = (rep / "traceback.txt").read_text()
    assert "planted fault" in text
    for form in secret_forms(KEY[1]):
        assert form not in text and form not in err


# -- 5. the meta says how the run was made -------------------------------------------------------


def test_meta_carries_the_driver_chromium_and_credentials_in_words(lms, tmp_path):
    cert = certify(CertInputs(launches(lms, n=1), timeout=5))
    cert.notes |= {"driver": "browser", "chromium": "126.0.6478.126"}
    report.write(cert, tmp_path, "weare-harness certify --launch-url X")
    meta = load(tmp_path, "results.json")["meta"]
    assert meta["driver"] == "browser" and meta["chromium"] == "126.0.6478.126"
    history = json.loads((tmp_path / "history.jsonl").read_text().splitlines()[-1])
    assert history["driver"] == "browser"
    page = (tmp_path / "report.html").read_text()
    assert "126.0.6478.126" in page
    assert "credentials: auth-token from the fetch URL" in page
    assert "credentials None" not in page and "credentials fetch-token" not in page
