"""Every scenario check judged on evidence built in memory, both ways, at its boundaries.

The verdict oracle (tests/test_verdict_oracle_scenarios.py) proves each check on real runs; these
cases pin the edges a real run seldom reaches (a mix of clean and doubled-slash requests, one
requirement id among others, a count just short of its floor) and run in milliseconds, so that
`make mutation` can afford them. Each asserts the outcome only: passed, judged, the value shown.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from fake_lms.findings import Finding, difference, rule_of
from harness.checks import REGISTRY, as_dict, evaluate, session_problem, silence
from harness.evidence import Evidence, Exchange

V = "http://adlnet.gov/expapi/verbs/"
INIT, DONE, PASSED, FAILED, END = (V + v for v in ("initialized", "completed", "passed", "failed", "terminated"))  # fmt: skip
ANSWERED = V + "answered"
REGISTRATION = "6f9619ff-8b86-4011-b42d-00c04fc964ff"
ACTOR = {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "l-1"}}
ACTIVITY = "https://lms.example/activities/au-1"
LAUNCH = {
    "launch_url": "https://story.example/?endpoint=e&fetch=f&activityId=a",
    "actor": ACTOR,
    "registration": REGISTRATION,
    "activity_id": ACTIVITY,
}
ROLES = {"launch": "lms-launch", "configured": "lms-configured", "other": "lms-other"}
KEY_USER = "api-key-user"


def statement(verb: str | dict[str, Any] = DONE, **extra: Any) -> dict[str, Any]:
    """A statement sent with `verb` (an id, or the whole verb object) and `extra` properties."""
    if isinstance(verb, str):
        verb = {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}}
    stmt = {
        "id": str(uuid.uuid4()),
        "actor": ACTOR,
        "verb": verb,
        "object": {"id": ACTIVITY},
        "context": {"registration": REGISTRATION},
        "timestamp": "2024-05-01T10:00:00.000Z",
    }
    stmt.update(extra)
    return stmt


class Story:
    """The exchanges of one run, in arrival order, and what each mount stored."""

    def __init__(self, outcome: dict[str, Any] | None = None) -> None:
        self.exchanges: list[Exchange] = []
        self.stored: dict[str, list[dict[str, Any]]] = {}
        self.outcome = outcome or {}

    def request(
        self,
        method: str,
        path: str,
        *,
        role: str = "launch",
        status: int = 200,
        body: str = "",
        headers: dict[str, str] | None = None,
        verdicts: list[dict[str, Any]] | None = None,
        answer: str = "",
    ) -> Story:
        default = {"Authorization": "Basic [redacted user='']", "X-Experience-API-Version": "1.0.3"}
        self.exchanges.append(
            Exchange(
                role=role,
                seq=len(self.exchanges),
                method=method,
                path=path,
                status=status,
                headers=default if headers is None else headers,
                body=body,
                verdicts=verdicts or [],
                principal="",
                response_body=answer,
            )
        )
        return self

    def post(
        self,
        *statements: dict[str, Any],
        role: str = "launch",
        status: int = 200,
        stored: bool = True,
        path: str = "/xapi/statements",
        **kwargs: Any,
    ) -> Story:
        ids = [s.get("id") for s in statements]
        answer = kwargs.pop("answer", json.dumps(ids) if 200 <= status < 300 else "")
        if stored and 200 <= status < 300:
            self.stored.setdefault(role, []).extend(statements)
        body = json.dumps(list(statements) if len(statements) != 1 else statements[0])
        return self.request(
            "POST", path, role=role, status=status, body=body, answer=answer, **kwargs
        )

    def fetch(self, method: str = "POST", verdicts: list[dict[str, Any]] | None = None) -> Story:
        return self.request(
            method, "/fetch/abc", headers={}, verdicts=verdicts, answer='{"auth-token": "t"}'
        )

    def evidence(self) -> Evidence:
        return Evidence(
            launch=LAUNCH,
            outcome=self.outcome,
            mount_names=ROLES,
            key_users={"configured": KEY_USER},
            exchanges=self.exchanges,
            stored=self.stored,
        )


def judge(story: Story, key: str, expected: Any) -> Finding:
    [result] = evaluate(story.evidence(), {key: expected})
    assert result.check == key and rule_of(result) == REGISTRY[key].rule
    return result


CITED = re.compile(r"(?<![\d.])\d+\.\d+\.\d+\.\d+-\d+")


def passes(story: Story, key: str, expected: Any) -> bool:
    result = judge(story, key, expected)
    assert result.judged, result.message
    assert ("[rule: " in result.message) is not result.passed
    # The cmi5 requirement ids a message cites, beyond the values it quotes, are its rule's.
    quoted = set(CITED.findall(f"{result.expected!r} {result.actual!r}"))
    cited = set(CITED.findall(result.message)) - quoted
    assert cited <= set(CITED.findall(rule_of(result))), (key, cited)
    return result.passed


def nothing_to_judge(story: Story, key: str, expected: Any) -> bool:
    result = judge(story, key, expected)
    return not result.judged and not result.passed and result.actual is None


def one(verb: str = DONE, **kwargs: Any) -> Story:
    return Story().post(statement(verb), **kwargs)


# -- cmi5_verdicts: 'none' or one requirement id ---------------------------------------------------


def cmi5_recorded(*requirements: str) -> Story:
    verdicts = [{"cmi5": [{"requirement": r} for r in requirements]}] if requirements else []
    return Story().post(statement(), verdicts=verdicts)


def test_cmi5_verdicts_names_one_requirement_id_among_those_recorded():
    assert passes(cmi5_recorded("9.3.0.0-4", "11.0.0.0-3"), "cmi5_verdicts", "11.0.0.0-3")
    assert not passes(cmi5_recorded("9.3.0.0-4"), "cmi5_verdicts", "11.0.0.0-3")
    assert not passes(cmi5_recorded(), "cmi5_verdicts", "11.0.0.0-3")
    result = judge(cmi5_recorded("9.3.0.0-4", "11.0.0.0-3"), "cmi5_verdicts", "9.2.0.0-3")
    assert (result.passed, result.actual) == (False, ["11.0.0.0-3", "9.3.0.0-4"])


def test_cmi5_verdicts_none_passes_only_when_nothing_was_recorded():
    assert passes(cmi5_recorded(), "cmi5_verdicts", "none")
    assert not passes(cmi5_recorded("9.3.0.0-4"), "cmi5_verdicts", "none")
    assert nothing_to_judge(Story(), "cmi5_verdicts", "none")


def test_cmi5_verdicts_include_needs_every_listed_id():
    story = cmi5_recorded("9.3.0.0-4", "11.0.0.0-3")
    assert passes(story, "cmi5_verdicts_include", ["9.3.0.0-4", "11.0.0.0-3"])
    assert passes(story, "cmi5_verdicts_include", [])
    assert not passes(story, "cmi5_verdicts_include", ["9.3.0.0-4", "10.2.1.0-6"])


# -- statement_url_clean: every statements request, not most -------------------------------------


def test_statement_url_clean_fails_a_mix_of_clean_and_doubled_slash_requests():
    clean, doubled = "/xapi/statements", "/xapi//statements"
    mixed = Story().post(statement(), path=clean).post(statement(), path=doubled)
    result = judge(mixed, "statement_url_clean", True)
    assert (result.passed, result.actual) == (False, [clean, doubled])
    assert passes(mixed, "statement_url_clean", False)
    assert passes(one(path=clean), "statement_url_clean", True)
    assert not passes(one(path=clean), "statement_url_clean", False)
    assert not passes(one(path=doubled), "statement_url_clean", True)
    assert nothing_to_judge(Story().fetch(), "statement_url_clean", True)


# -- the rest, each both ways ----------------------------------------------------------------------


def test_outcome_and_reason():
    ended = Story({"status": "failed", "reason": "LRS answered 403 Forbidden"})
    assert passes(ended, "outcome", "failed")
    assert not passes(ended, "outcome", "completed")
    assert judge(ended, "outcome", "failed").actual == "failed"
    assert passes(ended, "reason_contains", "403 forbidden")
    assert not passes(ended, "reason_contains", "401")
    assert nothing_to_judge(Story(), "outcome", "completed")
    assert nothing_to_judge(Story({"status": ""}), "reason_contains", "x")


def test_statements_are_counted_per_mount_when_accepted():
    story = one().post(statement(), role="configured").post(statement(), stored=False)
    story.post(statement(), role="other", status=403, answer='{"error": "no"}')
    assert passes(story, "statements", {"launch": 1, "configured": 1, "other": 0})
    assert judge(story, "statements", {"launch": 1}).actual == {"launch": 1}
    assert not passes(story, "statements", {"launch": 2, "configured": 1})
    assert not passes(story, "statements", {"launch": 1, "configured": 0})
    assert passes(story, "statements", {"launch": {"at_least": 1}})
    assert not passes(story, "statements", {"launch": {"at_least": 2}})


def test_refused_statements_and_requests_per_mount():
    story = one().post(statement(), role="configured", status=400, answer='{"error": "bad"}')
    story.request("PUT", "/xapi/activities/state", role="configured", status=401)
    story.request("GET", "/xapi/about", role="launch", status=200)
    assert passes(story, "refused", {"launch": 0, "configured": 1})
    assert not passes(story, "refused", {"launch": 0, "configured": 0})
    assert not passes(story, "refused", {"launch": 1, "configured": 1})
    result = judge(story, "refused", {"configured": 1})
    assert result.actual == {"configured": 1}
    assert passes(story, "refused_requests", {"launch": 0, "configured": 2})
    assert not passes(story, "refused_requests", {"launch": 0, "configured": 1})
    preflight = Story().request("OPTIONS", "/xapi/statements", status=403)
    preflight.fetch().exchanges[-1].status = 500
    assert passes(preflight, "refused_requests", {"launch": 0})


def test_credentials_by_kind():
    token = one()
    key = one(headers={"Authorization": f"Basic [redacted user='{KEY_USER}']"})
    assert passes(token, "credentials", "fetch-token")
    assert not passes(token, "credentials", "api-key")
    assert passes(key, "credentials", "api-key")
    both = one().post(statement(), headers={"Authorization": f"Basic [redacted user='{KEY_USER}']"})
    assert judge(both, "credentials", "fetch-token").actual == ["api-key", "fetch-token"]
    assert not passes(both, "credentials", "fetch-token")
    assert passes(Story().fetch(), "credentials", "none")
    assert not passes(token, "credentials", "none")
    assert nothing_to_judge(Story().fetch(), "credentials", "fetch-token")


def test_fetch_calls_and_method():
    once, twice = Story().fetch(), Story().fetch().fetch()
    assert passes(once, "fetch_calls", 1)
    assert not passes(twice, "fetch_calls", 1)
    assert passes(Story(), "fetch_calls", 0)
    by_get = Story().request("OPTIONS", "/fetch/abc").fetch("POST").fetch("GET")
    assert passes(Story().request("OPTIONS", "/fetch/abc").fetch(), "fetch_method", "POST")
    assert not passes(by_get, "fetch_method", "POST")
    assert judge(by_get, "fetch_method", "POST").actual == ["POST", "GET"]
    assert nothing_to_judge(Story().request("OPTIONS", "/fetch/abc"), "fetch_method", "POST")


def test_fields_of_the_completion_accepted_and_sent():
    others = {"actor": {"objectType": "Agent", "mbox": "mailto:x@example.com"}}
    story = Story().post(statement(INIT)).post(statement(DONE, **others), stored=False)
    fields = {"actor": "$launch.actor", "context.registration": "$launch.registration"}
    assert passes(story, "fields", fields)  # the accepted one: initialized, launch values
    assert not passes(story, "sent_fields", fields)  # the completed one as sent: another actor
    result = judge(story, "sent_fields", {"actor": "$launch.actor", "result.score": 1})
    assert result.actual == {"actor": others["actor"], "result.score": "<missing>"}
    assert not passes(one(), "fields", {"actor": "$launch.actor", "verb.id": INIT})
    assert passes(one(), "fields", {'"object".id': "$launch.activity_id"})
    assert nothing_to_judge(one(stored=False), "fields", {"actor": "$launch.actor"})
    assert nothing_to_judge(Story(), "sent_fields", {"actor": "$launch.actor"})


def test_absent_and_verb_id():
    named = Story().post(statement(actor={**ACTOR, "name": "Learner"}))
    assert passes(one(), "absent", ["actor.name", "Context"])
    assert not passes(named, "absent", ["Context", "actor.name"])
    assert judge(named, "absent", ["actor.name"]).actual == {"present": {"actor.name": "Learner"}}
    assert passes(one(), "verb_id", DONE)
    assert not passes(one(), "verb_id", PASSED)
    no_id = Story().post(statement(verb={"display": {"en-US": "completed"}}))
    assert judge(no_id, "verb_id", DONE).actual is None
    assert nothing_to_judge(one(stored=False), "absent", ["actor.name"])


@pytest.mark.parametrize(
    ("stamp", "utc"),
    [
        ("2024-05-01T10:00:00Z", True),
        ("2024-05-01T10:00:00+00:00", True),
        ("2024-05-01T10:00:00+0000", True),
        ("2024-05-01T10:00:00+00", True),
        ("2024-05-01T10:00:00+02:00", False),
        ("2024-05-01T10:00:00Z ", False),
        (None, False),
    ],
)
def test_utc_timestamp_of_every_statement(stamp, utc):
    story = one().post(statement(timestamp=stamp))
    assert passes(story, "utc_timestamp", utc)
    assert not passes(story, "utc_timestamp", not utc)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (REGISTRATION, True),
        (REGISTRATION.upper(), True),
        ("6f9619ff8b864011b42d00c04fc964ff", False),
        ("{6f9619ff-8b86-4011-b42d-00c04fc964ff}", False),
        ("not-a-uuid", False),
        (42, False),
        (None, False),
    ],
)
def test_uuid_id_of_every_statement(value, ok):
    story = one().post(statement(id=value))
    assert passes(story, "uuid_id", ok)
    assert not passes(story, "uuid_id", not ok)


def test_version_header_and_authorization_scheme_on_every_request():
    plain = {"Authorization": "Basic x", "X-Experience-API-Version": "1.0.3"}
    bearer = {"authorization": "Bearer x", "x-experience-api-version": "1.0.0"}
    story = one(headers=plain).post(statement(), headers=bearer)
    assert passes(one(headers=plain), "version_header", "1.0.3")
    assert not passes(story, "version_header", "1.0.3")
    assert judge(story, "version_header", "1.0.3").actual == ["1.0.3", "1.0.0"]
    assert passes(one(headers=plain), "authorization_scheme", "Basic")
    assert not passes(story, "authorization_scheme", "Basic")
    assert judge(one(headers={}), "authorization_scheme", "Basic").actual == [""]
    assert nothing_to_judge(Story(), "version_header", "1.0.3")
    assert nothing_to_judge(Story(), "authorization_scheme", "Basic")


def test_xapi_valid_and_statuses():
    story = one().post(statement(), status=400, answer='{"error": "bad verb"}').post(statement())
    assert passes(one(), "xapi_valid", True)
    assert not passes(one(), "xapi_valid", False)
    assert not passes(story, "xapi_valid", True)
    assert passes(story, "xapi_valid", False)
    assert passes(one(status=403), "xapi_valid", True)  # refused, not invalid
    assert passes(story, "statuses", [200, 400, 200])
    assert not passes(story, "statuses", [200, 200])
    assert passes(Story(), "statuses", [])
    assert nothing_to_judge(Story(), "xapi_valid", True)


def test_redirect_to_return_url():
    back = Story({"status": "completed", "redirect": "#returned"})
    assert passes(back, "redirect", "#returned")
    assert not passes(back, "redirect", "#elsewhere")
    assert not passes(Story({"status": "completed"}), "redirect", "#returned")


def test_fetch_verdicts_in_order_preflights_aside():
    story = Story().request("OPTIONS", "/fetch/abc", verdicts=[{"requirement": "x"}])
    story.fetch(verdicts=[{"requirement": "8.2.1.0-3"}, {"note": "no requirement"}])
    story.fetch(verdicts=[{"requirement": "8.2.3.0-1"}])
    assert passes(story, "fetch_verdicts", ["8.2.1.0-3", "8.2.3.0-1"])
    assert not passes(story, "fetch_verdicts", ["8.2.1.0-3"])


def test_verbs_sent_in_order():
    story = one(INIT).post(statement(verb={"display": {}}), stored=False)
    assert passes(story, "verbs", [INIT, None])
    assert not passes(story, "verbs", [INIT])
    assert not passes(story, "verbs", [None, INIT])


def test_every_statement_carries_the_launch_values():
    wanted = {"context.registration": "$launch.registration", "object.id": "$launch.activity_id"}
    answered = statement(ANSWERED, object={"id": "https://lms.example/q/1"})
    assert passes(one(INIT).post(answered), "every_statement", wanted)
    other_object = statement(DONE, object={"id": "https://lms.example/q/1"})
    assert not passes(one(INIT).post(other_object), "every_statement", wanted)
    unregistered = statement(DONE, context={})
    result = judge(one(INIT).post(unregistered), "every_statement", wanted)
    assert (result.passed, result.actual) == (
        False,
        [{"statement": 1, "context.registration": "<missing>"}],
    )
    assert nothing_to_judge(one(stored=False), "every_statement", wanted)


def test_delivered_to_one_mount_and_accepted_there():
    assert passes(one(), "delivered", "launch")
    assert not passes(one(), "delivered", "configured")
    assert not passes(one().post(statement(), role="configured"), "delivered", "launch")
    assert not passes(one().post(statement(), stored=False), "delivered", "launch")
    assert not passes(one(status=401), "delivered", "launch")
    assert judge(one().post(statement()), "delivered", "launch").actual == {"launch": 2}
    assert passes(Story().fetch(), "delivered", "none")
    assert not passes(one(), "delivered", "none")
    assert nothing_to_judge(Story().fetch(), "delivered", "launch")


def test_completed_once_per_registration():
    other = statement(DONE, context={"registration": str(uuid.uuid4())})
    assert passes(one(), "completed", True)
    assert passes(one().post(other), "completed", True)
    assert not passes(one().post(statement(DONE)), "completed", True)
    upper = statement(DONE, context={"registration": REGISTRATION.upper()})
    assert not passes(one().post(upper), "completed", True)
    assert not passes(one(stored=False), "completed", True)
    assert not passes(one(status=503), "completed", True)
    assert not passes(one(INIT), "completed", True)
    assert nothing_to_judge(Story(), "completed", True)
    assert passes(one(INIT), "completed", False)
    assert passes(Story(), "completed", False)
    for verb in (DONE, PASSED, FAILED):
        assert not passes(one(verb, status=503), "completed", False)
    assert judge(one(INIT).post(statement(PASSED)), "completed", False).actual == ["passed"]


@pytest.mark.parametrize(
    ("verbs", "session"),
    [
        ([INIT, ANSWERED, PASSED, DONE, END], True),
        ([INIT, END], True),
        ([DONE, END], False),
        ([INIT, DONE], False),
        ([INIT, END, ANSWERED], False),
        ([INIT, DONE, DONE, END], False),
        ([INIT, PASSED, FAILED, END], False),
    ],
)
def test_cmi5_session_both_ways(verbs, session):
    story = Story()
    for verb in verbs:
        story.post(statement(verb))
    assert passes(story, "cmi5_session", session)
    assert not passes(story, "cmi5_session", not session)


def test_a_check_with_nothing_to_judge_fails_unjudged_naming_its_rule():
    [result] = evaluate(Story().evidence(), {"uuid_id": True})
    assert (result.passed, result.judged, result.actual) == (False, False, None)
    assert "nothing to judge" in result.message and REGISTRY["uuid_id"].rule in result.message


def test_every_expectation_is_judged_in_the_order_given():
    results = evaluate(one().evidence(), {"verb_id": DONE, "fetch_calls": 1, "uuid_id": True})
    assert [(r.check, r.passed) for r in results] == [
        ("verb_id", True),
        ("fetch_calls", False),
        ("uuid_id", True),
    ]


def test_a_result_as_the_report_shows_it():
    [result] = evaluate(one().evidence(), {"fetch_calls": 1})
    assert as_dict(result) == {
        "name": "fetch_calls",
        "rule": REGISTRY["fetch_calls"].rule,
        "passed": False,
        "judged": True,
        "expected": 1,
        "actual": 0,
        "message": result.message,
    }
    [unjudged] = evaluate(Story().evidence(), {"verbs": [DONE], "uuid_id": True})[1:]
    assert (as_dict(unjudged)["judged"], as_dict(unjudged)["actual"]) == (False, None)


def test_a_message_says_verdict_values_difference_detail_and_rule():
    story = one().post(statement(), role="configured", status=403, answer='{"error": "no"}')
    [failed] = evaluate(story.evidence(), {"statements": {"launch": 2, "configured": 0}})
    rule = REGISTRY["statements"].rule
    assert (failed.expected, failed.actual) == ({"launch": 2, "configured": 0}, {"launch": 1, "configured": 0})  # fmt: skip
    assert failed.message == (
        "statements: NOT as expected: expected {'launch': 2, 'configured': 0}, got "
        "{'launch': 1, 'configured': 0} [differs at launch: 1 for 2] (statements accepted per "
        "mount; configured: 1 sent, 0 accepted, 1 refused, 0 not stored (403: no)) "
        f"[rule: {rule}]"
    )
    [passed] = evaluate(one().evidence(), {"fetch_calls": 0})
    assert passed.message == "fetch_calls: as expected: expected 0, got 0 (calls to the fetch URL)"
    [unjudged] = evaluate(Story().evidence(), {"uuid_id": True})
    assert unjudged.expected is True
    assert unjudged.message == (
        "uuid_id: nothing to judge: the story sent no statement, so expected True cannot be "
        f"confirmed [rule: {REGISTRY['uuid_id'].rule}]"
    )


def test_refusals_are_listed_once_each_in_the_detail():
    story = Story().post(statement(), status=400, answer='{"error": "bad"}')
    story.post(statement(), status=400, answer='{"error": "bad"}')
    story.post(statement(), status=400, answer='{"error": "worse"}')
    result = judge(story, "refused", {"launch": 3})
    assert result.message.endswith(
        "(statements refused per mount; launch: 400: bad; launch: 400: worse)"
    )


def test_where_values_differ():
    assert difference({"a": None}, {}) == "a: '<missing>' for None"
    assert difference({"a": 1, "b": 2}, {"a": 1, "b": 3}) == "b: 3 for 2"
    assert difference({"n": {"at_least": 2}}, {"n": 1}) == "n: 1 for {'at_least': 2}"
    assert difference({"n": {"at_least": 2}}, {"n": "2"}) == "n: '2' for {'at_least': 2}"
    assert difference({"n": 3}, {"n": 3}) == ""
    assert difference([1, 2, 3], [1, 2]) == "2 items for 3"
    assert difference(1, 2) == ""


def test_cmi5_verdicts_read_only_the_cmi5_rules_recorded():
    story = Story().post(statement(), verdicts=[{"requirement": "8.2.1.0-3"}])
    assert passes(story, "cmi5_verdicts", "none")


@pytest.mark.parametrize(
    ("verbs", "problem"),
    [
        ([INIT, END, ANSWERED, DONE], "2 statement(s) after terminated, first "
         f"'{ANSWERED}' (cmi5 9.3.8.0-2, 9.3.0.0-5)"),
        ([INIT, DONE], "no terminated statement ends the session (cmi5 9.3.8.0-1)"),
        ([INIT, PASSED, FAILED, END], "both passed and failed in one session (cmi5 9.3.0.0-3)"),
        ([INIT, DONE, DONE, END], f"{DONE} sent 2 times in one session (cmi5 9.3.0.0-2)"),
        ([DONE], f"the first statement is '{DONE}', not initialized (cmi5 9.3.2.0-2, 9.3.0.0-4)"),
        ([], None),
    ],
)  # fmt: skip
def test_the_session_problem_named_exactly(verbs, problem):
    assert session_problem(verbs) == problem


def test_differences_are_listed_up_to_four_keys_and_across_mounts():
    five = {k: 1 for k in "abcde"}
    assert (
        difference(five, dict.fromkeys(five, 2)) == "a: 2 for 1; b: 2 for 1; c: 2 for 1; d: 2 for 1"
    )
    story = one(status=503).post(statement(), role="configured", status=503)
    result = judge(story, "statements", {"launch": 1, "configured": 1})
    assert "launch: 1 sent, 0 accepted, 1 refused, 0 not stored (503); configured: 1 sent" in (
        result.message
    )
    [fields] = evaluate(one().evidence(), {"fields": {"actor": "$launch.actor"}})
    assert fields.passed and "differs at" not in fields.message


def test_silence_reads_a_launch_url_written_with_html_entities():
    launch = {"launch_url": "https://story.example/?fetch=f&amp;endpoint=e"}
    evidence = Evidence(launch=launch, outcome={}, mount_names={}, key_users={})
    assert silence(evidence, "at 'launch'") == (
        "the story sent no statement (expected them at 'launch')"
    )


def test_each_expectation_is_judged_after_one_with_nothing_to_judge():
    results = evaluate(Story().evidence(), {"uuid_id": True, "fetch_calls": 0})
    assert [(r.check, r.judged, r.passed) for r in results] == [
        ("uuid_id", False, False),
        ("fetch_calls", True, True),
    ]


def test_what_became_of_refused_statements_lists_each_answer():
    """The statements check says per mount how many were sent, accepted, refused, not stored,
    and quotes the LRS's answers one after another."""
    story = one().post(statement(), role="configured", status=400, answer='{"error": "bad"}')
    story.post(statement(), role="configured", status=403, answer='{"error": "no"}')
    result = judge(story, "statements", {"launch": 1, "configured": 0})
    assert result.detail == (
        "statements accepted per mount; configured: 2 sent, 0 accepted, 2 refused,"
        " 0 not stored (400: bad; 403: no)"
    )


def test_the_fields_checks_say_which_statement_they_read():
    fields = {"actor": "$launch.actor"}
    assert judge(one(), "fields", fields).detail == "fields of the accepted completion statement"
    sent = judge(one(), "sent_fields", fields).detail
    assert sent == "fields of the sent completion statement"


def test_a_verdict_without_words_has_none():
    from harness.checks import seen

    assert seen(False, 3) == Finding("fail", "", actual=3)
    assert seen(True, [1]).detail == ""
