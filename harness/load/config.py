"""What a load run is asked to do, checked before any learner starts: target, caps, safety.

The config travels as JSON: from the CLI to the engine process on stdin, and from a Locust
master to its workers (also those on other machines) inside Locust's spawn message.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from harness.cli.launch import PROFILE_BEHAVIOUR
from harness.errors import HarnessError
from harness.story.client import REQUIRED, StoryFailure, parse_launch
from harness.urls import is_http_url

MAX_USERS = 2000  # concurrent learners; the "2,000 employees at 9:00"
MAX_DURATION = 600.0  # seconds of load
MAX_WORKERS = 32  # local worker processes
MAX_LAUNCH_URLS = 100_000
DEFAULT_USERS = 10
DEFAULT_DURATION = 30.0
TARGETS = ("lms", "launch-urls", "endpoint")
# The launch profile the fake LMS makes for each behaviour (the runner's pairing, reversed).
BEHAVIOUR_PROFILE = {behaviour: profile for profile, behaviour in PROFILE_BEHAVIOUR.items()}
# Generated learners (--endpoint): an account on this home page, one story activity.
GENERATED_HOME_PAGE = "https://weare-harness.dev/load"
GENERATED_ACTIVITY = "https://weare-harness.dev/load/story"


class ConfigError(HarnessError, ValueError):
    """A usage error in the load's inputs: one line, exit 2."""


@dataclass
class LoadConfig:
    """One load run. `api_key` is USER:SECRET (fake LMS) or We Are's key (endpoint)."""

    target: str  # one of TARGETS
    behaviour: str
    users: int = DEFAULT_USERS
    spawn_rate: float = DEFAULT_USERS
    duration: float = DEFAULT_DURATION
    workers: int = 0  # local worker processes; 0 runs the learners in the engine itself
    remote_workers: int = 0  # more workers expected from other machines (--master HOST:PORT)
    bind: str = "127.0.0.1:0"  # where a master listens for its workers
    lms: str | None = None
    mount: str | None = None  # the fake LMS's LRS mount the launches belong to
    endpoint: str | None = None
    api_key: str | None = None
    launch_urls: list[str] = field(default_factory=list)
    story_url: str | None = None  # the reference story the fake LMS hosts (--lms)
    timeout: float = 10.0
    report_dir: str = "reports/load"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoadConfig:
        return cls(**json.loads(text))

    @property
    def total_workers(self) -> int:
        return self.workers + self.remote_workers

    def secrets(self) -> list[str]:
        """Literal secrets to hide wherever they could be printed."""
        if not self.api_key:
            return []
        return [self.api_key, self.api_key.partition(":")[2]]


def check_caps(users: int, spawn_rate: float, duration: float, workers: int) -> None:
    """Users, rate, duration and workers within the caps that keep a run safe by default."""
    if not 1 <= users <= MAX_USERS:
        raise ConfigError(f"--users must be 1-{MAX_USERS}, got {users}")
    if not 0 < spawn_rate <= MAX_USERS:
        raise ConfigError(
            f"--spawn-rate must be above 0 and at most {MAX_USERS}, got {spawn_rate:g}"
        )
    if not 0 < duration <= MAX_DURATION:
        raise ConfigError(
            f"--duration must be above 0 and at most {MAX_DURATION:g} s, got {duration:g}"
        )
    if not 0 <= workers <= MAX_WORKERS:
        raise ConfigError(f"--workers must be 0-{MAX_WORKERS}, got {workers}")


def is_loopback(url: str) -> bool:
    """True when the URL's host is this machine (localhost or a loopback address)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_vendor_target(config: LoadConfig) -> bool:
    """A system that is not a fake LMS on this machine: it needs --yes."""
    return config.target != "lms" or not is_loopback(config.lms or "")


def read_launch_urls(path: Path) -> list[str]:
    """One launch URL per line (blank lines and '#' comments skipped); a bad line is named
    FILE:LINE with what is wrong, as is a file that cannot be read or holds no URL."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--launch-urls {path}: cannot read it ({exc})") from exc
    urls: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not is_http_url(line):
            raise ConfigError(f"{path}:{number}: not an absolute http(s) URL: {line[:80]!r}")
        try:
            params = parse_launch(line)
        except StoryFailure as exc:
            raise ConfigError(f"{path}:{number}: {exc}") from exc
        missing = [n for n in ("endpoint", "fetch") if n not in params]
        if missing:
            raise ConfigError(
                f"{path}:{number}: a cmi5 launch URL needs {', '.join(missing)} "
                f"(besides {', '.join(REQUIRED)})"
            )
        urls.append(line)
        if len(urls) > MAX_LAUNCH_URLS:
            raise ConfigError(f"{path}:{number}: more than {MAX_LAUNCH_URLS} launch URLs")
    if not urls:
        raise ConfigError(f"--launch-urls {path}: no launch URL in it (one URL per line)")
    return urls


def generated_launch(worker_index: int, number: int) -> str:
    """The launch a configured-endpoint learner opens: its own actor and registration, no
    endpoint or fetch parameter, so the story uses the configured API URL and key."""
    name = f"learner-{worker_index}-{number}-{uuid.uuid4().hex[:8]}"
    actor = {"objectType": "Agent", "account": {"homePage": GENERATED_HOME_PAGE, "name": name}}
    query = urlencode(
        {
            "actor": json.dumps(actor, separators=(",", ":")),
            "activityId": GENERATED_ACTIVITY,
            "registration": str(uuid.uuid4()),
        }
    )
    return f"https://weare.example.com/story?{query}"


def notice(config: LoadConfig) -> str:
    """What the run will write, said before it writes anything to a vendor's system."""
    where = {
        "lms": f"the LMS at {config.lms} (a launch per learner through its admin API)",
        "launch-urls": f"the {len(config.launch_urls)} launch URLs given (each used once)",
        "endpoint": f"the LRS at {config.endpoint} (generated learners and registrations)",
    }[config.target]
    per_learner = (
        "initialized, completed and terminated statements (cmi5-full)"
        if config.behaviour == "cmi5-full"
        else "one Completed statement (weare-documented)"
    )
    return (
        f"load writes to {where}: up to {config.users} learners at once for {config.duration:g} s, "
        f"each sending {per_learner}, then reads them back to count any lost. "
        "These are real statements and stay in the LMS."
    )
