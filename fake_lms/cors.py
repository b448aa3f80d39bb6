"""CORS for the story's origin: the We Are page calls the LRS and the fetch URL from another origin."""

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


def origin_allowed(origin: str | None, allowed: tuple[str, ...]) -> bool:
    return bool(origin) and ("*" in allowed or origin in allowed)


def add_cors_headers(response: Response, origin: str | None, allowed: tuple[str, ...]) -> None:
    """Echo an allowed Origin so credentialed and header-carrying requests both pass."""
    if not origin_allowed(origin, allowed):
        return
    assert origin is not None
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSE_HEADERS)
    response.vary.add("Origin")


def preflight(origin: str | None, allowed: tuple[str, ...]) -> Response:
    """Answer an OPTIONS preflight: 204 with what may be sent, or 403 for a foreign origin."""
    if origin is not None and not origin_allowed(origin, allowed):
        return Response(
            '{"status": 403, "error": "origin not allowed by this fake LMS"}',
            status=403,
            content_type="application/json",
        )
    response = Response(status=204)
    response.headers["Allow"] = ALLOW_METHODS
    response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
    response.headers["Access-Control-Allow-Headers"] = ", ".join(ALLOW_HEADERS)
    response.headers["Access-Control-Max-Age"] = "600"
    add_cors_headers(response, origin, allowed)
    return response
