"""QA helpers for Python tests of We Are's LMS integration, with or without pytest.

`WeAreBench` runs one fake LMS and the reference story for a whole test session (starting them
per test would cost more than most tests); `new_lms()` gives each test its own fresh mounts, so
no test can see another's statements or journal entries, whatever the order or number of tests.
`launch_story` runs the reference story (or a mutant) with the Python client, and
`assert_received` judges the result with the scenario checks of `harness.checks`, so a Python
test and a YAML scenario fail with the same message for the same fault.

    with WeAreBench() as bench:
        lms = bench.new_lms()
        run = launch_story(lms, bench.story)
        assert_received(run, mount="launch", count=1, credentials="fetch-token")
"""

from __future__ import annotations

import base64
import itertools
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self, cast

import requests

from fake_lms.findings import Finding, render
from fake_lms.live import FakeLMS
from harness.bench import ROLES, Bench, BenchError, create_role_mounts
from harness.checks import REGISTRY, evaluate
from harness.console import noun
from harness.evidence import Evidence, gather
from harness.story.behaviour import LAUNCH_PROFILES, StoryConfig
from harness.story.client import WeAreClient
from harness.story.server import StoryServer

__all__ = [
    "ROLES",
    "BenchError",
    "IsolatedLMS",
    "Launch",
    "StoryRun",
    "StoryServer",
    "WeAreBench",
    "assert_received",
    "launch_story",
]

HOST_ENV = "WEARE_HARNESS_HOST"
PORT_ENV = "WEARE_HARNESS_PORT"
DEFAULT_HOST = "127.0.0.1"


def address_from_env(host: str | None = None, port: int | None = None) -> tuple[str, int]:
    """Host and port for the fake LMS: arguments, else the environment, else loopback:any."""
    host = host or os.environ.get(HOST_ENV) or DEFAULT_HOST
    if port is None:
        raw = os.environ.get(PORT_ENV, "").strip() or "0"
        if not raw.isdigit() or int(raw) > 65535:
            raise BenchError(f"{PORT_ENV} must be a port number 0..65535, got {raw!r}")
        port = int(raw)
    return host, port


# -- one launch ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Launch:
    """A launch the fake LMS made: what the AU receives, plus the admin API's full answer."""

    launch_url: str
    registration: str
    session_id: str
    activity_id: str
    endpoint: str  # the endpoint the LMS handed out, even when omitted from the URL
    fetch: str  # likewise the fetch URL
    actor: dict[str, Any]
    data: dict[str, Any] = field(repr=False)  # for `$launch.NAME` references in checks

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Launch:
        return cls(
            launch_url=data["launch_url"],
            registration=data["registration"],
            session_id=data["session_id"],
            activity_id=data["activity_id"],
            endpoint=data["endpoint"],
            fetch=data["fetch"],
            actor=data["actor"],
            data=data,
        )


# -- the fake LMS as one test sees it -------------------------------------------------------------


