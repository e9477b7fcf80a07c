"""The public ledger: every krone of every citizen-month, in exactly one account.

An account is a (budget holder, category) pair; budget holders are kommune, region and
stat. Amounts are net public cost: positive is spending, negative is revenue (taxes paid
by citizens in work). Costs of consequences are booked as *expected* cost (events per
month x price) so the ledger adds no randomness of its own. All amounts are in base-year
prices (``prices.base_year``, :attr:`Ledger.price_year`): every price is read through
``Parameters``, which converts it with the net price index (``model/params.py``).

Who pays for what (Danish rules, simplified; the refund rules are data by law vintage in
``model/financing.py``, chosen by ``financing.rules``; sources in docs/money.md):

| category | budget | kind | booked for |
|---|---|---|---|
| each service (``addiction_treatment``, ``psychiatry``, ...) | the service's owner, or the funding split for interventions, after the law's refund | service / intervention | each enrolled citizen-month x price |
| ``shelter`` / ``shelter_refund`` | kommune / stat | service | occupied §110 places (the average price, SØM's convention); the state refunds 50%: pre2023 always, 2023 the first 120 days per running year per citizen, 2026 the first 90 |
| ``shelter_vacant`` | kommune | service | funded places left empty (``ServiceSystem.places`` - enrolled, each month) x price, spread evenly over the cohort (it belongs to no citizen); so ``shelter`` + ``shelter_refund`` + ``shelter_vacant`` = places x price, what capacity costs |
| ``housing_first_refund`` | stat | intervention | §176a (2023, 2026): 50% of Housing First support for 24 months after the discharge from a shelter (support decided before it); pre2023: 0 |
| ``psychiatric_bed_days``, ``psychiatric_emergency`` | region | consequence | untreated / treated mental illness |
| ``somatic_admissions``, ``emergency_department``, ``gp_and_medicine`` | region | consequence | base rate x ratios for homelessness, problematic use, untreated illness (``[health]``) x price |
| ``police`` | stat | consequence | active use, rough sleeping |
| ``kontanthjaelp`` / ``kontanthjaelp_refund`` | kommune / stat | consequence | each month on benefits, split by the refund ladder (80/40/30/20%) on the months in the benefits spell |
| ``outside_benefit`` / ``outside_benefit_refund`` | kommune / stat | consequence | each month outside the labour force (flat refund share) |
| ``housing_benefit`` | kommune and stat, 50/50 | consequence | boligsikring: 15% of the rent (the cap for a household without children) for each month in one's own home on benefits or outside the labour force; the rent itself is the citizen's, not public |
| ``tax_revenue`` | kommune and stat | consequence | each month employed (negative) |
| ``placement_foster`` / ``placement_institution`` | kommune | consequence | each child-month in a foster family / an institution (``model/children.py``), on the parent's row |
| ``child_preventive`` | kommune | service | each child-month with a preventive measure |
| ``family_therapy``, ``family_addiction``, ``children_of_prisoners`` | the programme's ``budget`` | intervention | each child-month enrolled in a family programme |

Order for a service with a refund: **the law's refund first** (to the state, in its
``*_refund`` category), **then the funding rule** (``governance.funding``: own, pooled,
state co-investment; the ``shares`` given to :class:`Ledger`) splits what remains in the
service's own category. Kommunal medfinansiering of health care is not booked: frozen
since 2019 (it no longer follows activity) and abolished by the 2024 health reform.

Wellbeing (a quality-of-life index per citizen-month) is kept beside the money in
``wellbeing_mean`` and ``citizen_qaly`` and never added to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.states import HOMELESS, LEVELS, Domain, Employment, Housing, Mental, Substance, in_levels
from model.children import PLACEMENT_ACCOUNTS, PREVENTIVE_ACCOUNT, PROGRAMMES
from model import kernels
from model.financing import DAYS_PER_MONTH, Financing, ladder_share, rules_for
from model.params import Parameters
from model.population import take_rows, zeros_with_room
from model.services import BUDGETS, CATALOGUE, KOMMUNE, REGION, STAT

if TYPE_CHECKING:
    from model.welfare_model import WelfareModel

#: Above this many citizens the per-citizen monthly detail is not kept (memory); the
#: per-citizen totals by account always are.
CITIZEN_DETAIL_MAX = 20_000

#: Accounts that belong to a service beside its own: booked right after it
SERVICE_EXTRAS: dict[str, tuple[tuple[str, str], ...]] = {
    "shelter": ((KOMMUNE, "shelter_vacant"), (STAT, "shelter_refund")),
    "housing_first": ((STAT, "housing_first_refund"),),
}
#: the law's refund categories and the service each refunds
REFUND_OF: dict[str, str] = {"shelter_refund": "shelter", "housing_first_refund": "housing_first"}
#: Regional somatic health accounts (``[health]`` in baseline.toml)
HEALTH: tuple[str, ...] = ("somatic_admissions", "emergency_department", "gp_and_medicine")

CONSEQUENCES: tuple[tuple[str, str], ...] = (
    (REGION, "psychiatric_bed_days"),
    (REGION, "psychiatric_emergency"),
    *((REGION, c) for c in HEALTH),
    (STAT, "police"),
    (KOMMUNE, "kontanthjaelp"),
    (STAT, "kontanthjaelp_refund"),
    (KOMMUNE, "outside_benefit"),
    (STAT, "outside_benefit_refund"),
    (KOMMUNE, "housing_benefit"),
    (STAT, "housing_benefit"),
    (KOMMUNE, "tax_revenue"),
    (STAT, "tax_revenue"),
)


#: Children's accounts (``model/children.py``): placements are consequences (a placement
#: avoided is a return), preventive measures the kommune's service, family programmes
#: interventions on any budget holder
CHILD_CONSEQUENCES: tuple[tuple[str, str], ...] = tuple((KOMMUNE, c) for c in PLACEMENT_ACCOUNTS)
CHILD_SERVICES: tuple[tuple[str, str], ...] = ((KOMMUNE, PREVENTIVE_ACCOUNT),)
CHILD_PROGRAMMES: tuple[tuple[str, str], ...] = tuple((b, name) for name in PROGRAMMES for b in BUDGETS)


def accounts() -> list[tuple[str, str]]:
    """Every account, in a fixed order that does not depend on the scenario."""
    out = []
    for s in CATALOGUE:
        for b in (BUDGETS if s.intervention else (s.budget,)):
            out.append((b, s.name))
        out.extend(SERVICE_EXTRAS.get(s.name, ()))
    return out + list(CONSEQUENCES) + list(CHILD_CONSEQUENCES) + list(CHILD_SERVICES) + list(CHILD_PROGRAMMES)


#: category -> "intervention" (discretionary investment), "service" or "consequence"
CATEGORY_KIND: dict[str, str] = {
    **{s.name: ("intervention" if s.intervention else "service") for s in CATALOGUE},
    **{c: ("intervention" if s.intervention else "service") for s in CATALOGUE for _, c in SERVICE_EXTRAS.get(s.name, ())},
    **{c: "consequence" for _, c in CONSEQUENCES},
    **{c: "consequence" for _, c in CHILD_CONSEQUENCES},
    **{c: "service" for _, c in CHILD_SERVICES},
    **{c: "intervention" for _, c in CHILD_PROGRAMMES},
}

#: service -> every category its cost is booked in (its own, empty places, the law's refund)
SERVICE_CATEGORIES: dict[str, tuple[str, ...]] = {
    s.name: (s.name, *(c for _, c in SERVICE_EXTRAS.get(s.name, ()))) for s in CATALOGUE}

#: levels per domain, in ``Domain`` order: a citizen's profile is
#: ``np.ravel_multi_index(levels, LEVEL_COUNTS)``
LEVEL_COUNTS: tuple[int, ...] = tuple(len(LEVELS[d]) for d in Domain)


def _profiles(steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Every combination of levels (domains x profiles, in ``ravel_multi_index`` order),
    each repeated for months 1 to ``steps`` of the employment spell: profile ``k``, month
    ``m`` is column ``k * steps + m - 1``."""
    levels = np.stack(np.unravel_index(np.arange(int(np.prod(LEVEL_COUNTS))), LEVEL_COUNTS)).astype(np.int8)
    return np.repeat(levels, steps, axis=1), np.tile(np.arange(1, steps + 1), levels.shape[1])


