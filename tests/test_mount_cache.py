"""Each process keeps a copy of the mounts and credential checks (fake_lms/mount_cache.py): a
warm xAPI request reads neither table, and any change to them, made by this process or by
another `serve` on the same store, is seen by the very next request."""

from __future__ import annotations

import base64
import json
import sqlite3

import pytest
import requests

from fake_lms import ApiKey, LMSConfig, create_app
from fake_lms.db import Database
from fake_lms.mount_cache import GENERATION, LIMIT, registry_view
from fake_lms.mounts import change_mount, ensure_mount, replace_start_credentials
from tests.factories import statement
from tests.serve_process import ServeProcess

V103 = {"X-Experience-API-Version": "1.0.3"}


def _basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def test_a_warm_statement_post_reads_neither_mounts_nor_credentials(tmp_path):
    app = create_app(
        LMSConfig(db_path=str(tmp_path / "lms.db"), api_keys=[ApiKey("qa", "s3cret-key")])
    )
    client = app.test_client()  # the request runs in this thread, on this thread's connection
    headers = {**V103, "Authorization": _basic("qa", "s3cret-key")}
    first = client.post("/xapi/default/statements", json=statement(), headers=headers)
    assert first.status_code == 200, first.text
    seen: list[str] = []
    app.extensions["weare"].db.connection().set_trace_callback(seen.append)
    again = client.post("/xapi/default/statements", json=statement(), headers=headers)
    assert again.status_code == 200, again.text
    registry_reads = [sql for sql in seen if "FROM mounts" in sql or "FROM credentials" in sql]
    assert registry_reads == [], f"a warm POST read the registry tables: {registry_reads}"
    generation_reads = [sql for sql in seen if "store_meta" in sql]
    assert len(generation_reads) == 1, f"expected one read of the generation: {generation_reads}"


def test_every_change_to_mounts_or_credentials_moves_the_generation(tmp_path):
    db = Database(tmp_path / "lms.db")
    seen = [registry_view(db).generation]
    ensure_mount(db, "vendor")
    seen.append(registry_view(db).generation)
    ensure_mount(db, "vendor")  # there already: nothing written, nothing moves
    seen.append(registry_view(db).generation)
    change_mount(db, "vendor", mode="observe")
    seen.append(registry_view(db).generation)
    replace_start_credentials(db, [ApiKey("qa", "s3cret-key")], [])
    seen.append(registry_view(db).generation)
    with db.write() as conn:  # a write of any code path, e.g. another version's
        conn.execute("DELETE FROM credentials")
    seen.append(registry_view(db).generation)
    assert seen[1] != seen[0] and seen[2] == seen[1] and seen[3] != seen[2], seen
    assert seen[5] != seen[4] != seen[3], seen
    row = sqlite3.connect(tmp_path / "lms.db").execute(
        "SELECT value FROM store_meta WHERE name = ?", (GENERATION,)
    )
    assert row.fetchone()[0] == seen[5]


@pytest.fixture
def pair(tmp_path):
    """Two `serve` processes on one store: the one that answers (warm caches), the other that
    changes things."""
    db = tmp_path / "lms.db"
    with ServeProcess(db, "--no-story") as answering, ServeProcess(db, "--no-story") as other:
        yield answering, other


def reads(server: ServeProcess, auth: tuple[str, str], mount: str = "default") -> int:
    r = requests.get(
        f"{server.base_url}/xapi/{mount}/statements",
        params={"limit": "1"},
        auth=auth,
        headers=V103,
        timeout=10,
    )
    return r.status_code


def admin(server: ServeProcess, method: str, path: str, **kwargs: object) -> requests.Response:
    r = requests.request(
        method, f"{server.base_url}/api/{path}", auth=server.key, timeout=10, **kwargs
    )
    assert r.status_code in (200, 201), r.text
    return r


def test_a_key_deleted_through_another_process_is_refused_at_the_next_request(pair):
    answering, other = pair
    made = ("maker", "made-secret-1")
    admin(other, "POST", "mounts", json={"name": "made", "username": made[0], "secret": made[1]})
    assert [reads(answering, made, "made") for _ in range(3)] == [200, 200, 200]  # cached
    admin(other, "DELETE", "mounts/made/credentials/maker")
    assert reads(answering, made, "made") == 401


def test_a_key_rotated_through_another_process_opens_with_its_new_secret_only(pair):
    answering, other = pair
    old, new = ("maker", "old-secret-2"), ("maker", "new-secret-3")
    admin(other, "POST", "mounts", json={"name": "made", "username": old[0], "secret": old[1]})
    assert (reads(answering, old, "made"), reads(answering, new, "made")) == (200, 401)
    admin(other, "DELETE", "mounts/made/credentials/maker")
    admin(other, "POST", "mounts", json={"name": "made", "username": new[0], "secret": new[1]})
    # the refusal of the new secret was remembered too: it is forgotten with the change
    assert (reads(answering, old, "made"), reads(answering, new, "made")) == (401, 200)


def test_a_start_on_the_same_store_revokes_the_earlier_start_key_in_the_running_process(tmp_path):
    db = tmp_path / "lms.db"
    with ServeProcess(db, "--no-story", api_key="old:old-secret-4") as answering:
        assert [reads(answering, ("old", "old-secret-4")) for _ in range(2)] == [200, 200]
        with ServeProcess(db, "--no-story", api_key="new:new-secret-5"):
            assert reads(answering, ("old", "old-secret-4")) == 401
            assert reads(answering, ("new", "new-secret-5")) == 200


def test_a_mount_changed_through_another_process_is_served_as_changed(pair):
    answering, other = pair
    about = f"{answering.base_url}/xapi/default/about"
    before = requests.get(about, timeout=10)
    assert before.headers["X-Experience-API-Version"] == "1.0.3"
    admin(other, "PATCH", "mounts/default", json={"xapi_version": "2.0.0"})
    after = requests.get(about, timeout=10)
    assert after.headers["X-Experience-API-Version"] == "2.0.0", after.headers
    admin(other, "PATCH", "mounts/default", json={"mode": "observe"})
    listed = requests.get(f"{answering.base_url}/api/mounts", auth=answering.key, timeout=10)
    assert json.loads(listed.text)[0]["mode"] == "observe"


def test_a_mount_created_through_another_process_is_found_after_a_miss(pair):
    answering, other = pair
    assert reads(answering, answering.key, "late") == 404  # remembered as missing
    admin(other, "POST", "mounts", json={"name": "late"})
    assert reads(answering, answering.key, "late") == 200


def test_unknown_keys_past_the_limit_do_not_keep_a_known_key_out_of_memory(tmp_path):
    db = Database(tmp_path / "lms.db")
    ensure_mount(db, "default")
    replace_start_credentials(db, [ApiKey("qa", "s3cret-key")], [])
    view = registry_view(db)
    for n in range(LIMIT + 1):  # a client trying keys: each is looked up once, then forgotten
        assert view.principal(f"guess-{n}", "wrong", "default") is None
    assert view.principal("qa", "s3cret-key", "default") is not None
    seen: list[str] = []
    db.connection().set_trace_callback(seen.append)
    assert registry_view(db).principal("qa", "s3cret-key", "default") is not None
    assert [sql for sql in seen if "credentials" in sql] == [], seen
