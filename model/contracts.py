"""Outcome contracts: Payment by Results and Social Impact Bonds, with their pitfalls.

A contract (the ``[contract]`` parameters, ``model/parameters/baseline.toml``) says: a
provider delivers a service to a cohort; the outcome payer pays a price per outcome a
cohort member achieves (the rate card), up to a cap, after deducting a baseline; an
investor funds the provider's delivery costs up front and is repaid only out of outcome
payments; a foundation may guarantee the investor's first losses.

How one replication is simulated (``simulate``):

1. A ``model.pairing.PairedModel``: two ``WelfareModel`` s on the same seed, the
   *contract arm* (its scenario arm) and the *counterfactual*, stepped together.
   Same citizens, same random numbers.
2. Each month ``0 .. cohort.recruitment_months`` the cohort is recruited in the contract
   arm from those eligible (the service's own eligibility, ``cohort.target``,
   ``cohort.max_age``): **open** referral takes a random sample (stream
   ``contract.cohort``), **provider selection** takes those with the fewest observable
   problems and the lowest complexity (the provider sees the present, not the future).
   Recruits are enrolled in the service (``ServiceSystem.enroll``) until its course ends.
   In the counterfactual the same citizens, recruited the same month, are not served.
3. Both arms run month by month to ``horizon_months`` and every citizen's levels are
   recorded each month; outcomes are read from that record per cohort member, counted
   from the month of recruitment (``achievement_months``).
4. ``settle_payments``: each outcome a member achieves in the contract arm is paid in the
   month it is achieved, oldest first, once the baseline is passed — ``none``: from the
   first; ``historical``: after ``historical_rate x cohort`` outcomes; ``counterfactual``:
   only outcomes beyond the counterfactual's count so far — and never beyond the cap.
5. ``cash_flows``: per month and party (+ = money in). The provider's delivery costs
   (``finance.provider_cost`` per participant-month) are paid out of the investor's
   capital; costs beyond it fall on the provider. The public budgets gain the ledger's
   savings (counterfactual cost minus contract-arm cost, *whole population*, so spillovers
   count) with what the ledger booked for provider-delivered months of the service taken
   out of the contract arm (the provider, not the kommune, pays for them, so neither does
   the state's §176a refund of it); the payer also pays the outcome payments.

Definitions (``summary``):

* **IRR** — annual internal rate of return of the investor's monthly flows
  (``(1 + monthly)^12 - 1``); -100% when nothing comes back. **Multiple** — money back /
  money in. **Loss** — the investor ends with less than it put in (after the guarantee).
* **Deadweight** — outcome payments beyond what the contract caused: per outcome,
  ``max(0, paid - price x max(0, achieved in contract arm - achieved in counterfactual))``.
  A zero-effect intervention makes every payment deadweight. ``member_deadweight_share``
  is the per-member view, defined only when every outcome is paid for (baseline
  ``none``): the share of payments made for members who also achieve that outcome in the
  counterfactual. (Under a historical or counterfactual baseline the payer pays for a
  *number* of outcomes, not for named members, so only the first measure applies.)
* **Creaming index** — ``(mean complexity of everyone eligible during recruitment - mean
  complexity of those served) / SD of the eligible``: 0 for a random sample, > 0 when the
  easier cases were served. Beside it, the outcomes of those left out (eligible, never
  recruited, counted from the month they were first eligible).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from agents.states import HOMELESS, Domain, Employment, Housing, Justice, Mental, Substance
from model.economics import npv as public_npv
from model.ledger import SERVICE_CATEGORIES
from model.pairing import ARMS, PairedModel, run_all
from model.params import ParameterError, Parameters
from model.services import BUDGETS, SERVICES
from model.welfare_model import WelfareModel

#: Outcomes a rate card can price. "sustained": the level must hold for ``months``
#: consecutive months after recruitment; "no_entry": no move into the level within
#: ``months`` after recruitment (achieved at month ``recruitment + months``).
OUTCOMES: dict[str, dict[str, Any]] = {
    "housed": {"rule": "sustained", "domain": Domain.HOUSING, "levels": (Housing.OWN_HOME, Housing.SUPPORTED),
               "label": "housed {months} consecutive months"},
    "sober": {"rule": "sustained", "domain": Domain.SUBSTANCE, "levels": (Substance.NONE, Substance.RECOVERY),
              "label": "{months} months without problematic use"},
    "employed": {"rule": "sustained", "domain": Domain.EMPLOYMENT, "levels": (Employment.EMPLOYED,),
                 "label": "employed {months} consecutive months"},
    "no_reconviction": {"rule": "no_entry", "domain": Domain.JUSTICE, "levels": (Justice.PRISON,),
                        "label": "no reconviction (prison) within {months} months"},
}
#: The parties whose monthly cash flows are reported (+ = money in).
PARTIES: tuple[str, ...] = ("investor", "provider", "guarantor", *BUDGETS, "public_purse")
#: Detail columns beside the parties: gross outcome payments and delivery costs.
DETAILS: tuple[str, ...] = ("outcome_payments", "delivery_costs")
PERCENTILES = {"p10": 10, "median": 50, "p90": 90}


# -- the terms ------------------------------------------------------------------------------
@dataclass(frozen=True)
class OutcomeTerm:
    """One line of the rate card."""

    name: str
    price: float
    months: int
    historical_rate: float

    @property
    def label(self) -> str:
        return OUTCOMES[self.name]["label"].format(months=self.months)


@dataclass(frozen=True)
class ContractTerms:
    """The contract as data, read from the validated ``contract.*`` parameters."""

    service: str
    horizon: int
    cohort_size: int
    referral: str
    target: str
    max_age: float
    recruitment_months: int
    payer: str
    baseline: str
    cap: float
    outcomes: tuple[OutcomeTerm, ...]
    capital: float
    provider_cost: float
    provider_fee: float
    guarantee: float

    @classmethod
    def from_params(cls, params: Parameters) -> ContractTerms:
        """The terms, with the checks across fields that single leaves cannot make."""
        origin = f"scenario {params.name!r}"
        if not params["contract.enabled"]:
            raise ParameterError(f"{origin}: contract.enabled = false; a contract scenario sets "
                                 "[contract] enabled = true (see runs/scenarios/contract_*.toml)")
        c = params.subtree("contract")
        terms = cls(
            service=c["service"], horizon=c["horizon_months"], cohort_size=c["cohort"]["size"],
            referral=c["cohort"]["referral"], target=c["cohort"]["target"], max_age=c["cohort"]["max_age"],
            recruitment_months=c["cohort"]["recruitment_months"], payer=c["payment"]["payer"],
            baseline=c["payment"]["baseline"], cap=c["payment"]["cap"],
            outcomes=tuple(OutcomeTerm(name, float(v["price"]), int(v["months"]), float(v["historical_rate"]))
                           for name, v in c["outcomes"].items() if v["price"] > 0),
            capital=c["finance"]["investor_capital"], provider_cost=c["finance"]["provider_cost"],
            provider_fee=c["finance"]["provider_fee"], guarantee=c["finance"]["guarantee"],
        )
        if not terms.outcomes:
            raise ParameterError(f"{origin}: contract.outcomes: no outcome has a price > 0; "
                                 f"price at least one of {', '.join(OUTCOMES)}")
        if terms.recruitment_months >= terms.horizon:
            raise ParameterError(f"{origin}: contract.cohort.recruitment_months = {terms.recruitment_months}: "
                                 f"must be less than contract.horizon_months = {terms.horizon}")
        return terms

    def describe(self) -> list[str]:
        card = "; ".join(f"{o.label}: {o.price:,.0f} DKK" for o in self.outcomes)
        spec = SERVICES[self.service]
        recruit = "at month 0" if self.recruitment_months == 0 else f"over months 0-{self.recruitment_months}"
        return [
            f"service {self.service} ({spec.budget}); cohort of {self.cohort_size} recruited {recruit} by "
            f"{self.referral.replace('_', ' ')} (target: {self.target}, age <= {self.max_age:g}); horizon {self.horizon} months",
            f"rate card: {card}",
            f"payer {self.payer}; baseline {self.baseline}; cap {self.cap / 1e6:,.1f}m DKK",
            f"investor capital {self.capital / 1e6:,.1f}m DKK; provider cost {self.provider_cost:,.0f} DKK per "
            f"participant-month; provider fee {self.provider_fee:.0%} of payments; first-loss guarantee {self.guarantee / 1e6:,.1f}m DKK",
        ]


# -- investor arithmetic --------------------------------------------------------------------
def npv(flows: np.ndarray, annual_rate: float) -> float:
    """Present value at month 0 of monthly flows (``flows[t]`` at month ``t``), discounted
    at ``annual_rate`` compounded monthly: ``sum flows[t] / (1 + annual_rate)^(t / 12)``."""
    flows = np.asarray(flows, dtype=float)
    t = np.arange(flows.size)
    return float((flows / (1.0 + annual_rate) ** (t / 12.0)).sum())


def irr(flows: np.ndarray) -> float:
    """Annual internal rate of return of monthly flows (month 0 first): the rate at which
    ``npv`` is zero. -1.0 (-100%) when money goes in and nothing ever comes back; NaN when
    there is no money in or no root (e.g. flows that never change sign)."""
    flows = np.asarray(flows, dtype=float)
    if not (flows < 0).any():
        return math.nan
    if not (flows > 0).any():
        return -1.0
    grid = np.concatenate([-1.0 + np.logspace(-9, 0, 60)[:-1], np.logspace(-6, 6, 80)])
    grid = np.unique(np.concatenate([grid, [0.0]]))
    values = np.array([npv(flows, r) for r in grid])
    sign = np.sign(values)
    change = np.flatnonzero(sign[:-1] * sign[1:] < 0)
    exact = np.flatnonzero(values == 0)
    if exact.size:
        return float(grid[exact[0]])
    if change.size == 0:
        return math.nan
    i = change[0]
    return float(brentq(lambda r: npv(flows, r), grid[i], grid[i + 1], xtol=1e-12, rtol=1e-12, maxiter=500))


def money_multiple(flows: np.ndarray) -> float:
    """Money back over money in (NaN when nothing went in)."""
    flows = np.asarray(flows, dtype=float)
    put_in = -flows[flows < 0].sum()
    return float(flows[flows > 0].sum() / put_in) if put_in > 0 else math.nan


# -- outcomes -------------------------------------------------------------------------------
def achievement_months(history: np.ndarray, citizens: np.ndarray, start: np.ndarray, outcome: str,
                       months: int) -> np.ndarray:
    """The month each citizen achieves ``outcome`` (-1 if not by the end of ``history``).

    ``history`` is (months + 1, domains, citizens): levels at the end of months 0..H.
    Only months after ``start`` (the citizen's month of recruitment) count."""
    spec = OUTCOMES[outcome]
    horizon = history.shape[0] - 1
    citizens = np.asarray(citizens, dtype=np.int64)
    start = np.asarray(start, dtype=np.int64)
    out = np.full(citizens.size, -1, dtype=np.int64)
    if citizens.size == 0:
        return out
    lv = history[:, spec["domain"], :][:, citizens]  # (H+1, m)
    in_level = np.isin(lv, spec["levels"])
    month = np.arange(horizon + 1)[:, None]
    after = month > start[None, :]
    if spec["rule"] == "sustained":
        run = np.zeros(citizens.size, dtype=np.int64)
        for t in range(horizon + 1):
            run = np.where(in_level[t] & after[t], run + 1, 0)
            out[(run >= months) & (out < 0)] = t
        return out
    entered = np.zeros_like(in_level)
    entered[1:] = in_level[1:] & ~in_level[:-1]
    within = after & (month <= (start + months)[None, :])
    clean = ~(entered & within).any(axis=0) & (start + months <= horizon)
    out[clean] = (start + months)[clean]
    return out


def settle_payments(terms: ContractTerms, citizens: np.ndarray, achieved: dict[str, np.ndarray],
                    counterfactual: dict[str, np.ndarray]) -> pd.DataFrame:
    """The payer's outcome payments: one row per payment (month, citizen, outcome, amount,
    ``also_in_counterfactual``). ``achieved`` / ``counterfactual`` give, per outcome, the
    month each cohort member achieved it in the contract arm / the counterfactual (-1 = not).

    Per outcome the number of outcomes paid by month t is ``S(t)`` (baseline none),
    ``max(0, S(t) - round(historical_rate x cohort))`` (historical) or the running maximum
    of ``max(0, S(t) - C(t))`` (counterfactual), where S and C count achievements so far;
    payments go to achievements oldest first. Then the cap: payments in month order (rate
    card order within a month) until the cap is reached, the last one partly."""
    citizens = np.asarray(citizens, dtype=np.int64)
    n, horizon = citizens.size, terms.horizon
    parts = []
    for k, o in enumerate(terms.outcomes):
        s, c = np.asarray(achieved[o.name]), np.asarray(counterfactual[o.name])
        S = np.bincount(s[s >= 0], minlength=horizon + 1)[: horizon + 1].cumsum()
        C = np.bincount(c[c >= 0], minlength=horizon + 1)[: horizon + 1].cumsum()
        if terms.baseline == "none":
            paid = S
        elif terms.baseline == "historical":
            paid = np.maximum(0, S - int(round(o.historical_rate * n)))
        else:
            paid = np.maximum.accumulate(np.maximum(0, S - C))
        achievers = np.flatnonzero(s >= 0)
        achievers = achievers[np.lexsort((achievers, s[achievers]))]  # oldest first
        if paid[-1] == 0:
            continue
        slot_month = np.searchsorted(paid, np.arange(1, paid[-1] + 1), side="left")  # month slot j is paid
        who = achievers[: paid[-1]]
        assert (s[who] <= slot_month).all(), "an outcome was paid before it was achieved"
        parts.append(pd.DataFrame({"month": slot_month, "order": k, "seq": np.arange(who.size),
                                   "citizen": citizens[who], "outcome": o.name, "price": o.price,
                                   "also_in_counterfactual": c[who] >= 0}))
    columns = ["month", "citizen", "outcome", "amount", "also_in_counterfactual"]
    if not parts:
        return pd.DataFrame({"month": pd.Series(dtype=int), "citizen": pd.Series(dtype=int),
                             "outcome": pd.Series(dtype=str), "amount": pd.Series(dtype=float),
                             "also_in_counterfactual": pd.Series(dtype=bool)})[columns]
    pay = pd.concat(parts, ignore_index=True).sort_values(["month", "order", "seq"], kind="stable")
    before = pay["price"].cumsum() - pay["price"]
    pay["amount"] = np.minimum(pay["price"], np.maximum(0.0, terms.cap - before))
    pay = pay[pay["amount"] > 0]
    return pay[columns].reset_index(drop=True)


# -- one replication ------------------------------------------------------------------------
def problems(pop, who: np.ndarray) -> np.ndarray:
    """Observable problems a provider sees at intake (0-6)."""
    lv = pop.levels
    return ((lv[Domain.SUBSTANCE, who] == Substance.PROBLEMATIC).astype(int)
            + (lv[Domain.MENTAL, who] == Mental.UNTREATED)
            + (lv[Domain.HOUSING, who] == Housing.STREET)
            + np.isin(lv[Domain.HOUSING, who], HOMELESS)
            + (lv[Domain.EMPLOYMENT, who] == Employment.OUTSIDE)
            + pop.ever_prison[who])


@dataclass
class ContractRun:
    """One replication: both arms (the pairing, with their month-by-month levels) and the cohort."""

    terms: ContractTerms
    #: the contract arm (``pair.scenario``) and its counterfactual, levels recorded in both
    pair: PairedModel
    #: month each citizen was recruited (-1 = not in the cohort)
    recruited: np.ndarray
    #: month each citizen was first eligible during recruitment (-1 = never)
    first_eligible: np.ndarray
    #: provider-delivered participants per month 0..H (the months the ledger booked)
    participants: np.ndarray
    #: what the contract arm's ledger booked for those participants' months of the service,
    #: per month 0..H and budget holder (``BUDGETS``): its own category and the law's refund
    #: (``model/ledger.py: SERVICE_CATEGORIES``). None: price x funding shares instead.
    booked: np.ndarray | None = None

    @property
    def contract(self) -> WelfareModel:
        return self.pair.scenario

    @property
    def counterfactual(self) -> WelfareModel:
        return self.pair.counterfactual

    @cached_property
    def history(self) -> np.ndarray:
        """Levels of the contract arm at the end of months 0..H: (H+1, domains, citizens)."""
        return self.pair.levels("scenario")

    @cached_property
    def history_counterfactual(self) -> np.ndarray:
        return self.pair.levels("counterfactual")

    @property
    def cohort(self) -> np.ndarray:
        return np.flatnonzero(self.recruited >= 0)

    @property
    def left_out(self) -> np.ndarray:
        return np.flatnonzero((self.first_eligible >= 0) & (self.recruited < 0))

    def achievements(self, arm: str = "contract", who: str = "cohort") -> dict[str, np.ndarray]:
        """Per outcome on the rate card, the month each cohort member (or each one left
        out) achieved it in the given arm; -1 = not within the horizon."""
        history = self.history if arm == "contract" else self.history_counterfactual
        citizens = self.cohort if who == "cohort" else self.left_out
        start = self.recruited[citizens] if who == "cohort" else self.first_eligible[citizens]
        return {o.name: achievement_months(history, citizens, start, o.name, o.months) for o in self.terms.outcomes}

    def payments(self) -> pd.DataFrame:
        return settle_payments(self.terms, self.cohort, self.achievements("contract"),
                               self.achievements("counterfactual"))

    def savings(self) -> pd.DataFrame:
        """Per month 1..H and budget: counterfactual minus contract-arm net public cost,
        with what the ledger booked for provider-delivered months taken out of the contract
        arm (the investor pays for them, so neither the kommune nor the state's refund does)."""
        contract = self.contract.ledger.by_budget()
        if self.booked is not None:
            for j, budget in enumerate(BUDGETS):
                contract[budget] -= self.booked[1:, j]
        else:
            spec = SERVICES[self.terms.service]
            price = self.contract.params[f"services.{spec.name}.price"]
            for budget, share in self.contract.ledger.shares(spec.name).items():
                contract[budget] -= price * share * self.participants[1:]
        return self.counterfactual.ledger.by_budget() - contract

    def cash_flows(self, payments: pd.DataFrame | None = None) -> pd.DataFrame:
        """Per month 0..H (rows): each party's net cash flow (+ = money in) and the details."""
        t = self.terms
        payments = self.payments() if payments is None else payments
        months = t.horizon + 1
        paid = np.bincount(payments["month"].to_numpy(dtype=np.int64), weights=payments["amount"].to_numpy(),
                           minlength=months)[:months]
        costs = t.provider_cost * self.participants.astype(float)
        funded = np.zeros(months)
        left = t.capital
        for m in range(months):
            funded[m] = min(costs[m], left)
            left -= funded[m]
        investor = (1.0 - t.provider_fee) * paid
        investor[0] -= t.capital
        investor[-1] += left
        cover = min(t.guarantee, max(0.0, -investor.sum()))
        investor[-1] += cover
        guarantor = np.zeros(months)
        guarantor[-1] = -cover
        out = pd.DataFrame({"investor": investor, "provider": t.provider_fee * paid - (costs - funded),
                            "guarantor": guarantor}, index=pd.RangeIndex(months, name="month"))
        savings = self.savings().reindex(out.index, fill_value=0.0)
        for b in BUDGETS:
            out[b] = savings[b].to_numpy() - (paid if b == t.payer else 0.0)
        out["public_purse"] = out[list(BUDGETS)].sum(axis=1)
        out["outcome_payments"] = paid
        out["delivery_costs"] = costs
        return out

    def summary(self) -> ContractReplication:
        t = self.terms
        payments = self.payments()
        flows = self.cash_flows(payments)
        ach, cf = self.achievements("contract"), self.achievements("counterfactual")
        left = self.achievements("contract", "left_out")
        n = self.cohort.size
        investor = flows["investor"].to_numpy()
        total_paid = float(payments["amount"].sum())
        deadweight = 0.0
        rows = []
        for o in t.outcomes:
            paid_o = float(payments.loc[payments["outcome"] == o.name, "amount"].sum())
            s, c = int((ach[o.name] >= 0).sum()), int((cf[o.name] >= 0).sum())
            deadweight += max(0.0, paid_o - o.price * max(0, s - c))
            rows.append({"outcome": o.name, "label": o.label, "price": o.price, "cohort": n,
                         "achieved": s, "achieved_counterfactual": c, "additional": s - c,
                         "paid": int((payments["outcome"] == o.name).sum()), "payments": paid_o,
                         "served_rate": s / n if n else math.nan,
                         "served_rate_counterfactual": c / n if n else math.nan,
                         "left_out": self.left_out.size,
                         "left_out_rate": float((left[o.name] >= 0).mean()) if self.left_out.size else math.nan})
        pool = np.flatnonzero(self.first_eligible >= 0)
        cx = self.contract.population.complexity
        sd = float(cx[pool].std()) if pool.size > 1 else math.nan
        member_dw = float(payments.loc[payments["also_in_counterfactual"], "amount"].sum())
        metrics = {
            "cohort": n, "eligible": pool.size,
            "investor_net": float(investor.sum()), "investor_irr": irr(investor),
            "investor_multiple": money_multiple(investor), "investor_loss": bool(investor.sum() < -1e-6),
            "investor_loss_before_guarantee": bool(investor.sum() + flows["guarantor"].sum() < -1e-6),
            "guarantee_used": float(-flows["guarantor"].sum()) + 0.0, "provider_net": float(flows["provider"].sum()),
            "outcome_payments": total_paid, "cap_reached": bool(total_paid >= t.cap - 1e-6),
            "delivery_costs": float(flows["delivery_costs"].sum()),
            "deadweight": deadweight, "deadweight_share": deadweight / total_paid if total_paid > 0 else math.nan,
            "member_deadweight_share": member_dw / total_paid if total_paid > 0 and t.baseline == "none" else math.nan,
            "creaming_index": (float(cx[pool].mean() - cx[self.cohort].mean()) / sd) if n and sd > 0 else math.nan,
            "complexity_served": float(cx[self.cohort].mean()) if n else math.nan,
            "complexity_eligible": float(cx[pool].mean()) if pool.size else math.nan,
            "payer_own_net": float(flows[t.payer].sum()), "payer_own_npv": public_npv(flows[t.payer].to_numpy()[1:]),
            "public_purse_net": float(flows["public_purse"].sum()),
            "public_purse_npv": public_npv(flows["public_purse"].to_numpy()[1:]),
            **{f"{b}_net": float(flows[b].sum()) for b in BUDGETS},
        }
        for r in rows:
            metrics[f"{r['outcome']}_additional"] = r["additional"]
            metrics[f"{r['outcome']}_left_out_rate"] = r["left_out_rate"]
        return ContractReplication(flows=flows, metrics=metrics, outcomes=pd.DataFrame(rows).set_index("outcome"),
                                   payments=payments)


@dataclass
class ContractReplication:
    """What is kept of one replication (small and picklable)."""

    flows: pd.DataFrame
    metrics: dict[str, Any]
    outcomes: pd.DataFrame
    payments: pd.DataFrame


def _eligible(model: WelfareModel, terms: ContractTerms) -> np.ndarray:
    pop = model.population
    ok = SERVICES[terms.service].eligible(pop, model.services.mode) & (pop.age <= terms.max_age)
    ok &= pop.levels[Domain.JUSTICE] != Justice.PRISON  # the provider cannot reach prisoners
    if terms.target == "prison_history":
        ok &= pop.ever_prison
    elif terms.target == "rough_sleeping":
        ok &= pop.levels[Domain.HOUSING] == Housing.STREET
    return ok


def _recruit(model: WelfareModel, terms: ContractTerms, month: int, recruited: np.ndarray,
             first_eligible: np.ndarray) -> np.ndarray:
    """This month's recruits: an even share of the places still open, from those eligible."""
    # the cohort is recruited among the citizens there when the contract starts (``recruited``'s
    # length); newcomers who enter later are not referred to it
    ok = _eligible(model, terms)[:recruited.size] & model.population.alive[:recruited.size]
    candidates = np.flatnonzero(ok & (recruited < 0))
    first_eligible[candidates[first_eligible[candidates] < 0]] = month
    open_places = terms.cohort_size - int((recruited >= 0).sum())
    quota = min(candidates.size, math.ceil(open_places / (terms.recruitment_months - month + 1)))
    if quota <= 0:
        return candidates[:0]
    tiebreak = model.streams.generator("contract.cohort", month).random(model.population.n)[candidates]
    if terms.referral == "open":
        order = np.argsort(tiebreak, kind="stable")
    else:  # the provider takes those it expects to succeed: fewest problems, least complex
        pop = model.population
        order = np.lexsort((tiebreak, problems(pop, candidates) + pop.complexity[candidates]))
    return np.sort(candidates[order[:quota]])


def simulate(params: Parameters, seed: Any = 0) -> ContractRun:
    """One replication of the contract in ``params``: the contract arm and its
    counterfactual (``model.pairing.PairedModel``: same parameters, same seed, levels
    recorded in both) stepped together to the horizon. Before each month's step a hook
    recruits that month's cohort members and enrols them in the contract arm only; after
    it, a hook counts the participants still in the contract's course."""
    terms = ContractTerms.from_params(params)
    pair = PairedModel(params, params, seed=seed, history=ARMS)
    contract = pair.scenario
    n = contract.population.n
    services = contract.services
    k = services.index[terms.service]
    base_places = int(services.places[k])
    recruited = np.full(n, -1, dtype=np.int64)
    first_eligible = np.full(n, -1, dtype=np.int64)
    in_course = np.zeros(n, dtype=bool)
    participants = np.zeros(terms.horizon + 1, dtype=np.int64)
    ledger = contract.ledger
    cols = [i for i, (_, c) in enumerate(ledger.accounts) if c in SERVICE_CATEGORIES[terms.service]]
    budget_of = [BUDGETS.index(ledger.accounts[i][0]) for i in cols]
    before = ledger.citizen_total[cols, :n].copy()  # the citizens at the start (``_recruit``)
    booked = np.zeros((terms.horizon + 1, len(BUDGETS)))

    def recruit(pair: PairedModel) -> None:
        month = pair.month
        if month <= terms.recruitment_months:
            new = _recruit(contract, terms, month, recruited, first_eligible)
            if new.size:
                services.enroll(terms.service, new, contract.population)
                recruited[new] = month
                in_course[new] = True
        if base_places > 0:  # the provider's places come on top of the kommune's own
            services.places[k] = base_places + int(in_course.sum())

    def count(pair: PairedModel) -> None:
        month = pair.month - 1  # the month just stepped, counted from 0 as in ``recruit``
        # still in the contract's course: enrolled without a break since recruitment
        in_course[:] = in_course & services.enrolled[k, :n] & (services.months_enrolled[k, :n] == month + 1 - recruited)
        participants[month + 1] = int(in_course.sum())
        now = ledger.citizen_total[cols, :n]
        for j, amount in zip(budget_of, (now - before)[:, in_course].sum(axis=1)):
            booked[month + 1, j] += amount
        before[:] = now

    pair.before_step.append(recruit)
    pair.after_step.append(count)
    pair.run_for(terms.horizon)
    return ContractRun(terms, pair, recruited, first_eligible, participants, booked)


def _replication(job: tuple[Parameters, Any]) -> ContractReplication:
    params, seed = job
    return simulate(params, seed).summary()


# -- over replications ----------------------------------------------------------------------
@dataclass
class ContractResult:
    """A contract scenario over replications: per-replication metrics, cash flows and the
    distributions, with ``report()`` for the terminal."""

    scenario: str
    description: str
    terms: ContractTerms
    seed: int
    metrics: pd.DataFrame  # one row per replication
    flows: pd.DataFrame  # tidy: replication, month, party, amount
    outcomes: pd.DataFrame  # per replication and outcome
    payments: pd.DataFrame  # every payment, with its replication
    runs: list[ContractReplication] = field(repr=False, default_factory=list)

    @property
    def replications(self) -> int:
        return len(self.metrics)

    def monthly(self) -> pd.DataFrame:
        """Per month and party: p10 / median / p90 over replications."""
        g = self.flows.groupby(["month", "party"], sort=False)["amount"]
        out = pd.concat({name: g.quantile(q / 100) for name, q in PERCENTILES.items()}, axis=1)
        return out.reset_index()

    def yearly(self) -> pd.DataFrame:
        """Median over replications of each party's flows per contract year (year 0 =
        month 0, year y = months 12y-11 .. 12y), with the total and the public NPV."""
        f = self.flows.assign(year=(self.flows["month"] + 11) // 12)
        per = f.groupby(["replication", "year", "party"])["amount"].sum().unstack("party")
        cols = [c for c in (*PARTIES, *DETAILS) if c in per.columns]
        table = per.groupby(level="year")[cols].median()
        totals = per.groupby(level="replication")[cols].sum().median()
        table.loc["total"] = totals
        return table

    def distributions(self) -> pd.DataFrame:
        """Per metric: p10 / median / p90 / mean over replications (NaN-aware)."""
        m = self.metrics.drop(columns=["replication"]).astype(float)
        rows = {}
        for col in m.columns:
            v = m[col].dropna().to_numpy()
            rows[col] = {**{name: (float(np.percentile(v, q)) if v.size else math.nan) for name, q in PERCENTILES.items()},
                         "mean": float(v.mean()) if v.size else math.nan, "n": int(v.size)}
        return pd.DataFrame(rows).T.rename_axis("metric")

    @property
    def loss_probability(self) -> float:
        return float(self.metrics["investor_loss"].mean())

    def report(self) -> str:
        d = self.distributions()
        lines = [f"Contract scenario: {self.scenario} ({self.replications} replications, seed {self.seed})"]
        if self.description:
            lines.append("  " + " ".join(self.description.split()))
        lines += ["  " + s for s in self.terms.describe()]
        lines += ["", "Cash flows per party and contract year, DKK m, median over replications "
                      "(+ = money in; year 0 = month 0):"]
        y = self.yearly() / 1e6
        lines.append(y.to_string(float_format=lambda v: f"{v:,.2f}"))
        lines += ["", "Distributions over replications:           p10      median         p90"]

        def row(label: str, metric: str, fmt) -> str:
            r = d.loc[metric]
            return f"  {label:<38}{fmt(r['p10']):>10}  {fmt(r['median']):>10}  {fmt(r['p90']):>10}"

        pct = lambda v: "n/a" if pd.isna(v) else f"{v:.1%}"  # noqa: E731
        mio = lambda v: "n/a" if pd.isna(v) else f"{v / 1e6:,.2f}m"  # noqa: E731
        num = lambda v: "n/a" if pd.isna(v) else f"{v:,.2f}"  # noqa: E731
        lines += [row("investor IRR (a year)", "investor_irr", pct),
                  row("investor multiple", "investor_multiple", num),
                  row("investor net (DKK)", "investor_net", mio),
                  f"  {'P(investor loses money)':<38}{'':>10}  {self.loss_probability:>10.0%}",
                  *([f"  {'  without the first-loss guarantee':<38}{'':>10}  "
                     f"{self.metrics['investor_loss_before_guarantee'].mean():>10.0%}",
                     row("  guarantee paid out (DKK)", "guarantee_used", mio)] if self.terms.guarantee > 0 else []),
                  row("outcome payments (DKK)", "outcome_payments", mio),
                  row("deadweight share of payments", "deadweight_share", pct),
                  *([row("  per member (also in counterfactual)", "member_deadweight_share", pct)]
                    if self.terms.baseline == "none" else []),
                  row("creaming index (SD of complexity)", "creaming_index", num),
                  row(f"payer ({self.terms.payer}) own budget net", "payer_own_net", mio),
                  row("whole public purse net", "public_purse_net", mio),
                  *[row(f"{b} net", f"{b}_net", mio) for b in BUDGETS if b != self.terms.payer],
                  row("provider net", "provider_net", mio)]
        o = self.outcomes.groupby("outcome", sort=False).median(numeric_only=True)
        lines += ["", "Outcomes, median over replications (cohort rates from recruitment; left out from first eligibility):"]
        labels = {t.name: t.label for t in self.terms.outcomes}
        for name, r in o.iterrows():
            left = ("nobody eligible was left out" if not r["left_out"] > 0
                    else f"left out {r['left_out_rate']:.0%} of {r['left_out']:.0f}")
            lines.append(f"  {labels[name]}: served {r['served_rate']:.0%} "
                         f"(counterfactual {r['served_rate_counterfactual']:.0%}), paid {r['paid']:.0f} of "
                         f"{r['achieved']:.0f} achieved; {left}")
        lines.append(f"  cohort {self.metrics['cohort'].median():.0f} of {self.metrics['eligible'].median():.0f} eligible; "
                     f"complexity served {d.loc['complexity_served', 'median']:+.2f} vs eligible "
                     f"{d.loc['complexity_eligible', 'median']:+.2f}")
        return "\n".join(lines)


def run_replications(scenario: str | Any, replications: int = 10, seed: int = 0, *,
                     executor: Executor | None = None, overrides: dict[str, Any] | None = None,
                     progress: Callable[[int, int], None] | None = None) -> ContractResult:
    """The contract scenario over ``replications`` seeds ``SeedSequence(seed).spawn(n)``,
    serially or on ``executor`` (results do not depend on it); ``progress(done,
    replications)`` is called as each replication finishes (as ``model.compare.compare``)."""
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    params = Parameters.load(scenario)
    if overrides:
        params = params.with_overrides(overrides, origin="--set")
    terms = ContractTerms.from_params(params)
    jobs = [(params, s) for s in np.random.SeedSequence(seed).spawn(replications)]
    runs = run_all(_replication, jobs, executor, progress)
    metrics = pd.DataFrame([{"replication": r, **run.metrics} for r, run in enumerate(runs)])
    flows = pd.concat([run.flows.rename_axis(columns="party").stack().rename("amount").reset_index().assign(replication=r)
                       for r, run in enumerate(runs)], ignore_index=True)[["replication", "month", "party", "amount"]]
    outcomes = pd.concat([run.outcomes.reset_index().assign(replication=r) for r, run in enumerate(runs)],
                         ignore_index=True)
    payments = pd.concat([run.payments.assign(replication=r) for r, run in enumerate(runs)], ignore_index=True)
    return ContractResult(scenario=params.name, description=params.description, terms=terms, seed=seed,
                          metrics=metrics, flows=flows, outcomes=outcomes, payments=payments, runs=runs)
