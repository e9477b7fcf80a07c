"""Counterfactual pairing: a scenario against its baseline on common random numbers.

``paired_run`` runs the same synthetic citizens with the same random draws twice — once
under the baseline (the counterfactual) and once under the scenario — so every
difference is the scenario's effect: per citizen, per budget holder, per month.
``compare`` repeats that over replications and reports medians with 10th-90th
percentile bands::

    from model.compare import compare
    result = compare("baseline", "coordinated", replications=20)
    print(result.report())
    result.headline      # NPV, BCR, payback per budget holder, with bands
    result.som           # SØM-style yearly table per budget holder, with bands
    result.who_pays      # investing budget x saving budget, medians
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agents.states import HOMELESS, Domain, Employment, Housing, Justice, Mental, Substance, level_key
from model.economics import headline, som_table, split_difference, who_pays_matrix
from model.params import Parameters
from model.services import BUDGETS
from model.welfare_model import WelfareModel

ScenarioLike = str | Path | Parameters

#: Outcomes counted in person-years (per replication: scenario minus baseline).
OUTCOMES: dict[str, list[str]] = {
    "housed": [level_key(Domain.HOUSING, Housing.OWN_HOME), level_key(Domain.HOUSING, Housing.SUPPORTED)],
    "homeless": [level_key(Domain.HOUSING, h) for h in HOMELESS],
    "employed": [level_key(Domain.EMPLOYMENT, Employment.EMPLOYED)],
    "problematic_use": [level_key(Domain.SUBSTANCE, Substance.PROBLEMATIC)],
    "untreated_mental_illness": [level_key(Domain.MENTAL, Mental.UNTREATED)],
    "in_prison": [level_key(Domain.JUSTICE, Justice.PRISON)],
}
#: For cost per outcome: does more of the outcome count as better (+1) or worse (-1)?
OUTCOME_DIRECTION = {"housed": 1, "homeless": -1, "employed": 1, "problematic_use": -1,
                     "untreated_mental_illness": -1, "in_prison": -1, "qaly": 1}
PERCENTILES = {"p10": 10, "median": 50, "p90": 90}


@dataclass
class PairedRun:
    """One replication: both arms, same citizens, same random numbers."""

    baseline: WelfareModel
    scenario: WelfareModel

    def difference(self) -> pd.DataFrame:
        """Tidy: month, budget, category, amount = scenario - baseline net public cost."""
        a, b = self.baseline.ledger.frame(), self.scenario.ledger.frame()
        keys = ["month", "budget", "category"]
        merged = b.merge(a, on=keys, how="outer", suffixes=("_scenario", "_baseline")).fillna(0.0)
        merged["amount"] = merged["amount_scenario"] - merged["amount_baseline"]
        return merged[keys + ["amount"]]

    def difference_by_citizen(self) -> pd.DataFrame:
        """Per citizen, month and budget holder: scenario - baseline net public cost.
        Needs the per-citizen monthly ledger detail (populations up to 20,000)."""
        a, b = self.baseline.ledger, self.scenario.ledger
        if not (a.detail and b.detail):
            raise ValueError("per-citizen monthly detail is not kept for populations this large")
        diff = np.stack(b.citizen_monthly) - np.stack(a.citizen_monthly)  # months x budgets x citizens
        months, budgets, n = diff.shape
        idx = pd.MultiIndex.from_product([range(1, months + 1), BUDGETS, range(n)], names=["month", "budget", "citizen"])
        return pd.Series(diff.ravel(), index=idx, name="amount").reorder_levels(["citizen", "month", "budget"]).sort_index().reset_index()

    def flows(self) -> pd.DataFrame:
        return split_difference(self.difference())

    def outcomes(self) -> dict[str, float]:
        """Scenario minus baseline, person-years over the horizon, and QALYs."""
        oa, ob = self.baseline.occupancy_frame(), self.scenario.occupancy_frame()
        out = {name: float((ob[cols].iloc[1:].sum().sum() - oa[cols].iloc[1:].sum().sum()) / 12.0)
               for name, cols in OUTCOMES.items()}
        out["qaly"] = float(self.scenario.ledger.citizen_qaly.sum() - self.baseline.ledger.citizen_qaly.sum())
        return out

    def summary(self) -> ReplicationSummary:
        flows = self.flows()
        return ReplicationSummary(
            flows=flows, som=som_table(flows), headline=headline(flows), who_pays=who_pays_matrix(flows),
            outcomes=self.outcomes(),
            services=_service_totals(self.baseline, self.scenario),
        )


@dataclass
class ReplicationSummary:
    """What ``compare`` keeps of one replication (small and picklable)."""

    flows: pd.DataFrame
    som: pd.DataFrame
    headline: pd.DataFrame
    who_pays: pd.DataFrame
    outcomes: dict[str, float]
    services: pd.DataFrame


def paired_run(baseline: ScenarioLike, scenario: ScenarioLike, *, seed: Any = 0, months: int = 120,
               **overrides: Any) -> PairedRun:
    """Run ``scenario`` and its counterfactual ``baseline`` on the same seed.

    ``overrides`` (dotted parameter paths, e.g. ``population.size``) apply to both arms."""
    arms = []
    for which in (baseline, scenario):
        model = WelfareModel(which, rng=seed, **overrides)
        model.run_for(months)
        arms.append(model)
    return PairedRun(*arms)


def _replication(job: tuple) -> ReplicationSummary:
    baseline, scenario, seed, months, overrides = job
    return paired_run(baseline, scenario, seed=seed, months=months, **overrides).summary()


@dataclass
class Comparison:
    """Result of ``compare``: labelled tables, each with p10 / median / p90 over replications."""

    baseline: str
    scenario: str
    replications: int
    months: int
    headline: pd.DataFrame
    som: pd.DataFrame
    who_pays: pd.DataFrame
    outcomes: pd.DataFrame
    cost_per_outcome: pd.DataFrame
    services: pd.DataFrame
    #: per budget holder: share of replications that pay back within 5 years, 10 years, the horizon
    pays_back: pd.DataFrame = field(default_factory=pd.DataFrame)
    runs: list[ReplicationSummary] = field(repr=False, default_factory=list)

    def report(self) -> str:
        fmt = lambda x: "" if pd.isna(x) else f"{x / 1e6:,.1f}"  # noqa: E731
        lines = [f"# {self.scenario} vs {self.baseline}: {self.replications} paired replications, "
                 f"{self.months} months; DKK million, median [p10, p90]", ""]
        lines.append("## Headline per budget holder (present values at the Danish stepped rate; payback undiscounted)")
        h = self.headline
        lines.append(f"{'budget':<9}{'investment':>28}{'return':>28}{'NPV':>28}{'BCR':>7}{'payback yr':>12}{'pays back':>11}")
        for b in h.index:
            cell = lambda m: f"{fmt(h.loc[b, (m, 'median')])} [{fmt(h.loc[b, (m, 'p10')])}, {fmt(h.loc[b, (m, 'p90')])}]"  # noqa: E731
            bcr = h.loc[b, ("bcr", "median")]
            bcr_text = "" if pd.isna(bcr) else (">99" if bcr > 99 else f"{bcr:.2f}")
            py = h.loc[b, ("payback_year", "median")]
            lines.append(f"{b:<9}{cell('pv_investment'):>28}{cell('pv_return'):>28}{cell('npv'):>28}"
                         f"{bcr_text:>7}{'never' if pd.isna(py) else f'{py:.0f}':>12}"
                         f"{self.pays_back.loc[b, 'within_horizon']:>10.0%}")
        lines.append("investment = extra spending on services; return = savings elsewhere and extra tax; "
                     "'pays back' = share of replications that break even within the horizon")
        lines += ["", "## SØM table: undiscounted net benefit per year and budget holder (median)"]
        net = self.som[("net", "median")].unstack("budget")[[*BUDGETS, "total"]]
        cum = self.som[("cumulative_net", "median")].unstack("budget")["total"]
        lines.append(f"{'year':<6}" + "".join(f"{b:>12}" for b in net.columns) + f"{'cum. total':>14}")
        for y in net.index:
            lines.append(f"{y:<6}" + "".join(f"{fmt(v):>12}" for v in net.loc[y]) + f"{fmt(cum.loc[y]):>14}")
        lines += ["", "## Who pays, who saves (median, undiscounted; rows invest, columns save)"]
        lines.append(self.who_pays.map(lambda v: fmt(v)).to_string())
        lines += ["", "## Outcomes (scenario - baseline, person-years; QALY)"]
        lines.append(self.outcomes.map(lambda v: f"{v:,.1f}").to_string())
        lines += ["", "## Cost per outcome (net public cost in DKK per person-year gained or averted; "
                  "negative = the scenario saves money while improving the outcome; blank = outcome not improved)"]
        lines.append(self.cost_per_outcome.map(lambda v: "" if pd.isna(v) else f"{v:,.0f}").to_string())
        return "\n".join(lines)


def compare(baseline: ScenarioLike, scenario: ScenarioLike, *, replications: int = 20, months: int = 120,
            seed: int = 0, executor: Executor | None = None, **overrides: Any) -> Comparison:
    """Paired replications of ``scenario`` against ``baseline`` with bands.

    Replication ``r`` uses child ``r`` of ``numpy.random.SeedSequence(seed)`` in both arms.
    ``executor`` (any ``concurrent.futures.Executor``) runs replications in parallel; the
    result does not depend on it."""
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    base_p, scen_p = Parameters.load(baseline), Parameters.load(scenario)
    seeds = np.random.SeedSequence(seed).spawn(replications)
    jobs = [(base_p, scen_p, s, months, overrides) for s in seeds]
    runs = list(executor.map(_replication, jobs)) if executor else [_replication(j) for j in jobs]
    return summarise(runs, base_p.name, scen_p.name, months)


def summarise(runs: list[ReplicationSummary], baseline: str, scenario: str, months: int) -> Comparison:
    # "never pays back" ranks above every month: a median of never means most replications never do
    heads = [r.headline.assign(payback_month=r.headline["payback_month"].fillna(NEVER),
                               payback_year=r.headline["payback_year"].fillna(NEVER)) for r in runs]
    outcomes = pd.DataFrame([r.outcomes for r in runs])
    cpo = _cost_per_outcome(runs)
    return Comparison(
        baseline=baseline, scenario=scenario, replications=len(runs), months=months,
        headline=_never_as_nan(_bands(heads)), som=_bands([r.som for r in runs]),
        who_pays=_stack_stat([r.who_pays for r in runs], 50),
        outcomes=outcomes.quantile([0.1, 0.5, 0.9]).set_axis(list(PERCENTILES), axis=0).T,
        cost_per_outcome=cpo, services=_bands([r.services for r in runs]),
        pays_back=pays_back_shares(runs, months), runs=runs,
    )


def pays_back_shares(runs: list[ReplicationSummary], months: int) -> pd.DataFrame:
    """Per budget holder, the share of replications whose payback month falls within 5
    years, 10 years and the horizon (a probability, not a median of yes/no)."""
    paid = pd.concat([r.headline["payback_month"] for r in runs], axis=1)  # budgets x replications
    out = pd.DataFrame({"within_5_years": (paid <= 60).mean(axis=1), "within_10_years": (paid <= 120).mean(axis=1),
                        "within_horizon": (paid <= months).mean(axis=1)})
    return out.rename_axis("budget")


#: payback "month" standing for never (finite, so that percentiles interpolate); a band
#: value beyond any possible horizon (interpolated towards never) is reported as never (NaN)
NEVER = 1e12
_BEYOND_ANY_HORIZON = 1e6


def _never_as_nan(head: pd.DataFrame) -> pd.DataFrame:
    out = head.copy()
    for col in out.columns:
        if col[0] in ("payback_month", "payback_year"):
            out[col] = out[col].where(out[col] < _BEYOND_ANY_HORIZON)
    return out


def _bands(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack same-shaped frames and return, per cell, p10 / median / p90 (NaN-aware;
    payback NaN = never pays back within the horizon)."""
    arr = np.stack([f.to_numpy(dtype=float) for f in frames])
    cols = {}
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for name, q in PERCENTILES.items():
                cols[name] = np.nanpercentile(arr, q, axis=0)
    first = frames[0]
    parts = {name: pd.DataFrame(v, index=first.index, columns=first.columns) for name, v in cols.items()}
    out = pd.concat(parts, axis=1)  # columns (stat, measure)
    out = out.swaplevel(0, 1, axis=1).sort_index(axis=1)
    return out


