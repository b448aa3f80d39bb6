"""Signed statements (xAPI-D §2.6): the signature attachment must be a well-formed JWS of the statement."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fake_lms.xapi.compare import first_difference
from fake_lms.xapi.jsonbody import parse_json
from fake_lms.xapi.protocol import XAPIError

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
ALGORITHMS = ("RS256", "RS384", "RS512")
SECTION = "xAPI-D §2.6"


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _refuse(rule: str, path: str) -> XAPIError:
    return XAPIError(400, f"malformed statement signature: {rule}", SECTION, path)


def check_signatures(items: list[dict[str, Any]], parts: dict[str, tuple[str, bytes]]) -> None:
    """Refuse (400) any signed statement whose JWS is malformed or signs something else."""
    for index, stmt in enumerate(items):
        for a_index, attachment in enumerate(stmt.get("attachments", [])):
            if attachment.get("usageType") != SIGNATURE_USAGE:
                continue
            path = f"$[{index}].attachments[{a_index}]"
            if attachment.get("contentType") != "application/octet-stream":
                raise _refuse(
                    f"contentType {attachment.get('contentType')!r}, expected "
                    "'application/octet-stream'",
                    f"{path}.contentType",
                )
            part = parts.get(str(attachment.get("sha2", "")).lower())
            if part is None:
                raise _refuse("the JWS must travel as a multipart part", path)
            _check_jws(part[1], stmt, path)


def _check_jws(raw: bytes, stmt: dict[str, Any], path: str) -> None:
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise _refuse("the JWS is not ASCII compact serialization", path) from exc
    segments = text.split(".")
    if len(segments) != 3 or not all(segments):
        raise _refuse("the JWS needs three non-empty '.'-separated segments", path)
    try:
        header = parse_json(_b64url(segments[0]))  # depth-checked like every JSON input
        payload = parse_json(_b64url(segments[1]))
        _b64url(segments[2])
    except (ValueError, binascii.Error) as exc:
        raise _refuse("a JWS segment is not base64url-encoded JSON", path) from exc
    if not isinstance(header, dict) or header.get("alg") not in ALGORITHMS:
        alg = header.get("alg") if isinstance(header, dict) else None
        raise _refuse(f"JWS alg {alg!r}, expected one of {', '.join(ALGORITHMS)}", path)
    # "Validate that the original Statement is logically equivalent to the received Statement"
    difference = first_difference(payload, stmt)
    if difference is not None:
        raise _refuse(
            "the JWS payload is not the statement it is attached to:"
            f" {difference.describe('payload', 'statement')}",
            path,
        )
