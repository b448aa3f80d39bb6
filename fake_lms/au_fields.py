"""The fields of an AU the admin API takes (POST /api/aus), in the order the CLI offers them: one
list for the API that checks them and the client that sends them, in a module of its own so that
the API does not load the client's HTTP library (requests) to read it."""

from __future__ import annotations

AU_FIELDS = (
    "url",
    "publisher_id",
    "title",
    "move_on",
    "mastery_score",
    "launch_method",
    "launch_parameters",
    "entitlement_key",
)
