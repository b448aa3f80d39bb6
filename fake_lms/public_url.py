"""The base URL the fake LMS puts in every absolute URL it hands out (launch, endpoint, fetch,
content, authority and object ids): `LMSConfig.public_url` (`serve --public-url`), else the
address its server listens on. Never the request's Host header: a client that forges it would
otherwise be handed endpoint and fetch URLs on a machine of its choosing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request

from fake_lms.lms import current_lms

DEFAULT_PORTS = {"http": "80", "https": "443"}


def listening_base(environ: Mapping[str, Any]) -> str:
    """scheme://host[:port] of the server that received the request, as its WSGI server
    reports its own listening address (SERVER_NAME, SERVER_PORT), not as the client names it."""
    scheme = str(environ.get("wsgi.url_scheme") or "http")
    host = str(environ.get("SERVER_NAME") or "localhost")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    port = str(environ.get("SERVER_PORT") or "")
    if port in ("", DEFAULT_PORTS.get(scheme)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def lms_base() -> str:
    """The LMS's base URL, without a trailing '/', for the request being answered."""
    configured = current_lms().config.public_url
    return configured.rstrip("/") if configured else listening_base(request.environ)
