"""HTTP Basic authentication of xAPI requests against the credentials registry."""

from __future__ import annotations

import base64
import binascii

from fake_lms.db import Database
from fake_lms.mounts import Principal, find_principal
from fake_lms.xapi.protocol import XAPIError

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


def _token_principal(db: Database, user: str, secret: str, mount: str) -> Principal | None:
    """A cmi5 auth-token (empty user, the token as password) opens its own session's mount only."""
    from fake_lms.cmi5.store import session_by_token

    if user:
        return None
    session = session_by_token(db.connection(), secret)
    if session is None or session.mount != mount:
        return None
    return Principal("", "token", session.mount, session.id)


def authenticate(db: Database, header: str | None, mount: str) -> Principal:
    user, secret = parse_basic(header)
    principal = find_principal(db, user, secret, mount) or _token_principal(db, user, secret, mount)
    if principal is None:
        raise XAPIError(
            401,
            f"unknown credentials for user {user[:40]!r} on mount {mount!r}",
            "xAPI-C §4",
            "header:Authorization",
            headers=CHALLENGE,
        )
    return principal
