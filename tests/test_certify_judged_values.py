"""Checks that used to pass what they should not, each proved both ways on a loopback LMS.

LMS.LaunchData without moveOn or launchMode (cmi5 §10.2), learner preferences that are no
preferences document (cmi5 §11, 11.0.0.0-5), a launch whose activityId is not the AU's when
certify knows it (cmi5 8.1.5.0-4), and a statement POST answered 200 without the statement ids
(xAPI-C §2.1.2): each gets WARN or FAIL with the value shown and the rule cited.
"""

from __future__ import annotations

import json

import pytest

from fake_lms.findings import ABSENT
from harness.certify.context import CertInputs
from harness.certify.run import certify
from tests.real_lms import ACTIVITY, SESSION_EXTENSION, RealLMS, real_lms

TEMPLATE = {"extensions": {SESSION_EXTENSION: "s-1"}}


def outcome(lms: RealLMS, check_id: str, **inputs):
    with real_lms(lms) as running:
        cert = certify(CertInputs([running.launch()], timeout=5, **inputs))
    return next(o for o in cert.outcomes if o.check.id == check_id)


@pytest.mark.parametrize(
    ("data", "status", "requirement", "path", "actual"),
    [
        ({"contextTemplate": TEMPLATE, "launchMode": "Normal", "moveOn": "Completed"}, "pass", "10.1.0.0-1", "", ABSENT),
        ({"contextTemplate": TEMPLATE, "launchMode": "Normal"}, "warn", "10.2.5.0-1", "$.moveOn", None),
        ({"contextTemplate": TEMPLATE, "moveOn": "Completed"}, "warn", "10.2.2.0-4", "$.launchMode", None),
        ({"contextTemplate": TEMPLATE, "launchMode": "Normal", "moveOn": "Done"}, "warn", "10.2.5.0-1", "$.moveOn", "Done"),
        ({"launchMode": "Normal", "moveOn": "Completed"}, "fail", "10.2.1.0-1", "$.contextTemplate", None),
    ],
)  # fmt: skip
def test_launch_data_holds_what_cmi5_requires(data, status, requirement, path, actual):
    found = outcome(RealLMS(launch_data=data), "cmi5.launch-data").finding
    assert (found.status, found.requirement, found.path, found.actual) == (
        status,
        requirement,
        path,
        actual,
    ), found.detail


@pytest.mark.parametrize(
    ("answer", "status", "path", "actual", "shown"),
    [
        ((404, ""), "pass", "", 404, "404"),
        ((200, '{"languagePreference": "en-US,fr-FR", "audioPreference": "on"}'), "pass", "", 200, "en-US"),
        ((200, "{}"), "fail", "$.languagePreference", None, "{}"),
        ((200, '{"success": true}'), "fail", "$.languagePreference", None, '{"success": true}'),
        ((200, "[]"), "fail", "$", [], "[]"),
        ((200, '{"languagePreference": "en US", "audioPreference": "on"}'), "fail", "$.languagePreference", "en US", "'en US'"),
        ((200, '{"languagePreference": "en-US", "audioPreference": "loud"}'), "fail", "$.audioPreference", "loud", "'loud'"),
        ((200, '{"audioPreference": "off"}'), "warn", "$.languagePreference", None, "languagePreference"),
    ],
)  # fmt: skip
def test_learner_preferences_are_a_preferences_document(answer, status, path, actual, shown):
    found = outcome(RealLMS(preferences=answer), "cmi5.learner-preferences").finding
    assert (found.status, found.requirement, found.path, found.actual) == (
        status,
        "11.0.0.0-5",
        path,
        actual,
    ), found.detail
    assert shown in found.detail  # the offending value is quoted in the words shown


def test_the_activity_id_must_be_the_aus_when_certify_knows_it():
    other = "https://lms.example/activities/another-story"
    found = outcome(RealLMS(), "launch.activity-id", expected_activity_id=other).finding
    assert (found.status, found.requirement, found.path, found.expected, found.actual) == (
        "fail",
        "8.1.5.0-4",
        "query:activityId",
        other,
        ACTIVITY,
    )
    assert ACTIVITY in found.detail and other in found.detail
    assert outcome(RealLMS(), "launch.activity-id", expected_activity_id=ACTIVITY).status == "pass"
    assert outcome(RealLMS(), "launch.activity-id").status == "pass"


SUCCESS = (200, "application/json", json.dumps({"success": True}))


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (SUCCESS, 'answered 200 {"success": true} without the statement ids'),
        ((200, "application/json", '["not-the-sent-id"]'), "without the sent id"),
        (
            (204, "application/json", ""),
            "answered 204 with an empty body without the statement ids",
        ),
        ((200, "application/json", "[]"), "answered 200 with an empty list of ids"),
    ],
)
def test_a_statement_post_is_stored_only_when_the_answer_carries_its_id(answer, shown):
    lms = RealLMS(strict=False, statement_answer=answer)
    with real_lms(lms) as running:
        cert = certify(CertInputs([running.launch(), running.launch()], timeout=5))
    found = {o.check.id: o for o in cert.outcomes}
    for check_id in ("statement.completed", "cmi5.session"):
        finding = found[check_id].finding
        assert (finding.status, finding.requirement, finding.path) == ("fail", "xAPI-C §2.1.2", "$")
        assert finding.actual == json.loads(answer[2] or "null")
        assert shown in finding.detail


def test_a_statement_post_answered_with_its_id_passes():
    with real_lms(RealLMS(strict=False)) as running:
        cert = certify(CertInputs([running.launch(), running.launch()], timeout=5))
    found = {o.check.id: o.status for o in cert.outcomes}
    assert found["statement.completed"] == found["cmi5.session"] == "pass"
