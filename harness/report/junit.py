"""junit.xml, the one writer for `run` and `certify`: a testsuite of testcases as CI readers expect.

`write_junit` takes generic `JUnitCase`s; `render_junit` maps a run's scenarios onto them and
`harness/certify/report.py` maps certify's checks. Every attribute and text goes through
`clean`, which drops the characters XML 1.0 cannot hold even escaped (control characters from a
vendor's answer, lone surrogates); ElementTree escapes the rest, `]]>` included, since nothing
is written as CDATA. `file` attributes are relative to the working directory (what CI readers
resolve them against), a built-in scenario's is `harness/suite/NAME.yaml` (wherever the package
is installed), `time` is in seconds with millisecond precision and the suite carries a
timestamp.
"""

from __future__ import annotations

import json
import os
import re
import socket
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.report import RunInfo, first_failure, redact_text, totals
from harness.scenarios import shown_file

SUITE = "weare-harness"
MESSAGE_LIMIT = 1000
# Not allowed anywhere in an XML 1.0 document, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(text: Any) -> str:
    """Text XML 1.0 can hold: invalid characters dropped (tab, newline and CR stay)."""
    return _INVALID_XML.sub("", text if isinstance(text, str) else str(text))


def one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def seconds(value: float) -> str:
    return f"{max(0.0, float(value or 0.0)):.3f}"


def relative_file(path: str | os.PathLike[str] | None) -> str:
    """The path relative to the working directory (`../` where needed), as CI readers resolve
    it; '' for none. A relative path is taken as already relative to it."""
    if not path:
        return ""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return Path(os.path.relpath(p.resolve(), Path.cwd().resolve())).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return p.as_posix()


@dataclass
class JUnitCase:
    classname: str
    name: str
    status: str  # "passed", "failed", "error" or "skipped"
    time_s: float = 0.0
    file: str = ""
    message: str = ""
    text: str = ""
    type: str = ""
    system_out: str = ""


def write_junit(
    cases: list[JUnitCase],
    *,
    suite: str,
    duration_s: float,
    timestamp: str,
    properties: dict[str, Any],
) -> bytes:
    """The junit.xml document: UTF-8 bytes with an XML declaration, always well-formed."""
    statuses = [c.status for c in cases]
    attrs = {
        "name": clean(suite),
        "tests": str(len(cases)),
        "failures": str(statuses.count("failed")),
        "errors": str(statuses.count("error")),
        "skipped": str(statuses.count("skipped")),
        "time": seconds(duration_s),
    }
    root = ET.Element("testsuites", attrs)
    node = ET.SubElement(
        root,
        "testsuite",
        {**attrs, "timestamp": clean(timestamp), "hostname": clean(socket.gethostname())},
    )
    props = ET.SubElement(node, "properties")
    for name, value in properties.items():
        ET.SubElement(props, "property", {"name": clean(name), "value": clean(value)})
    for case in cases:
        element = ET.SubElement(
            node,
            "testcase",
            {
                "classname": clean(case.classname),
                "name": clean(case.name),
                "time": seconds(case.time_s),
                "file": clean(relative_file(case.file)),
            },
        )
        tag = {"failed": "failure", "error": "error", "skipped": "skipped"}.get(case.status)
        if tag:
            outcome = ET.SubElement(element, tag, {"message": clean(one_line(case.message))})
            if case.type:
                outcome.set("type", clean(case.type))
            if case.text:
                outcome.text = clean(case.text)
        if case.system_out:
            ET.SubElement(element, "system-out").text = clean(case.system_out)
    ET.indent(root, space="  ")
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


# -- run: one testcase per scenario -----------------------------------------------------------


def _failure_text(scenario: dict[str, Any]) -> str:
    rule = scenario.get("rule") or {}
    lines = []
    failed = [c for c in scenario.get("checks", []) if not c.get("passed")]
    if failed:
        lines.append(f"{len(failed)} of {len(scenario['checks'])} checks failed:")
        lines += [f"- {c['message']}" for c in failed]
    if scenario.get("message"):
        lines.append(scenario["message"])
    lines += ["", f"Rule: {rule.get('text', '')}", f"Source: {rule.get('source', '')}"]
    return "\n".join(lines)


def _system_out(scenario: dict[str, Any]) -> str:
    outcome = scenario.get("outcome") or {}
    lines = [f"scenario: {scenario['id']} — {scenario.get('title', '')}"]
    if scenario.get("launch_url"):
        lines.append(f"launch URL: {scenario['launch_url']}")
    if outcome:
        lines.append(
            f"story outcome: {outcome.get('status')}"
            + (f" ({outcome['reason']})" if outcome.get("reason") else "")
        )
        for key in ("destination", "credentials", "redirect"):
            if outcome.get(key):
                lines.append(f"  {key}: {outcome[key]}")
    received = scenario.get("received") or {}
    if received:
        counts = ", ".join(f"{role}: {len(stmts)}" for role, stmts in received.items())
        lines.append(f"statements received: {counts}")
    for entry in scenario.get("journal") or []:
        verdicts = json.dumps(entry.get("verdicts") or [], ensure_ascii=False)
        lines.append(
            f"  {entry.get('mount')} {entry.get('method')} {entry.get('path')} -> "
            f"{entry.get('status')} auth={entry.get('authorization')} {verdicts}"
        )
    return "\n".join(lines)


def _scenario_case(scenario: dict[str, Any]) -> JUnitCase:
    status = scenario["status"]
    case = JUnitCase(
        classname=Path(scenario.get("file") or "scenarios").stem,
        name=scenario["id"],
        status=status,
        time_s=scenario.get("duration_s", 0.0),
        file=shown_file(scenario.get("file") or ""),
    )
    if status == "failed":
        case.message, case.type = first_failure(scenario), "CheckFailed"
        case.text = _failure_text(scenario)
    elif status == "error":
        case.message, case.type = scenario.get("message") or "error", "BenchError"
        case.text = _failure_text(scenario)
    elif status == "skipped":
        case.message = scenario.get("message", "")
    if status != "skipped":
        case.system_out = _system_out(scenario)
    return case


def render_junit(scenarios: list[dict[str, Any]], info: RunInfo) -> bytes:
    """The run's junit.xml from redacted scenario dicts."""
    return write_junit(
        [_scenario_case(s) for s in scenarios],
        suite=SUITE,
        duration_s=info.duration_s,
        timestamp=info.started,
        properties={
            "target": info.target,
            "driver": info.driver,
            "command": redact_text(info.command),
            "verdict": totals(scenarios)["verdict"],
        },
    )
