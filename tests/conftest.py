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


# -- the dashboard's rendered widgets (tests/test_app.py, tests/test_dashboard_contract.py) --
def walk(widget):
    """Every widget below ``widget`` (children, in order)."""
    import ipywidgets as widgets

    yield widget
    for child in getattr(widget, "children", None) or []:
        if isinstance(child, widgets.Widget):
            yield from walk(child)


def page_text(rc) -> str:
    """All text a rendered page shows: HTML widgets' markup and plain string children."""
    import solara

    out = []
    for w in walk(rc.container):
        if isinstance(w, solara.widgets.HTML):
            out.append(w.unsafe_innerHTML)
        out.extend(c for c in getattr(w, "children", None) or [] if isinstance(c, str))
    return " ".join(out)
