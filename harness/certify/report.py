"""certify's outputs: a terminal summary and, in the report directory, report.html,
results.json, junit.xml, evidence.json and certificate.json (all redacted: credentials by their
shape, and this run's own secrets, its fetch URLs' tokens and API key, in every form).

junit.xml follows the exit code: one testcase per behaviour (classname `certify.behaviour`)
fails when the requirement (`--require`) needs that behaviour and it does not work, and a
check's testcase fails only when it is a failed blocker of such a behaviour. Every other
finding is a passing testcase with the finding in its system-out. So a run that exits 0 has
no <failure>, and one that exits 1 has at least one.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fake_lms.redact import KnownSecrets, redact_strings
from harness.certify import certificate
from harness.certify.recorder import secret_forms
from harness.certify.run import FLOW_NAMES, Certification, CheckOutcome, tone
from harness.report import history, redact
from harness.report.causes import group
from harness.report.history import History
from harness.report.html import anchor_ids
from harness.report.junit import JUnitCase, write_junit
from harness.report.meta import meta
from harness.report.page import render

DEFAULT_DIR = Path("reports") / "certify"
MARKS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "unsupported": "N/S ", "skipped": "SKIP"}


CREDENTIALS = {
    "fetch-token": "auth-token from the fetch URL",
    "api-key": "API key",
    None: "none (no token was fetched, no API key)",
}


def redacted(cert: Certification, value: Any) -> Any:
    """JSON-like data as reports hold it: credentials and this run's secrets hidden."""
    return redact(redact_strings(value, KnownSecrets(secret_forms(cert.secrets))))


def header_lines(cert: Certification) -> list[str]:
    data = redacted(cert, cert.as_dict())
    target = data["target"]
    counts = data["counts"]
    credentials = CREDENTIALS.get(data["credentials"], data["credentials"])
    lines = [
        f"weare-harness certify {data['tool_version']} · started {data['started_at']} (UTC)",
        f"target: {len(target['launch_urls'])} launch URL(s); destination "
        f"{target['destination']}; credentials: {credentials}",
        f"options: origin {data['options']['origin']}, timeout {data['options']['timeout']:g} s",
        f"counts: {counts['checks']} checks — {counts['pass']} pass, {counts['warn']} warn, "
        f"{counts['fail']} fail, {counts['unsupported']} not supported, {counts['skipped']} "
        f"skipped; {counts['requests']} requests",
    ]
    har = data.get("har")
    if har:
        shown = har["behaviour_shown"] or "no statement"
        lines.append(
            f"recording: {har['file']}, written by {har['written_by']}; launch {har['launch']} "
            f"of {har['launches']}; it shows {shown}"
        )
        lines += [f"left out of the recording: {line}" for line in har["left_out"]]
    return lines


def summary(cert: Certification) -> str:
    lines = [*header_lines(cert), ""]
    for outcome in cert.ordered():
        f = outcome.finding
        tag = " [blocker]" if outcome.blocks else ""
        lines.append(f"{MARKS[f.status]}  {outcome.check.id:<28} {f.message}{tag}")
        if f.status in ("fail", "warn", "unsupported") and outcome.cause:
            lines.append(f"      cause: {outcome.cause.observed}")
            lines.append(f"      fix:   {outcome.fix}")
    lines.append("")
    for name, behaviour in cert.behaviours.items():
        lines.append(f"{name}: {behaviour.verdict.upper()} — {behaviour.reason}")
    lines.append(cert.plain_words())
    lines.append(f"verdict: {cert.headline} ({cert.verdict})")
    lines.append(cert.requirement())
    fixes = cert.top_fixes()
    if fixes:
        lines.append("top fixes:")
        lines += [f"  {i}. {fix}" for i, fix in enumerate(fixes, 1)]
    text: str = redact(cert.clean("\n".join(lines)))
    return text


