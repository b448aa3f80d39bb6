"""cmi5 vocabulary: the IRIs of cmi5 §9 (rules doc §4.2) and the few fixed names of §10–§11.

Only Quartz (w3id.org) IRIs. Sandstone's purl.org IRIs are not recognised: an AU that sends them
is sending a cmi5 "allowed" statement at best. Verbs are identified by `id` alone; the display
strings here are what the fake LMS writes, never something it checks (xAPI-D §2.4.3).
"""

from __future__ import annotations

__all__ = [
    "ACTIVITY_TYPE_BLOCK",
    "ACTIVITY_TYPE_COURSE",
    "AU_VERBS",
    "CATEGORY_CMI5",
    "CATEGORY_MOVEON",
    "CMI5_VERBS",
    "COURSE_STRUCTURE_NS",
    "EXT_LAUNCH_MODE",
    "EXT_LAUNCH_PARAMETERS",
    "EXT_LAUNCH_URL",
    "EXT_MASTERY_SCORE",
    "EXT_MOVE_ON",
    "EXT_PUBLISHER_ID_WITHDRAWN",
    "EXT_SESSION_ID",
    "LAUNCH_MODES",
    "LAUNCH_MODE_BROWSE",
    "LAUNCH_MODE_NORMAL",
    "LAUNCH_MODE_REVIEW",
    "LMS_VERBS",
    "PROFILE_ID_LEARNER_PREFERENCES",
    "RESULT_EXT_PROGRESS",
    "RESULT_EXT_REASON",
    "SATISFACTION_VERBS",
    "STATE_ID_LAUNCH_DATA",
    "VERB_ABANDONED",
    "VERB_COMPLETED",
    "VERB_DISPLAY",
    "VERB_FAILED",
    "VERB_INITIALIZED",
    "VERB_LAUNCHED",
    "VERB_PASSED",
    "VERB_SATISFIED",
    "VERB_TERMINATED",
    "VERB_VOIDED",
    "VERB_WAIVED",
    "WAIVE_REASONS",
]

# --- verbs (cmi5 §9.3) ---------------------------------------------------------------------------
VERB_LAUNCHED = "http://adlnet.gov/expapi/verbs/launched"
VERB_INITIALIZED = "http://adlnet.gov/expapi/verbs/initialized"
VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VERB_PASSED = "http://adlnet.gov/expapi/verbs/passed"
VERB_FAILED = "http://adlnet.gov/expapi/verbs/failed"
VERB_TERMINATED = "http://adlnet.gov/expapi/verbs/terminated"
VERB_ABANDONED = "https://w3id.org/xapi/adl/verbs/abandoned"
VERB_WAIVED = "https://w3id.org/xapi/adl/verbs/waived"
VERB_SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
VERB_VOIDED = "http://adlnet.gov/expapi/verbs/voided"  # xAPI reserved (xAPI-D §2.3.2)

# The verbs an AU may use in cmi5 defined statements (CATAPULT 9.3.0.0-1; issue #576).
AU_VERBS = frozenset({VERB_INITIALIZED, VERB_COMPLETED, VERB_PASSED, VERB_FAILED, VERB_TERMINATED})
# The verbs only the LMS writes.
LMS_VERBS = frozenset({VERB_LAUNCHED, VERB_ABANDONED, VERB_WAIVED, VERB_SATISFIED})
CMI5_VERBS = AU_VERBS | LMS_VERBS
# AU verbs that record satisfaction data: refused in Browse/Review (cmi5 §10.2.2) and the only
# AU verbs that carry the moveOn category (§9.6.2.2).
SATISFACTION_VERBS = frozenset({VERB_COMPLETED, VERB_PASSED, VERB_FAILED})

VERB_DISPLAY = {
    VERB_LAUNCHED: "launched",
    VERB_INITIALIZED: "initialized",
    VERB_COMPLETED: "completed",
    VERB_PASSED: "passed",
    VERB_FAILED: "failed",
    VERB_TERMINATED: "terminated",
    VERB_ABANDONED: "abandoned",
    VERB_WAIVED: "waived",
    VERB_SATISFIED: "satisfied",
    VERB_VOIDED: "voided",
}

# --- context categories (cmi5 §9.6.2.1, §9.6.2.2) ------------------------------------------------
CATEGORY_CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
CATEGORY_MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"

# --- context extensions (cmi5 §9.6.3) ------------------------------------------------------------
EXT_SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
EXT_MASTERY_SCORE = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
EXT_LAUNCH_MODE = "https://w3id.org/xapi/cmi5/context/extensions/launchmode"
EXT_LAUNCH_URL = "https://w3id.org/xapi/cmi5/context/extensions/launchurl"
EXT_MOVE_ON = "https://w3id.org/xapi/cmi5/context/extensions/moveon"
EXT_LAUNCH_PARAMETERS = "https://w3id.org/xapi/cmi5/context/extensions/launchparameters"
# cmi5-Q2016 §9.6.3.5 only; HEAD replaced it by the publisher-id grouping activity (§9.6.2.3).
EXT_PUBLISHER_ID_WITHDRAWN = "https://w3id.org/xapi/cmi5/context/extensions/publisherid"

# --- result extensions (cmi5 §9.5.5) -------------------------------------------------------------
RESULT_EXT_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
RESULT_EXT_REASON = "https://w3id.org/xapi/cmi5/result/extensions/reason"
WAIVE_REASONS = ("Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative")

# --- activity types (cmi5 §9.3.9) ----------------------------------------------------------------
ACTIVITY_TYPE_BLOCK = "https://w3id.org/xapi/cmi5/activitytype/block"
ACTIVITY_TYPE_COURSE = "https://w3id.org/xapi/cmi5/activitytype/course"

# --- course structure (cmi5 §13) -----------------------------------------------------------------
COURSE_STRUCTURE_NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"

# --- launch data and documents (cmi5 §10, §11) ---------------------------------------------------
LAUNCH_MODE_NORMAL = "Normal"
LAUNCH_MODE_BROWSE = "Browse"
LAUNCH_MODE_REVIEW = "Review"
LAUNCH_MODES = (LAUNCH_MODE_NORMAL, LAUNCH_MODE_BROWSE, LAUNCH_MODE_REVIEW)
STATE_ID_LAUNCH_DATA = "LMS.LaunchData"
PROFILE_ID_LEARNER_PREFERENCES = "cmi5LearnerPreferences"