#: a month index no running year can start at
_NEVER = -(10 ** 6)


class RefundClocks:
    """The per-citizen state the law's refunds need; the ledger's own, updated once a month.

    * §110: the month the citizen's running year began and the shelter days used in it
      (a running year starts at a month in a shelter when none is running; 12 months);
    * §176a: the month of the first discharge from a shelter during the citizen's current
      Housing First course (-1: none; reset when the course ends).
    """

    def __init__(self, n: int):
        # months as int32 (a month index, or _NEVER): 8 MB less at a million citizens
        self.year_start = np.full(n, _NEVER, dtype=np.int32)
        self.days_used = np.zeros(n)
        self.in_shelter: np.ndarray | None = None  # last month's shelter enrolment
        self.hf_discharge = np.full(n, -1, dtype=np.int32)

    def grow(self, n: int) -> None:
        """Room for newcomers: no running year, no discharge, not in a shelter last month."""
        from model.population import extend

        self.year_start = extend(self.year_start, n, _NEVER)
        self.days_used = extend(self.days_used, n, 0.0)
        if self.in_shelter is not None:
            self.in_shelter = extend(self.in_shelter, n, False)
        self.hf_discharge = extend(self.hf_discharge, n, -1)

    def start(self, month: int, prior_months: np.ndarray) -> None:
        """Before the first month: ``prior_months`` = months each citizen had already spent
        in the shelter when this month began (0 if not there). Those there have used the
        part of their current running year their stay so far implies."""
        prior = np.asarray(prior_months, dtype=np.int64)
        there = prior >= 1
        used = prior % 12
        self.year_start[there] = month - used[there]
        self.days_used[there] = used[there] * DAYS_PER_MONTH
        self.in_shelter = there

    def shelter(self, month: int, in_shelter: np.ndarray, limit_days: float | None) -> tuple[np.ndarray, np.ndarray]:
        """This month: (share of each citizen's shelter month the state refunds, who left a
        shelter). Advances the running years and the days used."""
        left = self.in_shelter & ~in_shelter
        self.in_shelter = in_shelter.copy()
        new_year = in_shelter & (month - self.year_start >= 12)
        self.year_start[new_year] = month
        self.days_used[new_year] = 0.0
        if limit_days is None:
            share = in_shelter.astype(float)
        else:
            share = np.clip(limit_days - self.days_used, 0.0, DAYS_PER_MONTH) / DAYS_PER_MONTH * in_shelter
        self.days_used[in_shelter] += DAYS_PER_MONTH
        return share, left

    def housing_first(self, month: int, enrolled: np.ndarray, left_shelter: np.ndarray, months: int) -> np.ndarray:
        """This month: whose Housing First support is within ``months`` of the first discharge
        from a shelter during the course (support decided, i.e. enrolled, before it)."""
        self.hf_discharge[~enrolled] = -1
        first = enrolled & left_shelter & (self.hf_discharge < 0)
        self.hf_discharge[first] = month
        return enrolled & (self.hf_discharge >= 0) & (month - self.hf_discharge < months)


