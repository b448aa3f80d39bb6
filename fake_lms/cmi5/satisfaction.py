"""moveOn and satisfaction (cmi5 §9.3.9, §13.1.4, rules doc §4.7): AUs, blocks and the course."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from fake_lms.cmi5 import lms_statements, store
from fake_lms.cmi5.vocab import ACTIVITY_TYPE_BLOCK, ACTIVITY_TYPE_COURSE
from fake_lms.db import now_us
from fake_lms.xapi import statement_store


def move_on_met(move_on: str, completed: bool, passed: bool, waived: bool) -> bool:
    """Whether an AU's moveOn criterion is met; a waived AU counts as met, failed never does."""
    if waived or move_on == "NotApplicable":
        return True
    return {
        "Passed": passed,
        "Completed": completed,
        "CompletedAndPassed": completed and passed,
        "CompletedOrPassed": completed or passed,
    }.get(move_on, False)


def evaluate(
    conn: sqlite3.Connection,
    registration: str,
    course_id: str,
    actor: dict[str, Any],
    mount: str,
    session_id: str,
    lms_base: str,
) -> list[dict[str, Any]]:
    """Mark newly satisfied AUs, blocks and the course; write a satisfied statement for each
    newly satisfied block or course, carrying the triggering session's id (9.3.9.0-4)."""
    aus = {
        r["publisher_id"]: r
        for r in conn.execute("SELECT * FROM aus WHERE course_id = ?", (course_id,))
    }
    au_done: dict[str, bool] = {}
    for publisher_id, au in aus.items():
        done = store.progress(conn, registration, au["id"])
        met = move_on_met(au["move_on"], done["completed"], done["passed"], done["waived"])
        if met and not done["satisfied"]:
            store.mark_progress(conn, registration, au["id"], satisfied=True)
        au_done[publisher_id] = met
    course = conn.execute("SELECT * FROM courses WHERE id = ?", (course_id,)).fetchone()
    blocks = {
        r["publisher_id"]: r["lms_activity_id"]
        for r in conn.execute("SELECT * FROM blocks WHERE course_id = ?", (course_id,))
    }
    already = {
        r[0]
        for r in conn.execute(
            "SELECT target FROM satisfied WHERE registration = ?", (registration,)
        )
    }
    newly: list[tuple[str, str, str]] = []  # (publisher id, lms activity id, activity type)

    def walk(node: dict[str, Any]) -> bool:
        if node["type"] == "au":
            return au_done.get(node["id"], False)
        results = [walk(child) for child in node["children"]]
        met = all(results)
        if met and node["id"] not in already:
            newly.append((node["id"], blocks[node["id"]], ACTIVITY_TYPE_BLOCK))
        return met

    structure = json.loads(course["structure"])
    if all([walk(child) for child in structure["children"]]) and course["id"] not in already:
        newly.append((course["id"], course["lms_activity_id"], ACTIVITY_TYPE_COURSE))
    written = []
    at = now_us() // 1000 * 1000
    authority = store.lms_authority(lms_base)
    for target, object_id, activity_type in newly:
        conn.execute(
            "INSERT OR IGNORE INTO satisfied (registration, target) VALUES (?, ?)",
            (registration, target),
        )
        publisher_id = structure["id"] if activity_type == ACTIVITY_TYPE_COURSE else target
        stmt = lms_statements.satisfied(
            actor=actor,
            registration=registration,
            object_id=object_id,
            activity_type=activity_type,
            publisher_id=publisher_id,
            session_id=session_id,
            authority=authority,
            timestamp=statement_store.iso_us(at),
        )
        prepared = statement_store.prepare(stmt, authority=authority, version="1.0.3", stored_us=at)
        statement_store.insert(conn, mount, [prepared])
        written.append(stmt)
    return written
