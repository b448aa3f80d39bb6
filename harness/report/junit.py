"""junit.xml: one testsuite "weare-harness", one testcase per scenario, as CI JUnit readers expect.

classname is the scenario file's stem and name the scenario id. A failed scenario carries a
<failure> whose message is its first failed check and whose text lists every failed check and the
rule; an errored one an <error>; a skipped one <skipped message=...>. Text is stripped of the
characters XML 1.0 cannot hold, and ElementTree escapes the rest.
"""

from __future__ import annotations

import json
import re
import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from harness.report import RunInfo, first_failure, redact_text, totals

SUITE = "weare-harness"
MESSAGE_LIMIT = 1000
# Not allowed anywhere in an XML 1.0 document, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(text: Any) -> str:
    """Text XML 1.0 can hold: invalid characters dropped (tab, newline and CR stay)."""
    return _INVALID_XML.sub("", text if isinstance(text, str) else str(text))


def _one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _seconds(value: float) -> str:
    return f"{max(0.0, float(value or 0.0)):.3f}"


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


def _testcase(suite: ET.Element, scenario: dict[str, Any]) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": clean(Path(scenario.get("file") or "scenarios").stem),
            "name": clean(scenario["id"]),
            "time": _seconds(scenario.get("duration_s", 0.0)),
            "file": clean(scenario.get("file") or ""),
        },
    )
    status = scenario["status"]
    if status == "failed":
        node = ET.SubElement(
            case,
            "failure",
            {"message": clean(_one_line(first_failure(scenario))), "type": "CheckFailed"},
        )
        node.text = clean(_failure_text(scenario))
    elif status == "error":
        node = ET.SubElement(
            case,
            "error",
            {"message": clean(_one_line(scenario.get("message") or "error")), "type": "BenchError"},
        )
        node.text = clean(_failure_text(scenario))
    elif status == "skipped":
        ET.SubElement(case, "skipped", {"message": clean(_one_line(scenario.get("message", "")))})
    if status != "skipped":
        ET.SubElement(case, "system-out").text = clean(_system_out(scenario))


def render_junit(scenarios: list[dict[str, Any]], info: RunInfo) -> bytes:
    """The junit.xml document (UTF-8 bytes with an XML declaration) from redacted scenario dicts."""
    counts = totals(scenarios)
    attrs = {
        "name": SUITE,
        "tests": str(counts["scenarios"]),
        "failures": str(counts["failed"]),
        "errors": str(counts["errors"]),
        "skipped": str(counts["skipped"]),
        "time": _seconds(info.duration_s),
    }
    root = ET.Element("testsuites", attrs)
    suite = ET.SubElement(
        root,
        "testsuite",
        {**attrs, "timestamp": clean(info.started), "hostname": clean(socket.gethostname())},
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("target", info.target),
        ("driver", info.driver),
        ("command", redact_text(info.command)),
        ("verdict", counts["verdict"]),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": clean(value)})
    for scenario in scenarios:
        _testcase(suite, scenario)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
