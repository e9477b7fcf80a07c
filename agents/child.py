"""The ``Child``: a Mesa agent whose state lives in ``model.children`` (``model/children.py``).

Like ``Citizen``, a child's attributes are views into the model's arrays, so the agent API
and the vectorised month can never disagree. At 18 a child lives on as a row of the adult
model (``adult``): a ``Citizen`` once they join the target group.

A child is reached through ``model.child_agents[i]`` (``i``: the child's index in
``model.children``) or their parent's ``Citizen.children``. The agent is made on first use
and is **not** among Mesa's ``model.agents``, which holds the target group's citizens:
the children's month is computed on arrays and never looks at the agents, and at a
million citizens ~700,000 registered ``Child`` agents cost ~180 MB and ~3% of a month
(docs/benchmark.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa import Agent

from agents.states import Placement, School

if TYPE_CHECKING:
    from model.welfare_model import WelfareModel


class Child(Agent):
    """A child of a citizen. ``idx`` is the child's index in ``model.children``."""

    def __init__(self, model: WelfareModel, idx: int):
        super().__init__(model)
        self.idx = idx

    @property
    def _c(self):
        return self.model.children

    @property
    def placement(self) -> Placement:
        return Placement(int(self._c.placement[self.idx]))

    @property
    def school(self) -> School:
        return School(int(self._c.school[self.idx]))

    @property
    def age(self) -> float:
        return float(self._c.age_months[self.idx]) / 12.0

    @property
    def parent(self):
        """The parent's ``Citizen`` (alive or not, in the target group or not)."""
        return self.model.citizens[int(self._c.parent[self.idx])]

    @property
    def ever_placed(self) -> bool:
        return bool(self._c.ever_placed[self.idx])

    @property
    def grown_up(self) -> bool:
        return bool(self._c.status[self.idx])

    @property
    def adult(self):
        """The grown-up child's ``Citizen`` row (None while a child)."""
        row = int(self._c.adult_row[self.idx])
        return None if row < 0 else self.model.citizens[row]

    def __repr__(self) -> str:
        return f"Child({self.idx}, age {self.age:.1f}, {self.placement.name.lower()}, {self.school.name.lower()})"
