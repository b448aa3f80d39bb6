"""`weare-harness doctor` as users run it: real subprocesses, a real Chromium launch, real sockets."""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.browser import chromium_executable
from harness.doctor_checks import python_supported
from tests.loopback import free_ports


def doctor(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "harness", "doctor", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def as_json(done: subprocess.CompletedProcess) -> dict:
    assert "Traceback" not in done.stderr, done.stderr
    document = json.loads(done.stdout)
    assert set(document) == {"ok", "drivers", "checks"}
    for item in document["checks"]:
        assert {"id", "status", "found", "fix"} <= set(item)
        assert item["status"] in ("ok", "missing", "warning")
    return document


def by_id(document: dict) -> dict[str, dict]:
    return {item["id"]: item for item in document["checks"]}


def hidden_chromium(tmp_path: Path) -> dict[str, str]:
    """Every place `chromium_executable()` and Playwright look, pointed at empty or missing paths."""
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    return {
        "PLAYWRIGHT_CHROMIUM_EXECUTABLE": str(tmp_path / "no-chromium"),
        "WEARE_HARNESS_CHROMIUM_SEARCH": str(tmp_path / "no-chromium-either"),
        "PATH": str(empty),
        "HOME": str(empty),
        "PLAYWRIGHT_BROWSERS_PATH": str(empty),
    }


@pytest.mark.skipif(chromium_executable() is None, reason="Chromium is not installed here")
def test_all_good_here_exits_0_with_both_drivers_and_chromium_version(tmp_path):
    done = doctor("--json", cwd=tmp_path)
    document = as_json(done)
    checks = by_id(document)
    assert done.returncode == 0, done.stdout
    assert document["ok"] is True
    assert document["drivers"] == {"http": True, "browser": True}
    assert checks["chromium"]["status"] == "ok"
    assert checks["chromium"]["version"].startswith("Chromium ")
    assert any(ch.isdigit() for ch in checks["chromium"]["version"])
    assert checks["data"]["status"] == "ok"
    assert "74 built-in scenarios" in checks["data"]["found"]
    assert "node" not in checks, "node and npm are checked only with --interop"
    assert list(tmp_path.iterdir()) == [], "doctor must leave nothing behind"


def test_text_output_marks_each_check_and_names_ready_drivers(tmp_path):
    done = doctor(cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✓ python" in done.stdout
    assert "✓ report-dir" in done.stdout
    assert "\033[" not in done.stdout, "NO_COLOR and a pipe: no colour codes"
    assert "drivers ready: http" in done.stdout


def test_hidden_chromium_is_missing_with_its_fix_and_http_still_ready(tmp_path):
    env = hidden_chromium(tmp_path)
    done = doctor("--json", cwd=tmp_path, env=env)
    document = as_json(done)
    chromium = by_id(document)["chromium"]
    assert done.returncode == 0, "run --driver http still works without Chromium"
    assert document["drivers"] == {"http": True, "browser": False}
    assert chromium["status"] == "missing"
    assert "PLAYWRIGHT_CHROMIUM_EXECUTABLE" in chromium["found"]
    assert "no Chromium found" in chromium["found"]
    assert chromium["fix"].endswith("-m playwright install chromium")  # no apt-get on this PATH

    text = doctor(cwd=tmp_path, env=env)
    assert text.returncode == 0
    assert "✗ chromium" in text.stdout
    assert "fix: " in text.stdout
    assert "`weare-harness run --driver http` can work." in text.stdout


def test_hidden_chromium_with_apt_get_suggests_apt(tmp_path):
    apt = shutil.which("apt-get")
    if apt is None:
        pytest.skip("no apt-get on this machine")
    env = hidden_chromium(tmp_path)
    (tmp_path / "empty" / "apt-get").symlink_to(apt)
    chromium = by_id(as_json(doctor("--json", cwd=tmp_path, env=env)))["chromium"]
    assert chromium["fix"] == "apt-get install -y chromium"


def test_hidden_chromium_fails_when_the_browser_driver_is_required(tmp_path):
    done = doctor("--json", "--driver", "browser", cwd=tmp_path, env=hidden_chromium(tmp_path))
    document = as_json(done)
    assert done.returncode == 1
    assert document["ok"] is False
    assert document["drivers"]["http"] is True


def test_a_chromium_that_does_not_launch_is_missing_without_traceback(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    env = {**hidden_chromium(tmp_path), "PLAYWRIGHT_CHROMIUM_EXECUTABLE": str(fake)}
    done = doctor("--json", cwd=tmp_path, env=env)
    chromium = by_id(as_json(done))["chromium"]
    assert chromium["status"] == "missing"
    assert f"{fake} does not launch headless" in chromium["found"]
    assert chromium["fix"]
    assert done.returncode == 0


def test_a_taken_port_is_named_with_the_fix(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        done = doctor("--json", "--port", str(port), cwd=tmp_path)
    check = by_id(as_json(done))["port"]
    assert check["status"] == "warning"
    assert f"port {port} on 127.0.0.1 is taken" in check["found"]
    assert "--port 0" in check["fix"]
    assert done.returncode == 0, "run does not need serve's port"


def test_a_taken_companion_port_is_named_with_its_flag(tmp_path):
    """serve listens on --port + 1 (the story) and + 2 (course content) too: doctor says which
    one is taken and which flag moves it."""
    port = free_ports(3)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", port + 2))
        listener.listen()
        done = doctor("--json", "--port", str(port), cwd=tmp_path)
    check = by_id(as_json(done))["port"]
    assert check["status"] == "warning", check
    assert f"port {port + 2} on 127.0.0.1 is taken" in check["found"], check
    assert (
        "course content listens there by default (--content-port, --port + 2)" in (check["found"])
    )
    assert "--content-port another" in check["fix"] and "--port 0" in check["fix"]


def test_a_free_port_is_ok(tmp_path):
    port = free_ports(3)
    check = by_id(as_json(doctor("--json", "--port", str(port), cwd=tmp_path)))["port"]
    assert check["status"] == "ok", check
    assert (
        f"ports {port} (the fake LMS), {port + 1} (the story), {port + 2} (course content)"
        in (check["found"])
    )


def test_report_dir_under_a_regular_file_is_missing_and_exits_1(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    done = doctor("--json", "--report-dir", str(blocker / "reports"), cwd=tmp_path)
    document = as_json(done)
    check = by_id(document)["report-dir"]
    assert done.returncode == 1
    assert document["ok"] is False
    assert check["status"] == "missing"
    assert f"{blocker} is a file" in check["found"]
    assert check["fix"].startswith("weare-harness run --report-dir ")


def test_db_folder_under_a_regular_file_is_missing(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    done = doctor("--json", "--db", str(blocker / "lms.db"), cwd=tmp_path)
    check = by_id(as_json(done))["db-dir"]
    assert check["status"] == "missing"
    assert check["fix"].startswith("weare-harness serve --db ")
    assert done.returncode == 1


def test_existing_folders_are_checked_and_left_as_they_were(tmp_path):
    (tmp_path / "out").mkdir()
    done = doctor("--json", "--report-dir", "out", "--db", "out/lms.db", cwd=tmp_path)
    checks = by_id(as_json(done))
    assert checks["report-dir"]["status"] == checks["db-dir"]["status"] == "ok"
    assert list((tmp_path / "out").iterdir()) == []


def test_interop_without_node_names_the_fix(tmp_path):
    env = {"PATH": str(tmp_path)}
    apt = shutil.which("apt-get")
    if apt:
        (tmp_path / "apt-get").symlink_to(apt)
    done = doctor("--json", "--interop", cwd=tmp_path, env=env)
    check = by_id(as_json(done))["node"]
    assert check["status"] == "missing"
    assert "node and npm not found" in check["found"]
    if apt:
        assert check["fix"] == "apt-get install -y nodejs npm"
    assert done.returncode == 1


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed here")
def test_interop_with_node_reports_versions(tmp_path):
    check = by_id(as_json(doctor("--json", "--interop", cwd=tmp_path)))["node"]
    assert check["status"] == "ok"
    assert check["found"].startswith("node v")


@pytest.mark.parametrize(
    "args", [("--bogus",), ("--port", "seventy"), ("--port", "70000"), ("--driver", "lynx")]
)
def test_bad_flags_exit_2_with_one_line(tmp_path, args):
    done = doctor(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_bad_flags_are_refused_before_the_other_commands_are_loaded(tmp_path):
    """`doctor --bogus` exits 2 at once: the start-up imports doctor's module, not the LMS (Flask,
    the store, the validators), certify's checks or the scenario runner (which took a second)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "harness", "doctor", "--bogus"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "harness.doctor_checks" in imported  # what doctor itself needs
    heavy = ("flask", "jsonschema", "fake_lms.app", "harness.cli.certify", "harness.cli.run")
    assert imported.isdisjoint(heavy), sorted(imported & set(heavy))


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        (">=3.11", (3, 11, 7), True),
        (">=3.11", (3, 10, 14), False),
        (">=3.11,<3.13", (3, 13, 0), False),
        (">=3.11,<3.13", (3, 12, 1), True),
        ("~=3.11", (3, 12, 0), None),
    ],
)
def test_requires_python_is_read_both_ways(spec, version, expected):
    assert python_supported(spec, version) is expected


def test_missing_or_broken_package_data_is_missing_with_a_reinstall(tmp_path):
    """A copy of the packages with a story asset gone and a data file corrupted, found first."""
    import fake_lms
    import harness

    skip = shutil.ignore_patterns("__pycache__")
    for package in (harness, fake_lms):
        source = Path(package.__file__).parent
        shutil.copytree(source, tmp_path / source.name, ignore=skip)
    (tmp_path / "harness" / "story" / "static" / "story.js").unlink()
    (tmp_path / "harness" / "data" / "mutants.json").write_text("{not json")
    done = doctor("--json", cwd=tmp_path)
    check = by_id(as_json(done))["data"]
    assert check["status"] == "missing"
    assert "harness/data/mutants.json" in check["found"]
    assert "harness/story/static: no .js file" in check["found"]
    assert check["fix"].startswith(f"{sys.executable} -m pip install ")
    assert done.returncode == 1


@pytest.mark.skipif(chromium_executable() is None, reason="Chromium is not installed here")
def test_a_wrong_explicit_chromium_is_a_warning_when_another_is_found(tmp_path):
    env = {"PLAYWRIGHT_CHROMIUM_EXECUTABLE": str(tmp_path / "no-chromium")}
    done = doctor("--json", "--driver", "browser", cwd=tmp_path, env=env)
    document = as_json(done)
    chromium = by_id(document)["chromium"]
    assert chromium["status"] == "warning"
    assert (
        f"PLAYWRIGHT_CHROMIUM_EXECUTABLE={tmp_path / 'no-chromium'} is not a file"
        in (chromium["found"])
    )
    assert chromium["fix"] == "unset PLAYWRIGHT_CHROMIUM_EXECUTABLE"
    assert document["drivers"]["browser"] is True
    assert done.returncode == 0


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False)])
def test_colour_on_a_terminal_unless_no_color(tmp_path, no_color, coloured):
    import pty

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color:
        env["NO_COLOR"] = no_color
    main, child = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "harness", "doctor", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=child,
        stderr=subprocess.PIPE,
    ) as process:
        os.close(child)
        chunks, deadline = [], time.monotonic() + 120
        while time.monotonic() < deadline:
            if not select.select([main], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal closed: the process is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=120)
    os.close(main)
    out = b"".join(chunks).decode()
    assert "python" in out
    assert ("\033[32m" in out) is coloured