def _finding_text(check: dict[str, Any]) -> str:
    advice = check["advice"] or {}
    return "\n".join(
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


def _check_case(outcome: CheckOutcome, check: dict[str, Any], failing: set[str]) -> JUnitCase:
    """A check's testcase: failed only for a failed blocker of a behaviour the requirement
    needs; other findings pass, with the finding in system-out."""
    failed = check["id"] in failing
    status = "failed" if failed else "passed"
    if check["status"] in ("skipped", "unsupported"):
        status = "skipped"
    text = _finding_text(check)
    return JUnitCase(
        classname="certify." + check["id"].split(".")[0],
        name=check["id"],
        status=status,
        time_s=sum(e["seconds"] for e in check["exchanges"]),
        file=inspect.getsourcefile(inspect.unwrap(outcome.check.func)) or "",
        message=check["detail"],
        text=text if failed else "",
        type=check["severity"] if failed else "",
        system_out=text if not failed and check["status"] in ("fail", "warn") else "",
    )


def _behaviour_case(name: str, behaviour: dict[str, Any], needed: bool) -> JUnitCase:
    """A behaviour's testcase: failed when the requirement needs it and it does not work."""
    line = f"{name}: {behaviour['verdict']} — {behaviour['reason']}"
    return JUnitCase(
        classname="certify.behaviour",
        name=name,
        status="failed" if needed else "passed",
        file=inspect.getsourcefile(Certification) or "",
        message=line,
        text=line if needed else "",
        type=behaviour["verdict"] if needed else "",
        system_out="" if needed else line,
    )


def junit(cert: Certification, data: dict[str, Any]) -> bytes:
    unmet = cert.unmet()
    failing = {
        check_id
        for name in unmet
        for check_id in data["behaviours"][name]["blockers"]
        if next(c for c in data["checks"] if c["id"] == check_id)["status"] == "fail"
    }
    cases = [
        _behaviour_case(name, behaviour, name in unmet)
        for name, behaviour in data["behaviours"].items()
    ]
    cases += [
        _check_case(o, c, failing) for o, c in zip(cert.outcomes, data["checks"], strict=True)
    ]
    properties = {f"behaviour.{n}": b["verdict"] for n, b in data["behaviours"].items()}
    return write_junit(
        cases,
        suite="weare-harness certify",
        duration_s=data["duration_s"],
        timestamp=data["started_at"],
        properties={
            "verdict": data["verdict"],
            **properties,
            "require": data["require"],
            "exit_code": data["exit_code"],
            "destination": data["destination"],
            "tool_version": data["tool_version"],
        },
    )


RANKS = {"fail": 1, "warn": 2, "unsupported": 3, "pass": 4, "skipped": 5}  # blockers are 0
FILTER_ORDER = ("fail", "warn", "unsupported", "pass", "skipped")


def _pretty_body(text: str) -> str:
    """A body as people read it: JSON indented whole, anything else as it came."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return text or ""


def _exchange_view(ex: dict[str, Any]) -> dict[str, Any]:
    return {
        **ex,
        "request_head": "\n".join(f"{k}: {v}" for k, v in ex["request_headers"].items()),
        "response_head": "\n".join(f"{k}: {v}" for k, v in ex["response_headers"].items()),
        "request_body": _pretty_body(ex["request_body"]),
        "response_body": _pretty_body(ex["response_body"]),
        "answer": ex["error"] or f"{ex['status']} ({ex['seconds']} s)",
    }


def target_label(data: dict[str, Any]) -> str:
    """The LMS certified, as history groups runs: the origin of its API URL or launch URL."""
    target = data["target"]
    url = target.get("endpoint") or ""
    for launch in target.get("launch_urls") or []:
        url = url or dict(parse_qsl(urlsplit(launch).query)).get("endpoint", "")
    url = url or data.get("destination") or ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def run_meta(cert: Certification, data: dict[str, Any], command: str) -> dict[str, Any]:
    """The "meta" block of results.json and report.html (no scenario files here): the driver
    and Chromium version as the run noted them, the command line without this run's secrets."""
    block = meta(
        started=data["started_at"],
        duration_s=data["duration_s"],
        command=cert.clean(command),
        driver=cert.notes.get("driver", "http"),
        chromium=cert.notes.get("chromium"),
        target=target_label(data),
    )
    del block["scenarios_sha256"]
    return block


def _causes(cert: Certification, by_id: dict[str, dict[str, Any]]) -> list[Any]:
    """The checks that did not pass, grouped by cause: the same cause diagnosed (or the same
    check) and the same fix; blockers first."""
    items = []
    for outcome in cert.ordered():
        check = by_id[outcome.check.id]
        if check["status"] not in ("fail", "warn", "unsupported"):
            continue
        advice = check["advice"] or {}
        items.append(
            {
                "check": advice.get("cause") or check["id"],
                "message": advice.get("observed") or check["detail"],
                "key": check["how_to_fix"],  # one cause, one fix: however each check saw it
                "member": check["id"],
                "rank": 0 if outcome.blocks else RANKS[check["status"]],
                "status": check["status"],
                "rule": f"fix: {check['how_to_fix']}",
            }
        )
    return group(items)


def _html(
    cert: Certification, data: dict[str, Any], meta_block: dict[str, Any], past: History
) -> str:
    by_id = {c["id"]: c for c in data["checks"]}
    ordered = [by_id[o.check.id] for o in cert.ordered()]
    anchors = dict(
        zip([c["id"] for c in ordered], anchor_ids([c["id"] for c in ordered]), strict=True)
    )
    blocking = {o.check.id for o in cert.outcomes if o.blocks}
    views = [
        {
            "c": check,
            "anchor": anchors[check["id"]],
            "blocker": check["id"] in blocking,
            "rank": 0 if check["id"] in blocking else RANKS[check["status"]],
            "exchanges": [_exchange_view(x) for x in check["exchanges"]],
        }
        for check in ordered
    ]
    counts = data["counts"]
    return render(
        "certify.html.j2",
        title=f"weare-harness certify: {data['headline']} — {meta_block['target']}",
        verdict=tone(data["verdict"]),
        verdict_label=data["headline"],
        heading="Will your LMS receive We Are completions?",
        summary=data["summary"],
        meta=meta_block,
        counts=counts,
        behaviours=data["behaviours"],
        flow_names=FLOW_NAMES,
        requirement=cert.requirement(),
        top_fixes=data["top_fixes"],
        header_lines=header_lines(cert),
        filters=[(s, counts[s]) for s in FILTER_ORDER],
        causes=_causes(cert, by_id),
        anchors=anchors,
        views=views,
        history=past,
        flaky=past.flaky,
        noun="check",
    )


def write(cert: Certification, report_dir: Path, command: str = "") -> dict[str, Path]:
    """The reports, and one more line in report_dir's history.jsonl (per target LMS)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    data = redacted(cert, cert.as_dict())
    meta_block = run_meta(cert, data, command)
    results = {"meta": meta_block, **{k: v for k, v in data.items() if k != "exchanges"}}
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
    line = history.entry(
        time=meta_block["started_at"],
        target=meta_block["target"],
        driver=meta_block["driver"],
        counts={k: v for k, v in data["counts"].items()},
        failed=[c["id"] for c in data["checks"] if c["status"] == "fail"],
        passed=[c["id"] for c in data["checks"] if c["status"] == "pass"],
        duration_s=data["duration_s"],
    )
    paths["history"] = history.append(report_dir, line)
    past = history.read(report_dir, line["target"])
    paths["html"].write_text(
        _html(cert, data, meta_block, past), encoding="utf-8", errors="replace"
    )
    paths.update(certificate.write(data, report_dir))
    return paths
