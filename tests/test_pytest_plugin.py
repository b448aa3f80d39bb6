"""The pytest plugin as a QA engineer uses it: fixtures by name, the helpers, the entry point."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
import requests

from harness.testing import assert_received, launch_story
from tests.loopback import free_port

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "test_weare_example.py"
AU_URL = "https://au.example.com/story/index.html"


# -- endpoint and fetch precedence (the seed's rules) --------------------------------------------


@pytest.mark.parametrize(
    ("omit", "arrives_at", "accepted", "refused"),
    [((), "launch", 1, 0), (("endpoint",), "configured", 0, 1)],
    ids=["endpoint-given", "endpoint-omitted"],
)
def test_endpoint_parameter_wins_over_the_configured_api_url(
    fake_lms, weare_story, omit, arrives_at, accepted, refused
):
    run = launch_story(fake_lms, weare_story, omit=omit)

    assert run.destination == fake_lms.endpoint(arrives_at)
    # The launch's token opens the launch's LRS only: the configured LRS refuses it (401).
    assert_received(
        run, mount=arrives_at, count=accepted, refused=refused, credentials="fetch-token"
    )


def test_without_endpoint_or_api_url_the_story_fails_and_sends_nothing(fake_lms, weare_story):
    run = launch_story(fake_lms, weare_story, api_url=None, omit=("endpoint",))

    assert run.status == "failed"
    assert "no destination" in run.reason
    assert_received(run, count=0)


@pytest.mark.parametrize(
    ("omit", "credentials", "fetch_calls"),
    [((), "fetch-token", 1), (("fetch",), "api-key", 0)],
    ids=["fetch-given", "fetch-omitted"],
)
def test_fetch_parameter_wins_over_the_configured_api_key(
    fake_lms, weare_story, omit, credentials, fetch_calls
):
    run = launch_story(fake_lms, weare_story, omit=omit)

    assert run.credentials == credentials
    assert_received(run, credentials=credentials, fetch_calls=fetch_calls)


def test_without_fetch_or_api_key_the_failure_names_the_missing_credentials(fake_lms, weare_story):
    run = launch_story(fake_lms, weare_story, api_key=None, omit=("fetch",))

    with pytest.raises(AssertionError, match="no credentials"):
        assert_received(run)


# -- mutants are caught, with the rule in the message ------------------------------------------


def _mutant(name: str, rule: str, **expect):
    return pytest.param(name, expect, rule, id=name)


@pytest.mark.parametrize(
    ("mutant", "expect", "rule"),
    [
        _mutant("ignores-endpoint", "endpoint query parameter has precedence"),
        _mutant("prefers-api-key", "fetch query parameter has precedence"),
        _mutant("sends-twice", "statements accepted per mount"),
        _mutant("fetch-twice", "8.2.3.0-1", fetch_calls=1),
        _mutant(
            "drops-registration",
            "8.1.4.0-3",
            fields={"context.registration": "$launch.registration"},
        ),
    ],
)
def test_assert_received_catches_a_mutant(fake_lms, weare_story, mutant, expect, rule):
    run = launch_story(fake_lms, weare_story, mutant=mutant)

    with pytest.raises(AssertionError, match=re.escape(rule)):
        assert_received(run, **expect)


def test_the_reference_story_passes_what_the_mutants_fail(fake_lms, weare_story):
    run = launch_story(fake_lms, weare_story)

    results = assert_received(
        run,
        fields={"actor": "$launch.actor", "context.registration": "$launch.registration"},
        fetch_calls=1,
        fetch_method="POST",
        utc_timestamp=True,
        version_header="1.0.3",
    )
    assert all(r.passed for r in results)


def test_unknown_check_is_a_usage_error_not_a_failure(fake_lms, weare_story):
    run = launch_story(fake_lms, weare_story)

    with pytest.raises(TypeError, match="unknown check"):
        assert_received(run, fetch_count=1)


# -- isolation: every test gets its own mounts -----------------------------------------------------

_SEEN_MOUNTS: set[str] = set()


@pytest.mark.parametrize("attempt", [1, 2])
def test_a_test_sees_no_statements_of_another(fake_lms, weare_story, attempt):
    mounts = {fake_lms.mount(role) for role in ("launch", "configured", "other")}
    assert not mounts & _SEEN_MOUNTS, "mount names are reused across tests"
    _SEEN_MOUNTS.update(mounts)
    assert fake_lms.statements("launch") == []
    assert fake_lms.journal("launch") == []

    launch_story(fake_lms, weare_story)

    assert len(fake_lms.statements("launch")) == 1


def test_each_story_run_in_a_test_is_judged_on_its_own(fake_lms, weare_story):
    first = launch_story(fake_lms, weare_story)
    second = launch_story(fake_lms, weare_story, omit=("endpoint", "fetch"))

    assert_received(first, mount="launch")
    assert_received(second, mount="configured", credentials="api-key")
    assert len(fake_lms.statements("launch")) == len(fake_lms.statements("configured")) == 1


# -- the helpers for an AU other than the reference story ------------------------------------------


def test_api_key_is_the_base64_basic_credential_we_are_stores(fake_lms):
    user, secret = base64.b64decode(fake_lms.api_key("configured")).decode().split(":", 1)

    assert (user, secret) == fake_lms.credentials("configured")
    about = requests.get(
        fake_lms.endpoint("configured") + "statements",
        headers={
            "Authorization": "Basic " + fake_lms.api_key("configured"),
            "X-Experience-API-Version": "1.0.3",
        },
        timeout=10,
    )
    assert about.status_code == 200


def test_launch_and_assert_received_work_for_any_au(fake_lms):
    launch = fake_lms.launch(AU_URL, omit=("fetch",))
    assert "fetch=" not in launch.launch_url
    assert launch.launch_url.startswith(AU_URL + "?")

    statement = {
        "actor": launch.actor,
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/completed",
            "display": {"en-US": "Completed"},
        },
        "object": {"id": launch.activity_id, "objectType": "Activity"},
        "context": {"registration": launch.registration},
    }
    sent = fake_lms.client("configured").post(launch.endpoint + "statements", json=statement)
    assert sent.status_code == 200, sent.text

    assert_received(fake_lms, credentials="api-key", fields={"actor": "$launch.actor"})
    assert [s["verb"]["id"] for s in fake_lms.statements("launch")] == [statement["verb"]["id"]]


# -- the entry point, seen from a fresh pytest process ------------------------------------------

QA_TEST = """
from harness.testing import assert_received, launch_story


