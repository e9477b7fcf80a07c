"""The economics of a paired comparison: discounting, NPV, payback, SØM table, who pays.

Conventions (stated once, used everywhere):

* A *difference* is scenario minus counterfactual net public cost (DKK; positive = the
  scenario costs more). Cash flows are monthly; month 1 is the first simulated month.
* **Investment** of a budget holder = what it spends on the interventions the scenario
  funds: the ledger categories of kind ``"intervention"`` (``model/ledger.py:
  CATEGORY_KIND``: Housing First, CTI, case management, IPS, residential treatment, the
  integrated team), month by month, where the scenario spends more. **Everything else is
  a consequence** and makes up the **return**: less (or more) spent on statutory services
  (shelter, treatment, psychiatry, prison), on benefits, bed-days and police, and more (or
  less) tax revenue. A harmful scenario has no investment and a negative return; extra
  shelter use is never an investment (SØM's convention: the investment is the cost of the
  intervention). **Net benefit** = return - investment = minus the total difference.
* **Cashable vs capacity freed vs average prices.** The ledger books what each budget
  really pays: a shelter's occupied places (``shelter``) *and* its funded places that
  stand empty (``shelter_vacant``, any ``<service>_vacant`` category). A shelter place
  freed by an intervention but still funded moves money from ``shelter`` to
  ``shelter_vacant``: nothing is saved in cash until the kommune closes the place
  (``model/services.py: ServiceSystem._review_capacity``). So per budget holder:

  - **cashable** return = minus the difference in every category, vacant places
    included: what the budget really spends less (places closed, benefits not paid,
    fewer bed-days or prison days booked). ``return`` and ``net`` are cashable;
  - **capacity freed** (not cashable) = the difference in the vacant-place categories:
    place-months freed but still paid (+ = more empty places than the counterfactual);
  - **SØM convention (average prices)**: every occupied place-month saved is valued at
    the average price, as SØM does: ``return_som`` = cashable + capacity freed (the
    difference without the vacant-place categories), ``net_som`` likewise.

  Without a ``<service>_vacant`` category in the ledger the three coincide.
* **Discounting**: the Danish public rate (Finansministeriet, since 2021) of 3.5% a year
  for years 0-35, 2.5% for 36-70 and 1.5% after. Flows in simulation year ``y`` (months
  ``12y+1 .. 12y+12``) are discounted by ``prod_{k<y} 1/(1+r_k)``: year 0 is the
  decision year and is not discounted (as in SØM's yearly table).
* **Payback month**: the first month from which the cumulative undiscounted net benefit
  is >= 0 and stays so to the horizon; ``None`` if it never does. Payback (break-even)
  year = ``ceil(month / 12)``.
* **Who pays / who saves**: rows are investing budgets, columns saving budgets; each
  budget's (cashable) return is attributed to the investors in proportion to their
  investment.
* **Line items**: the difference per budget holder, ledger category and year (``+`` =
  the scenario costs that budget more in that category), which says which categories
  save or cost what (``line_items``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from model.ledger import CATEGORY_KIND
from model.services import BUDGETS

#: (first year the rate no longer applies, annual rate): 3.5% years 0-35, 2.5% 36-70, 1.5% after
DANISH_DISCOUNT_SCHEDULE: tuple[tuple[float, float], ...] = ((36, 0.035), (71, 0.025), (math.inf, 0.015))


def annual_rate(year: int, schedule: Sequence[tuple[float, float]] = DANISH_DISCOUNT_SCHEDULE) -> float:
    for until, rate in schedule:
        if year < until:
            return rate
    raise ValueError(f"no discount rate for year {year}")


def year_factors(n_years: int, schedule=DANISH_DISCOUNT_SCHEDULE) -> np.ndarray:
    """Discount factor of each simulation year (year 0 = 1)."""
    f = np.ones(n_years)
    for y in range(1, n_years):
        f[y] = f[y - 1] / (1.0 + annual_rate(y - 1, schedule))
    return f


def month_factors(months: int, schedule=DANISH_DISCOUNT_SCHEDULE) -> np.ndarray:
    """Discount factor of each month 1..months (all months of a year share its factor)."""
    years = (np.arange(months)) // 12
    return year_factors(int(years.max()) + 1 if months else 0, schedule)[years]


def npv(monthly: np.ndarray, schedule=DANISH_DISCOUNT_SCHEDULE) -> float:
    """Present value of a monthly cash-flow series (month 1 first)."""
    monthly = np.asarray(monthly, dtype=float)
    return float((monthly * month_factors(monthly.size, schedule)).sum())


def payback_month(net_benefit_monthly: np.ndarray) -> int | None:
    """First month from which the cumulative net benefit is >= 0 for good, or None."""
    cum = np.cumsum(np.asarray(net_benefit_monthly, dtype=float))
    if cum.size == 0 or cum[-1] < 0:
        return None
    negative = np.flatnonzero(cum < 0)
    return 1 if negative.size == 0 else int(negative[-1]) + 2


def payback_year(month: int | None) -> int | None:
    return None if month is None else math.ceil(month / 12)


#: The flows' measures per budget holder (``split_difference``), in this order.
MEASURES: tuple[str, ...] = ("investment", "return", "capacity_freed", "return_som", "net", "net_som")
#: Kinds of ledger category counted as investment.
INVESTMENT_KINDS: tuple[str, ...] = ("intervention",)


def is_vacant(category: str) -> bool:
    """A ledger category that books funded places standing empty (``shelter_vacant``):
    the cost of capacity kept, not of use."""
    return str(category).endswith("_vacant")


def category_kind(categories: pd.Series) -> pd.Series:
    """Kind of each ledger category: ``CATEGORY_KIND`` ("intervention", "service",
    "consequence"), ``"vacant"`` for the vacant-place categories; unknown categories raise."""
    categories = pd.Series(categories)
    kind = categories.map(CATEGORY_KIND).where(~categories.map(is_vacant), "vacant")
    if kind.isna().any():
        raise ValueError(f"unknown ledger categories: {sorted(categories[kind.isna()].unique())}")
    return kind


def split_difference(diff: pd.DataFrame) -> pd.DataFrame:
    """From a tidy difference (month, budget, category, amount) to monthly flows per
    budget holder: columns (measure, budget) for every measure in ``MEASURES`` and budget
    in ``BUDGETS`` plus ``total``.

    investment = the positive part of each month's difference in each intervention
    category; return = minus every other difference (cashable, vacant places included);
    capacity_freed = the difference in the vacant-place categories; return_som = return +
    capacity_freed (average prices); net = return - investment; net_som = return_som -
    investment."""
    kind = category_kind(diff["category"]).to_numpy()
    amount = diff["amount"].to_numpy(dtype=float)
    is_investment = np.isin(kind, INVESTMENT_KINDS) & (amount > 0)
    vacant = kind == "vacant"
    d = diff.assign(investment=np.where(is_investment, amount, 0.0), ret=np.where(is_investment, 0.0, -amount),
                    capacity_freed=np.where(vacant, amount, 0.0))
    g = d.groupby(["month", "budget"])[["investment", "ret", "capacity_freed"]].sum().unstack("budget").fillna(0.0)
    g = g.rename(columns={"ret": "return"}, level=0)
    g = g.reindex(columns=pd.MultiIndex.from_product([["investment", "return", "capacity_freed"], list(BUDGETS)]),
                  fill_value=0.0)
    for b in BUDGETS:
        g[("return_som", b)] = g[("return", b)] + g[("capacity_freed", b)]
        g[("net", b)] = g[("return", b)] - g[("investment", b)]
        g[("net_som", b)] = g[("return_som", b)] - g[("investment", b)]
    for m in MEASURES:
        g[(m, "total")] = g[m][list(BUDGETS)].sum(axis=1)
    return g.sort_index(axis=1)


def line_items(diff: pd.DataFrame) -> pd.DataFrame:
    """The difference per budget holder, ledger category and year (DKK, undiscounted;
    ``+`` = the scenario costs more): rows (budget, category) for every account in
    ``diff``, columns the years 1..Y. Year ``y`` is months ``12(y-1)+1 .. 12y``."""
    if diff.empty:
        return pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=["budget", "category"]))
    year = (diff["month"].to_numpy() - 1) // 12 + 1
    out = diff.assign(year=year).groupby(["budget", "category", "year"])["amount"].sum().unstack("year").fillna(0.0)
    out.columns = [int(c) for c in out.columns]
    out.columns.name = "year"
    return out


def break_even_year(net_by_year: Sequence[float]) -> int | None:
    """SØM's break-even year: the first year from whose end the running total of the
    yearly net benefit stays >= 0 to the horizon; None if it never does."""
    cum = np.cumsum(np.asarray(net_by_year, dtype=float))
    if cum.size == 0 or cum[-1] < 0:
        return None
    negative = np.flatnonzero(cum < 0)
    return 1 if negative.size == 0 else int(negative[-1]) + 2


def som_table(flows: pd.DataFrame) -> pd.DataFrame:
    """SØM-style yearly table (undiscounted): for each year and budget holder (and the
    total), investment, return (cashable), capacity freed, return at SØM average prices,
    net and its running total (cashable), net and running total at average prices.
    ``flows`` is ``split_difference``."""
    year = (flows.index.to_numpy() - 1) // 12 + 1
    yearly = flows.groupby(year).sum()
    yearly.index.name = "year"
    rows = []
    for b in (*BUDGETS, "total"):
        part = pd.DataFrame({m: yearly[(m, b)] for m in MEASURES if (m, b) in yearly})
        part["cumulative_net"] = part["net"].cumsum()
        part["cumulative_net_som"] = part["net_som"].cumsum()
        part["budget"] = b
        rows.append(part.reset_index())
    return pd.concat(rows).set_index(["budget", "year"])


def who_pays_matrix(flows: pd.DataFrame) -> pd.DataFrame:
    """Rows: investing budget; columns: saving budget (+ ``total``). Each budget's total
    return is attributed to the investors in proportion to their investment."""
    inv = flows["investment"][list(BUDGETS)].sum()
    ret = flows["return"][list(BUDGETS)].sum()
    total_inv = inv.sum()
    if total_inv <= 0:
        mat = pd.DataFrame(0.0, index=list(BUDGETS), columns=list(BUDGETS))
    else:
        mat = pd.DataFrame(np.outer(inv / total_inv, ret), index=list(BUDGETS), columns=list(BUDGETS))
    mat["total_return"] = mat.sum(axis=1)
    mat.insert(0, "investment", inv)
    mat.index.name = "invested_by"
    mat.columns.name = "saved_in"
    return mat


#: headline columns that are not money (not scaled to a population)
NOT_MONEY: frozenset[str] = frozenset({"bcr", "payback_month", "payback_year", "payback_month_som",
                                       "payback_year_som"})


#: Years at which the headline gives the NPV so far (``npv_year_<y>``; NaN beyond the run):
#: early help to children pays back, if at all, over decades
NPV_HORIZONS: tuple[int, ...] = (10, 20, 30)


def headline(flows: pd.DataFrame) -> pd.DataFrame:
    """Per budget holder and total: investment, return, net (undiscounted and present
    values), benefit-cost ratio and payback month/year, all cashable; the capacity freed
    (present value); NPV and payback at SØM average prices; and the NPV at 10, 20 and 30
    years (``NPV_HORIZONS``; NaN for a horizon beyond the run)."""
    f = month_factors(len(flows))
    out = {}
    for b in (*BUDGETS, "total"):
        inv, ret, net = (flows[(m, b)].to_numpy() for m in ("investment", "return", "net"))
        freed, net_som = flows[("capacity_freed", b)].to_numpy(), flows[("net_som", b)].to_numpy()
        pv_inv, pv_ret, pv_freed = float((inv * f).sum()), float((ret * f).sum()), float((freed * f).sum())
        pm, pm_som = payback_month(net), payback_month(net_som)
        out[b] = {"investment": inv.sum(), "return": ret.sum(), "net": net.sum(),
                  "pv_investment": pv_inv, "pv_return": pv_ret, "npv": pv_ret - pv_inv,
                  "bcr": pv_ret / pv_inv if pv_inv > 0 else np.nan,
                  "payback_month": np.nan if pm is None else pm,
                  "payback_year": np.nan if pm is None else payback_year(pm),
                  "capacity_freed": freed.sum(), "pv_capacity_freed": pv_freed,
                  "pv_return_som": pv_ret + pv_freed, "npv_som": pv_ret + pv_freed - pv_inv,
                  "net_som": net_som.sum(),
                  "payback_month_som": np.nan if pm_som is None else pm_som,
                  "payback_year_som": np.nan if pm_som is None else payback_year(pm_som),
                  **{f"npv_year_{y}": float((net[:12 * y] * f[:12 * y]).sum()) if net.size >= 12 * y else np.nan
                     for y in NPV_HORIZONS}}
    return pd.DataFrame(out).T.rename_axis("budget")
