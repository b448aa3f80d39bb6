"""The three statement formats of a GET (xAPI-C §2.1.3 `format`): exact, ids, canonical."""

from __future__ import annotations

import copy
from typing import Any

IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
LANGUAGE_MAP_PATHS = (("verb", "display"),)


def _agent_ids(agent: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "objectType" in agent:
        out["objectType"] = agent["objectType"]
    ifis = {k: agent[k] for k in IFI_KEYS if k in agent}
    out.update(ifis)
    if agent.get("objectType") == "Group" and not ifis and "member" in agent:
        out["member"] = [_agent_ids(m) for m in agent["member"]]
    return out


def _activity_ids(activity: dict[str, Any]) -> dict[str, Any]:
    out = {"id": activity["id"]}
    if "objectType" in activity:
        out["objectType"] = activity["objectType"]
    return out


def _object_ids(obj: dict[str, Any]) -> dict[str, Any]:
    kind = obj.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        return _agent_ids(obj)
    if kind == "Activity":
        return _activity_ids(obj)
    if kind == "SubStatement":
        return _statement_ids(obj)
    return obj


def _statement_ids(stmt: dict[str, Any]) -> dict[str, Any]:
    out = dict(stmt)
    out["actor"] = _agent_ids(stmt["actor"])
    out["verb"] = {"id": stmt["verb"]["id"]}
    out["object"] = _object_ids(stmt["object"])
    if "authority" in stmt:
        out["authority"] = _agent_ids(stmt["authority"])
    if "context" in stmt:
        ctx = dict(stmt["context"])
        for key in ("instructor", "team"):
            if key in ctx:
                ctx[key] = _agent_ids(ctx[key])
        if "contextActivities" in ctx:
            ctx["contextActivities"] = {
                k: [_activity_ids(a) for a in v] for k, v in ctx["contextActivities"].items()
            }
        out["context"] = ctx
    return out


def _pick_language(value: dict[str, str], accept: list[str]) -> dict[str, str]:
    if len(value) <= 1:
        return value
    lowered = {k.lower(): k for k in value}
    for lang in accept:
        lang = lang.lower()
        if lang in lowered:
            return {lowered[lang]: value[lowered[lang]]}
        for key_low, key in lowered.items():
            if key_low.split("-")[0] == lang.split("-")[0]:
                return {key: value[key]}
    for fallback in ("en-us", "en"):
        if fallback in lowered:
            return {lowered[fallback]: value[lowered[fallback]]}
    first = next(iter(value))
    return {first: value[first]}


def _canonical(node: Any, accept: list[str], key: str = "") -> Any:
    if isinstance(node, dict):
        if key in ("display", "name", "description") and all(
            isinstance(v, str) for v in node.values()
        ):
            return _pick_language(node, accept)
        if key == "extensions":
            return node
        return {k: _canonical(v, accept, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_canonical(v, accept, key) for v in node]
    return node


def parse_accept_language(header: str | None) -> list[str]:
    """Languages in preference order from an Accept-Language header."""
    if not header:
        return []
    weighted = []
    for index, item in enumerate(header.split(",")):
        lang, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if lang and lang != "*":
            weighted.append((-quality, index, lang))
    return [lang for _, _, lang in sorted(weighted)]


def format_statement(stmt: dict[str, Any], fmt: str, accept_language: str | None = None) -> Any:
    if fmt == "ids":
        return _statement_ids(stmt)
    if fmt == "canonical":
        return _canonical(copy.deepcopy(stmt), parse_accept_language(accept_language))
    return stmt
