"""A statement count means what the LRS accepted (stored); refusals are counted and named apart."""

from __future__ import annotations

import pytest

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
