"""certify's outputs: a terminal summary, results.json, junit.xml and a report.html to hand over."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from harness.certify.run import Certification
from harness.report import redact

MARKS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "unsupported": "N/S ", "skipped": "SKIP"}
COLORS = {
    "pass": "#1a7f37",
    "warn": "#9a6700",
    "fail": "#cf222e",
    "unsupported": "#6e7781",
    "skipped": "#6e7781",
}


def summary(cert: Certification) -> str:
    lines = []
    for outcome in cert.outcomes:
        f = outcome.finding
        lines.append(f"{MARKS[f.status]}  {outcome.check.id:<30} {f.detail}")
    lines.append("")
    lines.append(f"verdict: {cert.verdict.upper()}")
    for outcome in cert.failed():
        lines.append(f"  ✗ {outcome.check.id}: {outcome.check.fix}")
    return redact("\n".join(lines))


def _junit(cert: Certification) -> bytes:
    data = redact(cert.as_dict())
    suite = ET.Element(
        "testsuite",
        name="weare-harness certify",
        tests=str(len(data["checks"])),
        failures=str(sum(c["status"] == "fail" for c in data["checks"])),
        errors="0",
        skipped=str(sum(c["status"] in ("skipped", "unsupported") for c in data["checks"])),
    )
    for check in data["checks"]:
        case = ET.SubElement(suite, "testcase", classname="certify", name=check["id"])
        if check["status"] == "fail":
            node = ET.SubElement(case, "failure", message=check["detail"][:500])
            node.text = f"{check['detail']}\nrule: {check['rule']}\nfix: {check['how_to_fix']}"
        elif check["status"] in ("skipped", "unsupported"):
            ET.SubElement(case, "skipped", message=check["detail"][:500])
    return ET.tostring(suite, encoding="utf-8", xml_declaration=True)


def _exchange_html(ex: dict[str, Any]) -> str:
    e = html.escape
    req = "\n".join(f"{k}: {v}" for k, v in ex["request_headers"].items())
    res = "\n".join(f"{k}: {v}" for k, v in ex["response_headers"].items())
    answer = ex["error"] or f"{ex['status']} ({ex['seconds']} s)"
    return (
        f"<div class='ex'><h4>{e(ex['label'])}</h4>"
        f"<p><b>sent</b> {e(ex['method'])} <code>{e(ex['url'])}</code></p>"
        f"<pre>{e(req)}\n\n{e(ex['request_body'])}</pre>"
        f"<p><b>came back</b> {e(str(answer))}</p>"
        f"<pre>{e(res)}\n\n{e(ex['response_body'])}</pre></div>"
    )


def _html(cert: Certification) -> str:
    data = redact(cert.as_dict())
    e = html.escape
    color = {"works": "#1a7f37", "works with warnings": "#9a6700", "will not work": "#cf222e"}
    rows, details = [], []
    for check in data["checks"]:
        c = COLORS[check["status"]]
        rows.append(
            f"<tr><td style='color:{c};font-weight:bold'>{e(check['status'].upper())}</td>"
            f"<td><a href='#{e(check['id'])}'>{e(check['id'])}</a></td><td>{e(check['title'])}</td>"
            f"<td>{e(check['detail'])}</td></tr>"
        )
        if check["status"] in ("fail", "warn", "unsupported"):
            exchanges = "".join(_exchange_html(x) for x in check["exchanges"])
            details.append(
                f"<section id='{e(check['id'])}'><h3 style='color:{c}'>{e(check['status'].upper())}"
                f" — {e(check['title'])}</h3><p>{e(check['detail'])}</p>"
                f"<p><b>Why it matters:</b> {e(check['why_it_matters'])}</p>"
                f"<p><b>How to fix:</b> {e(check['how_to_fix'])}</p>"
                f"<p><b>Rule:</b> {e(check['rule'])}</p>{exchanges}</section>"
            )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
        "padding:.3rem .5rem;text-align:left;vertical-align:top}pre{background:#f6f8fa;"
        "padding:.5rem;white-space:pre-wrap;word-break:break-all}.ex{margin-left:1rem}"
        "section{border-top:2px solid #eee;margin-top:1.5rem}"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\"><title>weare-harness certify report</title>"
        f"<style>{style}</style></head><body><h1>Will your LMS receive We Are completions?</h1>"
        f"<p style='font-size:1.4rem;color:{color[data['verdict']]}'><b>{e(data['verdict'].upper())}"
        f"</b></p><p>Destination: <code>{e(str(data['destination']))}</code> · credentials: "
        f"{e(str(data['credentials']))} · origin for CORS: <code>{e(data['origin'])}</code> · "
        f"{data['requests']} requests</p><table><tr><th>result</th><th>check</th><th>what</th>"
        f"<th>detail</th></tr>{''.join(rows)}</table>{''.join(details)}</body></html>"
    )


def write(cert: Certification, report_dir: Path) -> dict[str, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": report_dir / "results.json",
        "junit": report_dir / "junit.xml",
        "html": report_dir / "report.html",
    }
    paths["json"].write_text(json.dumps(redact(cert.as_dict()), indent=2) + "\n", encoding="utf-8")
    paths["junit"].write_bytes(_junit(cert))
    paths["html"].write_text(_html(cert), encoding="utf-8")
    return paths
