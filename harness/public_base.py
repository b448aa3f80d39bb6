"""Where other machines reach a server of the harness, and what listening on a non-loopback
address exposes: the URLs a server hands out must name an address a browser elsewhere can
open (never 0.0.0.0), and the person starting it is told it is reachable."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

WILDCARDS = ("0.0.0.0", "::", "")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_ROUTE_PROBE = ("192.0.2.1", 9)  # TEST-NET-1 (RFC 5737): a UDP connect sends no packet


def bracketed(host: str) -> str:
    """An IPv6 literal as a URL names it ([::1]); anything else unchanged."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or address, bracketed or not) is this machine only."""
    bare = host.strip("[]")
    if bare == "localhost":
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False


def machine_address() -> str:
    """This machine's address on its default route, else its name: what other machines on the
    network most likely reach it by."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)
            address = str(probe.getsockname()[0])
        if not is_loopback(address) and address not in WILDCARDS:
            return address
    except OSError:
        pass
    return socket.gethostname()


def reachable_host(listen_host: str, public_url: str | None = None) -> str:
    """The host to put in URLs handed out: `public_url`'s, else the address listened on, else
    (for a wildcard address, which no other machine can open) this machine's address."""
    if public_url and urlsplit(public_url).hostname:
        return bracketed(str(urlsplit(public_url).hostname))
    if listen_host in WILDCARDS:
        return bracketed(machine_address())
    return bracketed(listen_host)


def exposure_warning(listen_host: str, what: str, base: str) -> str | None:
    """One line for a server listening beyond loopback: who can reach it and what it exposes."""
    if is_loopback(listen_host):
        return None
    where = "every network interface" if listen_host in WILDCARDS else listen_host
    return (
        f"warning: listening on {where} ({listen_host or '*'}): other machines can reach "
        f"{what}; URLs handed out use {base} (set them with --public-url)"
    )
