"""The package as users install it: the built wheel in a fresh venv, on every supported Python.

`python -m build` makes the sdist and the wheel once per session, and `twine check` judges both.
For each of Python 3.11, 3.12 and 3.13 (found as a developer would: `python3.X` on PATH, else
pyenv; `make test` keeps to the Python running the tests, `make test-full` takes all three), a
venv outside the repository gets the wheel and pytest (what a QA team's test
requirements hold) and nothing else; the venvs are made concurrently. Then, from an empty
directory and with no PYTHONPATH, the installed console script prints its version, runs the
built-in suite over http; on the Python running the tests it also serves (`/xapi/default/about`
answers, SIGTERM stops it with 0) and certifies that serve in Chromium, and the documented pytest
example (examples/test_weare_example.py) passes through the installed plugin.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.certify_cli import serve_launch_urls
from tests.full_proofs import WHERE, full
from tests.serve_process import ServeProcess

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "test_weare_example.py"
PYTHONS = ("3.11", "3.12", "3.13")
HERE = f"{sys.version_info.major}.{sys.version_info.minor}"
PACKAGES = ("harness", "fake_lms")
MIN_SCENARIOS = 73
# Variables that would make the venv's Python or pytest see something other than the install.
LEAKY = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
LEAKY_PREFIXES = ("PYTEST_", "WEARE_HARNESS_")


# -- finding the interpreters -----------------------------------------------------------------


def _reports_version(python: str, version: str) -> bool:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == version


def _pyenv_which(name: str) -> str | None:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    try:
        out = subprocess.run([pyenv, "which", name], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:  # pyenv knows the version but it is not selected here
        return None
    return out.stdout.strip() or None


def find_python(version: str) -> tuple[str | None, list[str]]:
    """`python3.X` on PATH, else `pyenv which python3.X`, else pyenv's versions folder.

    A pyenv shim on PATH exists even for a version that is not selected (and then fails), so
    each candidate must run and report the wanted version. Answers the interpreter (or None)
    and the candidates tried, for the skip message.
    """
    name = f"python{version}"
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = [
        shutil.which(name),
        _pyenv_which(name),
        *sorted(glob.glob(str(pyenv_root / "versions" / f"{version}*" / "bin" / name))),
    ]
    tried = []
    for candidate in candidates:
        if candidate and candidate not in tried:
            tried.append(candidate)
            if _reports_version(candidate, version):
                return candidate, tried
    return None, tried


# -- build once, install per interpreter ------------------------------------------------------


def user_env(venv: Path) -> dict[str, str]:
    """This machine's environment as a user's shell has it, with `venv` activated."""
    env = {
        k: v for k, v in os.environ.items() if k not in LEAKY and not k.startswith(LEAKY_PREFIXES)
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


@dataclass(frozen=True)
class Dists:
    wheel: Path
    sdist: Path


@dataclass(frozen=True)
class Absent:
    """No such interpreter on this machine: its tests skip with this reason."""

    reason: str


@dataclass(frozen=True)
class Installed:
    version: str
    venv: Path

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    @property
    def script(self) -> str:
        return str(self.venv / "bin" / "weare-harness")

    def env(self) -> dict[str, str]:
        return user_env(self.venv)

    def run(self, *cmd: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(cmd), cwd=cwd, env=self.env(), capture_output=True, text=True, timeout=timeout
        )


def _outside_repo(path: Path) -> Path:
    assert not path.resolve().is_relative_to(ROOT), f"{path} is inside the repository {ROOT}"
    return path


# What a clone does not have (or the build must not see): local venvs, caches, build outputs.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".harness",
    "node_modules",
    "reports",
    "dist",
    "build",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
)


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """sdist, then the wheel built from that sdist (`python -m build`), from a copy of the source
    tree, so the build writes nothing into the repository and needs nothing a clone lacks."""
    source = _outside_repo(tmp_path_factory.mktemp("source") / "weare-harness")
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    out = _outside_repo(tmp_path_factory.mktemp("dist"))
    r = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, f"python -m build failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return Dists(wheels[0], sdists[0])


def _install(version: str, python: str, wheel: Path, where: Path) -> Installed | str:
    """A fresh venv with the wheel and pytest; the failure's output instead of a venv.

    --no-compile: pip's byte-compiling of every installed module was 40 % of an install's CPU;
    Python compiles what the commands import when they import it, as it would anyway."""
    venv = where / f"venv-{version}"
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile"]
    steps = ([python, "-m", "venv", str(venv)], [*pip, str(wheel), "pytest"])
    for step in steps:
        r = subprocess.run(
            step, capture_output=True, text=True, timeout=300, cwd=where, env=user_env(venv)
        )
        if r.returncode != 0:
            return f"{' '.join(step)} exited {r.returncode}:\n{r.stdout[-2000:]}{r.stderr[-2000:]}"
    return Installed(version, venv)


@pytest.fixture(scope="session")
def installs(
    dists: Dists, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Installed | Absent | str]:
    """Per version: its venv, the interpreter's absence, or why the wheel did not install."""
    where = _outside_repo(tmp_path_factory.mktemp("venvs"))
    found = {v: find_python(v) for v in PYTHONS if full() or v == HERE}
    out: dict[str, Installed | Absent | str] = {}
    with ThreadPoolExecutor(max_workers=len(PYTHONS)) as pool:
        jobs = {
            v: pool.submit(_install, v, python, dists.wheel, where)
            for v, (python, _) in found.items()
            if python is not None
        }
        for v, (python, tried) in found.items():
            if python is None:
                out[v] = Absent(
                    f"Python {v} is not on this machine (tried: {', '.join(tried) or 'nothing'}); "
                    f"install it (e.g. `pyenv install {v}`) to test the wheel on it"
                )
            else:
                out[v] = jobs[v].result()
    return out


