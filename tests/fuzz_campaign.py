"""Schemathesis against a live fake LMS: each operation of `/api/openapi.json`, bounded, recorded.

Used by tests/test_fuzz_api.py (a few deterministic examples per operation, in `make test`) and by
bench/fuzz.py (`make fuzz`: thousands per resource, with timings and the server's RSS).
Credentials: the admin API gets the server-wide API key, a mount's xAPI resources the Basic
credential of a mount made through the admin API. A case whose headers Schemathesis negated
(a missing or broken Authorization or version header) is sent as generated, so that the
refusal is what gets judged.
"""

from __future__ import annotations

import base64
import contextlib
import shlex
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as CHECK_REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import (
    NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES,
    POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES,
)
from schemathesis.openapi.checks import RejectedPositiveData

from tests.fuzz_refusals import CodeOnlyRule, excused

FUZZ_MOUNT = "fuzz"  # the mount whose xAPI resources are fuzzed
ADMIN_MOUNT = "fuzz-admin"  # the mount the admin operations on /api/mounts/{name} touch
MOUNT_KEY = ("fuzzer", "fuzzer-secret-1")
load_all_checks()
CHECKS = list(CHECK_REGISTRY.get_all())  # every check Schemathesis has: `--checks all`
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
_DOCUMENTS = (
    "/xapi/{mount}/activities/state",
    "/xapi/{mount}/agents/profile",
    "/xapi/{mount}/activities/profile",
)
# Refusals a schema-valid request may still get, beyond Schemathesis's own list, and why.
ACCEPTED_REFUSALS: dict[str, tuple[str, str]] = {
    # If-Match / If-None-Match that the stored document does not meet: xAPI's 412, a fact about
    # the store (like 409), not about the request's shape. The document lists 412 for them.
    **{path: ("412", "precondition") for path in _DOCUMENTS},
}
# A 400 of schema-valid data is excused only when it names rules no JSON Schema of the request
# can say: tests/fuzz_refusals.py lists them (CODE_ONLY_RULES), each with its reason.


@dataclass(frozen=True)
class Target:
    base_url: str
    api_key: tuple[str, str]
    mount_key: tuple[str, str] = MOUNT_KEY

    def credentials(self, path: str) -> tuple[str, str]:
        return self.api_key if path.startswith("/api/") else self.mount_key


@dataclass
class Finding:
    """One failed check or transport failure, with a command that replays the request."""

    operation: str
    kind: str
    status: int | None
    detail: str
    reproducer: str

    def __str__(self) -> str:
        return f"{self.operation}: {self.kind} (status {self.status})\n  {self.detail}\n  {self.reproducer}"


@dataclass
class OperationRun:
    """What one operation answered: statuses, latencies (s) and findings."""

    label: str
    path: str
    statuses: Counter = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    excused: Counter = field(default_factory=Counter)  # refusals excused, by the rule's section
    cases: list[Any] = field(default_factory=list)  # kept only when asked (for replays)
    keep_cases: bool = False

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


def prepare(base_url: str, api_key: tuple[str, str]) -> Target:
    """Create the fuzzed mount with its own credential, and the admin operations' mount."""
    user, secret = MOUNT_KEY
    for body in (
        {"name": FUZZ_MOUNT, "username": user, "secret": secret},
        {"name": ADMIN_MOUNT},
    ):
        answer = requests.post(f"{base_url}/api/mounts", json=body, auth=api_key, timeout=10)
        answer.raise_for_status()
    return Target(base_url, api_key)


# A schema-violating request refused for its size is refused (RFC 9110: 413 content too large,
# 414 URI too long; RFC 6585: 431 header fields too large): a long enough negative query or
# header meets the server's limits before its shape is judged.
REFUSED_FOR_SIZE = ["413", "414", "431"]


def _check_settings() -> SchemathesisConfig:
    expected = POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES
    return SchemathesisConfig.from_dict(
        {
            "checks": {
                "negative_data_rejection": {
                    "expected-statuses": [
                        *NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES,
                        *REFUSED_FOR_SIZE,
                    ]
                }
            },
            "operations": [
                {
                    "include-path": path,
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": [*expected, code]}
                    },
                }
                for path, (code, _reason) in ACCEPTED_REFUSALS.items()
            ],
        }
    )


def load_schema(target: Target) -> Any:
    schema = schemathesis.openapi.from_url(
        f"{target.base_url}/api/openapi.json", config=_check_settings()
    )
    schema.config.update(base_url=target.base_url)
    return schema


def operations(schema: Any) -> dict[str, Any]:
    """Every operation by 'METHOD /path'."""
    out = {}
    for result in schema.get_all_operations():
        op = result.ok()
        out[f"{op.method.upper()} {op.path}"] = op
    return out


def _fixed_path_parameters(op: Any) -> dict[str, str] | None:
    names = {p.name for p in op.path_parameters}
    fixed = {k: v for k, v in {"mount": FUZZ_MOUNT, "name": ADMIN_MOUNT}.items() if k in names}
    return fixed or None


def _strategy(op: Any, mode: GenerationMode, fixed: dict[str, str] | None) -> Any:
    """Schemathesis's cases, and for positive ones what the document says beyond JSON schema:
    the query parameters an operation's `x-weare-exclusive` keeps apart, no `x-weare-issued`
    value (only the server's own answers hold one), and JSON rather than a multipart/mixed
    statements body (a JSON part, then attachments matched by SHA-2 hash: no JSON schema
    describes it, and Schemathesis sends a string body as multipart/form-data)."""
    if mode != GenerationMode.POSITIVE:
        return op.as_strategy(mode, path_parameters=fixed)
    strategy = op.as_strategy(mode, path_parameters=fixed)
    if "multipart/mixed" in op.schema.get_request_payload_content_types(op):
        strategy = strategy.filter(lambda case: case.media_type != "multipart/mixed")
    raw = op.definition.raw
    exclusive = raw.get("x-weare-exclusive", {}).get("parameters", {})
    issued = {p.get("name") for p in raw.get("parameters", []) if p.get("x-weare-issued")}
    if not exclusive and not issued:
        return strategy
    return strategy.map(lambda case: _keep_apart(case, exclusive, issued))


