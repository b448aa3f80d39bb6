"""The CI recipes in `examples/ci/` parse, publish what `run` writes, and their commands work.

Each recipe is read the way its platform reads it (YAML for GitHub Actions and GitLab CI; for the
Jenkinsfile, the `sh '…'` / `sh "…"` / `sh '''…'''` / `sh \"\"\"…\"\"\"` steps found by `SH_STEP`,
`//` comments removed first). Its shell commands then run, in order, in an empty folder outside
the repository with a fresh venv (one per session) first on PATH, as a runner would run them, with
two substitutions and nothing else:

- `pip install weare-harness` (optionally quoted and pinned) installs this project's source instead
  of PyPI: `pip install <repository root>`, a normal, non-editable install;
- the step that installs Chromium (`apt-get … chromium`, `playwright install …`) is left out: the
  machine's Chromium is used (no downloads here); without one, `--driver browser` becomes
  `--driver http`.

A command another recipe already ran in the same venv is not run again: the files it wrote are
copied into this recipe's folder. Commands are the same when their text is, `python -m pip`
and `pip` being one (the venv's pip either way).

The suite's run keeps its flags and gets a scenario selection (`-k`, the browser smoke and one
precedence case, as `tests/test_builtin_suite.py`'s browser subset): what is proven here is the
recipe (the install, the browser found, the reports written where it publishes them), not every
scenario again; the whole suite in Chromium is `make run`, the whole suite over HTTP is
`tests/test_builtin_suite.py`.

Each recipe must exit 0 and leave `reports/junit.xml` and `reports/report.html`; every path it
publishes must be a file `run` wrote, and its JUnit reporter must get `reports/junit.xml`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import venv
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from harness.browser import chromium_executable

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "examples" / "ci"
JUNIT = "reports/junit.xml"
HTML = "reports/report.html"

# `pip install weare-harness`, `pip install "weare-harness==0.1.0"`: the PyPI install to replace.
PIP_INSTALL = re.compile(r"(\bpip install\s+)(['\"]?)weare-harness(?:[=<>!~][^\s'\"]*)?\2(?=\s|$)")
# The step that installs Chromium, left out in favour of the machine's.
CHROMIUM_INSTALL = re.compile(r"\bapt-get\b.*\bchromium\b|\bplaywright install\b")
# A Jenkinsfile shell step: sh 'cmd', sh "cmd", sh '''cmd''', sh """cmd""", sh(script: '…').
SH_STEP = re.compile(
    r"\bsh\s*\(?\s*(?:script:\s*)?(?P<q>'''|\"\"\"|'|\")(?P<body>.*?)(?P=q)", re.DOTALL
)
JENKINS_COMMENT = re.compile(r"(?m)(^|\s)//.*$")
# `python -m pip` and `pip` in the recipes' venv: the same pip.
PYTHON_M_PIP = re.compile(r"\bpython3? -m pip\b")
# The selection added to the suite's run (the module docstring says why).
RUN_SELECTION = "browser-smoke or precedence-no-endpoint-url-no-fetch-key"


@dataclass(frozen=True)
class Recipe:
    commands: list[str]  # shell blocks in the order the platform runs them
    published: list[str]  # report files kept as artifacts
    junit: list[str]  # files handed to the platform's JUnit reporter
    html: list[str]  # files published as the HTML report (artifact or HTML publisher)


def _one_job(jobs: dict, key: str) -> dict:
    found = [job for job in jobs.values() if isinstance(job, dict) and key in job]
    assert len(found) == 1, f"expected one job with {key!r}, found {len(found)}"
    return found[0]


def github_actions(path: Path) -> Recipe:
    data = yaml.safe_load(path.read_text())
    assert data.get("on", data.get(True)), "no trigger ('on:')"  # YAML 1.1 reads `on` as True
    steps = _one_job(data["jobs"], "steps")["steps"]
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    reporters = [s for s in steps if s.get("uses", "").startswith("mikepenz/action-junit-report@")]
    assert len(uploads) == 1 and len(reporters) == 1, steps
    for step in (*uploads, *reporters):
        assert step.get("if") == "always()", f"{step} must run when scenarios fail too"
    published = uploads[0]["with"]["path"].split()
    return Recipe(
        commands=[s["run"] for s in steps if "run" in s],
        published=published,
        junit=reporters[0]["with"]["report_paths"].split(),
        html=[p for p in published if p.endswith(".html")],
    )


def gitlab_ci(path: Path) -> Recipe:
    job = _one_job(yaml.safe_load(path.read_text()), "script")
    artifacts = job["artifacts"]
    assert artifacts.get("when") == "always", "reports must be kept when scenarios fail too"
    junit = artifacts["reports"]["junit"]
    return Recipe(
        commands=[*job.get("before_script", []), *job["script"]],
        published=artifacts["paths"],
        junit=[junit] if isinstance(junit, str) else junit,
        html=[p for p in artifacts["paths"] if p.endswith(".html")],
    )


def jenkinsfile(path: Path) -> Recipe:
    text = JENKINS_COMMENT.sub(r"\1", path.read_text())
    always = re.search(r"\bpost\s*\{\s*always\s*\{", text)
    assert always, "reports must be published in post { always { … } }"
    post = text[always.end() :]
    junit = re.findall(r"\bjunit\s*\(?\s*(?:testResults:\s*)?'([^']+)'", post)
    archived = re.findall(r"\barchiveArtifacts\s*\(?\s*(?:artifacts:\s*)?'([^']+)'", post)
    report_dir = re.findall(r"\breportDir:\s*'([^']+)'", post)
    report_files = re.findall(r"\breportFiles:\s*'([^']+)'", post)
    assert "publishHTML" in post and len(report_dir) == len(report_files) == 1, post
    return Recipe(
        commands=[m["body"] for m in SH_STEP.finditer(text[: always.start()])],
        published=[p.strip() for joined in archived for p in joined.split(",")],
        junit=junit,
        html=[f"{report_dir[0]}/{report_files[0]}"],
    )


RECIPES = {
    "github-actions.yml": github_actions,
    "gitlab-ci.yml": gitlab_ci,
    "Jenkinsfile": jenkinsfile,
}


def runnable(commands: list[str], *, browser: bool) -> list[str]:
    """The recipe's commands with the two documented substitutions (see the module docstring)."""
    installs = [c for c in commands if CHROMIUM_INSTALL.search(c)]
    assert len(installs) == 1, f"expected one Chromium installation step, found {installs}"
    pip = [c for c in commands if PIP_INSTALL.search(c)]
    assert len(pip) == 1, f"expected one 'pip install weare-harness', found {pip}"
    local = [PIP_INSTALL.sub(lambda m: f"{m[1]}{ROOT}", c) for c in commands if c not in installs]
    local = [f"{c} -k '{RUN_SELECTION}'" if "weare-harness run" in c else c for c in local]
    return local if browser else [c.replace("--driver browser", "--driver http") for c in local]