@pytest.fixture(params=PYTHONS, ids=[f"py{v}" for v in PYTHONS])
def installed(
    request: pytest.FixtureRequest, installs: dict[str, Installed | Absent | str]
) -> Installed:
    if request.param not in installs:
        pytest.skip(f"the wheel on Python {request.param}: {WHERE}")
    got = installs[request.param]
    if isinstance(got, Absent):
        pytest.skip(got.reason)
    if isinstance(got, str):
        pytest.fail(f"Python {request.param}: the wheel does not install: {got}")
    return got


@pytest.fixture
def installed_here(installs: dict[str, Installed | Absent | str]) -> Installed:
    """The install on the Python that runs the tests: the longer checks (serve and certify in
    a browser, the pytest plugin, the whole suite) run there; every version gets --version
    and the precedence matrix."""
    got = installs.get(HERE)
    if not isinstance(got, Installed):
        pytest.fail(f"Python {HERE} (running the tests) has no install of the wheel: {got}")
    return got


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    """The user's working directory: empty, outside the repository."""
    assert not any(tmp_path.iterdir())
    return _outside_repo(tmp_path)


def test_find_python_takes_only_an_interpreter_that_answers_its_version(tmp_path, monkeypatch):
    """A pyenv shim for an unselected version is on PATH and fails: it must not count."""
    shim = tmp_path / "python3.99"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.99: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    python, tried = find_python("3.99")
    assert python is None and str(shim) in tried
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    (tmp_path / f"python{here}").symlink_to(sys.executable)  # a real one, first on PATH
    python, _ = find_python(here)
    assert python == str(tmp_path / f"python{here}")


# -- the distributions ------------------------------------------------------------------------


def test_twine_check_passes_on_wheel_and_sdist(dists: Dists) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dists.wheel), str(dists.sdist)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("PASSED") == 2, r.stdout


