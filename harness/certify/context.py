"""What certify knows while it runs: the inputs, what We Are would resolve, and what it learned."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from harness.certify.recorder import Exchange, Recorder
from harness.story.behaviour import StoryConfig
from harness.story.client import StoryFailure, WeAreClient, parse_launch, statements_url

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


@dataclass
class CertInputs:
    launch_urls: list[str] = field(default_factory=list)
    endpoint: str | None = None  # the API URL a customer pastes into We Are
    api_key: str | None = None
    origin: str = "https://weare.example.com"
    timeout: float = 10.0


@dataclass
class CertContext:
    inputs: CertInputs
    http: Recorder
    params: dict[str, str] = field(default_factory=dict)
    launch_error: str | None = None
    actor: dict[str, Any] = field(default_factory=dict)
    destination: str | None = None
    authorization: str | None = None
    credentials: str | None = None  # "fetch-token" or "api-key"
    token: str | None = None
    statement_id: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, inputs: CertInputs) -> CertContext:
        secrets = [inputs.api_key or ""]
        if inputs.api_key:
            secrets.append(basic_credential(inputs.api_key))
        ctx = cls(inputs, Recorder(inputs.timeout, secrets))
        if inputs.launch_urls:
            try:
                ctx.params = parse_launch(inputs.launch_urls[0])
                ctx.actor = json.loads(ctx.params["actor"])
            except StoryFailure as exc:
                ctx.launch_error = str(exc)
            except ValueError as exc:
                ctx.launch_error = f"the actor parameter is not JSON: {exc}"
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

    def xapi_headers(self, *, body: bool = False, authorization: str | None = "default") -> dict:
        headers = {"X-Experience-API-Version": "1.0.3"}
        if body:
            headers["Content-Type"] = "application/json"
        auth = self.authorization if authorization == "default" else authorization
        if auth:
            headers["Authorization"] = auth
        return headers

    def completion(self) -> dict[str, Any]:
        """The Completed statement We Are sends, marked as a certification test."""
        client = WeAreClient(StoryConfig())
        client.params = dict(self.params) if self.params else {"activityId": TEST_ACTIVITY}
        client.actor = self.actor or TEST_ACTOR
        stmt = client.completion_statement()
        context = stmt.setdefault("context", {})
        context.setdefault("extensions", {})[TEST_EXTENSION] = True
        return stmt

    def fetch(self, label: str, url: str, method: str = "POST") -> Exchange:
        return self.http.request(label, method, url)

    def token_from(self, exchange: Exchange) -> str | None:
        body = exchange.json()
        token = body.get("auth-token") if isinstance(body, dict) else None
        return token if isinstance(token, str) and token else None
