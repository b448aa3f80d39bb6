"""A learner's auth-token reads the statements of its own registration only on an enforce mount;
observe and plain mounts keep reading the whole mount, and the banner says which is which."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from tests.cmi5_au import AU
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow


def learner(name: str) -> dict:
    return {"objectType": "Agent", "account": {"homePage": "https://lms.example.com", "name": name}}


def launched_au(server: ServeProcess, mount: str, name: str) -> AU:
    """An AU of learner `name` on `mount` that fetched its token and sent `initialized`."""
    body = {"au_url": "https://au.example.com/a.html", "mount": mount, "actor": learner(name)}
    r = requests.post(f"{server.base_url}/api/launches", json=body, auth=server.key, timeout=10)
    assert r.status_code == 201, r.text
    au = AU(r.json()["launch_url"])
    au.start()
    assert au.initialized().status_code in (200, 204)
    return au


def registrations(r: requests.Response) -> set[str]:
    assert r.status_code == 200, r.text
    return {s["context"]["registration"] for s in r.json()["statements"]}


def read_by_id(au: AU, statement_id: str) -> requests.Response:
    return au.http.get(au.endpoint + "statements", params={"statementId": statement_id})


def own_statement_id(au: AU) -> str:
    [found] = [
        s["id"]
        for s in au.http.get(au.endpoint + "statements").json()["statements"]
        if s["verb"]["id"].endswith("/initialized")
        and s["context"]["registration"] == au.registration
    ]
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("scope") / "lms.db"
    args = ("--no-story", "--mount", "watch=observe", "--mount", "open=plain")
    with ServeProcess(db, *args) as serve:
        yield serve


def test_on_an_enforce_mount_a_token_reads_its_own_registration_only(server):
    a, b = launched_au(server, "default", "ann"), launched_au(server, "default", "bob")
    b_statement = own_statement_id(b)
    assert registrations(a.http.get(a.endpoint + "statements")) == {a.registration}
    assert registrations(a.http.get(a.endpoint + "statements", params={"limit": "1"})) == {
        a.registration
    }
    other = a.http.get(a.endpoint + "statements", params={"registration": b.registration})
    assert registrations(other) == set()
    r = read_by_id(a, b_statement)
    assert r.status_code == 404 and b_statement in r.json()["error"], r.text
    assert read_by_id(a, own_statement_id(a)).status_code == 200
    # A `more` link rewritten to name the other registration reads nothing of it either.
    first = a.http.get(a.endpoint + "statements", params={"limit": "1"}).json()
    raw = first["more"].split("more=", 1)[1]
    token = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    token["f"]["registration"] = b.registration
    forged = base64.urlsafe_b64encode(json.dumps(token).encode()).decode().rstrip("=")
    r = a.http.get(a.endpoint + "statements", params={"more": forged})
    assert b.registration not in registrations(r)
    # The LMS's own key still reads every registration.
    everything = server.client().get(server.endpoint + "statements")
    assert {a.registration, b.registration} <= registrations(everything)


@pytest.mark.parametrize("mount", ["watch", "open"])
def test_on_observe_and_plain_mounts_a_token_reads_the_whole_mount(server, mount):
    a, b = launched_au(server, mount, "ann"), launched_au(server, mount, "bob")
    assert {a.registration, b.registration} <= registrations(a.http.get(a.endpoint + "statements"))
    assert read_by_id(a, own_statement_id(b)).status_code == 200


def test_the_banner_says_what_a_token_reads_on_each_mount(server):
    lines = [line.strip() for line in server.banner]
    at = {
        name: lines.index(f"xAPI endpoint (mount {name!r}): {server.base_url}/xapi/{name}/")
        for name in ("default", "watch", "open")
    }
    reads = {
        name: next(x for x in lines[i:] if x.startswith("auth-tokens read:"))
        for name, i in at.items()
    }
    assert reads == {
        "default": "auth-tokens read: the statements of its own registration only",
        "watch": "auth-tokens read: every statement of the mount",
        "open": "auth-tokens read: every statement of the mount",
    }
