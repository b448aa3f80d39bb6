"""The capture server: the capture page (a cmi5 AU) and the API it reports to, on one origin.

Everything it serves lives under `/<capture secret>/` and answers only a Host naming certify's
own address (`guard`): the page hands out We Are's configured API key.

The page loads the reference story's own `story.js` as a library and drives its functions, so
the browser side of certify is the reference story's behaviour, not a third copy of it. Every
answer is `no-store` and `no-referrer`: the page's URL carries the launch's fetch URL.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, cast

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from fake_lms.live import LiveServer
from harness.certify.capture.guard import allowed_hosts, host_problem, secret_problem
from harness.certify.capture.session import PHASES, CaptureError, CaptureSession
from harness.story.behaviour import BEHAVIOURS, StoryConfig

bp = Blueprint("capture", __name__)
BODY_LIMIT = 512 * 1024
HOSTS = "CAPTURE_HOSTS"  # app.config: the Host values that name this server


def _session() -> CaptureSession:
    return cast(CaptureSession, current_app.extensions["capture"])


def _static(package: str, path: str, content_type: str) -> Response:
    text = resources.files(package).joinpath(path).read_text(encoding="utf-8")
    return Response(text, content_type=content_type)


def _error(status: int, message: str) -> Response:
    response = jsonify({"status": status, "error": message})
    response.status_code = status
    return response


def _body() -> dict[str, Any] | Response:
    if (request.content_length or 0) > BODY_LIMIT:
        return _error(413, f"a report is at most {BODY_LIMIT} bytes")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "body must be a JSON object")
    return body


@bp.get("/")
def page() -> Response:
    return _static("harness", "certify/capture/static/index.html", "text/html; charset=utf-8")


@bp.get("/capture.js")
def capture_script() -> Response:
    return _static("harness", "certify/capture/static/capture.js", "text/javascript; charset=utf-8")


@bp.get("/story.js")
def story_script() -> Response:
    return _static("harness", "story/static/story.js", "text/javascript; charset=utf-8")


@bp.get("/api/config")
def config() -> Response:
    """The reference story's configuration per behaviour: no API URL or key, launch data only."""
    return jsonify({name: StoryConfig(behaviour=name).as_dict() for name in BEHAVIOURS})


@bp.post("/api/launches")
def open_launch() -> Response:
    body = _body()
    if isinstance(body, Response):
        return body
    try:
        answer = _session().open_launch(
            str(body.get("launch_url") or ""),
            str(body.get("origin") or request.host_url.rstrip("/")),
            str(request.headers.get("User-Agent") or ""),
        )
    except CaptureError as exc:
        return _error(exc.status, str(exc))
    return jsonify(answer), 201  # type: ignore[return-value]


@bp.post("/api/launches/<int:number>/phases/<phase>")
def report_phase(number: int, phase: str) -> Response:
    if phase not in PHASES:
        return _error(404, f"no phase {phase!r}; phases: {', '.join(PHASES)}")
    body = _body()
    if isinstance(body, Response):
        return body
    try:
        return jsonify(_session().report_phase(number, phase, body))
    except CaptureError as exc:
        return _error(exc.status, str(exc))


@bp.post("/api/launches/<int:number>/shown")
def shown(number: int) -> Response:
    try:
        _session().shown(number)
    except CaptureError as exc:
        return _error(exc.status, str(exc))
    return jsonify({"ok": True})


@bp.get("/api/status")
def status() -> Response:
    return jsonify(_session().status())


def _guard() -> Response | None:
    """Refuse a Host that is not this server's (421) and a path without the secret (403)."""
    problem = host_problem(request.host, current_app.config.get(HOSTS, set()))
    if problem is not None:
        return _error(421, problem)
    problem = secret_problem(request.path, _session().secret)
    return None if problem is None else _error(403, problem)


def _headers(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def create_capture_app(session: CaptureSession) -> Flask:
    """The capture app; it answers no request until `config[HOSTS]` names its addresses."""
    app = Flask("weare_capture")
    app.extensions["capture"] = session
    app.register_blueprint(bp, url_prefix=f"/{session.secret}")
    app.before_request(_guard)
    app.after_request(_headers)
    return app


class CaptureServer(LiveServer):
    """The capture page and its API, served by threads of this process; `public_url` is the
    page's address as browsers reach it when that is not host:port (a proxy or tunnel)."""

    def __init__(
        self, session: CaptureSession, *, host: str, port: int, public_url: str | None = None
    ) -> None:
        super().__init__(create_capture_app(session), host=host, port=port)
        self.session = session
        self.public_url = public_url

    def start(self) -> CaptureServer:
        super().start()
        if self._server is None:
            raise RuntimeError("the capture server did not start")
        port = self._server.server_port
        self.app.config[HOSTS] = allowed_hosts(self._host, port, self.public_url)
        return self

    @property
    def page_url(self) -> str:
        """The capture page's URL (it carries the secret): under `public_url` when given."""
        base = self.public_url or self.base_url
        return f"{base.rstrip('/')}/{self.session.secret}/"
