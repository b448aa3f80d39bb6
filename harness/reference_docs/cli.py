"""The command-line reference: every command's `--help`, from the parsers `main` runs."""

from __future__ import annotations

from collections.abc import Iterator

from harness.cli import build_parser
from harness.cli.args import HelpFormatter, Parser
from harness.reference_docs.markdown import code, header

WIDTH = 100  # the help's width, whatever terminal builds the site


class _FixedWidth(HelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=WIDTH)


def commands(parser: Parser) -> Iterator[Parser]:
    """`parser` and every subcommand parser under it, depth first, in the order they were added."""
    yield parser
    for child in parser.subcommands.values():
        yield from commands(child)


def page(parser: Parser | None = None) -> str:
    """The page: each command's usage, options, environment and exit codes, as `--help` says."""
    top = parser or build_parser()
    lines = header(
        "Command line",
        "the argument parsers of `harness/cli/`",
        "Every command and flag of `weare-harness`, exactly as its `--help` prints it. "
        "Exit codes everywhere: 0 all good, 1 checks failed, 2 usage or environment error "
        "(one line).",
    )
    for each in commands(top):
        each.formatter_class = _FixedWidth
        lines += [f"## `{each.prog}`", "", *code(each.format_help()), ""]
    return "\n".join(lines)
