"""Strict JSON parsing for xAPI request bodies.

The stdlib parser is lenient where xAPI is not: it keeps the last of two equal keys, accepts
NaN/Infinity and turns 1e400 into inf. Each of those is a client fault the LRS must answer with 400
(xAPI-D §2.2), so this parser reports them, with the JSON path of the offending value.

It also refuses nesting deeper than MAX_JSON_DEPTH before the stdlib parser sees the text: that
parser recurses once per level and fails with RecursionError near 1,000 levels, and every reader
of a stored value (formats, merges, exports) recurses too. The depth check itself is a flat scan.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from collections import Counter
from itertools import accumulate
from typing import Any

from fake_lms.xapi.limits import LIMITS_SECTION, MAX_JSON_DEPTH

__all__ = ["JSONBodyError", "JSONTooDeep", "check_depth", "child_path", "parse_json"]

_DUPLICATE = "xAPI-D §2.2 XAPI-00021"
_MALFORMED = "xAPI-D §2.2 XAPI-00014"
_ENCODING = "xAPI-C §1.4 XAPI-00015"


class JSONBodyError(ValueError):
    """Carries .path (JSON path string like '$' or '$.actor') and .rule (human text) and .section (e.g. 'xAPI-C §1.4')."""

    def __init__(self, path: str, rule: str, section: str) -> None:
        super().__init__(f"{path}: {rule} ({section})")
        self.path = path
        self.rule = rule
        self.section = section

    def as_dict(self) -> dict[str, str]:
        """Same shape as a validation Violation, so callers can report both alike."""
        return {"path": self.path, "rule": self.rule, "section": self.section}


class JSONTooDeep(JSONBodyError):
    """Nesting deeper than the limit: a limit of this LRS, not a fault of the JSON itself."""


class _MarkedObject(dict[str, Any]):
    """A parsed object that had repeated keys; kept in the tree so its path can be found."""

    duplicates: set[str]


class _NonFinite:
    """Stands where NaN, Infinity or an overflowing number was, so its path can be found."""

    def __init__(self, token: str) -> None:
        self.token = token


def parse_json(data: bytes | str) -> Any:
    """Parse strict JSON (UTF-8): rejects duplicate object keys (xAPI-D §2.2 'each property at most once'),
    NaN/Infinity, trailing garbage, invalid UTF-8; raises JSONBodyError naming the JSON path of the duplicate."""
    text = _decode(data)
    check_depth(text)
    suspicious: list[bool] = []

    def object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        marked = _MarkedObject(obj)
        counts = Counter(k for k, _ in pairs)
        marked.duplicates = {k for k, n in counts.items() if n > 1}
        suspicious.append(True)
        return marked

    def constant(token: str) -> _NonFinite:
        suspicious.append(True)
        return _NonFinite(token)

    def number(token: str) -> float | _NonFinite:
        value = float(token)
        return value if math.isfinite(value) else constant(token)

    try:
        value = json.loads(
            text, object_pairs_hook=object_pairs, parse_constant=constant, parse_float=number
        )
    except json.JSONDecodeError as exc:
        what = "the body is empty" if not text.strip() else exc.msg
        raise JSONBodyError(
            "$", f"malformed JSON: {what} (line {exc.lineno}, column {exc.colno})", _MALFORMED
        ) from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise JSONBodyError("$", f"malformed JSON: {exc}", _MALFORMED) from None
    if suspicious:
        _raise_first_fault(value, "$")
    if contains(text, "\\u"):
        _reject_lone_surrogates(value, "$")
    return value


_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]', re.DOTALL)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes
# Characters a flat scan of a long text handles per step (about a millisecond of C each).
SLICE_CHARS = 1 << 18
_DEPTH_SECTION = f"{LIMITS_SECTION}: JSON nesting depth (RFC 8259 §9 allows a limit)"


def check_depth(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise JSONTooDeep if arrays/objects nest deeper than `limit` (the outermost is level 1).

    Linear, flat and in C, a slice of SLICE_CHARS at a time (so that a 16 MiB body never holds
    the interpreter for longer than one slice costs: other requests' threads run in between).
    In each slice escape pairs are dropped (so no quote is escaped any more), every byte but
    quotes and brackets is deleted, what lies between quotes (string contents) is cut out, and
    the brackets left are summed as +1/-1 steps. What a slice leaves open (an escape begun by
    its last backslash, an open string, the depth) carries into the next. A megabyte of '['
    costs what its length costs and recurses nowhere.
    """
    if len(text) <= SLICE_CHARS and text.count("[") + text.count("{") <= limit:
        return
    depth, deepest, in_string, escaping = 0, 0, False, False
    for start in range(0, len(text), SLICE_CHARS):
        raw = text[start : start + SLICE_CHARS].encode("utf-8", "surrogatepass")
        if escaping and raw[:1] in (b"\\", b'"'):
            raw = raw[1:]  # the escaped character of the last slice's trailing backslash
        if b"\\" in raw:
            raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
        escaping = raw.endswith(b"\\")
        pieces = raw.translate(None, _NOT_STRUCTURE).split(b'"')
        outside = b"".join(pieces[1::2] if in_string else pieces[::2])
        in_string ^= len(pieces) % 2 == 0
        steps = list(accumulate(array("b", outside.translate(_STEPS)), initial=depth))
        deepest, depth = max(deepest, max(steps)), steps[-1]
        if deepest > limit:
            raise _too_deep(text, limit)


