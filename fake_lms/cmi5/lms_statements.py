"""The statements the LMS itself writes (cmi5 §9.3.1, §9.3.6, §9.3.7, §9.3.9), and LaunchData's
contextTemplate (§10.2.1).

Each builder returns a new statement, valid xAPI 1.0.3 and valid per cmi5: a fresh UUID `id`, the
given `timestamp` (the caller passes UTC) and `authority`, the launch actor, the registration, the
cmi5 category, the session id extension (9.6.3.1-3) and the publisher-id grouping activity
(9.6.2.3-2). The context is built from the session's contextTemplate, so anything the LMS added to
the template reaches its own statements too. Inputs are copied, never shared with the result.
"""

from __future__ import annotations

import copy
import math
import uuid
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from fake_lms.cmi5.course import LAUNCH_PARAMETER_NAMES
from fake_lms.cmi5.rules import SessionView
from fake_lms.cmi5.vocab import (
    ACTIVITY_TYPE_BLOCK,
    ACTIVITY_TYPE_COURSE,
    CATEGORY_CMI5,
    CATEGORY_MOVEON,
    EXT_LAUNCH_MODE,
    EXT_LAUNCH_PARAMETERS,
    EXT_LAUNCH_URL,
    EXT_MASTERY_SCORE,
    EXT_MOVE_ON,
    EXT_SESSION_ID,
    RESULT_EXT_REASON,
    VERB_ABANDONED,
    VERB_DISPLAY,
    VERB_LAUNCHED,
    VERB_SATISFIED,
    VERB_WAIVED,
)

__all__ = [
    "abandoned",
    "context_template",
    "iso_duration",
    "launched",
    "satisfied",
    "strip_launch_parameters",
    "waived",
]


def context_template(session_id: str, publisher_id: str) -> dict[str, Any]:
    """The LMS.LaunchData contextTemplate: the session id extension (10.2.1.0-2) and the AU's
    publisher id as a grouping activity (10.2.1.0-3, §9.6.2.3)."""
    return {
        "contextActivities": {"grouping": [{"id": publisher_id}]},
        "extensions": {EXT_SESSION_ID: session_id},
    }


def launched(
    view: SessionView,
    *,
    launch_url: str,
    launch_parameters: str | None,
    authority: dict[str, Any],
    timestamp: str,
) -> dict[str, Any]:
    """The "launched" statement the LMS records before the AU is launched (9.3.1.0-1).

    Context extensions: sessionid, launchmode (9.6.3.3-1), launchurl (9.6.3.4-1: the launch URL
    without the five cmi5 pairs; they are removed here if present, other query pairs stay as
    written), moveon (9.6.3.6-1), launchparameters when not None (9.6.3.7-1), masteryscore when
    the session has one (9.6.3.2-1).
    """
    stmt = _statement(view, VERB_LAUNCHED, authority=authority, timestamp=timestamp)
    extensions = stmt["context"]["extensions"]
    extensions[EXT_LAUNCH_MODE] = view.launch_mode
    extensions[EXT_LAUNCH_URL] = strip_launch_parameters(launch_url)
    extensions[EXT_MOVE_ON] = view.move_on
    if launch_parameters is not None:
        extensions[EXT_LAUNCH_PARAMETERS] = launch_parameters
    if view.mastery_score is not None:
        extensions[EXT_MASTERY_SCORE] = view.mastery_score
    return stmt


def abandoned(
    view: SessionView, *, duration: str, authority: dict[str, Any], timestamp: str
) -> dict[str, Any]:
    """The "abandoned" statement for `view`'s session (§9.3.6); duration required (9.5.4.2-1).

    No moveOn category: abandoned has neither success nor completion (9.6.2.2-2).
    """
    stmt = _statement(view, VERB_ABANDONED, authority=authority, timestamp=timestamp)
    stmt["result"] = {"duration": duration}
    return stmt


def waived(
    view: SessionView,
    *,
    reason: str,
    new_session_id: str,
    authority: dict[str, Any],
    timestamp: str,
) -> dict[str, Any]:
    """The "waived" statement for `view`'s AU (§9.3.7).

    result: success and completion true (9.5.2.0-1, 9.5.3.0-1), the reason extension (9.3.7.0-2,
    9.5.5.2-1; SHOULD be one of vocab.WAIVE_REASONS); moveOn category (9.6.2.2-1); and a new
    session id, used only by this statement and the satisfied statements it triggers (9.3.7.0-3).
    """
    stmt = _statement(view, VERB_WAIVED, authority=authority, timestamp=timestamp)
    stmt["context"]["extensions"][EXT_SESSION_ID] = new_session_id
    stmt["context"]["contextActivities"]["category"].append({"id": CATEGORY_MOVEON})
    stmt["result"] = {
        "success": True,
        "completion": True,
        "extensions": {RESULT_EXT_REASON: reason},
    }
    return stmt


