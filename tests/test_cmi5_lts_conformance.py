"""What CATAPULT's LMS Test Suite (LTS) checks, proved over real HTTP through the admin API an
LTS adapter drives: import a package, launch AU N for an actor/registration/launchMode, waive AU N,
abandon a session, and read everything written for a registration (`ascending=true`, API key).

Each test is named after the cmi5 requirement id (CATAPULT `@cmi5/requirements`) it proves.
The packages here are written for these tests; they mirror the shape of the LTS packages (a
block around one AU, moveOn/masteryScore/launchParameters/entitlementKey, a url with a query).
"""

from __future__ import annotations

import base64
import io
import json
import uuid
import zipfile
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.cmi5_au import AU

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
LTS = "https://w3id.org/xapi/cmi5/catapult/lts"
SID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
EXT = "https://w3id.org/xapi/cmi5/context/extensions/"
CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
VERB = "http://adlnet.gov/expapi/verbs/"
ADL = "https://w3id.org/xapi/adl/verbs/"
BLOCK_TYPE = "https://w3id.org/xapi/cmi5/activitytype/block"
COURSE_TYPE = "https://w3id.org/xapi/cmi5/activitytype/course"
# The actor as LTS hands it to getLaunchUrl: an account, no objectType.
LTS_ACTOR = {"account": {"name": "lts-test.zip", "homePage": LTS}}


# --- packages --------------------------------------------------------------------------------------


def _lang(text: str) -> str:
    return f'<title><langstring lang="en">{text}</langstring></title>' + (
        f'<description><langstring lang="en">{text}</langstring></description>'
    )


def au_xml(name: str, url: str = "index.html", attrs: str = "", tail: str = "") -> str:
    return f'<au id="{LTS}/au/{name}" {attrs}>{_lang(name)}<url>{url}</url>{tail}</au>'


def course_xml(name: str, *children: str, block: bool = True, objectives: str = "") -> str:
    body = "".join(children)
    if block:
        body = f'<block id="{LTS}/block/{name}">{_lang(name)}{body}</block>'
    return (
        f'<?xml version="1.0" encoding="utf-8"?><courseStructure xmlns="{NS}">'
        f'<course id="{LTS}/course/{name}">{_lang(name)}</course>{objectives}{body}'
        "</courseStructure>"
    )


