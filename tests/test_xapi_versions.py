"""Each mount answers as one xAPI version: 1.0.3 (the default) or 2.0.0, over real HTTP.

xAPI 1.0.3 Communication §3.3 (Versioning), LRS requirements:
  "The LRS MUST include the "X-Experience-API-Version" header in every response."
  "The LRS MUST set this header to the latest patch version."
  "The LRS MUST reject requests with version header prior to "1.0.0" unless such requests are
   routed to a fully conformant implementation of the prior version specified in the header."
  "The LRS MUST make these rejects by responding with a 400 Bad Request error including a short
   description of the problem."
xAPI 2.0 (IEEE 9274.1.1) keeps these rules with 2.0.0 as the latest patch; ADL's LRS test suite
for 2.0 (test/v2_0/H.Communication3.3-Versioning.js) states them as: XAPI-00331 "An LRS rejects
with error code 400 Bad Request, a Request which the "X-Experience-API-Version" header's value is
anything but "2.0" or "2.0.x""; a versionless request must be answered 400 with
`X-Experience-API-Version: 2.0.0`; XAPI-00333 every response carries the latest patch version.
About (test/v2_0/H.Communication2.8-AboutResource.js) XAPI-00317: "version property contains at
least one string of "2.0.0"", XAPI-00316: its values are among 0.9, 0.95, 1.0.x and 2.0.0.

A 1.0.3 mount routes 2.0.0 requests to its 2.0.0 rules (as the quoted "routed" allows); a 2.0.0
mount routes nothing older, so it refuses 1.0.x with 400.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator

import pytest
import requests

from fake_lms import LMSConfig, MountSpec
from fake_lms.db import SCHEMA_VERSION, Database, StoreVersionError
from fake_lms.live import FakeLMS
from fake_lms.mounts import get_mount
from tests.factories import statement
from tests.serve_process import ServeProcess

V2 = "v2"  # a mount configured as an xAPI 2.0.0 LRS


@pytest.fixture(scope="module")
def lms(tmp_path_factory) -> Iterator[FakeLMS]:
    """One server: 'default' (1.0.3, as configured by default) and 'v2' (2.0.0)."""
    db = tmp_path_factory.mktemp("versions") / "lms.db"
    config = LMSConfig(
        db_path=str(db), mounts=[MountSpec("default"), MountSpec(V2, xapi_version="2.0.0")]
    )
    with FakeLMS(config) as server:
        yield server


def _v2(lms: FakeLMS, version: str | None = "2.0.0", **kw) -> requests.Session:
    return lms.client(version=version, **kw)


# --- item 5: the versionless request, and every response of a 2.0.0 mount ----------------------


def test_a_versionless_request_to_a_2_0_mount_is_400_in_2_0_0(lms):
    """LRS-TS v2.0 XAPI-00331: no version header: 400 with X-Experience-API-Version 2.0.0.
    (Before: the 400 carried 1.0.3 whatever the LRS.)"""
    r = lms.client(version=None).get(lms.endpoint(V2) + "statements")
    assert r.status_code == 400
    assert r.headers["X-Experience-API-Version"] == "2.0.0"
    assert "missing X-Experience-API-Version" in r.json()["error"]
    assert "xAPI 2.0" in r.json()["section"]


def test_a_versionless_request_to_a_1_0_3_mount_is_400_in_1_0_3(lms):
    """xAPI-C §3.3 XAPI-00331 for 1.0.3: the same request to a 1.0.3 LRS answers 1.0.3."""
    r = lms.client(version=None).get(lms.endpoint() + "statements")
    assert r.status_code == 400
    assert r.headers["X-Experience-API-Version"] == "1.0.3"


def test_every_response_of_a_2_0_mount_carries_2_0_0(lms):
    """XAPI-00333 (2.0): success, 401, 404 (unrouted), 405, 400 and About all say 2.0.0."""
    url = lms.endpoint(V2)
    answers = {
        "200": _v2(lms).get(url + "statements"),
        "401": _v2(lms, auth=None).get(url + "statements"),
        "404": _v2(lms).get(url + "nothing-here"),
        "405": _v2(lms).delete(url + "statements"),
        "400": _v2(lms).get(url + "statements", params={"bogus": "1"}),
        "about": requests.get(url + "about", timeout=5),
        "about-1.0.3": requests.get(
            url + "about", headers={"X-Experience-API-Version": "1.0.3"}, timeout=5
        ),
        "1.0.3-refused": lms.client(version="1.0.3").get(url + "statements"),
    }
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses == {
        "200": 200,
        "401": 401,
        "404": 404,
        "405": 405,
        "400": 400,
        "about": 200,
        "about-1.0.3": 200,
        "1.0.3-refused": 400,
    }
    for name, r in answers.items():
        assert r.headers["X-Experience-API-Version"] == "2.0.0", name


@pytest.mark.parametrize("version", ["1.0", "1.0.0", "1.0.2", "1.0.3"])
def test_a_2_0_mount_refuses_1_0_requests_with_400(lms, version):
    """2.0 §Versioning: reject versions before 2.0.0 it does not route, 400 with a short
    description; the description names the version and says what to send."""
    r = lms.client(version=version).post(lms.endpoint(V2) + "statements", json=statement())
    assert r.status_code == 400
    body = r.json()
    assert repr(version) in body["error"] and "send 2.0.0" in body["error"]
    assert body["violations"][0]["path"] == "header:X-Experience-API-Version"


@pytest.mark.parametrize("version", ["2.0", "2.0.0", "2.0.1"])
def test_a_2_0_mount_accepts_2_0_and_2_0_x(lms, version):
    """LRS-TS v2.0 XAPI-00331: only values other than "2.0" or "2.0.x" are refused."""
    r = lms.client(version=version).get(lms.endpoint(V2) + "statements")
    assert r.status_code == 200, r.text
    assert r.headers["X-Experience-API-Version"] == "2.0.0"


@pytest.mark.parametrize("version", ["2.1.0", "3.0.0", "0.95", "banana"])
def test_a_2_0_mount_refuses_other_versions(lms, version):
    assert lms.client(version=version).get(lms.endpoint(V2) + "statements").status_code == 400


@pytest.mark.parametrize(("version", "answered"), [("1.0.2", "1.0.3"), ("2.0.0", "2.0.0")])
def test_a_1_0_3_mount_still_serves_2_0_clients(lms, version, answered):
    """The default stays a 1.0.3 LRS that routes 2.0.0 requests to its 2.0.0 rules."""
    r = lms.client(version=version).get(lms.endpoint() + "statements")
    assert r.status_code == 200
    assert r.headers["X-Experience-API-Version"] == answered


def test_about_on_a_2_0_mount_lists_2_0_0_only(lms):
    """XAPI-00317 (2.0): at least "2.0.0"; the mount serves no other version, so lists no other."""
    for headers in (
        {},
        {"X-Experience-API-Version": "2.0.0"},
        {"X-Experience-API-Version": "1.0.3"},
    ):
        r = requests.get(lms.endpoint(V2) + "about", headers=headers, timeout=5)
        assert r.status_code == 200
        assert r.json()["version"] == ["2.0.0"], headers


def test_about_on_a_1_0_3_mount_lists_what_it_serves(lms):
    """XAPI-00316 (1.0.3): a 1.0.x client is told only of 1.0.x; others also of 2.0.0."""
    r = requests.get(lms.endpoint() + "about", timeout=5)
    assert "1.0.3" in r.json()["version"] and "2.0.0" in r.json()["version"]
    r = requests.get(
        lms.endpoint() + "about", headers={"X-Experience-API-Version": "1.0.3"}, timeout=5
    )
    assert "1.0.3" in r.json()["version"] and "2.0.0" not in r.json()["version"]


def test_the_alternate_syntax_is_refused_on_a_2_0_mount(lms):
    """xAPI 2.0 removed the alternate request syntax (rules doc §5.8 item 4): 4xx."""
    stmt = statement()
    form = {"statementId": stmt["id"], "content": json.dumps(stmt)}
    for version in ("2.0.0", "1.0.3"):
        r = requests.post(
            lms.endpoint(V2) + "statements?method=PUT",
            headers={
                "X-Experience-API-Version": version,
                "Authorization": requests.auth._basic_auth_str(*lms.api_key),
            },
            data=form,
            timeout=5,
        )
        assert r.status_code == 400, version
        assert r.headers["X-Experience-API-Version"] == "2.0.0"


# --- the 2.0.0 proofs: what a 2.0.0 mount accepts and refuses ---------------------------------

CONTEXT_AGENTS = [
    {
        "objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": "mailto:player-1@example.com"},
        "relevantTypes": ["https://example.com/activity-types/team"],
    }
]
CONTEXT_GROUPS = [
    {
        "objectType": "contextGroup",
        "group": {
            "objectType": "Group",
            "member": [{"objectType": "Agent", "mbox": "mailto:player-2@example.com"}],
        },
        "relevantTypes": ["https://example.com/activity-types/team"],
    }
]


def _with_context(**extra) -> dict:
    stmt = statement()
    stmt["context"] = {**stmt["context"], **extra}
    return stmt


def _where(r: requests.Response) -> str:
    """Where the first violation is, as a path into the one statement posted."""
    return r.json()["violations"][0]["path"].replace("$[0]", "$", 1)


def _post(lms, mount: str | None, stmt: dict, version: str = "2.0.0") -> requests.Response:
    return lms.client(version=version).post(lms.endpoint(mount) + "statements", json=stmt)


def test_context_agents_and_groups_are_stored_and_read_back_on_a_2_0_mount(lms):
    """xAPI 2.0 Context: contextAgents (contextAgent objects: objectType, agent, relevantTypes)
    and contextGroups (objectType, group, relevantTypes) — LRS-TS v2.0 configs/contextagents.js
    and contextgroups.js: a valid array is accepted, 200."""
    stmt = _with_context(contextAgents=CONTEXT_AGENTS, contextGroups=CONTEXT_GROUPS)
    r = _post(lms, V2, stmt)
    assert r.status_code == 200, r.text
    got = _v2(lms).get(lms.endpoint(V2) + "statements", params={"statementId": stmt["id"]})
    assert got.json()["context"]["contextAgents"] == CONTEXT_AGENTS
    assert got.json()["context"]["contextGroups"] == CONTEXT_GROUPS
    assert got.json()["version"] == "2.0.0"  # no version given: stored as the request's version


@pytest.mark.parametrize(
    ("context_agents", "violations"),
    [
        (
            [{"objectType": "Should fail", "agent": {"mbox": "mailto:a@example.com"}}],
            [("$.context.contextAgents[0].objectType", "xAPI 2.0 contextAgents")],
        ),
        (
            [{"objectType": "contextAgent", "agent": {"key": "Should fail"}}],
            [
                ("$.context.contextAgents[0].agent.key", "xAPI-D §2.2 XAPI-00010"),
                ("$.context.contextAgents[0].agent", "xAPI-D §2.4.2.1 XAPI-00034"),
            ],
        ),
        (
            [
                {
                    "objectType": "contextAgent",
                    "agent": {"mbox": "mailto:a@example.com"},
                    "relevantTypes": [],
                }
            ],
            [("$.context.contextAgents[0].relevantTypes", "xAPI 2.0 contextAgents/contextGroups")],
        ),
        (
            [
                {
                    "objectType": "contextAgent",
                    "agent": {"mbox": "mailto:a@example.com"},
                    "relevantTypes": ["abc"],
                }
            ],
            [
                (
                    "$.context.contextAgents[0].relevantTypes[0]",
                    "xAPI 2.0 contextAgents/contextGroups",
                )
            ],
        ),
    ],
    ids=["objectType", "agent", "empty-relevantTypes", "non-iri-relevantType"],
)
def test_malformed_context_agents_are_refused_on_a_2_0_mount(lms, context_agents, violations):
    """LRS-TS v2.0 contextagents.js: objectType must be "contextAgent", agent a valid Agent,
    relevantTypes, if present, a non-empty array of IRIs; otherwise 400."""
    r = _post(lms, V2, _with_context(contextAgents=context_agents))
    assert r.status_code == 400, r.text
    got = [(v["path"].replace("$[0]", "$", 1), v["section"]) for v in r.json()["violations"]]
    assert got == violations


@pytest.mark.parametrize("key", ["contextAgents", "contextGroups"])
def test_context_agents_and_groups_are_refused_on_a_1_0_3_request(lms, key):
    """1.0.3 Data §2.2 (XAPI-00010): an LRS rejects a statement with properties 1.0.3 does not
    define; contextAgents/contextGroups are 2.0 properties. Same statement, 2.0.0 request: 200."""
    value = CONTEXT_AGENTS if key == "contextAgents" else CONTEXT_GROUPS
    r = _post(lms, None, _with_context(**{key: value}), version="1.0.3")
    assert r.status_code == 400
    assert _where(r) == f"$.context.{key}"
    assert _post(lms, None, _with_context(**{key: value}), version="2.0.0").status_code == 200


@pytest.mark.parametrize(
    "timestamp",
    [
        "should fail",
        "01/011/2015",
        "2008-09-15T15:53:00.601-00",
        "2008-09-15T15:53:00.601-0000",
        "2008-09-15T15:53:00.601-00:00",
        "2015-11-18",
        "2015-02-30T12:00:00Z",
    ],
)
def test_2_0_timestamps_refused(lms, timestamp):
    """LRS-TS v2.0 configs/timestamps.js (XAPI-00123): not a date-time, or the -00 offsets that
    RFC 3339 §4.3 reserves for "unknown local offset": 400; a date alone or 30 February is no
    instant at all."""
    r = _post(lms, V2, statement(timestamp=timestamp))
    assert r.status_code == 400, r.text
    assert _where(r) == "$.timestamp"


@pytest.mark.parametrize(
    "timestamp",
    [
        "2008-09-15T15:53:00.601Z",
        "2008-09-15T15:53:00.601+05:30",
        "2008-09-15T15:53:00.6011234Z",
        "2999-01-01T00:00:00Z",
        "2008-09-15T15:53:00.601",
    ],
    ids=["utc", "offset", "sub-ms", "future", "no-zone"],
)
def test_2_0_timestamps_accepted(lms, timestamp):
    """RFC 3339 date-times with Z or an offset, any precision: 200. A future timestamp: 200 (2.0
    made 1.0.3's SHOULD* NOT reject a future timestamp a shall). No zone: 200 — 1.0.3 Data §4.5
    says a timestamp SHOULD* include the time zone (a SHOULD*, not a MUST), and LRS-TS v2.0
    refuses no zone-less timestamp; the IEEE 2.0 text itself was not available to this project
    (rules doc §0), so no stricter refusal is made on its account."""
    r = _post(lms, V2, statement(timestamp=timestamp))
    assert r.status_code == 200, r.text


def test_2_0_accepts_the_rfc_3339_space_separated_timestamp(lms):
    """LRS-TS v2.0 configs/timestamps.js: "valid RFC 3339 date in timestamp"
    "2008-09-15 15:53:00.601+00:00" → 200 (RFC 3339 §5.6 NOTE allows a space for the T)."""
    r = _post(lms, V2, statement(timestamp="2008-09-15 15:53:00.601+00:00"))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("duration", "status"),
    [
        ("PT1H0M0.1S", 200),
        ("PT4H35M59.14S", 200),
        ("PT16559.14S", 200),
        ("P3Y1M29DT4H35M59.14S", 200),
        ("P3Y", 200),
        ("P4W", 200),
        ("PT0.1237S", 200),
        ("PA1H0M0S", 400),
        ("should fail", 400),
        (12345, 400),
        ({"key": "invalid"}, 400),
        ("P4W1D", 400),
    ],
)
def test_2_0_durations(lms, duration, status):
    """LRS-TS v2.0 configs/durations.js (XAPI-00124): ISO 8601:2004 §4.4.3.2 durations, PnW
    alone; precision finer than 0.01 s is not refused (2.0: only compared to 0.01 s)."""
    stmt = statement(result={"duration": duration, "completion": True})
    r = _post(lms, V2, stmt)
    assert r.status_code == status, r.text
    if status == 400:
        assert _where(r) == "$.result.duration"


def test_a_2_0_mount_keeps_a_1_0_statement_version(lms):
    """2.0 statement version: 1.0.x and 2.0.0 accepted, and returned as accepted (XAPI-00332)."""
    stmt = statement(version="1.0.3")
    assert _post(lms, V2, stmt).status_code == 200
    got = _v2(lms).get(lms.endpoint(V2) + "statements", params={"statementId": stmt["id"]})
    assert got.json()["version"] == "1.0.3"


# --- the admin API: a mount's xAPI version ------------------------------------------------------


def test_admin_creates_lists_and_patches_a_mount_version(lms):
    name = f"m{uuid.uuid4().hex[:8]}"
    r = lms.admin("POST", "/mounts", json={"name": name, "xapi_version": "2.0.0"})
    assert r.status_code == 201, r.text
    assert r.json()["xapi_version"] == "2.0.0"
    listed = {m["name"]: m for m in lms.admin("GET", "/mounts").json()}
    assert listed[name]["xapi_version"] == "2.0.0"
    assert listed["default"]["xapi_version"] == "1.0.3"
    assert lms.client(version="1.0.3").get(lms.endpoint(name) + "statements").status_code == 400
    r = lms.admin("PATCH", f"/mounts/{name}", json={"xapi_version": "1.0.3"})
    assert r.status_code == 200 and r.json()["xapi_version"] == "1.0.3"
    assert lms.client(version="1.0.3").get(lms.endpoint(name) + "statements").status_code == 200
    admin = lms.admin_client()  # the Python client passes it through, both ways
    try:
        assert admin.patch_mount(name, xapi_version="2.0.0")["xapi_version"] == "2.0.0"
        assert admin.create_mount(f"{name}b", xapi_version="2.0.0")["xapi_version"] == "2.0.0"
    finally:
        admin.close()


def test_admin_defaults_a_new_mount_to_the_servers_version(lms):
    name = f"m{uuid.uuid4().hex[:8]}"
    r = lms.admin("POST", "/mounts", json={"name": name})
    assert r.json()["xapi_version"] == "1.0.3"


@pytest.mark.parametrize("value", ["2.0", "1.0.2", "3.0.0", 2, None, ["2.0.0"]])
def test_admin_refuses_an_unknown_version(lms, value):
    """A mount is one LRS of one version: exactly "1.0.3" or "2.0.0"; nothing is stored."""
    name = f"m{uuid.uuid4().hex[:8]}"
    r = lms.admin("POST", "/mounts", json={"name": name, "xapi_version": value})
    assert r.status_code == 400
    assert "not one of 1.0.3, 2.0.0" in r.json()["error"]
    assert get_mount(lms.app.extensions["weare"].db, name) is None
    r = lms.admin("PATCH", "/mounts/default", json={"xapi_version": value, "mode": "observe"})
    assert r.status_code == 400
    assert lms.admin("GET", "/mounts").json()[0]["mode"] == "enforce"


def test_the_xapi_2_only_quirk_is_an_alias_for_a_2_0_mount(lms):
    """The quirk makes a mount answer as 2.0.0 (listed so); naming 1.0.3 with it is refused."""
    name = f"m{uuid.uuid4().hex[:8]}"
    r = lms.admin("POST", "/mounts", json={"name": name, "quirks": ["xapi-2-only"]})
    assert r.json()["xapi_version"] == "2.0.0"
    r = lms.client(version="1.0.3").post(lms.endpoint(name) + "statements", json=statement())
    assert r.status_code == 400 and "version" in r.json()["error"].lower()
    assert r.headers["X-Experience-API-Version"] == "2.0.0"
    assert requests.get(lms.endpoint(name) + "about", timeout=5).json()["version"] == ["2.0.0"]
    r = lms.admin("PATCH", f"/mounts/{name}", json={"xapi_version": "1.0.3"})
    assert r.status_code == 400 and "xapi-2-only" in r.json()["error"]
    both = {"name": f"{name}x", "quirks": ["xapi-2-only"], "xapi_version": "1.0.3"}
    assert lms.admin("POST", "/mounts", json=both).status_code == 400
    r = lms.admin("PATCH", f"/mounts/{name}", json={"quirks": []})
    assert r.json()["xapi_version"] == "1.0.3"


# --- serve --xapi-version, the banner, and an existing store ----------------------------------


def _banner_version(server: ServeProcess, name: str) -> str:
    head = f"mount {name!r}"
    at = next(i for i, line in enumerate(server.banner) if head in line)
    line = server.banner[at + 3].strip()
    assert line.startswith("xAPI version: "), server.banner
    return line


def test_serve_xapi_version_2_0_0_makes_its_mounts_2_0_lrss(tmp_path):
    db = tmp_path / "lms.db"
    with ServeProcess(db, "--xapi-version", "2.0.0", "--mount", "extra") as server:
        assert _banner_version(server, "default").startswith("xAPI version: 2.0.0 (")
        assert _banner_version(server, "extra").startswith("xAPI version: 2.0.0 (")
        client = server.client()
        created = client.post(server.base_url + "/api/mounts", json={"name": "later"})
        assert created.json()["xapi_version"] == "2.0.0"
        r = requests.get(server.base_url + "/xapi/default/statements", timeout=5)
        assert r.status_code == 400 and r.headers["X-Experience-API-Version"] == "2.0.0"
        r = requests.get(server.base_url + "/xapi/no-such-mount/statements", timeout=5)
        assert r.status_code == 404 and r.headers["X-Experience-API-Version"] == "2.0.0"
        assert server.terminate() == 0
    with ServeProcess(db) as server:  # the command line decides again: back to 1.0.3
        line = _banner_version(server, "default")
        assert line.startswith("xAPI version: 1.0.3 (") and "was 2.0.0 in this store" in line
        listed = {
            m["name"]: m["xapi_version"]
            for m in server.client().get(server.base_url + "/api/mounts").json()
        }
        assert listed == {"default": "1.0.3", "extra": "2.0.0", "later": "2.0.0"}
        assert server.terminate() == 0
    with ServeProcess(db, "--quirk", "xapi-2-only") as server:  # the alias, server-wide
        line = _banner_version(server, "default")
        assert line.startswith("xAPI version: 2.0.0 (") and "was 1.0.3 in this store" in line


def _version_3_store(path) -> None:
    """A store as weare-harness with SCHEMA_VERSION 3 wrote it: mounts without xapi_version."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE mounts (name TEXT PRIMARY KEY, mode TEXT NOT NULL DEFAULT 'enforce',"
        " quirks TEXT NOT NULL DEFAULT '[]', created TEXT NOT NULL);"
        "INSERT INTO mounts (name, mode, quirks, created) VALUES"
        " ('kept', 'observe', '[\"slow-responses\"]', '2026-01-01');"
        "PRAGMA user_version = 3;"
    )
    conn.close()


def test_a_version_3_store_is_upgraded_in_place(tmp_path):
    """An existing store keeps working: its mounts keep mode and quirks and answer as 1.0.3."""
    path = tmp_path / "old.db"
    _version_3_store(path)
    db = Database(path)
    kept = get_mount(db, "kept")
    assert kept is not None
    assert (kept.mode, kept.quirks, kept.xapi_version) == ("observe", ("slow-responses",), "1.0.3")
    assert db.connection().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()
    Database(path).close()  # opening it again is a no-op


def test_a_store_too_old_to_upgrade_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "older.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE statements (id TEXT)")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with pytest.raises(StoreVersionError, match=r"schema version 2.*upgrade stores of version 3"):
        Database(path)
