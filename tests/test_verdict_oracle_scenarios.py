"""Verdict oracle: every scenario check, and `assert_received`, proved right both ways.

For each check registered in `harness.checks`, one expectation is judged against real runs of
the reference story on the real fake LMS: a right behaviour must make it PASS, and each wrong
behaviour (a mutant story, a quirky or enforcing LMS, the other behaviour profile) must make it
FAIL. The expectation is the same in both, so a verdict can only change with the behaviour.
A check registered without oracle cases fails `test_every_registered_check_has_oracle_cases`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.checks import REGISTRY, evaluate
from harness.story.behaviour import COMPLETED
from harness.testing import IsolatedLMS, StoryRun, StoryServer, assert_received, launch_story

INITIALIZED = "http://adlnet.gov/expapi/verbs/initialized"
TERMINATED = "http://adlnet.gov/expapi/verbs/terminated"
RETURN_URL = "#returned-to-lms"


@dataclass(frozen=True)
class Behaviour:
    """A story and an LMS: the reference or a mutant, a profile, the LMS's mode and quirks."""

    name: str
    story: dict[str, Any] = field(default_factory=dict)  # launch_story keyword arguments
    mode: str | None = None
    quirks: tuple[str, ...] = ()

    def run(self, lms: IsolatedLMS, story: StoryServer) -> StoryRun:
        if self.mode or self.quirks:
            lms.configure(mode=self.mode, quirks=list(self.quirks))
        return launch_story(lms, story, **self.story)


def mutant(name: str) -> Behaviour:
    return Behaviour(f"mutant {name}", {"mutant": name})


def quirk(name: str) -> Behaviour:
    return Behaviour(f"quirk {name}", quirks=(name,))


REFERENCE = Behaviour("reference story, observing LMS")
CMI5_FULL = Behaviour("cmi5-full story, enforcing LMS", {"behaviour": "cmi5-full"}, "enforce")
CMI5_FULL_RETURN = Behaviour(
    "cmi5-full story with returnURL, enforcing LMS",
    {"behaviour": "cmi5-full", "return_url": RETURN_URL},
    "enforce",
)
DOCUMENTED_RETURN = Behaviour(
    "documented story with returnURL, enforcing LMS", {"return_url": RETURN_URL}, "enforce"
)
DOCUMENTED_ENFORCED = Behaviour("documented story, enforcing LMS", mode="enforce")
CMI5_BROWSE = Behaviour(
    "cmi5-full story in Browse mode, enforcing LMS",
    {"behaviour": "cmi5-full", "launch_mode": "Browse"},
    "enforce",
)
CMI5_REFUSED = Behaviour(
    "cmi5-full story, LMS answering 503", {"behaviour": "cmi5-full"}, quirks=("statements-503",)
)


@dataclass(frozen=True)
class Case:
    """One expectation of one check; `right` must PASS it, every one of `wrong` must FAIL it."""

    key: str
    expected: Any
    right: Behaviour
    wrong: tuple[Behaviour, ...]


