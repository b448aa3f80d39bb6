"""The store's quota for the files of imported course packages (docs/limits.md)."""

from __future__ import annotations

import sqlite3

from fake_lms.config import LMSConfig
from fake_lms.xapi.protocol import XAPIError

SECTION = "weare-harness limits (docs/limits.md)"


def stored_package_bytes(conn: sqlite3.Connection) -> int:
    """Bytes of every packaged file the store holds."""
    row = conn.execute("SELECT COALESCE(SUM(LENGTH(content)), 0) FROM package_files").fetchone()
    return int(row[0])


def check_package_quota(conn: sqlite3.Connection, incoming: int, config: LMSConfig) -> None:
    """507 naming the quota when `incoming` more bytes would take the package files beyond it;
    run in the import's write transaction, so two imports cannot both squeeze in."""
    held = stored_package_bytes(conn)
    if held + incoming > config.package_store_bytes:
        raise XAPIError(
            507,
            f"the store holds {held} bytes of course package files and this package adds "
            f"{incoming}; the quota is {config.package_store_bytes} bytes for all packages "
            "together (serve --package-store-mib); nothing was imported",
            SECTION,
            "body",
        )
