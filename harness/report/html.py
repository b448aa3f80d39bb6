"""report.html: one self-contained page to read a run, from 1 to 500+ scenarios.

No external resource: inline CSS, a few lines of inline JS (open the scenario a link points at,
expand or collapse the shown ones), and a Content-Security-Policy that allows nothing else, so
even a statement that slipped past the escaping could not load or run anything. The status
filters are plain CSS checkboxes. Every scenario's details are collapsed until asked for.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import re
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness.report import RunInfo, first_failure, redact, redact_text, totals

LABELS = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP"}
VERDICTS = {
    "passed": "PASSED",
    "failed": "FAILED",
    "error": "ERROR",
    "empty": "NOTHING PASSED",
}
FILTER_ORDER = ("failed", "error", "passed", "skipped")

CSS = """
:root { --pass: #1a7f37; --fail: #cf222e; --error: #8250df; --skip: #9a6700;
  --line: #d0d7de; --soft: #f6f8fa; --text: #1f2328; --muted: #59636e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--text); background: #fff; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; }
header { padding: 18px 28px; border-bottom: 4px solid var(--muted); background: var(--soft); }
header.v-passed { border-color: var(--pass); } header.v-failed { border-color: var(--fail); }
header.v-error { border-color: var(--error); } header.v-empty { border-color: var(--skip); }
h1 { margin: 0 0 8px; font-size: 20px; }
h1 .verdict { display: inline-block; margin-right: 10px; padding: 2px 12px; border-radius: 4px;
  color: #fff; background: var(--muted); }
.v-passed .verdict { background: var(--pass); } .v-failed .verdict { background: var(--fail); }
.v-error .verdict { background: var(--error); } .v-empty .verdict { background: var(--skip); }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0; }
dl.run dt { color: var(--muted); } dl.run dd { margin: 0; word-break: break-all; }
.totals { font-size: 15px; margin-top: 6px; }
.totals b { font-size: 17px; }
.totals .n-passed { color: var(--pass); } .totals .n-failed { color: var(--fail); }
.totals .n-error { color: var(--error); } .totals .n-skipped { color: var(--skip); }
main { padding: 14px 28px 40px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; }
nav.filters { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 4px 0 12px; }
nav.filters label { cursor: pointer; user-select: none; padding: 3px 12px; border-radius: 14px;
  border: 1px solid var(--line); background: #fff; color: var(--muted);
  text-decoration: line-through; }
nav.filters button { cursor: pointer; padding: 3px 10px; border: 1px solid var(--line);
  border-radius: 6px; background: #fff; }
.spacer { flex: 1; }
.badge { display: inline-block; min-width: 50px; text-align: center; padding: 1px 6px;
  border-radius: 4px; color: #fff; font-size: 12px; font-weight: 600; }
.badge.st-passed { background: var(--pass); } .badge.st-failed { background: var(--fail); }
.badge.st-error { background: var(--error); } .badge.st-skipped { background: var(--skip); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px;
  border-bottom: 1px solid var(--line); }
th { background: var(--soft); position: sticky; top: 0; z-index: 1; }
table.scenarios td.time { white-space: nowrap; color: var(--muted); text-align: right; }
table.scenarios .why { color: var(--fail); font-size: 12.5px; word-break: break-word; }
table.scenarios .src { color: var(--muted); }
table.scenarios tr.st-failed td:first-child, table.scenarios tr.st-error td:first-child {
  border-left: 3px solid var(--fail); }
h2 { font-size: 17px; margin: 26px 0 8px; }
details.scenario { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0;
  content-visibility: auto; contain-intrinsic-size: auto 36px; }
details.scenario > summary { cursor: pointer; padding: 6px 10px; background: var(--soft);
  border-radius: 6px; }
details.scenario[open] > summary { border-bottom: 1px solid var(--line);
  border-radius: 6px 6px 0 0; }
details.scenario > summary code { font-weight: 600; }
details.scenario.st-failed, details.scenario.st-error { border-left: 4px solid var(--fail); }
.body { padding: 4px 14px 14px; }
.body h3 { font-size: 14px; margin: 16px 0 6px; border-bottom: 1px solid var(--line);
  padding-bottom: 2px; }
.body h4 { font-size: 13px; margin: 10px 0 4px; }
.message { padding: 6px 10px; border-radius: 4px; background: #fff8c5; white-space: pre-wrap; }
blockquote { margin: 0; padding: 4px 12px; border-left: 3px solid var(--line); }
.muted { color: var(--muted); }
.url { word-break: break-all; }
pre { margin: 4px 0; padding: 8px 10px; background: var(--soft); border-radius: 4px;
  overflow: auto; max-height: 420px; white-space: pre-wrap; word-break: break-word; }
td pre { max-height: 200px; margin: 0; padding: 4px 6px; }
table.kv td:first-child { white-space: nowrap; color: var(--muted); width: 1%; }
table.checks td.mark { font-weight: 700; width: 1%; }
tr.ok td.mark { color: var(--pass); } tr.ko td.mark { color: var(--fail); }
tr.ko td { background: #fff5f5; }
pre.diff { background: #fff; border: 1px solid var(--line); }
pre.diff .add { background: #dafbe1; display: block; }
pre.diff .del { background: #ffebe9; display: block; }
pre.diff .hunk { color: var(--error); display: block; }
pre.diff .head { color: var(--muted); display: block; }
details.sub > summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
footer { color: var(--muted); padding: 0 28px 24px; font-size: 12px; }
"""

SCRIPT = """
function openTarget() {
  var id = decodeURIComponent(location.hash.slice(1));
  var el = id && document.getElementById(id);
  if (el && el.tagName === "DETAILS") { el.open = true; el.scrollIntoView(); }
}
window.addEventListener("hashchange", openTarget);
openTarget();
function setShown(open) {
  document.querySelectorAll("details.scenario").forEach(function (d) {
    if (d.offsetParent !== null) { d.open = open; }
  });
}
document.getElementById("expand").addEventListener("click", function () { setShown(true); });
document.getElementById("collapse").addEventListener("click", function () { setShown(false); });
"""


def _filter_css() -> str:
    """Hide a status while its checkbox is off; show its chip as on while it is on."""
    rules = []
    for status in FILTER_ORDER:
        box = f"#show-{status}"
        rules.append(
            f"{box}:not(:checked) ~ table tr.st-{status}, "
            f"{box}:not(:checked) ~ section details.st-{status} {{ display: none; }}"
        )
        rules.append(
            f"{box}:checked ~ nav label[for=show-{status}] {{ text-decoration: none; "
            f"color: #fff; border-color: transparent; background: var(--{_var(status)}); }}"
        )
        rules.append(
            f"{box}:focus-visible ~ nav label[for=show-{status}] "
            "{ outline: 2px solid #0969da; outline-offset: 2px; }"
        )
    return "\n".join(rules)


def _var(status: str) -> str:
    return {"passed": "pass", "failed": "fail", "error": "error", "skipped": "skip"}[status]


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# -- text helpers ---------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """Escaped text, secrets redacted once more (a second line of defence)."""
    text = value if isinstance(value, str) else str(value)
    return escape(redact_text(text), quote=True)


def _json(value: Any, *, indent: int | None = 2, sort_keys: bool = False) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str, sort_keys=sort_keys)


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else _json(value, indent=None)


def _pre(value: Any, cls: str = "") -> str:
    text = value if isinstance(value, str) else _json(value)
    attr = f' class="{cls}"' if cls else ""
    return f"<pre{attr}>{_e(text)}</pre>"


def _badge(status: str) -> str:
    return f'<span class="badge st-{_e(status)}">{_e(LABELS.get(status, status.upper()))}</span>'


def _anchor_ids(scenarios: list[dict[str, Any]]) -> list[str]:
    seen: set[str] = set()
    ids = []
    for scenario in scenarios:
        base = "s-" + (re.sub(r"[^A-Za-z0-9_.-]+", "-", str(scenario.get("id", ""))) or "x")
        anchor, n = base, 2
        while anchor in seen:
            anchor, n = f"{base}-{n}", n + 1
        seen.add(anchor)
        ids.append(anchor)
    return ids


def _link(url: str | None) -> str:
    """A launch URL: a link when it is http(s), else plain text."""
    if not url:
        return '<span class="muted">none</span>'
    if urlsplit(url).scheme in ("http", "https"):
        return (
            f'<a class="url mono" href="{_e(url)}" rel="noopener noreferrer" '
            f'target="_blank">{_e(url)}</a>'
        )
    return f'<code class="url">{_e(url)}</code>'


def diff_lines(expected: Any, actual: Any) -> list[str]:
    """A unified diff of expected against actual: strings by line, anything else as JSON."""
    if isinstance(expected, str) and isinstance(actual, str):
        a, b = expected.splitlines() or [""], actual.splitlines() or [""]
    else:
        a = _json(expected, sort_keys=True).splitlines()
        b = _json(actual, sort_keys=True).splitlines()
    return list(difflib.unified_diff(a, b, "expected", "actual", lineterm="", n=3))


def _diff_html(expected: Any, actual: Any) -> str:
    lines = diff_lines(expected, actual)
    if not lines:
        return '<p class="muted">expected and actual read the same; see the check message.</p>'
    out = []
    for line in lines:
        if line.startswith(("---", "+++")):
            cls = "head"
        elif line.startswith("@@"):
            cls = "hunk"
        elif line.startswith("+"):
            cls = "add"
        elif line.startswith("-"):
            cls = "del"
        else:
            cls = ""
        out.append(f'<span class="{cls}">{_e(line)}</span>' if cls else _e(line) + "\n")
    return '<pre class="diff">' + "".join(out) + "</pre>"


# -- sections -------------------------------------------------------------------------------------


def _header(info: RunInfo, counts: dict[str, Any]) -> str:
    verdict = counts["verdict"]
    run = [
        ("target", info.target),
        ("driver", info.driver),
        ("started", info.started),
        ("duration", f"{info.duration_s:.2f} s"),
        ("command", info.command),
    ]
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in run)
    parts = [
        f'<b class="n-passed">{counts["passed"]}</b> passed',
        f'<b class="n-failed">{counts["failed"]}</b> failed',
        f'<b class="n-error">{counts["errors"]}</b> errors',
        f'<b class="n-skipped">{counts["skipped"]}</b> skipped',
    ]
    return (
        f'<header class="v-{_e(verdict)}">'
        f'<h1><span class="verdict">{_e(VERDICTS.get(verdict, verdict))}</span>'
        f"weare-harness report</h1>"
        f'<dl class="run">{rows}</dl>'
        f'<div class="totals"><b>{counts["scenarios"]}</b> scenarios: {" · ".join(parts)}</div>'
        "</header>"
    )


def _filters(counts: dict[str, Any]) -> str:
    number = {
        "passed": counts["passed"],
        "failed": counts["failed"],
        "error": counts["errors"],
        "skipped": counts["skipped"],
    }
    boxes = "".join(
        f'<input type="checkbox" class="sr-only" id="show-{s}" checked>' for s in FILTER_ORDER
    )
    labels = "".join(f'<label for="show-{s}">{_e(s)} ({number[s]})</label>' for s in FILTER_ORDER)
    return (
        boxes + '<nav class="filters" aria-label="filter by status"><span>Show:</span>'
        f'{labels}<span class="spacer"></span>'
        '<button type="button" id="expand">expand shown</button>'
        '<button type="button" id="collapse">collapse all</button></nav>'
    )


def _table(scenarios: list[dict[str, Any]], anchors: list[str]) -> str:
    rows = []
    for scenario, anchor in zip(scenarios, anchors, strict=True):
        status = scenario["status"]
        why = ""
        if status in ("failed", "error"):
            why = f'<div class="why">{_e(first_failure(scenario))}</div>'
        rule = scenario.get("rule") or {}
        rows.append(
            f'<tr class="st-{_e(status)}"><td>{_badge(status)}</td>'
            f'<td><a class="mono" href="#{_e(anchor)}">{_e(scenario["id"])}</a></td>'
            f"<td>{_e(scenario.get('title', ''))}{why}</td>"
            f'<td class="src">{_e(rule.get("source", ""))}</td>'
            f'<td class="time">{float(scenario.get("duration_s") or 0):.2f} s</td></tr>'
        )
    return (
        '<table class="scenarios"><thead><tr><th>Status</th><th>Scenario</th><th>Title</th>'
        "<th>Rule source</th><th>Time</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _or_none(value: Any, tag: str = "span") -> str:
    if value in (None, ""):
        return '<span class="muted">none</span>'
    return f'<{tag} class="url">{_e(value)}</{tag}>'


def _kv(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><td>{_e(k)}</td><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="kv">{body}</table>'


def _launch(scenario: dict[str, Any]) -> str:
    url = scenario.get("launch_url")
    out = [f"<h3>Launch</h3><p>{_link(url)}</p>"]
    if url:
        params = parse_qsl(urlsplit(url).query, keep_blank_values=True)
        if params:
            out.append(_kv([(name, f"<code>{_e(value)}</code>") for name, value in params]))
    launch = scenario.get("launch") or {}
    if launch:
        out.append(
            f'<details class="sub"><summary>launch record (JSON)</summary>{_pre(launch)}</details>'
        )
    return "".join(out)


def _outcome(scenario: dict[str, Any]) -> str:
    outcome = scenario.get("outcome") or {}
    if not outcome:
        return '<h3>Story outcome</h3><p class="muted">the story did not report.</p>'
    rows = [
        ("status", f"<b>{_e(outcome.get('status', ''))}</b>"),
        ("reason", _or_none(outcome.get("reason"))),
        ("destination", _or_none(outcome.get("destination"), "code")),
        ("credentials", _or_none(outcome.get("credentials"))),
    ]
    if outcome.get("redirect"):
        rows.append(("redirect", _or_none(outcome["redirect"], "code")))
    out = ["<h3>Story outcome</h3>", _kv(rows)]
    steps = outcome.get("steps") or []
    if steps:
        body = "".join(
            "<tr>"
            f"<td>{n}</td><td>{_e(step.get('step', ''))}</td><td>{_e(step.get('method', ''))}</td>"
            f'<td class="url mono">{_e(step.get("url", ""))}</td>'
            f"<td>{_e(step.get('status', step.get('error', '')))}</td>"
            f"<td>{_pre(step.get('body', step.get('error', '')))}</td></tr>"
            for n, step in enumerate(steps, 1)
        )
        out.append(
            "<h4>Steps</h4><table><thead><tr><th>#</th><th>step</th><th>method</th><th>URL</th>"
            f"<th>status</th><th>body</th></tr></thead><tbody>{body}</tbody></table>"
        )
    sent = outcome.get("statements") or []
    if sent:
        out.append(
            f'<details class="sub"><summary>statements the story sent ({len(sent)})</summary>'
            f"{_pre(sent)}</details>"
        )
    return "".join(out)


def _checks(scenario: dict[str, Any]) -> str:
    checks = scenario.get("checks") or []
    if not checks:
        return ""
    rows = []
    for check in checks:
        ok = bool(check.get("passed"))
        rows.append(
            f'<tr class="{"ok" if ok else "ko"}"><td class="mark">{"✓" if ok else "✗"}</td>'
            f"<td><code>{_e(check.get('name', ''))}</code></td>"
            f"<td>{_e(check.get('rule', ''))}</td>"
            f"<td>{_pre(_compact(check.get('expected')))}</td>"
            f"<td>{_pre(_compact(check.get('actual')))}</td></tr>"
        )
        if not ok:
            rows.append(
                '<tr class="ko"><td></td><td colspan="4">'
                f"<div>{_e(check.get('message', ''))}</div>"
                f"{_diff_html(check.get('expected'), check.get('actual'))}</td></tr>"
            )
    failed = sum(1 for c in checks if not c.get("passed"))
    return (
        f"<h3>Checks ({len(checks) - failed} passed, {failed} failed)</h3>"
        '<table class="checks"><thead><tr><th></th><th>check</th><th>rule</th>'
        "<th>expected</th><th>actual</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def fates_text(fates: dict[str, Any]) -> str:
    """'1 statement sent, 0 accepted (400: …)': what a mount's LRS made of what it was sent."""
    sent = int(fates.get("sent", 0))
    text = f"{sent} statement{'' if sent == 1 else 's'} sent, {fates.get('accepted', 0)} accepted"
    if fates.get("refused"):
        text += f", {fates['refused']} refused"
    if fates.get("dropped"):
        text += f", {fates['dropped']} answered but not stored"
    answers = fates.get("answers") or []
    if answers:
        text += f" ({'; '.join(str(a) for a in answers)})"
    return text


def _received(scenario: dict[str, Any]) -> str:
    received = scenario.get("received") or {}
    if not received:
        return ""
    counts = scenario.get("statements") or {}
    out = ["<h3>Statements per mount</h3>"]
    for role, statements in received.items():
        fates = counts.get(role) or {"sent": len(statements)}
        out.append(f"<h4>{_e(role)}: {_e(fates_text(fates))}</h4>")
        out.append(_pre(statements) if statements else '<p class="muted">none</p>')
    return "".join(out)


def _answer(answer: Any) -> str:
    return f'<div class="muted">{_e(answer)}</div>' if answer else ""


def _journal(scenario: dict[str, Any]) -> str:
    journal = scenario.get("journal") or []
    if not journal:
        return ""
    rows = "".join(
        "<tr>"
        f"<td>{_e(e.get('mount', ''))}</td><td>{_e(e.get('method', ''))}</td>"
        f'<td class="url mono">{_e(e.get("path", ""))}</td><td>{_e(e.get("status", ""))}'
        f"{_answer(e.get('answer'))}</td>"
        f"<td><code>{_e(e.get('authorization') or '')}</code></td>"
        f"<td>{_pre(_compact(e.get('verdicts') or []))}</td></tr>"
        for e in journal
    )
    return (
        f"<h3>Journal ({len(journal)} exchanges)</h3><table><thead><tr><th>mount</th>"
        "<th>method</th><th>path</th><th>status</th><th>authorization</th><th>verdicts</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _details(scenario: dict[str, Any], anchor: str) -> str:
    status = scenario["status"]
    rule = scenario.get("rule") or {}
    parts = []
    if scenario.get("message"):
        parts.append(f'<h3>Message</h3><div class="message">{_e(scenario["message"])}</div>')
    parts.append(
        f"<h3>Rule</h3><blockquote>{_e(rule.get('text', ''))}"
        f'<div class="muted">source: {_e(rule.get("source", ""))}</div></blockquote>'
        f'<p class="muted">file: <code>{_e(scenario.get("file", ""))}</code> · '
        f"{float(scenario.get('duration_s') or 0):.3f} s</p>"
    )
    if status != "skipped" or scenario.get("launch_url"):
        parts.append(_launch(scenario))
        parts.append(_outcome(scenario))
    parts += [_checks(scenario), _received(scenario), _journal(scenario)]
    return (
        f'<details class="scenario st-{_e(status)}" id="{_e(anchor)}">'
        f"<summary>{_badge(status)} <code>{_e(scenario['id'])}</code> "
        f'<span class="muted">{_e(scenario.get("title", ""))}</span></summary>'
        f'<div class="body">{"".join(parts)}</div></details>'
    )


def render_html(scenarios: list[dict[str, Any]], info: RunInfo) -> str:
    """The report page from scenario dicts (redacted again here, whatever the caller did)."""
    scenarios = redact(scenarios)
    info = RunInfo(
        info.target, info.driver, info.started, info.duration_s, redact_text(info.command)
    )
    counts = totals(scenarios)
    anchors = _anchor_ids(scenarios)
    css = CSS + _filter_css()
    csp = (
        f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(SCRIPT)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    title = f"weare-harness: {VERDICTS.get(counts['verdict'], '')} — {info.target}"
    details = "".join(_details(s, a) for s, a in zip(scenarios, anchors, strict=True))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        f"<title>{_e(title)}</title><style>{css}</style></head><body>"
        f"{_header(info, counts)}<main>{_filters(counts)}"
        f"{_table(scenarios, anchors)}"
        f'<section class="all-details"><h2>Details</h2>{details}</section></main>'
        "<footer>Generated by weare-harness. Details are collapsed: click a scenario to open "
        f"it.</footer><script>{SCRIPT}</script></body></html>\n"
    )