def satisfied(
    *,
    actor: dict[str, Any],
    registration: str,
    object_id: str,
    activity_type: str,
    publisher_id: str,
    session_id: str,
    authority: dict[str, Any],
    timestamp: str,
) -> dict[str, Any]:
    """A "satisfied" statement for a block or the course (§9.3.9).

    The object is the LMS-generated block/course id (never the publisher id) with
    `definition.type` = the block or course activity type (A3: `type`, not `objectType`); the
    grouping activity is the block's/course's publisher id, as CATAPULT writes it. `session_id`
    is the AU session that caused it, or a fresh one outside a session (e.g. at registration).
    Raises ValueError for another activity type or an object id equal to the publisher id.
    """
    if activity_type not in (ACTIVITY_TYPE_BLOCK, ACTIVITY_TYPE_COURSE):
        raise ValueError(f"satisfied is about a block or a course, not {activity_type!r}")
    if object_id == publisher_id:
        raise ValueError("the satisfied object id must be LMS-generated, not the publisher id")
    return {
        "id": str(uuid.uuid4()),
        "timestamp": timestamp,
        "actor": copy.deepcopy(actor),
        "verb": _verb(VERB_SATISFIED),
        "object": {
            "id": object_id,
            "objectType": "Activity",
            "definition": {"type": activity_type},
        },
        "context": {
            "registration": registration,
            "contextActivities": {
                "grouping": [{"id": publisher_id}],
                "category": [{"id": CATEGORY_CMI5}],
            },
            "extensions": {EXT_SESSION_ID: session_id},
        },
        "authority": copy.deepcopy(authority),
    }


def iso_duration(seconds: float) -> str:
    """Seconds as an ISO 8601 duration at centisecond precision (xAPI compares at 0.01 s):
    843.2 → "PT14M3.2S", 3600 → "PT1H", 0 → "PT0S". Hours are not folded into days.
    Raises ValueError for negative, NaN or infinite input."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration needs a finite, non-negative number of seconds: {seconds}")
    centis = round(seconds * 100)
    hours, centis = divmod(centis, 360_000)
    minutes, centis = divmod(centis, 6_000)
    whole, frac = divmod(centis, 100)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if whole or frac or out == "PT":
        out += f"{whole}.{frac:02d}".rstrip("0").rstrip(".") + "S"
    return out


def strip_launch_parameters(url: str) -> str:
    """The launch URL without the cmi5 pairs (endpoint, fetch, actor, registration,
    activityId); the AU's own query pairs and the fragment are kept exactly as written."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and unquote_plus(pair.split("=", 1)[0]) not in LAUNCH_PARAMETER_NAMES
    ]
    return urlunsplit(parts._replace(query="&".join(kept)))


# --- helpers -------------------------------------------------------------------------------------


def _verb(verb_id: str) -> dict[str, Any]:
    return {"id": verb_id, "display": {"en-US": VERB_DISPLAY[verb_id]}}


def _statement(
    view: SessionView, verb_id: str, *, authority: dict[str, Any], timestamp: str
) -> dict[str, Any]:
    """Skeleton of an LMS statement about the AU: launch actor, object = launch activityId,
    context = contextTemplate + registration + cmi5 category (template values kept first)."""
    context = copy.deepcopy(view.context_template)
    context["registration"] = view.registration
    activities = context.setdefault("contextActivities", {})
    grouping = activities.get("grouping")
    grouping = [grouping] if isinstance(grouping, dict) else list(grouping or [])
    if not any(isinstance(a, dict) and a.get("id") == view.publisher_id for a in grouping):
        grouping.append({"id": view.publisher_id})  # 9.6.2.3-2 even if the template lacks it
    activities["grouping"] = grouping
    category = activities.get("category")
    category = [category] if isinstance(category, dict) else list(category or [])
    if not any(isinstance(a, dict) and a.get("id") == CATEGORY_CMI5 for a in category):
        category.append({"id": CATEGORY_CMI5})
    activities["category"] = category
    extensions = context.setdefault("extensions", {})
    extensions.setdefault(EXT_SESSION_ID, view.session_id)
    return {
        "id": str(uuid.uuid4()),
        "timestamp": timestamp,
        "actor": copy.deepcopy(view.actor),
        "verb": _verb(verb_id),
        "object": {"id": view.activity_id, "objectType": "Activity"},
        "context": context,
        "authority": copy.deepcopy(authority),
    }
