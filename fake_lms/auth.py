"""HTTP Basic authentication of xAPI requests against the credentials registry."""

from __future__ import annotations

import base64
import binascii
import sqlite3
from collections.abc import Callable

from fake_lms.db import Database
from fake_lms.mounts import Principal, find_principal
from fake_lms.xapi.protocol import XAPIError

# (connection, user, secret, mount) -> the principal of a credential a profile issued, or None.
TokenResolver = Callable[[sqlite3.Connection, str, str, str], Principal | None]
# (user, secret, mount) -> the principal of an API key that opens the mount, or None.
KeyFinder = Callable[[str, str, str], Principal | None]
CHALLENGE = {"WWW-Authenticate": 'Basic realm="weare-harness"'}


def parse_basic(header: str | None) -> tuple[str, str]:
    """(user, secret) from a Basic Authorization header, or a 401 naming what is wrong with it."""
    if not header:
        raise XAPIError(
            401,
            "no Authorization header; expected 'Basic <base64 of user:secret>'",
            "xAPI-C §4; cmi5 8.1.2.0-5",
            "header:Authorization",
            headers=CHALLENGE,
        )
    scheme, _, cred = header.strip().partition(" ")
    if scheme.lower() != "basic" or not cred.strip():
        raise XAPIError(
            401,
            f"Authorization scheme {scheme[:20]!r} is not Basic",
            "xAPI-C §4; cmi5 8.2.2.0-5 (RFC 1945 §11.1)",
            "header:Authorization",
            headers=CHALLENGE,
        )
    try:
        text = base64.b64decode(cred.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise XAPIError(
            401,
            "Authorization credentials are not valid base64 of user:secret",
            "xAPI-C §4 (RFC 7617)",
            "header:Authorization",
            headers=CHALLENGE,
        ) from exc
    user, sep, secret = text.partition(":")
    if not sep:
        raise XAPIError(
            401,
            "Basic credentials lack the ':' between user and secret",
            "xAPI-C §4 (RFC 7617)",
            "header:Authorization",
            headers=CHALLENGE,
        )
    return user, secret


def authenticate(
    db: Database,
    header: str | None,
    mount: str,
    resolve_token: TokenResolver | None = None,
    find_key: KeyFinder | None = None,
) -> Principal:
    """The principal of an API key that opens `mount` (found by `find_key`, e.g. a request's
    registry view, else in the store), or of a credential `resolve_token` knows (a profile's own
    tokens, e.g. a cmi5 auth-token); 401 otherwise."""
    user, secret = parse_basic(header)
    if find_key is None:
        principal = find_principal(db, user, secret, mount)
    else:
        principal = find_key(user, secret, mount)
    if principal is None and resolve_token is not None:
        principal = resolve_token(db.connection(), user, secret, mount)
    if principal is None:
        said = (  # mount "": the admin API, which takes server-wide API keys only
            f"unknown credentials for user {user[:40]!r} on mount {mount!r}"
            if mount
            else f"unknown API key user {user[:40]!r}"
        )
        raise XAPIError(
            401,
            said,
            "xAPI-C §4",
            "header:Authorization",
            headers=CHALLENGE,
        )
    return principal