NOWHERE_ELSE = {"configured": 0, "other": 0}
CASES: tuple[Case, ...] = (
    Case("outcome", "completed", REFERENCE, (quirk("statements-403"), DOCUMENTED_ENFORCED)),
    Case("reason_contains", "403", quirk("statements-403"), (quirk("statements-503"), REFERENCE)),
    Case(
        "statements",
        {"launch": 1, **NOWHERE_ELSE},
        REFERENCE,
        (
            mutant("ignores-endpoint"),
            mutant("sends-twice"),
            mutant("capitalised-context"),
            quirk("drops-statements"),
            quirk("statements-401"),
        ),
    ),
    Case(
        "refused",
        {"launch": 0, **NOWHERE_ELSE},
        REFERENCE,
        (mutant("capitalised-context"), quirk("statements-401"), DOCUMENTED_ENFORCED),
    ),
    Case(
        "refused_requests",
        {"launch": 0, **NOWHERE_ELSE},
        REFERENCE,
        (quirk("statements-401"), DOCUMENTED_ENFORCED, CMI5_REFUSED),
    ),
    Case("credentials", "fetch-token", REFERENCE, (mutant("prefers-api-key"),)),
    Case("fetch_calls", 1, REFERENCE, (mutant("fetch-twice"),)),
    Case("fetch_method", "POST", REFERENCE, (mutant("fetch-by-get"),)),
    Case("statement_url_clean", True, REFERENCE, (mutant("double-slash"),)),
    Case(
        "fields",
        {"actor": "$launch.actor", "context.registration": "$launch.registration"},
        REFERENCE,
        (
            mutant("drops-registration"),
            mutant("alters-actor"),
            mutant("registration-from-config"),
            mutant("capitalised-context"),
        ),
    ),
    Case(
        "sent_fields",
        {"actor": "$launch.actor", "object.id": "$launch.activity_id"},
        REFERENCE,
        (mutant("alters-actor"), mutant("wrong-object-id")),
    ),
    Case("absent", ["actor.name", "Context"], REFERENCE, (mutant("alters-actor"),)),
    Case("verb_id", COMPLETED, REFERENCE, (mutant("verb-display-only"),)),
    Case("utc_timestamp", True, REFERENCE, (mutant("non-utc-timestamp"),)),
    Case("uuid_id", True, REFERENCE, (mutant("random-statement-id-missing"),)),
    Case("version_header", "1.0.3", REFERENCE, (mutant("no-version-header"),)),
    Case("cmi5_verdicts", "none", CMI5_FULL, (REFERENCE, DOCUMENTED_ENFORCED)),
    Case("cmi5_verdicts", "9.3.0.0-4", REFERENCE, (CMI5_FULL,)),
    Case("xapi_valid", True, REFERENCE, (mutant("capitalised-context"),)),
    Case("statuses", [200], REFERENCE, (quirk("statements-503"), mutant("sends-twice"))),
    Case("redirect", RETURN_URL, CMI5_FULL_RETURN, (DOCUMENTED_RETURN,)),
    Case("cmi5_verdicts_include", ["11.0.0.0-3", "9.3.0.0-4"], REFERENCE, (CMI5_FULL,)),
    Case(
        "fetch_verdicts",
        ["8.2.1.0-3"],
        REFERENCE,
        (mutant("fetch-twice"), mutant("fetch-by-get"), quirk("fetch-application-error")),
    ),
    Case("authorization_scheme", "Basic", REFERENCE, (mutant("token-without-basic"),)),
    Case("verbs", [COMPLETED], REFERENCE, (mutant("sends-twice"), mutant("verb-display-only"))),
    Case(
        "delivered",
        "launch",
        REFERENCE,
        (
            mutant("ignores-endpoint"),
            quirk("statements-401"),
            quirk("drops-statements"),
            DOCUMENTED_ENFORCED,
        ),
    ),
    Case("delivered", "none", quirk("fetch-application-error"), (REFERENCE,)),
    Case(
        "completed",
        True,
        REFERENCE,
        (mutant("sends-twice"), mutant("verb-display-only"), quirk("statements-503")),
    ),
    Case("completed", False, CMI5_BROWSE, (REFERENCE, CMI5_FULL)),
    Case("cmi5_session", True, CMI5_FULL, (REFERENCE, CMI5_REFUSED)),
    Case("cmi5_session", False, REFERENCE, (CMI5_FULL,)),
    Case(
        "every_statement",
        {"context.registration": "$launch.registration", "actor": "$launch.actor"},
        CMI5_FULL,
        (mutant("drops-registration"), mutant("alters-actor"), quirk("statements-403")),
    ),
)


def _pairs() -> list[Any]:
    out = []
    for case in CASES:
        out.append(pytest.param(case, case.right, True, id=f"{case.key}-PASS-{case.right.name}"))
        out += [
            pytest.param(case, wrong, False, id=f"{case.key}-FAIL-{wrong.name}")
            for wrong in case.wrong
        ]
    return out


PAIRS = _pairs()


