"""certify's outputs: a terminal summary and, in the report directory, report.html,
results.json, junit.xml, evidence.json and certificate.json (all redacted)."""

from __future__ import annotations

import html
import inspect
import json
from pathlib import Path
from typing import Any

from harness.certify import certificate
from harness.certify.run import NOT_TESTED, Certification, CheckOutcome
from harness.report import redact
from harness.report.junit import JUnitCase, write_junit

DEFAULT_DIR = Path("reports") / "certify"
MARKS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "unsupported": "N/S ", "skipped": "SKIP"}
COLORS = {
    "pass": "#1a7f37",
    "warn": "#9a6700",
    "fail": "#cf222e",
    "unsupported": "#57606a",
    "skipped": "#57606a",
}
VERDICT_COLORS = {
    "works": "#1a7f37",
    "works-with-warnings": "#9a6700",
    "will-not-work": "#cf222e",
    NOT_TESTED: "#57606a",
}


def header_lines(cert: Certification) -> list[str]:
    data = redact(cert.as_dict())
    target = data["target"]
    counts = data["counts"]
    lines = [
        f"weare-harness certify {data['tool_version']} · started {data['started_at']} (UTC)",
        f"target: {len(target['launch_urls'])} launch URL(s); destination "
        f"{target['destination']}; credentials {data['credentials']}",
        f"options: origin {data['options']['origin']}, timeout {data['options']['timeout']:g} s",
        f"counts: {counts['checks']} checks — {counts['pass']} pass, {counts['warn']} warn, "
        f"{counts['fail']} fail, {counts['unsupported']} not supported, {counts['skipped']} "
        f"skipped; {counts['requests']} requests",
    ]
    return lines


def summary(cert: Certification) -> str:
    lines = [*header_lines(cert), ""]
    for outcome in cert.ordered():
        f = outcome.finding
        tag = " [blocker]" if outcome.blocks else ""
        lines.append(f"{MARKS[f.status]}  {outcome.check.id:<28} {f.detail}{tag}")
        if f.status in ("fail", "warn", "unsupported") and outcome.cause:
            lines.append(f"      cause: {outcome.cause.observed}")
            lines.append(f"      fix:   {outcome.fix}")
    lines.append("")
    for name, behaviour in cert.behaviours.items():
        lines.append(f"{name}: {behaviour.verdict.upper()} — {behaviour.reason}")
    lines.append(cert.plain_words())
    lines.append(f"verdict: {cert.verdict.upper()}")
    fixes = cert.top_fixes()
    if fixes:
        lines.append("top fixes:")
        lines += [f"  {i}. {fix}" for i, fix in enumerate(fixes, 1)]
    return redact("\n".join(lines))


def _junit_case(outcome: CheckOutcome, check: dict[str, Any]) -> JUnitCase:
    status = {"fail": "failed", "skipped": "skipped", "unsupported": "skipped"}.get(
        check["status"], "passed"
    )
    advice = check["advice"] or {}
    text = "\n".join(
        [
            check["detail"],
            f"severity: {check['severity']}",
            f"rule: {check['rule']}",
            f"observed: {advice.get('observed', '')}",
            f"why it matters: {advice.get('why', check['why_it_matters'])}",
            f"fix: {check['how_to_fix']}",
            f"reproduce: {check['curl'] or '-'}",
        ]
    )
    return JUnitCase(
        classname="certify." + check["id"].split(".")[0],
        name=check["id"],
        status=status,
        time_s=sum(e["seconds"] for e in check["exchanges"]),
        file=inspect.getsourcefile(inspect.unwrap(outcome.check.func)) or "",
        message=check["detail"],
        text=text if status == "failed" else "",
        type=f"{check['severity']}" if status == "failed" else "",
        system_out=text if check["status"] == "warn" else "",
    )


def junit(cert: Certification, data: dict[str, Any]) -> bytes:
    cases = [_junit_case(o, c) for o, c in zip(cert.outcomes, data["checks"], strict=True)]
    properties = {f"behaviour.{n}": b["verdict"] for n, b in data["behaviours"].items()}
    return write_junit(
        cases,
        suite="weare-harness certify",
        duration_s=data["duration_s"],
        timestamp=data["started_at"],
        properties={
            "verdict": data["verdict"],
            **properties,
            "destination": data["destination"],
            "tool_version": data["tool_version"],
        },
    )


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


