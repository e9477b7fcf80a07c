"""The economics of a paired comparison: discounting, NPV, payback, SØM table, who pays.

Conventions (stated once, used everywhere):

* A *difference* is scenario minus counterfactual net public cost (DKK; positive = the
  scenario costs more). Cash flows are monthly; month 1 is the first simulated month.
* **Investment** of a budget holder = the extra it spends on services (every service
  category, discretionary or not, ``model/ledger.py: CATEGORY_KIND``), month by month.
  **Return** = everything else it gains: less spent on services, less on consequences
  (benefits, bed-days, police), more tax revenue. **Net benefit** = return - investment
  = minus the total difference. So Housing First's own cost is the kommune's investment,
  fewer shelter nights its return, and extra psychiatry the region's investment.
* **Discounting**: the Danish public rate (Finansministeriet, since 2021) of 3.5% a year
  for years 0-35, 2.5% for 36-70 and 1.5% after. Flows in simulation year ``y`` (months
  ``12y+1 .. 12y+12``) are discounted by ``prod_{k<y} 1/(1+r_k)``: year 0 is the
  decision year and is not discounted (as in SØM's yearly table).
* **Payback month**: the first month from which the cumulative undiscounted net benefit
  is >= 0 and stays so to the horizon; ``None`` if it never does. Payback (break-even)
  year = ``ceil(month / 12)``.
* **Who pays / who saves**: rows are investing budgets, columns saving budgets; each
  budget's return is attributed to the investors in proportion to their investment.
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


def split_difference(diff: pd.DataFrame) -> pd.DataFrame:
    """From a tidy difference (month, budget, category, amount) to monthly investment,
    return and net benefit per budget holder: columns (measure, budget)."""
    kind = diff["category"].map(CATEGORY_KIND)
    if kind.isna().any():
        raise ValueError(f"unknown ledger categories: {sorted(diff.loc[kind.isna(), 'category'].unique())}")
    is_investment = kind.isin(["intervention", "service"]).to_numpy() & (diff["amount"].to_numpy() > 0)
    d = diff.assign(investment=np.where(is_investment, diff["amount"], 0.0),
                    ret=np.where(is_investment, 0.0, -diff["amount"]))
    g = d.groupby(["month", "budget"])[["investment", "ret"]].sum().unstack("budget").fillna(0.0)
    g = g.rename(columns={"ret": "return"}, level=0)
    g = g.reindex(columns=pd.MultiIndex.from_product([["investment", "return"], list(BUDGETS)]), fill_value=0.0)
    for b in BUDGETS:
        g[("net", b)] = g[("return", b)] - g[("investment", b)]
    for m in ("investment", "return", "net"):
        g[(m, "total")] = g[m][list(BUDGETS)].sum(axis=1)
    return g.sort_index(axis=1)


def som_table(flows: pd.DataFrame) -> pd.DataFrame:
    """SØM-style yearly table (undiscounted): for each year and budget holder (and the
    total), investment, return, net and cumulative net. ``flows`` is ``split_difference``."""
    year = (flows.index.to_numpy() - 1) // 12 + 1
    yearly = flows.groupby(year).sum()
    yearly.index.name = "year"
    rows = []
    for b in (*BUDGETS, "total"):
        part = pd.DataFrame({"investment": yearly[("investment", b)], "return": yearly[("return", b)],
                             "net": yearly[("net", b)]})
        part["cumulative_net"] = part["net"].cumsum()
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


def headline(flows: pd.DataFrame) -> pd.DataFrame:
    """Per budget holder and total: investment, return, net (undiscounted and present
    values), benefit-cost ratio and payback month/year."""
    f = month_factors(len(flows))
    out = {}
    for b in (*BUDGETS, "total"):
        inv, ret, net = (flows[(m, b)].to_numpy() for m in ("investment", "return", "net"))
        pv_inv, pv_ret = float((inv * f).sum()), float((ret * f).sum())
        pm = payback_month(net)
        out[b] = {"investment": inv.sum(), "return": ret.sum(), "net": net.sum(),
                  "pv_investment": pv_inv, "pv_return": pv_ret, "npv": pv_ret - pv_inv,
                  "bcr": pv_ret / pv_inv if pv_inv > 0 else np.nan,
                  "payback_month": np.nan if pm is None else pm,
                  "payback_year": np.nan if pm is None else payback_year(pm)}
    return pd.DataFrame(out).T.rename_axis("budget")
