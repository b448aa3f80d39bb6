"""One small registry for named checks: entries by id, in the order they were registered.

The cmi5 rules, the scenario checks, certify's checks and doctor's checks each keep one. A check
module fills its registry with the `register` decorator right above each function; a second
entry under an id already taken is refused when the module is imported, so a typo or a copied
decorator never reaches a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., object])


class Registry(Generic[T]):
    """Entries of one kind, looked up by id and iterated in registration order.

    `kind` names an entry in errors ("check key", "cmi5 rule"); `id_of` reads an entry's id.
    """

    def __init__(self, kind: str, id_of: Callable[[T], str]) -> None:
        self.kind = kind
        self._id_of = id_of
        self._entries: dict[str, T] = {}

    def add(self, entry: T) -> T:
        """Register `entry`; ValueError when its id is taken."""
        key = self._id_of(entry)
        if key in self._entries:
            raise ValueError(f"{self.kind} {key!r} is registered twice")
        self._entries[key] = entry
        return entry

    def register(self, entry_of: Callable[[F], T]) -> Callable[[F], F]:
        """A decorator registering `entry_of(func)` and returning the function unchanged."""

        def decorate(func: F) -> F:
            self.add(entry_of(func))
            return func

        return decorate

    def __getitem__(self, key: str) -> T:
        try:
            return self._entries[key]
        except KeyError:
            raise KeyError(f"no {self.kind} {key!r}; known: {', '.join(self._entries)}") from None

    def get(self, key: str) -> T | None:
        return self._entries.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)

    def ids(self) -> list[str]:
        """Every id, in registration order."""
        return list(self._entries)
