"""The actors: the ``Citizen`` and ``Child`` agents and the life states they move between."""

from agents.child import Child
from agents.citizen import Citizen
from agents.states import (
    HOMELESS,
    LEVELS,
    Domain,
    Employment,
    Housing,
    Justice,
    Mental,
    Placement,
    School,
    Substance,
)

__all__ = [
    "Child",
    "Citizen",
    "Domain",
    "Employment",
    "HOMELESS",
    "Housing",
    "Justice",
    "LEVELS",
    "Mental",
    "Placement",
    "School",
    "Substance",
]
