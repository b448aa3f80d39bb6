"""Markdown pieces the generated pages share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

GENERATED = (
    "*Generated from {source} when the site is built (`make docs`); "
    "edit the source, not this page.*"
)


def header(title: str, source: str, intro: str = "") -> list[str]:
    """A page's title, the note saying where it comes from, and its introduction."""
    lines = [f"# {title}", "", GENERATED.format(source=source), ""]
    return [*lines, intro, ""] if intro else lines


def prose(text: object) -> str:
    """`text` as Markdown that shows it as written: `<` and `>` outside code spans escaped, so
    `<auth-token>` is not taken for an HTML tag."""
    parts = str(text).split("`")
    for i in range(0, len(parts), 2):  # the even parts lie outside code spans
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def cell(text: object) -> str:
    """`text` fit for one table cell: on one line, its pipes escaped."""
    return prose(" ".join(str(text).split())).replace("|", "\\|")


def table(heads: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A Markdown table."""
    lines = [f"| {' | '.join(heads)} |", f"|{'---|' * len(heads)}"]
    lines += [f"| {' | '.join(cell(value) for value in row)} |" for row in rows]
    return lines


def code(text: str, language: str = "text") -> list[str]:
    """A fenced code block."""
    return [f"```{language}", text.rstrip("\n"), "```"]
