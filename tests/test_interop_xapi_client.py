"""A real third-party xAPI client (@xapi/xapi under Node) writes and reads back through the LRS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

INTEROP = Path(__file__).parent / "interop"
pytestmark = pytest.mark.slow


def _node_ready() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (INTEROP / "node_modules" / "@xapi" / "xapi").is_dir():
        return "npm packages not installed (make setup runs npm install in tests/interop)"
    return None


@pytest.mark.skipif(_node_ready() is not None, reason=_node_ready() or "")
def test_xapi_js_client_writes_and_reads_statements_and_state(lms):
    env = {
        **os.environ,
        "ENDPOINT": lms.endpoint(),
        "AUTH": requests.auth._basic_auth_str(*lms.api_key),
    }
    r = subprocess.run(
        ["node", "xapi_roundtrip.cjs"],
        cwd=INTEROP,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["readBackId"] == out["id"]
    assert out["readBackVerb"] == "http://adlnet.gov/expapi/verbs/completed"
    assert out["listed"] == [out["id"]]
    assert out["state"] == {"page": 3}
    assert out["states"] == ["bookmark"]
    assert "1.0.3" in out["versions"]
