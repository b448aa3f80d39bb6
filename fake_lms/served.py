"""Headers for bytes the fake LMS serves back as they were stored: documents and course files.

A client may store any bytes with any Content-Type (a state document of type `text/html`, a
course zip full of HTML and scripts). They must never be sniffed into another type, and a
document must never run as a page; course files are served from an origin of their own
(fake_lms/content.py), never the LMS's.
"""

from __future__ import annotations

NOSNIFF = {"X-Content-Type-Options": "nosniff"}

# A stored xAPI document is data for the client that stored it: opened in a browser it renders
# in a unique opaque origin with scripts, forms, popups and plugins all off.
DOCUMENT_HEADERS = {**NOSNIFF, "Content-Security-Policy": "sandbox"}

# A course file must still run as the course (scripts, forms, popups, alerts, downloads, its
# own storage); the sandbox keeps it from navigating a page that frames it and from plugins,
# and its popups stay sandboxed. It keeps its origin, the content origin (courses use
# localStorage and cookies): the LMS's origin, with the dashboard, is another one.
CONTENT_SANDBOX = (
    "sandbox allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads"
)
CONTENT_HEADERS = {**NOSNIFF, "Content-Security-Policy": CONTENT_SANDBOX}
