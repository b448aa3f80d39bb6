"""The load's own process: `python -m harness.load.engine` runs the learners on Locust.

Importing Locust monkey-patches this interpreter with gevent, which is why the load runs here
and not in the CLI's process. Roles:

- no argument: read a `LoadConfig` (JSON) on stdin; run the learners here (`workers` 0) or be a
  Locust master that starts `workers` local worker processes and waits for `remote_workers`
  more; then read every acknowledged statement back, write Locust's HTML report and
  results.json into the report directory, and print the results as one JSON line (exit 0
  passed, 1 failed);
- `--worker HOST:PORT`: a Locust worker of the master there; the config comes from the master.

An environment problem (a worker that does not connect, a master that cannot bind) prints
`{"error": "..."}` and exits 2.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
import locust  # noqa: F401  (first: monkey-patches the interpreter with gevent)
from locust import argument_parser, events
from locust.env import Environment
from locust.html import get_html_report
from locust.runners import MasterRunner, Runner, WorkerRunner

from harness.certify.context import basic_credential
from harness.errors import HarnessError
from harness.load import learner, readback, summary
from harness.load.config import LoadConfig

CONNECT_SECONDS = 60.0  # for every worker to join the master
JOIN_SECONDS = 60.0  # for a worker to join its master (Locust's own default waits 5 minutes)
FLUSH_SECONDS = 30.0  # for every worker to hand over its learners at the end
TICK = 0.2  # how often the run checks whether it is over


class EngineError(HarnessError, RuntimeError):
    """An environment problem: one line, exit 2."""


def locust_options(config: LoadConfig | None) -> argparse.Namespace:
    """Locust's own defaults, headless, with the load's config among them (a master sends its
    parsed options to every worker in the spawn message)."""
    parser = argument_parser.get_empty_argument_parser()
    argument_parser.setup_parser_arguments(parser)
    options: argparse.Namespace = parser.parse(args=["--headless"])
    if config is not None:
        setattr(options, learner.OPTION, config.to_json())
    return options


def environment(config: LoadConfig | None) -> Environment:
    return Environment(
        user_classes=[learner.Learner],
        events=events,
        parsed_options=locust_options(config),
        stop_timeout=0,  # stop at once: an unanswered statement is not counted as sent
    )


def host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise EngineError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def drive(runner: Runner, config: LoadConfig) -> float:
    """Start the users, stop after the duration (or when a file's launch URLs are all used);
    the seconds the load ran."""
    started = time.monotonic()
    runner.start(config.users, spawn_rate=config.spawn_rate)
    end = started + config.duration
    ramp = config.users / config.spawn_rate
    while time.monotonic() < end:
        gevent.sleep(TICK)
        ramped = time.monotonic() - started > ramp + 1
        if config.target == "launch-urls" and ramped and runner.user_count == 0:
            break
    runner.stop()
    return time.monotonic() - started


def run_local(config: LoadConfig) -> tuple[Environment, list[dict[str, Any]], float]:
    env = environment(config)
    runner = env.create_local_runner()
    seconds = drive(runner, config)
    learners = learner.PLAN.learners if learner.PLAN is not None else []
    runner.quit()
    return env, learners, seconds


def start_workers(count: int, host: str, port: int) -> list[subprocess.Popen[bytes]]:
    connect = "127.0.0.1" if host in ("0.0.0.0", "*", "") else host
    command = [sys.executable, "-m", "harness.load.engine", "--worker", f"{connect}:{port}"]
    return [
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        for _ in range(count)
    ]


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        gevent.sleep(TICK)
    return True


def run_master(config: LoadConfig) -> tuple[Environment, list[dict[str, Any]], float]:
    env = environment(config)
    host, port = host_port(config.bind)
    try:
        runner = env.create_master_runner(host, port)
    except Exception as exc:  # locust raises RPCError on a bind failure
        raise EngineError(f"the master cannot listen on {config.bind}: {exc}") from exc
    if not isinstance(runner, MasterRunner):
        raise EngineError(f"Locust made a {type(runner).__name__}, not a master")
    learners: list[dict[str, Any]] = []
    flushed: set[str] = set()

    def on_ledger(environment: Environment, msg: Any, **_: Any) -> None:
        if msg.data.get("stats"):  # a worker's last samples, merged as Locust merges its reports
            environment.events.worker_report.fire(client_id=msg.node_id, data=msg.data["stats"])
        learners.extend(msg.data.get("learners", []))
        flushed.add(msg.node_id)

    runner.register_message("weare-ledger", on_ledger)
    procs = start_workers(config.workers, host, runner.server.port)
    ended = False
    try:
        if not wait_for(lambda: runner.worker_count >= config.total_workers, CONNECT_SECONDS):
            raise EngineError(
                f"{runner.worker_count} of {config.total_workers} Locust workers joined the "
                f"master on port {runner.server.port} within {CONNECT_SECONDS:g} s"
            )
        seconds = drive(runner, config)
        clients = [client.id for client in runner.clients.all]
        for client_id in clients:
            runner.send_message("weare-flush", None, client_id)
        if not wait_for(lambda: flushed >= set(clients), FLUSH_SECONDS):
            raise EngineError(
                f"{len(clients) - len(flushed)} workers did not report their learners within "
                f"{FLUSH_SECONDS:g} s"
            )
        workers = len(clients)
        runner.quit()
        ended = True
    finally:
        for proc in procs:
            if not ended:  # the master gave up: its workers would wait for it in vain
                proc.kill()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if env.parsed_options is None:  # environment() gives it locust_options
        raise EngineError("Locust's environment has no parsed options")
    env.parsed_options.weare_workers = workers
    return env, learners, seconds


def run_worker(master: str) -> int:
    host, port = host_port(master)
    env = environment(None)
    runner = None
    try:
        # False: the block just ends at the timeout (gevent's documented form; its stubs omit it)
        with gevent.Timeout(JOIN_SECONDS, False):  # type: ignore[arg-type]
            runner = env.create_worker_runner(host, port)
    except Exception as exc:  # locust raises ConnectionError when no master answers
        raise EngineError(f"cannot join the master at {master}: {exc}") from exc
    if runner is None:
        raise EngineError(f"cannot join the master at {master}: no answer in {JOIN_SECONDS:g} s")
    if not isinstance(runner, WorkerRunner):
        raise EngineError(f"Locust made a {type(runner).__name__}, not a worker")

    def on_flush(environment: Environment, msg: Any, **_: Any) -> None:
        plan = learner.PLAN
        ledger = {"learners": plan.unflushed() if plan else [], "stats": {}}
        # The samples not yet reported go with the learners, so the master counts them first;
        # Locust's own event, as its periodic report fills it (and resets what it reported).
        environment.events.report_to_master.fire(client_id=runner.client_id, data=ledger["stats"])
        runner.send_message("weare-ledger", ledger)

    runner.register_message("weare-flush", on_flush)
    runner.greenlet.join()
    return 0


def authorization(config: LoadConfig) -> Callable[[dict[str, Any]], str | None]:
    """How a learner's statements are read back: the key that opens the LRS (the fake LMS's,
    the configured one, or one given with --launch-urls), else the learner's own token."""
    if config.target == "launch-urls" and not config.api_key:
        return lambda learner_record: learner_record.get("authorization")
    key = config.api_key or ""
    basic = (
        base64.b64encode(key.encode()).decode() if config.target == "lms" else basic_credential(key)
    )
    return lambda _learner: f"Basic {basic}"


