"""``AgentRows``: the model's agents by row (``model.citizens``, ``model.child_agents``).

Index ``i`` is row ``i`` of the model's arrays, for every row ever made. An agent that is
in Mesa's ``model.agents`` (a citizen of the target group) is made with its row. An agent
that is not — a grown-up child's adult row waiting outside the target group (``PENDING``,
most of which never join), and every child — is made on first use and not registered
with Mesa: most are never looked at, and at a million citizens there are ~1.2 million of
them (~500,000 adult rows, ~700,000 children), ~260 bytes and ~6 microseconds each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

A = TypeVar("A")


class AgentRows(Sequence, Generic[A]):
    """A list of agents by row whose missing entries are made on first use by ``make(i)``
    (which must return an agent that is not among Mesa's agents)."""

    def __init__(self, make: Callable[[int], A]):
        self._items: list[A | None] = []
        self._make = make

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        item = self._items[i]
        if item is None:
            i = range(len(self._items))[i]
            item = self._items[i] = self._make(i)
        return item

    def __iter__(self) -> Iterator[A]:
        return (self[i] for i in range(len(self._items)))

    def append(self, agent: A) -> None:
        """The agent of the next row."""
        self._items.append(agent)

    def defer(self, count: int = 1) -> None:
        """The next ``count`` rows' agents are made on first use."""
        self._items.extend([None] * count)

    def made(self, i: int) -> bool:
        """Whether row ``i``'s agent exists yet."""
        return self._items[i] is not None

    def put(self, i: int, agent: A) -> None:
        """Row ``i``'s agent, made by the caller (e.g. at joining Mesa's agents)."""
        self._items[i] = agent