def same_command(command: str) -> str:
    """The text two recipes' commands share when they do the same thing in the same venv."""
    return PYTHON_M_PIP.sub("pip", command)


# Each distinct command runs once (the recipes share one venv): command -> the folder it ran in.
RAN: dict[str, Path] = {}


@pytest.fixture(scope="session")
def clean_venv(tmp_path_factory) -> Path:
    """One fresh venv outside the repository for every recipe (pip's cache keeps installs quick)."""
    where = tmp_path_factory.mktemp("ci-venv") / "venv"
    venv.EnvBuilder(with_pip=True).create(where)
    return where


def check_publishing(recipe: Recipe) -> None:
    """The JUnit reporter gets run's junit.xml, which is kept with report.html; one run command."""
    assert recipe.junit == [JUNIT]
    assert JUNIT in recipe.published and recipe.html == [HTML]
    runs = [c for c in recipe.commands if "weare-harness run" in c]
    assert len(runs) == 1 and "--report-dir reports" in runs[0], recipe.commands


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_publishes_the_reports_run_writes(name):
    check_publishing(RECIPES[name](CI / name))


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_commands_run_in_a_clean_venv(name, clean_venv, tmp_path):
    recipe = RECIPES[name](CI / name)
    commands = runnable(recipe.commands, browser=chromium_executable() is not None)
    checkout = tmp_path / "checkout"  # what the runner's working directory would be
    checkout.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["VIRTUAL_ENV"] = str(clean_venv)
    env["PATH"] = f"{clean_venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"

    for command in commands:
        earlier = RAN.get(same_command(command))
        if earlier is not None:  # the same command, in the same venv: what it wrote is this one's
            shutil.copytree(earlier, checkout, dirs_exist_ok=True)
            continue
        proc = subprocess.run(
            ["bash", "-e", "-c", command],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=480,
        )
        assert proc.returncode == 0, (
            f"{command!r} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        )
        RAN[same_command(command)] = checkout

    assert shutil.which("weare-harness", path=env["PATH"]) == str(clean_venv / "bin/weare-harness")
    where = subprocess.run(
        [clean_venv / "bin/python", "-c", "import harness; print(harness.__file__)"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Path(where).resolve().is_relative_to(clean_venv.resolve()), where  # not the repo
    written = {p.relative_to(checkout).as_posix() for p in (checkout / "reports").iterdir()}
    assert {JUNIT, HTML} <= written
    assert set(recipe.published) <= written, f"published {recipe.published}, run wrote {written}"
    suite = ET.parse(checkout / JUNIT).getroot()
    totals = suite if suite.tag == "testsuite" else suite.find("testsuite")
    assert int(totals.get("tests")) > 0
    assert (totals.get("failures"), totals.get("errors")) == ("0", "0")


def test_pip_install_is_replaced_by_the_source_and_nothing_else():
    commands = [
        "apt-get update && apt-get install -y chromium",
        'python -m pip install "weare-harness==0.1.0"',
        "pip install weare-harness-extras",
        "weare-harness run --driver browser --report-dir reports",
    ]

    with pytest.raises(AssertionError, match="one 'pip install weare-harness'"):
        runnable([commands[0], *commands[2:]], browser=True)
    assert runnable(commands[:2] + commands[3:], browser=False) == [
        f"python -m pip install {ROOT}",
        f"weare-harness run --driver http --report-dir reports -k '{RUN_SELECTION}'",
    ]


def test_pip_and_python_m_pip_are_one_command_and_nothing_else_is():
    assert same_command("python -m pip install /src") == same_command("pip install /src")
    assert same_command("python3 -m pip install /src") == "pip install /src"
    assert same_command("pip install /src") != same_command("pip install /other")
    assert same_command("mypython -m pip install /src") != "pip install /src"


@pytest.mark.parametrize(
    ("name", "old", "new", "complaint"),
    [
        ("github-actions.yml", "if: always()", "if: success()", "must run when scenarios fail"),
        (
            "github-actions.yml",
            "report_paths: reports/junit.xml",
            "report_paths: junit.xml",
            "'junit.xml'",
        ),
        ("gitlab-ci.yml", "when: always", "when: on_success", "kept when scenarios fail"),
        (
            "gitlab-ci.yml",
            "junit: reports/junit.xml",
            "junit: reports/results.json",
            "results.json",
        ),
        ("Jenkinsfile", "always {", "success {", r"post \{ always"),
        ("Jenkinsfile", "reportFiles: 'report.html'", "reportFiles: 'index.html'", "index.html"),
    ],
)
def test_a_recipe_that_loses_its_reports_is_caught(tmp_path, name, old, new, complaint):
    text = (CI / name).read_text()
    assert old in text
    (tmp_path / name).write_text(text.replace(old, new))

    with pytest.raises(AssertionError, match=complaint):
        check_publishing(RECIPES[name](tmp_path / name))
