"""`weare-harness run`: the scenario suite against the reference story, a mutant or a story URL."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.bench import Bench, BenchError
from harness.cli.args import REPORT_DIR
from harness.cli.commands import summary
from harness.console import Console, plural
from harness.errors import UsageError
from harness.runner import NOT_RUN, Runner, ScenarioResult, Target, run_in_one_browser
from harness.scenarios import Scenario, ScenarioError, discover, select
from harness.story.behaviour import mutants
from harness.urls import unreachable

if TYPE_CHECKING:
    from harness.report import RunInfo


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("run", help=summary("run"))
    p.add_argument(
        "paths", nargs="*", help="scenario files or folders (default: the built-in suite)"
    )
    p.add_argument(
        "--au",
        default="reference",
        help="what to test: reference (default), mutant:NAME, or the URL of a story",
    )
    p.add_argument(
        "--driver",
        choices=("browser", "http"),
        default="http",
        help="http: the reference story's behaviour played from Python (fast); browser: the "
        "story's page in headless Chromium, CORS and all (an external story always runs there)",
    )
    p.add_argument("-k", dest="keyword", metavar="EXPR", help="select scenarios (like pytest -k)")
    p.add_argument(
        "--report-dir",
        type=Path,
        default=REPORT_DIR,
        help="write junit.xml, results.json, report.html here "
        f"(default {REPORT_DIR}; `weare-harness report open` opens the last one)",
    )
    p.add_argument(
        "--lf",
        "--last-failed",
        dest="last_failed",
        action="store_true",
        help="run only the scenarios that failed or errored in the last run against this target "
        "(kept in the report folder's last-failed.json); all of them if none did",
    )
    p.add_argument(
        "-x",
        "--exitfirst",
        action="store_true",
        help="stop at the first failed scenario: none starts after it (those already running "
        "finish), the rest are reported as not run",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=max(2, os.cpu_count() or 2),
        help="scenarios run at once (default: the number of cores, at least 2)",
    )
    p.add_argument(
        "--mutation",
        action="store_true",
        help="run the suite against every mutant; exit 0 only if each is killed",
    )
    p.add_argument(
        "--finish-selector",
        metavar="CSS",
        help="with --au URL: what to click when the learner finishes the story",
    )
    p.add_argument(
        "--finish-script",
        type=Path,
        metavar="PATH",
        help="with --au URL: a Python file defining `async def finish(page)` (Playwright)",
    )
    p.add_argument(
        "--story",
        type=Path,
        metavar="FILE",
        help="a story profile (YAML or JSON: au_url, finish, done_selector, outcome, behaviour, "
        "integration) "
        "for a story weare-harness did not write; runs in the browser",
    )
    p.add_argument("--no-color", action="store_true", help="plain output")
    p.set_defaults(run=run)


def _check_driver(driver: str) -> None:
    if driver != "browser":
        return
    from harness.browser import chromium_executable

    if chromium_executable() is None:
        browsers = Path.home() / ".cache" / "ms-playwright"
        if not any(browsers.glob("chromium*")):
            raise UsageError(
                "--driver browser needs Chromium: install Debian's chromium, set "
                "PLAYWRIGHT_CHROMIUM_EXECUTABLE, or run 'python -m playwright install chromium'"
            )


def _printer(total: int, console: Console, advance: Callable[[int], None]) -> Any:
    """The runner's progress callback: one whole line per finished scenario, then the bar moves."""
    from harness.report.summary import progress_line

    done = 0
    lock = threading.Lock()

    def show(result: ScenarioResult) -> None:
        nonlocal done
        with lock:
            done += 1
            console.line(progress_line(result, done, total, color=console.color))
        advance(1)

    return show


