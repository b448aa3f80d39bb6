"""What `weare-harness doctor` checks: one named function per need, each with the one fix command.

A check returns a `fake_lms.findings.Finding` (`detail`: what was found, `fix`: the command);
`CHECKS` lists them in the order they print. A check that raises is reported as missing with the
error, so a broken machine never gets a traceback.
"""

from __future__ import annotations

import json
import operator
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import metadata, resources
from pathlib import Path

from fake_lms.findings import MISSING, OK, WARNING, Finding, render
from fake_lms.registry import Registry
from harness.listening import CONTENT_OFFSET, MAX_PORT, STORY_OFFSET, listen_problem

DIST = "weare-harness"


@dataclass(frozen=True)
class Options:
    report_dir: Path = Path("reports")
    db: Path = Path(".harness/lms.db")
    port: int = 8080
    interop: bool = False
    timeout: float = 30.0


Check = Callable[[Options], Finding | None]


@dataclass(frozen=True)
class DoctorCheck:
    id: str
    needed_by: str  # the commands that need what it looks at
    func: Check


CHECKS: Registry[DoctorCheck] = Registry("doctor check", lambda c: c.id)


def check(check_id: str, needed_by: str) -> Callable[[Check], Check]:
    """Register a check under its id, with the commands that need what it looks at."""
    return CHECKS.register(lambda fn: DoctorCheck(check_id, needed_by, fn))


def run_checks(options: Options) -> list[Finding]:
    """Each check's finding, named with its id; a check that raises is reported as missing."""
    findings = []
    for entry in CHECKS:
        try:
            finding = entry.func(options)
        except Exception as exc:
            finding = Finding(MISSING, f"the check itself failed: {exc!r}")
        if finding is not None:
            findings.append(replace(finding, check=entry.id))
    return findings


def as_json(finding: Finding) -> dict[str, object]:
    """A finding as `doctor --json` prints it (a dict `actual` adds its keys)."""
    extra = finding.actual if isinstance(finding.actual, dict) else {}
    return {
        "id": finding.check,
        "status": finding.status,
        "found": render(finding),
        "fix": finding.fix,
        "needed_by": CHECKS[finding.check].needed_by,
        **extra,
    }


def _pip(what: str) -> str:
    return f"{sys.executable} -m pip install {what}"


