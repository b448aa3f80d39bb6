"""The one client of the fake LMS admin API (`/api/`), for the CLI, the bench and the plugin.

Journals and stored statements are read page by page to the end (`after` cursor, `more`,
`next_after`); evidence that cannot be read whole (a page refused, a cursor that does not
advance, more pages or time than the bounds allow) raises `AdminError`, never returns a part.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any, cast

import requests

API_KEY_ENV = "WEARE_HARNESS_API_KEY"
PAGE_SIZE = 1000  # entries per page; the admin API allows up to 5000
MAX_PAGES = 1000
READ_SECONDS = 120.0  # a whole paged read, however many pages
# A read answered 503 with Retry-After (the journal not caught up yet under load) is asked again
# after the time it names (at most RETRY_AFTER_MAX_S), RETRIES times at most; a write never is.
RETRIES = 3
RETRY_AFTER_MAX_S = 5.0
RETRIED_METHODS = ("GET", "HEAD")


class AdminError(RuntimeError):
    """The admin API could not be reached, refused, or could not be read whole; one line."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _retry_after(response: requests.Response) -> float | None:
    """Seconds to wait before asking again, for a 503 whose Retry-After gives them; else None."""
    said = response.headers.get("Retry-After", "")
    if response.status_code != 503 or not said.strip().isdigit():
        return None
    return min(float(said), RETRY_AFTER_MAX_S)


class AdminClient:
    """Typed calls of the admin API; `error` is the AdminError subclass raised on failure."""

    def __init__(
        self,
        base_url: str,
        auth: tuple[str, str],
        *,
        timeout: float = 15,
        error: type[AdminError] = AdminError,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
        read_seconds: float = READ_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.error = error
        self.page_size = page_size
        self.max_pages = max_pages
        self.read_seconds = read_seconds
        self._local = threading.local()  # a requests.Session per thread: runners use pools
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    @classmethod
    def from_key(cls, base_url: str, api_key: str | None, **options: Any) -> AdminClient:
        """From a `USER:SECRET` key (the CLI's --api-key), else WEARE_HARNESS_API_KEY."""
        key = api_key or os.environ.get(API_KEY_ENV)
        if not key or ":" not in key:
            raise AdminError(f"--api-key USER:SECRET (or {API_KEY_ENV}) is required")
        user, _, secret = key.partition(":")
        return cls(base_url, (user, secret), **options)

    def _http(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    # -- generic ----------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The raw answer to `METHOD /api/PATH`, whatever its status (tests look at those); a
        read the server asks to retry (503 with Retry-After) is sent again, RETRIES times at most."""
        kwargs.setdefault("timeout", self.timeout)
        url = f"{self.base_url}/api/{path.lstrip('/')}"
        response = self._send(method, url, **kwargs)
        for _ in range(RETRIES if method.upper() in RETRIED_METHODS else 0):
            wait = _retry_after(response)
            if wait is None:
                break
            time.sleep(wait)
            response = self._send(method, url, **kwargs)
        return response

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self._http().request(method, url, auth=self.auth, **kwargs)
        except requests.RequestException as exc:
            raise self.error(
                f"cannot reach the fake LMS at {self.base_url} ({type(exc).__name__}): is "
                "`weare-harness serve` running there? Check --lms and the port"
            ) from exc

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        """The JSON answer to `METHOD /api/PATH`; any status but `expect` raises, naming it."""
        response = self.request(method, path, **kwargs)
        try:
            payload = response.json()
        except ValueError:
            payload = {"error": response.text[:200]}
        if response.status_code != expect:
            detail = payload.get("error", payload) if isinstance(payload, dict) else payload
            requirement = payload.get("requirement") if isinstance(payload, dict) else None
            tag = f" [cmi5 {requirement}]" if requirement else ""
            raise self.error(
                f"the fake LMS answered {response.status_code} to {method} /api/{path}: "
                f"{detail}{tag}",
                response.status_code,
            )
        return payload

    # -- typed calls ----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self.call("GET", "health"))

    def mounts(self) -> list[dict[str, Any]]:
        return cast("list[dict[str, Any]]", self.call("GET", "mounts"))

    def create_mount(
        self,
        name: str,
        *,
        mode: str = "enforce",
        credentials: tuple[str, str] | None = None,
        quirks: Iterable[str] = (),
        also_opens: Iterable[str] = (),
        xapi_version: str | None = None,
    ) -> dict[str, Any]:
        """A mount (an LRS of its own); `credentials` is an API key opening it and `also_opens`;
        `xapi_version` ("1.0.3" or "2.0.0") the LRS it answers as, else the server's."""
        body: dict[str, Any] = {"name": name, "mode": mode, "quirks": list(quirks)}
        if xapi_version is not None:
            body["xapi_version"] = xapi_version
        if credentials is not None:
            body["username"], body["secret"] = credentials
        if also_opens:
            body["also_opens"] = list(also_opens)
        return cast("dict[str, Any]", self.call("POST", "mounts", 201, json=body))

    def generate_credential(
        self, mount: str, username: str, *, also_opens: Iterable[str] = ()
    ) -> tuple[str, str]:
        """A new API key for `username` opening `mount` (and `also_opens`), its secret generated
        by the server: (username, secret)."""
        body: dict[str, Any] = {"username": username, "also_opens": list(also_opens)}
        made = self.call("POST", f"mounts/{mount}/credentials", 201, json=body)
        return username, str(made["secret"])

    def patch_mount(
        self,
        name: str,
        *,
        mode: str | None = None,
        quirks: Iterable[str] | None = None,
        xapi_version: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if mode is not None:
            body["mode"] = mode
        if quirks is not None:
            body["quirks"] = list(quirks)
        if xapi_version is not None:
            body["xapi_version"] = xapi_version
        return cast("dict[str, Any]", self.call("PATCH", f"mounts/{name}", json=body))

    def launch(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A launch the fake LMS makes (`POST /api/launches`): its launch URL and session."""
        return cast("dict[str, Any]", self.call("POST", "launches", 201, json=dict(body)))

    def journal(self, mount: str, *, after: int = 0) -> list[dict[str, Any]]:
        """Every journal entry of a mount after sequence number `after`, all pages."""
        return self._read_all(
            f"mounts/{mount}/journal", "entries", after, f"the journal of {mount}"
        )

    def statements(self, mount: str) -> list[dict[str, Any]]:
        """Every statement a mount stores (the LMS's own included), all pages."""
        return self._read_all(
            f"mounts/{mount}/statements", "statements", 0, f"the statements of {mount}"
        )

    def _read_all(self, path: str, key: str, after: int, what: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        deadline = time.monotonic() + self.read_seconds
        for page in range(1, self.max_pages + 1):
            if time.monotonic() > deadline:
                raise self.error(
                    f"{what} cannot be read whole: still more after {page - 1} pages and "
                    f"{self.read_seconds:g} s"
                )
            try:
                answer = self.call("GET", path, params={"after": after, "limit": self.page_size})
            except AdminError as exc:
                raise self.error(f"{what} cannot be read whole: page {page}: {exc}") from exc
            if not isinstance(answer, dict) or not isinstance(answer.get(key), list):
                raise self.error(f"{what} cannot be read whole: page {page} has no {key!r} list")
            items += answer[key]
            if not answer.get("more"):
                return items
            cursor = answer.get("next_after")
            if not isinstance(cursor, int) or cursor <= after:
                raise self.error(
                    f"{what} cannot be read whole: page {page} says more remain but its cursor "
                    f"does not advance (after={after}, next_after={cursor!r})"
                )
            after = cursor
        raise self.error(f"{what} cannot be read whole: more than {self.max_pages} pages")
