"""The reference We Are story in Python: read the launch, pick destination and credentials, report.

It behaves as the seed documents We Are: `endpoint` wins over the configured API URL, `fetch`
wins over the configured API key. The `server` transport of the story and the `http` driver run
it; `harness/story/static/story.js` is the same behaviour in the browser.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

from harness.story.behaviour import SESSION_EXTENSION, STORY_TYPE, StoryConfig

CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"
VERBS = "http://adlnet.gov/expapi/verbs/"
REQUIRED = ("actor", "activityId")
# Fetch standard, CORS-safelisted request-headers: a browser does not name these in a preflight.
SAFELISTED_HEADERS = ("accept", "accept-language", "content-language")
SAFELISTED_CONTENT_TYPES = (
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
)
SIMPLE_METHODS = ("GET", "HEAD", "POST")
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 20  # Fetch standard: more is a network error
REQUEST_BODY_HEADERS = ("content-encoding", "content-language", "content-location", "content-type")


class StoryFailure(Exception):
    """The story cannot go on; the message is what We Are would show or log."""


@dataclass
class Outcome:
    """What the story did: its end state, where and how it sent, every HTTP step."""

    status: str = "open"  # open, completed, failed
    reason: str = ""
    destination: str | None = None
    credentials: str | None = None  # "fetch-token" or "api-key"
    steps: list[dict[str, Any]] = field(default_factory=list)
    statements: list[dict[str, Any]] = field(default_factory=list)
    redirect: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "destination": self.destination,
            "credentials": self.credentials,
            "steps": self.steps,
            "statements": self.statements,
            "redirect": self.redirect,
        }


def parse_launch(url: str) -> dict[str, str]:
    """Launch parameters as a browser's URLSearchParams reads them ('+' and %20 both decode)."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        params.setdefault(name, value)
    for name in REQUIRED:
        if name not in params:
            hint = ""
            if f"amp;{name}" in params:
                hint = f" (found 'amp;{name}': the LMS wrote '&amp;' where '&' belongs)"
            raise StoryFailure(f"launch URL lacks the required parameter {name!r}{hint}")
    return params


def statements_url(base: str, join_with_slash: bool) -> str:
    """Append 'statements' to the base endpoint with exactly one '/' (8.1.1.0-3)."""
    if join_with_slash:
        return base + "/statements"
    return base.rstrip("/") + "/statements"


def cors_unsafe_headers(headers: dict[str, str]) -> tuple[str, ...]:
    """The header names a browser asks for in a preflight (Access-Control-Request-Headers):
    those a request sets that are not CORS-safelisted, lower-case and sorted, as Chromium does."""
    unsafe = set()
    for name, value in headers.items():
        low = name.lower()
        if low in SAFELISTED_HEADERS:
            continue
        essence = value.split(";")[0].strip().lower()
        if low == "content-type" and essence in SAFELISTED_CONTENT_TYPES:
            continue
        unsafe.add(low)
    return tuple(sorted(unsafe))


def not_stored(status: int, text: str, stmt: dict[str, Any]) -> str | None:
    """Why a statement POST's answer does not say the statement was stored, None when it does:
    200 with a JSON array of ids, the sent statement's among them (xAPI Communication §2.1.2).
    story.js's `notStored` says it in the same words."""
    rule = "not stored (xAPI Communication §2.1.2)"
    try:
        ids = json.loads(text)
    except ValueError:
        ids = None
    if status == 200 and isinstance(ids, list) and ids:
        if "id" not in stmt or stmt["id"] in ids:
            return None
        shown = json.dumps(ids, separators=(",", ":"))[:120]
        return (
            f"the LRS answered 200 with ids {shown}, not the sent statement's id {stmt['id']}: "
            f"{rule}"
        )
    shape = text.strip()[:120]
    return f"the LRS answered {status} without the statement ids{f' ({shape})' if shape else ''}: {rule}"


def verb_name(stmt: dict[str, Any]) -> str | None:
    """The last segment of a statement's verb id ("completed"), named in the outcome; or None."""
    verb = stmt.get("verb")
    vid = verb.get("id") if isinstance(verb, dict) else None
    parts = [p for p in vid.split("/") if p] if isinstance(vid, str) else []
    return parts[-1] if parts else None


def utc_timestamp(offset: str) -> str:
    """Now, with microseconds as in the article's example; `offset` 'Z' or e.g. '+02:00'."""
    now = datetime.now(UTC)
    if offset == "Z":
        return now.isoformat(timespec="microseconds").replace("+00:00", "Z")
    sign = 1 if offset[0] == "+" else -1
    hours, minutes = (int(x) for x in offset[1:].split(":"))
    zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return now.astimezone(zone).isoformat(timespec="microseconds")


