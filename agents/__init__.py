"""The actors: the ``Citizen`` agent and the life states it moves between."""

from agents.citizen import Citizen
from agents.states import (
    HOMELESS,
    LEVELS,
    Domain,
    Employment,
    Housing,
    Justice,
    Mental,
    Substance,
)

__all__ = [
    "Citizen",
    "Domain",
    "Employment",
    "HOMELESS",
    "Housing",
    "Justice",
    "LEVELS",
    "Mental",
    "Substance",
]
