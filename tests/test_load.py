"""`weare-harness load`: simulated learners on Locust against a real `serve` subprocess and Ralph.

Correctness only, short runs (speed is measured by hand and by `make bench`): the JSON's fields
with two real Locust worker processes, the loss check both ways (a right LMS loses nothing, the
drops-statements quirk loses what it acknowledged), and the usage errors (exit 2, one line).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from harness.cli import main
from harness.load.config import ConfigError, read_launch_urls
from harness.load.readback import count_learner
from tests.loopback import free_port
from tests.ralph_process import ABSENT, RALPH, ralph_lrs
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow
API_KEY = "qa:s3cret-key"


@pytest.fixture
def load(capsys):
    """`weare-harness load ARGS` in this process (the CLI side does not import Locust; the
    engine is its own process): exit code, stdout and stderr."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        try:
            code = main(["load", *args])
        except SystemExit as exc:  # argparse's usage errors
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    with ServeProcess(tmp_path_factory.mktemp("load") / "lms.sqlite", api_key=API_KEY) as s:
        yield s


def test_two_locust_workers_against_serve_lose_nothing(serve, tmp_path):
    """One local worker process (--workers 1) and one that joins with --master, as a worker
    on another machine would: the master waits for both (--remote-workers 1)."""
    port = free_port()
    cli = [sys.executable, "-m", "harness", "load"]
    master = subprocess.Popen(
        [*cli, "--lms", serve.base_url, "--api-key", API_KEY, "--users", "4", "--duration", "2",
         "--workers", "1", "--remote-workers", "1", "--bind", f"127.0.0.1:{port}",
         "--report-dir", str(tmp_path), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    joined = subprocess.run(
        [*cli, "--master", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=120
    )
    out, err = master.communicate(timeout=120)
    r = subprocess.CompletedProcess(master.args, master.returncode, out, err)
    assert joined.returncode == 0, joined.stderr
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert data["workers"] == 2 and data["users"] == 4
    assert data["behaviour"] == "cmi5-full"
    assert data["launches"] >= data["learners_completed"] > 0
    # cmi5-full: initialized, completed, terminated per learner, each acknowledged and kept
    assert data["statements_sent"] >= 3 * data["learners_completed"]
    assert data["statements_accepted"] == data["statements_sent"]
    assert data["lost"] == 0 and data["duplicated"] == 0 and data["unverified"] == 0
    assert data["loss_check"]["status"] == "pass"
    assert data["errors"] == [] and data["requests_failed"] == 0
    assert isinstance(data["generator_cpu_over_90"], bool)
    assert 0 < data["p50_ms"] <= data["p99_ms"]
    names = {row["name"] for row in data["by_request"]}
    assert {"launch", "fetch", "launch-data", "preferences", "statement completed"} <= names
    html = (tmp_path / "locust.html").read_text()
    assert "statement completed" in html
    assert json.loads((tmp_path / "results.json").read_text())["lost"] == 0
    for text in (r.stdout, r.stderr, html, joined.stdout, joined.stderr):
        assert "s3cret-key" not in text


def test_without_locust_the_command_names_the_extra(load, monkeypatch):
    monkeypatch.setitem(sys.modules, "locust", None)  # as if it were not installed
    line = _one_line_exit_2(load("--lms", "http://127.0.0.1:9", "--api-key", API_KEY))
    assert line.endswith("Locust is not installed: pip install 'weare-harness[load]'")


def test_launch_urls_each_used_once_and_read_back_with_the_token(serve, tmp_path, load):
    admin = requests.Session()
    admin.auth = tuple(API_KEY.split(":"))  # type: ignore[assignment]
    story = admin.get(f"{serve.base_url}/api/story", timeout=10).json()
    urls = [
        admin.post(
            f"{serve.base_url}/api/launches",
            json={"profile": "weare", "au_url": story["behaviours"]["weare-documented"]},
            timeout=10,
        ).json()["launch_url"]
        for _ in range(5)
    ]
    path = tmp_path / "launches.txt"
    path.write_text("# one learner per line\n" + "\n".join(urls) + "\n")
    r = load(
        "--launch-urls", str(path), "--api-key", API_KEY, "--behaviour", "cmi5-full",
        "--users", "3", "--duration", "20", "--report-dir", str(tmp_path), "--json", "--yes",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert data["launches"] == 5 and data["learners_completed"] == 5  # then it stops early
    assert data["duration_s"] < 15
    assert data["statements_accepted"] == 15 and data["lost"] == 0
    assert data["loss_check"]["status"] == "pass"  # read back with the key given
    assert "will be written" not in r.stdout and "load writes to" in r.stderr


def test_acknowledged_then_dropped_statements_are_lost_exit_1(serve, tmp_path, load):
    admin = serve.client()
    r = admin.post(
        f"{serve.base_url}/api/mounts",
        json={"name": "dropping", "mode": "enforce", "quirks": ["drops-statements"]},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    r = load(
        "--lms", serve.base_url, "--mount", "dropping", "--api-key", API_KEY, "--users", "2",
        "--duration", "1", "--report-dir", str(tmp_path), "--json",
    )  # fmt: skip
    assert r.returncode == 1, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert data["statements_accepted"] > 0
    assert data["lost"] == data["statements_accepted"]
    assert data["loss_check"]["status"] == "fail"
    assert data["verdict"] == "failed"


def _one_line_exit_2(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


def test_server_down_exits_2_in_one_line(load):
    port = free_port()
    line = _one_line_exit_2(load("--lms", f"http://127.0.0.1:{port}", "--api-key", API_KEY))
    assert f"cannot reach the fake LMS at http://127.0.0.1:{port}" in line


def test_a_worker_whose_master_does_not_answer_gives_up_in_one_line():
    """The join's deadline (engine.JOIN_SECONDS, shortened here) ends a worker that finds no
    master, instead of Locust's own five minutes of retries."""
    port = free_port()
    join = (
        "import sys, harness.load.engine as engine; engine.JOIN_SECONDS = 1; "
        f"sys.exit(engine.main(['--worker', '127.0.0.1:{port}']))"
    )
    r = subprocess.run([sys.executable, "-c", join], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r.stdout + r.stderr
    assert json.loads(r.stdout) == {
        "error": f"cannot join the master at 127.0.0.1:{port}: no answer in 1 s"
    }


def test_bad_launch_url_file_is_named_file_and_line(tmp_path, load):
    path = tmp_path / "urls.txt"
    good = "https://lms.example/au?endpoint=https://lms.example/xapi/&fetch=https://lms.example/f&actor=%7B%7D&activityId=a"
    path.write_text(f"{good}\n\nnot a url\n")
    line = _one_line_exit_2(load("--launch-urls", str(path), "--yes"))
    assert f"{path}:3: not an absolute http(s) URL" in line
    path.write_text(good.replace("&fetch=https://lms.example/f", "") + "\n")
    assert f"{path}:1: a cmi5 launch URL needs fetch" in _one_line_exit_2(
        load("--launch-urls", str(path), "--yes")
    )
    missing = tmp_path / "absent.txt"
    assert f"--launch-urls {missing}: cannot read it" in _one_line_exit_2(
        load("--launch-urls", str(missing), "--yes")
    )


def test_vendor_target_needs_yes_after_the_notice(load):
    r = load("--endpoint", "https://lrs.example/xapi/", "--api-key", "u:p4ssword")
    assert "add --yes" in _one_line_exit_2(r)
    assert "load writes to the LRS at https://lrs.example/xapi/" in r.stdout
    r = load("--lms", "http://192.0.2.1:8080", "--api-key", API_KEY)  # not loopback: a vendor
    assert "add --yes" in _one_line_exit_2(r)


def test_caps_and_targets_are_usage_errors(load, tmp_path):
    assert "--users must be 1-2000" in _one_line_exit_2(
        load("--lms", "http://127.0.0.1:9", "--api-key", API_KEY, "--users", "5000")
    )
    assert "--duration must be above 0 and at most 600" in _one_line_exit_2(
        load("--lms", "http://127.0.0.1:9", "--api-key", API_KEY, "--duration", "3600")
    )
    assert "cmi5-full needs --lms or --launch-urls" in _one_line_exit_2(
        load("--endpoint", "http://127.0.0.1:9/", "--api-key", "a:b", "--behaviour", "cmi5-full")
    )
    assert "give a target" in _one_line_exit_2(load())
    urls = tmp_path / "urls.txt"
    urls.write_text("http://l/?endpoint=http://l/x/&fetch=http://l/f&actor=%7B%7D&activityId=a\n")
    assert "give at least as many --users (got 1)" in _one_line_exit_2(
        load("--launch-urls", str(urls), "--workers", "2", "--users", "1", "--yes")
    )
    assert "cannot write the reports to /dev/null/x" in _one_line_exit_2(
        load("--lms", "http://127.0.0.1:9", "--api-key", API_KEY, "--report-dir", "/dev/null/x")
    )


# -- the loss count, both ways, on data --------------------------------------------------------


def _learner(*ids: str) -> dict:
    return {"acked": list(ids), "sent": [[i, "v", f"t{i}"] for i in ids]}


def test_count_learner_finds_lost_and_duplicated():
    stored = [{"id": "a", "verb": {"id": "v"}, "timestamp": "ta"}]
    count = count_learner(_learner("a", "b"), stored)
    assert (count.accepted, count.lost, count.duplicated) == (2, 1, 0)
    copy = [*stored, {"id": "z", "verb": {"id": "v"}, "timestamp": "ta"}]  # same, new id
    count = count_learner(_learner("a"), copy)
    assert (count.lost, count.duplicated) == (0, 1)
    assert count_learner(_learner("a"), stored).status()[0] == "pass"


def test_loss_check_with_nothing_read_back_is_skipped_not_passed():
    from harness.load.readback import LossCount

    status, reason = LossCount(accepted=3, unverified=3, reasons={"GET answered 403": 1}).status()
    assert status == "skipped" and "GET answered 403" in reason
    assert LossCount().status()[0] == "skipped"


def test_read_launch_urls_skips_comments(tmp_path):
    path = tmp_path / "u.txt"
    url = "http://l/?endpoint=http://l/x/&fetch=http://l/f&actor=%7B%7D&activityId=a"
    path.write_text(f"# comment\n\n{url}\n")
    assert read_launch_urls(path) == [url]
    path.write_text("# nothing\n")
    with pytest.raises(ConfigError, match="no launch URL"):
        read_launch_urls(path)


# -- a third-party LRS --------------------------------------------------------------------------


@pytest.fixture
def ralph(tmp_path):
    if not RALPH.exists():
        pytest.skip(ABSENT)
    with ralph_lrs(tmp_path, "load", "s3cret-ralph", append=True) as endpoint:
        # Ralph's first authenticated request loads its models: not what the load measures.
        requests.get(
            f"{endpoint}statements",
            auth=("load", "s3cret-ralph"),
            headers={"X-Experience-API-Version": "1.0.3"},
            timeout=60,
        )
        yield endpoint


def test_endpoint_against_ralph_loses_nothing(ralph, tmp_path, load):
    r = load(
        "--endpoint", ralph, "--api-key", "load:s3cret-ralph", "--users", "1",
        "--duration", "1", "--report-dir", str(tmp_path), "--json", "--yes",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(r.stdout)
    assert data["behaviour"] == "weare-documented"
    assert data["statements_accepted"] == data["learners_completed"] > 0
    assert data["lost"] == 0 and data["loss_check"]["status"] == "pass"
    assert "s3cret-ralph" not in r.stdout + r.stderr + (tmp_path / "locust.html").read_text()


def test_help_names_the_caps_exit_codes_and_an_example(load):
    r = load("--help")
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())  # argparse wraps lines
    assert "at most 2000 (default 10)" in text and "at most 600 (default 30)" in text
    assert "exit codes: 0 all good, 1 checks failed, 2 usage or environment error" in text
    assert "example: weare-harness load --lms http://127.0.0.1:8080" in text
    assert "(default: None)" not in text
