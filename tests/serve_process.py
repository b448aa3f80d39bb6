"""Start `weare-harness serve` as a real subprocess on a free loopback port, for durability tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import requests


class ServeProcess:
    """`command` runs the CLI: this interpreter's `-m harness` by default, or an installed script.
    `api_key=None` starts it without --api-key; `api_key` is then the key it generated."""

    def __init__(
        self,
        db: Path,
        *extra: str,
        api_key: str | None = "qa:s3cret-key",
        command: Sequence[str] = (sys.executable, "-m", "harness"),
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.db = db
        self.api_key = api_key
        self.extra = extra
        self.command = tuple(command)
        self.cwd = cwd
        self.env = env  # None: this process's environment
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.banner: list[str] = []

    def start(self) -> ServeProcess:
        cmd = [
            *self.command,
            "serve",
            "--port",
            "0",
            "--db",
            str(self.db),
            *(("--api-key", self.api_key) if self.api_key is not None else ()),
            *self.extra,
        ]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.cwd,
            env={**(os.environ if self.env is None else self.env), "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 20
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.banner.append(line.rstrip())
            if line.strip().startswith("store:"):
                break
        match = re.search(r"listening on (http://\S+)", "\n".join(self.banner))
        assert match, (
            f"serve did not start: {self.banner} {self.proc.stderr.read() if self.proc.stderr else ''}"
        )
        self.base_url = match.group(1)
        if self.api_key is None:
            generated = re.search(r"API key: (\S+)", "\n".join(self.banner))
            assert generated, self.banner
            self.api_key = generated.group(1)
        return self

    def banner_url(self, label: str) -> str | None:
        """The URL the banner gives after `label` (a regular expression) and ': ', or None."""
        for line in self.banner:
            match = re.search(label + r": (\S+)", line)
            if match:
                return match.group(1)
        return None

    @property
    def key(self) -> tuple[str, str]:
        """The server-wide API key as (user, secret)."""
        assert self.api_key is not None
        user, _, secret = self.api_key.partition(":")
        return user, secret

    @property
    def endpoint(self) -> str:
        return self.base_url + "/xapi/default/"

    def client(self) -> requests.Session:
        s = requests.Session()
        s.auth = self.key  # type: ignore[assignment]
        s.headers["X-Experience-API-Version"] = "1.0.3"
        return s

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=10)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
