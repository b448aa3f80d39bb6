"""Stories weare-harness did not write, served on loopback for the suite to judge.

`tests/stories/documented/` plays We Are's documented flow with plain `fetch()`, written from We
Are's article; `tests/stories/cmi5-session/` plays a full cmi5 session on the npm client
`@xapi/cmi5` (served beside it as `cmi5.umd.js` from `tests/interop/node_modules`). Each may be
given configured integration settings (We Are's API URL and key), served as `settings.json`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.loopback import serving

HERE = Path(__file__).resolve().parent
STORIES = HERE / "stories"
CMI5_UMD = HERE / "interop" / "node_modules" / "@xapi" / "cmi5" / "dist" / "Cmi5.umd.js"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".json": "application/json"}


@contextmanager
def serve_story(name: str, settings: dict[str, Any] | None = None) -> Iterator[str]:
    """The story `name` on its own loopback origin; yields the URL of its page."""
    files = {f"/{p.name}": p.read_bytes() for p in (STORIES / name).iterdir() if p.is_file()}
    if CMI5_UMD.is_file():
        files["/cmi5.umd.js"] = CMI5_UMD.read_bytes()
    if settings is not None:
        files["/settings.json"] = json.dumps(settings).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            path = "/index.html" if path == "/" else path
            body = files.get(path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", TYPES.get(Path(path).suffix, "text/plain"))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(Handler) as base:
        yield base + "/index.html"
