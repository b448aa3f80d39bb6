"""The small xAPI resources: About (xAPI-C §2.8), Agents (§2.4) and Activities (§2.5)."""

from __future__ import annotations

import json
from typing import Any, cast

from flask import Blueprint, Response, g

from fake_lms.lms import current_lms, json_response
from fake_lms.xapi.jsonbody import JSONBodyError, parse_json
from fake_lms.xapi.protocol import XAPIError, XRequest, about_versions, check_params
from fake_lms.xapi.validation import agent_ifi, is_iri, validate_agent

bp = Blueprint("resources", __name__)

IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")


def _only_get(xreq: XRequest, resource: str) -> None:
    if xreq.method not in ("GET", "HEAD"):
        raise XAPIError(
            405,
            f"{xreq.method} is not allowed on {resource}",
            "xAPI-C §2",
            "method",
            headers={"Allow": "GET, HEAD"},
        )


@bp.route("/about", methods=["GET", "POST", "PUT", "DELETE"], strict_slashes=False)
def about() -> Response:
    """Versions this LRS speaks; open to anyone, no version header needed (XAPI-00315..00321)."""
    xreq: XRequest = g.xreq
    _only_get(xreq, "about")
    check_params(xreq, frozenset())
    return json_response(
        {
            "version": about_versions(g.xapi_version, xreq.header("X-Experience-API-Version")),
            "extensions": {"https://weare-harness.dev/xapi/about/mount": g.mount},
        }
    )


def parse_agent_param(xreq: XRequest, name: str = "agent") -> dict[str, Any]:
    """The `agent` query parameter as a valid Agent, or a 400 naming what is wrong."""
    raw = xreq.params.get(name)
    if raw is None:
        raise XAPIError(400, f"missing required parameter {name!r}", "xAPI-C §2", f"query:{name}")
    try:
        agent = parse_json(raw)
    except JSONBodyError as exc:
        raise XAPIError(
            400, f"{name} is not valid JSON: {exc.rule}", exc.section, f"query:{name}"
        ) from exc
    problems = validate_agent(agent, name)
    if problems:
        raise XAPIError(
            400, f"{name}: {problems[0].rule}", problems[0].section, f"query:{problems[0].path}"
        )
    return cast("dict[str, Any]", agent)  # validate_agent refuses all but an object


@bp.route("/agents", methods=["GET", "POST", "PUT", "DELETE"], strict_slashes=False)
def agents() -> Response:
    """The Person object: every identifier and name known for the agent (xAPI-C §2.4)."""
    xreq: XRequest = g.xreq
    _only_get(xreq, "agents")
    check_params(xreq, frozenset({"agent"}), required=("agent",))
    agent = parse_agent_param(xreq)
    known = [agent]
    row = (
        current_lms()
        .db.connection()
        .execute(
            "SELECT agent FROM agents WHERE mount = ? AND ifi = ?", (g.mount, agent_ifi(agent))
        )
        .fetchone()
    )
    if row is not None:
        known.append(json.loads(row[0]))
    person: dict[str, Any] = {"objectType": "Person"}
    for key in ("name", *IFI_KEYS):
        values = []
        for item in known:
            if key in item and item[key] not in values:
                values.append(item[key])
        if values:
            person[key] = values
    return json_response(person)


@bp.route("/activities", methods=["GET", "POST", "PUT", "DELETE"], strict_slashes=False)
def activities() -> Response:
    """The Activity with the definition merged from the statements stored (xAPI-C §2.5)."""
    xreq: XRequest = g.xreq
    _only_get(xreq, "activities")
    check_params(xreq, frozenset({"activityId"}), required=("activityId",))
    activity_id = xreq.params["activityId"]
    if not is_iri(activity_id):
        raise XAPIError(
            400, f"activityId {activity_id[:60]!r} is not an IRI", "xAPI-C §2.5", "query:activityId"
        )
    row = (
        current_lms()
        .db.connection()
        .execute(
            "SELECT definition FROM activities WHERE mount = ? AND id = ?", (g.mount, activity_id)
        )
        .fetchone()
    )
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if row is not None:
        activity["definition"] = json.loads(row[0])
    return json_response(activity)
