"""Who funds which intervention: explicit places, and the budget holders' appraisal.

**Funding is explicit.** ``services.<name>.capacity`` is the number of places (per 1,000
simulated citizens) a scenario *funds*. With ``governance.sizing = "fixed"`` (the
default) every service runs at exactly those places, so a scenario does what its file
says.

**The appraisal is an analysis.** :func:`appraise` asks, for each intervention a scenario
offers (a discretionary service: Housing First, CTI, case management, IPS, residential
treatment, the dual-diagnosis team), whether it pays back within
``governance.appraisal_months`` in each budget holder's own budget and in the whole
public purse: a pilot of ``governance.appraisal_size`` citizens runs with the
intervention and without it (everything else equal) on common random numbers
(:class:`model.pairing.PairedModel`), over ``governance.appraisal_replications`` seeds
drawn from ``governance.appraisal_seed``. It reports per budget holder the net gain
(median and 10th-90th percentile band) and the probability of paying back (the share of
pilots whose net gain is >= 0): the wrong-pocket diagnosis.

**Endogenous sizing** (``governance.sizing = "own_budget"`` or ``"whole_purse"``) lets
that appraisal decide: an offered intervention gets its places only if the decision rule
below says yes (a majority of pilots pay back, i.e. the median net gain is >= 0), and
otherwise 0 places. Every decision, with its reason, is in :class:`FundingPlan` and
printed by every report; a service at 0 places is announced at the top.

Decision rules (``governance.funding`` says who pays):

* ``own`` — the owner pays. ``own_budget``: funded if it pays back in the owner's budget;
  ``whole_purse``: funded if it pays back in all public budgets together.
* ``pooled`` — a pool funded by kommune, region and state (``governance.pool_*`` shares)
  pays, and the pool judges on the whole purse (a joint budget has one bottom line),
  whatever the sizing rule; pooling can sit on top of siloed services.
* ``state_coinvest`` — the state pays ``governance.state_share`` of the cost when the
  co-investment condition holds (``governance.coinvest_rule``: ``whole_purse`` = the
  intervention pays back in the whole purse; ``always``); the owner then decides on its
  *net* share: its own gain plus the state's share of the cost. So a state co-investment
  can turn an owner's "no" into a "yes".

With fixed sizing the funding rule only splits the cost: ``pooled`` by the pool's shares,
``state_coinvest`` by ``state_share`` (under ``coinvest_rule = "whole_purse"`` only for
interventions whose appraisal pays back in the whole purse).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from model.params import Parameters
from model.services import BUDGETS, CATALOGUE, SERVICES, STAT, ServiceSpec

#: probability of paying back at or above which a budget holder is said to pay back
#: (a majority of pilots: equivalent to a median net gain >= 0)
MAJORITY = 0.5


def offered(params: Parameters) -> list[ServiceSpec]:
    """Interventions the scenario offers: capacity > 0 (whether or not they are funded)."""
    return [s for s in CATALOGUE if s.intervention and params[f"services.{s.name}.capacity"] > 0]


def unavailable_reason(params: Parameters, spec: ServiceSpec) -> str | None:
    """Why an offered service cannot run at all under these parameters, or ``None``."""
    if spec.coordinated_only and params["governance.mode"] != "coordinated":
        return f"{spec.name} works only under coordinated governance (governance.mode = coordinated)"
    return None


# -- the appraisal ---------------------------------------------------------------------------
@dataclass(frozen=True)
class InterventionAppraisal:
    """The pilots' verdict on one intervention: net gain per budget holder per pilot
    (DKK over the appraisal horizon, positive = the budget is better off with the
    intervention, its cost included as the owner pays it) and the intervention's cost."""

    service: str
    owner: str
    gains: np.ndarray  # pilots x budgets (kommune, region, stat)
    cost: np.ndarray  # pilots: the intervention's total cost in the pilot
    months: int
    pilot_size: int

    @property
    def whole(self) -> np.ndarray:
        return self.gains.sum(axis=1)

    def p_pays_back(self, budget: str | None = None) -> float:
        g = self.whole if budget is None else self.gains[:, BUDGETS.index(budget)]
        return float((g >= 0).mean())

    def pays_back(self, budget: str | None = None) -> bool:
        """A majority of pilots pay back in ``budget`` (``None`` = the whole purse)."""
        return self.p_pays_back(budget) >= MAJORITY

    def owner_net_with_coinvestment(self, state_share: float) -> np.ndarray:
        """The owner's gain per pilot when the state pays ``state_share`` of the cost."""
        return self.gains[:, BUDGETS.index(self.owner)] + state_share * self.cost

    def table(self) -> pd.DataFrame:
        """Per budget holder and the whole purse: median, p10, p90 (DKK), P(pays back)."""
        rows = {}
        for name, g in [*((b, self.gains[:, i]) for i, b in enumerate(BUDGETS)), ("whole purse", self.whole)]:
            rows[name] = {"median": float(np.median(g)), "p10": float(np.percentile(g, 10)),
                          "p90": float(np.percentile(g, 90)), "p_pays_back": float((g >= 0).mean())}
        return pd.DataFrame(rows).T.rename_axis("budget")