def run(args: argparse.Namespace) -> int:
    from harness.report import RunInfo
    from harness.report.meta import command_line
    from harness.report.summary import summary_table

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    console = Console(no_color=args.no_color)
    try:
        scenarios = select(discover(args.paths), args.keyword)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from exc
    if not scenarios:
        raise UsageError(f"-k {args.keyword!r} selects no scenario")
    if args.mutation and (args.last_failed or args.exitfirst):
        raise UsageError("--mutation runs every scenario against every mutant: drop --lf and -x")
    try:
        if args.story is not None:
            from harness.story_profile import load_profile

            if args.au != "reference" or args.finish_selector or args.finish_script:
                raise ValueError(
                    "--story holds the story's URL and finish: drop --au and --finish-*"
                )
            target = load_profile(args.story)
            args.driver = "browser"
        else:
            target = Target.parse(args.au, args.finish_selector)
        if args.finish_script is not None:
            target.finish_script = load_finish_script(args.finish_script)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if target.kind == "url" and args.driver != "browser":
        raise UsageError("an external story (--au URL) runs in a browser: add --driver browser")
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    _check_driver(args.driver)
    if target.kind == "url" and (why := unreachable(target.url or "")):
        raise UsageError(f"the story at {target.url} {why}")
    command = command_line(sys.argv[1:])
    if args.mutation:
        return _mutation(args, scenarios, command, console)
    if args.last_failed:
        from harness.last_failed import choose

        scenarios, note = choose(scenarios, args.report_dir, target.label())
        console.line(note)
    started = time.monotonic()
    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    bench = None
    if target.integration is not None:  # the story's own settings name a fixed port
        bench = Bench(port=target.integration.port)
        try:
            bench.start()
        except BenchError as exc:
            raise UsageError(
                f"{exc} (the story's API URL in We Are names this port: free it, or set "
                "integration.port in the story profile and paste the new API URL)"
            ) from None
        console.line(target.integration.what_to_paste())
    try:
        with console.progress("scenarios", len(scenarios)) as advance:
            runner = Runner(
                scenarios,
                target=target,
                driver=args.driver,
                workers=args.workers,
                progress=_printer(len(scenarios), console, advance),
                bench=bench,
                artifacts=args.report_dir,
                exitfirst=args.exitfirst,
            )
            results = runner.run()
    finally:
        if bench is not None:
            bench.stop()
    info = RunInfo(target.label(), args.driver, stamp, time.monotonic() - started, command)
    info.chromium = runner.browser_version
    if target.kind == "url":
        info.story_behaviour = runner.story_behaviour or (
            f"unknown ({runner.behaviour_error})" if runner.behaviour_error else None
        )
    info.scenario_files = sorted({s.file for s in scenarios})
    console.line(summary_table(results, info, color=console.color))
    if runner.stopped.is_set():
        not_run = sum(r.message == NOT_RUN for r in results)
        console.line(f"-x: stopped at the first failure; {plural(not_run, 'scenario')} not run")
    console.line(_write(results, info, args.report_dir, target.label()))
    return exit_code(results)


def _write(results: list[ScenarioResult], info: RunInfo, report_dir: Path, target: str) -> str:
    """Write the run's reports and its failures for --last-failed; the line that says where."""
    from harness.last_failed import record
    from harness.report import write_reports

    try:
        written = write_reports(results, info, report_dir)
        record(report_dir, target, results)
    except OSError as exc:
        raise UsageError(f"cannot write the reports to {report_dir}: {exc}") from None
    return f"reports written to {report_dir}: " + ", ".join(p.name for p in written.values())


