"""`certify --har` on files no browser needs to make: bad input is one line and exit 2, the
launch is found (or the page URLs are listed), a truncated file is judged on what it holds, the
streaming reader reads what `json` reads, and a 100 MB recording is read in bounded memory."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from harness.certify.har import stream
from harness.certify.har.stream import Scan, scan_entries
from harness.cli import main
from tests.certify_cli import certify, report, results, verdicts
from tests.factories import ACTOR, statement
from tests.har_shapes import entry, har, page, write

LMS = "https://lms.example.com"
FETCH = f"{LMS}/fetch/capability-0123456789abcdef"
TOKEN = "dG9rZW4tc2VjcmV0LXZhbHVlOnBhc3N3b3Jk"


def launch_url(n: int = 1, **extra: str) -> str:
    query = {
        "endpoint": f"{LMS}/xapi/",
        "fetch": FETCH + str(n),
        "actor": json.dumps(ACTOR),
        "registration": str(uuid.uuid4()),
        "activityId": "https://weare.example.com/stories/42",
        **extra,
    }
    return f"https://weare.example.com/story/index.html?{urlencode(query)}"


def documented(n: int = 1) -> list[dict]:
    stmt = statement()
    auth = {"Authorization": f"Basic {TOKEN}", "X-Experience-API-Version": "1.0.3"}
    version = {"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
    return [
        page(launch_url(n)),
        entry(
            "POST",
            FETCH + str(n),
            body=json.dumps({"auth-token": TOKEN}),
            response_headers={"Content-Type": "application/json"},
        ),
        entry(
            "POST",
            f"{LMS}/xapi/statements",
            body=json.dumps([stmt["id"]]),
            request_body=json.dumps(stmt),
            headers=auth,
            response_headers=version,
        ),
    ]


def run(tmp_path: Path, data: object, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "launch.har"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return certify("--har", str(path), "--report-dir", str(tmp_path / "rep"), *args)


def refused(capsys, tmp_path: Path, data: object, *args: str) -> str:
    """The one line `weare-harness certify` prints for input it cannot judge (exit 2), run in
    this process (argument errors included: argparse exits 2)."""
    path = tmp_path / "launch.har"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    argv = ["certify", "--har", str(path), "--report-dir", str(tmp_path / "rep"), *args]
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    assert code == 2, (out.out, out.err)
    lines = [line for line in out.err.strip().splitlines() if not line.startswith("usage:")]
    assert len(lines) == 1 and "Traceback" not in out.err, out.err
    return lines[0]


def one_line(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


@pytest.mark.parametrize(
    "text, words",
    [
        ("this is not json", "is not JSON: it starts with 'this is not json'"),
        ("", "is not JSON: the file is empty"),
        ('{"log": {"entries": [{"a": 1,}]}}', "is not JSON: an entry of log.entries"),
        ('{"log": {"entries": []}} trailing', "text after the end of the document"),
        ("[1, 2]", "is JSON but not a HAR (HTTP Archive 1.2): the document is not a JSON object"),
        ('{"log": {"version": "1.2"}}', "is JSON but not a HAR (HTTP Archive 1.2): it has no"),
    ],
)
def test_a_file_certify_cannot_read_is_one_line_and_exit_2(capsys, tmp_path, text, words):
    line = refused(capsys, tmp_path, text)
    assert line.startswith("weare-harness certify: ") and words in line, line
    assert not (tmp_path / "rep").exists()


def test_a_har_without_a_launch_lists_the_pages_it_holds_without_their_values(capsys, tmp_path):
    pages = har(page(f"{LMS}/course/view.php?id=7&sesskey=s3cr3t-sesskey"), page(f"{LMS}/"))
    line = refused(capsys, tmp_path, pages)
    assert "no launch in launch.har: looked for a page request" in line, line
    assert "actor and activityId" in line
    assert f"{LMS}/course/view.php (query: id, sesskey)" in line and f"{LMS}/;" not in line
    assert "s3cr3t-sesskey" not in line


def test_a_launch_is_a_page_request_not_any_request_with_the_parameters(capsys, tmp_path):
    # the same query on an XHR (the LMS logging the launch) is no launch
    xhr = entry("GET", launch_url(), kind="xhr")
    line = refused(capsys, tmp_path, har(xhr))
    assert "page URLs found: none (the recording holds no page request)" in line, line


def test_several_launches_are_listed_and_launch_n_picks_one(capsys, tmp_path):
    data = har(*documented(1), *documented(2))
    line = refused(capsys, tmp_path, data)
    assert "2 launches in launch.har (1: https://weare.example.com/story/index.html" in line
    assert "2: https://weare.example.com" in line and "pick one with --launch N" in line
    assert FETCH not in line and "capability" not in line  # names only, no values
    r = run(tmp_path, data, "--launch", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    got = report(tmp_path / "rep")
    assert got["har"]["launch"] == 2 and got["har"]["launches"] == 2
    assert got["target"]["launch_urls"][0].count("capability") == 0
    assert results(tmp_path / "rep")["statement.completed"] == "pass"


@pytest.mark.parametrize(
    "args, words",
    [
        (("--launch", "3"), "--launch 3: launch.har holds 2 launch(es); give 1 to 2"),
        (("--launch", "0"), "argument --launch: must be 1 or more, got 0"),
        (("--launch-url", launch_url()), "--har judges a recording: drop --launch-url"),
        (("--capture",), "--har judges a recording: drop --capture"),
    ],
)
def test_wrong_options_with_har_are_one_line_and_exit_2(capsys, tmp_path, args, words):
    line = refused(capsys, tmp_path, har(*documented(1), *documented(2)), *args)
    assert words in line, line


def test_launch_n_without_a_recording_is_refused():
    line = one_line(certify("--launch", "2", "--launch-url", launch_url()))
    assert "--launch N picks a launch of a recording: give --har FILE" in line, line


def test_a_truncated_har_is_judged_on_what_it_holds_and_says_so(tmp_path):
    text = json.dumps(har(*documented(1)))
    cut = text[: text.rindex('"request"')]  # the statement POST's entry is cut short
    r = run(tmp_path, cut)
    assert r.returncode == 1, r.stdout + r.stderr  # no completion in what is left
    got = report(tmp_path / "rep")
    assert got["har"]["truncated"] is True and got["har"]["entries"] == 2
    assert any("truncated" in line for line in got["har"]["left_out"]), got["har"]
    checks = results(tmp_path / "rep")
    assert checks["fetch.token"] == "pass"
    assert checks["statement.completed"] == "skipped"
    assert "truncated" in r.stdout


def test_a_har_truncated_before_its_first_entry_is_one_line(capsys, tmp_path):
    line = refused(capsys, tmp_path, '{"log": {"version": "1.2", "entries": [{"request": ')
    assert "is truncated before its first whole entry: nothing to judge" in line, line


def test_a_documented_launch_is_judged_and_names_the_behaviour_it_shows(tmp_path):
    r = run(tmp_path, har(*documented(1)))
    assert r.returncode == 0, r.stdout + r.stderr
    assert verdicts(tmp_path / "rep") == {
        "weare-documented": "works",
        "cmi5-full": "not-tested",
    }
    got = report(tmp_path / "rep")
    assert got["har"]["behaviour_shown"] == "weare-documented"
    probe = next(c for c in got["checks"] if c["id"] == "fetch.get-refused")
    assert probe["status"] == "skipped"
    assert probe["detail"] == "not sent (no GET on the fetch URL was recorded)"


TRICKY = [
    'plain', 'quote " inside', "back\\slash", "\\\\double", "unicode é ✓ \u2028", "\\u00e9",
    "x" * 50, '"\\"', "ends with backslash \\",
]  # fmt: skip


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_the_streaming_reader_reads_what_json_reads(tmp_path, monkeypatch, chunk):
    """Differential: entries with escapes, quotes and non-ASCII, cut at every chunk size."""
    monkeypatch.setattr(stream, "CHUNK", chunk)
    entries = [
        entry("POST", f"{LMS}/x?{i}", body=text, request_body=text) for i, text in enumerate(TRICKY)
    ]
    data = har(*entries)
    data["log"]["pages"] = [{"title": '[{"entries": []}]'}]  # brackets inside strings
    path = write(tmp_path / "t.har", data)
    scan = Scan()
    assert list(scan_entries(path, scan)) == json.loads(path.read_text())["log"]["entries"]
    assert scan.skeleton == {**data, "log": {**data["log"], "entries": []}}
    assert not scan.truncated


def test_long_strings_are_not_kept(tmp_path):
    data = har(entry("GET", f"{LMS}/big.png", body="A" * 5000, mime="image/png"))
    scan = Scan()
    (read,) = scan_entries(write(tmp_path / "t.har", data), scan, string_limit=100)
    assert read["response"]["content"]["text"] == f"{stream.ELIDED}5000"
    assert scan.elided == 1


MEASURE = """
import resource, sys
from harness.cli import main
code = main(sys.argv[1:])
print("maxrss_kib", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def _peak_kib(tmp_path: Path, har_path: Path) -> tuple[int, subprocess.CompletedProcess[str]]:
    r = subprocess.run(
        [sys.executable, "-c", MEASURE, "certify", "--har", str(har_path), "--report-dir",
         str(tmp_path / har_path.stem)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    peak = next(int(w.split()[1]) for w in r.stderr.splitlines() if w.startswith("maxrss_kib"))
    return peak, r


def test_a_100_mb_har_is_read_in_bounded_memory(tmp_path):
    """Media bodies (base64, as browsers save them) make the file 100 MB; certify's peak memory
    grows by far less than the file's size over reading the same launch without them."""
    small = write(tmp_path / "small.har", har(*documented(1)))
    media = base64.b64encode(b"\x89PNG" * (5 * 1024 * 1024 // 4)).decode()  # ~6.7 MB each
    big = tmp_path / "big.har"
    with big.open("w", encoding="utf-8") as out:
        body = json.dumps(har(*documented(1)))
        head, tail = body[: -len("]}}")], "]}}"
        out.write(head)
        for i in range(15):
            image = entry("GET", f"{LMS}/media/{i}.png", body=media, mime="image/png")
            image["response"]["content"]["encoding"] = "base64"
            out.write(", " + json.dumps(image))
        out.write(tail)
    assert big.stat().st_size > 100 * 1024 * 1024
    base, r1 = _peak_kib(tmp_path, small)
    peak, r2 = _peak_kib(tmp_path, big)
    assert r1.returncode == r2.returncode == 0, r2.stderr
    grown_mib = (peak - base) / 1024
    assert grown_mib < 30, f"peak memory grew by {grown_mib:.0f} MiB for a 100 MB HAR"
    assert report(tmp_path / "big")["verdict"] == report(tmp_path / "small")["verdict"]
