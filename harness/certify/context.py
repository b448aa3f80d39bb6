"""What certify knows while it runs: the inputs, what We Are would resolve, and what came back.

The flow (`harness/certify/flow.py`) fills it by sending every request; checks only read it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from harness.certify.recorder import Exchange, Recorder
from harness.console import noun
from harness.story.behaviour import StoryConfig
from harness.story.client import REQUIRED, WeAreClient, statements_url

TEST_EXTENSION = "https://weare-harness.dev/xapi/extensions/certification-test"
TEST_ACTOR = {
    "objectType": "Agent",
    "account": {"homePage": "https://weare-harness.dev", "name": "certification-test"},
}
TEST_ACTIVITY = "https://weare-harness.dev/certification/story"


def basic_credential(api_key: str) -> str:
    """We Are's API key as the Basic credential: 'USER:SECRET' is encoded, a token is kept."""
    if ":" in api_key:
        return base64.b64encode(api_key.encode()).decode()
    return api_key


def read_launch(url: str) -> tuple[dict[str, str], dict[str, Any], str | None]:
    """Launch parameters, the actor and why the URL is unusable (None when usable).

    Read leniently: pairs separated by '&amp;' are read as if separated by '&'. We Are (a
    browser's URLSearchParams) would not, and `launch.no-html-entities` fails for it; reading
    on lets every other launch, fetch and statement check judge what the LMS sent.
    """
    query = urlsplit(url.replace("&amp;", "&")).query
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(name, value)
    missing = [n for n in REQUIRED if n not in params]
    if missing:
        return (
            params,
            {},
            f"the launch URL lacks the required {noun(len(missing), 'parameter')} {missing}",
        )
    try:
        actor = json.loads(params["actor"])
    except ValueError as exc:
        return params, {}, f"the actor parameter is not JSON: {exc}"
    if not isinstance(actor, dict):
        return params, {}, "the actor parameter is not a JSON object"
    return params, actor, None


DECODE_ROUNDS = 3  # how many layers of percent-encoding a fetch value is read through


def fetch_capability(fetch: str | None) -> list[str]:
    """The parts of a fetch URL that hand out a token to whoever holds them: kept out of reports.

    A value percent-encoded once too often ('http%3A%2F%2F…', which `launch.fetch-url` fails)
    is read through its layers, so its token is hidden and the rest of the value can be shown.
    """
    if not fetch:
        return []
    for _ in range(DECODE_ROUNDS):
        if "://" in fetch or "%" not in fetch:
            break
        fetch = unquote(fetch)
    parts = urlsplit(fetch)
    found = [parts.path.rstrip("/").rsplit("/", 1)[-1]]
    found += [value for _, value in parse_qsl(parts.query)]
    return [value for value in found if len(value) >= 8]


def input_secrets(inputs: CertInputs) -> list[str]:
    """The secrets a run's inputs hold: the API key (whole, its secret part and as the Basic
    credential) and every launch URL's fetch capability."""
    secrets = []
    if inputs.api_key:
        secrets += [inputs.api_key, basic_credential(inputs.api_key)]
        secrets += [inputs.api_key.partition(":")[2]] if ":" in inputs.api_key else []
    for url in inputs.launch_urls:
        secrets += fetch_capability(read_launch(url)[0].get("fetch"))
    return secrets


@dataclass
class CertInputs:
    launch_urls: list[str] = field(default_factory=list)
    endpoint: str | None = None  # the API URL a customer pastes into We Are
    api_key: str | None = None
    origin: str = "https://weare.example.com"
    timeout: float = 10.0  # We Are's patience per request: an answer later than this is lost
    # How long the reachability probe waits for any answer at all: a target that answers only
    # after `timeout` is judged (too slow), one that answers nothing within this is unreachable.
    give_up: float = 60.0
    driver: str = "http"  # "browser" when the reference story's script ran in a browser
    # The activityId the launch must carry, when certify knows it: launch.activity-id fails a
    # launch whose activityId differs. Not the course structure's AU id (publisher id): cmi5
    # 8.1.5.0-3 says the LMS's generated activityId MUST NOT match that one.
    expected_activity_id: str | None = None


@dataclass
class CertContext:
    inputs: CertInputs
    http: Recorder
    params: dict[str, str] = field(default_factory=dict)
    launch_error: str | None = None
    actor: dict[str, Any] = field(default_factory=dict)
    destination: str | None = None
    destination_source: str = ""
    authorization: str | None = None
    credentials: str | None = None  # "fetch-token" or "api-key"
    token: str | None = None
    sent: dict[str, Exchange] = field(default_factory=dict)  # the flow's requests by name
    not_sent: dict[str, str] = field(default_factory=dict)  # why a request was not sent
    not_tested: dict[str, str] = field(default_factory=dict)  # behaviour -> why not played
    notes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, inputs: CertInputs) -> CertContext:
        ctx = cls(inputs, Recorder(inputs.timeout, input_secrets(inputs)))
        if inputs.launch_urls:
            ctx.params, ctx.actor, ctx.launch_error = read_launch(inputs.launch_urls[0])
        endpoint = ctx.params.get("endpoint")
        ctx.destination = endpoint or inputs.endpoint
        ctx.destination_source = (
            "the endpoint launch parameter" if endpoint else "the API URL (--endpoint)"
        )
        return ctx

    @property
    def has_launch(self) -> bool:
        return bool(self.inputs.launch_urls)

    @property
    def statements(self) -> str:
        return statements_url(self.destination or "", join_with_slash=False)

    def resource(self, name: str) -> str:
        base = self.destination or ""
        return (base if base.endswith("/") else base + "/") + name

    def xapi_headers(
        self, *, body: bool = False, authorization: str | bool | None = True
    ) -> dict[str, str]:
        headers = {"X-Experience-API-Version": "1.0.3"}
        if body:
            headers["Content-Type"] = "application/json"
        auth = self.authorization if authorization is True else authorization
        if isinstance(auth, str) and auth:
            headers["Authorization"] = auth
        return headers

    def client(self, behaviour: str, params: dict[str, str], actor: dict[str, Any]) -> WeAreClient:
        """The reference story's client for one behaviour, set on this launch's parameters."""
        client = WeAreClient(StoryConfig(behaviour=behaviour))
        client.params = dict(params) if params else {"activityId": TEST_ACTIVITY}
        client.actor = actor or TEST_ACTOR
        return client

    def completion(self) -> dict[str, Any]:
        """The Completed statement We Are sends, marked as a certification test."""
        stmt = self.client("weare-documented", self.params, self.actor).completion_statement()
        return mark_test(stmt)

    def send(self, name: str, label: str, method: str, url: str, **kwargs: Any) -> Exchange:
        """Send one named request of the flow; checks find it in `sent[name]`."""
        ex = self.http.request(label, method, url, **kwargs)
        self.sent[name] = ex
        return ex

    def skip(self, name: str, reason: str) -> None:
        self.not_sent[name] = reason

    def token_from(self, exchange: Exchange) -> str | None:
        body = exchange.json()
        token = body.get("auth-token") if isinstance(body, dict) else None
        return token if isinstance(token, str) and token else None


def mark_test(stmt: dict[str, Any]) -> dict[str, Any]:
    """Mark a statement as a certification test with the context extension."""
    context = stmt.setdefault("context", {})
    context.setdefault("extensions", {})[TEST_EXTENSION] = True
    return stmt
