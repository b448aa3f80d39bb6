"""The cmi5 course package a vendor imports into their LMS: one AU, the capture page.

`cmi5.xml` is checked before it is written, with the fake LMS's own course import (the cmi5
CourseStructure XSD and the import rules of cmi5 §13–14), so a package certify hands out is
one an LMS that follows cmi5 must accept. The AU asks for a window of its own
(`launchMethod="OwnWindow"`, cmi5 §13.1.4): a launch is then a top-level navigation or a new
window, never a frame, so an HTTPS LMS can open an http://127.0.0.1 capture page.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from fake_lms.cmi5.course import CMI5_NS, PACKAGE_ROOT_FILE, import_package

PACKAGE_NAME = "weare-certify-course.zip"
COURSE_ID = "https://weare-harness.dev/certification/course"
AU_ID = "https://weare-harness.dev/certification/capture-au"
TITLE = "We Are LMS certification (weare-harness)"
DESCRIPTION = (
    "Launch this as a test learner: the page checks, in your browser, that We Are stories can "
    "report completions to this LMS, and shows the verdict."
)


def course_xml(page_url: str) -> bytes:
    """cmi5.xml with one AU whose url is the capture page."""

    def text(value: str) -> str:
        return f'<langstring lang="en-US">{escape(value)}</langstring>'

    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f"<courseStructure xmlns={quoteattr(CMI5_NS)}>\n"
        f"  <course id={quoteattr(COURSE_ID)}>\n"
        f"    <title>{text(TITLE)}</title>\n"
        f"    <description>{text(DESCRIPTION)}</description>\n"
        "  </course>\n"
        f'  <au id={quoteattr(AU_ID)} moveOn="Completed" launchMethod="OwnWindow">\n'
        f"    <title>{text('We Are certification: capture page')}</title>\n"
        f"    <description>{text(DESCRIPTION)}</description>\n"
        f"    <url>{escape(page_url)}</url>\n"
        "  </au>\n"
        "</courseStructure>\n"
    ).encode()


def build(page_url: str) -> bytes:
    """The zip's bytes, checked by the fake LMS's import (raises CourseImportError if refused)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PACKAGE_ROOT_FILE, course_xml(page_url))
    data = buffer.getvalue()
    import_package(data, filename=PACKAGE_NAME)
    return data


def write(page_url: str, directory: Path) -> Path:
    """Write DIR/weare-certify-course.zip; OSError when the folder cannot be written."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / PACKAGE_NAME
    path.write_bytes(build(page_url))
    return path.resolve()
