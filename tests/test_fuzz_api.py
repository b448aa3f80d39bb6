"""Schemathesis against a live `weare-harness serve`: every operation of /api/openapi.json.

A few deterministic (derandomized) examples per operation and generation mode, so that the run
is the same on every machine and `make test` stays fast; `make fuzz` (bench/fuzz.py) runs the
long campaign. Every check Schemathesis has (`--checks all`): among them no 5xx, documented
status codes, content types and headers, response bodies that fit their schema, data that breaks
the schema refused and data that fits it accepted, an exact Allow header, and credentials that
matter. A refusal of schema-valid data is a failure unless it is a 412 of ACCEPTED_REFUSALS
(tests/fuzz_campaign.py) or a 400 naming only code-only rules (tests/fuzz_refusals.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from schemathesis.generation.case import Case

from fake_lms.openapi import document
from tests.fuzz_campaign import (
    Target,
    load_schema,
    operations,
    prepare,
    run_operation,
)
from tests.serve_process import ServeProcess

EXAMPLES = 6  # per operation and generation mode (positive, negative)
SCHEMA_ITSELF = "GET /api/openapi.json"  # tested by tests/test_openapi.py
_HTTP = {"get", "put", "post", "delete", "options", "head", "patch"}
LABELS = sorted(
    f"{method.upper()} {path}"
    for path, item in document()["paths"].items()
    for method in item
    if method in _HTTP and f"{method.upper()} {path}" != SCHEMA_ITSELF
)  # Schemathesis leaves out the operation serving the schema it loaded from

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[tuple[Target, dict]]:
    with ServeProcess(tmp_path_factory.mktemp("fuzz") / "lms.db") as serve:
        target = prepare(serve.base_url, tuple(serve.api_key.split(":", 1)))
        yield target, operations(load_schema(target))


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


@pytest.mark.parametrize("label", LABELS)
def test_operation_survives_schemathesis(live, session, label):
    target, ops = live
    assert label in ops, f"{label} is in data/openapi.json but not in the served description"
    run = run_operation(ops[label], target, examples=EXAMPLES, session=session)
    assert run.requests > 0
    assert not run.findings, "\n".join(str(f) for f in run.findings[:5])


def test_the_campaign_reports_a_server_error(live, session, monkeypatch):
    """The checks can fail: a 500 the document does not allow becomes a finding, not a pass."""
    target, ops = live
    op = ops["GET /api/health"]
    original = Case.call

    def broken(self, *args, **kwargs):
        response = original(self, *args, **kwargs)
        response.status_code = 500
        return response

    monkeypatch.setattr(Case, "call", broken)
    run = run_operation(op, target, examples=1, session=session)
    kinds = {f.kind for f in run.findings}
    assert run.statuses[500] == 1 and any("Server error" in k for k in kinds), kinds


@pytest.mark.parametrize("publisher_id", [[], False, 0, {}])
def test_an_au_with_a_publisher_id_that_is_no_string_is_refused(live, publisher_id):
    """Found by `make fuzz`: a falsy non-string publisher_id was replaced by the default (201)."""
    target, _ = live
    answer = requests.post(
        f"{target.base_url}/api/aus",
        json={"url": "https://au.example.com/a", "publisher_id": publisher_id},
        auth=target.api_key,
        timeout=10,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["violations"][0]["path"] == "body.publisher_id"


def test_make_fuzz_script_reports_a_resource_and_exits_0(tmp_path):
    """bench/fuzz.py end to end on one small resource: table, results file, exit code 0."""
    out = tmp_path / "fuzz.json"
    done = subprocess.run(
        [
            sys.executable,
            "bench/fuzz.py",
            "--requests",
            "12",
            "--only",
            "/api/health",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    row = report["resources"]["/api/health"]
    assert row["requests"] >= 12 and row["5xx"] == 0 and report["server_alive_at_end"]
    assert report["rss_kib"]["start"] > 0 and "0 5xx" in done.stdout


def test_make_fuzz_script_refuses_bad_usage_with_2(tmp_path):
    done = subprocess.run(
        [sys.executable, "bench/fuzz.py", "--requests", "0", "--out", str(tmp_path / "x.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "must be positive" in done.stderr, done.stderr
