"""Writing a scenario comparison to disk: tables (CSV), the report (Markdown) and the
payback plot (PNG). The numbers come from ``model.compare.compare``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from model.compare import Comparison
from model.services import BUDGETS
from runs.runner import atomic_write


def cumulative_net_bands(result: Comparison) -> pd.DataFrame:
    """Cumulative undiscounted net benefit per month and budget holder (and total):
    p10 / median / p90 over replications."""
    holders = [*BUDGETS, "total"]
    cum = np.stack([r.flows["net"][holders].cumsum().to_numpy() for r in result.runs])  # reps x months x holders
    months = result.runs[0].flows.index
    parts = {name: pd.DataFrame(np.percentile(cum, q, axis=0), index=months, columns=holders)
             for name, q in (("p10", 10), ("median", 50), ("p90", 90))}
    return pd.concat(parts, axis=1).swaplevel(0, 1, axis=1).sort_index(axis=1)


def payback_plot(result: Comparison, path: Path) -> Path:
    from matplotlib.figure import Figure

    bands = cumulative_net_bands(result)
    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.subplots()
    colours = {"kommune": "tab:blue", "region": "tab:orange", "stat": "tab:green", "total": "black"}
    for holder, colour in colours.items():
        med = bands[(holder, "median")] / 1e6
        ax.plot(med.index, med, color=colour, lw=2.2 if holder == "total" else 1.5, label=holder)
        ax.fill_between(med.index, bands[(holder, "p10")] / 1e6, bands[(holder, "p90")] / 1e6, color=colour, alpha=0.15)
    ax.axhline(0, color="grey", lw=0.8)
    payback = result.headline.loc["total", ("payback_month", "median")]
    if not pd.isna(payback):
        ax.axvline(payback, color="black", ls="--", lw=1)
        ax.annotate(f"payback, month {payback:.0f}", (payback, 0), xytext=(5, 10), textcoords="offset points")
    ax.set(xlabel="month", ylabel="cumulative net benefit, DKK million",
           title=f"{result.scenario} vs {result.baseline}: who gains, and when (median, 10th-90th percentile)")
    ax.legend(loc="upper left")
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=110))
    return path


def write_comparison(result: Comparison, out: Path, plots: bool = True) -> list[Path]:
    """Write every table of ``result`` into ``out`` (each file atomically)."""
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "headline.csv": result.headline, "som_table.csv": result.som, "who_pays.csv": result.who_pays,
        "outcomes.csv": result.outcomes, "cost_per_outcome.csv": result.cost_per_outcome,
        "services.csv": result.services, "cumulative_net.csv": cumulative_net_bands(result),
        "pays_back.csv": result.pays_back,
        # what each arm is: places funded and why, the appraisal with bands, parameter changes
        "funding.csv": result.funding(), "appraisal.csv": result.appraisal(), "changes.csv": result.changes(),
    }
    written = []
    for name, table in tables.items():
        flat = table.copy()
        if isinstance(flat.columns, pd.MultiIndex):
            flat.columns = [".".join(map(str, c)) for c in flat.columns]
        atomic_write(out / name, lambda p, t=flat: t.to_csv(p))
        written.append(out / name)
    atomic_write(out / "report.md", lambda p: p.write_text("```\n" + result.report() + "\n```\n"))
    written.append(out / "report.md")
    if plots:
        written.append(payback_plot(result, out / "payback.png"))
    return written
