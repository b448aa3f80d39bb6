"""What the check decorators register, proved where mutation testing cannot reach.

The decorators run when a module is imported, before `make mutation` switches a mutant on, so a
wrong row, requirement id, severity or key there changes no test outcome under mutmut. These
tests hold the registries to their sources instead: the cmi5 rules to the rules doc's rejection
table (tests/data/rejection_table_ids.json), the scenario checks to the scenario schema and to
their boundary cases, certify's checks to their severities and boundary cases; and they call the
decorators themselves, so their refusals of bad metadata are proved at run time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import harness.certify.checks  # noqa: F401  (registers certify's checks)
from fake_lms.cmi5 import rules
from fake_lms.registry import Registry
from harness import checks
from harness.certify.registry import BEHAVIOURS, BLOCKER, REGISTRY, WARNING
from harness.evidence import Evidence

ROOT = Path(__file__).resolve().parent.parent
TABLE = json.loads((ROOT / "tests" / "data" / "rejection_table_ids.json").read_text())
SCHEMA = json.loads((ROOT / "harness" / "schemas" / "scenario.schema.json").read_text())


# -- fake_lms.cmi5.rules ---------------------------------------------------------------------------


def test_every_rule_names_ids_its_rejection_table_row_lists():
    also = {(a["row"], a["id"]) for a in TABLE["also"]}
    for check in rules.CHECKS:
        allowed = set(TABLE["rows"][str(check.row)]) | {i for r, i in also if r == check.row}
        ids = check.requirement.split(", ")
        assert set(ids) <= allowed, (check.name, check.row, sorted(set(ids) - allowed))
        assert len(ids) == len(set(ids)), check.name
    used = {(c.row, i) for c in rules.CHECKS for i in c.requirement.split(", ")}
    assert also <= used, "an exception the registry no longer needs"


def test_every_row_but_xapi_validity_has_a_rule_in_row_order():
    assert {c.row for c in rules.CHECKS} == set(range(1, 36))  # row 36 is xAPI validation's
    assert [c.row for c in rules.CHECKS] == sorted(c.row for c in rules.CHECKS)
    assert len({c.name for c in rules.CHECKS}) == len(rules.CHECKS)
    assert {c.scope for c in rules.CHECKS} == set(rules.SCOPES)


@pytest.mark.parametrize(
    ("metadata", "named"),
    [
        ({"requirement": "9.3.0.0-4 (d)"}, "requirement '9.3.0.0-4 (d)'"),
        ({"requirement": "9.3.0.0-4,9.3.0.0-5"}, "requirement '9.3.0.0-4,9.3.0.0-5'"),
        ({"scope": "statements"}, "scope 'statements' is not one of statement, token"),
        ({"section": "§9.3"}, "section '§9.3' does not start with 'cmi5 §'"),
    ],
)
def test_a_rule_with_bad_metadata_is_refused_when_declared(metadata, named):
    given = {"row": 4, "requirement": "9.3.0.0-4", "section": "cmi5 §9.3", **metadata}
    with pytest.raises(ValueError, match="rule for row 4") as refused:
        rules.rule(**given)
    assert named in str(refused.value)


def test_a_rule_with_good_metadata_is_declared(monkeypatch):
    monkeypatch.setattr(rules, "_REGISTERED", Registry("cmi5 check", lambda c: c.name))
    register = rules.rule(row=4, requirement="9.3.0.0-4, 7.1.1.0-1", section="cmi5 §9.3")

    def probe(s, view):
        return []

    assert register(probe) is probe
    scoped = rules.rule(row=33, requirement="10.2.1.0-5", section="cmi5 §10.2.1", scope="state")

    def state_probe(req, view):
        return []

    assert scoped(state_probe) is state_probe
    assert list(rules._REGISTERED) == [
        rules.Check(4, "9.3.0.0-4, 7.1.1.0-1", "probe", probe, "cmi5 §9.3", "statement"),
        rules.Check(33, "10.2.1.0-5", "state_probe", state_probe, "cmi5 §10.2.1", "state"),
    ]


def test_the_rules_are_frozen_in_row_order_keeping_file_order_within_a_row(monkeypatch):
    monkeypatch.setattr(rules, "_REGISTERED", Registry("cmi5 check", lambda c: c.name))
    for name, row in (("fifth", 5), ("second", 2), ("fifth_too", 5), ("first", 1)):
        rules.rule(row=row, requirement="9.3.0.0-4", section="cmi5 §9.3")(_named(name))
    assert [(c.row, c.name) for c in rules._freeze()] == [
        (1, "first"),
        (2, "second"),
        (5, "fifth"),
        (5, "fifth_too"),
    ]


@pytest.mark.parametrize(
    ("scope", "names"),
    [
        ("token", ["token_not_fetched", "token_of_ended_session"]),
        (
            "state",
            [
                "state_registration_not_launch_registration",
                "launch_data_write",
                "state_agent_not_launch_actor",
            ],
        ),
        ("agent_profile", ["profile_agent_not_launch_actor", "learner_prefs_malformed"]),
    ],
)
def test_each_entry_point_runs_the_checks_of_its_scope_in_row_order(scope, names):
    assert [c.name for c in rules._scoped(scope)] == names
    statement = [c.name for c in rules._scoped("statement")]
    assert statement == [c.name for c in rules.CHECKS if c.scope == "statement"]
    assert statement[:3] == [
        "statement_after_session_end",
        "statement_before_learner_prefs",
        "statement_before_initialized",
    ]


def _named(name: str):
    def func(s, view):
        return []

    func.__name__ = name
    return func


# -- harness.checks --------------------------------------------------------------------------------


def test_every_scenario_check_is_a_key_the_schema_allows_and_has_boundary_cases():
    expect = SCHEMA["$defs"]["scenario"]["properties"]["expect"]["properties"]
    assert set(checks.REGISTRY.ids()) == set(expect)
    assert [c.key for c in checks.REGISTRY] == checks.REGISTRY.ids()
    cases = (ROOT / "tests" / "test_check_verdicts.py").read_text()
    for registered in checks.REGISTRY:
        key = registered.key
        assert checks.REGISTRY[key] is registered
        assert registered.rule == f"{registered.source}: {registered.text}"
        assert registered.text and registered.source, key
        assert f'"{key}"' in cases, f"{key}: no boundary case in tests/test_check_verdicts.py"


def test_a_scenario_check_is_registered_once_under_its_key(monkeypatch):
    monkeypatch.setattr(checks, "REGISTRY", Registry("check key", lambda c: c.key))

    def probe(ev, expected):
        return True, expected, ""

    assert checks.check("probe-key", rule="a rule", source="a source")(probe) is probe
    assert checks.REGISTRY["probe-key"] == checks.Check("probe-key", "a rule", "a source", probe)
    with pytest.raises(ValueError, match="'probe-key' is registered twice"):
        checks.check("probe-key", rule="another", source="s")(probe)
    assert checks.REGISTRY["probe-key"].text == "a rule"


def test_a_guard_lets_a_check_judge_only_what_is_there():
    evidence = Evidence(launch={}, outcome={}, mount_names={}, key_users={})

    def judged(ev, expected):
        return True, expected, "judged"

    missing = checks._requires(lambda ev: [], "nothing there")(judged)
    present = checks._requires(lambda ev: ["x"], "nothing there")(judged)
    with pytest.raises(checks.NothingToJudge, match=r"^nothing there$"):
        missing(evidence, 1)
    assert present(evidence, 1) == (True, 1, "judged")
    assert present.__name__ == "judged"


# -- harness.certify.checks ------------------------------------------------------------------------


def test_every_certify_check_has_a_severity_behaviours_and_boundary_cases():
    cases = (ROOT / "tests" / "test_certify_check_table.py").read_text()
    assert len({c.id for c in REGISTRY}) == len(REGISTRY)
    for registered in REGISTRY:
        assert registered.severity in (BLOCKER, WARNING), registered.id
        assert set(registered.behaviours) <= set(BEHAVIOURS) and registered.behaviours
        assert not registered.core or registered.severity == BLOCKER, registered.id
        assert registered.title and registered.source and registered.why and registered.fix
        assert f'"{registered.id}"' in cases, f"{registered.id}: no boundary case"
    cores = {c.id: c.behaviours for c in REGISTRY if c.core}
    assert cores == {"statement.completed": ("weare-documented",), "cmi5.session": ("cmi5-full",)}