class IsolatedLMS:
    """The session's fake LMS through one test's own mounts: `launch`, `configured`, `other`.

    Roles are the scenarios' roles: `launch` is where a launch's `endpoint` points, `configured`
    is the API URL a customer set in We Are (its key also opens `launch`, as one LMS's key
    would), `other` is a bystander that must receive nothing. Mounts start in observe mode, so
    the LMS records a violation instead of refusing it and the checks can say what was wrong.
    `statements`, `journal` and `evidence` cover the whole test; a `StoryRun` covers its run.
    """

    def __init__(self, server: FakeLMS, prefix: str, *, mode: str = "observe") -> None:
        self.server = server
        self.prefix = prefix
        self.last_launch: Launch | None = None
        self.admin = server.admin_client(error=BenchError)
        self._mounts, self._keys = create_role_mounts(self.admin, prefix, mode=mode)

    def __repr__(self) -> str:
        return f"<IsolatedLMS {self.prefix} at {self.server.base_url}>"

    def _role(self, role: str) -> str:
        if role not in self._mounts:
            raise ValueError(f"role {role!r} is not one of {ROLES}")
        return role

    # -- addresses and credentials ------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def mount(self, role: str = "launch") -> str:
        """The mount name behind a role (unique to this test)."""
        return self._mounts[self._role(role)]

    def endpoint(self, role: str = "launch") -> str:
        """The xAPI endpoint of a role's mount, with the trailing '/' an LMS hands out."""
        return self.server.endpoint(self.mount(role))

    def credentials(self, role: str = "configured") -> tuple[str, str]:
        """(user, secret) of a role's API key, for `requests` auth."""
        return self._keys[self._role(role)]

    def api_key(self, role: str = "configured") -> str:
        """The role's API key as We Are stores it: base64 of `user:secret` (sent as Basic)."""
        user, secret = self.credentials(role)
        return base64.b64encode(f"{user}:{secret}".encode()).decode()

    def configure(
        self,
        *,
        mode: str | None = None,
        quirks: list[str] | None = None,
        roles: Iterable[str] = ROLES,
    ) -> None:
        """Switch mounts to `enforce` (refuse violations) or give them quirks of real LMSs."""
        for role in roles:
            self.admin.patch_mount(self.mount(role), mode=mode, quirks=quirks)

    # -- launching ------------------------------------------------------------------------------

    def launch(
        self,
        au_url: str,
        profile: str = "weare",
        omit: Iterable[str] = (),
        overrides: Mapping[str, str] | None = None,
        launch_mode: str = "Normal",
        *,
        mount: str = "launch",
        endpoint_mount: str | None = None,
        actor: dict[str, Any] | None = None,
        registration: str | None = None,
        return_url: str | None = None,
        **variant: Any,
    ) -> Launch:
        """Launch `au_url` as the LMS would; `variant` takes the other launch-URL shapes.

        `omit` leaves launch parameters out of the URL (`"endpoint"`, `"fetch"`, ...);
        `overrides` replaces their values verbatim; `variant` accepts `encoding`, `raw_actor`,
        `amp_entities`, `order`, `endpoint_trailing_slash` and `fetch_query`
        (see `fake_lms.cmi5.launch_url.Variant`). `mount` and `endpoint_mount` are roles.
        """
        body: dict[str, Any] = {
            "au_url": au_url,
            "mount": self.mount(mount),
            "profile": profile,
            "omit": list(omit),
            "overrides": dict(overrides or {}),
            "launch_mode": launch_mode,
            **variant,
        }
        optional = {
            "endpoint_mount": self.mount(endpoint_mount) if endpoint_mount else None,
            "actor": actor,
            "registration": registration,
            "return_url": return_url,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        self.last_launch = Launch.from_api(self.admin.launch(body))
        return self.last_launch

    # -- what arrived ---------------------------------------------------------------------------

    def journal(self, role: str = "launch", *, after: int = 0) -> list[dict[str, Any]]:
        """Every exchange with a role's mount after sequence number `after`, secrets redacted."""
        return self.admin.journal(self.mount(role), after=after)

    def journal_mark(self) -> int:
        """The last journal sequence number of this test's mounts: pass it as `since`."""
        return max((e["seq"] for role in ROLES for e in self.journal(role)[-1:]), default=0)

    def stored_statements(self, role: str = "launch") -> list[dict[str, Any]]:
        """Everything the mount's LRS holds, the LMS's own `launched`/`satisfied` included."""
        return self.admin.statements(self.mount(role))

    def statements(self, role: str = "launch") -> list[dict[str, Any]]:
        """Statements a role's mount accepted from the AU (answered 2xx and stored), in order."""
        return self.evidence().received(role)

    def evidence(
        self,
        launch: Launch | None = None,
        outcome: dict[str, Any] | None = None,
        *,
        since: int = 0,
    ) -> Evidence:
        """The same evidence a scenario run collects, so `harness.checks` can judge it.

        Exchanges are those after journal mark `since` (default: all of this test's);
        `stored` holds every statement of the mounts, the LMS's own included.
        """
        launch = launch or self.last_launch
        return gather(
            launch=launch.data if launch else {},
            outcome=outcome or {},
            mounts=self._mounts,
            keys=self._keys,
            journals={role: self.journal(role, after=since) for role in ROLES},
            stored={role: self.stored_statements(role) for role in ROLES},
        )

    def client(self, role: str = "configured") -> requests.Session:
        """A requests session with a role's API key and the xAPI version header set."""
        return self.server.client(auth=self.credentials(role))


# -- the reference story --------------------------------------------------------------------------


@dataclass
class StoryRun:
    """One run of the reference story: its launch, what it reported, and the evidence."""

    launch: Launch
    config: StoryConfig
    outcome: dict[str, Any]
    evidence: Evidence

    @property
    def status(self) -> str:
        """`completed`, `failed` or `open`, as the story reported it."""
        return cast(str, self.outcome.get("status", ""))

    @property
    def reason(self) -> str:
        return cast(str, self.outcome.get("reason", ""))

    @property
    def destination(self) -> str | None:
        return self.outcome.get("destination")

    @property
    def credentials(self) -> str | None:
        """`fetch-token` or `api-key`: what the story chose to authenticate with."""
        return self.outcome.get("credentials")


def _api_url(lms: IsolatedLMS, value: str | None) -> str | None:
    if value is None or value.startswith(("http://", "https://")):
        return value
    return lms.endpoint(value)


def launch_story(
    fake_lms: IsolatedLMS,
    weare_story: StoryServer,
    *,
    api_url: str | None = "configured",
    api_key: str | None = "configured",
    profile: str | None = None,
    omit: Iterable[str] = (),
    overrides: Mapping[str, str] | None = None,
    behaviour: str = "weare-documented",
    mutant: str | None = None,
    actions: Iterable[str] = ("finish",),
    transport: str = "browser",
    flags: Mapping[str, Any] | None = None,
    launch_mode: str = "Normal",
    **variant: Any,
) -> StoryRun:
    """Configure We Are, launch the reference story from the fake LMS and let it run.

    `api_url`/`api_key` are what the customer configured in We Are: a role (its mount's
    endpoint / API key), None for not configured, or for `api_url` a literal URL. `profile`
    defaults to `weare` for the documented behaviour and `cmi5` for `cmi5-full`. The story runs
    in this process with the Python client (the runner's http driver); `transport="browser"`
    makes it send CORS preflights and an Origin as the page would. `mutant` names a deliberately
    faulty variant from `harness/data/mutants.json`.
    """
    config = StoryConfig(
        api_url=_api_url(fake_lms, api_url),
        api_key=fake_lms.api_key(api_key) if api_key is not None else None,
        behaviour=behaviour,
        transport=transport,
        mutant=mutant,
        flags=dict(flags or {}),
    )
    mark = fake_lms.journal_mark()  # a second run in one test is judged on its own
    launch = fake_lms.launch(
        weare_story.story_url(config),
        profile=profile or LAUNCH_PROFILES[behaviour],
        omit=omit,
        overrides=overrides,
        launch_mode=launch_mode,
        **variant,
    )
    client = WeAreClient(
        config,
        origin=weare_story.base_url if transport == "browser" else None,
        story_url=weare_story.base_url + "/story/index.html",
    )
    outcome = client.run(launch.launch_url, tuple(actions)).as_dict()
    return StoryRun(launch, config, outcome, fake_lms.evidence(launch, outcome, since=mark))


# -- assertions -----------------------------------------------------------------------------------


def assert_received(
    subject: Evidence | StoryRun | IsolatedLMS,
    mount: str = "launch",
    count: int = 1,
    credentials: str | None = "fetch-token",
    fields: Mapping[str, Any] | None = None,
    *,
    elsewhere: int | None = 0,
    refused: int | None = 0,
    **expect: Any,
) -> list[Finding]:
    """Assert where the AU's statements arrived and how, with the scenario checks' messages.

    `count` statements must be accepted by the `mount` role's LRS (answered 2xx and stored) and
    `elsewhere` (None: not checked) by each other role; `refused` statements may be refused
    (non-2xx) at `mount`, none elsewhere (None: not checked), so by default any refusal fails
    with the LRS's answer; every statement request must carry `credentials` (`fetch-token`, `api-key`,
    `none`; None: not checked); `fields` are dotted paths of the completion statement, values
    may be `$launch.NAME`. Any other scenario check goes in `expect` (e.g. `fetch_calls=1`,
    `utc_timestamp=True`). Returns the results; raises AssertionError listing the failures.
    """
    if isinstance(subject, StoryRun):
        evidence = subject.evidence
    elif isinstance(subject, IsolatedLMS):
        evidence = subject.evidence()
    else:
        evidence = subject
    if mount not in ROLES:
        raise ValueError(f"mount {mount!r} is not one of {ROLES}")
    unknown = sorted(set(expect) - set(REGISTRY.ids()))
    if unknown:
        raise TypeError(
            f"unknown {noun(len(unknown), 'check')} {unknown}; known: {sorted(REGISTRY.ids())}"
        )
    counts = {mount: count}
    if elsewhere is not None:
        counts.update({role: elsewhere for role in ROLES if role != mount})
    checks: dict[str, Any] = {"statements": counts}
    if refused is not None:
        checks["refused"] = {role: refused if role == mount else 0 for role in ROLES}
    if credentials is not None and (count > 0 or credentials == "none"):
        checks["credentials"] = credentials
    if fields:
        checks["fields"] = dict(fields)
    checks.update(expect)
    results = evaluate(evidence, checks)
    failed = [r for r in results if not r.passed]
    if failed:
        lines = [f"  - {render(r)}" for r in failed]
        outcome = evidence.outcome
        if outcome:
            story = f"the story ended {outcome.get('status')!r}"
            if outcome.get("reason"):
                story += f": {outcome['reason']}"
            lines.append(f"  ({story})")
        raise AssertionError("We Are's statements did not arrive as expected:\n" + "\n".join(lines))
    return results


# -- the session's servers ------------------------------------------------------------------------


class WeAreBench(Bench):
    """A fake LMS and the reference story for a session; `new_lms()` isolates each test.

    The fake LMS listens on `WEARE_HARNESS_HOST`/`WEARE_HARNESS_PORT` when set (a fixed port lets
    a person watch the dashboard while tests run), else on a free loopback port. The story takes
    a free port on the same host.
    """

    def __init__(
        self, *, host: str | None = None, port: int | None = None, workdir: Path | None = None
    ) -> None:
        host, port = address_from_env(host, port)
        super().__init__(workdir, host=host, port=port)
        self._numbers = itertools.count(1)

    def start(self) -> Self:
        try:
            return super().start()
        except BenchError as exc:
            raise BenchError(f"{exc} (set by {HOST_ENV}/{PORT_ENV}?)") from exc

    def new_lms(self, *, mode: str = "observe") -> IsolatedLMS:
        """Fresh mounts `t<n>-<hex>-<role>` on the shared LMS: nothing of an earlier test shows."""
        return IsolatedLMS(self.lms, f"t{next(self._numbers)}-{secrets.token_hex(2)}", mode=mode)