def _keep_apart(case: Any, exclusive: dict[str, list[str]], issued: set[str]) -> Any:
    query = {k: v for k, v in (case.query or {}).items() if k not in issued}
    for name, companions in exclusive.items():
        if name in query:
            query = {k: v for k, v in query.items() if k == name or k in companions}
    case.query = query
    return case


def _headers_negated(case: Any) -> bool:
    component = case.meta.components.get("header") if case.meta else None
    return component is not None and component.mode == GenerationMode.NEGATIVE


def _curl(case: Any, auth: tuple[str, str] | None) -> str:
    headers = dict(case.headers or {})
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    if "Authorization" in headers:
        headers["Authorization"] = "[credential of the fuzzed mount or the API key]"
    try:
        return case.as_curl_command(headers=headers)
    except Exception:  # the reproducer must never hide the finding
        return f"{case.method} {case.formatted_path} {shlex.quote(str(case.query))}"


def send(case: Any, run: OperationRun, target: Target, session: requests.Session, timeout: float):
    """Send one case, time it and judge the answer; a failure becomes a Finding, never a raise."""
    auth = None if _headers_negated(case) else target.credentials(case.operation.path)
    started = time.perf_counter()
    try:
        response = case.call(session=session, auth=auth, timeout=timeout)
    except requests.Timeout:
        run.statuses["timeout"] += 1
        run.findings.append(
            Finding(run.label, "timeout", None, f"no answer in {timeout} s", _curl(case, auth))
        )
        return
    except requests.RequestException as exc:
        run.statuses["error"] += 1
        run.findings.append(
            Finding(run.label, "transport", None, f"{type(exc).__name__}: {exc}", _curl(case, auth))
        )
        return
    run.seconds.append(time.perf_counter() - started)
    run.statuses[response.status_code] += 1
    run.findings.extend(judge(case, response, auth, run.label, run.excused))


def judge(
    case: Any,
    response: Any,
    auth: tuple[str, str] | None,
    label: str,
    excuses: Counter | None = None,
) -> list[Finding]:
    """Every check Schemathesis has, on one answer to one case; a refusal of schema-valid data
    stays a finding unless it names only code-only rules (tests/fuzz_refusals.py), which are
    counted in `excuses` by section."""
    try:
        # The credentials as transport arguments: the auth checks know they are real (and probe
        # the same request without them and with wrong ones).
        case.validate_response(
            response, checks=CHECKS, transport_kwargs={"auth": auth} if auth else None
        )
    except BaseException as exc:  # Schemathesis raises a FailureGroup (a BaseExceptionGroup)
        if isinstance(exc, KeyboardInterrupt):
            raise
        findings = []
        for failure in getattr(exc, "exceptions", (exc,)):
            rules = (
                _code_only(case, response) if isinstance(failure, RejectedPositiveData) else None
            )
            if rules is None:
                findings.append(_finding(failure, response, case, auth, label))
            elif excuses is not None:
                excuses.update(rule.section for rule in rules)
        return findings
    return []


def _code_only(case: Any, response: Any) -> list[CodeOnlyRule] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return excused(case.operation.path, response.status_code, body)


def _finding(failure: Any, response: Any, case: Any, auth: Any, label: str) -> Finding:
    title = getattr(failure, "title", type(failure).__name__)
    message = str(getattr(failure, "message", failure)).strip().replace("\n", " ")
    if isinstance(failure, RejectedPositiveData) and response.status_code == 400:
        message = f"no code-only rule of tests/fuzz_refusals.py names it; {message}"
    return Finding(
        label,
        title,
        response.status_code,
        f"{message[:400]} | body: {response.text[:300]!r}",
        _curl(case, auth),
    )


def run_operation(
    op: Any,
    target: Target,
    *,
    examples: int,
    session: requests.Session,
    timeout: float = 10.0,
    rounds_seed: int | None = None,
    run: OperationRun | None = None,
) -> OperationRun:
    """`examples` cases per generation mode. With `rounds_seed` None the run is derandomized
    (the same cases every time, as `make test` needs); otherwise Hypothesis uses that seed."""
    run = run or OperationRun(f"{op.method.upper()} {op.path}", op.path)
    fixed = _fixed_path_parameters(op)
    for mode in MODES:
        strategy = _strategy(op, mode, fixed)

        @given(case=strategy)
        @settings(
            max_examples=examples,
            derandomize=rounds_seed is None,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )
        def exercise(case: Any) -> None:
            if run.keep_cases:
                run.cases.append(case)
            send(case, run, target, session, timeout)

        if rounds_seed is not None:
            exercise = seed(rounds_seed)(exercise)
        # Unsatisfiable: nothing to negate (no parameters, no body); the positive cases were sent.
        with contextlib.suppress(Unsatisfiable):
            exercise()
    return run


def draw_case(op: Any, mode: GenerationMode = GenerationMode.POSITIVE) -> Any:
    """One case of an operation as the campaign generates them (derandomized), not sent."""
    drawn: list[Any] = []

    @given(case=_strategy(op, mode, _fixed_path_parameters(op)))
    @settings(
        max_examples=1,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def draw(case: Any) -> None:
        drawn.append(case)

    draw()
    return drawn[0]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]
