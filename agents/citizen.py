"""The ``Citizen``: a real Mesa agent whose state lives in the model's arrays.

A citizen's attributes are views into ``model.population`` (struct of arrays), so the
vectorised pathway engine and the one-at-a-time agent API can never disagree: reading
``citizen.housing`` reads the array, assigning ``citizen.housing = Housing.STREET``
writes it (and restarts the months-in-level clock, as any move does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesa import Agent
from mesa.discrete_space import FixedAgent

from agents.states import LEVELS, Domain, Employment, Housing, Justice, Mental, Substance

if TYPE_CHECKING:
    from model.welfare_model import WelfareModel

import numpy as np


def _level_property(domain: Domain, enum: type):
    def getter(self: Citizen):
        return enum(int(self.model.population.levels[domain, self.idx]))

    def setter(self: Citizen, value) -> None:
        level = enum(value)  # raises ValueError for a level that does not exist
        self.model.population.set_levels(domain, np.array([self.idx]), int(level))

    return property(getter, setter, doc=f"The citizen's {domain.name.lower()} level ({enum.__name__}).")


class Citizen(FixedAgent):
    """A vulnerable adult. ``idx`` is the citizen's row in the model's state arrays."""

    housing: Housing = _level_property(Domain.HOUSING, Housing)  # type: ignore[assignment]
    substance: Substance = _level_property(Domain.SUBSTANCE, Substance)  # type: ignore[assignment]
    mental: Mental = _level_property(Domain.MENTAL, Mental)  # type: ignore[assignment]
    employment: Employment = _level_property(Domain.EMPLOYMENT, Employment)  # type: ignore[assignment]
    justice: Justice = _level_property(Domain.JUSTICE, Justice)  # type: ignore[assignment]

    def __init__(self, model: WelfareModel, idx: int):
        super().__init__(model)
        self.idx = idx

    def remove(self) -> None:
        """Leave the model's agents (at death or exit; ``model/demography.py``), and the
        network space's cell if the space was built. The row of state stays."""
        if self.cell is None:
            Agent.remove(self)
        else:
            super().remove()

    # -- read-only attributes --------------------------------------------------------
    @property
    def alive(self) -> bool:
        """In the target group: neither died nor left at the exit age."""
        return bool(self.model.population.alive[self.idx])

    @property
    def status(self) -> str:
        """``"alive"``, ``"died"``, ``"exited"`` (left the target group at the exit age) or
        ``"pending"`` (a grown-up child of the model, not in the target group: ``model/children.py``)."""
        return ("alive", "died", "exited", "pending")[int(self.model.population.status[self.idx])]

    @property
    def complexity(self) -> float:
        return float(self.model.population.complexity[self.idx])

    @property
    def age(self) -> float:
        return float(self.model.population.age[self.idx])

    @property
    def ever_prison(self) -> bool:
        return bool(self.model.population.ever_prison[self.idx])

    @property
    def ever_homeless(self) -> bool:
        return bool(self.model.population.ever_homeless[self.idx])

    def months_in(self, domain: Domain) -> int:
        """Months already spent in the current level of ``domain``."""
        return int(self.model.population.months_in_level[domain, self.idx])

    def levels(self) -> dict[str, str]:
        """The current level of every domain, by name."""
        pop = self.model.population
        return {d.name.lower(): LEVELS[d](int(pop.levels[d, self.idx])).name.lower() for d in Domain}

    @property
    def children(self) -> list:
        """The citizen's children (``Child`` agents, grown up or not), youngest index
        first; empty when the model has no children (``children.enabled``)."""
        c = self.model.children
        if c is None:
            return []
        return [self.model.child_agents[int(i)] for i in np.flatnonzero(c.parent == self.idx)]

    @property
    def contacts(self) -> list[Citizen]:
        """The citizen's contacts on the social network."""
        citizens = self.model.citizens
        return [citizens[j] for j in self.model.network.neighbours(self.idx)]

    def __repr__(self) -> str:
        return f"Citizen({self.idx}, {self.levels()})"
