"""A corpus of xAPI statement edges, over real HTTP: what the spec allows is stored, what it
forbids is refused at its JSON path, on xAPI 1.0.3 and on 2.0.0.

The edges live in tests/data/statement_corpus.json (validated on load against
statement_corpus.schema.json): each edits one valid base statement, cites the spec text behind
its verdict (xAPI 1.0.3 Data sections, the 2.0.0 deltas, ADL's LRS test suite where it pins a
reading) and, where it applies, is also placed inside a SubStatement (xAPI 1.0.3 Data
§2.4.4.3.s8.b2: "A SubStatement MUST be validated as a Statement"). Accepted edges go in one
batch per version, so a single false refusal fails the batch and the 400 names the edge;
refused edges go one by one, each refusal checked for its path.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from fake_lms import LMSConfig
from fake_lms.live import FakeLMS
from fake_lms.xapi.statement_warnings import batch_warnings

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "statement_corpus.json"
CORPUS_SCHEMA = DATA / "statement_corpus.schema.json"
VERSIONS = ("1.0.3", "2.0.0")
NAMESPACE = uuid.UUID("6f2d3a51-0c1e-4d6f-8a4b-3e9d2c1b0a77")

BASE: dict[str, Any] = {
    "actor": {
        "objectType": "Agent",
        "account": {"homePage": "https://lms.example.com", "name": "7"},
    },
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
    "object": {
        "objectType": "Activity",
        "id": "https://example.com/activities/story-42",
        "definition": {
            "name": {"en-US": "Story 42"},
            "type": "http://adlnet.gov/expapi/activities/lesson",
        },
    },
    "context": {"registration": "760e3480-ba55-4991-94b0-01820dbd23a2"},
    "timestamp": "2024-06-05T13:05:36.253Z",
}


def load_edges(path: Path = CORPUS) -> list[dict[str, Any]]:
    """The edge table, refused with a one-line reason if it breaks its schema."""
    data = json.loads(path.read_text("utf-8"))
    schema = json.loads(CORPUS_SCHEMA.read_text("utf-8"))
    error = next(iter(Draft202012Validator(schema).iter_errors(data)), None)
    if error is not None:
        where = "/".join(map(str, error.absolute_path))
        raise ValueError(f"{path.name}: {where or 'top level'}: {error.message}")
    ids = [edge["id"] for edge in data["edges"]]
    if len(ids) != len(set(ids)):
        raise ValueError(
            f"{path.name}: edge ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}"
        )
    return data["edges"]


def _steps(dotted: str) -> list[Any]:
    return [int(step) if step.isdigit() else step for step in dotted.split(".")]


def _set(node: Any, dotted: str, value: Any) -> None:
    *parents, last = _steps(dotted)
    for step in parents:
        node = node.setdefault(step, {}) if isinstance(node, dict) else node[step]
    node[last] = copy.deepcopy(value)


def _unset(node: Any, dotted: str) -> None:
    *parents, last = _steps(dotted)
    for step in parents:
        node = node[step]
    del node[last]


def build(edge: dict[str, Any], placement: str, version: str) -> dict[str, Any]:
    """The base statement with the edge applied at the top level or inside a SubStatement."""
    stmt = copy.deepcopy(BASE)
    stmt["id"] = str(uuid.uuid5(NAMESPACE, f"{edge['id']}/{placement}/{version}"))
    if placement != "statement":
        inner = {k: copy.deepcopy(BASE[k]) for k in ("actor", "verb", "object", "context")}
        stmt["object"] = {"objectType": "SubStatement", **inner}
    prefix = "object." if placement == "substatement" else ""
    for dotted in edge.get("unset", ()):
        _unset(stmt, prefix + dotted)
    for dotted, value in edge.get("set", {}).items():
        _set(stmt, prefix + dotted, value)
    return stmt


def refused_at(edge: dict[str, Any], placement: str) -> str:
    at = edge["refused_at"]
    return "$.object" + at[1:] if placement == "substatement" else at


def cases(version: str, expect: str) -> list[tuple[dict[str, Any], str, dict[str, Any]]]:
    """(edge, placement, statement) for every edge of this version with this expectation."""
    return [
        (edge, placement, build(edge, placement, version))
        for edge in load_edges()
        if version in edge["versions"] and edge["expect"] == expect
        for placement in edge["where"]
    ]


@pytest.fixture
def lms(tmp_path) -> Iterator[FakeLMS]:
    with FakeLMS(LMSConfig(db_path=str(tmp_path / "lms.db"))) as server:
        yield server


def _last_post_verdicts(lms: FakeLMS) -> list[dict[str, Any]]:
    entries = lms.admin("GET", "mounts/default/journal").json()["entries"]
    posts = [e for e in entries if e["method"] == "POST" and e["path"].endswith("/statements")]
    return posts[-1]["verdicts"]


def test_the_corpus_covers_a_few_hundred_statements_of_both_versions() -> None:
    counted = {
        (version, expect): len(cases(version, expect))
        for version in VERSIONS
        for expect in ("accepted", "refused")
    }
    assert sum(counted.values()) >= 300, counted
    assert all(n >= 50 for n in counted.values()), counted


def test_a_corpus_that_breaks_its_schema_is_refused_with_its_reason(tmp_path) -> None:
    bad = tmp_path / "corpus.json"
    bad.write_text(json.dumps({"description": "x", "edges": [{"id": "e", "spec": "too short"}]}))
    with pytest.raises(ValueError, match=r"corpus\.json: edges/0"):
        load_edges(bad)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_spec_allowed_edge_is_stored_in_one_batch(lms: FakeLMS, version: str) -> None:
    """xAPI 1.0.3 Communication §2.1.2 / XAPI-00326: one refused statement refuses the batch,
    so a 200 here means the LRS refused none of the spec-allowed edges."""
    accepted = cases(version, "accepted")
    batch = [stmt for _, _, stmt in accepted]
    r = lms.client(version=version).post(lms.endpoint() + "statements", json=batch)
    if r.status_code != 200:
        names = {
            f"$[{i}]": f"{edge['id']} ({placement})"
            for i, (edge, placement, _) in enumerate(accepted)
        }
        refused = [
            f"{names.get(v['path'].split('.')[0], '?')}: {v['path']} {v['rule']}"
            for v in r.json().get("violations", [])
        ]
        pytest.fail(f"{r.status_code}: spec-allowed statements refused:\n" + "\n".join(refused))
    assert r.json() == [stmt["id"].lower() for stmt in batch]
    verdicts = _last_post_verdicts(lms)
    assert sum(v["verdict"] == "accepted" for v in verdicts) == len(batch)
    warned = {v["section"] for v in verdicts if v["verdict"] == "warning"}
    expected = {w for edge, _, _ in accepted for w in edge.get("warns", ())}
    missing = {w for w in expected if not any(s.startswith(w) for s in warned)}
    assert not missing, f"no warning verdict for {missing}; warnings: {warned}"


@pytest.mark.parametrize("version", VERSIONS)
def test_every_spec_forbidden_edge_is_refused_at_its_path(lms: FakeLMS, version: str) -> None:
    """Each spec-forbidden statement alone: 400, and a violation at the JSON path it breaks."""
    client = lms.client(version=version)
    wrong = []
    for edge, placement, stmt in cases(version, "refused"):
        r = client.post(lms.endpoint() + "statements", json=stmt)
        paths = [v["path"] for v in r.json().get("violations", [])] if r.status_code == 400 else []
        want = "$[0]" + refused_at(edge, placement)[1:]  # the LRS reads a POST as a batch
        if r.status_code != 400 or want not in paths:
            wrong.append(f"{edge['id']} ({placement}): {r.status_code}, wanted {want}, got {paths}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("version", VERSIONS)
def test_each_accepted_edge_warns_exactly_as_its_table_row_says(version: str) -> None:
    """A SHOULD broken gives its warning at the edge's path; an edge that breaks none gives none
    (the base statement itself is warning-free)."""
    assert batch_warnings(copy.deepcopy(BASE), version) == []
    wrong = []
    for edge, placement, stmt in cases(version, "accepted"):
        found = {v.section for v in batch_warnings(stmt, version)}
        wants = edge.get("warns", [])
        if sorted({w for w in wants if any(s.startswith(w) for s in found)}) != sorted(set(wants)):
            wrong.append(f"{edge['id']} ({placement}): wanted {wants}, got {sorted(found)}")
        elif not wants and found:
            wrong.append(f"{edge['id']} ({placement}): wanted no warning, got {sorted(found)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("indent", [None, 2])
def test_the_json_text_gates_rule_out_no_warning(version: str, indent: int | None) -> None:
    """The LRS skips a warning rule when one search of the request's JSON text shows it cannot
    find anything (statement_warnings.GATES); on the whole corpus, that loses no warning."""
    batch = [stmt for _, _, stmt in cases(version, "accepted")]
    raw = json.dumps(batch, indent=indent, ensure_ascii=False).encode()
    assert batch_warnings(batch, version, raw) == batch_warnings(batch, version)
    assert batch_warnings(batch, version) != []
