"""The reports of a run: junit.xml, results.json, report.html and the terminal summary.

Built from real runs of the precedence scenarios: the reference story (all pass) and the
ignores-endpoint mutant (several fail), plus an errored and a skipped result and planted hostile
content (markup, control characters, credentials) that every report must neutralise.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import logging
import re
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness.report import RunInfo, redact, redact_text, totals, write_reports
from harness.report.html import diff_lines
from harness.report.junit import JUnitCase, write_junit
from harness.report.summary import progress_line, summary_table
from harness.runner import Runner, ScenarioResult, Target
from harness.scenarios import discover

PRECEDENCE = str(Path(__file__).resolve().parent.parent / "harness" / "suite" / "precedence.yaml")
SECRET_BASIC = base64.b64encode(b"planted-user:planted-secret-42").decode()
SECRET_TOKEN = "UGxhbnRlZFRva2VuOnRvcC1zZWNyZXQ="
PLANTED_SCRIPT = '<script>alert("pwned")</script>'
PLANTED_TITLE = "<b>bold</b> & <img src=x onerror=alert(1)>"
Q = "&#34;"  # how the templates' autoescape writes a double quote


def _info(target: str) -> RunInfo:
    return RunInfo(
        target, "http", "2026-01-02T03:04:05+00:00", 1.5, f"weare-harness run --au {target}"
    )


@pytest.fixture(scope="module")
def runs() -> dict[str, list[ScenarioResult]]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    scenarios = discover([PRECEDENCE])
    return {
        name: Runner(scenarios, driver="http", target=Target.parse(name)).run()
        for name in ("reference", "mutant:ignores-endpoint")
    }


@pytest.fixture(scope="module")
def planted(runs) -> list[ScenarioResult]:
    """The mutant's results, with hostile content planted and an errored and a skipped result."""
    results = [copy.deepcopy(r) for r in runs["mutant:ignores-endpoint"]]
    first = results[0]
    assert first.status == "failed" and first.journal and first.outcome["steps"]
    # A statement carrying markup, a journal entry with a live Basic credential, a step body
    # with an auth-token and a header line with a Basic credential.
    first.received.setdefault("launch", []).append(
        {"id": "x", "verb": {"display": {"en-US": PLANTED_SCRIPT}}}
    )
    first.journal.append(
        {
            "mount": "launch",
            "method": "POST",
            "path": "/xapi/statements",
            "status": 200,
            "authorization": f"Basic {SECRET_BASIC}",
            "verdicts": [],
        }
    )
    first.outcome["steps"].append(
        {
            "step": "fetch",
            "method": "POST",
            "url": "http://127.0.0.1:1/fetch/x",
            "status": 200,
            "body": json.dumps({"auth-token": SECRET_TOKEN}),
        }
    )
    first.outcome["reason"] = f"sent Authorization: Basic {SECRET_BASIC} and was refused"
    results[1] = dataclasses.replace(
        results[1], scenario=dataclasses.replace(results[1].scenario, title=PLANTED_TITLE)
    )
    base = results[-1].scenario
    results.append(
        ScenarioResult(
            dataclasses.replace(base, id="synthetic-error"),
            "error",
            message='bench broke:\x00\x1b[31m <&> "quoted" \ufffe done',
            duration_s=0.25,
        )
    )
    results.append(
        ScenarioResult(
            dataclasses.replace(base, id="synthetic-skip"),
            "skipped",
            message="an external story runs in a browser: use --driver browser",
        )
    )
    return results


@pytest.fixture(scope="module")
def written(planted, tmp_path_factory) -> dict[str, Path]:
    report_dir = tmp_path_factory.mktemp("reports") / "nested" / "dir"
    return write_reports(planted, _info("mutant:ignores-endpoint"), report_dir)


def _real_tokens(results: list[ScenarioResult]) -> list[str]:
    """auth-token values the fake LMS really handed out during the run (in the step bodies)."""
    tokens = []
    for r in results:
        for step in r.outcome.get("steps", []):
            tokens += re.findall(r'"auth-token"\s*:\s*"([^"]+)"', step.get("body", ""))
    return tokens


# -- the runs themselves ------------------------------------------------------------------------


def test_runs_give_passes_and_failures(runs):
    assert {r.status for r in runs["reference"]} == {"passed"}
    mutant = [r.status for r in runs["mutant:ignores-endpoint"]]
    assert "failed" in mutant and "passed" in mutant


# -- junit.xml ----------------------------------------------------------------------------------