@dataclass(frozen=True)
class Decision:
    """Places a service gets, who pays, and why."""

    service: str
    offered: float  # places per 1,000 the scenario offers
    funded: float  # places per 1,000 it gets
    shares: dict[str, float]
    reason: str


@dataclass(frozen=True)
class FundingPlan:
    """What every capacity-limited service gets under the parameters: places per 1,000,
    who pays for each intervention, the decisions with reasons and, where it was run,
    the appraisal."""

    sizing: str
    funding: str
    places: dict[str, float]
    decisions: dict[str, Decision] = field(default_factory=dict)
    appraisals: dict[str, InterventionAppraisal] = field(default_factory=dict)

    def shares(self, name: str) -> dict[str, float]:
        d = self.decisions.get(name)
        return d.shares if d is not None else {SERVICES[name].budget: 1.0}

    def warnings(self) -> list[str]:
        """One line per offered intervention that ends with 0 places, naming the service,
        the budget holder and the reason (reports print these at the top)."""
        return [f"{d.service} gets 0 places (offered {d.offered:g} per 1,000; budget holder "
                f"{SERVICES[d.service].budget}): {d.reason}"
                for d in self.decisions.values() if d.offered > 0 and d.funded == 0]

    def frame(self) -> pd.DataFrame:
        """One row per intervention: offered, funded, who pays, reason."""
        rows = [{"service": d.service, "budget_holder": SERVICES[d.service].budget, "offered_per_1000": d.offered,
                 "funded_per_1000": d.funded, "paid_by": ", ".join(f"{b} {s:.0%}" for b, s in d.shares.items()),
                 "reason": d.reason} for d in self.decisions.values()]
        return pd.DataFrame(rows, columns=["service", "budget_holder", "offered_per_1000", "funded_per_1000",
                                           "paid_by", "reason"]).set_index("service")

    def appraisal_frame(self) -> pd.DataFrame:
        """Long table: service, budget (incl. whole purse), median, p10, p90, p_pays_back."""
        parts = [a.table().assign(service=name) for name, a in self.appraisals.items()]
        if not parts:
            return pd.DataFrame(columns=["service", "budget", "median", "p10", "p90", "p_pays_back"])
        return pd.concat(parts).reset_index()[["service", "budget", "median", "p10", "p90", "p_pays_back"]]


def appraise(params: Parameters) -> dict[str, InterventionAppraisal]:
    """Pilot appraisals of every offered, available intervention (see the module doc).

    Pilots run with fixed sizing and the owner paying in full, so the gains are the
    owner's own business case; the decision rules then apply the funding rule
    algebraically. The pilot has its own size, so runs that differ only in
    ``population.size`` share one appraisal (cached per parameter set in a process)."""
    pilot = {"governance.sizing": "fixed", "governance.funding": "own",
             "population.size": params["governance.appraisal_size"]}
    key = tuple(sorted(params.with_overrides(pilot, origin="appraisal").values().items()))
    return _appraise_cached(key)


@lru_cache(maxsize=64)
def _appraise_cached(key: tuple) -> dict[str, InterventionAppraisal]:
    from model.pairing import PairedModel

    params = Parameters.baseline().with_overrides(dict(key), origin="appraisal")
    months = int(params["governance.appraisal_months"])
    seeds = np.random.SeedSequence(params["governance.appraisal_seed"]).spawn(
        int(params["governance.appraisal_replications"]))
    out: dict[str, InterventionAppraisal] = {}
    for spec in offered(params):
        if unavailable_reason(params, spec):
            continue
        without = params.with_overrides({f"services.{spec.name}.capacity": 0.0}, origin="appraisal")
        gains, costs = [], []
        for seed in seeds:
            pair = PairedModel(params, without, seed=seed)
            pair.run_for(months)
            gains.append(np.asarray(pair.net_gain_by_budget(), dtype=float))
            costs.append(service_cost(pair.scenario.ledger, spec.name))
        out[spec.name] = InterventionAppraisal(spec.name, spec.budget, np.stack(gains), np.array(costs),
                                               months, int(params["population.size"]))
    return out


def service_cost(ledger, name: str) -> float:
    """Total cost booked for service ``name`` in a ledger, all budget holders."""
    cols = [i for i, (_, c) in enumerate(ledger.accounts) if c == name]
    return float(np.stack(ledger.monthly)[:, cols].sum()) if ledger.monthly else 0.0


