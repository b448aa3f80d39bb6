"""multipart/mixed bodies: statements with attachments in, and out with `attachments=true`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fake_lms.xapi.protocol import XAPIError

SECTION = "xAPI-D §2.4.11; xAPI-C §1.5.2"


@dataclass
class Part:
    headers: dict[str, str]
    content: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def _boundary(content_type_header: str) -> bytes:
    for param in content_type_header.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and value.strip('"'):
            return value.strip('"').encode("latin-1")
    raise XAPIError(400, "multipart/mixed Content-Type without a boundary", SECTION, "header")


def split_multipart(body: bytes, content_type_header: str) -> list[Part]:
    """The parts of a multipart/mixed body (RFC 2046 §5.1.1), or a 400 naming what is malformed."""
    delimiter = b"\r\n--" + _boundary(content_type_header)
    pieces = (b"\r\n" + body).split(delimiter)
    if len(pieces) < 3 or not pieces[-1].startswith(b"--"):
        raise XAPIError(
            400,
            "multipart/mixed body lacks its parts or its closing boundary (CRLF line ends needed)",
            SECTION,
            "body",
        )
    parts = []
    for index, piece in enumerate(pieces[1:-1]):
        _padding, newline, rest = piece.partition(b"\r\n")
        if not newline:
            raise XAPIError(400, f"multipart part {index} is malformed", SECTION, f"part[{index}]")
        if rest.startswith(b"\r\n"):
            head, content = b"", rest[2:]
        else:
            head, sep, content = rest.partition(b"\r\n\r\n")
            if not sep:
                raise XAPIError(
                    400,
                    f"multipart part {index} has no blank line after its headers",
                    SECTION,
                    f"part[{index}]",
                )
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, colon, value = line.partition(":")
            if not colon:
                raise XAPIError(
                    400,
                    f"multipart part {index} has a malformed header {line[:60]!r}",
                    SECTION,
                    f"part[{index}]",
                )
            headers[name.strip().lower()] = value.strip()
        parts.append(Part(headers, content))
    return parts


def build_multipart(first: bytes, attachments: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """(body, content type) with the statements part first, then one part per (sha2, type, bytes)."""
    boundary = "weare-" + secrets.token_hex(12)
    chunks = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        first,
        b"\r\n",
    ]
    for sha2, ctype, content in attachments:
        chunks += [
            f"--{boundary}\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode(),
            content,
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/mixed; boundary={boundary}"
