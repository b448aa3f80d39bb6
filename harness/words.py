"""Counted words for messages: "1 scenario", "2 scenarios". A module without imports, so that
what must start fast (`serve`'s log filter, the story) can say them without loading rich."""

from __future__ import annotations


def noun(count: int, word: str, many: str | None = None) -> str:
    """The word for `count` things: "scenario" for 1, else "scenarios" (or `many`)."""
    return word if count == 1 else many or word + "s"


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 scenario", "2 scenarios", "0 scenarios"; `many` for an irregular plural."""
    return f"{count} {noun(count, word, many)}"