def test_junit_counts_and_failures(written, planted):
    root = ET.parse(written["junit"]).getroot()
    suites = root.findall("testsuite") if root.tag == "testsuites" else [root]
    assert len(suites) == 1
    suite = suites[0]
    failed = [r for r in planted if r.status == "failed"]
    assert suite.get("name") == "weare-harness"
    assert suite.get("tests") == str(len(planted))
    assert suite.get("failures") == str(len(failed))
    assert suite.get("errors") == "1"
    assert suite.get("skipped") == "1"
    assert float(suite.get("time")) == pytest.approx(1.5)
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [r.scenario.id for r in planted]
    assert {c.get("classname") for c in cases} == {"precedence"}
    assert suite.get("timestamp") == "2026-01-02T03:04:05+00:00"
    for case, result in zip(cases, planted, strict=True):
        assert float(case.get("time")) >= 0
        # relative, not the absolute path
        assert case.get("file") == "harness/suite/precedence.yaml"
        if result.status == "failed":
            failure = case.find("failure")
            messages = [c.message for c in result.checks if not c.passed]
            assert failure.get("message") == messages[0]
            for message in messages:
                assert message in failure.text
            assert result.scenario.rule["text"] in failure.text
            assert result.scenario.rule["source"] in failure.text
        else:
            assert case.find("failure") is None
    error = cases[-2].find("error")
    assert error is not None and error.get("message").startswith("bench broke:")
    assert "\x00" not in error.get("message") and "<&>" in error.get("message")
    skipped = cases[-1].find("skipped")
    assert skipped is not None and "browser" in skipped.get("message")


def test_junit_is_valid_xml_without_secrets(written, planted):
    raw = written["junit"].read_bytes()
    assert raw.startswith(b"<?xml")
    ET.fromstring(raw)  # well-formed
    text = raw.decode("utf-8")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text)
    assert SECRET_BASIC not in text and SECRET_TOKEN not in text
    for token in _real_tokens(planted):
        assert token not in text


def test_junit_of_a_passing_run(runs, tmp_path):
    paths = write_reports(runs["reference"], _info("reference"), tmp_path)
    suite = ET.parse(paths["junit"]).getroot().find("testsuite")
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("0", "0", "0")
    assert suite.get("tests") == str(len(runs["reference"]))


def test_junit_files_are_relative_to_the_working_directory(planted, tmp_path, monkeypatch):
    """From another directory, `file` is a `../` path that resolves to a user's scenario file
    (run) and to the check's source (certify's cases go through the same writer); a built-in
    scenario's is its place in the package, from anywhere."""
    elsewhere = tmp_path / "elsewhere" / "deeper"
    elsewhere.mkdir(parents=True)
    own = tmp_path / "own.yaml"
    own.write_text(Path(PRECEDENCE).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    users = [
        dataclasses.replace(r, scenario=dataclasses.replace(r.scenario, file=str(own)))
        for r in planted[:2]
    ]
    paths = write_reports([*users, *planted[2:3]], _info("reference"), tmp_path / "rep")
    *mine, builtin = ET.parse(paths["junit"]).getroot().iter("testcase")
    for case in mine:
        file = case.get("file")
        assert not Path(file).is_absolute() and file.startswith("../")
        assert (elsewhere / file).resolve() == own.resolve()
    assert builtin.get("file") == "harness/suite/precedence.yaml"
    import harness.certify.checks.statements as source

    xml = write_junit(
        [JUnitCase("certify.statement", "statement.completed", "passed", file=source.__file__)],
        suite="weare-harness certify",
        duration_s=0,
        timestamp="2026-01-02T03:04:05Z",
        properties={},
    )
    file = ET.fromstring(xml).find("testsuite/testcase").get("file")
    assert (
        file.startswith("../") and (elsewhere / file).resolve() == Path(source.__file__).resolve()
    )


# -- results.json -------------------------------------------------------------------------------


def test_results_json_round_trips(written, planted):
    text = written["json"].read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data) == ["meta", "run", "totals", "causes", "scenarios"]
    assert list(data["run"]) == [
        "target", "driver", "started", "duration_s", "command", "story_behaviour",
    ]  # fmt: skip
    meta = data["meta"]
    assert meta["started_at"] == "2026-01-02T03:04:05Z"
    assert (meta["target"], meta["driver"], meta["duration_s"]) == (
        data["run"]["target"],
        "http",
        1.5,
    )
    assert meta["command"] == data["run"]["command"] and meta["chromium"] is None
    assert data["run"]["target"] == "mutant:ignores-endpoint"
    failed = sum(r.status == "failed" for r in planted)
    assert data["totals"] == {
        "scenarios": len(planted),
        "passed": sum(r.status == "passed" for r in planted),
        "failed": failed,
        "errors": 1,
        "skipped": 1,
        "scenario_time_s": data["totals"]["scenario_time_s"],
        "verdict": "error",
    }
    expected = json.loads(json.dumps([redact(r.as_dict()) for r in planted]))
    assert data["scenarios"] == expected
    assert list(data["scenarios"][0]) == list(planted[0].as_dict())
    assert text.endswith("\n") and '\n  "run": {' in text  # indent 2
    assert SECRET_BASIC not in text and SECRET_TOKEN not in text
    for token in _real_tokens(planted):
        assert token not in text
    # Writing twice gives the same bytes: stable order.
    again = write_reports(planted, _info("mutant:ignores-endpoint"), written["json"].parent)
    assert again["json"].read_text(encoding="utf-8") == text


