"""The terminal of run, run --mutation and certify: whole lines, a progress bar on a TTY, plurals.

rich decides what the terminal can do: colour and the bar only on a terminal (or FORCE_COLOR),
no colour at all when NO_COLOR is set (non-empty, no-color.org) or --no-color is given. Output
piped to a file stays plain text, one line per event, never wrapped or interleaved.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console as RichConsole
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from harness.words import noun as noun  # re-exported: the console's words
from harness.words import plural as plural


def _no_advance(n: int = 1) -> None:
    """`Console.progress`'s advance where no bar is shown."""


class Console:
    """One per command: lines printed whole (safe across worker threads) and an optional bar."""

    def __init__(self, *, no_color: bool = False, file: IO[str] | None = None) -> None:
        plain = no_color or os.environ.get("NO_COLOR", "") != ""
        self._rich = RichConsole(
            file=file or sys.stdout,
            highlight=False,
            soft_wrap=True,
            emoji=False,
            markup=False,
            color_system=None if plain else "auto",
        )
        self._lock = threading.Lock()
        self._progress: Progress | None = None

    @property
    def color(self) -> bool:
        """Whether styles reach the output (a terminal that has colours, no NO_COLOR)."""
        return self._rich.color_system is not None

    @property
    def live(self) -> bool:
        """Whether a progress bar can be drawn (a terminal, or FORCE_COLOR)."""
        return self._rich.is_terminal

    def line(self, text: str) -> None:
        """One whole line; ANSI colours in `text` become styles, dropped when colour is off."""
        with self._lock:
            self._rich.print(Text.from_ansi(text), soft_wrap=True)
            self._rich.file.flush()

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        """A bar with an ETA while the block runs, on a terminal only; yields `advance(n)`."""
        if not self.live or total <= 0:
            yield _no_advance
            return
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self._rich,
            transient=True,
        )
        task = bar.add_task(description, total=total)
        lock = threading.Lock()

        def advance(n: int = 1) -> None:
            with lock:
                bar.advance(task, n)

        with bar:
            yield advance
