"""Where the Statement Resource stores and reads statements: the store, or a layer around it.

The resource reaches the store through `current_access()`. An app may register a subclass of
`Store` that wraps the three calls (`register`); the resource does not know which it has.
"""

from __future__ import annotations

from flask import Flask, current_app

from fake_lms.xapi import staged_batch, statement_store

EXTENSION = "weare.statement_access"


class Store:
    """The store itself: the three ways the Statement Resource touches it."""

    begin = staticmethod(staged_batch.begin)  # store a batch inside a write transaction
    query = staticmethod(statement_store.query)  # one page of matches
    get_one = staticmethod(statement_store.get_one)  # one statement by id, or None


def register(app: Flask, access: Store) -> None:
    app.extensions[EXTENSION] = access


def current_access() -> Store:
    return current_app.extensions.get(EXTENSION) or Store()
