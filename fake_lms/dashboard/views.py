"""The dashboard page: one HTML shell plus static JS/CSS; no data and no secret is rendered in."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from fake_lms.cmi5.launch_url import ENCODINGS, profiles
from fake_lms.quirks import catalogue

bp = Blueprint(
    "dashboard",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/dashboard/static",
)

# Only same-origin scripts, styles and fetches: even a slip into innerHTML could not run code.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
    " img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def _profiles() -> dict[str, dict[str, object]]:
    """Launch profiles (public data from launch_profiles.json) for the launch builder."""
    return {
        name: {
            "description": spec.get("description", ""),
            "parameters": list(spec["parameters"]),
            "required": list(spec.get("required", [])),
        }
        for name, spec in profiles().items()
    }


def _quirks() -> dict[str, str]:
    """Quirk names and descriptions (public data from quirks.json) for each mount's quirk picker."""
    return {name: str(spec["description"]) for name, spec in catalogue().items()}


@bp.get("/")
@bp.get("/dashboard")
@bp.get("/dashboard/")
def dashboard() -> Response:
    html = render_template(
        "dashboard.html", profiles=_profiles(), quirks=_quirks(), encodings=list(ENCODINGS)
    )
    response = Response(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = CSP
    # A page of another origin (a course) that opens the dashboard keeps no handle on its window.
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
