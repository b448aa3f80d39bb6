"""A statement count means what the LRS accepted (stored); refusals are counted and named apart."""

from __future__ import annotations

import json

import pytest

from harness.checks import evaluate
from harness.testing import assert_received, launch_story


def test_refused_statement_fails_assert_received_naming_the_400(fake_lms, weare_story):
    run = launch_story(
        fake_lms, weare_story, mutant="capitalised-context", omit=("endpoint", "fetch")
    )

    with pytest.raises(AssertionError) as caught:
        assert_received(run, mount="configured", count=1, credentials="api-key")
    message = str(caught.value)
    assert "400" in message
    assert "0 accepted" in message or "refused" in message


def test_readme_first_example_fails_against_capitalised_context(fake_lms, weare_story):
    run = launch_story(fake_lms, weare_story, mutant="capitalised-context")

    with pytest.raises(AssertionError, match="400"):
        assert_received(
            run,
            mount="launch",
            count=1,
            credentials="fetch-token",
            fields={"actor": "$launch.actor", "context.registration": "$launch.registration"},
        )


def test_a_refusal_expected_with_refused_1_passes(fake_lms, weare_story):
    run = launch_story(
        fake_lms, weare_story, mutant="capitalised-context", omit=("endpoint", "fetch")
    )

    assert_received(run, mount="configured", count=0, refused=1, credentials="api-key")


def test_dropped_statements_are_not_accepted(fake_lms, weare_story):
    fake_lms.configure(quirks=["drops-statements"])
    run = launch_story(fake_lms, weare_story)

    assert run.status == "completed"  # the LRS said 200 ...
    with pytest.raises(AssertionError, match="not stored"):  # ... and stored nothing
        assert_received(run, mount="launch", count=1)


def test_fields_with_no_accepted_statement_fail_saying_nothing_to_judge(fake_lms, weare_story):
    run = launch_story(fake_lms, weare_story, mutant="capitalised-context")

    [result] = evaluate(run.evidence, {"fields": {"actor": "$launch.actor"}})

    assert not result.passed and not result.judged
    assert "nothing to judge: the LRS accepted no statement" in result.message


@pytest.mark.parametrize(
    ("key", "expected"),
    [("utc_timestamp", False), ("uuid_id", False), ("statement_url_clean", False)],
)
def test_a_negative_expectation_with_nothing_sent_does_not_pass(
    fake_lms, weare_story, key, expected
):
    run = launch_story(fake_lms, weare_story, api_url=None, omit=("endpoint",))  # sends nothing

    [result] = evaluate(run.evidence, {key: expected})

    assert not result.passed
    assert "nothing to judge" in result.message


def test_html_report_says_sent_and_accepted_with_the_lrs_answer(tmp_path):
    from harness.report import RunInfo, write_reports
    from harness.runner import Runner, Target
    from harness.scenarios import discover

    scenario = next(s for s in discover() if s.id == "content-no-capitalised-context")
    [result] = Runner([scenario], target=Target.parse("mutant:capitalised-context")).run()

    paths = write_reports([result], RunInfo("mutant", "http", "now", 0.0, "run"), tmp_path)

    html = paths["html"].read_text(encoding="utf-8")
    assert "launch: 1 statement sent, 0 accepted, 1 refused (400: invalid statement" in html
    document = json.loads(paths["json"].read_text(encoding="utf-8"))
    counts = document["scenarios"][0]["statements"]["launch"]
    assert (counts["sent"], counts["accepted"], counts["refused"]) == (1, 0, 1)
    assert counts["answers"][0].startswith("400: invalid statement")
    answers = [e["answer"] for e in document["scenarios"][0]["journal"] if e["status"] == 400]
    assert answers and answers[0].startswith("400: invalid statement")
