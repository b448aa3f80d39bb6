"""What the fake LMS refuses to work through: each limit once, each named in docs/limits.md.

A refusal for one of these says the limit and this section in its xAPI error body, so a client
can tell "the LRS draws a line here" from "my statement breaks a rule of the specification".
"""

from __future__ import annotations

__all__ = [
    "DISCONNECT_CHECK_EVERY",
    "LIMITS_SECTION",
    "MAX_BATCH_STATEMENTS",
    "MAX_INT_PARAM_DIGITS",
    "MAX_JSON_DEPTH",
    "MAX_REPORTED_VIOLATIONS",
]

LIMITS_SECTION = "weare-harness limits (docs/limits.md)"

# Arrays and objects nested inside each other in one JSON input (statement body, JSON document,
# JSON query parameter, admin body); the outermost array or object is level 1. RFC 8259 §9 lets
# a parser limit nesting; 64 keeps every stored value readable by every recursive reader.
MAX_JSON_DEPTH = 64

# Statements in one POST batch; a longer batch is refused with 413 before it is validated.
MAX_BATCH_STATEMENTS = 10_000

# Violations listed in one 400 body; the rest are counted in `violations_omitted`.
MAX_REPORTED_VIOLATIONS = 100

# Digits of an integer query parameter (limit, after); 18 digits always fit SQLite's INTEGER.
MAX_INT_PARAM_DIGITS = 18

# Statements validated between two checks whether the client is still connected.
DISCONNECT_CHECK_EVERY = 256
