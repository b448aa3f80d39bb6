"""Seeded mutations of valid xAPI statements, for differential tests against other validators.

Each mutator edits one area of a statement (optional properties, language maps, context
activities, result and score, timestamps, durations, agents and groups, SubStatements,
attachment metadata, extensions, object types) with values on both sides of the spec's line.
The same seed gives the same statements.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Callable
from typing import Any

Statement = dict[str, Any]
NAMESPACE = uuid.UUID("0b8e5f0e-3f0a-4c39-9f3c-5a3f0d8e1c11")

LANGUAGE_MAPS: list[Any] = [
    {},
    {"en-US": "x"},
    {"und": ""},
    {"zh-Hans-CN": "完成"},
    {"EN": "done"},
    {"en-US": "a", "fr-FR": "b"},
    {"en_US": "bad tag"},
    {"": "empty tag"},
    {"en-US": 3},
    "not a map",
]
TIMESTAMPS = [
    "2024-06-05T13:05:36Z",
    "2024-06-05T13:05:36.253Z",
    "2024-06-05T13:05:36+00:00",
    "2024-06-05T13:05:36-00:00",
    "2024-06-05T13:05:36.123456789+05:30",
    "2024-06-05T13:05:36+0530",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2024-02-29T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-06-05",
    "2024-06-05T13:05:36",
    "2024-06-05 13:05:36Z",
    "2024-06-05t13:05:36z",
    "2024-06-05T24:00:00Z",
    "2024-13-05T13:05:36Z",
    "not a date",
]
DURATIONS = [
    "PT1H",
    "P1D",
    "PT0.1237S",
    "P1W",
    "P1Y2M3DT4H5M6S",
    "PT0S",
    "P0D",
    "PT",
    "P",
    "1H",
    "PT-1S",
    "P0.5D",
    "PT1.5H",
    "P1WT1H",
    "pt1h",
]
IRIS = [
    "http://example.com/x",
    "https://example.com/a/b?c=d#e",
    "urn:example:x",
    "tag:example.com,2024:x",
    "http://例え.jp/x",
    "example.com/x",
    "x",
    "",
    "http://exa mple.com/x",
]
AGENTS: list[Any] = [
    {"mbox": "mailto:learner@example.com"},
    {"objectType": "Agent", "mbox": "mailto:Learner@Example.COM", "name": "L"},
    {"mbox": "learner@example.com"},
    {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"},
    {"mbox_sha1sum": "not-a-sha1"},
    {"openid": "https://openid.example.com/learner"},
    {"account": {"homePage": "https://lms.example.com", "name": "7"}},
    {"account": {"homePage": "lms.example.com", "name": "7"}},
    {"account": {"name": "7"}},
    {"mbox": "mailto:a@example.com", "openid": "https://openid.example.com/a"},
    {"name": "no identifier"},
    {"objectType": "Group", "member": [{"mbox": "mailto:m@example.com"}]},
    {"objectType": "Group", "member": []},
    {"objectType": "Group", "mbox": "mailto:team@example.com"},
    {
        "objectType": "Group",
        "mbox": "mailto:team@example.com",
        "member": [{"account": {"homePage": "https://lms.example.com", "name": "8"}}],
    },
    {"objectType": "Group"},
    {"objectType": "Group", "member": [{"objectType": "Group", "mbox": "mailto:g@example.com"}]},
    {"member": [{"mbox": "mailto:m@example.com"}]},
    {"objectType": "Person", "mbox": "mailto:a@example.com"},
]


def _activity(rng: random.Random) -> dict[str, Any]:
    return {
        "id": rng.choice(IRIS[:5]),
        **({"objectType": "Activity"} if rng.random() < 0.5 else {}),
    }


def drop_optional(rng: random.Random, s: Statement) -> None:
    for key in rng.sample(["timestamp", "context", "result", "id", "version"], k=2):
        s.pop(key, None)
    for area, key in [("verb", "display"), ("object", "definition"), ("object", "objectType")]:
        if rng.random() < 0.3 and isinstance(s.get(area), dict):
            s[area].pop(key, None)


def language_maps(rng: random.Random, s: Statement) -> None:
    where = rng.choice(["verb.display", "name", "description", "attachment"])
    value = copy.deepcopy(rng.choice(LANGUAGE_MAPS))
    if where == "verb.display":
        s["verb"]["display"] = value
    elif where == "attachment":
        attachments(rng, s)
        s["attachments"][0]["display"] = value
    else:
        if s["object"].get("objectType", "Activity") == "Activity":
            s["object"].setdefault("definition", {})[where] = value


def context_activities(rng: random.Random, s: Statement) -> None:
    kind = rng.choice(["parent", "grouping", "category", "other", "bogus"])
    shape = rng.randrange(5)
    value: Any
    if shape == 0:
        value = []
    elif shape == 1:
        value = _activity(rng)
    elif shape == 2:
        value = [_activity(rng) for _ in range(rng.randint(1, 3))]
    elif shape == 3:
        value = [{"objectType": "Agent", "mbox": "mailto:a@example.com"}]
    else:
        value = [{"id": rng.choice(IRIS[5:])}]
    s.setdefault("context", {})["contextActivities"] = {kind: value}
    if rng.random() < 0.2:
        s["context"]["contextActivities"] = {}


def result_and_score(rng: random.Random, s: Statement) -> None:
    score: dict[str, Any] = {}
    for key, options in [
        ("scaled", [0, 1, -1, 0.5, 1.5, -1.01, "0.5"]),
        ("raw", [0, 5, 50, 100, 101, -1]),
        ("min", [0, 10, -5]),
        ("max", [100, 5, 0]),
    ]:
        if rng.random() < 0.6:
            score[key] = rng.choice(options)
    result: dict[str, Any] = {}
    if score or rng.random() < 0.5:
        result["score"] = score
    for key, options in [
        ("success", [True, False, "true"]),
        ("completion", [True, False, 1]),
        ("response", ["", "a[,]b", 3]),
        ("duration", DURATIONS),
    ]:
        if rng.random() < 0.4:
            result[key] = rng.choice(options)
    s["result"] = result


def timestamps(rng: random.Random, s: Statement) -> None:
    s["timestamp"] = rng.choice(TIMESTAMPS)


def durations(rng: random.Random, s: Statement) -> None:
    s.setdefault("result", {})["duration"] = rng.choice(DURATIONS)


def agents(rng: random.Random, s: Statement) -> None:
    where = rng.choice(["actor", "actor", "object", "instructor", "team", "authority"])
    agent = copy.deepcopy(rng.choice(AGENTS))
    if where == "actor":
        s["actor"] = agent
    elif where == "object":
        agent.setdefault("objectType", "Agent")
        s["object"] = agent
    elif where == "authority":
        s["authority"] = agent
    else:
        s.setdefault("context", {})[where] = agent


def substatements(rng: random.Random, s: Statement) -> None:
    inner = {k: copy.deepcopy(s[k]) for k in ("actor", "verb", "object")}
    for key in ("context", "result", "timestamp"):
        if key in s and rng.random() < 0.5:
            inner[key] = copy.deepcopy(s[key])
    extra = rng.randrange(6)
    if extra == 0:
        inner["id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    elif extra == 1:
        inner["object"] = {"objectType": "SubStatement", **copy.deepcopy(inner)}
    elif extra == 2:
        inner["stored"] = "2024-06-05T13:05:36Z"
    elif extra == 3:
        inner["version"] = "1.0.3"
    s["object"] = {"objectType": "SubStatement", **inner}


def attachments(rng: random.Random, s: Statement) -> None:
    attachment: dict[str, Any] = {
        "usageType": rng.choice(IRIS[:4] + IRIS[5:7]),
        "display": {"en-US": "Certificate"},
        "contentType": rng.choice(["application/pdf", "text/plain; charset=utf-8", "pdf"]),
        "length": rng.choice([1024, 0, -1, 1.5]),
        "sha2": rng.choice(
            [
                "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
                "not-hex",
                "",
            ]
        ),
    }
    if rng.random() < 0.8:
        attachment["fileUrl"] = rng.choice(["https://example.com/cert.pdf", "cert.pdf"])
    if rng.random() < 0.2:
        attachment["description"] = {"en-US": "A certificate"}
    if rng.random() < 0.1:
        del attachment[rng.choice(["usageType", "display", "contentType", "length", "sha2"])]
    s["attachments"] = [attachment]


def extensions(rng: random.Random, s: Statement) -> None:
    value = rng.choice(
        [
            {},
            {"http://example.com/ext/a": 1},
            {"http://example.com/ext/a": {"deep": [1, None, "x"]}},
            {"urn:example:ext": None},
            {"not-an-iri": 1},
        ]
    )
    where = rng.choice(["context", "result", "definition"])
    if where == "definition":
        if s["object"].get("objectType", "Activity") == "Activity":
            s["object"].setdefault("definition", {})["extensions"] = copy.deepcopy(value)
        return
    s.setdefault(where, {})["extensions"] = copy.deepcopy(value)


def objects_and_verbs(rng: random.Random, s: Statement) -> None:
    choice = rng.randrange(7)
    if choice == 0:
        s["verb"] = {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}}
        s["object"] = {"objectType": "StatementRef", "id": str(uuid.UUID(int=rng.getrandbits(128)))}
    elif choice == 1:
        s["object"] = {"objectType": "StatementRef", "id": rng.choice(["not-a-uuid", "{0}"])}
    elif choice == 2:
        s["verb"]["id"] = rng.choice(IRIS)
    elif choice == 3:
        s["object"] = {
            "id": "https://example.com/q1",
            "definition": {
                "interactionType": rng.choice(
                    ["choice", "true-false", "numeric", "other", "bogus"]
                ),
                "correctResponsesPattern": rng.choice([["a"], [], "a"]),
                "choices": rng.choice([[{"id": "a", "description": {"en-US": "A"}}], []]),
            },
        }
    elif choice == 4:
        s["object"]["id"] = rng.choice(IRIS)
    elif choice == 5:
        s["version"] = rng.choice(["1.0.0", "1.0.3", "1.0.99", "2.0.0", "0.95", "1.0"])
    else:
        s["context"] = {
            **s.get("context", {}),
            "registration": rng.choice(
                [str(uuid.UUID(int=rng.getrandbits(128), version=4)), "not-a-uuid"]
            ),
            "revision": "r1",
            "platform": "web",
            "language": rng.choice(["en-US", "en_US", "tlh"]),
            "statement": {
                "objectType": "StatementRef",
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            },
        }


MUTATORS: list[Callable[[random.Random, Statement], None]] = [
    drop_optional,
    language_maps,
    context_activities,
    result_and_score,
    timestamps,
    durations,
    agents,
    substatements,
    attachments,
    extensions,
    objects_and_verbs,
]


def mutated(seeds: list[Statement], count: int, seed: int) -> list[Statement]:
    """`count` statements, each a seed statement with one to three mutators applied."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        stmt = copy.deepcopy(rng.choice(seeds))
        for mutate in rng.sample(MUTATORS, k=rng.randint(1, 3)):
            mutate(rng, stmt)
        if "id" in stmt:
            stmt["id"] = str(uuid.uuid5(NAMESPACE, f"{seed}/{n}"))
        out.append(stmt)
    return out
