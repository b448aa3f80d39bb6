"""`serve`'s reference We Are story: its own origin next to the LMS, registered as an AU on start."""

from __future__ import annotations

import argparse
from typing import Any

from flask import Flask

from fake_lms.admin import STORY_CONFIG
from fake_lms.admin_cmi5 import register_au
from harness.listening import STORY_OFFSET
from harness.serve_companion import BackgroundServer, companion_port
from harness.story.behaviour import BEHAVIOURS, LAUNCH_PROFILES, StoryConfig
from harness.story.server import STORY_BASE, StoryRegistry, create_story_app


def add_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--story-port",
        type=int,
        default=None,
        metavar="PORT",
        help="port of the reference We Are story, its own origin (default: --port + 1, or a free "
        "one with --port 0; 0 picks a free one)",
    )
    p.add_argument("--no-story", action="store_true", help="do not host the reference We Are story")


def story_port(args: argparse.Namespace) -> int:
    """The story's port: --story-port, else the LMS port + 1 (a free one when that is 0); a
    port out of 0..65535 is a usage error naming where it came from."""
    return companion_port(args.story_port, args.port, STORY_OFFSET, "--story-port", "--no-story")


class HostedStory(BackgroundServer):
    """The story app on waitress in a thread; one story configuration per behaviour, keyed by
    its name, so each behaviour has a stable URL (`.../story/index.html?cfg=<behaviour>`)."""

    def __init__(self, host: str, port: int, public_host: str | None = None) -> None:
        """Listen on host:port; URLs name `public_host` (default `host`), which other machines
        can open (`host` may be 0.0.0.0)."""
        registry = StoryRegistry()
        for behaviour in BEHAVIOURS:
            registry.configs[behaviour] = StoryConfig(behaviour=behaviour)
        app = create_story_app(registry)
        super().__init__(app, host, port, public_host=public_host)
        app.config[STORY_BASE] = self.base_url

    def urls(self) -> dict[str, str]:
        return {b: f"{self.base_url}/story/index.html?cfg={b}" for b in BEHAVIOURS}


def register(app: Flask, lms_base: str, story: HostedStory) -> dict[str, Any]:
    """Register each behaviour's story as an AU (once per URL) and tell `GET /api/story` its URL."""
    db = app.extensions["weare"].db
    urls = story.urls()
    with app.test_request_context(base_url=lms_base), db.write() as conn:
        for behaviour, url in urls.items():
            known = conn.execute("SELECT 1 FROM aus WHERE url = ? LIMIT 1", (url,)).fetchone()
            if known is None:
                register_au(
                    conn,
                    {
                        "url": url,
                        "publisher_id": f"{story.base_url}/story/index.html#{behaviour}",
                        "title": f"We Are reference story ({behaviour}; "
                        f"launch with the {LAUNCH_PROFILES[behaviour]} profile)",
                    },
                )
    info = {
        "url": urls[BEHAVIOURS[0]],
        "behaviours": urls,
        "profiles": {b: LAUNCH_PROFILES[b] for b in urls},
    }
    app.config[STORY_CONFIG] = info
    return info
