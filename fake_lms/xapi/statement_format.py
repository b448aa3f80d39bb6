"""The three statement formats of a GET (xAPI-C §2.1.3 `format`): exact, ids, canonical."""

from __future__ import annotations

import copy
from typing import Any

IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
LANGUAGE_MAP_PATHS = (("verb", "display"),)


# format=ids (xAPI-C §2.1.3, the same words in 1.0.3 and 2.0): "only include minimum information
# necessary in Agent, Activity, Verb and Group Objects to identify them. For Anonymous Groups this
# means including the minimum information needed to identify each member." Everything else in
# the statement (result, context values, timestamps, attachments...) is returned as stored.


def _agent_ids(agent: Any, *, as_object: bool = False) -> Any:
    """An Agent is its IFI; a Group keeps objectType (required, xAPI-D §2.4.2.2) and its IFI,
    or, when anonymous, its members by their IFIs. An Agent keeps objectType only where it
    tells it apart from an Activity: as a statement's object (xAPI-D §2.4.2.1 table)."""
    if not isinstance(agent, dict):
        return agent
    out: dict[str, Any] = {}
    kind = agent.get("objectType", "Agent")
    if kind == "Group" or as_object:
        out["objectType"] = kind
    ifis = {k: agent[k] for k in IFI_KEYS if k in agent}
    out.update(ifis)
    if kind == "Group" and not ifis and isinstance(agent.get("member"), list):
        out["member"] = [_agent_ids(m) for m in agent["member"]]
    return out


def _activity_ids(activity: Any) -> Any:
    """An Activity is its id: `{"id": ...}` (objectType defaults to Activity, xAPI-D §2.4.4)."""
    if not isinstance(activity, dict) or "id" not in activity:
        return activity
    return {"id": activity["id"]}


def _object_ids(obj: Any) -> Any:
    if not isinstance(obj, dict):
        return obj
    kind = obj.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        return _agent_ids(obj, as_object=True)
    if kind == "Activity":
        return _activity_ids(obj)
    if kind == "SubStatement":
        return _statement_ids(obj)
    return obj  # a StatementRef is already only objectType and id


def _context_ids(context: dict[str, Any]) -> dict[str, Any]:
    ctx = dict(context)
    for key in ("instructor", "team"):
        if key in ctx:
            ctx[key] = _agent_ids(ctx[key])
    activities = ctx.get("contextActivities")
    if isinstance(activities, dict):
        ctx["contextActivities"] = {
            k: [_activity_ids(a) for a in v] if isinstance(v, list) else _activity_ids(v)
            for k, v in activities.items()
        }
    # 2.0.0: the Agents and Groups inside contextAgents / contextGroups
    for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
        if isinstance(ctx.get(key), list):
            ctx[key] = [
                {**item, inner: _agent_ids(item[inner])}
                if isinstance(item, dict) and inner in item
                else item
                for item in ctx[key]
            ]
    return ctx


def _statement_ids(stmt: dict[str, Any]) -> dict[str, Any]:
    out = dict(stmt)
    out["actor"] = _agent_ids(stmt["actor"])
    out["verb"] = {"id": stmt["verb"]["id"]}
    out["object"] = _object_ids(stmt["object"])
    if "authority" in stmt:
        out["authority"] = _agent_ids(stmt["authority"])
    if isinstance(stmt.get("context"), dict):
        out["context"] = _context_ids(stmt["context"])
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