# -- the decisions -------------------------------------------------------------------------------
def pool_shares(params: Parameters) -> dict[str, float]:
    shares = {b: params[f"governance.pool_{b}"] for b in BUDGETS}
    total = sum(shares.values())
    return {b: v / total for b, v in shares.items() if v > 0}


def coinvest_shares(owner: str, state_share: float) -> dict[str, float]:
    out = {owner: 1.0 - state_share}
    out[STAT] = out.get(STAT, 0.0) + state_share
    return {b: v for b, v in out.items() if v > 0}


def decide(params: Parameters, spec: ServiceSpec, appraisal: InterventionAppraisal | None) -> Decision:
    """The places and payers of one offered intervention under the parameters' rules."""
    sizing, funding = params["governance.sizing"], params["governance.funding"]
    cap = params[f"services.{spec.name}.capacity"]
    own = {spec.budget: 1.0}
    if (why := unavailable_reason(params, spec)):
        return Decision(spec.name, cap, 0.0, own, why)
    whole_ok = appraisal.pays_back() if appraisal is not None else None
    p_whole = f"P = {appraisal.p_pays_back():.0%}" if appraisal is not None else ""
    horizon = f"{appraisal.months} months" if appraisal is not None else ""

    # who pays, and on what condition
    if funding == "pooled":
        shares = pool_shares(params) or own
    elif funding == "state_coinvest":
        rule = params["governance.coinvest_rule"]
        coinvest = rule == "always" or bool(whole_ok)
        shares = coinvest_shares(spec.budget, params["governance.state_share"]) if coinvest else own
    else:
        shares = own

    if sizing == "fixed":
        note = "funded as the scenario states (fixed sizing)"
        if funding == "state_coinvest" and shares == own:
            note += f"; no state co-investment: it does not pay back in the whole purse over {horizon} ({p_whole})"
        return Decision(spec.name, cap, cap, shares, note)

    assert appraisal is not None
    if funding == "pooled" or sizing == "whole_purse":
        ok, test = bool(whole_ok), f"the whole public purse over {horizon} ({p_whole} of pilots pay back)"
        who = "the pool" if funding == "pooled" else "the whole purse"
        return Decision(spec.name, cap, cap if ok else 0.0, shares,
                        f"{'pays back' if ok else 'does not pay back'} in {test}; decided on {who}")
    # own_budget
    if funding == "state_coinvest" and shares != own:
        net = appraisal.owner_net_with_coinvestment(params["governance.state_share"])
        p = float((net >= 0).mean())
        ok = p >= MAJORITY
        return Decision(spec.name, cap, cap if ok else 0.0, shares if ok else own,
                        f"the state co-invests {params['governance.state_share']:.0%} (whole purse pays back, {p_whole}); "
                        f"{spec.budget}'s net share {'pays back' if ok else 'does not pay back'} over {horizon} "
                        f"(P = {p:.0%})")
    p = appraisal.p_pays_back(spec.budget)
    ok = p >= MAJORITY
    extra = ""
    if funding == "state_coinvest":
        extra = f"; no state co-investment: the whole purse does not pay back ({p_whole})"
    return Decision(spec.name, cap, cap if ok else 0.0, shares,
                    f"{'pays back' if ok else 'does not pay back'} in {spec.budget}'s own budget over {horizon} "
                    f"(P = {p:.0%} of pilots){extra}")


def funding_plan(params: Parameters) -> FundingPlan:
    """Places per 1,000 for every capacity-limited service, and the interventions'
    decisions. The appraisal runs only where a rule needs it (endogenous sizing, or a
    state co-investment conditional on the whole purse)."""
    sizing, funding = params["governance.sizing"], params["governance.funding"]
    places = {s.name: params[f"services.{s.name}.capacity"] for s in CATALOGUE if s.capacity_limited}
    need = sizing != "fixed" or (funding == "state_coinvest" and params["governance.coinvest_rule"] == "whole_purse")
    appraisals = appraise(params) if need and offered(params) else {}
    decisions = {}
    for spec in offered(params):
        d = decide(params, spec, appraisals.get(spec.name))
        decisions[spec.name] = d
        places[spec.name] = d.funded
    for spec in CATALOGUE:  # not offered, but a coordinated-only service is still unavailable
        if spec.capacity_limited and spec.name not in decisions and unavailable_reason(params, spec):
            places[spec.name] = 0.0
    return FundingPlan(sizing, funding, places, decisions, appraisals)


__all__ = ["Decision", "FundingPlan", "InterventionAppraisal", "appraise", "decide", "funding_plan", "offered"]