def _reinstall() -> str:
    """The pip command that puts the package's files back: editable from its folder, or not."""
    try:
        origin = json.loads(metadata.distribution(DIST).read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        origin = {}
    url = origin.get("url", "")
    if origin.get("dir_info", {}).get("editable") and url.startswith("file://"):
        return _pip(f"-e {url.removeprefix('file://')}")
    return _pip(f"--force-reinstall {DIST}")


_OPS = {">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne}
_OPS |= {">": operator.gt, "<": operator.lt}


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.strip().split(".") if part.isdigit())


def python_supported(spec: str, version: tuple[int, ...]) -> bool | None:
    """Whether `version` meets a Requires-Python like '>=3.11,<4'; None when it cannot be read."""
    for clause in (c.strip() for c in spec.split(",") if c.strip()):
        op = next((o for o in (">=", "<=", "==", "!=", ">", "<") if clause.startswith(o)), None)
        if op is None or "*" in clause:
            return None
        wanted = _version_tuple(clause[len(op) :])
        if not wanted or not _OPS[op](version[: len(wanted)], wanted):
            return False
    return True


@check("python", "every command")
def python_check(options: Options) -> Finding:
    here = ".".join(str(n) for n in sys.version_info[:3])
    where = f"Python {here} at {sys.executable}"
    try:
        # an email.message.Message, which has get(); typeshed declares PackageMetadata.get for
        # Python 3.12 on only
        spec = metadata.metadata(DIST).get("Requires-Python") or ""  # type: ignore[attr-defined]
    except metadata.PackageNotFoundError:
        spec = ""
    if not spec:
        return Finding(WARNING, f"{where}; {DIST} is not installed, so no Requires-Python")
    supported = python_supported(spec, tuple(sys.version_info[:3]))
    if supported is None:
        return Finding(WARNING, f"{where}; cannot read Requires-Python {spec!r}")
    if not supported:
        return Finding(
            MISSING,
            f"{where}; {DIST} requires Python {spec}",
            fix=f"python3.11 -m venv .venv && .venv/bin/pip install {DIST}",
        )
    return Finding(OK, f"{where} (requires {spec})")


@check("package", "every command")
def package_check(options: Options) -> Finding:
    try:
        version = metadata.version(DIST)
    except metadata.PackageNotFoundError:
        return Finding(MISSING, f"{DIST} is not installed in {sys.prefix}", fix=_pip(DIST))
    missing = []
    for requirement in metadata.requires(DIST) or []:
        if "extra ==" in requirement:
            continue
        name = requirement.split(";")[0].strip()
        bare = name
        for stop in "<>=!~[ (":
            bare = bare.split(stop)[0]
        try:
            metadata.version(bare)
        except metadata.PackageNotFoundError:
            missing.append(name)
    if missing:
        return Finding(
            MISSING,
            f"{DIST} {version}; missing dependencies: {', '.join(missing)}",
            fix=_pip(" ".join(f"'{m}'" for m in missing)),
        )
    return Finding(OK, f"{DIST} {version} ({metadata.distribution(DIST).locate_file('')})")


# Files the commands read through importlib.resources: (package, folder, a file of each suffix).
PACKAGE_DATA = (
    ("harness", "schemas", (".json",)),
    ("harness", "data", (".json",)),
    ("harness", "story/static", (".html", ".js")),
    ("fake_lms", "schemas", (".json", ".xsd")),
    ("fake_lms", "data", (".json",)),
    ("fake_lms", "dashboard/templates", (".html",)),
    ("fake_lms", "", (".sql",)),
)


@check("data", "run, serve, certify")
def data_check(options: Options) -> Finding:
    from harness.scenarios import ScenarioError, discover

    problems, count = [], 0
    for package, folder, suffixes in PACKAGE_DATA:
        root = resources.files(package).joinpath(folder) if folder else resources.files(package)
        try:
            files = [f for f in root.iterdir() if f.is_file() and f.name.endswith(suffixes)]
        except OSError as exc:
            problems.append(f"{package}/{folder}: cannot list: {exc.strerror or exc}")
            continue
        for suffix in suffixes:
            if not any(f.name.endswith(suffix) for f in files):
                problems.append(f"{package}/{folder or '.'}: no {suffix} file")
        for item in files:
            try:
                text = item.read_text(encoding="utf-8")
                if item.name.endswith(".json"):
                    json.loads(text)
                count += 1
            except (OSError, ValueError) as exc:
                problems.append(f"{package}/{folder}/{item.name}: {exc}")
    try:
        scenarios = len(discover())
    except ScenarioError as exc:
        problems.append(f"built-in scenarios: {exc}")
        scenarios = 0
    if problems:
        return Finding(MISSING, "; ".join(problems), fix=_reinstall())
    return Finding(OK, f"{scenarios} built-in scenarios, {count} data files readable")


def _chromium_fix() -> str:
    if shutil.which("apt-get"):
        return "apt-get install -y chromium"
    return f"{sys.executable} -m playwright install chromium"


@check("chromium", "run --driver browser, browser tests")
def chromium_check(options: Options) -> Finding:
    from harness.browser import ON_PATH, chromium_executable, probe_launch

    explicit = os.environ.get("PLAYWRIGHT_CHROMIUM_EXECUTABLE")
    ignored = ""
    if explicit and not Path(explicit).is_file():
        ignored = f"PLAYWRIGHT_CHROMIUM_EXECUTABLE={explicit} is not a file; "
    executable = chromium_executable()
    probe = probe_launch(options.timeout)
    executable = executable or probe.get("executable")
    if not probe.get("launched"):
        if executable and Path(executable).is_file():
            if executable == explicit:
                fix = "export PLAYWRIGHT_CHROMIUM_EXECUTABLE=/path/to/a/working/chromium"
            elif probe.get("playwright_download"):
                fix = f"{sys.executable} -m playwright install --with-deps chromium"
            elif shutil.which("apt-get"):
                package = Path(executable).name
                package = package if package in ON_PATH else "chromium"
                fix = f"apt-get install -y --reinstall {package}"
            else:
                fix = "export PLAYWRIGHT_CHROMIUM_EXECUTABLE=/path/to/a/working/chromium"
            found = f"{ignored}{executable} does not launch headless: {probe.get('error')}"
            return Finding(MISSING, found, fix=fix)
        return Finding(
            MISSING, f"{ignored}no Chromium found; {probe.get('error')}", fix=_chromium_fix()
        )
    version = version_line(executable) if executable else None
    version = version or f"Chromium {probe.get('version')}"
    source = " (Playwright's download)" if probe.get("playwright_download") else ""
    found = f"{ignored}{version} at {executable}{source}, launches headless"
    return Finding(
        WARNING if ignored else OK,
        found,
        fix="unset PLAYWRIGHT_CHROMIUM_EXECUTABLE" if ignored else None,
        actual={"version": version, "executable": executable},
    )


def _writable(folder: Path, option: str) -> tuple[bool, str, str | None]:
    """Whether files can be created in `folder` (made if absent), leaving nothing behind."""
    folder = folder.absolute()
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        found = f"{existing} is a file, so {folder} cannot be a folder"
        return False, found, option.format(f"<a folder outside {existing}>")
    try:
        if existing == folder:
            fd, name = tempfile.mkstemp(prefix=".doctor-", dir=folder)
            os.close(fd)
            os.unlink(name)
        else:
            os.rmdir(tempfile.mkdtemp(prefix=".doctor-", dir=existing))
    except OSError as exc:
        return False, f"cannot write in {existing}: {exc.strerror}", f"chmod u+w {existing}"
    made = "" if existing == folder else f" (will be made in {existing})"
    return True, f"{folder} is writable{made}", None


@check("report-dir", "run --report-dir, certify")
def report_dir_check(options: Options) -> Finding:
    ok, found, fix = _writable(options.report_dir, "weare-harness run --report-dir {}")
    return Finding(OK if ok else MISSING, found, fix=fix)


@check("db-dir", "serve --db")
def db_dir_check(options: Options) -> Finding:
    ok, found, fix = _writable(options.db.parent, "weare-harness serve --db {}/lms.db")
    return Finding(OK if ok else MISSING, found, fix=fix)


# The ports `serve --port PORT` listens on by default (harness.listening), each with the flag
# that moves it.
SERVE_PORTS = (
    (0, "the fake LMS", "--port"),
    (STORY_OFFSET, "the story", "--story-port"),
    (CONTENT_OFFSET, "course content", "--content-port"),
)


@check("port", "serve --port (and its story and content ports, + 1 and + 2)")
def port_check(options: Options) -> Finding:
    # (--port 0: every port is picked free at start, nothing to check beyond the first)
    offsets = SERVE_PORTS if options.port else SERVE_PORTS[:1]
    wanted = [(options.port + offset, what, flag) for offset, what, flag in offsets]
    wanted = [(port, what, flag) for port, what, flag in wanted if port <= MAX_PORT]
    for port, what, flag in wanted:
        why = listen_problem("127.0.0.1", port)
        if why is None:
            continue
        found = f"port {port} on 127.0.0.1 is taken ({why})"
        if flag == "--port":
            fix = "weare-harness serve --port 0   (picks a free port; or --port another)"
        else:
            found += f": serve's {what} listens there by default ({flag}, --port + {port - options.port})"
            fix = f"weare-harness serve --port 0   (picks free ports; or {flag} another)"
        return Finding(WARNING, found, fix=fix)
    ports = ", ".join(f"{port} ({what})" for port, what, _ in wanted)
    return Finding(OK, f"ports {ports} on 127.0.0.1 are free")


def version_line(executable: str, timeout: float = 10.0) -> str | None:
    """`EXECUTABLE --version`'s first line, or None when it fails or does not answer in time."""
    try:
        done = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.strip().splitlines()
    return lines[0].strip() if done.returncode == 0 and lines else None


@check("node", "interop tests (--interop)")
def node_check(options: Options) -> Finding | None:
    if not options.interop:
        return None
    versions = {name: version_line(shutil.which(name) or name) for name in ("node", "npm")}
    absent = [name for name, version in versions.items() if version is None]
    if absent:
        fix = "apt-get install -y nodejs npm" if shutil.which("apt-get") else None
        return Finding(
            MISSING,
            f"{' and '.join(absent)} not found on PATH",
            fix=fix or "install Node.js with npm from https://nodejs.org",
        )
    return Finding(OK, f"node {versions['node']}, npm {versions['npm']}")
