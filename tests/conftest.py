"""Shared helpers: small models built the way a user builds them."""

from __future__ import annotations

import numpy as np
import pytest

from model import Parameters, WelfareModel


def constant_hazard_overrides(size: int) -> dict:
    """Every hazard ratio 1, no peers, no complexity tilt, a closed cohort (nobody dies,
    leaves or enters): each domain is a plain Markov chain."""
    base = Parameters.baseline()
    out = {p: 1.0 for p in base if ".hr." in p}
    out.update({p: 0.0 for p in base if p.startswith("population.loading.")})
    out["network.enabled"] = False
    out["demography.enabled"] = False
    out["population.size"] = size
    return out


@pytest.fixture
def small_model():
    def make(size: int = 500, seed: int = 1, **overrides) -> WelfareModel:
        return WelfareModel(rng=seed, **{"population.size": size, **overrides})

    return make


def levels_history(model: WelfareModel, months: int) -> np.ndarray:
    """Run ``months`` and return the levels at every month (months+1, domains, citizens
    ever in the group), -1 where a citizen was not in it (not yet entered, died, left)."""
    from model.calibration import level_history

    return level_history(model, months)
