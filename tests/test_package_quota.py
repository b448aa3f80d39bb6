"""Course packages are bounded: one package uncompressed (413) and all of them in the store (507),
both set on `serve` (--package-max-mib, --package-store-mib). A real `serve` subprocess."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import requests

from tests.serve_process import ServeProcess

MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent
COURSE = """<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://weare.example.com/courses/{n}">
    <title><langstring lang="en-US">Course {n}</langstring></title>
    <description><langstring lang="en-US">A packaged AU.</langstring></description>
  </course>
  <au id="https://weare.example.com/courses/{n}/au/1">
    <title><langstring lang="en-US">AU</langstring></title>
    <description><langstring lang="en-US">In the package.</langstring></description>
    <url>index.html</url>
  </au>
</courseStructure>
"""


def package(n: int, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cmi5.xml", COURSE.format(n=n))
        archive.writestr("index.html", "<!doctype html><title>AU</title>")
        archive.writestr("media.bin", payload)
    return buf.getvalue()


def upload(serve: ServeProcess, data: bytes) -> requests.Response:
    return requests.post(
        f"{serve.base_url}/api/courses?filename=course.zip",
        data=data,
        headers={"Content-Type": "application/zip"},
        auth=tuple(serve.api_key.split(":", 1)),
        timeout=60,
    )


def courses(serve: ServeProcess) -> int:
    """Imported courses (serve also registers its reference story, as AUs of their own)."""
    answer = requests.get(
        f"{serve.base_url}/api/courses", auth=tuple(serve.api_key.split(":", 1)), timeout=10
    )
    return sum(
        1 for c in answer.json() if c["publisher_id"].startswith("https://weare.example.com/")
    )


def test_a_small_zip_that_expands_beyond_the_default_bound_is_413(tmp_path):
    """17 MiB of zeros zips to ~17 KB: refused by the default 16 MiB bound (it was 200 MB)."""
    bomb = package(1, b"\0" * (17 * MIB))
    assert len(bomb) < 200_000
    with ServeProcess(tmp_path / "lms.db") as serve:
        answer = upload(serve, bomb)
        assert answer.status_code == 413, answer.text
        assert f"{16 * MIB} bytes" in answer.json()["error"]
        assert "--package-max-mib" in answer.json()["error"]
        assert courses(serve) == 0
        assert upload(serve, package(2, b"\0" * MIB)).status_code == 201


def test_the_per_package_bound_is_set_on_serve(tmp_path):
    with ServeProcess(tmp_path / "lms.db", "--package-max-mib", "1") as serve:
        answer = upload(serve, package(1, b"\0" * (MIB + 1)))
        assert answer.status_code == 413, answer.text
        assert f"{MIB} bytes" in answer.json()["error"]
        assert upload(serve, package(2, b"\0" * (MIB // 2))).status_code == 201


def test_imports_stop_at_the_store_quota_with_507_and_leave_nothing(tmp_path):
    """Each import is within the per-package bound; repeated, they would fill the disk."""
    with ServeProcess(tmp_path / "lms.db", "--package-store-mib", "1") as serve:
        for n in range(2):
            assert upload(serve, package(n, os.urandom(400_000))).status_code == 201
        answer = upload(serve, package(9, os.urandom(400_000)))
        assert answer.status_code == 507, answer.text
        error = answer.json()["error"]
        assert f"quota is {MIB} bytes" in error and "--package-store-mib" in error
        assert courses(serve) == 2
        # A course structure without a package stores no files: still welcome.
        bare = COURSE.format(n=10).replace("<url>index.html", "<url>https://au.example.com/a")
        answer = requests.post(
            f"{serve.base_url}/api/courses",
            data=bare.encode(),
            headers={"Content-Type": "application/xml"},
            auth=tuple(serve.api_key.split(":", 1)),
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
    # The quota counts what the store holds, so it still holds after a restart.
    with ServeProcess(tmp_path / "lms.db", "--package-store-mib", "1") as serve:
        assert upload(serve, package(11, os.urandom(400_000))).status_code == 507
        assert courses(serve) == 3


def test_a_quota_that_is_not_positive_is_a_usage_error(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "harness", "serve", "--package-store-mib", "0", "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "package store quota must be positive" in done.stderr
