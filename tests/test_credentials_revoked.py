"""Credentials of an earlier start stop working; admin-made ones last until deleted; the store is
private to its owner and keeps hashes, never a key, mount secret or handed-out token in clear."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
import requests

from fake_lms.secret_hash import generate_secret, hash_secret, verify_secret
from tests.cmi5_au import AU
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow


def reads(server: ServeProcess, auth: tuple[str, str], mount: str = "default") -> int:
    """The status of a statement read on `mount` with `auth` (the About resource is open)."""
    r = requests.get(
        f"{server.base_url}/xapi/{mount}/statements",
        params={"limit": "1"},
        auth=auth,
        headers={"X-Experience-API-Version": "1.0.3"},
        timeout=10,
    )
    return r.status_code


def admin(server: ServeProcess, method: str, path: str, **kwargs: object) -> requests.Response:
    return requests.request(
        method, f"{server.base_url}/api/{path}", auth=server.key, timeout=10, **kwargs
    )


def without_env_key() -> dict[str, str]:
    """This environment minus WEARE_HARNESS_API_KEY, so a keyless start generates its key."""
    return {k: v for k, v in os.environ.items() if k != "WEARE_HARNESS_API_KEY"}


def test_a_new_api_key_revokes_the_one_of_the_earlier_start(tmp_path):
    db = tmp_path / "lms.db"
    with ServeProcess(db, "--no-story", api_key="old:old-secret-1") as server:
        assert reads(server, ("old", "old-secret-1")) == 200
        assert server.terminate() == 0
    with ServeProcess(db, "--no-story", api_key="new:new-secret-2") as server:
        assert reads(server, ("new", "new-secret-2")) == 200
        assert reads(server, ("old", "old-secret-1")) == 401
        r = requests.get(f"{server.base_url}/api/mounts", auth=("old", "old-secret-1"), timeout=10)
        assert r.status_code == 401
        assert "credentials: new (server-wide)" in "\n".join(server.banner)
        assert "old" not in "\n".join(line for line in server.banner if "credentials:" in line)


def test_an_old_mount_secret_stops_opening_its_mount(tmp_path):
    db = tmp_path / "lms.db"
    with ServeProcess(db, "--no-story", "--mount", "vendor:v:mount-secret-1") as server:
        assert reads(server, ("v", "mount-secret-1"), "vendor") == 200
        assert server.terminate() == 0
    with ServeProcess(db, "--no-story", "--mount", "vendor:v:mount-secret-2") as server:
        assert reads(server, ("v", "mount-secret-2"), "vendor") == 200
        assert reads(server, ("v", "mount-secret-1"), "vendor") == 401
        assert server.terminate() == 0
    with ServeProcess(db, "--no-story", "--mount", "vendor") as server:  # no key given now
        assert reads(server, ("v", "mount-secret-2"), "vendor") == 401
        assert reads(server, server.key, "vendor") == 200


def test_a_key_generated_by_a_keyless_start_dies_with_that_start(tmp_path):
    db = tmp_path / "lms.db"
    env = without_env_key()
    with ServeProcess(db, "--no-story", api_key=None, env=env) as first:
        generated = first.key
        assert reads(first, generated) == 200
        assert first.terminate() == 0
    with ServeProcess(db, "--no-story", api_key=None, env=env) as second:
        assert second.key != generated
        assert reads(second, second.key) == 200
        assert reads(second, generated) == 401


def test_an_admin_made_key_lasts_across_restarts_until_it_is_deleted(tmp_path):
    db = tmp_path / "lms.db"
    made = ("maker", "made-secret-77")
    with ServeProcess(db, "--no-story", api_key="qa:first-key") as server:
        body = {"name": "made", "username": made[0], "secret": made[1]}
        assert admin(server, "POST", "mounts", json=body).status_code == 201
        assert reads(server, made, "made") == 200
        assert server.terminate() == 0
    with ServeProcess(db, "--no-story", api_key="qa:second-key") as server:
        assert reads(server, made, "made") == 200
        listed = admin(server, "GET", "mounts/made/credentials").json()
        assert listed == {
            "mount": "made",
            "credentials": [
                {"username": "maker", "server_wide": False, "origin": "admin API"},
                {"username": "qa", "server_wide": True, "origin": "command line"},
            ],
        }
        assert made[1] not in admin(server, "GET", "mounts/made/credentials").text
        # A key given to the start is not the admin API's to delete.
        r = admin(server, "DELETE", "mounts/made/credentials/qa")
        assert r.status_code == 409 and "--api-key" in r.json()["error"], r.text
        r = admin(server, "DELETE", "mounts/made/credentials/maker")
        assert r.status_code == 200, r.text
        assert r.json() == {"mount": "made", "username": "maker", "deleted": 1}
        assert reads(server, made, "made") == 401
        r = admin(server, "DELETE", "mounts/made/credentials/maker")
        assert r.status_code == 404 and "maker" in r.json()["error"]
        assert admin(server, "DELETE", "mounts/nowhere/credentials/maker").status_code == 404
        assert server.terminate() == 0
    with ServeProcess(db, "--no-story", api_key="qa:second-key") as server:
        assert reads(server, made, "made") == 401


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_store_is_private_and_keeps_no_secret_in_clear(tmp_path):
    folder = tmp_path / "new" / "sub"
    db = folder / "lms.db"
    mount = ("v", "mount-secret-3")
    made = ("maker", "admin-secret-4")
    with ServeProcess(db, "--mount", "vendor:v:mount-secret-3", api_key="qa:server-secret-5") as s:
        body = {"name": "made", "username": made[0], "secret": made[1]}
        assert admin(s, "POST", "mounts", json=body).status_code == 201
        for auth, where in ((mount, "vendor"), (made, "made"), (s.key, "default")):
            assert reads(s, auth, where) == 200
        launched = admin(s, "POST", "launches", json={"au_url": "https://au.example.com/a.html"})
        au = AU(launched.json()["launch_url"])
        au.start()
        assert au.initialized().status_code in (200, 204)
        handed = au.http.headers["Authorization"].removeprefix("Basic ")
        token = base64.b64decode(handed).decode().removeprefix(":")
        files = sorted(p.name for p in folder.iterdir())
        assert {"lms.db", "lms.db-wal", "lms.db-shm", "lms.db-writelock"} <= set(files), files
        for path in folder.iterdir():
            assert mode(path) == 0o600, (path.name, oct(mode(path)))
        assert s.terminate() == 0
    assert mode(tmp_path / "new") == 0o700 and mode(folder) == 0o700
    stored = b"".join(p.read_bytes() for p in folder.iterdir())
    secrets = ["mount-secret-3", "admin-secret-4", "server-secret-5", token, handed.rstrip("=")]
    for secret in secrets:
        assert secret.encode() not in stored, secret
    assert token.upper().encode() not in stored


def test_an_existing_store_is_made_private_when_opened(tmp_path):
    db = tmp_path / "lms.db"
    db.touch(mode=0o644)
    os.chmod(db, 0o644)
    with ServeProcess(db, "--no-story") as server:
        assert mode(db) == 0o600
        assert reads(server, server.key) == 200


def test_a_generated_key_opens_its_mounts_only_lasts_across_restarts_and_is_kept_hashed(tmp_path):
    """POST /api/mounts/{name}/credentials: the server makes the secret, answers it once, keeps
    only its HMAC (secret_hash.generate_secret); the key is an admin-made one like the others."""
    db = tmp_path / "lms.db"
    with ServeProcess(db, "--no-story", api_key="qa:first-key") as server:
        for name in ("home", "also", "elsewhere"):
            assert admin(server, "POST", "mounts", json={"name": name}).status_code == 201
        body = {"username": "gen", "also_opens": ["also"]}
        r = admin(server, "POST", "mounts/home/credentials", json=body)
        assert r.status_code == 201, r.text
        made = r.json()
        assert made["mount"] == "home" and made["username"] == "gen"
        assert made["also_opens"] == ["also"]
        secret = made["secret"]
        assert len(base64.urlsafe_b64decode(secret + "=")) == 32  # 256 random bits
        key = ("gen", secret)
        assert (reads(server, key, "home"), reads(server, key, "also")) == (200, 200)
        assert reads(server, key, "elsewhere") == 401
        assert (
            reads(server, ("gen", secret[:-1] + "A" if secret[-1] != "A" else "B"), "home") == 401
        )
        again = admin(server, "POST", "mounts/home/credentials", json={"username": "gen"}).json()
        assert again["secret"] != secret  # a new key each time; both open the mount
        assert reads(server, ("gen", again["secret"]), "home") == 200
        listed = admin(server, "GET", "mounts/home/credentials")
        assert {"username": "gen", "server_wide": False, "origin": "admin API"} in (
            listed.json()["credentials"]
        )
        assert secret not in listed.text
        assert server.terminate() == 0
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert secret.encode() not in stored and b"hmac-sha256$" in stored
    with ServeProcess(db, "--no-story", api_key="qa:second-key") as server:
        assert reads(server, key, "home") == 200
        r = admin(server, "DELETE", "mounts/home/credentials/gen")
        assert r.json()["deleted"] == 2  # both keys of gen on this mount
        assert reads(server, key, "home") == 401 and reads(server, key, "also") == 200
        assert server.terminate() == 0


@pytest.mark.parametrize(
    ("path", "body", "status", "where", "words"),
    [
        ("home", {}, 400, "body.username", "non-empty string"),
        ("home", {"username": ""}, 400, "body.username", "non-empty string"),
        ("home", {"username": "a:b"}, 400, "body.username", "without ':'"),
        ("home", {"username": 7}, 400, "body.username", "string"),
        ("home", {"username": "u", "also_opens": "home"}, 400, "body.also_opens", "array"),
        (
            "home",
            {"username": "u", "also_opens": ["Bad Name"]},
            400,
            "body.also_opens",
            "'Bad Name'",
        ),
        ("nowhere", {"username": "u"}, 404, "path", "nowhere"),
        ("home", {"username": "u", "also_opens": ["gone"]}, 404, "body.also_opens", "'gone'"),
    ],
)
def test_a_key_generation_that_cannot_be_done_is_refused_and_writes_nothing(
    lms, path, body, status, where, words
):
    client = lms.admin_client()
    client.create_mount("home")
    r = requests.post(
        f"{lms.base_url}/api/mounts/{path}/credentials", json=body, auth=lms.api_key, timeout=10
    )
    assert r.status_code == status, r.text
    refusal = r.json()
    assert words in refusal["error"], refusal
    assert [v["path"] for v in refusal["violations"]] == [where], refusal
    listed = client.call("GET", "mounts/home/credentials", 200)["credentials"]
    assert [c for c in listed if c["origin"] == "admin API"] == []


def test_generated_and_chosen_secrets_verify_only_against_their_own_hash():
    secret, stored = generate_secret()
    assert stored.startswith("hmac-sha256$") and secret not in stored
    chosen = hash_secret("a person's secret")
    assert chosen.startswith("pbkdf2-sha256$60000$")
    assert verify_secret(secret, stored) and verify_secret("a person's secret", chosen)
    assert not verify_secret(secret + "x", stored)
    assert not verify_secret(secret, chosen) and not verify_secret("a person's secret", stored)
    salt, digest = stored.split("$")[1:]
    assert not verify_secret(secret + "y", f"hmac-sha256${salt}$!!{digest}")  # not base64
    assert not verify_secret(secret + "z", f"hmac-sha256$${digest}")  # no salt


@pytest.mark.parametrize("username", ["a:b", ""])
def test_a_mount_key_whose_user_name_could_never_authenticate_is_refused(lms, username):
    """`POST /api/mounts` with a user name holding ':' made a different key than asked (the
    name cut at the ':', the rest taken into the secret); with an empty one, none."""
    r = requests.post(
        f"{lms.base_url}/api/mounts",
        json={"name": "home", "username": username, "secret": "s3cret"},
        auth=lms.api_key,
        timeout=10,
    )
    assert r.status_code == 400, r.text
    assert [v["path"] for v in r.json()["violations"]] == ["body.username"], r.json()
    assert "without ':'" in r.json()["error"]
    assert "home" not in [m["name"] for m in lms.admin_client().mounts()]