def _stack_stat(frames: list[pd.DataFrame], q: float) -> pd.DataFrame:
    arr = np.stack([f.to_numpy(dtype=float) for f in frames])
    return pd.DataFrame(np.percentile(arr, q, axis=0), index=frames[0].index, columns=frames[0].columns)


def _cost_per_outcome(runs: list[ReplicationSummary]) -> pd.DataFrame:
    """Incremental public cost per person-year of outcome gained (or averted, for bad
    outcomes); NaN when the scenario does not move the outcome the right way."""
    rows = []
    for r in runs:
        cost = -float(r.headline.loc["total", "net"])  # incremental net public cost
        row = {}
        for name, delta in r.outcomes.items():
            gain = delta * OUTCOME_DIRECTION[name]
            row[name] = cost / gain if gain > 0 else np.nan
        rows.append(row)
    df = pd.DataFrame(rows)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return pd.DataFrame({name: np.nanpercentile(df.to_numpy(), q, axis=0) for name, q in PERCENTILES.items()},
                                index=df.columns)


def _service_totals(base: WelfareModel, scen: WelfareModel) -> pd.DataFrame:
    """Per service: places and totals over the horizon in both arms."""
    out = {}
    for name, m in (("baseline", base), ("scenario", scen)):
        st = m.services.stats_frame()
        g = st.groupby(level="service")[["admitted", "refused", "dropped_out", "cross_referred", "months_waited"]].sum()
        g["places"] = st.groupby(level="service")["places"].last()
        g["mean_wait_months"] = (g["months_waited"] / g["admitted"]).where(g["admitted"] > 0, 0.0)
        out[name] = g.drop(columns="months_waited")
    return pd.concat(out, axis=1)