# -- report.html --------------------------------------------------------------------------------


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data", "action") and value:
                self.refs.append((tag, name, value))


def test_html_contents(written, planted):
    html = written["html"].read_text(encoding="utf-8")
    for result in planted:
        assert result.scenario.id in html
    first = planted[0]
    assert first.launch["launch_url"].replace("&", "&amp;") in html
    failed = next(c for c in first.checks if not c.passed)
    # expected and actual as values, and as the lines of a diff of the pretty JSON
    assert json.dumps(failed.expected).replace('"', Q) in html
    assert json.dumps(failed.actual).replace('"', Q) in html
    for line in diff_lines(failed.expected, failed.actual):
        if line.startswith(("-", "+")) and not line.startswith(("---", "+++")):
            assert line.replace('"', Q) in html
    assert "--- expected" in html and "+++ actual" in html
    assert first.scenario.rule["text"] in html
    assert "no endpoint parameter" in html  # a story outcome reason of the mutant
    assert 'id="show-failed"' in html and 'id="show-passed"' in html
    # Folded by cause, the first scenario of each open inside its fold; passes collapsed.
    assert html.count('<details class="scenario st-failed"') == html.count(
        '<details class="scenario st-failed" id="s-'
    )
    opened = re.findall(r'<details class="scenario st-(\w+)" id="[^"]*"( open)?>', html)
    causes = len(re.findall(r'<details class="group" id="cause-\d+-details">', html))
    assert {status for status, o in opened if o} == {"failed", "error"}
    assert sum(1 for _, o in opened if o) == causes
    assert {"passed", "skipped"} <= {status for status, o in opened if not o}


def test_html_is_self_contained(written, planted):
    html = written["html"].read_text(encoding="utf-8")
    parser = _Resources()
    parser.feed(html)
    launch_urls = {r.launch.get("launch_url") for r in planted if r.launch}
    for tag, name, value in parser.refs:
        assert value.startswith("#") or (tag == "a" and value in launch_urls), (tag, name, value)
    assert not [t for t, a in parser.tags if t == "script" and "src" in a]
    assert not [t for t, a in parser.tags if t == "link"]
    assert [t for t, _ in parser.tags].count("script") == 1
    for style in re.findall(r"<style>(.*?)</style>", html, re.DOTALL):
        assert "@import" not in style and "url(" not in style
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert csp and "default-src 'none'" in unescape(csp.group(1))


def test_html_escapes_planted_markup(written):
    html = written["html"].read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert f"&lt;script&gt;alert(\\{Q}pwned\\{Q})&lt;/script&gt;" in html
    assert "<b>bold</b>" not in html and "<img" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;img src=x onerror=alert(1)&gt;" in html
    assert f"&lt;&amp;&gt; {Q}quoted{Q}" in html


def test_html_redacts_credentials(written, planted):
    html = written["html"].read_text(encoding="utf-8")
    assert SECRET_BASIC not in html and SECRET_TOKEN not in html
    for token in _real_tokens(planted):
        assert token not in html
    assert "Basic [redacted]" in html
    assert f"auth-token{Q}: {Q}[redacted]" in html or f"auth-token\\{Q}: \\{Q}[redacted]" in html
    assert "Basic [redacted user=" in html  # the journal's own redaction is kept as given


def test_html_for_many_scenarios_stays_collapsed(planted, tmp_path):
    many = []
    for n in range(500):
        r = planted[n % len(planted)]
        many.append(
            dataclasses.replace(r, scenario=dataclasses.replace(r.scenario, id=f"s{n:03d}"))
        )
    html = write_reports(many, _info("reference"), tmp_path)["html"].read_text(encoding="utf-8")
    assert html.count('<details class="scenario') == 500
    assert len(html) < 15_000_000


# -- redaction ----------------------------------------------------------------------------------


