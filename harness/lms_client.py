"""A small client of the fake LMS admin API, shared by the CLI commands."""

from __future__ import annotations

import os
from typing import Any

import requests


class LMSClientError(Exception):
    """The fake LMS could not be reached or refused; the message is one line for the user."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class LMSClient:
    def __init__(self, base_url: str, api_key: str | None, timeout: float = 15) -> None:
        key = api_key or os.environ.get("WEARE_HARNESS_API_KEY")
        if not key or ":" not in key:
            raise LMSClientError("--api-key USER:SECRET (or WEARE_HARNESS_API_KEY) is required")
        user, _, secret = key.partition(":")
        self.base_url = base_url.rstrip("/")
        self.auth = (user, secret)
        self.timeout = timeout

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        url = f"{self.base_url}/api/{path.lstrip('/')}"
        try:
            response = requests.request(method, url, auth=self.auth, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise LMSClientError(
                f"cannot reach the fake LMS at {self.base_url}: {type(exc).__name__}"
            ) from exc
        try:
            payload = response.json()
        except ValueError:
            payload = {"error": response.text[:200]}
        if response.status_code != expect:
            detail = payload.get("error", payload) if isinstance(payload, dict) else payload
            requirement = payload.get("requirement") if isinstance(payload, dict) else None
            tag = f" [cmi5 {requirement}]" if requirement else ""
            raise LMSClientError(
                f"the fake LMS answered {response.status_code} to {method} /api/{path}: "
                f"{detail}{tag}",
                response.status_code,
            )
        return payload
