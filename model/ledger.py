"""The public ledger: every krone of every citizen-month, in exactly one account.

An account is a (budget holder, category) pair; budget holders are kommune, region and
stat. Amounts are net public cost: positive is spending, negative is revenue (taxes paid
by citizens in work). Costs of consequences are booked as *expected* cost (events per
month x price) so the ledger adds no randomness of its own.

Who pays for what (Danish rules, simplified):

| category | budget | booked for |
|---|---|---|
| each service (``addiction_treatment``, ``psychiatry``, ...) | the service's owner, or the funding split for interventions | each enrolled citizen-month x price |
| ``psychiatric_bed_days``, ``psychiatric_emergency`` | region | untreated / treated mental illness |
| ``police`` | stat | active use, rough sleeping |
| ``kontanthjaelp`` / ``kontanthjaelp_refund`` | kommune / stat | each month on benefits, split by the state refund share |
| ``outside_benefit`` / ``outside_benefit_refund`` | kommune / stat | each month outside the labour force |
| ``tax_revenue`` | kommune and stat | each month employed (negative) |

Wellbeing (a quality-of-life index per citizen-month) is kept beside the money in
``wellbeing_mean`` and ``citizen_qaly`` and never added to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.states import LEVELS, Domain, Employment, Housing, Mental, Substance
from model.params import Parameters
from model.services import BUDGETS, CATALOGUE, KOMMUNE, REGION, STAT

if TYPE_CHECKING:
    from model.welfare_model import WelfareModel

#: Above this many citizens the per-citizen monthly detail is not kept (memory); the
#: per-citizen totals by account always are.
CITIZEN_DETAIL_MAX = 20_000

CONSEQUENCES: tuple[tuple[str, str], ...] = (
    (REGION, "psychiatric_bed_days"),
    (REGION, "psychiatric_emergency"),
    (STAT, "police"),
    (KOMMUNE, "kontanthjaelp"),
    (STAT, "kontanthjaelp_refund"),
    (KOMMUNE, "outside_benefit"),
    (STAT, "outside_benefit_refund"),
    (KOMMUNE, "tax_revenue"),
    (STAT, "tax_revenue"),
)


def accounts() -> list[tuple[str, str]]:
    """Every account, in a fixed order that does not depend on the scenario."""
    out = []
    for s in CATALOGUE:
        for b in (BUDGETS if s.intervention else (s.budget,)):
            out.append((b, s.name))
    return out + list(CONSEQUENCES)


#: category -> "intervention" (discretionary investment), "service" or "consequence"
CATEGORY_KIND: dict[str, str] = {
    **{s.name: ("intervention" if s.intervention else "service") for s in CATALOGUE},
    **{c: "consequence" for _, c in CONSEQUENCES},
}


class Ledger:
    """Money per month and account, and per citizen; wellbeing beside it."""

    def __init__(self, params: Parameters, n: int, shares: dict[str, dict[str, float]] | None = None):
        """``shares``: who pays each intervention (``FundingPlan.shares``: the funding rule
        applied); a service not named there is paid in full by its owner."""
        self.params = params
        self.accounts = accounts()
        self.account_index = {a: i for i, a in enumerate(self.accounts)}
        self.n = n
        self.monthly: list[np.ndarray] = []
        self.citizen_total = np.zeros((len(self.accounts), n))
        self.detail = n <= CITIZEN_DETAIL_MAX
        #: per month, net cost per budget holder per citizen (only when ``detail``)
        self.citizen_monthly: list[np.ndarray] = []
        self.wellbeing_mean: list[float] = []
        self.citizen_qaly = np.zeros(n)
        self._shares = {s.name: (shares or {}).get(s.name, {s.budget: 1.0}) for s in CATALOGUE}
        self._budget_of = np.array([BUDGETS.index(b) for b, _ in self.accounts])
        self._qol_weights = [(d, int(lv), params[f"wellbeing.{d.name.lower()}_{lv.name.lower()}"])
                             for d in Domain for lv in LEVELS[d]
                             if f"wellbeing.{d.name.lower()}_{lv.name.lower()}" in params]

    def shares(self, service: str) -> dict[str, float]:
        """Who pays for ``service`` in this ledger: budget holder -> share (sums to 1)."""
        return dict(self._shares[service])

    def book_month(self, model: WelfareModel) -> None:
        """Book the month that just ended, from the state after the month's moves."""
        pop, services, p = model.population, model.services, self.params
        month = np.zeros(len(self.accounts))
        by_budget = np.zeros((len(BUDGETS), self.n), dtype=np.float32) if self.detail else None

        def book(budget: str, category: str, amounts: np.ndarray) -> None:
            a = self.account_index[(budget, category)]
            self.citizen_total[a] += amounts
            month[a] += amounts.sum()
            if by_budget is not None:
                by_budget[self._budget_of[a]] += amounts

        for k, spec in enumerate(services.specs):
            enrolled = services.enrolled[k]
            if not enrolled.any() or services.price[k] == 0:
                continue
            cost = enrolled * services.price[k]
            for budget, share in self._shares[spec.name].items():
                book(budget, spec.name, cost * share)

        lv = pop.levels
        untreated = lv[Domain.MENTAL] == Mental.UNTREATED
        treated = lv[Domain.MENTAL] == Mental.TREATMENT
        street = lv[Domain.HOUSING] == Housing.STREET
        using = lv[Domain.SUBSTANCE] == Substance.PROBLEMATIC
        ill = lv[Domain.MENTAL] != Mental.WELL
        book(REGION, "psychiatric_bed_days", (p["events.bed_days_untreated"] * untreated
                                              + p["events.bed_days_street_extra"] * (street & ill)) * p["prices.psychiatric_bed_day"])
        book(REGION, "psychiatric_emergency", (p["events.emergency_contacts_untreated"] * untreated
                                               + p["events.emergency_contacts_treatment"] * treated) * p["prices.psychiatric_emergency_contact"])
        book(STAT, "police", (p["events.police_incidents_problematic"] * using
                              + p["events.police_incidents_street"] * street) * p["prices.police_incident"])
        benefits = (lv[Domain.EMPLOYMENT] == Employment.BENEFITS) * p["prices.kontanthjaelp"]
        refund = p["prices.kontanthjaelp_state_refund"]
        book(KOMMUNE, "kontanthjaelp", benefits * (1 - refund))
        book(STAT, "kontanthjaelp_refund", benefits * refund)
        outside = (lv[Domain.EMPLOYMENT] == Employment.OUTSIDE) * p["prices.outside_benefit"]
        refund = p["prices.outside_benefit_state_refund"]
        book(KOMMUNE, "outside_benefit", outside * (1 - refund))
        book(STAT, "outside_benefit_refund", outside * refund)
        tax = (lv[Domain.EMPLOYMENT] == Employment.EMPLOYED) * -p["prices.tax_revenue_employed"]
        share = p["prices.tax_revenue_kommune_share"]
        book(KOMMUNE, "tax_revenue", tax * share)
        book(STAT, "tax_revenue", tax * (1 - share))

        self.monthly.append(month)
        if by_budget is not None:
            self.citizen_monthly.append(by_budget)
        qol = np.full(self.n, p["wellbeing.base"])
        for d, level, w in self._qol_weights:
            qol += w * (lv[d] == level)
        qol = np.clip(qol, 0.0, 1.0)
        self.wellbeing_mean.append(float(qol.mean()))
        self.citizen_qaly += qol / 12.0

    # -- tables -----------------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        """Tidy: one row per month, budget holder and category, with the amount (DKK)."""
        if not self.monthly:
            return pd.DataFrame(columns=["month", "budget", "category", "amount"])
        values = np.stack(self.monthly)
        months = np.arange(1, len(self.monthly) + 1)
        idx = pd.MultiIndex.from_tuples(self.accounts, names=["budget", "category"])
        wide = pd.DataFrame(values, index=pd.Index(months, name="month"), columns=idx)
        return wide.stack(["budget", "category"], future_stack=True).rename("amount").reset_index()

    def by_budget(self) -> pd.DataFrame:
        """Net public cost per month (rows) and budget holder (columns)."""
        values = np.stack(self.monthly) if self.monthly else np.zeros((0, len(self.accounts)))
        out = pd.DataFrame(0.0, index=pd.RangeIndex(1, len(self.monthly) + 1, name="month"), columns=list(BUDGETS))
        for a, (b, _) in enumerate(self.accounts):
            out[b] += values[:, a]
        return out

    def citizen_frame(self) -> pd.DataFrame:
        """Per citizen, total net public cost by budget holder and category (columns)."""
        idx = pd.MultiIndex.from_tuples(self.accounts, names=["budget", "category"])
        return pd.DataFrame(self.citizen_total.T, columns=idx).rename_axis("citizen")

    def citizen_costs(self, citizen: int) -> pd.DataFrame:
        """One citizen's net public cost per month by budget holder (needs ``detail``)."""
        if not self.detail:
            raise ValueError(f"per-citizen monthly detail is kept only up to {CITIZEN_DETAIL_MAX:,} citizens")
        data = np.stack([m[:, citizen] for m in self.citizen_monthly]) if self.citizen_monthly else np.zeros((0, 3))
        return pd.DataFrame(data, columns=list(BUDGETS), index=pd.RangeIndex(1, len(data) + 1, name="month"))
