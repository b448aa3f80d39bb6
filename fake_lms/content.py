"""Imported course files on an origin of their own, apart from the LMS and its dashboard.

A course package is a stranger's HTML and scripts. Served from the LMS's origin, it would be a
page of the dashboard's origin, and a browser logged in to the dashboard would lend it the
session: it could call the admin API and read the dashboard's windows. So the files are served
by a second app, `create_content_app`, on a port of its own (`serve --content-port`,
`FakeLMS.content_url`): it routes `/content/<course_id>/<path>` and nothing else (no admin API,
no dashboard, no session), and the admin API never takes the dashboard's cookie on a request
from another origin (dashboard/session.py). The LMS's own origin answers `/content/...` (the AU
URLs of a store imported before) with a redirect to the same path on the content origin.
"""

from __future__ import annotations

import logging
import mimetypes
from urllib.parse import quote

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from fake_lms.lms import current_lms, json_response
from fake_lms.served import CONTENT_HEADERS, NOSNIFF

log = logging.getLogger("fake_lms")
CONTENT_ORIGIN = "WEARE_CONTENT_ORIGIN"  # the LMS app's config: where its course files are served
files_bp = Blueprint("course_files", __name__)
moved_bp = Blueprint("content", __name__)


def set_content_origin(lms_app: Flask, origin: str) -> None:
    """Tell the LMS where its content app answers (scheme://host:port), once it listens."""
    lms_app.config[CONTENT_ORIGIN] = origin.rstrip("/")


def package_base(course_id: str) -> str | None:
    """The URL an imported package's files are served under, or None when this LMS serves no
    course content (an app created without its content app running)."""
    origin = current_app.config.get(CONTENT_ORIGIN)
    return f"{origin}/content/{course_id}/" if origin else None


def create_content_app(lms_app: Flask) -> Flask:
    """The course files of `lms_app`'s store, for a server of their own; no other route."""
    lms = lms_app.extensions["weare"]
    app = Flask("fake_lms_content")
    app.url_map.merge_slashes = False
    app.extensions["weare"] = lms
    app.register_blueprint(files_bp)
    app.teardown_request(lambda _exc: lms.db.release())
    app.register_error_handler(HTTPException, _refusal)
    app.register_error_handler(Exception, _unexpected)
    return app


@files_bp.get("/content/<course_id>/<path:path>")
def course_file(course_id: str, path: str) -> Response:
    """A file of an imported zip, so packaged AUs with relative URLs can be launched (14.1.0.0-3)."""
    row = (
        current_lms()
        .db.connection()
        .execute(
            "SELECT content FROM package_files WHERE course_id = ? AND path = ?", (course_id, path)
        )
        .fetchone()
    )
    if row is None:
        return _not_found(f"no file {path!r} in course {course_id}")
    ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return Response(bytes(row[0]), content_type=ctype, headers=CONTENT_HEADERS)


@moved_bp.get("/content/<course_id>/<path:path>")
def moved(course_id: str, path: str) -> Response:
    """On the LMS's origin: the same file on the content origin (308), never the file itself."""
    origin = current_app.config.get(CONTENT_ORIGIN)
    if not origin:
        return _not_found("this LMS serves no course content: it runs without its content origin")
    query = request.query_string.decode("latin-1")
    target = f"{origin}{quote(request.path)}" + (f"?{query}" if query else "")
    body = {"location": target, "reason": "course files are served from the content origin"}
    return json_response(body, 308, {"Location": target, **NOSNIFF})


def _not_found(message: str) -> Response:
    return json_response({"status": 404, "error": message, "section": "HTTP"}, 404, NOSNIFF)


def _refusal(exc: HTTPException) -> Response:
    status = exc.code or 500
    body = {"status": status, "error": exc.description or exc.name, "section": "HTTP"}
    return json_response(body, status, NOSNIFF)


def _unexpected(exc: Exception) -> Response:
    log.exception("unexpected error while serving %s %s", request.method, request.path)
    body = {"status": 500, "error": f"internal error: {type(exc).__name__}", "section": "HTTP"}
    return json_response(body, 500, NOSNIFF)
