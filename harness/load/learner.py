"""One simulated We Are learner as a Locust user: the reference story's client, timed.

Each task is one learner: a launch (made through the fake LMS's admin API, taken from the
launch-URL file, or generated for a configured endpoint), then the story exactly as
`harness/story/client.py` plays it (fetch, LaunchData and preferences where the behaviour reads
them, its statements). Every HTTP step is reported to Locust under its step's name; every
statement the LMS acknowledged is kept in the process's `Ledger` for the loss check.

Imported only inside the engine process (Locust monkey-patches with gevent).
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from locust import User, constant, events, task
from locust.env import Environment
from locust.exception import StopUser

from fake_lms.redact import redact_text
from harness.certify.context import basic_credential
from harness.load.config import BEHAVIOUR_PROFILE, LoadConfig, generated_launch
from harness.story.behaviour import StoryConfig
from harness.story.client import StoryFailure, WeAreClient

# The statuses each step of the story expects; any other is a failed request.
EXPECTED = {"launch": (201,), "preferences": (200, 404), "statement": (200, 204)}
OPTION = "weare_load"  # the config's name among Locust's parsed options (sent to workers)


class RequestFailed(Exception):
    """What Locust records for a failed request: its cause, grouped in the report."""


@dataclass
class Plan:
    """What this process's learners do: the config, its share of launch URLs, the ledger."""

    config: LoadConfig
    worker_index: int = 0
    counter: itertools.count[int] = field(default_factory=itertools.count)
    learners: list[dict[str, Any]] = field(default_factory=list)
    flushed: int = 0

    def next_number(self) -> int:
        return next(self.counter)

    def launch_url(self, number: int) -> str | None:
        """This process's share of the file: URL i goes to worker i mod (number of workers)."""
        index = self.worker_index + number * max(self.config.total_workers, 1)
        urls = self.config.launch_urls
        return urls[index] if index < len(urls) else None

    def unflushed(self) -> list[dict[str, Any]]:
        """Learners not yet handed to the master (all of them at the end of a run)."""
        out, self.flushed = self.learners[self.flushed :], len(self.learners)
        return out


PLAN: Plan | None = None


def set_plan(plan: Plan) -> None:
    global PLAN
    PLAN = plan


def _plan_from_master(environment: Environment, **_: Any) -> None:
    """Each process reads the config from Locust's parsed options when the load starts: a
    worker gets them in its master's spawn message, with its index among the workers."""
    options = environment.parsed_options
    text = getattr(options, OPTION, None) if options is not None else None
    if text and (PLAN is None or PLAN.config.to_json() != text):
        index = getattr(environment.runner, "worker_index", 0)
        set_plan(Plan(LoadConfig.from_json(text), worker_index=max(index, 0)))


events.test_start.add_listener(_plan_from_master)


class LoadClient(WeAreClient):
    """The reference story's client with each HTTP step timed and reported to Locust."""

    def __init__(
        self, story: StoryConfig, environment: Environment, record: dict[str, Any], timeout: float
    ) -> None:
        super().__init__(story, timeout=timeout)
        self.environment = environment
        self.record = record

    def _request(
        self,
        step: str,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response | None:
        name = step
        if step == "statement" and isinstance(body, dict):
            name = f"statement {str(body.get('verb', {}).get('id', '')).rsplit('/', 1)[-1]}"
        started = time.perf_counter()
        try:
            response = super()._request(
                step, method, url, headers=headers, body=body, params=params
            )
        except StoryFailure:
            error = self.outcome.steps[-1].get("error", "") if self.outcome.steps else ""
            cause = "timeout" if "no answer within" in error else error or "error"
            self._report(step, name, method, started, body, None, RequestFailed(cause))
            raise
        failure = None
        if response is not None and response.status_code not in EXPECTED.get(step, (200,)):
            failure = RequestFailed(f"HTTP {response.status_code}")
        self._report(step, name, method, started, body, response, failure)
        return response

    def _report(
        self,
        step: str,
        name: str,
        method: str,
        started: float,
        body: Any,
        response: requests.Response | None,
        failure: Exception | None,
    ) -> None:
        """A request answered or failed (one interrupted by the end of the run is neither)."""
        if step == "statement":
            self._count(body, response)
        self.environment.events.request.fire(
            request_type=method,
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=len(response.content) if response is not None else 0,
            exception=failure,
            context={},
        )

    def _count(self, body: Any, response: requests.Response | None) -> None:
        """A statement sent; acknowledged when the LRS answered 200/204 (its ids kept)."""
        sent_id = body.get("id") if isinstance(body, dict) else None
        self.record["sent"].append(
            [sent_id, body.get("verb", {}).get("id"), body.get("timestamp")]
            if isinstance(body, dict)
            else [None, None, None]
        )
        if response is None or response.status_code not in (200, 204):
            return
        try:
            ids = response.json()
        except ValueError:
            ids = None
        if not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
            ids = [sent_id] if sent_id else []
        self.record["acked"].extend(ids)


class Learner(User):
    """One learner after another, with no pause: each task is a whole story run."""

    wait_time = constant(0)

    @task
    def learn(self) -> None:
        plan = PLAN
        if plan is None:
            raise StopUser()
        config = plan.config
        number = plan.next_number()
        given = plan.launch_url(number) if config.target == "launch-urls" else None
        if config.target == "launch-urls" and given is None:
            raise StopUser()  # every URL of this worker's share is used
        record: dict[str, Any] = {
            "registration": None,
            "endpoint": None,
            "authorization": None,
            "sent": [],
            "acked": [],
            "status": "open",
            "reason": "",
            "launched": False,
        }
        plan.learners.append(record)
        story = StoryConfig(behaviour=config.behaviour, transport="server")
        if config.target == "endpoint":
            story.api_url = config.endpoint
            story.api_key = basic_credential(config.api_key or "")
        client = LoadClient(story, self.environment, record, config.timeout)
        try:
            if config.target == "lms":
                launch_url = self._launch(client, config)
            else:
                launch_url = given or generated_launch(plan.worker_index, number)
            record["launched"] = True
            client.open(launch_url)
            record["registration"] = client.params.get("registration")
            record["endpoint"] = client.outcome.destination
            if config.target == "launch-urls":
                record["authorization"] = client.authorization
            outcome = client.finish()
            record["status"], reason = outcome.status, outcome.reason
        except StoryFailure as exc:
            record["status"], reason = "failed", str(exc)
        finally:
            client.http.close()
        record["reason"] = redact_text(reason, config.secrets())

    def _launch(self, client: LoadClient, config: LoadConfig) -> str:
        """A launch the fake LMS makes for this learner (POST /api/launches)."""
        user, _, secret = (config.api_key or "").partition(":")
        basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
        body = {"profile": BEHAVIOUR_PROFILE[config.behaviour], "au_url": config.story_url}
        if config.mount:
            body["mount"] = config.mount
        response = client._request(
            "launch",
            "POST",
            f"{(config.lms or '').rstrip('/')}/api/launches",
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/json"},
            body=body,
        )
        if response is None:
            raise StoryFailure("the LMS gave no answer to the launch")
        if response.status_code != 201:
            raise StoryFailure(f"the LMS made no launch: HTTP {response.status_code}")
        try:
            return str(json.loads(response.text)["launch_url"])
        except (ValueError, KeyError, TypeError) as exc:
            raise StoryFailure("the LMS answered a launch without launch_url") from exc