class WeAreClient:
    """One story run: `open(launch_url)`, then `finish()` when the learner reaches the end."""

    def __init__(
        self,
        config: StoryConfig,
        *,
        origin: str | None = None,
        timeout: float = 10.0,
        story_url: str = "https://weare.example.com/story",
    ) -> None:
        self.config = config
        self.origin = origin  # emulate the browser: preflight and Origin header
        self.timeout = timeout
        self.story_url = story_url
        self.http = requests.Session()
        self._new_page()

    def _new_page(self) -> None:
        """What the page holds: all of it is gone when the learner reloads."""
        self.outcome = Outcome()
        self.params: dict[str, str] = {}
        self.actor: dict[str, Any] = {}
        self.authorization: str | None = None
        self.template: dict[str, Any] = {}
        self.launch_data: dict[str, Any] = {}
        self.started = time.monotonic()

    # -- the flow ------------------------------------------------------------------------------
    def run(self, launch_url: str, actions: tuple[str, ...] = ("finish",)) -> Outcome:
        """Open the launch, then the learner's actions; a failed story can still be reloaded."""
        self.open(launch_url)
        for action in actions:
            if action == "finish":
                self.finish()
            elif action == "reload":
                self.reload(launch_url)
            else:
                raise ValueError(f"unknown learner action {action!r}")
        return self.outcome

    def reload(self, launch_url: str) -> Outcome:
        """The learner reloads the page: a new document, the story starts over knowing nothing
        (no token, no outcome) from before, as the page does."""
        self._new_page()
        return self.open(launch_url)

    def open(self, launch_url: str) -> Outcome:
        """The learner opens the story: read the launch, and in cmi5-full start the session."""
        try:
            self.params = parse_launch(launch_url)
            try:
                self.actor = json.loads(self.params["actor"])
            except ValueError as exc:
                raise StoryFailure(f"the actor parameter is not JSON: {exc}") from exc
            if not isinstance(self.actor, dict):
                raise StoryFailure("the actor parameter is not a JSON object")
            self._resolve()
            if self.config.behaviour == "cmi5-full":
                self._cmi5_start()
        except StoryFailure as exc:
            self._fail(str(exc))
        return self.outcome

    def finish(self) -> Outcome:
        """The learner finishes the story: report the completion."""
        if self.outcome.status == "failed":
            return self.outcome
        try:
            if self.config.behaviour == "cmi5-full":
                self._cmi5_finish()
            else:
                for _ in range(self.config.flag("send_count")):
                    self._send(self.completion_statement())
            self.outcome.status = "completed"
        except StoryFailure as exc:
            self._fail(str(exc))
        return self.outcome

    def _fail(self, reason: str) -> None:
        self.outcome.status = "failed"
        self.outcome.reason = reason

    # -- destination and credentials (the seed's precedence) ----------------------------------
    def _resolve(self) -> None:
        flag = self.config.flag
        endpoint = None if flag("ignore_endpoint_param") else self.params.get("endpoint")
        base = endpoint or self.config.api_url
        if not base:
            raise StoryFailure("no destination: no endpoint parameter and no API URL configured")
        self.outcome.destination = base
        fetch_url = self.params.get("fetch")
        use_key = flag("prefer_api_key") and self.config.api_key
        if fetch_url and not use_key:
            token = None
            for _ in range(flag("fetch_calls")):
                token = self._fetch(fetch_url) or token
            if token is None:
                raise StoryFailure(f"the fetch URL gave no auth-token: {self._last_body()}")
            scheme = flag("authorization_scheme")
            self.authorization = f"{scheme} {token}" if scheme else token
            self.outcome.credentials = "fetch-token"
        elif self.config.api_key:
            self.authorization = f"Basic {self.config.api_key}"
            self.outcome.credentials = "api-key"
        else:
            raise StoryFailure("no credentials: no fetch parameter and no API key configured")

    def _fetch(self, url: str) -> str | None:
        method = self.config.flag("fetch_method")
        response = self._request("fetch", method, url)
        if response is None:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        token = body.get("auth-token") if isinstance(body, dict) else None
        return token if isinstance(token, str) and token else None

    def _last_body(self) -> str:
        return self.outcome.steps[-1].get("body", "")[:200] if self.outcome.steps else ""

    # -- HTTP -----------------------------------------------------------------------------------
    def _xapi_headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if not self.config.flag("omit_version_header"):
            headers["X-Experience-API-Version"] = "1.0.3"
        if self.authorization is not None:
            headers["Authorization"] = self.authorization
        return headers

    def _preflight(self, method: str, url: str, headers: tuple[str, ...]) -> None:
        """What a browser does before a cross-origin request with custom headers."""
        asked = ",".join(h for h in headers)
        try:
            r = self.http.options(
                url,
                headers={
                    "Origin": self.origin or "",
                    "Access-Control-Request-Method": method,
                    "Access-Control-Request-Headers": asked,
                },
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise StoryFailure(f"CORS preflight to {url} failed: {type(exc).__name__}") from exc
        allowed_origin = r.headers.get("Access-Control-Allow-Origin")
        allowed = {
            h.strip().lower() for h in r.headers.get("Access-Control-Allow-Headers", "").split(",")
        }
        missing = [h for h in headers if h not in allowed and "*" not in allowed]
        if r.status_code >= 400 or allowed_origin not in (self.origin, "*") or missing:
            raise StoryFailure(
                f"CORS preflight to {url} refused (status {r.status_code}, allow-origin "
                f"{allowed_origin!r}, headers not allowed {missing})"
            )

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
        data = None if body is None else json.dumps(body)
        record: dict[str, Any] = {"step": step, "method": method, "url": url}
        self.outcome.steps.append(record)
        try:
            if self.origin is None:
                response = self.http.request(
                    method, url, headers=headers, data=data, params=params, timeout=self.timeout
                )
            else:
                response = self._cross_origin(method, url, dict(headers or {}), data, params)
        except StoryFailure as exc:
            record["error"] = str(exc)
            raise
        except requests.Timeout:
            record["error"] = f"no answer within {self.timeout:g} s"
            raise StoryFailure(f"{step}: {url} did not answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            record["error"] = type(exc).__name__
            raise StoryFailure(f"{step}: cannot reach {url}: {type(exc).__name__}") from exc
        record["status"] = response.status_code
        record["body"] = response.text[:500]
        return response

    def _cross_origin(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        data: str | None,
        params: dict[str, str] | None,
    ) -> requests.Response:
        """A fetch from the story's origin as a browser makes it (Fetch standard): a preflight
        when the request is not simple, redirects followed hop by hop (each asked for again,
        POST turned into GET on 301/302/303), and an answer the page may read only when it
        allows the story's origin."""
        if params:
            url = requests.Request("GET", url, params=params).prepare().url or url
        for _ in range(MAX_REDIRECTS + 1):
            unsafe = cors_unsafe_headers(headers)
            if unsafe or method not in SIMPLE_METHODS:
                self._preflight(method, url, unsafe)
            response = self.http.request(
                method,
                url,
                headers={**headers, "Origin": self.origin or ""},
                data=data,
                timeout=self.timeout,
                allow_redirects=False,
            )
            allowed = response.headers.get("Access-Control-Allow-Origin")
            if allowed not in (self.origin, "*"):
                raise StoryFailure(
                    f"{url} answered {response.status_code} without allowing the story's origin "
                    f"(Access-Control-Allow-Origin {allowed!r}): the browser hides the answer"
                )
            location = response.headers.get("Location")
            if response.status_code not in REDIRECTS or not location:
                return response
            url = urljoin(url, location)
            if (response.status_code in (301, 302) and method == "POST") or (
                response.status_code == 303 and method not in ("GET", "HEAD")
            ):
                method, data = "GET", None
                headers = {
                    k: v for k, v in headers.items() if k.lower() not in REQUEST_BODY_HEADERS
                }
        raise StoryFailure(f"more than {MAX_REDIRECTS} redirects, the last to {url}")

    def _send(self, stmt: dict[str, Any]) -> None:
        url = statements_url(self.outcome.destination or "", self.config.flag("join_with_slash"))
        steps = len(self.outcome.steps)
        try:
            response = self._request(
                "statement", "POST", url, headers=self._xapi_headers(), body=stmt
            )
        finally:  # the step's record (added by _request) names the verb, answered or not
            verb = verb_name(stmt)
            if verb and len(self.outcome.steps) > steps:
                self.outcome.steps[steps]["verb"] = verb
        if response is None:
            raise StoryFailure(f"{url} gave no answer to the statement")
        self.outcome.statements.append(stmt)
        if not 200 <= response.status_code < 300:
            raise StoryFailure(
                f"the LRS refused the statement: {response.status_code} {response.text[:200]}"
            )
        why = not_stored(response.status_code, response.text, stmt)
        self.outcome.steps[-1]["notStored"] = why
        if why:
            raise StoryFailure(why)

    # -- the statement the article documents -------------------------------------------------
    def _actor(self) -> dict[str, Any]:
        if self.config.flag("alter_actor"):
            return {**self.actor, "name": "We Are learner"}
        return self.actor

    def completion_statement(self) -> dict[str, Any]:
        """The Completed statement as the article documents it, for this launch."""
        flag = self.config.flag
        stmt: dict[str, Any] = {}
        if not flag("omit_statement_id"):
            stmt["id"] = str(uuid.uuid4())
        stmt["actor"] = self._actor()
        stmt["verb"] = {"id": flag("verb_id"), "display": {"en-US": "Completed"}}
        object_id = self.story_url if flag("object_id_from_url") else self.params["activityId"]
        stmt["object"] = {
            "id": object_id,
            "objectType": "Activity",
            "definition": {"type": STORY_TYPE},
        }
        stmt["timestamp"] = utc_timestamp(flag("timestamp_offset"))
        context: dict[str, Any] = {}
        registration = flag("fixed_registration") or self.params.get("registration")
        if registration and not flag("drop_registration"):
            context["registration"] = registration
        session_id = self.params.get("sessionId")
        if session_id and not flag("drop_session_id"):
            context["extensions"] = {SESSION_EXTENSION: session_id}
        if context:
            if flag("capitalise_context"):
                context = {k[0].upper() + k[1:]: v for k, v in context.items()}
                stmt["Context"] = context
            else:
                stmt["context"] = context
        return stmt

    # -- cmi5-full: the whole AU session -------------------------------------------------------
    def _get_json(self, step: str, path: str, params: dict[str, str]) -> requests.Response:
        base = self.outcome.destination or ""
        url = base if base.endswith("/") else base + "/"
        headers = {k: v for k, v in self._xapi_headers().items() if k != "Content-Type"}
        response = self._request(
            step,
            "GET",
            url + path,
            headers=headers,
            params=params,
        )
        if response is None:
            raise StoryFailure(f"{step}: {url} gave no answer")
        return response

    def _cmi5_start(self) -> None:
        agent = json.dumps(self.actor)
        data = self._get_json(
            "launch-data",
            "activities/state",
            {
                "stateId": "LMS.LaunchData",
                "activityId": self.params["activityId"],
                "agent": agent,
                "registration": self.params.get("registration", ""),
            },
        )
        if data.status_code != 200:
            raise StoryFailure(f"LMS.LaunchData could not be read: {data.status_code}")
        self.launch_data = data.json()
        self.template = self.launch_data.get("contextTemplate", {})
        prefs = self._get_json(
            "preferences", "agents/profile", {"profileId": "cmi5LearnerPreferences", "agent": agent}
        )
        if prefs.status_code not in (200, 404):
            raise StoryFailure(f"learner preferences could not be read: {prefs.status_code}")
        self._send(self._cmi5("initialized"))

    def _cmi5(
        self, verb: str, result: dict[str, Any] | None = None, moveon: bool = False
    ) -> dict[str, Any]:
        context = json.loads(json.dumps(self.template))
        context["registration"] = self.params.get("registration")
        categories = context.setdefault("contextActivities", {}).setdefault("category", [])
        categories.append({"id": CMI5_CATEGORY})
        if moveon:
            categories.append({"id": MOVEON_CATEGORY})
        stmt = {
            "id": str(uuid.uuid4()),
            "actor": self._actor(),
            "verb": {"id": VERBS + verb, "display": {"en-US": verb}},
            "object": {"id": self.params["activityId"], "objectType": "Activity"},
            "timestamp": utc_timestamp(self.config.flag("timestamp_offset")),
            "context": context,
        }
        if result is not None:
            stmt["result"] = result
        return stmt

    def _duration(self) -> str:
        return f"PT{max(time.monotonic() - self.started, 0.01):.2f}S"

    def _cmi5_finish(self) -> None:
        if self.launch_data.get("launchMode", "Normal") == "Normal":
            completed = self._cmi5(
                "completed", {"completion": True, "duration": self._duration()}, moveon=True
            )
            if self.config.flag("verb_id") != VERBS + "completed":
                completed["verb"]["id"] = self.config.flag("verb_id")
            self._send(completed)
        self._send(self._cmi5("terminated", {"duration": self._duration()}))
        self.outcome.redirect = self.launch_data.get("returnURL")
