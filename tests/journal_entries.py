"""One journal entry recorded as the app records it, for the tests of the journal writer."""

from __future__ import annotations

from fake_lms.journal import JournalWriter, record


def record_entry(
    writer: JournalWriter, *, mount: str = "m", path: str = "/xapi/m/statements", body: bytes = b""
) -> None:
    record(
        writer,
        mount=mount,
        method="POST",
        path=path,
        query="",
        request_headers=[],
        request_body=body,
        status=200,
        response_headers=[],
        response_body=b"",
        verdicts=[],
        duration_ms=1.0,
        body_limit=100_000,
        secrets=[],
    )