def load_finish_script(path: Path) -> Any:
    """The `finish(page)` coroutine of a user's script, or a ValueError naming the problem."""
    import importlib.util

    if not path.is_file():
        raise ValueError(f"--finish-script {path}: no such file")
    spec = importlib.util.spec_from_file_location("weare_finish_script", path)
    if spec is None or spec.loader is None:
        raise ValueError(f"--finish-script {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ValueError(f"--finish-script {path}: {type(exc).__name__}: {exc}") from exc
    finish = getattr(module, "finish", None)
    if finish is None or not callable(finish):
        raise ValueError(f"--finish-script {path} must define `async def finish(page)`")
    return finish


def exit_code(results: list[ScenarioResult]) -> int:
    """2 when nothing could be run (every scenario an error of the bench), 1 when a scenario
    failed or errored, else 0: an error in one scenario is that scenario's failure."""
    ran = [r for r in results if r.status != "skipped"]
    if ran and all(r.status == "error" for r in ran):
        return 2
    return 1 if any(r.status in ("failed", "error") for r in results) else 0


def mutant_results(
    scenarios: list[Scenario],
    driver: str,
    workers: int,
    bench: Bench,
    names: list[str] | None = None,
    done: Callable[[str, list[ScenarioResult]], None] | None = None,
    each: Callable[[ScenarioResult], None] | None = None,
) -> dict[str, list[ScenarioResult]]:
    """The suite against each mutant (all of them unless `names`), on one bench.

    All (mutant, scenario) pairs share one pool of `workers`: in the browser one Chromium with
    a tab per worker, over http a thread per worker running one mutant's suite at a time.
    `each(result)` is called as any scenario ends, `done(name, results)` as each mutant's last one.
    """
    names = sorted(mutants()) if names is None else names
    finished: dict[str, list[ScenarioResult]] = {name: [] for name in names}
    lock = threading.Lock()

    def progress(name: str) -> Callable[[ScenarioResult], None]:
        def one(result: ScenarioResult) -> None:
            with lock:
                finished[name].append(result)
                complete = len(finished[name]) == len(scenarios)
            if each is not None:
                each(result)
            if complete and done is not None:
                done(name, finished[name])

        return one

    runners = [
        Runner(
            scenarios,
            target=Target("mutant", mutant=name),
            driver=driver,
            workers=1 if driver == "http" else workers,
            bench=bench,
            progress=progress(name),
            first_index=k * len(scenarios),  # disjoint mount names on the shared bench
        )
        for k, name in enumerate(names)
    ]
    if driver == "browser":
        return dict(zip(names, run_in_one_browser(runners, bench, workers), strict=True))
    with ThreadPoolExecutor(workers) as pool:
        return dict(zip(names, pool.map(Runner.run, runners), strict=True))


def _mutation(
    args: argparse.Namespace, scenarios: list[Scenario], command: str, console: Console
) -> int:
    """Every mutant against the suite: a mutant is killed when at least one scenario fails."""
    if args.au != "reference":
        raise UsageError("--mutation runs the reference story's mutants; leave --au out")
    report: dict[str, Any] = {"mutants": 0, "killed": 0, "survivors": [], "killed_by": {}}
    errors: list[str] = []
    started = time.monotonic()

    def tally(name: str, results: list[ScenarioResult]) -> None:
        errors.extend(
            f"{name}: {r.scenario.id}: {r.message}" for r in results if r.status == "error"
        )
        killers = [r.scenario.id for r in results if r.status == "failed"]
        mark = "killed" if killers else "SURVIVED"
        console.line(f"mutant {name:<28} {mark:<9} ({plural(len(killers), 'scenario')} failed)")

    pairs = len(mutants()) * len(scenarios)
    with Bench() as bench, console.progress("mutants × scenarios", pairs) as advance:
        outcome = mutant_results(
            scenarios,
            args.driver,
            args.workers,
            bench,
            done=tally,
            each=lambda _result: advance(1),
        )
    for name, results in sorted(outcome.items()):
        killers = [r.scenario.id for r in results if r.status == "failed"]
        report["mutants"] += 1
        if killers:
            report["killed"] += 1
            report["killed_by"][name] = killers
        else:
            report["survivors"].append(name)
    score = report["killed"] / report["mutants"] if report["mutants"] else 0.0
    report["score"] = round(score, 4)
    report["driver"] = args.driver
    report["workers"] = args.workers
    report["scenarios"] = len(scenarios)
    report["duration_s"] = round(time.monotonic() - started, 1)
    console.line(
        f"mutation score: {report['killed']}/{report['mutants']} killed ({score:.0%}); "
        f"{plural(len(scenarios), 'scenario')} per mutant, driver {args.driver}, "
        f"{plural(args.workers, 'worker')}, {report['duration_s']:g} s"
    )
    if report["survivors"]:
        console.line("survivors: " + ", ".join(report["survivors"]))
    if args.report_dir:
        args.report_dir.mkdir(parents=True, exist_ok=True)
        path = args.report_dir / "mutation.json"
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        console.line(f"report: {path}")
    if errors:
        print("bench errors:\n  " + "\n  ".join(errors[:10]), file=sys.stderr)
        return 2
    return 0 if not report["survivors"] else 1
