"""MkDocs hook: adds the reference pages generated from the code (`harness.reference_docs`) to
every build, so the site can never show a stale one. The checkout this file sits in comes first
on `sys.path`, so the pages describe its code, whichever copy of the package is installed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from harness.reference_docs import pages  # noqa: E402  (after the checkout is on sys.path)


def on_files(files: Files, config: Any) -> Files:
    for path, text in pages().items():
        files.append(File.generated(config, path, content=text))
    return files
