"""A failed browser scenario's Playwright trace and last screenshot, kept in the report folder.

Each browser scenario records a trace on its tab's context (screenshots and DOM snapshots);
when the scenario fails or errors, `keep` writes `artifacts/<scenario>/trace.zip` (open it with
`playwright show-trace`) and `screenshot.png` into the report folder, else the trace is dropped
and any folder an earlier failing run left for that scenario is removed. The trace records
the requests, so the credentials in it (Basic headers, auth-token values) are redacted as in
every report.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

from fake_lms.redact import redact_credentials

ARTIFACTS = "artifacts"  # under the report folder
SCREENSHOT_TIMEOUT_MS = 5_000


def folder(report_dir: Path, scenario_id: str) -> Path:
    """Where a scenario's trace and screenshot go: one folder per scenario id."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", scenario_id).strip(".") or "scenario"
    return report_dir / ARTIFACTS / name


async def start(page: Any) -> bool:
    """Start recording the scenario on its tab's context; False when the tab cannot record."""
    try:
        await page.context.tracing.start(screenshots=True, snapshots=True)
    except Exception:
        return False
    return True


async def keep(page: Any, status: str, report_dir: Path, scenario_id: str) -> dict[str, str]:
    """Stop recording; for a failed or errored scenario, write its trace and screenshot and
    answer their paths relative to the report folder ({"trace", "screenshot"}), else {}.
    Nothing here changes the scenario's verdict: what cannot be written is left out."""
    where = folder(report_dir, scenario_id)
    tracing = page.context.tracing
    if status not in ("failed", "error"):
        with contextlib.suppress(Exception):
            await tracing.stop()
        shutil.rmtree(where, ignore_errors=True)
        return {}
    where.mkdir(parents=True, exist_ok=True)
    kept: dict[str, str] = {}
    with contextlib.suppress(Exception):  # a crashed or closed tab has no picture
        await page.screenshot(
            path=str(where / "screenshot.png"), full_page=True, timeout=SCREENSHOT_TIMEOUT_MS
        )
        kept["screenshot"] = (where / "screenshot.png").relative_to(report_dir).as_posix()
    with contextlib.suppress(Exception):
        await tracing.stop(path=str(where / "trace.zip"))
        redact_trace(where / "trace.zip")
        kept["trace"] = (where / "trace.zip").relative_to(report_dir).as_posix()
    return kept


def redact_trace(path: Path) -> None:
    """The trace rewritten with credentials redacted in every text member (events, network
    log, recorded bodies); images stay as they are."""
    rewritten = path.with_suffix(".tmp")
    with (
        zipfile.ZipFile(path) as source,
        zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in source.infolist():
            data = source.read(info)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                out.writestr(info, data)
                continue
            out.writestr(info, redact_credentials(text).encode("utf-8"))
    rewritten.replace(path)
