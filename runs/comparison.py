"""Writing a scenario comparison to disk: tables (CSV), the report (Markdown) and the
payback plot (PNG). The numbers come from ``model.compare.compare``.

Every file states what its numbers are: the report's first table, the plot's caption,
and the first line of every CSV, a comment beginning with ``#`` that names the
comparison, the population (name, persons, simulated citizens), the horizon, the price
year and the discounting (read the tables with ``pandas.read_csv(path, skiprows=1)``).
Money in every table is DKK for the named population (``Comparison.per_citizen`` persons
per simulated citizen); ``per_person.csv`` is DKK per person in the target group and per
participant; ``funding.csv`` and ``appraisal.csv`` are per simulated citizen and pilot.

A comparison's directory is named from the scenario's ``name`` (:func:`output_dir`), made
a safe slug because the name comes from a file anyone can write, and it is replaced whole
(:func:`runs.runner.atomic_directory`): a kill never leaves files of two runs side by side.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from model.compare import Comparison
from model.services import BUDGETS
from runs.runner import SpecError, atomic_directory, atomic_write, check_out_dir

TABLES = ("headline.csv", "som_table.csv", "who_pays.csv", "outcomes.csv", "cost_per_outcome.csv", "services.csv",
          "cumulative_net.csv", "pays_back.csv", "funding.csv", "appraisal.csv", "changes.csv", "line_items.csv",
          "per_person.csv", "participants.csv")
#: What each table's numbers are, after the comparison's own line (``Comparison.about_line``).
UNITS = {"headline.csv": "DKK for the population (bcr: ratio; payback: months/years)",
         "som_table.csv": "DKK per year for the population, undiscounted",
         "who_pays.csv": "DKK for the population, undiscounted, median",
         "outcomes.csv": "person-years (qaly: QALY; life_years: life-years; deaths: persons; children: placements: placements, child_years_in_care: child-years, young_adults_entering / homeless_by_25 / no_youth_education_at_25 / prison_by_30: persons) for the population",
         "cost_per_outcome.csv": "DKK per unit of outcome (person-year, QALY, life-year, death, placement, person) gained or averted; blank = not improved",
         "services.csv": "persons / places for the population (occupancy: share; mean_wait_months: months)",
         "cumulative_net.csv": "DKK for the population, cumulative, undiscounted",
         "pays_back.csv": "share of replications", "funding.csv": "places per 1,000 simulated citizens; places at the simulated size",
         "appraisal.csv": "DKK for the appraisal's pilot of simulated citizens (not scaled)",
         "changes.csv": "parameter values", "line_items.csv": "DKK per year for the population, scenario - counterfactual (+ = costs more)",
         "per_person.csv": "DKK per person in the target group / per participant",
         "participants.csv": "persons of the population ever enrolled in the interventions the scenario funds"}
#: Every file a comparison writes; a directory holding anything else is not replaced.
FILES = (*TABLES, "report.md", "payback.png")


def safe_name(name: str) -> str:
    """``name`` as a single path segment: letters, digits, ``_`` and ``-`` kept, any other
    run of characters (``/``, ``.``, spaces) one ``_``, at most 100 bytes. A scenario's
    name is free text (``name = "../../x"``, ``"/tmp/x"``) and must never add a separator,
    a ``..`` or a root to an output path."""
    slug = re.sub(r"[^\w-]+", "_", name).strip("_")
    return slug.encode()[:100].decode(errors="ignore") or "scenario"


def output_dir(out: Path | None, scenario: str, baseline: str, default_root: Path = Path("out")) -> Path:
    """``OUT/<scenario>`` with ``--out``, else ``<default_root>/compare-<scenario>-vs-<baseline>``."""
    if out is not None:
        return out / safe_name(scenario)
    return default_root / f"compare-{safe_name(scenario)}-vs-{safe_name(baseline)}"


def check_target(out: Path, files: tuple[str, ...] = FILES, what: str = "a comparison") -> None:
    """Before any computation: ``out``'s parent can be written, and an existing ``out`` is
    a directory of ``what`` (holding only ``files``): replacing it must not delete anyone's
    other files. Also used by ``runs/trial.py``."""
    check_out_dir(out.parent)
    if out.exists() and not out.is_dir():
        raise SpecError(f"--out {out}: exists and is not a directory")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in files)
        if foreign:
            raise SpecError(f"--out {out}: holds files {what} does not write ({', '.join(foreign[:3])}); "
                            "it would be replaced whole. Use another --out")


def cumulative_net_bands(result: Comparison) -> pd.DataFrame:
    """Cumulative undiscounted (cashable) net benefit per month and budget holder (and
    total), DKK for the population: p10 / median / p90 over replications."""
    holders = [*BUDGETS, "total"]
    cum = np.stack([r.flows["net"][holders].cumsum().to_numpy() for r in result.runs]) * result.per_citizen
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
    ax.set(xlabel="month", ylabel="cumulative net benefit (cashable), DKK million",
           title=f"{result.scenario} vs {result.baseline}: who gains, and when (median, 10th-90th percentile)")
    ax.legend(loc="upper left")
    pop = result.population
    who = (f"{pop.name}: {pop.persons:,.0f} persons ({result.size:,} simulated citizens)" if pop is not None
           else f"{result.size:,} simulated citizens")
    fig.text(0.01, 0.005, f"Population: {who}. Horizon {result.months} months, {result.replications} replications. "
                          f"{result.price_year}. Undiscounted (NPVs in the report: Danish public rate 3.5%).",
             fontsize=7, color="dimgrey", ha="left", va="bottom", wrap=True)
    fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.94))
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=110))
    return path


def _long_line_items(result: Comparison) -> pd.DataFrame:
    """Line items, one row per budget holder, category and year: p10, median, p90."""
    if result.line_items.empty:
        return pd.DataFrame(columns=["budget", "category", "year", "p10", "median", "p90"])
    long = result.line_items.stack("year", future_stack=True).reset_index()
    return long.set_index(["budget", "category", "year"])[["p10", "median", "p90"]]


def write_comparison(result: Comparison, out: Path, plots: bool = True) -> list[Path]:
    """Write every table of ``result``, the report and the plot as the directory ``out``,
    replacing an earlier comparison there whole."""
    check_target(out)
    return atomic_directory(out, lambda tmp: _write_files(result, tmp, plots))


def _write_files(result: Comparison, out: Path, plots: bool) -> list[Path]:
    tables = dict(zip(TABLES, (result.headline, result.som, result.who_pays, result.outcomes, result.cost_per_outcome,
                               result.services, cumulative_net_bands(result), result.pays_back,
                               # what each arm is: places funded and why, the appraisal with bands, changes
                               result.funding(), result.appraisal(), result.changes(),
                               _long_line_items(result), result.per_person, result.participants)))
    written = []
    for name, table in tables.items():
        flat = table.copy()
        if isinstance(flat.columns, pd.MultiIndex):
            flat.columns = [".".join(map(str, c)) for c in flat.columns]
        comment = f"# {result.about_line()}; {UNITS[name]}\n"
        atomic_write(out / name, lambda p, t=flat, c=comment: p.write_text(c + t.to_csv()))
        written.append(out / name)
    atomic_write(out / "report.md", lambda p: p.write_text(result.report()))
    written.append(out / "report.md")
    if plots:
        written.append(payback_plot(result, out / "payback.png"))
    return written
