"""The shape of every `weare-harness` parser: one-line errors, defaults in --help, and the
argument types that refuse a bad value before any work starts (exit 2)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NoReturn

# Where `run` writes its reports unless --report-dir says otherwise, and `report open` looks.
REPORT_DIR = Path("reports")
VERSION_HELP = "show program's version number and exit"  # argparse's words
EXIT_CODES = "exit codes: 0 all good, 1 checks failed, 2 usage or environment error (one line)"


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line with a hint, not the whole usage block;
    subcommand parsers are of the same class (argparse makes them `type(parent)`)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.subcommands: dict[str, Parser] = {}  # name: parser, as `add_parser` made them

    def add_subparsers(self, **kwargs: Any) -> Any:
        """argparse's, with each subcommand parser its `add_parser` makes kept in `subcommands`
        (argparse has no public way to list them)."""
        group = super().add_subparsers(**kwargs)
        make = group.add_parser

        def add_parser(name: str, **options: Any) -> Parser:
            child: Parser = make(name, **options)
            self.subcommands[name] = child
            return child

        group.add_parser = add_parser  # type: ignore[method-assign]  # the wrapper, on this group only
        return group

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (run `{self.prog} --help` for usage)\n")


class VersionAction(argparse.Action):
    """argparse's `version` action, with the version looked up (importlib.metadata, about a third
    of the top-level start-up) only when --version is given, not for every command."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=VERSION_HELP
        )

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        from harness.version import tool_version

        sys.stdout.write(f"{parser.prog} {tool_version()}\n")  # argparse's line, on stdout
        parser.exit()


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's lines and appends each option's default unless its help says it,
    or it has none worth naming (None, False, an empty list)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or "default" in text
            or default in (None, False, [], "", argparse.SUPPRESS)
        ):
            return text
        return f"{text} (default: %(default)s)" if text else "default: %(default)s"


def epilog(example: str, environment: tuple[str, ...] = ()) -> str:
    """The end of a subcommand's --help: environment it reads, exit codes, an example."""
    lines = [f"environment: {', '.join(environment)}"] if environment else []
    return "\n".join([*lines, EXIT_CODES, f"example:\n  {example}"])


def port(text: str) -> int:
    """A TCP port number, 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535 (0 picks a free one), got {value}")
    return value


def http_url(text: str) -> str:
    """An absolute http(s) URL: a missing or other scheme is refused here, not by requests."""
    from harness.urls import is_http_url  # on use: it loads urllib.request and fake_lms

    if not is_http_url(text):
        raise argparse.ArgumentTypeError(
            f"must be an absolute http(s) URL such as http://127.0.0.1:8080, got {text!r}"
        )
    return text
