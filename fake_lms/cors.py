"""CORS for the story's origin: the We Are page calls the LRS and the fetch URL from another origin.

Any origin may call without credentials (`Access-Control-Allow-Origin: *`): the story sends its
Authorization header explicitly, which needs no credentialed mode. Only origins the operator
names (`serve --cors-origin`) are echoed back with `Access-Control-Allow-Credentials: true`, and
`null` (sandboxed frames, file: pages, redirects) never is: echoing it would open credentialed
reads to any page that can make itself opaque.
"""

from __future__ import annotations

from flask import Response

ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "X-Experience-API-Version",
    "If-Match",
    "If-None-Match",
    "Accept",
    "Accept-Language",
)
EXPOSE_HEADERS = (
    "ETag",
    "Last-Modified",
    "Content-Type",
    "X-Experience-API-Version",
    "X-Experience-API-Consistent-Through",
)


def add_cors_headers(response: Response, origin: str | None, credentialed: tuple[str, ...]) -> None:
    """`*` for anyone; the caller's own origin with credentials if it is one of `credentialed`."""
    if origin and origin != "null" and origin in credentialed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    else:
        response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSE_HEADERS)
    if credentialed:
        response.vary.add("Origin")  # the answer depends on Origin only when some are named


def preflight(
    origin: str | None, credentialed: tuple[str, ...], methods: tuple[str, ...] | None = None
) -> Response:
    """Answer an OPTIONS preflight: 204 with the headers xAPI clients send and, in `Allow`, exactly
    the resource's `methods` and OPTIONS (every method when the path names no resource)."""
    response = Response(status=204)
    allow = ", ".join((*methods, "OPTIONS")) if methods is not None else ALLOW_METHODS
    response.headers["Allow"] = allow
    response.headers["Access-Control-Allow-Methods"] = allow
    response.headers["Access-Control-Allow-Headers"] = ", ".join(ALLOW_HEADERS)
    response.headers["Access-Control-Max-Age"] = "600"
    add_cors_headers(response, origin, credentialed)
    return response