def contains(text: str, needle: str) -> bool:
    """`needle in text`, a slice of SLICE_CHARS at a time (see `check_depth`)."""
    overlap = len(needle) - 1
    return any(
        needle in text[start : start + SLICE_CHARS + overlap]
        for start in range(0, len(text), SLICE_CHARS)
    )


def _too_deep(text: str, limit: int) -> JSONTooDeep:
    """Walk the tokens up to the value that opens level `limit + 1`, to name its JSON path."""
    frames: list[list[Any]] = []  # [is_object, current key or index, expecting a key]
    for match in _TOKEN.finditer(text):
        token = match.group()
        top = frames[-1] if frames else None
        if token in "[{":
            if len(frames) == limit:
                where = _depth_path(frames)
                return JSONTooDeep(
                    where,
                    f"JSON nested deeper than {limit} levels (this LRS's limit): level {limit + 1}"
                    f" opens at character {match.start()}, the value at {where[:80]}",
                    _DEPTH_SECTION,
                )
            frames.append([token == "{", 0 if token == "[" else None, token == "{"])
        elif token in "]}":
            if frames:
                frames.pop()
        elif top is None:
            continue
        elif token == ",":
            if top[0]:
                top[2] = True
            else:
                top[1] += 1
        elif token == ":":
            top[2] = False
        elif top[0] and top[2]:  # a string where a key is expected
            try:
                top[1] = json.loads(token)
            except ValueError:
                top[1] = token[1:-1]
    # The bracket count said too deep but the tokens do not (malformed JSON): still refuse.
    rule = f"JSON nested deeper than {limit} levels (this LRS's limit)"
    return JSONTooDeep("$", rule, _DEPTH_SECTION)


def _depth_path(frames: list[list[Any]]) -> str:
    path = "$"
    for is_object, step, _ in frames:
        if is_object:
            key = str(step)
            path = child_path(path, key if len(key) <= 40 else key[:40] + "…")
        else:
            path = f"{path}[{step}]"
    return path if len(path) <= 240 else f"{path[:120]}…{path[-119:]}"


def _decode(data: bytes | str) -> str:
    """Body bytes must be UTF-8 without a byte order mark (RFC 8259 §8.1)."""
    if isinstance(data, str):
        text = data
    else:
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = exc.object[exc.start]
            raise JSONBodyError(
                "$", f"body is not valid UTF-8: byte 0x{byte:02x} at offset {exc.start}", _ENCODING
            ) from None
    if text.startswith("\ufeff"):
        raise JSONBodyError(
            "$", "body starts with a byte order mark; JSON text must not (RFC 8259 §8.1)", _ENCODING
        )
    return text


def _raise_first_fault(value: Any, path: str) -> None:
    """Walk the tree in document order and raise for the first duplicate key or non-finite number."""
    if isinstance(value, _NonFinite):
        raise JSONBodyError(
            path,
            f"{value.token} is not a JSON number (RFC 8259 §6 allows finite numbers only)",
            _MALFORMED,
        )
    if isinstance(value, dict):
        for key, item in value.items():
            child = child_path(path, key)
            if isinstance(value, _MarkedObject) and key in value.duplicates:
                raise JSONBodyError(
                    child,
                    f"duplicate key {key!r}: each property may appear at most once",
                    _DUPLICATE,
                )
            _raise_first_fault(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _raise_first_fault(item, f"{path}[{index}]")


def _reject_lone_surrogates(value: Any, path: str) -> None:
    """A \\ud800-style escape without its pair cannot be UTF-8, so the string is not valid xAPI text."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise JSONBodyError(
                path,
                "string contains an unpaired UTF-16 surrogate escape; not valid UTF-8 text",
                _ENCODING,
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_lone_surrogates(key, path)
            _reject_lone_surrogates(item, child_path(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _reject_lone_surrogates(item, f"{path}[{index}]")


def child_path(path: str, key: str) -> str:
    """JSON path step: '.key' for identifier-like keys, "['key']" otherwise (IRIs, language tags)."""
    if key.isidentifier() and key.isascii():
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"
