"""We Are reports its completion where the LMS says, with the credentials the LMS hands out."""

from harness.testing import IsolatedLMS, StoryServer, assert_received, launch_story


def test_launch_endpoint_and_fetched_token_win(
    fake_lms: IsolatedLMS, weare_story: StoryServer
) -> None:
    run = launch_story(fake_lms, weare_story)  # the launch URL carries endpoint and fetch

    assert run.status == "completed"
    assert_received(
        run,
        mount="launch",
        count=1,
        credentials="fetch-token",
        fields={"actor": "$launch.actor", "context.registration": "$launch.registration"},
    )


def test_configured_api_url_and_key_otherwise(
    fake_lms: IsolatedLMS, weare_story: StoryServer
) -> None:
    run = launch_story(fake_lms, weare_story, omit=("endpoint", "fetch"))

    assert run.destination == fake_lms.endpoint("configured")
    assert_received(run, mount="configured", count=1, credentials="api-key")
