"""Comparing a scenario with its counterfactual over paired replications.

``paired_run`` runs the same synthetic citizens with the same random draws twice — once
under the counterfactual (``baseline`` in ``compare``'s arguments) and once under the
scenario — so every difference is the scenario's effect: per citizen, per budget holder,
per month. The pairing itself (both arms, stepped together, and every difference) is
``model.pairing.PairedModel``. ``compare`` repeats that over replications and reports
medians with 10th-90th percentile bands::

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

from model.governance import FundingPlan, appraise, funding_plan, offered
from model.pairing import OUTCOMES, PairedModel, ReplicationSummary  # noqa: F401 - OUTCOMES re-exported
from model.params import Parameters
from model.services import BUDGETS, CATALOGUE

ScenarioLike = str | Path | Parameters

#: For cost per outcome: does more of the outcome (``OUTCOMES``, counted by ``model.pairing``)
#: count as better (+1) or worse (-1)?
OUTCOME_DIRECTION = {"housed": 1, "homeless": -1, "employed": 1, "problematic_use": -1,
                     "untreated_mental_illness": -1, "in_prison": -1, "qaly": 1}
PERCENTILES = {"p10": 10, "median": 50, "p90": 90}


def paired_run(counterfactual: ScenarioLike, scenario: ScenarioLike, *, seed: Any = 0, months: int = 120,
               **overrides: Any) -> PairedModel:
    """Run ``scenario`` and its ``counterfactual`` on the same seed for ``months``: a
    ``model.pairing.PairedModel`` (note the order: counterfactual first, as in ``compare``).

    ``overrides`` (dotted parameter paths, e.g. ``population.size``) apply to both arms."""
    return PairedModel(scenario, counterfactual, seed=seed, **overrides).run_for(months)


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
    #: what each arm is: places funded per service and why, the appraisal with bands, and
    #: the parameter changes from the calibrated default (:class:`ArmDescription`)
    arms: dict[str, ArmDescription] = field(default_factory=dict)

    def warnings(self) -> list[str]:
        """Offered interventions that end with 0 places, per arm (printed first)."""
        return [f"{arm}: {w}" for arm, d in self.arms.items() for w in d.plan.warnings()]

    def funding(self) -> pd.DataFrame:
        """Per arm and service: places per 1,000 offered and funded, places, who pays, why."""
        return pd.concat({arm: d.funding() for arm, d in self.arms.items()}, names=["arm"]) if self.arms else pd.DataFrame()

    def appraisal(self) -> pd.DataFrame:
        """Per arm, intervention and budget holder: the pilots' net gain (median, p10, p90)
        and the probability of paying back."""
        parts = [d.appraisal.assign(arm=arm) for arm, d in self.arms.items() if not d.appraisal.empty]
        return pd.concat(parts, ignore_index=True).set_index(["arm", "service", "budget"]) if parts else pd.DataFrame()

    def changes(self) -> pd.DataFrame:
        """Per arm: every parameter that differs from the calibrated default."""
        rows = [dict(arm=arm, **r) for arm, d in self.arms.items() for r in d.changes]
        return pd.DataFrame(rows, columns=["arm", "path", "calibrated", "scenario", "ratio", "how", "unit", "source"])

    def _arms_report(self) -> list[str]:
        """What each arm is: description, governance, changes from the calibrated default,
        places funded per service, and the appraisal of the interventions offered."""
        if not self.arms:
            return []
        lines = ["## What is compared"]
        for arm, d in self.arms.items():
            p = d.params
            lines.append(f"{arm}: {p.name} (governance {p['governance.mode']}, sizing {p['governance.sizing']}, "
                         f"funding {p['governance.funding']}, {d.size:,} simulated citizens)")
            if p.description:
                lines.append("  " + " ".join(p.description.split()))
            shown = [c for c in d.changes if c["path"] != "population.size"]
            if not shown:
                lines.append("  changes from the calibrated default: none")
            else:
                lines.append("  changes from the calibrated default (calibrated -> this arm, ratio, how):")
                for c in shown:
                    ratio = "" if c["ratio"] is None else f", x{c['ratio']:.2f}"
                    lines.append(f"    {c['path']}: {_value(c['calibrated'])} -> {_value(c['scenario'])}{ratio}, {c['how']}")
        lines += ["", "## Places funded per service (per 1,000 simulated citizens; places at this size)"]
        fund = {arm: d.funding() for arm, d in self.arms.items()}
        arms = list(fund)
        lines.append(f"{'service':<22}{'budget':<9}" + "".join(f"{a:>20}" for a in arms) + "  decision (scenario)")
        for svc in fund[arms[0]].index:
            cells = [fund[a].loc[svc] for a in arms]
            if all(c["funded_per_1000"] == 0 and c["offered_per_1000"] == 0 for c in cells):
                continue
            text = "".join(f"{c['funded_per_1000']:>12g} ({c['places']:>5,})" for c in cells)
            lines.append(f"{svc:<22}{cells[0]['budget_holder']:<9}{text}  {cells[-1]['decision']}")
        table = self.appraisal()
        if not table.empty:
            d0 = next(d for d in self.arms.values() if not d.appraisal.empty)
            p0 = d0.params
            lines += ["", f"## Appraisal of the interventions offered: pays back within {p0['governance.appraisal_months']:g} "
                          f"months? (pilots of {p0['governance.appraisal_size']:,} citizens with and without the "
                          f"intervention, {p0['governance.appraisal_replications']} seeds; net gain DKK million, "
                          "median [p10, p90] and P(pays back); + = better off with it, the owner paying its cost)"]
            holders = [*BUDGETS, "whole purse"]
            lines.append(f"{'arm':<16}{'service':<22}" + "".join(f"{h:>26}" for h in holders))
            for (arm, svc), block in table.groupby(level=["arm", "service"], sort=False):
                block = block.droplevel(["arm", "service"])
                cells = "".join(f"{fmt(block.loc[h, 'median'])} [{fmt(block.loc[h, 'p10'])},{fmt(block.loc[h, 'p90'])}] "
                                f"{block.loc[h, 'p_pays_back']:.0%}".rjust(26) for h in holders)
                lines.append(f"{arm:<16}{svc:<22}{cells}")
        return lines + [""]

    def report(self) -> str:
        fmt = lambda x: "" if pd.isna(x) else f"{x / 1e6:,.1f}"  # noqa: E731
        lines = [f"# {self.scenario} vs {self.baseline}: {self.replications} paired replications, "
                 f"{self.months} months; DKK million, median [p10, p90]", ""]
        for w in self.warnings():
            lines.append(f"WARNING: {w}")
        if self.warnings():
            lines.append("")
        lines += self._arms_report()
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


@dataclass
class ArmDescription:
    """What one arm of a comparison is: its funding plan, the appraisal of the
    interventions it offers (bands over pilots) and its changes from the calibrated default."""

    params: Parameters
    size: int
    plan: FundingPlan
    appraisal: pd.DataFrame
    changes: list[dict[str, Any]]

    @classmethod
    def of(cls, params: Parameters, appraisal: bool = True) -> ArmDescription:
        plan = funding_plan(params)
        table = plan.appraisal_frame()
        if appraisal and table.empty and offered(params):
            pilots = appraise(params)
            table = FundingPlan(plan.sizing, plan.funding, plan.places, plan.decisions, pilots).appraisal_frame()
        return cls(params, int(params["population.size"]), plan, table, params.differences())

    def funding(self) -> pd.DataFrame:
        """Every capacity-limited service: places per 1,000 offered and funded, the
        places at this population size, who pays and why."""
        rows = []
        for spec in CATALOGUE:
            if not spec.capacity_limited:
                continue
            offered_ = self.params[f"services.{spec.name}.capacity"]
            funded = self.plan.places[spec.name]
            d = self.plan.decisions.get(spec.name)
            rows.append({"service": spec.name, "budget_holder": spec.budget, "offered_per_1000": offered_,
                         "funded_per_1000": funded, "places": int(round(funded * self.size / 1000.0)),
                         "paid_by": ", ".join(f"{b} {v:.0%}" for b, v in self.plan.shares(spec.name).items()),
                         "decision": d.reason if d else ("not offered" if offered_ == 0 else "statutory service: places as stated")})
        return pd.DataFrame(rows).set_index("service")


def compare(baseline: ScenarioLike, scenario: ScenarioLike, *, replications: int = 20, months: int = 120,
            seed: int = 0, executor: Executor | None = None, appraisal: bool = True, **overrides: Any) -> Comparison:
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
    out = summarise(runs, base_p.name, scen_p.name, months)
    for arm, p in (("counterfactual", base_p), ("scenario", scen_p)):
        out.arms[arm] = ArmDescription.of(p.with_overrides(overrides, origin="compare") if overrides else p,
                                          appraisal=appraisal)
    return out


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


def fmt(x: float) -> str:
    """DKK as DKK million with one decimal ("" for missing)."""
    return "" if pd.isna(x) else f"{x / 1e6:,.1f}"


def _value(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


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
