"""The `weare-harness` command: one sub-command per job, exit 0 (good), 1 (checks failed), 2 (usage)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, Sequence

from harness.cli.args import EXIT_CODES, Parser, VersionAction, epilog
from harness.cli.commands import COMMANDS
from harness.errors import UsageError

_API_KEY = "WEARE_HARNESS_API_KEY (the API key when --api-key is not given)"
_CHROMIUM = (
    "PLAYWRIGHT_CHROMIUM_EXECUTABLE, WEARE_HARNESS_CHROMIUM_SEARCH (where Chromium is looked for)"
)

# Per subcommand: the example its --help ends with and the environment variables it reads.
HELP_END: dict[str, tuple[str, tuple[str, ...]]] = {
    "run": ("weare-harness run --driver browser --report-dir reports", (_CHROMIUM,)),
    "serve": (
        "weare-harness serve --port 8080 --mount vendor=observe:vendor:pw --quirk no-version-header",
        (_API_KEY,),
    ),
    "launch": (
        "weare-harness launch --lms http://127.0.0.1:8080 --au-url http://127.0.0.1:8081/ --json",
        (_API_KEY,),
    ),
    "load": (
        "weare-harness load --lms http://127.0.0.1:8080 --users 20 --duration 30 --workers 2",
        (_API_KEY,),
    ),
    "au": ("weare-harness au register --lms http://127.0.0.1:8080 --url https://story/", ()),
    "au register": (
        "weare-harness au register --lms http://127.0.0.1:8080 --url https://story.example/",
        (_API_KEY,),
    ),
    "course": ("weare-harness course import --lms http://127.0.0.1:8080 course.zip", ()),
    "course import": (
        "weare-harness course import --lms http://127.0.0.1:8080 course.zip",
        (_API_KEY,),
    ),
    "certify": (
        "weare-harness certify --endpoint https://lms.example/xapi/ --api-key USER:SECRET",
        ("WEARE_HARNESS_CERTIFY_API_KEY (the API key when --api-key is not given)",),
    ),
    "quirks": ("weare-harness quirks --json", ()),
    "doctor": ("weare-harness doctor", ("NO_COLOR (plain output)", _CHROMIUM)),
    "scenarios": ("weare-harness scenarios validate my-scenarios/", ()),
    "scenarios validate": ("weare-harness scenarios validate my-scenarios/ harness/suite", ()),
    "scenarios new": ("weare-harness scenarios new my-first-check --dir my-scenarios", ()),
    "mutants": ("weare-harness mutants", ()),
    "report": ("weare-harness report open", ()),
    "report open": ("weare-harness report open reports/certify", ("BROWSER (the browser to use)",)),
}


def _subcommands(parser: Parser, path: str = "") -> Iterator[tuple[str, Parser]]:
    for name, child in parser.subcommands.items():
        yield f"{path} {name}".strip(), child
        yield from _subcommands(child, f"{path} {name}")


def command_modules(argv: Sequence[str] | None = None) -> set[str]:
    """The modules whose parsers `argv` needs: its command's (the first word not an option, as the
    top level has only options without values), none for the top level alone (`--version`,
    `--help`, an unknown command), every command's when `argv` is None (the docs' reference)."""
    if argv is None:
        return {command.module for command in COMMANDS.values()}
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return {COMMANDS[first].module} if first in COMMANDS else set()


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The parser for `argv`'s command, with the other commands only named (their modules are not
    imported); every command's whole parser when `argv` is None."""
    parser = Parser(
        prog="weare-harness",
        description="Conformance test bench for We Are's LMS integration (cmi5 / xAPI).",
        epilog=f"{EXIT_CODES}\nthe pytest plugin reads WEARE_HARNESS_HOST and WEARE_HARNESS_PORT"
        "\nexample:\n  weare-harness serve",
    )
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted, added = command_modules(argv), set()
    for name, command in COMMANDS.items():
        if command.module not in wanted:  # named in --help and in "invalid choice", no more
            sub.add_parser(name, help=command.summary)
        elif command.module not in added:
            module = importlib.import_module(command.module)
            add = getattr(module, "add_parsers", None) or module.add_parser  # au.py adds two
            add(sub)
            added.add(command.module)
    for path, child in _subcommands(parser):
        example, environment = HELP_END[path]
        child.epilog = epilog(example, environment)
        child.set_defaults(command_path=path)  # the deepest parser's default wins
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command's exit code. Output into a pipe closed early (`weare-harness mutants | head -1`)
    ends quietly with exit 1, as the Python documentation's note on SIGPIPE does: no traceback,
    and not 0, since output was lost."""
    try:
        try:
            return _main(argv)
        finally:  # inside the try, --help's SystemExit included: a closed pipe shows up here
            sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at /dev/null so that finds nothing to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if extra:  # named by the subcommand's parser, so the hint points at its --help
        children = dict(_subcommands(parser))
        children.get(getattr(args, "command_path", ""), parser).error(
            f"unrecognized arguments: {' '.join(extra)}"
        )
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    args.argv = argv  # as the reports record it
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"weare-harness {args.command_path}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 2
