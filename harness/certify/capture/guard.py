"""Who may talk to the capture server: a request must name certify's own address in its Host
header and carry the run's capture secret as the first segment of its path.

The capture page hands a browser We Are's configured API key, so a page elsewhere must not
reach it. A DNS-rebinding page (its own name resolved to this machine) sends its own name as
Host and is refused with 421; any other caller lacks the secret, which only the course
package's page URL carries, and is refused with 403.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from harness.public_base import LOOPBACK_NAMES, WILDCARDS, bracketed, is_loopback

DEFAULT_PORTS = {"http": 80, "https": 443}


def new_secret() -> str:
    """A fresh capture secret: 32 URL-safe characters (192 bits)."""
    return secrets.token_urlsafe(24)


def _with_port(host: str, port: int, default: int) -> set[str]:
    names = {f"{host}:{port}".lower()}
    if port == default:
        names.add(host.lower())
    return names


def allowed_hosts(host: str, port: int, public_url: str | None) -> set[str]:
    """The Host values that name this server: the address it listens on (its loopback names
    when that is a loopback or wildcard address) and `public_url`'s host."""
    names: set[str] = set()
    if host not in WILDCARDS:
        names |= _with_port(bracketed(host), port, 80)
    if host in WILDCARDS or is_loopback(host):
        for name in LOOPBACK_NAMES:
            names |= _with_port(name, port, 80)
    if public_url:
        parts = urlsplit(public_url)
        default = DEFAULT_PORTS.get(parts.scheme, 80)
        if parts.hostname:
            names |= _with_port(bracketed(parts.hostname), parts.port or default, default)
    return names


def host_problem(given: str, allowed: set[str]) -> str | None:
    """Why a request's Host header does not name this server, or None."""
    if given.lower() in allowed:
        return None
    return (
        f"Host {given[:200]!r} is not this capture server's address ("
        + ", ".join(sorted(allowed))
        + "): open the capture page by the URL certify printed (behind a proxy or tunnel, "
        "give its URL as --public-url)"
    )


def secret_problem(path: str, secret: str) -> str | None:
    """Why a request's path does not carry the capture secret, or None."""
    first = path.lstrip("/").partition("/")[0]
    if hmac.compare_digest(first.encode(), secret.encode()):
        return None
    return (
        "this is certify's capture page: it answers only by the page URL certify printed "
        "(its path carries this run's capture secret)"
    )