def test_completion_reaches_the_launch_endpoint(fake_lms, weare_story):
    assert_received(launch_story(fake_lms, weare_story), mount="launch", count=1)


def test_lms_listens_where_the_environment_says(fake_lms):
    assert fake_lms.endpoint().startswith("http://127.0.0.1:{port}/xapi/")
"""


@pytest.mark.slow
def test_entry_point_gives_a_fresh_pytest_the_fixtures_and_the_port_from_env(pytester, monkeypatch):
    port = free_port()
    monkeypatch.setenv("WEARE_HARNESS_HOST", "127.0.0.1")
    monkeypatch.setenv("WEARE_HARNESS_PORT", str(port))
    pytester.makepyfile(test_qa=QA_TEST.replace("{port}", str(port)))

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)


@pytest.mark.slow
def test_readme_example_passes(pytester, monkeypatch):
    monkeypatch.delenv("WEARE_HARNESS_PORT", raising=False)  # the outer session may hold it
    pytester.makepyfile(test_weare_example=EXAMPLE.read_text(encoding="utf-8"))

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)


@pytest.mark.slow
def test_readme_examples_fail_against_capitalised_context(pytester, monkeypatch):
    monkeypatch.delenv("WEARE_HARNESS_PORT", raising=False)
    source = EXAMPLE.read_text(encoding="utf-8")
    mutated = source.replace(
        "launch_story(fake_lms, weare_story",
        'launch_story(fake_lms, weare_story, mutant="capitalised-context"',
    )
    assert mutated.count("capitalised-context") == 2
    pytester.makepyfile(test_weare_example=mutated)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*400: invalid statement*"])
