"""`weare-harness mutants`: the deliberately faulty stories `run --au mutant:NAME` can play."""

from __future__ import annotations

import argparse

from harness.cli.commands import summary
from harness.story.behaviour import mutants


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("mutants", help=summary("mutants"))
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """One line per mutant: its name, then what it does wrong."""
    catalogue = mutants()
    width = max(len(name) for name in catalogue)
    for name, spec in sorted(catalogue.items()):
        print(f"{name:<{width}}  {spec['description']}")
    return 0
