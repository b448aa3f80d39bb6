"""certificate.json: a verdict a vendor can forward, bound by SHA-256 to the evidence behind it.

evidence.json is the redacted record of the run (every request and answer, every check's
finding); certificate.json names the verdicts, the requirement the run was held to
(`--require`) and whether it was met, every check's id, status and severity, and the SHA-256 of
evidence.json's bytes. `verify(dir)` recomputes the hash and compares the
certificate with the evidence: 0 intact, 1 changed, 2 files missing or unreadable.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

EVIDENCE, CERTIFICATE = "evidence.json", "certificate.json"
REQUIREMENT = ("require", "require_met", "exit_code")  # what --require asked, and the outcome


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def certificate_from(evidence: dict[str, Any], digest: str) -> dict[str, Any]:
    """What the certificate states, derived from the evidence alone. Evidence written before
    certify had `--require` holds no requirement, and its certificate states none."""
    required = {k: evidence[k] for k in REQUIREMENT if k in evidence}
    return {
        "verdict": evidence["verdict"],
        "summary": evidence["summary"],
        **required,
        "behaviours": {n: b["verdict"] for n, b in evidence["behaviours"].items()},
        "tool_version": evidence["tool_version"],
        "started_at": evidence["started_at"],
        "target": evidence["target"],
        "checks": [
            {"id": c["id"], "status": c["status"], "severity": c["severity"]}
            for c in evidence["checks"]
        ],
        "evidence_file": EVIDENCE,
        "evidence_sha256": digest,
    }


def write(evidence: dict[str, Any], report_dir: Path) -> dict[str, Path]:
    """Write evidence.json (already redacted) and the certificate that hashes it."""
    paths = {"evidence": report_dir / EVIDENCE, "certificate": report_dir / CERTIFICATE}
    paths["evidence"].write_text(
        json.dumps(evidence, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
        errors="backslashreplace",
    )
    certificate = certificate_from(evidence, sha256(paths["evidence"]))
    paths["certificate"].write_text(json.dumps(certificate, indent=2) + "\n", encoding="utf-8")
    return paths


def verify(report_dir: Path) -> tuple[int, str]:
    """(exit code, one line): 0 intact, 1 changed, 2 missing or unreadable files."""
    evidence_path, cert_path = report_dir / EVIDENCE, report_dir / CERTIFICATE
    missing = [p.name for p in (evidence_path, cert_path) if not p.is_file()]
    if missing:
        return 2, f"{report_dir} lacks {', '.join(missing)}"
    try:
        certificate = json.loads(cert_path.read_text(encoding="utf-8"))
        evidence = json.loads(evidence_path.read_text(encoding="utf-8"))
        stated = certificate["evidence_sha256"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        return 1, f"{report_dir}: unreadable certificate or evidence ({type(exc).__name__})"
    digest = sha256(evidence_path)
    if digest != stated:
        return 1, f"{EVIDENCE} changed: SHA-256 {digest} is not the certified {stated}"
    try:
        expected = certificate_from(evidence, digest)
    except (KeyError, TypeError) as exc:
        return 1, f"{EVIDENCE} lacks what the certificate states ({exc})"
    differing = sorted(k for k in expected if certificate.get(k) != expected[k])
    differing += sorted(k for k in certificate if k not in expected)
    if differing:
        return 1, f"{CERTIFICATE} disagrees with {EVIDENCE} on {', '.join(differing)}"
    return 0, f"intact: verdict {certificate['verdict']}, evidence SHA-256 {digest}"
