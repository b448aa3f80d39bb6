"""HAR files for the `certify --har` tests: built by hand, and reshaped from a Playwright recording
into what each browser's own export writes, by these documented transformations.

- `chrome(har, sanitized=True)` — DevTools' "Export HAR (sanitized)": creator WebInspector, every
  entry with `_initiator` (`other` for a page, `script` for the rest), `_priority` and
  `_resourceType`; a request with no answer has status 0 and Chromium's words in
  `response._error`; sanitized: no Authorization, Cookie or Set-Cookie header and no cookies.
- `firefox(har)` — Firefox's "Save All As HAR" without response bodies: creator Firefox, no
  `_`-prefixed field, no `response.content.text` (its size kept); no answer is status 0 with
  an empty statusText and no words.
- `safari(har)` — Safari's Web Inspector export: creator WebKit Web Inspector, `_fetchType`
  instead of `_resourceType`, bodies kept; no answer is status 0 with no words.

Playwright's own recording (`record_har_path`) writes `_resourceType`, and for no answer status
-1 with `response._failureText`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

SANITIZED = ("authorization", "cookie", "set-cookie")


def _failed(entry: dict[str, Any]) -> bool:
    return entry["response"].get("status", 0) <= 0


def _words(entry: dict[str, Any]) -> str:
    response = entry["response"]
    return response.get("_failureText") or response.get("_error") or ""


def _plain(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry without any `_`-prefixed (tool-specific) field, at any level of it."""
    out = {k: v for k, v in entry.items() if not k.startswith("_")}
    out["request"] = {k: v for k, v in entry["request"].items() if not k.startswith("_")}
    out["response"] = {k: v for k, v in entry["response"].items() if not k.startswith("_")}
    return out


def chrome(har: dict[str, Any], sanitized: bool = True) -> dict[str, Any]:
    out = copy.deepcopy(har)
    out["log"]["creator"] = {"name": "WebInspector", "version": "537.36"}
    out["log"].pop("browser", None)
    for entry in out["log"]["entries"]:
        kind = entry.get("_resourceType") or "fetch"
        entry["_resourceType"] = kind
        entry["_initiator"] = {"type": "other" if kind == "document" else "script"}
        entry["_priority"] = "VeryHigh" if kind == "document" else "High"
        response = entry["response"]
        if _failed(entry):
            response["status"], response["statusText"] = 0, ""
            response["_error"] = _words(entry)
            response.pop("_failureText", None)
        if sanitized:
            for part in (entry["request"], response):
                part["headers"] = [h for h in part["headers"] if h["name"].lower() not in SANITIZED]
                part["cookies"] = []
    return out


def firefox(har: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(har)
    out["log"]["creator"] = {"name": "Firefox", "version": "128.0"}
    out["log"]["browser"] = {"name": "Firefox", "version": "128.0"}
    entries = []
    for entry in out["log"]["entries"]:
        failed = _failed(entry)
        entry = _plain(entry)
        entry["response"]["content"].pop("text", None)
        entry["response"]["content"].pop("encoding", None)
        if failed:
            entry["response"]["status"], entry["response"]["statusText"] = 0, ""
        entries.append(entry)
    out["log"]["entries"] = entries
    return out


def safari(har: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(har)
    out["log"]["creator"] = {"name": "WebKit Web Inspector", "version": "18.0"}
    out["log"].pop("browser", None)
    entries = []
    for entry in out["log"]["entries"]:
        failed = _failed(entry)
        entry = _plain(entry)
        entry["_fetchType"] = "Network Load"
        if failed:
            entry["response"]["status"], entry["response"]["statusText"] = 0, ""
        entries.append(entry)
    out["log"]["entries"] = entries
    return out


# -- HARs built by hand -----------------------------------------------------------------------


def entry(
    method: str,
    url: str,
    status: int = 200,
    *,
    body: str | None = "",
    request_body: str | None = None,
    kind: str = "fetch",
    headers: dict[str, str] | None = None,
    response_headers: dict[str, str] | None = None,
    mime: str = "application/json",
) -> dict[str, Any]:
    """One HAR 1.2 entry (`body=None`: the response body left out)."""
    content: dict[str, Any] = {"size": len(body or "") or 10, "mimeType": mime}
    if body is not None:
        content["text"] = body
    request: dict[str, Any] = {
        "method": method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in (headers or {}).items()],
        "queryString": [],
        "headersSize": -1,
        "bodySize": len(request_body or ""),
    }
    if request_body is not None:
        request["postData"] = {"mimeType": "application/json", "text": request_body}
    return {
        "startedDateTime": "2025-01-01T00:00:00.000Z",
        "time": 12.5,
        "request": request,
        "response": {
            "status": status,
            "statusText": "OK",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in (response_headers or {}).items()],
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": 12.5, "receive": 0},
        "_resourceType": kind,
    }


def page(url: str) -> dict[str, Any]:
    return entry("GET", url, body="<html></html>", kind="document", mime="text/html")


def har(*entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "weare-harness tests", "version": "1"},
            "pages": [],
            "entries": list(entries),
        }
    }


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