def zipped(xml: str, **files: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("cmi5.xml", xml)
        z.writestr("index.html", "<html>au</html>")
        for name, content in files.items():
            z.writestr(name, content)
    return buf.getvalue()


ESSENTIALS = course_xml(
    "essentials",
    au_xml(
        "essentials",
        url="<![CDATA[ index.html?paramA=1&paramB=2 ]]>",
        attrs='moveOn="CompletedAndPassed" masteryScore="0.9" launchMethod="AnyWindow"',
        tail="<launchParameters> sample string </launchParameters>"
        "<entitlementKey> sample value </entitlementKey>",
    ),
)


# --- adapter -------------------------------------------------------------------------------------


def import_course(lms, data: bytes | str, content_type: str = "application/zip") -> str:
    """importCourse: the course id, or AssertionError naming the refusal."""
    if isinstance(data, str):
        data = data.encode()
    r = lms.admin("POST", "courses", data=data, headers={"Content-Type": content_type})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def launch_url(lms, course_id: str, number: int, actor=None, **body: Any) -> dict[str, Any]:
    """getLaunchUrl(courseId, auIndex, actor, {registration, launchMode})."""
    body["actor"] = actor or LTS_ACTOR
    body.setdefault("endpoint_trailing_slash", False)  # LTS AUs join `${endpoint}/statements`
    r = lms.admin("POST", f"courses/{course_id}/aus/{number}/launches", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def reg_statements(lms, registration: str) -> list[dict[str, Any]]:
    """fetchStatements: GET <endpoint>/statements?registration=…&ascending=true, as LTS does."""
    endpoint = lms.endpoint().rstrip("/")
    r = lms.client().get(f"{endpoint}/statements?registration={registration}&ascending=true")
    assert r.status_code == 200, r.text
    return r.json()["statements"]


def verbs(stmts: list[dict[str, Any]]) -> list[str]:
    return [s["verb"]["id"].rsplit("/", 1)[1] for s in stmts]


class LtsAU(AU):
    """The AU as the LTS packages write it: `${endpoint}/…` joins, PUT with statementId,
    the actor exactly as read from the URL, object without objectType."""

    def __init__(self, launch: str) -> None:
        super().__init__(launch)
        self.endpoint = self.params["endpoint"] + "/"  # LTS joins `${endpoint}/statements`
        self.launch_data: dict[str, Any] = {}

    def get_launch_data(self) -> requests.Response:
        r = super().get_launch_data()
        if r.status_code == 200:
            self.launch_data = r.json()
        return r

    def put(self, stmt: dict[str, Any]) -> requests.Response:
        stmt["object"] = {"id": self.activity_id}
        return self.http.put(
            self.endpoint + "statements", params={"statementId": stmt["id"]}, json=stmt
        )

    def do(self, verb: str, **result: Any) -> requests.Response:
        moveon = "success" in result or "completion" in result
        return self.put(self.statement(verb, result=result or None, moveon=moveon))


def run_essentials(lms, **launch_body: Any) -> tuple[dict[str, Any], LtsAU]:
    course_id = import_course(lms, zipped(ESSENTIALS))
    out = launch_url(lms, course_id, 0, **launch_body)
    au = LtsAU(out["launch_url"])
    au.start()
    assert au.do("initialized").status_code == 204
    assert au.do("passed", success=True, duration="PT1S").status_code == 204
    assert au.do("completed", completion=True, duration="PT1S").status_code == 204
    assert au.do("terminated", duration="PT15S").status_code == 204
    return out, au


# --- 001 essentials ------------------------------------------------------------------------------


def test_8_1_0_0_5_launch_url_of_imported_packaged_au(lms):
    """8.1.0.0-5 / 13.1.4.0-3 / 8.1.5.0-3: packaged AU url resolved to content served by the LMS,
    its own query merged with the five cmi5 pairs, activityId not the publisher id."""
    course_id = import_course(lms, zipped(ESSENTIALS))
    out = launch_url(lms, course_id, 0)
    parts = urlsplit(out["launch_url"])
    assert parts.path.endswith("/index.html")
    pairs = dict(parse_qsl(parts.query))
    assert pairs["paramA"] == "1" and pairs["paramB"] == "2"
    assert {"endpoint", "fetch", "actor", "registration", "activityId"} <= set(pairs)
    assert pairs["activityId"] != f"{LTS}/au/essentials"
    assert json.loads(pairs["actor"])["account"] == LTS_ACTOR["account"]
    page = requests.get(out["launch_url"], timeout=5)
    assert page.status_code == 200 and b"au" in page.content


def test_10_2_launch_data_of_imported_course(lms):
    """10.2.1.0-1..3, 10.2.2.0-4, 10.2.3.0-1, 10.2.4.0-1, 10.2.5.0-1, 10.2.7.0-1, 10.2.7.1-1:
    LaunchData of an imported AU carries its course-structure values (trimmed, masteryScore as a
    JSON number), and returnURL when the launch asks for one (10.2.6.0-1)."""
    course_id = import_course(lms, zipped(ESSENTIALS))
    out = launch_url(lms, course_id, 0, return_url="https://lms.example.com/back")
    au = LtsAU(out["launch_url"])
    assert au.fetch().status_code == 200
    assert au.get_launch_data().status_code == 200
    data = au.launch_data
    assert data["contextTemplate"]["extensions"][SID] == out["session_id"]
    assert {"id": f"{LTS}/au/essentials"} in data["contextTemplate"]["contextActivities"][
        "grouping"
    ]
    assert data["launchMode"] == "Normal"
    assert data["launchParameters"] == "sample string"
    assert data["masteryScore"] == 0.9 and isinstance(data["masteryScore"], float)
    assert data["moveOn"] == "CompletedAndPassed"
    assert data["entitlementKey"] == {"courseStructure": "sample value"}
    assert data["returnURL"] == "https://lms.example.com/back"


def test_9_3_1_0_1_essentials_statement_order_and_shapes(lms):
    """9.3.1.0-1/-2, 9.6.2.1-1, 9.6.3.1-3, 9.6.3.2-1, 9.6.3.3-1, 9.6.3.4-1, 9.6.3.6-1,
    9.6.3.7-1, 9.3.9.0-1/-2/-4/-5/-6/-8/-9, 9.6.2.3-2, 9.3.3.0-3, 9.3.4.0-4: the registration
    reads launched, initialized, passed, completed, satisfied(block), satisfied(course),
    terminated in ascending order, each LMS statement shaped as LTS checks it."""
    out, au = run_essentials(lms)
    stmts = reg_statements(lms, out["registration"])
    assert verbs(stmts) == [
        "launched",
        "initialized",
        "passed",
        "completed",
        "satisfied",
        "satisfied",
        "terminated",
    ]
    launched, block, course = stmts[0], stmts[4], stmts[5]
    for s in (launched, block, course):
        assert {"id": CMI5} in s["context"]["contextActivities"]["category"]
    ext = launched["context"]["extensions"]
    assert ext[SID] == out["session_id"]
    assert ext[EXT + "masteryscore"] == au.launch_data["masteryScore"] == 0.9
    assert ext[EXT + "launchmode"] == "Normal"
    assert ext[EXT + "moveon"] == "CompletedAndPassed"
    assert ext[EXT + "launchparameters"] == "sample string"
    stated = urlsplit(ext[EXT + "launchurl"])
    real = urlsplit(out["launch_url"])
    assert (stated.scheme, stated.netloc, stated.path) == (real.scheme, real.netloc, real.path)
    assert dict(parse_qsl(stated.query)) == {"paramA": "1", "paramB": "2"}
    assert launched["object"]["id"] == out["activity_id"]
    assert block["object"]["definition"]["type"] == BLOCK_TYPE
    assert block["object"]["id"] != f"{LTS}/block/essentials"
    assert course["object"]["definition"]["type"] == COURSE_TYPE
    assert course["object"]["id"] != f"{LTS}/course/essentials"
    assert block["context"]["extensions"][SID] == out["session_id"]
    assert course["context"]["extensions"][SID] == out["session_id"]
    assert {"id": f"{LTS}/block/essentials"} in block["context"]["contextActivities"]["grouping"]
    assert {"id": f"{LTS}/course/essentials"} in course["context"]["contextActivities"]["grouping"]
    for s in stmts:
        assert s["context"]["registration"] == out["registration"]


def test_9_3_0_0_9_allowed_statement_is_stored_in_order(lms):
    """9.3.0.0-9: an allowed statement between initialized and terminated is stored and reported
    (LTS 002: third statement of the registration is "experienced")."""
    course_id = import_course(
        lms, zipped(course_xml("allowed", au_xml("allowed", attrs='moveOn="Completed"')))
    )
    out = launch_url(lms, course_id, 0)
    au = LtsAU(out["launch_url"])
    au.start()
    assert au.do("initialized").status_code == 204
    assert au.put(au.statement("experienced", defined=False)).status_code == 204
    assert au.do("terminated", duration="PT2S").status_code == 204
    assert verbs(reg_statements(lms, out["registration"])) == [
        "launched",
        "initialized",
        "experienced",
        "terminated",
    ]


@pytest.mark.parametrize(
    ("move_on", "verb", "result"),
    [
        ("Completed", "completed", {"completion": True, "duration": "PT1S"}),
        ("CompletedOrPassed", "completed", {"completion": True, "duration": "PT1S"}),
        ("Passed", "passed", {"success": True, "duration": "PT1S"}),
        ("CompletedOrPassed", "passed", {"success": True, "duration": "PT1S"}),
    ],
)
def test_9_3_3_0_3_and_9_3_4_0_4_move_on_satisfies_block_then_course(lms, move_on, verb, result):
    """9.3.3.0-3, 9.3.4.0-4, 9.6.2.3-2 (LTS 004-1..4): statements 3 and 4 of the registration
    are satisfied for the block then the course, each grouped under its publisher id."""
    name = f"moveon-{move_on}-{verb}"
    course_id = import_course(
        lms, zipped(course_xml(name, au_xml(name, attrs=f'moveOn="{move_on}"')))
    )
    out = launch_url(lms, course_id, 0)
    au = LtsAU(out["launch_url"])
    au.start()
    assert au.do("initialized").status_code == 204
    assert au.do(verb, **result).status_code == 204
    stmts = reg_statements(lms, out["registration"])
    assert verbs(stmts)[:5] == ["launched", "initialized", verb, "satisfied", "satisfied"]
    assert {"id": f"{LTS}/block/{name}"} in stmts[3]["context"]["contextActivities"]["grouping"]
    assert {"id": f"{LTS}/course/{name}"} in stmts[4]["context"]["contextActivities"]["grouping"]


def test_9_6_1_1_3_not_applicable_satisfied_at_registration_before_launched(lms):
    """9.6.1.1-3 (LTS 004-5): moveOn is evaluated when the registration is created, so the
    block and course satisfied statements come first, before "launched", with a session id
    that is not the launch's, and the block before the course."""
    name = "moveon-na"
    course_id = import_course(
        lms, zipped(course_xml(name, au_xml(name, attrs='moveOn="NotApplicable"')))
    )
    out = launch_url(lms, course_id, 0)
    stmts = reg_statements(lms, out["registration"])
    assert verbs(stmts) == ["satisfied", "satisfied", "launched"]
    assert {"id": f"{LTS}/block/{name}"} in stmts[0]["context"]["contextActivities"]["grouping"]
    assert {"id": f"{LTS}/course/{name}"} in stmts[1]["context"]["contextActivities"]["grouping"]
    assert stmts[0]["context"]["extensions"][SID] == stmts[1]["context"]["extensions"][SID]
    assert stmts[0]["context"]["extensions"][SID] != out["session_id"]
    # Relaunching the same registration does not satisfy again (9.3.9: once per registration).
    launch_url(lms, course_id, 0, registration=out["registration"])
    assert verbs(reg_statements(lms, out["registration"])).count("satisfied") == 2


# --- 005/006/007: rejections the LTS AUs expect as 401/403 -----------------------------------------


@pytest.mark.parametrize("mode", ["Browse", "Review"])
def test_10_2_2_0_2_and_10_2_2_0_3_no_satisfaction_data_in_browse_or_review(lms, mode):
    """10.2.2.0-2 (d), 10.2.2.0-3 (d) (LTS 006): passed, failed and completed are refused with
    403 in Browse and Review; initialized, allowed statements and terminated are accepted; the
    launched statement and LaunchData carry the mode asked for."""
    course_id = import_course(
        lms,
        zipped(course_xml("modes", au_xml("modes", attrs='moveOn="Passed" masteryScore="0.5"'))),
    )
    out = launch_url(lms, course_id, 0, launch_mode=mode)
    au = LtsAU(out["launch_url"])
    au.start()
    assert au.launch_data["launchMode"] == mode
    assert au.do("initialized").status_code == 204
    for verb, result in (
        ("passed", {"success": True, "duration": "PT1S"}),
        ("failed", {"success": False, "duration": "PT1S"}),
        ("completed", {"completion": True, "duration": "PT1S"}),
    ):
        r = au.do(verb, **result)
        assert r.status_code == 403, (verb, r.text)
        assert r.json()["requirement"] in ("10.2.2.0-2", "10.2.2.0-3")
    assert au.put(au.statement("experienced", defined=False)).status_code == 204
    assert au.do("terminated", duration="PT3S").status_code == 204
    stmts = reg_statements(lms, out["registration"])
    assert stmts[0]["context"]["extensions"][EXT + "launchmode"] == mode


@pytest.mark.parametrize(
    ("move_on", "verb", "result"),
    [
        ("Completed", "completed", {"completion": True, "duration": "PT1S"}),
        ("Passed", "passed", {"success": True, "duration": "PT1S"}),
    ],
)
def test_9_3_0_0_6_and_9_3_0_0_7_second_session_of_registration(lms, move_on, verb, result):
    """8.1.5.0-4, 9.3.0.0-6 (d2), 9.3.0.0-7 (d2) (LTS 007): a second launch of the same AU in the
    same registration reuses the activityId, sees the AU's own State document, and a second
    completed/passed is refused with 403; no launchMode given means Normal."""
    name = f"multi-{verb}"
    course_id = import_course(
        lms, zipped(course_xml(name, au_xml(name, attrs=f'moveOn="{move_on}"'), block=False))
    )
    first = launch_url(lms, course_id, 0)
    au = LtsAU(first["launch_url"])
    au.start()
    assert au.do("initialized").status_code == 204
    assert au.do(verb, **result).status_code == 204
    state = {
        "stateId": name,
        "activityId": au.activity_id,
        "agent": json.dumps(au.actor),
        "registration": au.registration,
    }
    put = au.http.put(au.endpoint + "activities/state", params=state, json={"firstRun": True})
    assert put.status_code == 204, put.text
    assert au.do("terminated", duration="PT2S").status_code == 204

    second = launch_url(lms, course_id, 0, registration=first["registration"])
    assert second["activity_id"] == first["activity_id"]
    assert second["session_id"] != first["session_id"]
    again = LtsAU(second["launch_url"])
    again.start()
    assert again.launch_data["launchMode"] == "Normal"
    got = again.http.get(again.endpoint + "activities/state", params=state)
    assert got.status_code == 200 and got.json() == {"firstRun": True}
    assert again.do("initialized").status_code == 204
    r = again.do(verb, **result)
    assert r.status_code == 403
    assert r.json()["requirement"] == {"completed": "9.3.0.0-6", "passed": "9.3.0.0-7"}[verb]


# --- 008 abandon ---------------------------------------------------------------------------------


def test_9_3_6_0_1_abandon_session_through_admin_api(lms):
    """9.3.6.0-1, 9.3.6.0-2 (d2), 9.5.4.2-1, 9.6.3.1-3, 9.6.2.1-1, 8.1.2.0-2 (d) (LTS 008):
    abandoning the session id the AU read from its contextTemplate writes statement 3 of the
    registration: abandoned, the launch actor, object = activityId, the registration, the
    session id, the cmi5 category, the publisher-id grouping and a duration, and no moveOn
    category; afterwards the AU's statements and State requests are refused with 401/403."""
    course_id = import_course(
        lms, zipped(course_xml("abandoned", au_xml("abandoned", attrs='moveOn="Completed"')))
    )
    out = launch_url(lms, course_id, 0)
    au = LtsAU(out["launch_url"])
    au.start()
    assert au.do("initialized").status_code == 204
    session_id = au.launch_data["contextTemplate"]["extensions"][SID]
    r = lms.admin("POST", f"sessions/{session_id}/abandon")
    assert r.status_code == 200, r.text
    stmts = reg_statements(lms, out["registration"])
    assert verbs(stmts) == ["launched", "initialized", "abandoned"]
    ab = stmts[2]
    assert ab["context"]["extensions"][SID] == session_id
    assert {"id": CMI5} in ab["context"]["contextActivities"]["category"]
    assert {"id": MOVEON} not in ab["context"]["contextActivities"]["category"]
    assert {"id": f"{LTS}/au/abandoned"} in ab["context"]["contextActivities"]["grouping"]
    assert ab["result"]["duration"].startswith("PT")
    actor = dict(ab["actor"])
    if "objectType" not in au.actor:
        actor.pop("objectType", None)
    assert actor == au.actor
    assert ab["object"]["id"] == au.activity_id
    assert ab["context"]["registration"] == au.registration
    late = au.put(au.statement("experienced", defined=False))
    assert late.status_code in (401, 403)
    state = au.http.get(
        au.endpoint + "activities/state",
        params={
            "stateId": "abandoned",
            "activityId": au.activity_id,
            "agent": json.dumps(au.actor),
            "registration": au.registration,
        },
    )
    assert state.status_code in (401, 403)


def test_9_3_6_0_1_relaunch_of_another_au_abandons_the_open_session(lms):
    """9.3.6.0-1, 9.3.0.0-10 (cmi5 §9.3.6): launching AU 1 of a registration while AU 0's
    session is open abandons AU 0's session once, with AU 0's activityId, session id and
    publisher-id grouping; both AUs share the registration; AU 1's session goes on normally."""
    course_id = import_course(
        lms,
        zipped(
            course_xml(
                "two",
                au_xml("two-a", attrs='moveOn="Completed"'),
                au_xml("two-b", url="b.html", attrs='moveOn="Completed"'),
            ),
            **{"b.html": b"<html>b</html>"},
        ),
    )
    first = launch_url(lms, course_id, 0)
    au0 = LtsAU(first["launch_url"])
    au0.start()
    assert au0.do("initialized").status_code == 204
    second = launch_url(lms, course_id, 1, registration=first["registration"])
    assert second["abandoned_sessions"] == [first["session_id"]]
    assert second["activity_id"] != first["activity_id"]
    au1 = LtsAU(second["launch_url"])
    au1.start()
    assert au1.registration == au0.registration
    assert au1.do("initialized").status_code == 204
    stmts = reg_statements(lms, first["registration"])
    assert verbs(stmts) == ["launched", "initialized", "abandoned", "launched", "initialized"]
    ab = stmts[2]
    assert ab["object"]["id"] == first["activity_id"]
    assert ab["context"]["extensions"][SID] == first["session_id"]
    assert {"id": f"{LTS}/au/two-a"} in ab["context"]["contextActivities"]["grouping"]
    assert au0.do("terminated", duration="PT1S").status_code in (401, 403)
    # A third launch abandons AU 1's session, not AU 0's again (≤1 abandoned per session).
    launch_url(lms, course_id, 0, registration=first["registration"])
    stmts = reg_statements(lms, first["registration"])
    abandoned = [s for s in stmts if s["verb"]["id"] == ADL + "abandoned"]
    assert [s["context"]["extensions"][SID] for s in abandoned] == [
        first["session_id"],
        second["session_id"],
    ]


def test_9_3_6_0_1_abandon_errors_are_json(lms):
    """Admin API: abandoning an unknown session is 404, a closed one 409, both JSON."""
    assert lms.admin("POST", f"sessions/{uuid.uuid4()}/abandon").status_code == 404
    course_id = import_course(lms, zipped(course_xml("ab2", au_xml("ab2"))))
    out = launch_url(lms, course_id, 0)
    au = LtsAU(out["launch_url"])
    au.start()
    au.do("initialized")
    au.do("terminated", duration="PT1S")
    r = lms.admin("POST", f"sessions/{out['session_id']}/abandon")
    assert r.status_code == 409 and r.json()["error"]


# --- 009 waive -----------------------------------------------------------------------------------


def test_9_3_7_0_1_waive_after_a_session(lms):
    """9.3.7.0-1/-2/-3, 9.5.2.0-1 (d2), 9.5.3.0-1 (d2), 9.6.2.1-1, 9.6.2.2-1 (d4), 9.5.5.2-1
    (LTS 009): after a session that does not meet moveOn, waiving AU 0 writes statement 4 of the
    registration: waived with reason, success and completion true, the cmi5 and moveOn
    categories, a new session id, actor/object/registration of the launch; then the course
    satisfied statement with the waived statement's session id."""
    name = "waived"
    course_id = import_course(
        lms,
        zipped(
            course_xml(name, au_xml(f"{name}/0", attrs='moveOn="CompletedOrPassed"'), block=False)
        ),
    )
    out = launch_url(lms, course_id, 0)
    au = LtsAU(out["launch_url"])
    au.start()
    assert au.do("initialized").status_code == 204
    assert au.do("terminated", duration="PT1S").status_code == 204
    r = lms.admin(
        "POST",
        f"registrations/{out['registration']}/aus/0/waive",
        json={"reason": "Administrative"},
    )
    assert r.status_code == 201, r.text
    stmts = reg_statements(lms, out["registration"])
    assert verbs(stmts) == ["launched", "initialized", "terminated", "waived", "satisfied"]
    waived, satisfied = stmts[3], stmts[4]
    assert (
        waived["result"]["extensions"]["https://w3id.org/xapi/cmi5/result/extensions/reason"]
        == "Administrative"
    )
    assert waived["result"]["success"] is True and waived["result"]["completion"] is True
    cats = waived["context"]["contextActivities"]["category"]
    assert {"id": CMI5} in cats and {"id": MOVEON} in cats
    wsid = waived["context"]["extensions"][SID]
    assert wsid and wsid != out["session_id"]
    assert waived["object"]["id"] == out["activity_id"]
    assert waived["context"]["registration"] == out["registration"]
    assert {"id": f"{LTS}/au/{name}/0"} in waived["context"]["contextActivities"]["grouping"]
    actor = dict(waived["actor"])
    actor.pop("objectType", None)
    assert actor == LTS_ACTOR
    assert satisfied["object"]["definition"]["type"] == COURSE_TYPE
    assert {"id": CMI5} in satisfied["context"]["contextActivities"]["category"]
    assert satisfied["context"]["extensions"][SID] == wsid
    assert satisfied["context"]["registration"] == out["registration"]


def test_9_3_7_0_4_waive_au_n_of_a_block_satisfies_only_when_all_met(lms):
    """9.3.7.0-4, 9.3.0.0-11 (d1), 9.3.9.0-1: waiving AU 1 of a two-AU block leaves the block
    unsatisfied until AU 0 is waived too; a second waive of the same AU is 409 with the
    requirement id; an AU index outside the course is 404; an unknown registration is 404."""
    course_id = import_course(
        lms,
        zipped(
            course_xml(
                "w2",
                au_xml("w2-a", attrs='moveOn="Passed"'),
                au_xml("w2-b", url="b.html", attrs='moveOn="Completed"'),
            ),
            **{"b.html": b"b"},
        ),
    )
    out = launch_url(lms, course_id, 0)
    reg = out["registration"]
    first = lms.admin("POST", f"registrations/{reg}/aus/1/waive", json={"reason": "Tested Out"})
    assert first.status_code == 201, first.text
    assert first.json()["satisfied"] == []
    again = lms.admin("POST", f"registrations/{reg}/aus/1/waive", json={})
    assert again.status_code == 409 and again.json()["requirement"] == "9.3.7.0-4"
    assert lms.admin("POST", f"registrations/{reg}/aus/2/waive", json={}).status_code == 404
    assert (
        lms.admin("POST", f"registrations/{uuid.uuid4()}/aus/0/waive", json={}).status_code == 404
    )
    second = lms.admin("POST", f"registrations/{reg}/aus/0/waive", json={})
    assert second.status_code == 201
    sat = second.json()["satisfied"]
    assert [s["object"]["definition"]["type"] for s in sat] == [BLOCK_TYPE, COURSE_TYPE]
    wsid = second.json()["waived"]["context"]["extensions"][SID]
    assert all(s["context"]["extensions"][SID] == wsid for s in sat)
    stmts = reg_statements(lms, reg)
    waived = [s for s in stmts if s["verb"]["id"] == ADL + "waived"]
    assert [w["object"]["id"] for w in waived] == [
        lms.admin("GET", f"courses/{course_id}").json()["aus"][i]["activity_id"] for i in (1, 0)
    ]


# --- course import through the admin API (LTS __tests__/package.js) ------------------------------

ABS = "http://content.example.com/lts/index.html"


def _objectives(obj_id: str) -> str:
    return f'<objectives><objective id="{obj_id}">{_lang("obj")}</objective></objectives>'


def _no_root_cmi5() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("course/cmi5.xml", course_xml("nested", au_xml("nested")))
        z.writestr("index.html", "x")
    return buf.getvalue()


REJECTED = [
    # (case, body, content type, requirement id)
    (
        "201-1 course id not an IRI",
        course_xml("x", au_xml("x", url=ABS), block=False).replace(f"{LTS}/course/x", "course-x"),
        "text/xml",
        "3.0.0.0-1",
    ),
    (
        "201-2 block id not an IRI",
        course_xml("x", au_xml("x", url=ABS)).replace(f"{LTS}/block/x", "block-x"),
        "text/xml",
        "3.0.0.0-1",
    ),
    (
        "201-3 AU id not an IRI",
        course_xml("x", au_xml("x", url=ABS)).replace(f"{LTS}/au/x", "au-x"),
        "text/xml",
        "3.0.0.0-1",
    ),
    (
        "201-4 objective id not an IRI",
        course_xml("x", au_xml("x", url=ABS), objectives=_objectives("objective-x")),
        "text/xml",
        "3.0.0.0-1",
    ),
    ("202-1 relative url, bare XML", course_xml("x", au_xml("x")), "text/xml", "14.2.0.0-1"),
    (
        "202-5 root-relative url, bare XML",
        course_xml("x", au_xml("x", url="/index.html")),
        "text/xml",
        "14.2.0.0-1",
    ),
    (
        "203-1 relative url not in the zip",
        zipped(course_xml("x", au_xml("x", url="missing.html"))),
        "application/zip",
        "14.1.0.0-4",
    ),
    (
        "204 url query uses endpoint",
        course_xml("x", au_xml("x", url=ABS + "?endpoint=x")),
        "text/xml",
        "8.1.0.0-6",
    ),
    (
        "205-1 duplicated block",
        course_xml("x", au_xml("x", url=ABS)).replace(
            "</courseStructure>",
            f'<block id="{LTS}/block/x">{_lang("again")}{au_xml("y", url=ABS)}</block>'
            "</courseStructure>",
        ),
        "text/xml",
        "13.1.2.0-1",
    ),
    (
        "205-2 duplicated objective",
        course_xml(
            "x",
            au_xml("x", url=ABS),
            objectives=_objectives(f"{LTS}/obj/1").replace(
                "</objectives>",
                f'<objective id="{LTS}/obj/1">{_lang("o")}</objective></objectives>',
            ),
        ),
        "text/xml",
        "13.1.3.0-1",
    ),
    (
        "205-3 duplicated AU",
        course_xml("x", au_xml("x", url=ABS), au_xml("x", url=ABS)),
        "text/xml",
        "13.1.4.0-1",
    ),
    (
        "206-1 AU url with a space",
        course_xml("x", au_xml("x", url="http://example.com index.html"), block=False),
        "text/xml",
        "13.1.4.0-2",
    ),
    (
        "207-1 XSD order broken",
        course_xml("x", au_xml("x", url=ABS), block=False)
        .replace(f"<url>{ABS}</url>", "")
        .replace('lts/au/x" >', f'lts/au/x" ><url>{ABS}</url>'),
        "text/xml",
        "13.2.0.0-1",
    ),
    ("208-1 markdown", "# not a course\n", "text/markdown; charset=UTF-8", "14.0.0.0-1"),
    ("209-1 not a zip", b"PK\x03\x04 this is not a zip", "application/zip", "14.1.0.0-1"),
    ("210-1 no root cmi5.xml", _no_root_cmi5(), "application/zip", "14.1.0.0-2"),
]


@pytest.mark.parametrize(
    ("body", "content_type", "requirement"),
    [case[1:] for case in REJECTED],
    ids=[case[0] for case in REJECTED],
)
def test_4_4_0_0_2_invalid_package_is_refused_with_requirement(
    lms, body, content_type, requirement
):
    """4.4.0.0-2 (d) and the id of each LTS 2xx package: an invalid package is refused by the
    admin import with 400, a JSON body naming the violated requirement (what an adapter turns
    into InvalidPackageError), and no course is created."""
    data = body.encode() if isinstance(body, str) else body
    before = lms.admin("GET", "courses").json()
    r = lms.admin("POST", "courses", data=data, headers={"Content-Type": content_type})
    assert r.status_code == 400, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["requirement"] == requirement, r.json()
    assert r.json()["error"]
    assert lms.admin("GET", "courses").json() == before


def test_6_1_0_0_2_one_thousand_aus_import_and_launch_the_last(lms):
    """6.1.0.0-2 (LTS 101): a bare cmi5.xml with 1000 AUs imports; AU 999 can be launched."""
    aus = [au_xml(f"k/{i}", url=f"{ABS}?n={i}") for i in range(1000)]
    course_id = import_course(lms, course_xml("k", *aus, block=False), "text/xml")
    out = launch_url(lms, course_id, 999)
    assert dict(parse_qsl(urlsplit(out["launch_url"]).query))["n"] == "999"
    assert out["publisher_id"] == f"{LTS}/au/k/999"


def test_14_0_0_0_1_zip64_package_imports(lms):
    """14.0.0.0-1 (LTS 102): a Zip64 package imports and its AU is served."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in (
            ("cmi5.xml", course_xml("z64", au_xml("z64")).encode()),
            ("index.html", b"<html>z64</html>"),
        ):
            with z.open(name, "w", force_zip64=True) as f:
                f.write(content)
    course_id = import_course(lms, buf.getvalue())
    out = launch_url(lms, course_id, 0)
    assert requests.get(out["launch_url"], timeout=5).content == b"<html>z64</html>"


# --- LaunchData values that differ from the course structure (player launch-url options) ----------


def test_10_2_7_2_1_launch_overrides_reach_launch_data_launched_and_rules(lms):
    """10.2.3.0-1, 10.2.4.0-1/-2, 10.2.7.2-1, 9.6.3.2-1, 9.6.3.7-1, 9.3.4.0-2 (d2): a launch may
    set launchParameters, masteryScore and the alternate entitlementKey; LaunchData, the launched
    statement and the session's pass/fail rule all use the launch's values."""
    course_id = import_course(lms, zipped(ESSENTIALS))
    out = launch_url(
        lms,
        course_id,
        0,
        launch_parameters="Start=2",
        mastery_score=0.5,
        entitlement_key_alternate="abc-456",
    )
    au = LtsAU(out["launch_url"])
    au.start()
    data = au.launch_data
    assert data["launchParameters"] == "Start=2"
    assert data["masteryScore"] == 0.5
    assert data["entitlementKey"] == {"courseStructure": "sample value", "alternate": "abc-456"}
    launched = reg_statements(lms, out["registration"])[0]
    assert launched["context"]["extensions"][EXT + "launchparameters"] == "Start=2"
    assert launched["context"]["extensions"][EXT + "masteryscore"] == 0.5
    assert au.do("initialized").status_code == 204
    stmt = au.statement(
        "passed",
        result={"success": True, "duration": "PT1S", "score": {"scaled": 0.6}},
        moveon=True,
    )
    stmt["context"]["extensions"][EXT + "masteryscore"] = 0.5
    assert au.put(stmt).status_code == 204  # 0.6 ≥ 0.5, though < the course's 0.9


@pytest.mark.parametrize(
    "body",
    [
        {"mastery_score": 1.5},
        {"mastery_score": "0.5"},
        {"mastery_score": True},
        {"launch_parameters": 7},
        {"entitlement_key_alternate": {"k": 1}},
        {"return_url": ["x"]},
    ],
)
def test_10_2_4_0_1_bad_launch_overrides_are_400(lms, body):
    """Admin API: a launch override of the wrong type or range is refused with a JSON 400."""
    course_id = import_course(lms, zipped(ESSENTIALS))
    r = lms.admin("POST", f"courses/{course_id}/aus/0/launches", json={"actor": LTS_ACTOR, **body})
    assert r.status_code == 400, r.text
    assert r.json()["error"]


# --- masteryScore pass/fail rules on an imported AU ---------------------------------------------


@pytest.mark.parametrize(
    ("verb", "scaled", "with_ext", "status", "requirement"),
    [
        ("passed", 0.95, True, 204, None),
        ("passed", 0.9, True, 204, None),
        ("passed", 0.89, True, 403, "9.3.4.0-2"),
        ("failed", 0.5, True, 204, None),
        ("failed", 0.9, True, 403, "9.3.5.0-2"),
        ("passed", 0.95, False, 403, "9.6.3.2-2"),
        ("failed", 0.5, False, 403, "9.6.3.2-2"),
        ("passed", None, False, 204, None),
    ],
)
def test_9_3_4_0_2_mastery_score_decides_passed_and_failed(
    lms, verb, scaled, with_ext, status, requirement
):
    """9.3.4.0-2 (d2), 9.3.5.0-2 (d), 9.6.3.2-2 (d), 9.5.1.0-1: with masteryScore 0.9 from the
    course structure, passed needs scaled ≥ 0.9 and failed scaled < 0.9; a scored passed/failed
    must carry the masteryscore extension with the session's value; unscored passed is fine."""
    course_id = import_course(lms, zipped(ESSENTIALS))
    au = LtsAU(launch_url(lms, course_id, 0)["launch_url"])
    au.start()
    assert au.do("initialized").status_code == 204
    result: dict[str, Any] = {"success": verb == "passed", "duration": "PT1S"}
    if scaled is not None:
        result["score"] = {"scaled": scaled}
    stmt = au.statement(verb, result=result, moveon=True)
    if with_ext:
        stmt["context"]["extensions"][EXT + "masteryscore"] = 0.9
    r = au.put(stmt)
    assert r.status_code == status, r.text
    if requirement:
        assert r.json()["requirement"] == requirement


# --- fetch error paths ---------------------------------------------------------------------------


def _fetch_json(url: str) -> dict[str, Any]:
    r = requests.post(url, timeout=5)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def test_8_2_3_0_1_fetch_error_paths(lms):
    """8.2.1.0-3, 8.2.2.0-1/-2/-3, 8.2.3.0-1, 8.2.3.2-1, 8.2.1.0-6: the first POST gives a Basic
    credential that opens the endpoint; a second POST, a POST after terminated and a POST after
    abandoned all answer 200 JSON with error-code "1" and no auth-token; an unknown fetch id
    answers "2"; GET is 405."""
    course_id = import_course(lms, zipped(ESSENTIALS))
    out = launch_url(lms, course_id, 0)
    first = _fetch_json(out["fetch"])
    token = base64.b64decode(first["auth-token"]).decode()
    assert token.startswith(":")  # empty user name, token as password
    again = _fetch_json(out["fetch"])
    assert again["error-code"] == "1" and again["error-text"] and "auth-token" not in again
    assert requests.get(out["fetch"], timeout=5).status_code == 405

    au = LtsAU(out["launch_url"])
    au.http.headers["Authorization"] = f"Basic {first['auth-token']}"
    assert au.get_launch_data().status_code == 200
    au.get_preferences()
    au.do("initialized")
    au.do("terminated", duration="PT1S")
    after_end = _fetch_json(out["fetch"])
    assert after_end["error-code"] == "1" and "auth-token" not in after_end

    second = launch_url(lms, course_id, 0, registration=out["registration"])
    launch_url(lms, course_id, 0, registration=out["registration"])  # abandons `second`
    after_abandon = _fetch_json(second["fetch"])
    assert after_abandon["error-code"] == "1" and "auth-token" not in after_abandon

    unknown = _fetch_json(out["fetch"].rsplit("/", 1)[0] + "/no-such-fetch-id")
    assert unknown["error-code"] in ("1", "2", "3") and "auth-token" not in unknown


# --- registration handling by the launch admin API ----------------------------------------------


def test_9_6_1_1_2_registration_generated_and_kept_per_learner(lms):
    """9.6.1.1-2, 8.1.4.0-1, 8.1.3.0-1: without a registration the LMS generates a UUID one;
    the actor is put in the URL as given; the same registration for another learner or another
    course is refused with a JSON 409; unknown course or AU index is 404."""
    course_id = import_course(lms, zipped(ESSENTIALS))
    out = launch_url(lms, course_id, 0)
    assert str(uuid.UUID(out["registration"])) == out["registration"]
    q = dict(parse_qsl(urlsplit(out["launch_url"]).query))
    assert q["registration"] == out["registration"]
    assert json.loads(q["actor"]) == LTS_ACTOR
    other = {"account": {"name": "someone-else", "homePage": LTS}}
    r = lms.admin(
        "POST",
        f"courses/{course_id}/aus/0/launches",
        json={"actor": other, "registration": out["registration"]},
    )
    assert r.status_code == 409 and r.json()["error"]
    other_course = import_course(lms, zipped(course_xml("other", au_xml("other"))))
    r = lms.admin(
        "POST",
        f"courses/{other_course}/aus/0/launches",
        json={"actor": LTS_ACTOR, "registration": out["registration"]},
    )
    assert r.status_code == 409
    assert lms.admin("POST", "courses/nope/aus/0/launches", json={}).status_code == 404
    assert lms.admin("POST", f"courses/{course_id}/aus/1/launches", json={}).status_code == 404
    given = str(uuid.uuid4())
    assert launch_url(lms, course_id, 0, registration=given.upper())["registration"] == given


def test_4_2_0_0_2_registration_statements_readable_with_the_lms_account(lms):
    """4.2.0.0-2, 9.3.0.0-9: everything written for a registration (LMS and AU statements) is
    readable by the LMS account both on the xAPI endpoint and through the admin API, in the
    same order; the registration record lists its sessions and per-AU progress."""
    out, _au = run_essentials(lms)
    via_lrs = [s["id"] for s in reg_statements(lms, out["registration"])]
    via_admin = lms.admin("GET", f"registrations/{out['registration']}/statements").json()
    assert [row["statement"]["id"] for row in via_admin] == via_lrs
    info = lms.admin("GET", f"registrations/{out['registration']}").json()
    assert [s["id"] for s in info["sessions"]] == [out["session_id"]]
    assert info["sessions"][0]["state"] == "terminated"
    assert info["progress"][out["au_id"]]["satisfied"] is True