@pytest.mark.parametrize(("case", "behaviour", "passes"), PAIRS)
def test_check_verdict(fake_lms, weare_story, case: Case, behaviour: Behaviour, passes: bool):
    run = behaviour.run(fake_lms, weare_story)

    [result] = evaluate(run.evidence, {case.key: case.expected})

    assert result.passed is passes, result.message
    if not passes:
        assert "[rule: " in result.message  # a failure names the rule it enforces


def test_every_registered_check_has_oracle_cases():
    covered = {case.key for case in CASES}
    assert covered == set(REGISTRY.ids()), {
        "checks without oracle cases": sorted(set(REGISTRY.ids()) - covered),
        "cases for checks that do not exist": sorted(covered - set(REGISTRY.ids())),
    }
    for case in CASES:
        assert case.wrong, f"{case.key}: no wrong behaviour makes it fail"
        assert case.right not in case.wrong


# -- assert_received ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PluginCase:
    """`assert_received(run, **kwargs)`: `right` passes; each wrong fails naming `names`."""

    argument: str
    kwargs: dict[str, Any]
    right: Behaviour
    wrong: tuple[tuple[Behaviour, str], ...]


API_KEY_RUN = {"omit": ("endpoint", "fetch")}
PLUGIN_CASES: tuple[PluginCase, ...] = (
    PluginCase(
        "count",
        {"mount": "launch", "count": 1, "refused": None, "credentials": None},
        REFERENCE,
        (
            (mutant("sends-twice"), r"statements: NOT as expected.*'launch': 2"),
            (quirk("drops-statements"), r"1 not stored"),
        ),
    ),
    PluginCase(
        "refused",
        {"mount": "configured", "count": 1, "refused": 0, "credentials": "api-key"},
        Behaviour("reference story, configured API URL and key", {**API_KEY_RUN, "mutant": None}),
        (
            (
                Behaviour(
                    "mutant capitalised-context, configured API URL and key",
                    {**API_KEY_RUN, "mutant": "capitalised-context"},
                ),
                r"refused: NOT as expected.*400: invalid statement",
            ),
        ),
    ),
    PluginCase(
        "credentials",
        {"mount": "launch", "credentials": "fetch-token"},
        REFERENCE,
        ((mutant("prefers-api-key"), r"credentials: NOT as expected.*api-key"),),
    ),
    PluginCase(
        "fields",
        {"fields": {"context.registration": "$launch.registration"}},
        REFERENCE,
        ((mutant("drops-registration"), r"fields: NOT as expected.*<missing>"),),
    ),
    PluginCase(
        "elsewhere",
        {"mount": "launch", "count": 0, "elsewhere": 0, "credentials": None, "refused": None},
        Behaviour(
            "reference story, no API URL, no endpoint", {"api_url": None, "omit": ("endpoint",)}
        ),
        ((Behaviour("reference story, endpoint omitted", API_KEY_RUN), r"'configured': 1"),),
    ),
)


def _plugin_pairs() -> list[Any]:
    out = []
    for case in PLUGIN_CASES:
        right = f"{case.argument}-PASS-{case.right.name}"
        out.append(pytest.param(case, case.right, None, id=right))
        out += [
            pytest.param(case, wrong, names, id=f"{case.argument}-FAIL-{wrong.name}")
            for wrong, names in case.wrong
        ]
    return out


PLUGIN_PAIRS = _plugin_pairs()


@pytest.mark.parametrize(("case", "behaviour", "names"), PLUGIN_PAIRS)
def test_assert_received_verdict(
    fake_lms, weare_story, case: PluginCase, behaviour: Behaviour, names: str | None
):
    run = behaviour.run(fake_lms, weare_story)

    if names is None:
        assert_received(run, **case.kwargs)
    else:
        with pytest.raises(AssertionError) as failed:
            assert_received(run, **case.kwargs)
        assert re.search(names, str(failed.value), re.DOTALL), str(failed.value)


def test_oracle_pair_count(capsys):
    checks, plugin = len(PAIRS), len(PLUGIN_PAIRS)
    with capsys.disabled():
        print(
            f"\nverdict oracle: {checks} (check x behaviour) pairs over {len(CASES)} checks, "
            f"{plugin} assert_received pairs; {checks + plugin} in all"
        )
    assert checks >= 2 * len(REGISTRY)
