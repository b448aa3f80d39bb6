"""What a fake LMS instance is configured with; parsed from the command line or built by tests."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
MODES = ("enforce", "observe", "plain")
# The xAPI versions a mount can answer as (`serve --xapi-version`, the admin API's `xapi_version`).
XAPI_VERSIONS = ("1.0.3", "2.0.0")
XAPI_VERSION_MEANING = {  # what a client of a mount of each version meets, as the banner says it
    "1.0.3": "an xAPI 1.0.3 LRS; requests in 2.0.0 are served by the 2.0.0 rules",
    "2.0.0": "an xAPI 2.0.0 LRS; requests in 1.0.x are refused with 400",
}
MODE_MEANING = {  # what a mount in each mode does with a cmi5 violation, as the banner says it
    "enforce": "cmi5 violations refused with 403 and the requirement id",
    "observe": "cmi5 violations accepted and journaled",
    "plain": "a plain xAPI LRS: session tokens open it, no cmi5 rule is judged",
}
TOKEN_READS = {  # which statements a cmi5 auth-token reads on a mount of each mode (banner)
    "enforce": "the statements of its own registration only",
    "observe": "every statement of the mount",
    "plain": "every statement of the mount",
}


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the value and what is expected."""


@dataclass(frozen=True)
class ApiKey:
    username: str
    secret: str

    @classmethod
    def parse(cls, text: str, *, what: str = "--api-key") -> ApiKey:
        """Parse USER:SECRET, refusing empty halves so a typo never becomes an open door."""
        user, sep, secret = text.partition(":")
        if not sep or not user or not secret:
            raise ConfigError(f"{what} must be USER:SECRET with both parts non-empty, got {text!r}")
        return cls(user, secret)

    @classmethod
    def generate(cls) -> ApiKey:
        return cls("harness-" + secrets.token_hex(4), secrets.token_urlsafe(24))

    def __str__(self) -> str:
        return f"{self.username}:{self.secret}"


@dataclass(frozen=True)
class MountSpec:
    """An LRS mount: a named xAPI endpoint with its own journal, mode and optional credentials."""

    name: str
    key: ApiKey | None = None
    mode: str = "enforce"
    xapi_version: str | None = None  # None: the server's (`LMSConfig.xapi_version`)

    @classmethod
    def parse(cls, text: str, *, mode: str = "enforce") -> MountSpec:
        """Parse NAME[=MODE][:USER:SECRET] as given to `serve --mount`; MODE defaults to `mode`.

        '=' cannot occur in a mount name and ':' separates the credential, so the three parts
        never blur (a secret may itself hold ':' or '=').
        """
        head, sep, rest = text.partition(":")
        name, has_mode, own_mode = head.partition("=")
        check_mount_name(name)
        if has_mode:
            try:
                check_mode(own_mode)
            except ConfigError as exc:
                raise ConfigError(f"--mount {text.split(':', 1)[0]}: {exc}") from exc
        key = ApiKey.parse(rest, what=f"--mount {name}") if sep else None
        return cls(name, key, own_mode if has_mode else check_mode(mode))


def check_mount_name(name: str) -> str:
    if not MOUNT_NAME.match(name or ""):
        raise ConfigError(
            f"mount name {name!r} is not allowed: use 1-63 lower-case letters, digits, '-' or '_'"
        )
    return name


# RFC 6454 §6.2 serialisation: scheme "://" host [":" port], nothing after.
ORIGIN = re.compile(r"^([a-z][a-z0-9+.-]*)://([a-z0-9._~-]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$")


def check_origin(text: str) -> str:
    """An origin given to `--cors-origin`, lower-cased; a ConfigError says what is wrong with it."""
    what = f"--cors-origin {text!r}"
    if text.strip().lower() == "null":
        raise ConfigError(
            f"{what}: the 'null' origin is shared by every sandboxed or file: page and is never "
            "given credentials"
        )
    if text == "*":
        raise ConfigError(
            f"{what}: any origin is already allowed without credentials; name origins to "
            "allow with credentials"
        )
    match = ORIGIN.match(text.lower())
    if match is None or (match.group(3) is not None and not 0 < int(match.group(3)) < 65536):
        raise ConfigError(
            f"{what} is not an origin: expected scheme://host[:port] with no path, "
            "e.g. https://weare.example.com"
        )
    return text.lower()


def check_public_url(text: str) -> str:
    """A base URL for `public_url`: http(s), a host, no query or fragment."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"public URL {text!r:.200} is not a base URL: expected http(s)://host[:port][/path] "
            "with no query or fragment, e.g. https://lms.example.com"
        )
    return text


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ConfigError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    return mode


def check_xapi_version(version: object) -> str:
    """A mount's xAPI version: exactly one of XAPI_VERSIONS (the version a request may speak,
    such as '1.0' or '2.0', is negotiated per request; a mount is one LRS of one version)."""
    if version not in XAPI_VERSIONS:
        raise ConfigError(f"xAPI version {version!r:.40} is not one of {', '.join(XAPI_VERSIONS)}")
    return str(version)


@dataclass
class LMSConfig:
    """Everything `create_app` needs; defaults suit a throw-away in-process instance."""

    db_path: str = ":memory:"
    api_keys: list[ApiKey] = field(default_factory=list)
    mounts: list[MountSpec] = field(default_factory=lambda: [MountSpec("default")])
    default_mount: str = "default"
    # Origins answered with credentials (`serve --cors-origin`); any other gets `*` without.
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 16 * 1024 * 1024
    # Course packages: one package uncompressed (`serve --package-max-mib`), and all package files
    # in the store together (`serve --package-store-mib`); docs/limits.md.
    package_max_bytes: int = 16 * 1024 * 1024
    package_store_bytes: int = 256 * 1024 * 1024
    page_limit: int = 100
    journal_body_limit: int = 256 * 1024
    quirks: tuple[str, ...] = ()  # server-wide quirks (fake_lms/data/quirks.json)
    # The xAPI version of every mount not naming its own (`serve --xapi-version`).
    xapi_version: str = "1.0.3"
    # The base URL other machines reach this LMS by (`serve --public-url`): every absolute URL
    # it hands out starts with it. None: the address its server listens on (fake_lms.public_url).
    public_url: str | None = None

    def __post_init__(self) -> None:
        if not self.api_keys:
            self.api_keys = [ApiKey.generate()]
        names = [m.name for m in self.mounts]
        if self.default_mount not in names:
            self.mounts = [MountSpec(self.default_mount), *self.mounts]
        check_xapi_version(self.xapi_version)
        for m in self.mounts:
            check_mount_name(m.name)
            check_mode(m.mode)
            if m.xapi_version is not None:
                check_xapi_version(m.xapi_version)
        self.cors_origins = tuple(check_origin(o) for o in self.cors_origins)
        if self.public_url is not None:
            check_public_url(self.public_url)
        if self.package_max_bytes < 1 or self.package_store_bytes < 1:
            raise ConfigError("the package bound and the package store quota must be positive")

    def mount_xapi_version(self, spec: MountSpec) -> str:
        """The xAPI version configured for `spec`: its own, else the server's."""
        return spec.xapi_version or self.xapi_version