def test_redaction_rules():
    basic = base64.b64encode(b"user:secret").decode()
    assert redact_text(f"Authorization: Basic {basic}") == "Authorization: Basic [redacted]"
    assert redact_text('{"auth-token":"abc=="}') == '{"auth-token":"[redacted]"}'
    assert redact_text("{'auth-token': 'abc'}") == "{'auth-token': '[redacted]'}"
    assert redact_text('{\\"auth-token\\": \\"abc\\"}') == '{\\"auth-token\\": \\"[redacted]\\"}'
    assert redact_text("Basic authentication is required") == "Basic authentication is required"
    assert redact_text("Basic [redacted user='x']") == "Basic [redacted user='x']"
    data = {"api_key": basic, "nested": [{"authorization": "Bearer abc"}], "n": 1, "none": None}
    assert redact(data) == {
        "api_key": "[redacted]",
        "nested": [{"authorization": "Bearer [redacted]"}],
        "n": 1,
        "none": None,
    }
    assert data["api_key"] == basic  # the input is left alone


# -- terminal -----------------------------------------------------------------------------------


def test_progress_line(runs, planted):
    result = runs["reference"][0]
    line = progress_line(result, 3, 40, color=False)
    assert line == f"[ 3/40] PASS {result.scenario.id} ({result.duration_s:.2f} s)"
    assert progress_line(planted[0], 1, 5, color=False).startswith("[1/5] FAIL ")
    assert "ERROR synthetic-error" in progress_line(planted[-2], 9, 9, color=False)
    colored = progress_line(result, 1, 1, color=True)
    assert "\033[32mPASS\033[0m" in colored


def test_summary_table(planted):
    info = _info("mutant:ignores-endpoint")
    text = summary_table(planted, info, color=False)
    counts = totals(planted)
    bad = [r for r in planted if r.status in ("failed", "error")]
    lines = text.splitlines()
    for r in bad:
        line = next(line for line in lines if f" {r.scenario.id} " in line)
        if r.status == "failed":
            first = next(c.message for c in r.checks if not c.passed)
            assert first[:80] in line
    assert not any("synthetic-skip" in line for line in lines)
    assert lines[-1].startswith("ERROR: ")
    assert f"{counts['passed']} passed, {counts['failed']} failed, 1 error, 1 skipped" in text
    assert "in 1.50 s" in text
    assert "\033[" not in text and "\x00" not in text
    assert SECRET_BASIC not in text
    assert "\033[" in summary_table(planted, info, color=True)


def test_summary_of_a_passing_run(runs):
    text = summary_table(runs["reference"], _info("reference"), color=False)
    assert text.startswith("PASSED: ")
    assert f"{len(runs['reference'])} passed, 0 failed, 0 errors, 0 skipped" in text


# -- the page in a browser ----------------------------------------------------------------------


def test_html_in_chromium(written):
    sync_api = pytest.importorskip("playwright.sync_api")
    from harness.browser import chromium_executable, launch_chromium

    if chromium_executable() is None and not any(
        (Path.home() / ".cache" / "ms-playwright").glob("chromium*")
    ):
        pytest.skip("no Chromium")
    url = written["html"].resolve().as_uri()
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 1100})
            requests: list[str] = []
            problems: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(url)
            assert page.title().startswith("weare-harness: ERROR")
            rows = page.locator("table.scenarios tbody tr")
            passed = page.locator("table.scenarios tbody tr.st-passed")
            assert passed.count() > 0 and passed.first.is_visible()
            page.screenshot(path="/tmp/report.png")
            # Status filter: hide the passed scenarios, then bring them back.
            page.click("label[for=show-passed]")
            assert not passed.first.is_visible()
            assert page.locator("details.scenario.st-passed").first.is_hidden()
            assert rows.locator("visible=true").count() == rows.count() - passed.count()
            page.click("label[for=show-passed]")
            assert passed.first.is_visible()
            # Following a scenario's link opens its collapsed details.
            details = page.locator("details.scenario.st-passed").first
            assert details.get_attribute("open") is None
            page.locator("table.scenarios tbody tr.st-passed a").first.click()
            # (the page opens it on `hashchange`, after the click returns: waited for, 5 s at most)
            sync_api.expect(details).to_have_attribute("open", re.compile(".*"), timeout=5000)
            assert details.locator("table.checks").first.is_visible()
            # A failure's details are open in its cause's fold, its diff in sight.
            shown = "details.scenario.st-failed[open] pre.diff"
            fold = page.locator("details.group").filter(has=page.locator(shown)).first
            fold.locator("> summary").click()
            assert fold.locator(shown).first.is_visible()
            details.screenshot(path="/tmp/report-details.png")
            assert requests == [url]
            assert problems == []  # no CSP violation, no script error
        finally:
            browser.close()
