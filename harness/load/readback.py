"""The loss check: every statement the LMS acknowledged is read back and counted.

Per learner, its registration's statements are read from the LRS it sent to (GET statements
?registration=, every `more` page) with the credentials that allow it: the fake LMS's API key,
the configured API key, or the learner's own fetched token. Each acknowledged id is found once
(kept), never (lost), or more than once (duplicated); a stored statement with another id but
the verb and timestamp of one the learner sent is a copy the LRS made: duplicated too. A
learner whose statements cannot be read (refused, unreachable) is counted as unverified.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import requests

from harness.story.client import statements_url

MAX_PAGES = 50  # `more` pages read per learner
READ_SECONDS = 120.0  # the whole read-back, however many learners


@dataclass
class LossCount:
    """What the read-back found, summed over learners."""

    accepted: int = 0
    lost: int = 0
    duplicated: int = 0
    unverified: int = 0  # acknowledged statements that could not be read back
    reasons: Counter[str] = field(default_factory=Counter)  # why some could not be read

    def add(self, other: LossCount) -> None:
        self.accepted += other.accepted
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.unverified += other.unverified
        self.reasons.update(other.reasons)

    def status(self) -> tuple[str, str]:
        """pass, fail or skipped (nothing could be judged), with the reason."""
        if self.lost or self.duplicated:
            return "fail", f"{self.lost} lost, {self.duplicated} duplicated"
        if self.accepted == 0:
            return "skipped", "no statement was acknowledged, so none could be read back"
        if self.unverified == self.accepted:
            why = "; ".join(self.reasons) or "unknown"
            return "skipped", f"no acknowledged statement could be read back: {why}"
        checked = self.accepted - self.unverified
        return "pass", f"{checked} of {self.accepted} acknowledged statements read back, none lost"


def read_registration(
    http: requests.Session,
    endpoint: str,
    registration: str,
    authorization: str,
    timeout: float,
    deadline: float,
) -> list[dict[str, Any]]:
    """Every statement of a registration, all `more` pages; RuntimeError says why not."""
    url: str | None = statements_url(endpoint, False)
    params: dict[str, str] | None = {"registration": registration, "limit": "500"}
    headers = {"Authorization": authorization, "X-Experience-API-Version": "1.0.3"}
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        if url is None:
            return found
        if time.monotonic() > deadline:
            raise RuntimeError(f"read-back took longer than {READ_SECONDS:g} s")
        try:
            r = http.get(url, params=params, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            raise RuntimeError(f"GET statements failed: {type(exc).__name__}") from exc
        if r.status_code != 200:
            raise RuntimeError(f"GET statements answered {r.status_code}")
        try:
            body = r.json()
            page = body["statements"]
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeError("GET statements answered no statements list") from exc
        found += [s for s in page if isinstance(s, dict)]
        more = body.get("more") if isinstance(body, dict) else None
        url, params = (urljoin(url, more), None) if more else (None, None)
    raise RuntimeError(f"more than {MAX_PAGES} pages of statements for one registration")


def count_learner(learner: dict[str, Any], stored: list[dict[str, Any]]) -> LossCount:
    """Lost and duplicated statements of one learner, from what its registration holds."""
    acked = learner.get("acked") or []
    seen = Counter(s.get("id") for s in stored)
    count = LossCount(accepted=len(acked))
    for statement_id in set(acked):
        found = seen.get(statement_id, 0)
        expected = acked.count(statement_id)
        count.lost += max(expected - found, 0)
        count.duplicated += max(found - expected, 0)
    sent_ids = {row[0] for row in learner.get("sent") or []}
    sent_keys = {(row[1], row[2]) for row in learner.get("sent") or []}
    for s in stored:
        key = (s.get("verb", {}).get("id"), s.get("timestamp"))
        if s.get("id") not in sent_ids and key in sent_keys:
            count.duplicated += 1
    return count


def check_losses(
    learners: Iterable[dict[str, Any]],
    authorization: Callable[[dict[str, Any]], str | None],
    *,
    timeout: float,
    concurrency: int = 16,
) -> LossCount:
    """Read back every learner's registration (`concurrency` at a time) and sum the counts.
    `authorization(learner)` gives the header to read with, None when nothing allows it."""
    from gevent.pool import Pool  # the engine is gevent-patched: greenlets, not threads

    deadline = time.monotonic() + READ_SECONDS
    total = LossCount()
    http = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=concurrency)
    http.mount("http://", adapter)
    http.mount("https://", adapter)

    def one(learner: dict[str, Any]) -> LossCount:
        acked = len(learner.get("acked") or [])
        auth = authorization(learner)
        if not learner.get("endpoint") or not learner.get("registration") or auth is None:
            why = "no credentials allow reading them" if auth is None else "no registration"
            return LossCount(accepted=acked, unverified=acked, reasons=Counter({why: 1}))
        try:
            stored = read_registration(
                http, learner["endpoint"], learner["registration"], auth, timeout, deadline
            )
        except RuntimeError as exc:
            return LossCount(accepted=acked, unverified=acked, reasons=Counter({str(exc): 1}))
        return count_learner(learner, stored)

    with_acks = [learner for learner in learners if learner.get("acked")]
    for count in Pool(concurrency).imap_unordered(one, with_acks):
        total.add(count)
    http.close()
    return total
