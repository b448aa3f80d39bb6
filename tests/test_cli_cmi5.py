"""The cmi5 side of the CLI against a real fake LMS: launch variants, AU registration, import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

COURSES = Path(__file__).parent / "data" / "courses"
pytestmark = pytest.mark.slow


def cli(lms, *args: str) -> subprocess.CompletedProcess[str]:
    key = ":".join(lms.api_key)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            *args[:2],
            "--lms",
            lms.base_url,
            "--api-key",
            key,
            *args[2:],
        ]
        if args[0] in ("au", "course")
        else [
            sys.executable,
            "-m",
            "harness",
            args[0],
            "--lms",
            lms.base_url,
            "--api-key",
            key,
            *args[1:],
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_launch_weare_profile_with_omitted_and_replaced_parameters(lms):
    r = cli(
        lms,
        "launch",
        "--au-url",
        "http://127.0.0.1:9/story",
        "--profile",
        "weare",
        "--omit",
        "fetch,endpoint",
        "--set",
        "registration=this-is-my-registration-id",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    pairs = dict(parse_qsl(urlsplit(out["launch_url"]).query))
    assert "fetch" not in pairs and "endpoint" not in pairs
    assert pairs["registration"] == "this-is-my-registration-id"
    assert pairs["sessionId"] == out["session_id"]
    assert set(out) >= {
        "launch_url",
        "registration",
        "session_id",
        "activity_id",
        "endpoint",
        "fetch",
        "actor",
    }


def test_launch_with_mbox_actor_and_browse_mode(lms):
    actor = '{"objectType":"Agent","mbox":"mailto:ann@example.com"}'
    r = cli(
        lms,
        "launch",
        "--au-url",
        "http://127.0.0.1:9/story",
        "--actor",
        actor,
        "--launch-mode",
        "Browse",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["actor"]["mbox"] == "mailto:ann@example.com"


def test_launch_with_bad_actor_json_exits_2(lms):
    r = cli(lms, "launch", "--au-url", "http://127.0.0.1:9/story", "--actor", "{nope")
    assert r.returncode == 2
    assert "--actor is not JSON" in r.stderr


def test_launch_refused_by_lms_exits_2_with_reason(lms):
    r = cli(lms, "launch", "--au-url", "http://127.0.0.1:9/story", "--registration", "abc")
    assert r.returncode == 2
    assert "not a UUID" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_au_register_prints_the_au(lms):
    r = cli(
        lms,
        "au",
        "register",
        "--url",
        "http://127.0.0.1:9/story?lang=en",
        "--move-on",
        "Passed",
        "--mastery-score",
        "0.8",
    )
    assert r.returncode == 0, r.stderr
    au = json.loads(r.stdout)
    assert au["move_on"] == "Passed" and au["mastery_score"] == 0.8


def test_course_import_then_launch_au_number_0(lms):
    r = cli(lms, "course", "import", str(COURSES / "minimal.xml"))
    assert r.returncode == 0, r.stderr
    course = json.loads(r.stdout)
    launch = lms.admin("POST", f"courses/{course['id']}/aus/0/launches", json={})
    assert launch.status_code == 201, launch.text
    assert launch.json()["au_id"] == course["aus"][0]["id"]


def test_course_import_of_invalid_package_exits_1_naming_the_requirement(lms, tmp_path):
    bad = tmp_path / "cmi5.xml"
    bad.write_text("<courseStructure>")
    r = cli(lms, "course", "import", str(bad))
    assert r.returncode == 1
    assert "[cmi5 13.2.0.0-1]" in r.stderr


def test_course_import_of_missing_file_exits_2(lms, tmp_path):
    r = cli(lms, "course", "import", str(tmp_path / "nope.zip"))
    assert r.returncode == 2
