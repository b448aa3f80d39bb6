"""The LRS knows xAPI only: cmi5 is a policy `create_app` registers, and can be left out.

- no module of the LRS (`fake_lms/xapi/`, `fake_lms/auth.py`) imports `fake_lms.cmi5`;
- `create_app(config, policy=None)` is a plain xAPI LRS: no launch, no fetch URL, no session
  token opens it, and a statement that breaks a cmi5 rule is stored;
- a mount in mode `plain` of the cmi5 LMS judges no cmi5 rule: the same request with a session
  token is refused on an `enforce` mount and stored on a `plain` one.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import requests

from fake_lms import LMSConfig
from fake_lms.app import create_app
from fake_lms.config import ApiKey, MountSpec
from fake_lms.live import FakeLMS, LiveServer
from tests.cmi5_au import AU

ROOT = Path(__file__).resolve().parent.parent
LRS_MODULES = [*sorted((ROOT / "fake_lms" / "xapi").glob("*.py")), ROOT / "fake_lms" / "auth.py"]
STORY = "http://127.0.0.1:9/story/index.html"
SESSION_EXT = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
BEFORE_INITIALIZED = "9.3.0.0-4"  # cmi5 §9.3.2: initialized must be the first statement


def cmi5_imports(path: Path, root: Path = ROOT) -> list[str]:
    """Every import of `fake_lms.cmi5` in a module, at any depth, relative imports resolved."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        hits = [n for n in names if n == "fake_lms.cmi5" or n.startswith("fake_lms.cmi5.")]
        if hits:
            found.append(f"{path.relative_to(root)}:{node.lineno} imports {hits[0]}")
    return found


def test_lrs_modules_do_not_import_cmi5() -> None:
    assert len(LRS_MODULES) > 5, LRS_MODULES
    found = [hit for path in LRS_MODULES for hit in cmi5_imports(path)]
    assert not found, "the LRS must reach cmi5 only through its policy:\n" + "\n".join(found)


def test_the_import_scan_finds_cmi5_imports(tmp_path) -> None:
    """The scan can fail: app.py registers the cmi5 policy, and relative imports count."""
    assert cmi5_imports(ROOT / "fake_lms" / "app.py")
    module = tmp_path / "fake_lms" / "xapi" / "probe.py"
    module.parent.mkdir(parents=True)
    for text in ("from ..cmi5 import enforce\n", "def f():\n    import fake_lms.cmi5.store\n"):
        module.write_text(text)
        assert cmi5_imports(module, tmp_path), text
    module.write_text("from ..xapi import policy\nfrom fake_lms import cmi5_like\n")
    assert not cmi5_imports(module, tmp_path)


def _statement_before_initialized(au: AU) -> dict:
    return au.statement("completed", result={"completion": True, "duration": "PT1M"}, moveon=True)


def _launch(lms: FakeLMS, **body: str) -> AU:
    r = lms.admin("POST", "launches", json={"au_url": STORY, **body})
    assert r.status_code == 201, r.text
    au = AU(r.json()["launch_url"])
    au.start()
    return au


def test_plain_lrs_app_stores_what_the_cmi5_lms_refuses(tmp_path) -> None:
    key = ApiKey("learner-app", "s3cret-for-test")
    with FakeLMS(LMSConfig(db_path=str(tmp_path / "cmi5.db"))) as cmi5_lms:
        au = _launch(cmi5_lms)
        stmt = _statement_before_initialized(au)
        refused = au.send(stmt)
        assert refused.status_code == 403, refused.text
        assert refused.json()["requirement"] == BEFORE_INITIALIZED
        token = au.http.headers["Authorization"]

    config = LMSConfig(db_path=str(tmp_path / "plain.db"), mounts=[MountSpec("default", key)])
    app = create_app(config, policy=None)
    with LiveServer(app) as plain, requests.Session() as http:
        endpoint = f"{plain.base_url}/xapi/default/"
        http.headers["X-Experience-API-Version"] = "1.0.3"
        # The cmi5 LMS's routes are absent, and a session token is no credential here.
        assert http.post(f"{plain.base_url}/fetch/x", timeout=10).status_code == 404
        assert http.post(f"{plain.base_url}/api/launches", json={}, timeout=10).status_code == 404
        as_token = http.post(
            endpoint + "statements", json=stmt, headers={"Authorization": token}, timeout=10
        )
        assert as_token.status_code == 401, as_token.text
        # The statement the cmi5 LMS refused is valid xAPI: the plain LRS stores it.
        http.auth = (key.username, key.secret)
        stored = http.post(endpoint + "statements", json=stmt, timeout=10)
        assert stored.status_code == 200, stored.text
        back = http.get(endpoint + "statements", params={"statementId": stmt["id"]}, timeout=10)
        assert back.status_code == 200 and back.json()["verb"] == stmt["verb"]
    app.extensions["weare"].close()


def _journal_verdicts(lms: FakeLMS, mount: str) -> list[dict]:
    r = lms.admin("GET", f"mounts/{mount}/journal")
    assert r.status_code == 200, r.text
    data = r.json()
    entries = data["entries"] if isinstance(data, dict) else data
    return [v for e in entries for v in e.get("verdicts", [])]


def test_plain_mount_stores_what_an_enforce_mount_refuses(tmp_path) -> None:
    config = LMSConfig(
        db_path=str(tmp_path / "lms.db"),
        mounts=[MountSpec("default", mode="enforce"), MountSpec("lrs", mode="plain")],
    )
    with FakeLMS(config) as lms:
        strict, plain = _launch(lms), _launch(lms, mount="lrs")
        refused = strict.send(_statement_before_initialized(strict))
        assert refused.status_code == 403, refused.text
        assert refused.json()["requirement"] == BEFORE_INITIALIZED

        stmt = _statement_before_initialized(plain)
        assert plain.send(stmt).status_code == 200
        assert plain.terminated().status_code == 200
        after_end = plain.send(plain.statement("experienced", defined=False))
        assert after_end.status_code == 200, after_end.text  # no token check on a plain mount
        session = lms.admin("GET", f"sessions/{plain.template['extensions'][SESSION_EXT]}")
        assert session.status_code == 200, session.text
        # The LMS still follows the session from what the plain LRS stored.
        assert session.json()["state"] == "terminated", session.json()
        cmi5_verdicts = [v for v in _journal_verdicts(lms, "lrs") if "cmi5" in v]
        assert cmi5_verdicts == [], json.dumps(cmi5_verdicts)[:500]
        assert [v for v in _journal_verdicts(lms, "default") if "cmi5" in v]  # found where judged