def test_wheel_holds_every_file_of_the_packages(dists: Dists) -> None:
    """Every module and data file the commands read (suite, story assets, schemas, quirks, launch
    profiles, dashboard, mutants, CourseStructure.xsd, schema.sql) is in the wheel."""
    with zipfile.ZipFile(dists.wheel) as wheel:
        names = set(wheel.namelist())
    expected = {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert expected - names == set(), "files of the packages missing from the wheel"
    assert {n for n in expected if not n.endswith(".py")} >= {
        "harness/suite/precedence.yaml",
        "harness/story/static/story.js",
        "fake_lms/schemas/cmi5_CourseStructure.xsd",
        "fake_lms/schema.sql",
        "fake_lms/data/openapi.json",
        "fake_lms/dashboard/templates/dashboard.html",
        "harness/report/templates/base.html.j2",
        "harness/report/templates/run.html.j2",
        "harness/report/templates/certify.html.j2",
        "harness/report/static/report.css",
        "harness/report/static/report.js",
    }
    top = {n.split("/", 1)[0] for n in names}
    assert top == {*PACKAGES, f"weare_harness-{_version(dists)}.dist-info"}, top


def _version(dists: Dists) -> str:
    """The version in the wheel's file name (name-version-tags.whl)."""
    return dists.wheel.name.split("-")[1]


# -- the installed commands, from an empty directory ------------------------------------------


def test_version_is_the_metadata_version(
    installed: Installed, empty_dir: Path, dists: Dists
) -> None:
    r = installed.run(installed.script, "--version", cwd=empty_dir, timeout=60)
    assert r.returncode == 0, r.stderr
    meta = installed.run(
        installed.python,
        "-c",
        "import importlib.metadata as m, harness, fake_lms; "
        "print(m.version('weare-harness')); print(harness.__file__); print(fake_lms.__file__)",
        cwd=empty_dir,
        timeout=60,
    )
    assert meta.returncode == 0, meta.stderr
    version, *modules = meta.stdout.split()
    assert r.stdout.strip() == f"weare-harness {version}"
    assert version == _version(dists)
    for module in modules:  # the installed copy, not the repository's
        assert Path(module).is_relative_to(installed.venv), module


def test_run_builtin_suite_over_http(installed: Installed, empty_dir: Path) -> None:
    """The whole built-in suite on the Python running the tests; on the other versions its
    precedence matrix (every scenario file, the runner and the reports are the same code)."""
    whole = installed.version == HERE
    selection = () if whole else ("-k", "precedence")
    r = installed.run(
        installed.script,
        "run",
        "--driver",
        "http",
        "--no-color",
        "--report-dir",
        "R",
        *selection,
        cwd=empty_dir,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    data = json.loads((empty_dir / "R" / "results.json").read_text())
    totals = data["totals"]
    assert totals["passed"] >= (MIN_SCENARIOS if whole else 16), totals
    assert totals["passed"] == totals["scenarios"], totals
    files = {Path(s["file"]) for s in data["scenarios"]}
    assert all(f.is_relative_to(installed.venv) and f.parent.name == "suite" for f in files), files
    assert data["meta"]["python"].startswith(installed.version + "."), data["meta"]
    assert data["meta"]["chromium"] is None and data["meta"]["scenarios_sha256"]
    page = (empty_dir / "R" / "report.html").read_text(encoding="utf-8")  # the installed templates
    assert "scenario files sha256" in page and "History of this target (1 recent run)" in page


def test_serve_answers_about_certify_works_and_sigterm_stops_it(
    installed_here: Installed, empty_dir: Path
) -> None:
    installed = installed_here
    serve = ServeProcess(
        empty_dir / "D" / "lms.db", command=[installed.script], cwd=empty_dir, env=installed.env()
    )
    with serve:
        about = requests.get(serve.endpoint + "about", timeout=10)
        assert about.status_code == 200, about.text
        assert "1.0.3" in about.json()["version"]
        described = requests.get(serve.base_url + "/api/openapi.json", timeout=10)
        assert described.json()["components"]["schemas"]["Statement"]["$defs"], described.text[:300]
        r = installed.run(
            installed.script,
            "certify",
            *serve_launch_urls(serve),
            "--report-dir",
            "C",
            cwd=empty_dir,
            timeout=180,
        )
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr
        behaviours = json.loads((empty_dir / "C" / "results.json").read_text())["behaviours"]
        assert behaviours["cmi5-full"]["verdict"] == "works", behaviours
        assert serve.terminate() == 0, serve.banner


def test_readme_pytest_example_through_the_installed_plugin(
    installed_here: Installed, empty_dir: Path
) -> None:
    installed = installed_here
    shutil.copy(EXAMPLE, empty_dir / EXAMPLE.name)
    r = installed.run(
        installed.python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        EXAMPLE.name,
        cwd=empty_dir,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "2 passed" in r.stdout, r.stdout
