"""Secrets at rest: the store keeps what only needs checking as salted hashes, never in clear.

API key and mount secrets chosen by a person are hashed with PBKDF2-HMAC-SHA256 and a random
salt of their own (`hash_secret`, `verify_secret`): the iterations slow down guessing a secret
a person could have chosen. A secret the server generates (`generate_secret`: 256 random bits)
cannot be guessed whatever the hash, so it is kept as HMAC-SHA256 under a random salt of its own,
one pass (as services keep the API tokens they issue). A check that succeeded is remembered in
memory, so a client that sends the same key on every request pays for the hash once per process.
cmi5 auth-tokens are random UUIDs that are looked up by value: they are kept as HMAC-SHA256
under a random key of the store (`token_digest`), which finds the session in one indexed read.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import sqlite3
import threading
from collections.abc import Callable

SCHEME = "pbkdf2-sha256"
ITERATIONS = 60_000
GENERATED_SCHEME = "hmac-sha256"  # a generated secret's hash: 'hmac-sha256$SALT$HASH'
GENERATED_BYTES = 32
# The row of `store_meta` holding the key of token digests (made by schema.sql).
TOKEN_KEY = "token-key"
_CACHE_LIMIT = 4096
_checked: set[tuple[str, bytes]] = set()
_checked_lock = threading.Lock()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _derive(secret: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt, iterations)


def hash_secret(secret: str) -> str:
    """'pbkdf2-sha256$ITERATIONS$SALT$HASH' (base64) of `secret`, with a fresh random salt."""
    salt = secrets.token_bytes(16)
    stored = f"{SCHEME}${ITERATIONS}${_b64(salt)}${_b64(_derive(secret, salt, ITERATIONS))}"
    _remember(stored, secret)
    return stored


def generate_secret() -> tuple[str, str]:
    """A new secret of GENERATED_BYTES random bytes and how the store keeps it:
    (secret, 'hmac-sha256$SALT$HASH')."""
    secret = secrets.token_urlsafe(GENERATED_BYTES)
    salt = secrets.token_bytes(16)
    stored = f"{GENERATED_SCHEME}${_b64(salt)}${_b64(_keyed(secret, salt))}"
    _remember(stored, secret)
    return secret, stored


def _keyed(secret: str, salt: bytes) -> bytes:
    return hmac.new(salt, secret.encode("utf-8"), hashlib.sha256).digest()


def verify_secret(secret: str, stored: str) -> bool:
    """Whether `secret` is the one `stored` (from `hash_secret` or `generate_secret`) was made
    from."""
    seen = (stored, hashlib.sha256(secret.encode("utf-8")).digest())
    if seen in _checked:
        return True
    parsed = _parse(stored)
    if parsed is None:
        return False  # (not a hash this version makes: never equal to a secret)
    salt, digest, derive = parsed
    try:
        wanted = base64.b64decode(digest, validate=True)
        derived = derive(secret, base64.b64decode(salt, validate=True))
    except ValueError:
        return False
    if not hmac.compare_digest(derived, wanted):
        return False
    _remember(stored, secret)
    return True


def _parse(stored: str) -> tuple[str, str, Callable[[str, bytes], bytes]] | None:
    """A stored hash's salt and digest (base64) and how a secret is hashed with that salt to
    compare; None when it is not a hash of either scheme."""
    scheme, _, rest = stored.partition("$")
    if scheme == GENERATED_SCHEME:
        derive = _keyed
    elif scheme == SCHEME:
        iterations, _, rest = rest.partition("$")
        if not iterations.isdigit():
            return None
        derive = functools.partial(_derive, iterations=int(iterations))
    else:
        return None
    salt, _, digest = rest.partition("$")
    return (salt, digest, derive) if salt and digest else None


def _remember(stored: str, secret: str) -> None:
    with _checked_lock:
        if len(_checked) >= _CACHE_LIMIT:
            _checked.clear()
        _checked.add((stored, hashlib.sha256(secret.encode("utf-8")).digest()))


def token_key(conn: sqlite3.Connection) -> bytes:
    """The store's key of token digests."""
    row = conn.execute("SELECT value FROM store_meta WHERE name = ?", (TOKEN_KEY,)).fetchone()
    return bytes.fromhex(row[0])


def digest_with(key: bytes) -> Callable[[str], str]:
    """The token digest function under `key`."""
    return lambda token: hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()


def token_digest(conn: sqlite3.Connection, token: str) -> str:
    """How the store keeps the auth-token `token`: hex HMAC-SHA256 under the store's key."""
    return digest_with(token_key(conn))(token)
