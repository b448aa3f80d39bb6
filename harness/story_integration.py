"""The integration settings a tester pastes into We Are once (the article's Steps 2-3), and that
every later `run --story` gives back: the same API URL and API key, run after run.

They live in a state file of their own (`$WEARE_HARNESS_STATE_DIR/story-integration.json`, by
default `~/.local/state/weare-harness/`), created 0600 in a folder made 0700: the key is a secret.
The API URL is the bench's fake LMS on a fixed loopback port, mount `we-are`.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

DEFAULT_PORT = 8471
MOUNT = "we-are"
USER = "we-are-story"
FILE = "story-integration.json"


class IntegrationError(HarnessError, ValueError):
    """The state file cannot be read or written; the message names it."""


@dataclass(frozen=True)
class StoryIntegration:
    """What the story's integration in We Are holds, and which of it is set."""

    api_url_set: bool
    api_key_set: bool
    port: int
    secret: str
    host: str = "127.0.0.1"

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/xapi/{MOUNT}/"

    @property
    def credentials(self) -> tuple[str, str]:
        return USER, self.secret

    @property
    def api_key(self) -> str:
        """As We Are's API key field takes it: base64 of user:secret (a Basic credential)."""
        return base64.b64encode(f"{USER}:{self.secret}".encode()).decode()

    def what_to_paste(self) -> str:
        lines = ["In We Are, your story's integration (Steps 2-3 of the article) holds:"]
        lines.append(f"  API URL: {self.api_url if self.api_url_set else '(not set)'}")
        lines.append(f"  API key: {self.api_key if self.api_key_set else '(not set)'}")
        lines.append("These stay the same run after run (the fake LMS listens on that port).")
        return "\n".join(lines)


def state_dir() -> Path:
    given = os.environ.get("WEARE_HARNESS_STATE_DIR")
    if given:
        return Path(given)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "weare-harness"


def stable_secret(folder: Path | None = None) -> str:
    """The secret of the story's API key: made once, then read back from the state file."""
    folder = folder or state_dir()
    path = folder / FILE
    try:
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            secret = data.get("secret") if isinstance(data, dict) else None
            if not isinstance(secret, str) or len(secret) < 16:
                raise IntegrationError(f"{path}: no usable 'secret' in it; delete it to start over")
            return secret
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(24)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump({"secret": secret}, out)
        return secret
    except (OSError, ValueError) as exc:
        if isinstance(exc, IntegrationError):
            raise
        raise IntegrationError(f"{path}: {exc}") from exc
