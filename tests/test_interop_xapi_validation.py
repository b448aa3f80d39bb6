"""An independent validator as a measure: no statement Learning Locker's xapi-validation accepts
is refused by the fake LMS, unless our refusal cites a MUST that validator does not check.

Statements: the 1.0.3 statement corpus (tests/data/statement_corpus.json) plus seeded mutations
of its spec-allowed statements (tests/xapi_statement_mutations.py). All go through
@learninglocker/xapi-validation in one Node process (tests/interop/validate_statements.cjs) and
through the fake LMS over real HTTP in batches. A refusal of an xapi-validation-accepted
statement is explained only by a class of tests/data/xapi_validation_exceptions.json, which
names the rule, the spec section and the sentence of the spec that demands it. The other
direction (accepted here, refused there) is reported, not asserted.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from fake_lms import LMSConfig
from fake_lms.live import FakeLMS
from tests.test_interop_xapi_client import INTEROP, _node_ready
from tests.test_statement_corpus import BASE, cases
from tests.xapi_statement_mutations import mutated

pytestmark = pytest.mark.slow

EXCEPTIONS = Path(__file__).parent / "data" / "xapi_validation_exceptions.json"
EXCEPTIONS_SCHEMA = EXCEPTIONS.with_suffix(".schema.json")

PACKAGE = "@learninglocker/xapi-validation"
VERSION = "1.0.3"  # xapi-validation judges xAPI 1.0.x statements
MUTATIONS = 2400
SEED = 11
BATCH = 100


def _validator_ready() -> str | None:
    reason = _node_ready()
    if reason is None and not (INTEROP / "node_modules" / PACKAGE).is_dir():
        reason = f"{PACKAGE} not installed (make setup runs npm install in tests/interop)"
    return reason


def load_exceptions(path: Path = EXCEPTIONS) -> dict[str, dict[str, str]]:
    """The explained classes by the section our violation cites; a broken file says why."""
    data = json.loads(path.read_text("utf-8"))
    schema = json.loads(EXCEPTIONS_SCHEMA.read_text("utf-8"))
    error = next(iter(Draft202012Validator(schema).iter_errors(data)), None)
    if error is not None:
        where = "/".join(map(str, error.absolute_path))
        raise ValueError(f"{path.name}: {where or 'top level'}: {error.message}")
    sections = [c["section"] for c in data["classes"]]
    if len(sections) != len(set(sections)):
        twice = sorted({x for x in sections if sections.count(x) > 1})
        raise ValueError(f"{path.name}: sections repeat: {twice}")
    return {c["section"]: c for c in data["classes"]}


def generated() -> list[dict[str, Any]]:
    """The corpus statements of 1.0.3 (both verdicts), then seeded mutations of the allowed ones."""
    allowed = [stmt for _, _, stmt in cases(VERSION, "accepted")]
    refused = [stmt for _, _, stmt in cases(VERSION, "refused")]
    return allowed + refused + mutated([BASE, *allowed], MUTATIONS, SEED)


def their_verdicts(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """xapi-validation's verdict on each statement, from one Node process."""
    r = subprocess.run(
        ["node", "validate_statements.cjs"],
        cwd=INTEROP,
        input=json.dumps(statements),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    verdicts = [json.loads(line) for line in r.stdout.splitlines()]
    assert [v["index"] for v in verdicts] == list(range(len(statements)))
    return verdicts


_INDEX = re.compile(r"^\$\[(\d+)\]")


def our_verdicts(lms: FakeLMS, statements: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """None where the LRS stored the statement, else the refusal (status, body, violations).

    A refused batch names its statements by `$[i]`; the rest are posted again, a bounded
    number of times; a refusal naming no statement sends the batch one by one."""
    client = lms.client(version=VERSION)
    url = lms.endpoint() + "statements"
    out: list[dict[str, Any] | None] = [None] * len(statements)
    for start in range(0, len(statements), BATCH):
        pending = list(range(start, min(start + BATCH, len(statements))))
        for _ in range(BATCH + 1):
            if not pending:
                break
            r = client.post(url, json=[statements[i] for i in pending])
            if r.status_code == 200:
                break
            body = (
                r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {}
            )
            named: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for v in body.get("violations", []):
                m = _INDEX.match(v.get("path", ""))
                if m:
                    named[pending[int(m.group(1))]].append(v)
            if not named:
                for i in pending:
                    one = client.post(url, json=statements[i])
                    if one.status_code != 200:
                        out[i] = {
                            "status": one.status_code,
                            "body": one.text[:600],
                            "violations": _violations(one),
                        }
                break
            for i, violations in named.items():
                out[i] = {
                    "status": r.status_code,
                    "body": json.dumps({"status": r.status_code, "violations": violations})[:600],
                    "violations": violations,
                }
            pending = [i for i in pending if i not in named]
        else:
            pytest.fail(f"batch at {start} kept being refused after {BATCH + 1} posts")
    return out


def _violations(r: Any) -> list[dict[str, Any]]:
    try:
        return r.json().get("violations", []) or [r.json()]
    except ValueError:
        return [{"section": f"HTTP {r.status_code}", "rule": r.text[:200]}]


def _class_of(refusal: dict[str, Any]) -> str:
    sections = [v.get("section") or f"HTTP {refusal['status']}" for v in refusal["violations"]]
    return sections[0] if sections else f"HTTP {refusal['status']}"


def _their_class(verdict: dict[str, Any]) -> str:
    first = verdict["errors"][0]
    path = re.sub(r"\.\d+", ".N", first["path"])
    return f"{first['kind']} at {path}"


def _value_at(statement: dict[str, Any], verdict: dict[str, Any]) -> str:
    """The value xapi-validation's first error points at, as JSON, cut short."""
    node: Any = statement
    for step in verdict["errors"][0]["path"].split(".")[1:]:
        try:
            node = node[int(step)] if isinstance(node, list) else node[step]
        except (KeyError, IndexError, ValueError, TypeError):
            return "?"
    return json.dumps(node, ensure_ascii=False)[:80]


@pytest.fixture(scope="module")
def judged(tmp_path_factory) -> Iterator[tuple[list, list, list]]:
    statements = generated()
    theirs = their_verdicts(statements)
    with FakeLMS(LMSConfig(db_path=str(tmp_path_factory.mktemp("lms") / "lms.db"))) as lms:
        ours = our_verdicts(lms, statements)
    yield statements, theirs, ours


def test_an_exceptions_file_that_breaks_its_schema_is_refused_with_its_reason(tmp_path) -> None:
    bad = tmp_path / "exceptions.json"
    bad.write_text(json.dumps({"description": "x", "classes": [{"section": "xAPI-D §1"}]}))
    with pytest.raises(ValueError, match=r"exceptions\.json: classes/0"):
        load_exceptions(bad)
    twice = {"section": "xAPI-D §1 X", "rule": "a rule long enough", "spec_section": "Data §1"}
    twice["sentence"] = "The LRS MUST reject it."
    bad.write_text(json.dumps({"description": "x", "classes": [twice, twice]}))
    with pytest.raises(ValueError, match=r"sections repeat: \['xAPI-D §1 X'\]"):
        load_exceptions(bad)
    assert len(load_exceptions()) >= 10


def compare(
    statements: list[dict[str, Any]],
    theirs: list[dict[str, Any]],
    ours: list[dict[str, Any] | None],
    explained: dict[str, dict[str, str]],
) -> tuple[list[str], list[str]]:
    """(summary lines, unexplained classes): refusals here of statements xapi-validation
    accepts, grouped by the section our violation cites; and the other direction, grouped by
    xapi-validation's first error, reported only."""
    both_accept = both_refuse = 0
    we_refuse: dict[str, list[int]] = defaultdict(list)
    they_refuse: dict[str, list[int]] = defaultdict(list)
    for i, (their, our) in enumerate(zip(theirs, ours, strict=True)):
        if their["valid"] and our is None:
            both_accept += 1
        elif not their["valid"] and our is not None:
            both_refuse += 1
        elif our is not None:
            we_refuse[_class_of(our)].append(i)
        else:
            they_refuse[_their_class(their)].append(i)
    lines = [
        f"{len(statements)} statements ({PACKAGE} vs fake LMS, xAPI {VERSION}): "
        f"{both_accept} both accept, {both_refuse} both refuse, "
        f"{sum(map(len, we_refuse.values()))} refused here only, "
        f"{sum(map(len, they_refuse.values()))} refused by {PACKAGE} only",
    ]
    for name, found in sorted(we_refuse.items(), key=lambda kv: -len(kv[1])):
        tag = "explained" if name in explained else "UNEXPLAINED"
        lines.append(f"  refused here only [{tag}] {name}: {len(found)}")
    for name, found in sorted(they_refuse.items(), key=lambda kv: -len(kv[1])):
        lines.append(
            f"  refused by {PACKAGE} only: {name}: {len(found)}; values "
            f"{sorted({_value_at(statements[j], theirs[j]) for j in found})[:10]}"
        )
    unexplained = []
    for name, found in we_refuse.items():
        if name in explained:
            continue
        i = found[0]
        refusal = ours[i] or {}
        unexplained.append(
            f"class {name}: {len(found)} statements; e.g. {json.dumps(statements[i])}\n"
            f"    our {refusal.get('status')}: {refusal.get('body')}\n"
            f"    {PACKAGE}: accepted"
        )
    return lines, unexplained


@pytest.mark.skipif(_validator_ready() is not None, reason=_validator_ready() or "")
def test_no_statement_xapi_validation_accepts_is_refused_without_a_must(judged, capsys) -> None:
    """xAPI 1.0.3 Data §2.2.s4.b1 lists what "The LRS MUST reject"; §2.2.s2.b1 only says
    statements "SHOULD NOT include properties with a value of an empty object", so the LRS
    refuses only what a MUST forbids and accepts (journalling a warning) what a SHOULD covers.
    A refusal of a statement xapi-validation accepts must be one of the listed MUST classes."""
    statements, theirs, ours = judged
    lines, unexplained = compare(statements, theirs, ours, load_exceptions())
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert not unexplained, "spec-valid statements refused:\n" + "\n".join(unexplained)
    assert all("UNEXPLAINED" not in line for line in lines)
    both_accept, both_refuse = (int(n) for n in re.findall(r"(\d+) both", lines[0]))
    assert both_accept > 500 and both_refuse > 100, lines[0]


@pytest.mark.skipif(_validator_ready() is not None, reason=_validator_ready() or "")
def test_a_refusal_the_spec_does_not_demand_fails_the_measure_with_its_class(judged) -> None:
    """The measure the other way: an LRS that refuses an empty language map (a SHOULD NOT of
    1.0.3 Data §2.2.s2.b1, not a MUST) is caught, named by its class, count and example."""
    statements, theirs, ours = judged
    strict = list(ours)
    hit = 0
    for i, stmt in enumerate(statements):
        if theirs[i]["valid"] and ours[i] is None and stmt["verb"].get("display") == {}:
            violation = {
                "path": f"$[{i}].verb.display",
                "rule": "empty",
                "section": "xAPI-D §2.2.s2.b1",
            }
            strict[i] = {
                "status": 400,
                "body": json.dumps({"violations": [violation]}),
                "violations": [violation],
            }
            hit += 1
    assert hit, "no accepted statement with an empty verb display was generated"
    lines, unexplained = compare(statements, theirs, strict, load_exceptions())
    assert len(unexplained) == 1, unexplained
    assert unexplained[0].startswith(f"class xAPI-D §2.2.s2.b1: {hit} statements; e.g. {{")
    assert '"display": {}' in unexplained[0] and "our 400" in unexplained[0]
    assert f"  refused here only [UNEXPLAINED] xAPI-D §2.2.s2.b1: {hit}" in lines