def finish(
    config: LoadConfig, env: Environment, learners: list[dict[str, Any]], seconds: float
) -> dict[str, Any]:
    losses = readback.check_losses(learners, authorization(config), timeout=config.timeout)
    report_dir = Path(config.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    html = report_dir / "locust.html"
    html.write_text(get_html_report(env, show_download_link=False), encoding="utf-8")
    workers = getattr(env.parsed_options, "weare_workers", 0)
    result = summary.build(
        config, env.stats, learners, losses, seconds=seconds, workers=workers, report=str(html)
    )
    runner = env.runner
    result["generator_cpu_over_90"] = bool(
        runner is not None
        and (runner.cpu_warning_emitted or getattr(runner, "worker_cpu_warning_emitted", False))
    )
    (report_dir / "results.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.load.engine")
    parser.add_argument("--worker", metavar="HOST:PORT", help="join the Locust master there")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr, format="locust: %(message)s")
    try:
        if args.worker:
            return run_worker(args.worker)
        config = LoadConfig.from_json(sys.stdin.read())
        role = run_master if config.total_workers else run_local
        env, learners, seconds = role(config)
        result = finish(config, env, learners, seconds)
    except EngineError as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
        return 2
    print(json.dumps(result), flush=True)
    return 0 if result["verdict"] == "passed" else 1


if __name__ == "__main__":
    sys.exit(main())