def _check_section(check: dict[str, Any]) -> str:
    e = html.escape
    c = COLORS[check["status"]]
    advice = check["advice"] or {}
    curl = f"<p><b>Reproduce:</b></p><pre>{e(check['curl'])}</pre>" if check.get("curl") else ""
    exchanges = "".join(_exchange_html(x) for x in check["exchanges"])
    return (
        f"<section id='{e(check['id'])}'><h3 style='color:{c}'>{e(check['status'].upper())}"
        f" ({e(check['severity'])}) — {e(check['title'])}</h3><p>{e(check['detail'])}</p>"
        f"<p><b>Observed:</b> {e(advice.get('observed', ''))} → <b>why it matters:</b> "
        f"{e(advice.get('why', ''))} → <b>how to fix:</b> {e(check['how_to_fix'])}</p>"
        f"<p><b>Rule:</b> {e(check['rule'])}</p>{curl}{exchanges}</section>"
    )


def _html(cert: Certification, data: dict[str, Any]) -> str:
    e = html.escape
    by_id = {c["id"]: c for c in data["checks"]}
    rows, details = [], []
    for outcome in cert.ordered():
        check = by_id[outcome.check.id]
        c = COLORS[check["status"]]
        rows.append(
            f"<tr><td style='color:{c};font-weight:bold'>{e(check['status'].upper())}</td>"
            f"<td>{e(check['severity'])}</td>"
            f"<td><a href='#{e(check['id'])}'>{e(check['id'])}</a></td>"
            f"<td>{e(check['title'])}</td><td>{e(check['detail'])}</td></tr>"
        )
        if check["status"] in ("fail", "warn", "unsupported"):
            details.append(_check_section(check))
        else:
            details.append(f"<span id='{e(check['id'])}'></span>")
    behaviours = "".join(
        f"<li><b>{e(n)}</b>: <span style='color:{VERDICT_COLORS[b['verdict']]}'>"
        f"{e(b['verdict'].upper())}</span> — {e(b['reason'])}</li>"
        for n, b in data["behaviours"].items()
    )
    fixes = "".join(f"<li>{e(f)}</li>" for f in data["top_fixes"]) or "<li>none</li>"
    header = "".join(f"<li>{e(line)}</li>" for line in header_lines(cert))
    style = (
        "body{font-family:system-ui,sans-serif;margin:1rem;max-width:70rem}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
        "padding:.3rem .5rem;text-align:left;vertical-align:top}td:last-child,pre,code"
        "{overflow-wrap:anywhere}li{overflow-wrap:anywhere}.scroll{overflow-x:auto}"
        "pre{background:#f6f8fa;padding:.5rem;white-space:pre-wrap;word-break:break-all}"
        ".ex{margin-left:1rem}section{border-top:2px solid #eee;margin-top:1.5rem}"
        "a:focus{outline:3px solid #0969da}"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\"><title>weare-harness certify report</title>"
        f"<style>{style}</style></head><body><main>"
        "<h1>Will your LMS receive We Are completions?</h1>"
        f"<p style='font-size:1.4rem;color:{VERDICT_COLORS[data['verdict']]}'>"
        f"<b>{e(data['verdict'].upper())}</b></p><p>{e(data['summary'])}</p>"
        f"<h2>Per behaviour</h2><ul>{behaviours}</ul><h2>Top fixes</h2><ol>{fixes}</ol>"
        f"<h2>Run</h2><ul>{header}</ul><h2>Checks (blockers first)</h2>"
        "<div class='scroll'><table><tr><th>result</th><th>severity</th><th>check</th><th>what</th>"
        f"<th>detail</th></tr>{''.join(rows)}</table></div>{''.join(details)}</main></body></html>"
    )


def write(cert: Certification, report_dir: Path) -> dict[str, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    data = redact(cert.as_dict())
    results = {k: v for k, v in data.items() if k != "exchanges"}
    paths = {
        "html": report_dir / "report.html",
        "json": report_dir / "results.json",
        "junit": report_dir / "junit.xml",
    }
    paths["json"].write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
        errors="backslashreplace",
    )
    paths["junit"].write_bytes(junit(cert, data))
    paths["html"].write_text(_html(cert, data), encoding="utf-8", errors="replace")
    paths.update(certificate.write(data, report_dir))
    return paths
