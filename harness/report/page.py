"""report.html's one renderer: Jinja2 templates with autoescape, shared by `run` and `certify`.

Templates, the stylesheet and the script are package data (`templates/`, `static/`). The page
loads nothing: the CSS and JS are inlined and the Content-Security-Policy allows exactly them by
their sha256, nothing else (no 'unsafe-inline'). Every value a template prints is escaped and,
as a second line of defence, redacted (`finalize`), whatever the caller already did.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from harness.report import redact_text

STATIC = ("report.css", "report.js")


def _finalize(value: Any) -> Any:
    """What a `{{ ... }}` prints: strings redacted; markup the templates built is left as is."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return redact_text(value)
    return value


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("harness.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


@functools.cache
def static_text(name: str) -> str:
    """A file of `harness/report/static/`, as inlined into the page."""
    return resources.files("harness.report").joinpath("static", name).read_text(encoding="utf-8")


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render(template: str, **context: Any) -> str:
    """The page from `templates/<template>`: the base layout with the CSS, JS and their CSP."""
    css, js = (static_text(name) for name in STATIC)
    csp = (
        f"default-src 'none'; style-src {csp_hash(css)}; script-src {csp_hash(js)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    # The stylesheet and script are the package's own files: inlined verbatim, so their hash
    # holds. The page's data only ever goes through autoescape.
    page = environment().get_template(template)
    return page.render(css=Markup(css), js=Markup(js), csp=csp, **context) + "\n"
