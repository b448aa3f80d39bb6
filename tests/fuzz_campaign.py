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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

FUZZ_MOUNT = "fuzz"  # the mount whose xAPI resources are fuzzed
ADMIN_MOUNT = "fuzz-admin"  # the mount the admin operations on /api/mounts/{name} touch
MOUNT_KEY = ("fuzzer", "fuzzer-secret-1")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


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


def load_schema(target: Target) -> Any:
    schema = schemathesis.openapi.from_url(f"{target.base_url}/api/openapi.json")
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
    try:
        case.validate_response(response, checks=CHECKS)
    except BaseException as exc:  # Schemathesis raises a FailureGroup (a BaseExceptionGroup)
        if isinstance(exc, KeyboardInterrupt):
            raise
        failures = getattr(exc, "exceptions", (exc,))
        for failure in failures:
            title = getattr(failure, "title", type(failure).__name__)
            message = str(getattr(failure, "message", failure)).strip().replace("\n", " ")
            run.findings.append(
                Finding(
                    run.label,
                    title,
                    response.status_code,
                    f"{message[:400]} | body: {response.text[:300]!r}",
                    _curl(case, auth),
                )
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
        strategy = op.as_strategy(mode, path_parameters=fixed)

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


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]
