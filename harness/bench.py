"""The test bench of one run: a fake LMS and the story server, with per-scenario mounts."""

from __future__ import annotations

import base64
import json
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self
from urllib.parse import unquote_plus

from fake_lms import LMSConfig
from fake_lms.client import AdminClient, AdminError
from fake_lms.live import FakeLMS
from harness.evidence import Evidence, gather
from harness.scenarios import Scenario
from harness.story.behaviour import LAUNCH_PROFILES, StoryConfig
from harness.story.server import StoryServer
from harness.story_integration import MOUNT, StoryIntegration

ROLES = ("launch", "configured", "other")


class BenchError(AdminError):
    """The bench could not prepare a scenario or read its evidence whole: not a check failure."""


def create_role_mounts(
    admin: AdminClient,
    prefix: str,
    *,
    mode: str,
    quirks: list[str] | tuple[str, ...] = (),
    roles: tuple[str, ...] = ROLES,
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Fresh mounts `PREFIX-ROLE` for each of `roles`, each with an API key of its own.

    Returns (role -> mount name, role -> (user, secret)). The customer's API key (`configured`)
    comes from the same LMS, so it opens the launch endpoint too.
    """
    mounts = {role: f"{prefix}-{role}" for role in roles}
    for role in roles:
        admin.create_mount(mounts[role], mode=mode, quirks=quirks)
    # Keys whose secrets the server generates: stored with one HMAC pass, not a key-stretching
    # hash (nothing to stretch in 256 random bits), which made up half of a scenario's set-up.
    keys = {
        role: admin.generate_credential(
            mounts[role],
            f"{prefix}-{role}-key",
            also_opens=[mounts["launch"]] if role == "configured" else [],
        )
        for role in roles
    }
    return mounts, keys


@dataclass
class Prepared:
    scenario: Scenario
    mounts: dict[str, str]  # role -> mount name
    keys: dict[str, tuple[str, str]]  # role -> (user, secret)
    story: StoryConfig
    launch: dict[str, Any]
    # Roles whose mount other scenarios share (an external story's own API URL): of their
    # journal and store, only what names one of `markers` (this launch's registration, its
    # learner's account name) is this scenario's.
    shared: frozenset[str] = frozenset()
    markers: tuple[str, ...] = ()

    def mine(self, role: str, entries: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
        """`entries` of `role`'s mount that belong to this scenario (all, if not shared)."""
        if role not in self.shared:
            return entries
        return [e for e in entries if mentions(e, field, self.markers)]


def mentions(entry: dict[str, Any], field: str, markers: tuple[str, ...]) -> bool:
    """Whether a journal entry (`field` "request") or a stored statement ("statement") names a
    marker: in the request's body or query, or anywhere in the statement."""
    if field == "statement":
        text = json.dumps(entry, ensure_ascii=False)
    else:
        text = f"{entry.get('request_body', '')} {unquote_plus(entry.get('query', ''))}"
    return any(marker and marker in text for marker in markers)


class Bench:
    """Starts the fake LMS and the story on loopback; each scenario gets fresh mounts."""

    def __init__(
        self, workdir: Path | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.host, self.port = host, port
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="weare-harness-")
            workdir = Path(self._tmp.name)
        self.lms = FakeLMS(LMSConfig(db_path=str(workdir / "lms.db")), host=host, port=port)
        self.story = StoryServer(host=host)
        self._admin: AdminClient | None = None

    def start(self) -> Self:
        try:
            self.lms.start()
        except OSError as exc:
            self.stop()
            raise BenchError(
                f"the fake LMS cannot listen on {self.host}:{self.port}: {exc}"
            ) from exc
        self.story.start()
        self._admin = self.lms.admin_client(error=BenchError)
        return self

    @property
    def admin(self) -> AdminClient:
        """The admin API of the bench's fake LMS; its failures raise BenchError."""
        if self._admin is None:
            raise BenchError("the bench is not started")
        return self._admin

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        self.story.stop()
        self.lms.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def prepare(
        self,
        scenario: Scenario,
        index: int,
        story: StoryConfig | None = None,
        au_url: str | None = None,
        shared: StoryIntegration | None = None,
    ) -> Prepared:
        """Mounts, integration config, story and launch for one scenario. With `shared` (an
        external story's own settings in We Are) the `configured` role is that one mount, the
        same in every scenario and run, and each launch has a learner of its own."""
        prefix = f"s{index}-{secrets.token_hex(2)}"
        mounts, keys = create_role_mounts(
            self.admin,
            prefix,
            mode=scenario.lms.get("mode", "observe"),
            quirks=scenario.lms.get("quirks", []),
            roles=ROLES if shared is None else tuple(r for r in ROLES if r != "configured"),
        )
        markers: tuple[str, ...] = ()
        if shared is not None:
            mounts["configured"], keys["configured"] = MOUNT, shared.credentials
            # The story's key comes from the same LMS: it opens the launch's endpoint too.
            self.admin.create_mount(
                MOUNT, mode="observe", credentials=shared.credentials, also_opens=[mounts["launch"]]
            )
            learner = f"learner-{prefix}"
            markers = (learner,)
        integration = scenario.integration
        api_url = None
        if integration.get("api_url", "configured") != "none":
            api_url = self.lms.endpoint(mounts[integration.get("api_url", "configured")])
            if not integration.get("api_url_slash", True):
                api_url = api_url.rstrip("/")
        api_key = None
        if integration.get("api_key", "configured") != "none":
            user, secret = keys[integration.get("api_key", "configured")]
            api_key = base64.b64encode(f"{user}:{secret}".encode()).decode()
        config = story or StoryConfig()
        config = StoryConfig(
            api_url=api_url,
            api_key=api_key,
            behaviour=scenario.behaviour,
            transport="browser" if scenario.transport == "any" else scenario.transport,
            mutant=config.mutant,
            flags=dict(config.flags),
        )
        url = au_url or self.story.story_url(config)
        launch_opts = dict(scenario.launch)
        if "au_query" in launch_opts:
            url += ("&" if "?" in url else "?") + launch_opts.pop("au_query")
        if "overrides" in launch_opts:  # '$lms' stands for the fake LMS's base URL
            launch_opts["overrides"] = {
                k: v.replace("$lms", self.lms.base_url) for k, v in launch_opts["overrides"].items()
            }
        if "endpoint_mount" in launch_opts:
            launch_opts["endpoint_mount"] = mounts[launch_opts["endpoint_mount"]]
        launch_opts.setdefault("profile", LAUNCH_PROFILES[scenario.behaviour])
        body = {"au_url": url, "mount": mounts["launch"], **launch_opts}
        if shared is not None and "actor" not in body:
            body["actor"] = {
                "objectType": "Agent",
                "account": {"homePage": self.lms.base_url, "name": markers[0]},
            }
        launch = self.admin.launch(body)
        if shared is not None:
            markers = (*markers, str(launch.get("registration") or ""))
        roles = frozenset({"configured"}) if shared is not None else frozenset()
        return Prepared(scenario, mounts, keys, config, launch, roles, markers)

    def evidence(self, prepared: Prepared, outcome: dict[str, Any]) -> Evidence:
        """The whole journal and store of the scenario's mounts; BenchError if not readable whole."""
        return gather(
            launch=prepared.launch,
            outcome=outcome,
            mounts=prepared.mounts,
            keys=prepared.keys,
            journals={
                role: prepared.mine(role, self.admin.journal(m), "request")
                for role, m in prepared.mounts.items()
            },
            stored={
                role: prepared.mine(role, self.admin.statements(m), "statement")
                for role, m in prepared.mounts.items()
            },
        )