class Ledger:
    """Money per month and account, and per citizen; wellbeing beside it."""

    def __init__(self, params: Parameters, n: int, shares: dict[str, dict[str, float]] | None = None):
        """``shares``: who pays each intervention (``FundingPlan.shares``: the funding rule
        applied); a service not named there is paid in full by its owner. The funding rule
        splits what remains after the law's refund (``model/financing.py``)."""
        self.params = params
        self.accounts = accounts()
        self.account_index = {a: i for i, a in enumerate(self.accounts)}
        self.n = n
        self.monthly: list[np.ndarray] = []
        self.citizen_total = zeros_with_room((len(self.accounts), n))
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
        #: the base year of every amount in this ledger (``prices.base_year``)
        self.price_year: int | None = params.price_year()
        #: the law vintage whose refund rules this ledger applies (``financing.rules``)
        self.financing: Financing = rules_for(params)
        self.clocks = RefundClocks(n)
        # the kontanthjælp refund share by month of the benefits spell (1..13; 13+ = after a year)
        self._ladder = ladder_share(np.arange(14), self.financing.benefit_ladder)
        # expected somatic cost per citizen-month by (homeless, problematic use, untreated
        # illness), indexed 4 h + 2 p + u: base x price x the ratios that apply
        self._health = {}
        for c in HEALTH:
            r_h, r_p, r_u = (params[f"health.{c}.ratio.{r}"] for r in ("homeless", "problematic", "untreated"))
            self._health[c] = params[f"health.{c}.base"] * params[f"health.{c}.price"] * np.array(
                [(r_h if h else 1.0) * (r_p if u_ else 1.0) * (r_u if v else 1.0)
                 for h in (0, 1) for u_ in (0, 1) for v in (0, 1)])
        # every profile's consequences and wellbeing, looked up per citizen each month
        profiles, months = _profiles(self._ladder.size - 1)
        units = self._consequences(profiles, months)
        #: the consequence accounts (indices) and their amounts per profile (``unit_costs``)
        self._unit_accounts = np.array([self.account_index[(b, c)] for b, c, _ in units], dtype=np.int64)
        self._unit_matrix = np.stack([unit for *_, unit in units])
        self._unit_wellbeing = self._wellbeing(profiles[:, ::self._ladder.size - 1])
        self._level_counts = np.array(LEVEL_COUNTS, dtype=np.int64)
        #: booking compiled (``model/kernels/ledger.py``, the same bits) unless the numpy
        #: engine is chosen (``model/kernels/__init__.py``)
        self._compiled = kernels.compiled()

    def _consequences(self, lv: np.ndarray, months_employment: np.ndarray) -> list[tuple[str, str, np.ndarray]]:
        """The month's consequences, (budget, category, amount per citizen), for citizens
        in the levels ``lv`` (domains x citizens) with ``months_employment`` months in
        their employment level: the money rules of the consequences, written once. They
        are evaluated at set-up on every combination of levels and months on the refund
        ladder (``unit_costs``, ~9,000 profiles), and each month a citizen's amounts
        are looked up by profile: element by element the same arithmetic, so the same
        bits as evaluating them for every citizen, without ~40 passes over the living."""
        p, law = self.params, self.financing
        untreated = lv[Domain.MENTAL] == Mental.UNTREATED
        treated = lv[Domain.MENTAL] == Mental.TREATMENT
        street = lv[Domain.HOUSING] == Housing.STREET
        homeless = in_levels(lv[Domain.HOUSING], HOMELESS)
        using = lv[Domain.SUBSTANCE] == Substance.PROBLEMATIC
        ill = lv[Domain.MENTAL] != Mental.WELL
        out = [(REGION, "psychiatric_bed_days", (p["events.bed_days_untreated"] * untreated
                                                 + p["events.bed_days_street_extra"] * (street & ill)) * p["prices.psychiatric_bed_day"]),
               (REGION, "psychiatric_emergency", (p["events.emergency_contacts_untreated"] * untreated
                                                  + p["events.emergency_contacts_treatment"] * treated) * p["prices.psychiatric_emergency_contact"])]
        profile = 4 * homeless + 2 * using + untreated
        for category, cost_by_profile in self._health.items():
            out.append((REGION, category, cost_by_profile[profile]))
        out.append((STAT, "police", (p["events.police_incidents_problematic"] * using
                                     + p["events.police_incidents_street"] * street) * p["prices.police_incident"]))
        on_benefits = lv[Domain.EMPLOYMENT] == Employment.BENEFITS
        benefits = on_benefits * p["prices.kontanthjaelp"]
        refund = self._ladder[np.clip(months_employment, 1, self._ladder.size - 1)]
        out.append((KOMMUNE, "kontanthjaelp", benefits * (1 - refund)))
        out.append((STAT, "kontanthjaelp_refund", benefits * refund))
        outside_labour = lv[Domain.EMPLOYMENT] == Employment.OUTSIDE
        outside = outside_labour * p["prices.outside_benefit"]
        refund = p["prices.outside_benefit_state_refund"]
        out.append((KOMMUNE, "outside_benefit", outside * (1 - refund)))
        out.append((STAT, "outside_benefit_refund", outside * refund))
        housed = (lv[Domain.HOUSING] == Housing.OWN_HOME) & (on_benefits | outside_labour)
        housing_benefit = housed * (law.housing_benefit_max_share_of_rent * p["prices.rent_own_home"])
        out.append((KOMMUNE, "housing_benefit", housing_benefit * (1 - law.housing_benefit_state_share)))
        out.append((STAT, "housing_benefit", housing_benefit * law.housing_benefit_state_share))
        tax = (lv[Domain.EMPLOYMENT] == Employment.EMPLOYED) * -p["prices.tax_revenue_employed"]
        share = p["prices.tax_revenue_kommune_share"]
        out.append((KOMMUNE, "tax_revenue", tax * share))
        out.append((STAT, "tax_revenue", tax * (1 - share)))
        return out

    def _wellbeing(self, lv: np.ndarray) -> np.ndarray:
        """Quality of life (0-1) of a month for citizens in the levels ``lv``, written once;
        looked up by profile like ``_consequences`` (``_unit_wellbeing``)."""
        qol = np.full(lv.shape[1], self.params["wellbeing.base"])
        for d, level, w in self._qol_weights:
            qol += w * (lv[d] == level)
        return np.clip(qol, 0.0, 1.0)

    def unit_costs(self) -> pd.DataFrame:
        """What a month in each profile costs: one row per combination of levels (and
        month of the benefits spell, 1-13: 13 = after a year), one column per
        consequence account, DKK per citizen-month in base-year prices."""
        profiles, months = _profiles(self._ladder.size - 1)
        index = pd.MultiIndex.from_arrays(
            [*(np.array([lv.name.lower() for lv in LEVELS[d]])[profiles[d]] for d in Domain), months],
            names=[*(d.name.lower() for d in Domain), "month_of_benefits_spell"])
        columns = pd.MultiIndex.from_tuples([self.accounts[a] for a in self._unit_accounts], names=["budget", "category"])
        return pd.DataFrame(self._unit_matrix.T, index=index, columns=columns)

    def shares(self, service: str) -> dict[str, float]:
        """Who pays for ``service`` in this ledger: budget holder -> share (sums to 1) of
        what remains after the law's refund (``model/financing.py``)."""
        return dict(self._shares[service])

    def book_month(self, model: WelfareModel) -> None:
        """Book the month that just ended, from the state after the month's moves."""
        pop, services, law = model.population, model.services, self.financing
        month = np.zeros(len(self.accounts))
        by_budget = np.zeros((len(BUDGETS), self.n), dtype=np.float32) if self.detail else None
        # Only the living are booked: the dead, those who left and the grown-up children
        # outside the target group cost nothing (services have already let them go), so
        # amounts are computed for the citizens who have them: a service's for its
        # enrolled (a few hundred of 100,000), the empty shelter places' for the living
        # rows (``PopulationState.step_rows``; None: everyone), added at their rows, the
        # month's total their sum in row order; the consequences' by profile
        # (``_book_profiles``).
        rows = pop.step_rows()
        n_rows = self.n if rows is None else rows.size

        def book(budget: str, category: str, amounts: np.ndarray, who: np.ndarray | None) -> None:
            """Book ``amounts`` in an account, one per citizen of ``who`` (ascending rows;
            None: every row)."""
            a = self.account_index[(budget, category)]
            month[a] += amounts.sum()
            at = (slice(None),) if who is None else (who,)
            self.citizen_total[(a, *at)] += amounts
            if by_budget is not None:
                by_budget[(self._budget_of[a], *at)] += amounts

        # the law's clocks: §110 running years, discharges, §176a periods
        t = len(self.monthly) + 1
        k_shelter, k_hf = services.index["shelter"], services.index["housing_first"]
        in_shelter = services.enrolled[k_shelter]
        if self.clocks.in_shelter is None:
            # months in the shelter before this one: the enrolled have this month counted already
            self.clocks.start(t, services.months_enrolled[k_shelter] - in_shelter)
        shelter_share, left_shelter = self.clocks.shelter(t, in_shelter, law.shelter_refund_days)
        hf_refundable = self.clocks.housing_first(t, services.enrolled[k_hf], left_shelter,
                                                  law.housing_first_refund_months)
        refunds = {"shelter": ("shelter_refund", law.shelter_refund * shelter_share),
                   "housing_first": ("housing_first_refund", law.housing_first_refund * hf_refundable)}

        for k, spec in enumerate(services.specs):
            enrolled, price = services.enrolled[k], services.price[k]
            if price == 0:
                continue
            if spec.name == "shelter" and services.places[k] >= 0:
                vacant = max(0, int(services.places[k]) - int(np.count_nonzero(enrolled)))
                if vacant:
                    book(KOMMUNE, "shelter_vacant", np.full(n_rows, vacant * price / max(n_rows, 1)), rows)
            who = np.flatnonzero(enrolled)
            if who.size == 0:
                continue
            cost = np.full(who.size, price)
            if spec.name in refunds:  # the law's refund first ...
                category, share = refunds[spec.name]
                refund = cost * share[who]
                book(STAT, category, refund, who)
                cost = cost - refund
            for budget, share in self._shares[spec.name].items():  # ... then the funding rule
                book(budget, spec.name, cost * share, who)

        # the consequences and the wellbeing: each citizen's looked up by profile (the
        # tables of ``_consequences`` and ``_wellbeing``); a month's total in an account is
        # each profile's count of citizens times its amount, added up
        counts = self._book_profiles(pop, rows, by_budget)
        for a, unit in zip(self._unit_accounts, self._unit_matrix):
            month[a] += np.sum(counts * unit)

        # children (``model/children.py``): on the parent's row, whether the parent lives or not
        if model.children is not None:
            for budget, category, parents, amounts in model.children.month_costs():
                if parents.size == 0:
                    continue
                a = self.account_index[(budget, category)]
                per_row = np.bincount(parents, weights=amounts, minlength=self.n)
                self.citizen_total[a] += per_row
                month[a] += amounts.sum()
                if by_budget is not None:
                    by_budget[self._budget_of[a]] += per_row

        self.monthly.append(month)
        if by_budget is not None:
            self.citizen_monthly.append(by_budget)
        per_profile = counts.reshape(-1, self._ladder.size - 1).sum(axis=1)
        self.wellbeing_mean.append(float(np.sum(per_profile * self._unit_wellbeing)) / n_rows if n_rows else float("nan"))

    def _book_profiles(self, pop, rows: np.ndarray | None, by_budget: np.ndarray | None) -> np.ndarray:
        """The living's consequences and wellbeing of the month, looked up by the profile of
        their levels and month of the benefits spell, added to their per-citizen totals
        (and ``by_budget``, the monthly detail); returns the number of citizens in each
        profile. Compiled (``model/kernels/ledger.py``, the same bits) unless the numpy
        engine is chosen."""
        steps = self._ladder.size - 1
        counts = np.zeros(len(self._unit_wellbeing) * steps, dtype=np.int64)
        if self._compiled:
            from model.kernels.ledger import book_profiles

            book_profiles(np.arange(self.n) if rows is None else rows, pop.levels, pop.months_in_level[Domain.EMPLOYMENT],
                          self._level_counts, steps, self._unit_matrix, self._unit_accounts, self._budget_of[self._unit_accounts],
                          self._unit_wellbeing, self.citizen_total,
                          by_budget if by_budget is not None else np.zeros((1, 1), np.float32), by_budget is not None,
                          self.citizen_qaly, counts)
            return counts
        profile = np.ravel_multi_index(tuple(take_rows(pop.levels, rows)), LEVEL_COUNTS)
        code = profile * steps + np.clip(take_rows(pop.months_in_level[Domain.EMPLOYMENT], rows), 1, steps) - 1
        full = None if rows is None else np.zeros(self.n)
        for a, unit in zip(self._unit_accounts, self._unit_matrix):
            amounts = unit[code]
            if full is not None:
                full[rows] = amounts
                amounts = full
            self.citizen_total[a] += amounts
            if by_budget is not None:
                by_budget[self._budget_of[a]] += amounts
        qol = self._unit_wellbeing[profile] / 12.0
        if rows is None:
            self.citizen_qaly += qol
        else:
            self.citizen_qaly[rows] += qol
        counts += np.bincount(code, minlength=counts.size)
        return counts

    def grow(self, n: int) -> None:
        """Room for newcomers (``model/demography.py``): citizens ``n`` and up, with no
        money booked yet. The per-citizen monthly detail of earlier months keeps the
        length it had (``citizen_costs`` reads a newcomer's months before entry as 0)."""
        from model.population import extend

        self.n = n
        self.citizen_total = extend(self.citizen_total, n, 0.0)
        self.citizen_qaly = extend(self.citizen_qaly, n, 0.0)
        self.clocks.grow(n)

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

    def citizen_monthly_array(self) -> np.ndarray:
        """The per-citizen monthly detail as one array, months x budgets x citizens (a
        newcomer's months before entry are 0); needs ``detail``."""
        if not self.detail:
            raise ValueError(f"per-citizen monthly detail is kept only up to {CITIZEN_DETAIL_MAX:,} citizens")
        out = np.zeros((len(self.citizen_monthly), len(BUDGETS), self.n), dtype=np.float32)
        for t, m in enumerate(self.citizen_monthly):
            out[t, :, :m.shape[1]] = m
        return out

    def citizen_costs(self, citizen: int) -> pd.DataFrame:
        """One citizen's net public cost per month by budget holder (needs ``detail``)."""
        if not self.detail:
            raise ValueError(f"per-citizen monthly detail is kept only up to {CITIZEN_DETAIL_MAX:,} citizens")
        data = (np.stack([m[:, citizen] if citizen < m.shape[1] else np.zeros(m.shape[0], m.dtype)
                          for m in self.citizen_monthly]) if self.citizen_monthly else np.zeros((0, 3)))
        return pd.DataFrame(data, columns=list(BUDGETS), index=pd.RangeIndex(1, len(data) + 1, name="month"))
