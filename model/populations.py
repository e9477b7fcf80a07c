"""Named populations: the real persons a run's money belongs to.

The model simulates ``population.size`` citizens; a *named population* says how many
persons they stand for, so every total is money for a defined group of people and every
report can say which. The presets are in ``model/parameters/populations.toml``:

* ``national`` (the default): Denmark's target group N as calibrated,
  ``population.scale`` x the default ``population.size`` (53,773 persons in calibration
  version 4);
* a kommune (``kobenhavn``, ``aarhus``, ``odense``, ``esbjerg``, ``horsens``, ``vejle``):
  the target group whose status-quo homeless point count equals the kommune's latest VIVE
  count: ``persons = N x count / H``, with H the model's national homeless point count as
  the calibration measured it (``calibrated.toml``: ``targets.homeless_count.model``; the
  VIVE target if the model is not calibrated). Assumption: the kommune's target group has
  the national mix (shares homeless, ill, addicted, in work, in prison) and the national
  places per person;
* a number (``800``): a user-given homeless count, scaled like a kommune.

Money scales with ``persons / population.size`` (persons per simulated citizen);
figures per person in the target group, per participant and per outcome do not depend
on it. Usage::

    from model.populations import named_population
    pop = named_population("odense")        # or "national", "800", 800, None (= national)
    pop.persons, pop.per_citizen(10_000), pop.label()
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from model.params import PARAMETER_DIR, ParameterError, Parameters, read_calibration, read_toml

POPULATIONS_FILE = PARAMETER_DIR / "populations.toml"
DEFAULT_POPULATION = "national"
_FIELDS = {"name", "homeless", "year", "source"}


@dataclass(frozen=True)
class NamedPopulation:
    """A group of real persons the simulated cohort stands for."""

    key: str  #: the preset's key ("national", "odense") or "count:<n>" for a given count
    name: str  #: as printed ("Odense", "Denmark (national target group)")
    persons: float  #: the target group: persons the cohort stands for
    homeless: float  #: the homeless point count the population was scaled to (national: the model's)
    year: int | None  #: year of the count (None for a user-given count)
    source: str
    basis: str  #: how ``persons`` was derived, in one sentence

    def per_citizen(self, simulated: int) -> float:
        """Persons per simulated citizen at ``simulated`` citizens (money scales with it)."""
        if simulated <= 0:
            raise ValueError(f"simulated citizens must be positive, got {simulated}")
        return self.persons / simulated

    def label(self) -> str:
        """``"Odense (5,213 persons in the target group)"``."""
        return f"{self.name} ({self.persons:,.0f} persons in the target group)"

    def describe(self, simulated: int) -> str:
        """One line for reports: name, persons, and what a simulated citizen stands for."""
        return (f"{self.label()}; {simulated:,} simulated citizens, each standing for "
                f"{self.per_citizen(simulated):,.3g} persons. {self.basis}")

    def as_dict(self, simulated: int | None = None) -> dict[str, Any]:
        out = {"key": self.key, "name": self.name, "persons": round(self.persons, 1),
               "homeless_count": round(self.homeless, 1), "count_year": self.year, "source": self.source,
               "basis": self.basis}
        if simulated:
            out |= {"simulated_citizens": simulated, "persons_per_simulated_citizen": self.per_citizen(simulated)}
        return out


@lru_cache(maxsize=4)
def _presets(path: Path = POPULATIONS_FILE) -> dict[str, dict[str, Any]]:
    raw = read_toml(path, what="populations file")
    for key, entry in raw.items():
        if not isinstance(entry, dict) or set(entry) != _FIELDS:
            raise ParameterError(f"{path}: [{key}]: expected exactly the fields {sorted(_FIELDS)}")
        if not (isinstance(entry["homeless"], (int, float)) and entry["homeless"] > 0):
            raise ParameterError(f"{path}: [{key}].homeless = {entry['homeless']!r}: must be a positive number")
    if DEFAULT_POPULATION not in raw:
        raise ParameterError(f"{path}: no [{DEFAULT_POPULATION}] entry")
    return raw


def preset_names() -> list[str]:
    """The preset keys: ``national`` first, then the kommuner in file order."""
    return list(_presets())


def national_target_group(params: Parameters | None = None) -> float:
    """N: persons the calibrated national cohort stands for, ``population.scale`` x the
    default ``population.size`` (the size the scale was fitted for), whatever size a run
    simulates."""
    p = Parameters.baseline() if params is None else params
    return float(p["population.scale"]) * float(Parameters.baseline().baseline_value("population.size"))


def model_homeless_count() -> tuple[float, float, str]:
    """(H, N_cal, where from): the model's national status-quo homeless point count and the
    target group it was measured for, as the calibration recorded them; the VIVE target
    and N when the model is not calibrated."""
    _, meta = read_calibration()
    target = (meta.get("targets") or {}).get("homeless_count") or {}
    if "model" in target and meta.get("target_group"):
        return float(target["model"]), float(meta["target_group"]), "the model's national homeless count as calibrated"
    from model.calibration import TARGETS

    vive = next(t for t in TARGETS if t.name == "homeless_count")
    return float(vive.value), national_target_group(), "the VIVE count the calibration targets (model not calibrated)"


def _normalise(text: str) -> str:
    text = text.strip().lower().replace("ø", "o").replace("æ", "ae").replace("å", "aa")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace(" ", "_").replace("-", "_")


def allowed() -> str:
    """What ``named_population`` accepts, for error messages."""
    return f"one of {', '.join(preset_names())}, or a homeless count (a number of persons, e.g. 800)"


def named_population(spec: str | int | float | NamedPopulation | None = None,
                     params: Parameters | None = None) -> NamedPopulation:
    """The population ``spec`` names: a preset key (``"odense"``, ``"København"``), a
    homeless count (``800`` or ``"800"``), a ``NamedPopulation`` (returned as is) or None
    (the national target group). ``params``: the parameters whose ``population.scale``
    defines N (default: the calibrated baseline). Raises ``ParameterError`` naming what
    is allowed."""
    if isinstance(spec, NamedPopulation):
        return spec
    presets = _presets()
    N = national_target_group(params)
    if spec is None or (isinstance(spec, str) and _normalise(spec) == DEFAULT_POPULATION):
        entry = presets[DEFAULT_POPULATION]
        H, N_cal, _ = model_homeless_count()
        return NamedPopulation(DEFAULT_POPULATION, entry["name"], N, H * N / N_cal, entry["year"], entry["source"],
                               f"N = population.scale x the default population.size (the calibrated target group); "
                               f"VIVE's latest count is {entry['homeless']:,} ({entry['year']}).")
    count: float | None = None
    if isinstance(spec, bool):
        raise ParameterError(f"population = {spec!r}: {allowed()}")
    if isinstance(spec, (int, float)):
        count = float(spec)
    elif isinstance(spec, str):
        key = _normalise(spec)
        if key in presets:
            entry = presets[key]
            return _scaled(key, entry["name"], float(entry["homeless"]), entry["year"], entry["source"], N)
        try:
            count = float(spec.replace(",", "").replace("_", ""))
        except ValueError:
            raise ParameterError(f"population = {spec!r}: unknown; {allowed()}") from None
    else:
        raise ParameterError(f"population = {spec!r}: {allowed()}")
    if not math.isfinite(count) or count <= 0 or count > 1e7:
        raise ParameterError(f"population = {spec!r}: a homeless count must be a number of persons between 1 and "
                             f"10,000,000; or {allowed()}")
    return _scaled(f"count:{count:g}", f"user-given count of {count:,.0f} homeless", count, None,
                   "given by the user", N)


def _scaled(key: str, name: str, count: float, year: int | None, source: str, N: float) -> NamedPopulation:
    H, N_cal, where = model_homeless_count()
    persons = N * count / (H * N / N_cal)
    when = f" ({year})" if year else ""
    return NamedPopulation(key, name, persons, count, year, source,
                           f"Scaled so that the status-quo homeless point count is {count:,.0f}{when}: "
                           f"N x {count:,.0f} / {H * N / N_cal:,.0f} ({where}); assumption: the kommune's "
                           "target group has the national mix of problems.")


__all__ = ["DEFAULT_POPULATION", "NamedPopulation", "allowed", "model_homeless_count", "named_population",
           "national_target_group", "preset_names"]
