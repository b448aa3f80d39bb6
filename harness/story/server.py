"""The story's own origin: the page, its configuration, and its server side (`server` transport)."""

from __future__ import annotations

import secrets
import threading
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

from flask import Blueprint, Flask, Response, jsonify, request

from fake_lms.live import LiveServer
from fake_lms.public_url import listening_base
from fake_lms.served import NOSNIFF
from harness.story.behaviour import StoryConfig, StoryConfigError

if TYPE_CHECKING:  # loaded by the first server-side session: it brings requests, which `serve`
    from harness.story.client import WeAreClient  # would otherwise load at every start

bp = Blueprint("story", __name__)
STORY_BASE = "STORY_BASE"  # app.config: the story's base URL as other machines reach it


class StoryRegistry:
    """Story configurations and server-side story sessions, shared by the story's requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.configs: dict[str, StoryConfig] = {}
        self.sessions: dict[str, WeAreClient] = {}
        self.results: dict[str, dict[str, Any]] = {}

    def add(self, config: StoryConfig) -> str:
        key = secrets.token_hex(6)
        with self._lock:
            self.configs[key] = config
        return key


def _registry() -> StoryRegistry:
    from flask import current_app

    return cast(StoryRegistry, current_app.extensions["story"])


def _base() -> str:
    """The story's own base URL: as configured (`STORY_BASE`), else the address it listens on;
    never the request's Host header."""
    from flask import current_app

    return current_app.config.get(STORY_BASE) or listening_base(request.environ)


def _error(status: int, message: str) -> Response:
    response = jsonify({"status": status, "error": message})
    response.status_code = status
    return response


@bp.get("/story/index.html")
def page() -> Response:
    html = resources.files("harness").joinpath("story/static/index.html").read_text()
    return Response(html, content_type="text/html; charset=utf-8")


@bp.get("/story/story.js")
def script() -> Response:
    js = resources.files("harness").joinpath("story/static/story.js").read_text()
    response = Response(js, content_type="text/javascript; charset=utf-8")
    # One script for every launch: a browser fetches it once per run (its profile is fresh).
    response.cache_control.max_age = 600
    return response


@bp.post("/story/api/configs")
def create_config() -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    try:
        config = StoryConfig(**body)
    except (TypeError, StoryConfigError) as exc:
        return _error(400, str(exc))
    return jsonify({"id": _registry().add(config)}), 201  # type: ignore[return-value]


@bp.get("/story/api/configs/<key>")
def get_config(key: str) -> Response:
    config = _registry().configs.get(key)
    if config is None:
        return _error(404, f"no story configuration {key!r}")
    return jsonify(config.as_dict())


@bp.post("/story/api/sessions")
def open_session() -> Response:
    """Server transport: the page hands over its launch URL; the server side runs the story."""
    body = request.get_json(silent=True) or {}
    config = _registry().configs.get(str(body.get("cfg", "")))
    if config is None:
        return _error(404, "unknown story configuration")
    from harness.story.client import WeAreClient

    client = WeAreClient(config, story_url=_base() + "/story/index.html")
    client.open(str(body.get("launch_url", "")))
    handle = secrets.token_hex(8)
    _registry().sessions[handle] = client
    return jsonify({"handle": handle, "outcome": client.outcome.as_dict()})


@bp.post("/story/api/sessions/<handle>/finish")
def finish_session(handle: str) -> Response:
    client = _registry().sessions.get(handle)
    if client is None:
        return _error(404, "unknown story session")
    return jsonify({"outcome": client.finish().as_dict()})


@bp.post("/story/api/results/<key>")
def record_result(key: str) -> Response:
    """The page reports its outcome here too, so a runner can read it without the browser."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    _registry().results[key] = body
    return jsonify({"ok": True})


def _nosniff(response: Response) -> Response:
    """Every answer is read as the type it declares, never sniffed (a JSON error as a page)."""
    response.headers.update(NOSNIFF)
    return response


def create_story_app(registry: StoryRegistry | None = None) -> Flask:
    app = Flask("weare_story")
    app.extensions["story"] = registry or StoryRegistry()
    app.register_blueprint(bp)
    app.after_request(_nosniff)
    return app


class StoryServer(LiveServer):
    """The reference story on its own loopback origin."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.registry = StoryRegistry()
        super().__init__(create_story_app(self.registry), host=host, port=port)

    def story_url(self, config: StoryConfig) -> str:
        """The AU URL for a story with this configuration (its own query string: `cfg`)."""
        return f"{self.base_url}/story/index.html?cfg={self.registry.add(config)}"
