"""The xAPI request envelope: version header, parameters, the 1.0.3 alternate syntax, errors."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from flask import Request
from werkzeug.datastructures import Headers

from fake_lms.xapi.limits import LIMITS_SECTION, MAX_INT_PARAM_DIGITS, MAX_REPORTED_VIOLATIONS

SUPPORTED_VERSIONS = ("1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0")
_VERSION_1 = re.compile(r"^1\.0(?:\.\d+)?$")
_VERSION_2 = re.compile(r"^2\.0(?:\.\d+)?$")
# Headers the alternate request syntax moves into form fields (xAPI-C §1.3).
ALTERNATE_HEADERS = (
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
)
ALTERNATE_METHODS = ("GET", "HEAD", "PUT", "POST", "DELETE")
_UNSAFE_HEADER_CHARS = re.compile(r"[\r\n\x00]")
_ASCII_DIGITS = re.compile(r"[0-9]+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class XAPIError(Exception):
    """A refusal: HTTP status, the rule broken, where it is written, and where in the request."""

    def __init__(
        self,
        status: int,
        rule: str,
        section: str,
        path: str = "",
        *,
        violations: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        requirement: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(rule)
        self.status = status
        self.rule = rule
        self.section = section
        self.path = path
        every = violations or [{"path": path, "rule": rule, "section": section}]
        # A body listing every violation of a 10,000-statement batch helps no one; the rest is counted.
        self.violations = every[:MAX_REPORTED_VIOLATIONS]
        self.violations_omitted = len(every) - len(self.violations)
        self.headers = headers or {}
        self.requirement = requirement
        self.details = details or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": self.status,
            "error": self.rule,
            "section": self.section,
            "violations": self.violations,
        }
        if self.violations_omitted:
            body["violations_omitted"] = self.violations_omitted
            body["violations_limit"] = (
                f"the first {MAX_REPORTED_VIOLATIONS} violations are listed ({LIMITS_SECTION})"
            )
        if self.requirement:
            body["requirement"] = self.requirement
        body.update(self.details)
        return body


@dataclass
class XRequest:
    """One xAPI request after the alternate syntax is unwrapped: handlers read only this."""

    method: str
    params: dict[str, str]
    headers: Headers
    body: bytes
    alternate: bool = False
    version: str = "1.0.3"
    extra: dict[str, Any] = field(default_factory=dict)
    # Every X-Experience-API-Version the request gives: ("header" | "form field", value).
    version_sources: tuple[tuple[str, str], ...] = ()

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def consistent_through(at_us: int | None = None) -> str:
    """Every write is committed before it is answered, so the store is consistent up to now (or
    up to `at_us`, microseconds since the epoch, for an LRS whose reads lag behind)."""
    at = datetime.now(UTC) if at_us is None else _EPOCH + timedelta(microseconds=at_us)
    return at.isoformat(timespec="microseconds").replace("+00:00", "Z")


# Where each version's versioning rules are written (the 400s cite them).
VERSIONING_SECTION = {
    "1.0.3": "xAPI-C §3.3 XAPI-00331",
    "2.0.0": "xAPI 2.0 (IEEE 9274.1.1) versioning; LRS-TS v2.0 XAPI-00331",
}
_EXPECTED = {"1.0.3": "1.0.x or 2.0.0", "2.0.0": "2.0.0 (or 2.0)"}
FORM_VERSION_RULE = (
    "the alternate request syntax treats form fields as headers (xAPI-C §1.3.s3.b7): a version"
    " given both as a header and as a form field is read from both, each must be one this LRS"
    " speaks and both must name the same version (1.0.x values count as one)"
)


def negotiate_version(value: str | None, lrs_version: str = "1.0.3", where: str = "header") -> str:
    """The version a request speaks, for an LRS of `lrs_version`, or the 400 its rules demand.

    A 1.0.3 LRS (xAPI-C §3.3, XAPI-00331) takes '1.0' and any 1.0.x as 1.0.3 and serves 2.0.0
    requests by the 2.0.0 rules (it routes them, as §3.3 allows). A 2.0.0 LRS takes '2.0' and
    2.0.x as 2.0.0 and rejects every version before 2.0.0 it does not route (LRS-TS v2.0
    XAPI-00331: anything but '2.0' or '2.0.x' is a 400). Missing or other values: 400."""
    section = VERSIONING_SECTION[lrs_version]
    path = f"{'form' if where == 'form field' else 'header'}:X-Experience-API-Version"
    expected = _EXPECTED[lrs_version]
    if value is None:
        raise XAPIError(
            400,
            f"missing X-Experience-API-Version header; this xAPI {lrs_version} LRS expects"
            f" {expected}",
            section,
            path,
        )
    value = value.strip()
    if _VERSION_2.match(value):
        return "2.0.0"
    if _VERSION_1.match(value):
        if lrs_version == "1.0.3":
            return "1.0.3"
        raise XAPIError(
            400,
            f"X-Experience-API-Version {value[:40]!r} ({where}) is before 2.0.0: this mount is"
            " an xAPI 2.0.0 LRS and serves no 1.0.x request; send 2.0.0",
            section,
            path,
        )
    extra = f" ({FORM_VERSION_RULE})" if where == "form field" else ""
    raise XAPIError(
        400,
        f"unsupported X-Experience-API-Version {value[:40]!r} ({where}); this xAPI"
        f" {lrs_version} LRS expects {expected}{extra}",
        section,
        path,
    )


def request_version(xreq: XRequest, lrs_version: str) -> str:
    """The one version a request speaks, read from everywhere it names one: the header, and in
    the alternate syntax the form field too (FORM_VERSION_RULE). Each value must be a version
    this LRS speaks (XAPI-00331); two that name different versions are a 400."""
    if not xreq.version_sources:
        return negotiate_version(None, lrs_version)
    found = {where: negotiate_version(v, lrs_version, where) for where, v in xreq.version_sources}
    if len(set(found.values())) > 1:
        given = ", ".join(f"{where} {value[:40]!r}" for where, value in xreq.version_sources)
        raise XAPIError(
            400,
            f"X-Experience-API-Version names different versions: {given}; {FORM_VERSION_RULE}",
            f"xAPI-C §1.3.s3.b7; {VERSIONING_SECTION[lrs_version]}",
            "form:X-Experience-API-Version",
        )
    return next(iter(found.values()))


def about_versions(lrs_version: str, requested: str | None) -> list[str]:
    """The versions the About resource lists (xAPI-C §2.8, XAPI-00316/00317).

    A 2.0.0 LRS lists 2.0.0, the only version it serves (LRS-TS v2.0 XAPI-00317: at least
    '2.0.0'). A 1.0.3 LRS lists the 1.0.x it speaks and 2.0.0, except to a 1.0.x client, whose
    About may list no other than 0.9, 0.95 and 1.0.x (XAPI-00316, 1.0.3 wording)."""
    if lrs_version == "2.0.0":
        return ["2.0.0"]
    if requested is not None and requested.strip().startswith("1.0"):
        return [v for v in SUPPORTED_VERSIONS if v.startswith("1.0")]
    return list(SUPPORTED_VERSIONS)


def _single_params(pairs: list[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise XAPIError(
                400,
                f"query parameter {name!r} given more than once",
                "xAPI-C §2 (parameters are single-valued)",
                f"query:{name}",
            )
        params[name] = value
    return params


def build_xrequest(request: Request, body: bytes) -> XRequest:
    """Unwrap the request, applying the alternate request syntax when `?method=` is used."""
    query = parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True)
    real_version = request.headers.get("X-Experience-API-Version")
    from_header = () if real_version is None else (("header", real_version),)
    if not any(name == "method" for name, _ in query):
        headers = Headers(request.headers)
        return XRequest(
            request.method, _single_params(query), headers, body, version_sources=from_header
        )
    if request.method != "POST":
        raise XAPIError(
            400,
            f"the alternate request syntax needs POST, got {request.method}",
            "xAPI-C §1.3",
            "method",
        )
    if len(query) != 1:
        others = sorted({n for n, _ in query if n != "method"})
        raise XAPIError(
            400,
            f"with ?method= no other query parameter is allowed, got {others}",
            "xAPI-C §1.3",
            "query",
        )
    method = query[0][1].upper()
    if method not in ALTERNATE_METHODS:
        raise XAPIError(
            400, f"alternate syntax method {query[0][1]!r} is not an HTTP method", "xAPI-C §1.3"
        )
    ctype = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise XAPIError(
            400,
            f"the alternate request syntax needs Content-Type application/x-www-form-urlencoded,"
            f" got {ctype or 'none'!r}",
            "xAPI-C §1.3",
            "header:Content-Type",
        )
    try:
        form = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise XAPIError(400, "form body is not UTF-8", "xAPI-C §1.4", "body") from exc
    headers = Headers()
    params: list[tuple[str, str]] = []
    content = b""
    for name, value in form:
        if name.lower() in ALTERNATE_HEADERS:
            if _UNSAFE_HEADER_CHARS.search(value):
                raise XAPIError(
                    400,
                    f"form field {name!r} stands for a header, and a header value cannot hold"
                    " CR, LF or NUL (RFC 9110 §5.5)",
                    "xAPI-C §1.3",
                    f"form:{name}",
                )
            headers[name] = value
        elif name == "content":
            content = value.encode("utf-8")
        else:
            params.append((name, value))
    # The version is read from the header and the form field alike (FORM_VERSION_RULE).
    form_version = tuple(
        ("form field", value) for name, value in form if name.lower() == "x-experience-api-version"
    )
    # Headers the client did send for real still count (the conformance suite sends
    # Authorization and the version header that way); for these two they win over the form.
    for name in ("Authorization", "X-Experience-API-Version"):
        if name in request.headers:
            headers[name] = request.headers[name]
    for name in ("Origin", "Accept", "Accept-Language", "If-Match", "If-None-Match"):
        if name in request.headers and name not in headers:
            headers[name] = request.headers[name]
    if content and "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    return XRequest(
        method,
        _single_params(params),
        headers,
        content,
        alternate=True,
        version_sources=from_header + form_version,
    )


def check_params(
    xreq: XRequest, allowed: set[str] | frozenset[str], required: tuple[str, ...] = ()
) -> None:
    """Refuse unknown and case-variant parameters (XAPI-00324, XAPI-00325) and missing required ones."""
    lowered = {a.lower(): a for a in allowed}
    for name in xreq.params:
        if name in allowed:
            continue
        if name.lower() in lowered:
            raise XAPIError(
                400,
                f"parameter {name!r} differs from {lowered[name.lower()]!r} only by case",
                "xAPI-C §3.2 XAPI-00325",
                f"query:{name}",
            )
        raise XAPIError(
            400,
            f"unknown parameter {name!r} for {xreq.method}; allowed: {sorted(allowed)}",
            "xAPI-C §3.2 XAPI-00324",
            f"query:{name}",
        )
    for name in required:
        if name not in xreq.params:
            raise XAPIError(
                400, f"missing required parameter {name!r}", "xAPI-C §2", f"query:{name}"
            )


def int_param(raw: str, name: str, section: str) -> int:
    """A non-negative integer query parameter, or a 400 naming it: ASCII digits only (str.isdigit
    also admits '²'), at most MAX_INT_PARAM_DIGITS significant digits (int() refuses more than
    4,300, and SQLite's INTEGER holds 18)."""
    if not _ASCII_DIGITS.fullmatch(raw):
        raise XAPIError(
            400,
            f"{name} must be a non-negative integer, got {raw[:20]!r}",
            section,
            f"query:{name}",
        )
    digits = raw.lstrip("0")
    if len(digits) > MAX_INT_PARAM_DIGITS:
        raise XAPIError(
            400,
            f"{name} has {len(digits)} digits; this LRS reads integers of at most"
            f" {MAX_INT_PARAM_DIGITS} digits",
            f"{section}; {LIMITS_SECTION}",
            f"query:{name}",
        )
    return int(digits or "0")
