"""How much of each service the budget holders fund: capacity sizing by governance.

``governance.sizing``:

* ``fixed`` — every service runs at the capacity its parameters give.
* ``own_budget`` (siloed) — a discretionary service (an *intervention*: Housing First,
  CTI, case management, IPS, residential treatment, the dual-diagnosis team) is funded
  only if, in a pilot simulation over ``governance.appraisal_months``, it pays back in
  the budgets of those who pay for it (each payer's savings at least its own cost).
* ``whole_purse`` (coordinated) — funded if it pays back in all public budgets together.

The pilot is the model's own business case, like a SØM calculation but dynamic: the same
synthetic citizens run twice on common random numbers, with the service at its capacity
and without it, at ``governance.appraisal_size`` citizens and a fixed
``governance.appraisal_seed`` (the decision is made once, ex ante, not per replication).
Nothing here favours either governance: the answer comes from the pathway rules, prices
and effects. Results are cached per parameter set within a process.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from model.params import Parameters
from model.services import BUDGETS, CATALOGUE, funding_shares


def configured_capacity(params: Parameters) -> dict[str, float]:
    return {s.name: params[f"services.{s.name}.capacity"] for s in CATALOGUE if s.capacity_limited}


def funded_capacity(params: Parameters) -> dict[str, float]:
    """Places per 1,000 citizens that each service actually gets under the sizing rule."""
    capacity = configured_capacity(params)
    if params["governance.sizing"] == "fixed":
        return capacity
    decisions = appraise(params)
    return {name: (0.0 if decisions.get(name, {}).get("funded") is False else cap) for name, cap in capacity.items()}


def appraise(params: Parameters) -> dict[str, dict]:
    """For each intervention offered: the pilot's net gain per budget and the decision.

    The pilot does not depend on ``population.size`` (it has its own), so runs that differ
    only in size share one appraisal."""
    pilot = {"governance.sizing": "fixed", "population.size": params["governance.appraisal_size"]}
    key = tuple(sorted(params.with_overrides(pilot, origin="appraisal").values().items()))
    return _appraise_cached(key, params["governance.sizing"])


@lru_cache(maxsize=64)
def _appraise_cached(key: tuple, rule: str) -> dict[str, dict]:
    from model.welfare_model import WelfareModel

    params = Parameters.baseline().with_overrides(dict(key), origin="appraisal")
    mode = params["governance.mode"]
    months = int(params["governance.appraisal_months"])
    out: dict[str, dict] = {}
    for spec in CATALOGUE:
        if not spec.intervention or params[f"services.{spec.name}.capacity"] == 0:
            continue
        if spec.coordinated_only and mode != "coordinated":
            continue
        with_it = params
        without = with_it.with_overrides({f"services.{spec.name}.capacity": 0.0}, origin="appraisal")
        seed = params["governance.appraisal_seed"]
        costs = []
        for p in (with_it, without):
            m = WelfareModel(p, rng=seed)
            m.run_for(months)
            costs.append(m.ledger.by_budget().sum().to_numpy())
        gain = costs[1] - costs[0]  # net saving per budget from having the service (cost included)
        payers = funding_shares(params, spec)
        if rule == "own_budget":
            funded = all(gain[BUDGETS.index(b)] >= 0 for b in payers)
        else:
            funded = bool(gain.sum() >= 0)
        out[spec.name] = {"funded": funded, "rule": rule,
                          "net_gain": {b: float(g) for b, g in zip(BUDGETS, gain)},
                          "months": months, "pilot_size": params["governance.appraisal_size"]}
    return out


__all__ = ["appraise", "configured_capacity", "funded_capacity", "np"]
