"""Comparing a scenario with its counterfactual over paired replications.

``paired_run`` runs the same synthetic citizens with the same random draws twice — once
under the counterfactual (``baseline`` in ``compare``'s arguments) and once under the
scenario — so every difference is the scenario's effect: per citizen, per budget holder,
per month. The pairing itself (both arms, stepped together, and every difference) is
``model.pairing.PairedModel``. ``compare`` repeats that over replications and reports
medians with 10th-90th percentile bands::

    from model.compare import compare
    result = compare("baseline", "coordinated", replications=20, population="aarhus")
    print(result.report())   # Markdown: what the figures are, the arms, headline, savings, SØM table, ...
    result.headline      # NPV, BCR, payback per budget holder, cashable and at SØM average prices, with bands
    result.som           # SØM-style yearly table per budget holder, with bands
    result.line_items    # difference per budget holder, ledger category and year, with bands
    result.who_pays      # investing budget x saving budget, medians
    result.per_person    # NPV per person in the target group and per participant, with bands

**Money for a named population.** ``population`` (``model.populations``: ``"national"``,
a kommune such as ``"aarhus"``, or a homeless count) says whom the money belongs to: every
total (headline, SØM table, line items, who pays, outcomes, service counts) is the
simulated amount x ``Comparison.per_citizen`` persons per simulated citizen; per-person,
per-participant and per-outcome figures do not depend on it. Every report states the
population, the horizon, the price year and the discounting (``Comparison.about``).
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from model.children import PROGRAMMES
from model.economics import NOT_MONEY, NPV_HORIZONS
from model.governance import FundingPlan, appraise, funding_plan, offered
from model.pairing import OUTCOMES, PairedModel, ReplicationSummary, run_all  # noqa: F401 - OUTCOMES re-exported
from model.params import Parameters
from model.populations import NamedPopulation, named_population
from model.services import BUDGETS, CATALOGUE

ScenarioLike = str | Path | Parameters

#: For cost per outcome: does more of the outcome (``OUTCOMES``, counted by ``model.pairing``)
#: count as better (+1) or worse (-1)?
OUTCOME_DIRECTION = {"housed": 1, "homeless": -1, "employed": 1, "problematic_use": -1,
                     "untreated_mental_illness": -1, "in_prison": -1, "qaly": 1, "life_years": 1, "deaths": -1,
                     "placements": -1, "child_years_in_care": -1, "young_adults_entering": -1, "homeless_by_25": -1,
                     "no_youth_education_at_25": -1, "prison_by_30": -1}
#: Every outcome in English words and its unit: the one source of their English, for the
#: report, the ``Comparison`` tables and the dashboard (``dashboard/words.py`` adds the
#: Danish). The report's table of the target group's outcomes names them as the CSV files
#: do (``homeless``, ``qaly``) with these units; its section on the second generation and
#: the dashboard use the words.
OUTCOME_WORDS: dict[str, tuple[str, str]] = {
    "housed": ("housed", "person-years"),
    "homeless": ("homeless", "person-years"),
    "employed": ("employed", "person-years"),
    "problematic_use": ("problematic substance use", "person-years"),
    "untreated_mental_illness": ("untreated mental illness", "person-years"),
    "in_prison": ("in prison", "person-years"),
    "qaly": ("quality-adjusted life-years", "QALYs"),
    "life_years": ("life-years lived", "life-years"),
    "deaths": ("deaths", "persons"),
    "placements": ("children placed outside the home (new placements)", "placements"),
    "child_years_in_care": ("child-years in a foster family or an institution", "child-years"),
    "young_adults_entering": ("grown-up children entering the vulnerable target group (18-29)", "persons"),
    "homeless_by_25": ("grown-up children homeless at some point by 25", "persons"),
    "no_youth_education_at_25": ("grown-up children without a youth education at 25", "persons"),
    "prison_by_30": ("grown-up children ever in prison by 30", "persons"),
}
#: The second generation's outcomes (``model/children.py``), in the order the report's
#: section on children and the dashboard show them
SECOND_GENERATION = ("placements", "child_years_in_care", "young_adults_entering", "homeless_by_25",
                     "no_youth_education_at_25", "prison_by_30")
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


def price_base_year(params: Any) -> int | None:
    """The base year every amount is in, as a number: ``params.price_year`` (the method of
    ``Parameters``, the attribute of a ``Ledger``) or the parameter ``prices.base_year``;
    None when prices are used as their sources give them. Reports say it in words
    (:func:`price_year_words`); a view that says it in another language reads this number."""
    year = getattr(params, "price_year", None) if params is not None else None
    if callable(year):
        year = year()
    if year is None and params is not None and "prices.base_year" in params:
        year = params["prices.base_year"]
    return int(year) if year else None


def price_year_words(year: int | None, short: bool = False) -> str:
    """A price base year (:func:`price_base_year`) in the reports' words, else that prices
    are used as their sources give them. ``short``: ``"2023 prices"`` / ``"prices as given"``."""
    if year:
        return f"{int(year)} prices" + ("" if short else " (DKK, converted with Statistics Denmark's net price index)")
    return "prices as given" + ("" if short else ": each unit price in the year of its source, not converted to one "
                                                 "price year")


def price_year_text(params: Parameters | None, short: bool = False) -> str:
    """The price year every amount is in, as the parameters state it (:func:`price_base_year`),
    in words (:func:`price_year_words`)."""
    return price_year_words(price_base_year(params), short)


#: How present values are discounted (``model.economics``), for every report.
DISCOUNTING = ("present values (PV, NPV, BCR) at the Danish public discount rate (Finansministeriet, since 2021): "
               "3.5% a year for years 0-35, 2.5% for 36-70, 1.5% after; year 0 (months 1-12) undiscounted; "
               "yearly tables, line items and break-even years undiscounted (as SØM)")


def md_escape(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(header: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> list[str]:
    """A Markdown table: the header row, the alignment row (columns in ``numeric``
    right-aligned; by default every column but the first), one line per row."""
    numeric = set(range(1, len(header))) if numeric is None else numeric
    lines = ["| " + " | ".join(md_escape(h) for h in header) + " |",
             "|" + "|".join("---:" if i in numeric else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows]
    return lines


def fmt(x: float) -> str:
    """DKK as DKK million with one decimal ("" for missing)."""
    return "" if pd.isna(x) else f"{x / 1e6:,.1f}"


def fmt_dkk(x: float) -> str:
    """Whole DKK ("" for missing)."""
    return "" if pd.isna(x) else f"{x:,.0f}"


def band(frame: pd.DataFrame, row: Any, measure: str, f=fmt) -> str:
    """``median [p10, p90]`` of ``measure`` in ``row`` of a banded frame."""
    med, lo, hi = (frame.loc[row, (measure, s)] for s in ("median", "p10", "p90"))
    if pd.isna(med) and pd.isna(lo) and pd.isna(hi):
        return ""
    return f"{f(med)} [{f(lo)}, {f(hi)}]"


def _year(v: float) -> str:
    return "never" if pd.isna(v) else f"year {v:.0f}"


#: what a ledger category counts as in the line items (``model.economics`` conventions)
def _line_kind(category: str) -> str:
    from model.economics import category_kind

    kind = category_kind(pd.Series([category])).iloc[0]
    return {"intervention": "investment", "vacant": "capacity kept, not cashable"}.get(kind, "consequence")


@dataclass
class Comparison:
    """Result of ``compare``: labelled tables, each with p10 / median / p90 over replications.

    Money, outcomes (person-years, QALYs) and service counts are for the named
    ``population`` (simulated amounts x ``per_citizen`` persons per simulated citizen);
    ``per_person`` is per person in the target group and per participant, which do not
    depend on the population; ``runs`` keep each replication as simulated (unscaled)."""

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
    #: whom the money belongs to (``model.populations``); None = the simulated citizens themselves
    population: NamedPopulation | None = None
    #: simulated citizens in each arm
    size: int = 0
    #: difference per (budget, category) and year, columns (year, stat): + = the scenario costs more
    line_items: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per budget holder: NPV and net per person in the target group and per participant (DKK), bands
    per_person: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: participants (persons of the population) ever enrolled in each intervention the scenario funds, bands
    participants: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the base year every amount is in (``price_base_year`` of the scenario's parameters);
    #: None = prices as their sources give them. In words: :attr:`price_year`
    price_base_year: int | None = None

    @property
    def price_year(self) -> str:
        """The price year in the reports' words (``price_year_words``), from the number
        :attr:`price_base_year`, so that the two never disagree."""
        return price_year_words(self.price_base_year)

    @property
    def per_citizen(self) -> float:
        """Persons per simulated citizen (1 without a population)."""
        return self.population.per_citizen(self.size) if self.population is not None and self.size else 1.0

    def about(self) -> dict[str, str]:
        """What every output states: population, horizon, prices, discounting."""
        pop = (self.population.describe(self.size) if self.population is not None
               else f"{self.size:,} simulated citizens (money per simulated cohort)")
        return {"population": pop,
                "horizon": f"{self.months} months ({self.months / 12:g} years), {self.replications} paired replications "
                           "on common random numbers",
                "prices": self.price_year, "discounting": DISCOUNTING}

    def about_line(self) -> str:
        """One line: the comparison, population, horizon, prices and discounting (CSV
        header comments, plot captions)."""
        pop = (f"{self.population.name}, {self.population.persons:,.0f} persons ({self.size:,} simulated citizens)"
               if self.population is not None else f"{self.size:,} simulated citizens")
        return (f"{self.scenario} vs {self.baseline}; population: {pop}; horizon {self.months} months; "
                f"{self.price_year}; discounting: Danish public rate 3.5% (years 0-35), year 0 undiscounted")

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

    def line_item_table(self, budget: str, stat: str = "median") -> pd.DataFrame:
        """One budget holder's line items (DKK, ``stat`` over replications): rows the
        categories that differ, columns the years; + = the scenario costs more."""
        if self.line_items.empty or budget not in self.line_items.index.get_level_values("budget"):
            return pd.DataFrame()
        block = self.line_items.xs(budget, level="budget").xs(stat, axis=1, level="stat")
        return block[(block.abs() > 0.5).any(axis=1)]

    # -- the report -----------------------------------------------------------------------
    def _arms_report(self) -> list[str]:
        """What each arm is: description, governance, changes from the calibrated default,
        places funded per service, and the appraisal of the interventions offered."""
        if not self.arms:
            return []
        lines = ["## What is compared", ""]
        changes = []
        for arm, d in self.arms.items():
            p = d.params
            lines.append(f"- **{arm}**: {md_escape(p.name)} (governance {p['governance.mode']}, sizing "
                         f"{p['governance.sizing']}, funding {p['governance.funding']}, {d.size:,} simulated citizens)"
                         + (f". {md_escape(' '.join(p.description.split()))}" if p.description else ""))
            shown = [c for c in d.changes if c["path"] != "population.size"]
            if not shown:
                lines.append("  - changes from the calibrated default: none")
            changes += [[arm, f"`{c['path']}`", _value(c["calibrated"]), _value(c["scenario"]),
                         "" if c["ratio"] is None else f"x{c['ratio']:.2f}", c["how"]] for c in shown]
        if changes:
            lines += ["", "Changes from the calibrated default:", ""]
            lines += md_table(["arm", "parameter", "calibrated", "this arm", "ratio", "how"], changes, numeric={4})
        fund = {arm: d.funding() for arm, d in self.arms.items()}
        arms = list(fund)
        rows = []
        for svc in fund[arms[0]].index:
            cells = [fund[a].loc[svc] for a in arms]
            if all(c["funded_per_1000"] == 0 and c["offered_per_1000"] == 0 for c in cells):
                continue
            rows.append([svc, cells[0]["budget_holder"], *[f"{c['funded_per_1000']:g} ({c['places']:,})" for c in cells],
                         cells[-1]["decision"]])
        lines += ["", "## Places funded per service", "",
                  "Places per 1,000 simulated citizens, and (in brackets) places at this simulated size.", ""]
        lines += md_table(["service", "budget holder", *[f"{a}: places per 1,000 (places)" for a in arms],
                           f"decision ({arms[-1]})"], rows, numeric=set(range(2, 2 + len(arms))))
        prows = []
        for name in PROGRAMMES:
            cells = [d.params.subtree(f"children.programmes.{name}") for d in self.arms.values()]
            if any(c["places"] > 0 for c in cells):
                c = cells[-1]
                prows.append([name, c["budget"], *[f"{x['places']:g}" for x in cells],
                              f"{c['target'].replace('_', ' ')}, ages {c['age_min']:g}-{c['age_max']:g}, "
                              f"{c['months']:g}-month course"])
        if prows:
            lines += ["", "## Family programmes for children", "",
                      "Places per 1,000 simulated adults of the target group (model/children.py); none is offered in "
                      "the calibrated status quo.", ""]
            lines += md_table(["programme", "budget holder", *[f"{a}: places per 1,000" for a in arms], "who is offered it"],
                              prows, numeric=set(range(2, 2 + len(arms))))
        table = self.appraisal()
        if not table.empty:
            d0 = next(d for d in self.arms.values() if not d.appraisal.empty)
            p0 = d0.params
            lines += ["", f"## Appraisal of the interventions offered: pays back within "
                          f"{p0['governance.appraisal_months']:g} months?", "",
                      f"Pilots of {p0['governance.appraisal_size']:,} simulated citizens with and without the "
                      f"intervention, {p0['governance.appraisal_replications']} seeds, the owner paying its cost. "
                      "Net gain in DKK million for the pilot (not scaled to the population), median [p10, p90], "
                      "and P = the share of pilots that pay back; + = better off with it.", ""]
            holders = [*BUDGETS, "whole purse"]
            rows = []
            for (arm, svc), block in table.groupby(level=["arm", "service"], sort=False):
                block = block.droplevel(["arm", "service"])
                rows.append([arm, svc, *[f"{fmt(block.loc[h, 'median'])} [{fmt(block.loc[h, 'p10'])}, "
                                         f"{fmt(block.loc[h, 'p90'])}], P {block.loc[h, 'p_pays_back']:.0%}"
                                         for h in holders]])
            lines += md_table(["arm", "service", *[f"{h}: net gain, DKK million" for h in holders]], rows,
                              numeric=set(range(2, 2 + len(holders))))
        return lines + [""]

    def summary_facts(self) -> dict[str, Any]:
        """The facts of :meth:`summary_sentence`, for a sentence in another language (the
        dashboard's Danish): ``who``, ``years``, ``runs``, ``no_difference``; ``break_even``
        per budget holder (total first): (runs that break even, first year, last year);
        ``npv`` of all public budgets (median, p10, p90, DKK); ``outcomes`` homeless,
        employed and deaths (median, p10, p90, rounded); ``noisy`` outcomes whose band
        spans zero; ``entering``: grown-up children the scenario brings into the group
        (median; negative = kept out)."""
        R = self.replications
        facts: dict[str, Any] = {
            "who": self.population.name if self.population is not None else f"{self.size:,} simulated citizens",
            "years": self.months / 12, "runs": R,
            "no_difference": all(not np.any(r.flows.to_numpy()) for r in self.runs)}
        break_even = {}
        for b in ("total", *BUDGETS):
            k = int(round(float(self.pays_back.loc[b, "within_horizon"]) * R))
            paid = np.array([r.headline.loc[b, "payback_month"] for r in self.runs], dtype=float)
            paid = np.sort(paid[np.isfinite(paid) & (paid <= self.months)])
            lo, hi = (int(np.ceil(paid[0] / 12)), int(np.ceil(paid[-1] / 12))) if k and paid.size else (0, 0)
            break_even[b] = (k, lo, hi)
        facts["break_even"] = break_even
        facts["npv"] = tuple(float(self.headline.loc["total", ("npv", s)]) for s in ("median", "p10", "p90"))
        o = self.outcomes
        facts["outcomes"] = {name: tuple(round(float(o.loc[name, s])) + 0 for s in ("median", "p10", "p90"))  # no "-0"
                             for name in ("homeless", "employed", "deaths")}
        facts["noisy"] = [name for name in ("homeless", "employed", "deaths") if o.loc[name, "p10"] < 0 < o.loc[name, "p90"]]
        facts["entering"] = (float(o.loc["young_adults_entering", "median"]) if "young_adults_entering" in o.index
                             else 0.0)
        return facts

    def summary_sentence(self) -> str:
        """The answer in one plain paragraph: for whom, over which horizon, in which prices;
        when each budget holder breaks even (in how many runs), and the main outcomes with
        their 10th-90th percentile band (:meth:`summary_facts`)."""
        f = self.summary_facts()
        R = f["runs"]
        head = (f"{self.scenario} against {self.baseline}, for {f['who']}, over {f['years']:g} years in "
                f"{self.price_year} ({R} runs): ")
        if f["no_difference"]:
            return head + "no difference to any public budget or outcome in any run (nothing the scenario changes "
            "came into play: see its places and changes)."
        parts = []
        for b, (k, lo, hi) in f["break_even"].items():
            label = {"total": "the public purse as a whole", "stat": "the state"}.get(b, f"the {b}")
            if k == 0:
                parts.append(f"{label} does not break even in any run")
                continue
            when = f"in year {lo}" if lo == hi else f"in years {lo}-{hi}"
            parts.append(f"{label} breaks even {when} in {k} of {R} runs")

        def outcome(name: str, what: str) -> str:
            m, lo, hi = f["outcomes"][name]
            return f"{what} {m:+,d} ({lo:+,d} to {hi:+,d})"
        npv, lo, hi = f["npv"]
        caution = ""
        if lo < 0 < hi:
            caution += (" Caution: the net present value's 10th-90th percentile band "
                        f"({lo / 1e6:+,.1f} to {hi / 1e6:+,.1f} million) spans zero: the effect on the public purse "
                        "is smaller than the spread between runs.")
        if f["noisy"]:
            caution += (f" The change in {', '.join(f['noisy'])} is smaller than the spread between runs "
                        "(its band spans zero).")
        if self.composition_note():
            caution += " " + self.composition_note()
        return (head + "; ".join(parts) + ". "
                f"Net present value for all public budgets: {npv / 1e6:+,.1f} million DKK (median, cashable). "
                + ", ".join([outcome("homeless", "Homeless person-years"), outcome("employed", "employed person-years"),
                             outcome("deaths", "deaths")]) + " (median, 10th to 90th percentile)." + caution)

    def report(self) -> str:
        """The comparison as Markdown: what the figures are, what is compared, the
        headline, cashable vs capacity-freed vs SØM average-price savings, per-person
        figures, the SØM table per budget holder per year with the break-even year, line
        items, who pays / who saves, outcomes, cost per outcome, and capacity."""
        h = self.headline
        lines = [f"# {md_escape(self.scenario)} vs {md_escape(self.baseline)}", "", md_escape(self.summary_sentence()), ""]
        about = self.about()
        lines += md_table(["these figures", "are"],
                          [["population", about["population"]], ["horizon", about["horizon"]],
                           ["prices", about["prices"]], ["discounting", about["discounting"]],
                           ["amounts", "DKK million for the whole population unless a column says otherwise; "
                                       "median [10th, 90th percentile] over the replications"]], numeric=set())
        lines.append("")
        for w in self.warnings():
            lines.append(f"> **Warning:** {md_escape(w)}")
        if self.warnings():
            lines.append("")
        lines += self._arms_report()

        lines += ["## Headline per budget holder", "",
                  "Investment = the cost of the interventions the scenario funds; return = everything else the budget "
                  "gains, in cash (statutory services, benefits, health, police, prison, taxes); present values. "
                  "'Pays back' = the share of replications that break even within the horizon.", ""]
        rows = []
        for b in h.index:
            bcr = h.loc[b, ("bcr", "median")]
            rows.append([b, band(h, b, "pv_investment"), band(h, b, "pv_return"), band(h, b, "npv"),
                         "" if pd.isna(bcr) else (">99" if bcr > 99 else f"{bcr:.2f}"),
                         _year(h.loc[b, ("payback_year", "median")]), f"{self.pays_back.loc[b, 'within_horizon']:.0%}"])
        lines += md_table(["budget holder", "investment, PV (DKK million)", "return, cashable, PV (DKK million)",
                           "NPV, cashable (DKK million)", "benefit-cost ratio", "break-even year (median)",
                           "pays back within the horizon (% of replications)"], rows)

        horizons = [y for y in NPV_HORIZONS if 12 * y <= self.months]
        if horizons:
            lines += ["", "## NPV over 10, 20 and 30 years", "",
                      "The NPV (cashable, present values) each budget holder has made by the end of each horizon: "
                      "help that pays back late shows here. A horizon beyond the run is left out (run with "
                      "`--months 360` for 30 years).", ""]
            rows = [[b, *[band(h, b, f"npv_year_{y}") for y in horizons]] for b in h.index]
            lines += md_table(["budget holder", *[f"NPV at {y} years (DKK million)" for y in horizons]], rows)

        lines += ["", "## Savings: cashable, capacity freed, and SØM's average prices", "",
                  "Cashable = what each budget really spends less. Capacity freed = shelter place-months freed but "
                  "still paid, because the places are not closed (not cashable; negative = spare places filled). "
                  "SØM's convention values every place-month saved at the average price: SØM = cashable + capacity "
                  "freed. Present values.", ""]
        rows = [[b, band(h, b, "pv_return"), band(h, b, "pv_capacity_freed"), band(h, b, "pv_return_som"),
                 band(h, b, "npv"), band(h, b, "npv_som"), _year(h.loc[b, ("payback_year", "median")]),
                 _year(h.loc[b, ("payback_year_som", "median")])] for b in h.index]
        lines += md_table(["budget holder", "return, cashable (DKK million)", "capacity freed, not cashable (DKK million)",
                           "return at SØM average prices (DKK million)", "NPV, cashable (DKK million)",
                           "NPV at SØM average prices (DKK million)", "break-even year, cashable",
                           "break-even year, SØM average prices"], rows)

        lines += ["", "## Per person", ""]
        lines += self._per_person_report()

        lines += ["", "## SØM table per budget holder and year", "",
                  "Undiscounted, DKK million, median over replications (a cumulative median is not the sum of the "
                  "yearly medians). Break-even year = the first year from which the running total stays >= 0 "
                  "(median over replications).", ""]
        for b in (*BUDGETS, "total"):
            lines += [f"### {b}", ""]
            yearly = self.som.xs(b, level="budget")
            rows = [[str(y), *[fmt(yearly.loc[y, (m, "median")]) for m in
                               ("investment", "return", "net", "cumulative_net", "capacity_freed", "net_som",
                                "cumulative_net_som")]] for y in yearly.index]
            lines += md_table(["year", "investment (DKK million)", "return, cashable (DKK million)",
                               "net, cashable (DKK million)", "cumulative net, cashable (DKK million)",
                               "capacity freed, not cashable (DKK million)", "net at SØM average prices (DKK million)",
                               "cumulative net at SØM average prices (DKK million)"], rows)
            lines += ["", f"Break-even year ({b}): {_year(h.loc[b, ('payback_year', 'median')])} cashable; "
                          f"{_year(h.loc[b, ('payback_year_som', 'median')])} at SØM average prices.", ""]

        lines += ["## Line items: what each category saves or costs, per budget holder and year", "",
                  "Scenario minus counterfactual, undiscounted, DKK million, median over replications: + = the "
                  "scenario costs this budget more, - = it saves. Investment = the interventions funded; "
                  "consequence = everything else; capacity kept = funded places standing empty.", ""]
        lines += self._line_items_report()

        lines += ["## Who pays, who saves", "",
                  "Undiscounted, DKK million, median; rows invest, columns save (each budget's cashable return "
                  "attributed to the investors in proportion to their investment).", ""]
        wp = self.who_pays
        rows = [[inv, *[fmt(wp.loc[inv, c]) for c in wp.columns]] for inv in wp.index]
        names = {"investment": "investment", "total_return": "total return"}
        lines += md_table(["invested by", *[f"{names.get(c, 'saved in ' + c)} (DKK million)" for c in wp.columns]], rows)

        unit = "person-years" if self.population is None else f"person-years in {self.population.name}"
        lines += ["", "## Outcomes", "", f"Scenario minus counterfactual over the horizon ({unit}; QALY: "
                                         "quality-adjusted life years; life-years: years lived in the target group, "
                                         "followed to the exit age; deaths: persons).", ""]
        rows = [[name, OUTCOME_WORDS.get(name, (name, "person-years"))[1],
                 *[f"{self.outcomes.loc[name, s]:,.1f}" for s in ("median", "p10", "p90")]]
                for name in self.outcomes.index if name not in SECOND_GENERATION]
        lines += md_table(["outcome", "unit", "change, median", "p10", "p90"], rows, numeric={2, 3, 4})
        note = self.composition_note()
        if note:
            lines += ["", f"> **Note:** {md_escape(note)}"]
        lines += self._children_report()
        lines += ["", "## Cost per outcome", "",
                  "Net public cost (all budgets, cashable, undiscounted) per person-year of the outcome gained or "
                  "averted: negative = the scenario saves money while improving the outcome; blank = the outcome "
                  "did not improve (median change not in the better direction).", ""]
        cpo = self.cost_per_outcome
        rows = [[name, *[fmt_dkk(cpo.loc[name, s]) for s in ("median", "p10", "p90")]] for name in cpo.index]
        lines += md_table(["outcome", "DKK per unit gained or averted (person-year, QALY, life-year, death, placement, "
                           "person), median", "p10",
                           "p90"], rows)
        lines += self._capacity_report()
        return "\n".join(lines) + "\n"

    def composition_note(self) -> str:
        """When the scenario changes who is in the target group (grown-up children kept out
        of it, or let in), person-years in every state move with its size: say so."""
        if "young_adults_entering" not in self.outcomes.index:
            return ""
        m = float(self.outcomes.loc["young_adults_entering", "median"])
        if round(m) == 0:
            return ""
        fewer = m < 0
        return (f"The scenario {'keeps' if fewer else 'brings'} about {abs(m):,.0f} grown-up children "
                f"{'out of' if fewer else 'into'} the target group (median), so it has "
                f"{'fewer' if fewer else 'more'} members: person-years in every state, housed and employed "
                "included, move with its size, not only with how its members fare.")

    def _children_report(self) -> list[str]:
        """The second generation (``model/children.py``): placements, care, and the grown-up
        children's entry into the target group, in persons of the population."""
        names = [n for n in SECOND_GENERATION if n in self.outcomes.index]
        if not names:
            return []
        who = "persons" if self.population is None else f"persons in {self.population.name}"
        lines = ["", "## The second generation", "",
                 f"Scenario minus counterfactual over the {self.months // 12} years ({who}; negative = fewer). The "
                 "children of the target group are the same in both arms; their placements cost the kommune (see "
                 "the line items `placement_foster`, `placement_institution`, `child_preventive`). Grown-up children "
                 "are followed from 18 to 30: outcomes at 25 and 30 count only those who reach that age within the "
                 "horizon, so a short run misses most of them.", ""]
        rows = [[*OUTCOME_WORDS[n],
                 *[f"{self.outcomes.loc[n, s]:,.1f}" for s in ("median", "p10", "p90")]] for n in names]
        return lines + md_table(["outcome", "unit", "change, median", "p10", "p90"], rows, numeric={2, 3, 4})

    def _per_person_report(self) -> list[str]:
        pp = self.per_person
        if pp.empty:
            return ["(not available)"]
        key = ("npv_per_participant", "median")
        has_participants = key in pp.columns and pp[key].notna().any()
        lines = []
        if self.population is not None:
            lines.append(f"Per person in the target group of {self.population.name} "
                         f"({self.population.persons:,.0f} persons): the NPV divided by the target group.")
        if has_participants:
            parts = self.participants
            who = ", ".join(f"{svc} {parts.loc[svc, 'median']:,.0f}" for svc in parts.index if svc != "any")
            lines.append(f"Per participant: divided by the persons ever enrolled in the interventions the scenario "
                         f"funds ({parts.loc['any', 'median']:,.0f} persons, median: {who}).")
        else:
            lines.append("No intervention is funded beyond the counterfactual: no per-participant figures.")
        lines.append("")
        header = ["budget holder", "NPV per person in the target group (DKK)",
                  "NPV at SØM average prices per person in the target group (DKK)"]
        if has_participants:
            header += ["investment per participant (DKK)", "NPV per participant (DKK)"]
        rows = []
        for b in pp.index:
            row = [b, band(pp, b, "npv_per_person", fmt_dkk), band(pp, b, "npv_som_per_person", fmt_dkk)]
            if has_participants:
                row += [band(pp, b, "investment_per_participant", fmt_dkk), band(pp, b, "npv_per_participant", fmt_dkk)]
            rows.append(row)
        return lines + md_table(header, rows)

    def _line_items_report(self) -> list[str]:
        lines: list[str] = []
        years = ([] if self.line_items.empty
                 else sorted(int(y) for y in self.line_items.columns.get_level_values("year").unique()))
        shown = years[:10]
        rest = years[10:]
        for b in BUDGETS:
            table = self.line_item_table(b)
            h = self.headline
            lines += [f"### {b}", ""]
            if table.empty:
                lines += ["No category differs.", ""]
                continue
            header = ["category", "counts as", *[f"year {y} (DKK million)" for y in shown]]
            if rest:
                header.append(f"years {rest[0]}-{rest[-1]} (DKK million)")
            header.append("all years (DKK million)")
            rows = []
            for cat in table.index:
                row = [cat, _line_kind(cat), *[fmt(table.loc[cat, y]) for y in shown]]
                if rest:
                    row.append(fmt(table.loc[cat, rest].sum()))
                row.append(fmt(table.loc[cat].sum()))
                rows.append(row)
            net = -self.som.xs(b, level="budget")[("net", "median")]
            row = ["total difference", "", *[fmt(net.loc[y]) for y in shown]]
            if rest:
                row.append(fmt(net.loc[rest].sum()))
            row.append(fmt(net.sum()))
            rows.append(row)
            lines += md_table(header, rows, numeric=set(range(2, len(header))))
            lines += ["", f"Break-even year ({b}): {_year(h.loc[b, ('payback_year', 'median')])} cashable; "
                          f"{_year(h.loc[b, ('payback_year_som', 'median')])} at SØM average prices. (Medians per "
                          "category and year do not add up exactly to the median total.)", ""]
        return lines

    def _capacity_report(self) -> list[str]:
        sv = self.services
        if sv.empty:
            return []
        rows = []
        for svc in sv.index:
            def v(arm: str, m: str) -> float:
                return sv.loc[svc, (arm, "median", m)] if (arm, "median", m) in sv.columns else np.nan
            if svc != "shelter" and not (v("baseline", "no_place") > 0 or v("scenario", "no_place") > 0
                                         or v("scenario", "closed") > 0 or v("baseline", "closed") > 0):
                continue
            rows.append([svc, f"{v('baseline', 'places'):,.0f}", f"{v('scenario', 'places'):,.0f}",
                         f"{v('baseline', 'closed'):,.0f}", f"{v('scenario', 'closed'):,.0f}",
                         f"{v('baseline', 'occupancy'):.0%}", f"{v('scenario', 'occupancy'):.0%}",
                         f"{v('baseline', 'no_place'):,.0f}", f"{v('scenario', 'no_place'):,.0f}"])
        if not rows:
            return []
        return ["", "## Capacity: places, occupancy and refusals", "",
                "Places at the end and places closed by the capacity rule (places for the population), occupancy "
                "(occupied share of the places at month ends) and refusals for lack of a place over the horizon "
                "(monthly attempts, for the population); medians.", "",
                *md_table(["service", "places at the end, counterfactual", "places at the end, scenario",
                           "places closed, counterfactual", "places closed, scenario", "occupancy, counterfactual (%)",
                           "occupancy, scenario (%)", "refusals, counterfactual (persons x months)",
                           "refusals, scenario (persons x months)"], rows)]


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
            seed: int = 0, executor: Executor | None = None, appraisal: bool = True,
            population: str | int | NamedPopulation | None = None,
            progress: Callable[[int, int], None] | None = None, **overrides: Any) -> Comparison:
    """Paired replications of ``scenario`` against ``baseline`` with bands.

    Replication ``r`` uses child ``r`` of ``numpy.random.SeedSequence(seed)`` in both arms.
    ``executor`` (any ``concurrent.futures.Executor``) runs replications in parallel; the
    result does not depend on it. ``progress(done, replications)`` is called after each
    replication (with an executor, as each finishes). ``population`` names whom the money belongs to
    (``model.populations.named_population``: a preset such as ``"odense"``, a homeless
    count, or None for the national target group): totals are scaled to it."""
    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    base_p, scen_p = Parameters.load(baseline), Parameters.load(scenario)
    pop = named_population(population, scen_p)  # a bad name fails here, before any work
    seeds = np.random.SeedSequence(seed).spawn(replications)
    jobs = [(base_p, scen_p, s, months, overrides) for s in seeds]
    runs = run_all(_replication, jobs, executor, progress)
    arm_params = {arm: (p.with_overrides(overrides, origin="compare") if overrides else p)
                  for arm, p in (("counterfactual", base_p), ("scenario", scen_p))}
    out = summarise(runs, base_p.name, scen_p.name, months, population=pop,
                    price_base_year=price_base_year(arm_params["scenario"]))
    for arm, p in arm_params.items():
        out.arms[arm] = ArmDescription.of(p, appraisal=appraisal)
    return out


def summarise(runs: list[ReplicationSummary], baseline: str, scenario: str, months: int,
              population: NamedPopulation | None = None, price_base_year: int | None = None) -> Comparison:
    """The bands over replications, in money for ``population`` (None: as simulated), in
    prices of ``price_base_year`` (None: as their sources give them)."""
    size = int(runs[0].size) if runs and runs[0].size else 0
    factor = population.per_citizen(size) if population is not None and size else 1.0
    # "never pays back" ranks above every month: a median of never means most replications never do
    never = ("payback_month", "payback_year", "payback_month_som", "payback_year_som")
    heads = [r.headline.assign(**{c: r.headline[c].fillna(NEVER) for c in never if c in r.headline}) for r in runs]
    outcomes = pd.DataFrame([r.outcomes for r in runs])
    outcome_bands = outcomes.quantile([0.1, 0.5, 0.9]).set_axis(list(PERCENTILES), axis=0).T
    cpo = _cost_per_outcome(runs)
    improved = pd.Series({name: outcome_bands.loc[name, "median"] * OUTCOME_DIRECTION[name] > 0
                          for name in outcome_bands.index})
    cpo.loc[~improved.reindex(cpo.index).fillna(False).astype(bool)] = np.nan  # blank: the outcome did not improve
    headline = _never_as_nan(_bands(heads))
    money = [c for c in headline.columns if c[0] not in NOT_MONEY]
    headline[money] = headline[money] * factor
    services = _bands([r.services for r in runs])
    counts = [c for c in services.columns if c[-1] not in ("mean_wait_months", "occupancy")]
    services[counts] = services[counts] * factor
    out = Comparison(
        baseline=baseline, scenario=scenario, replications=len(runs), months=months,
        headline=headline, som=_bands([r.som for r in runs]) * factor,
        who_pays=_stack_stat([r.who_pays for r in runs], 50) * factor,
        outcomes=outcome_bands * factor, cost_per_outcome=cpo, services=services,
        pays_back=pays_back_shares(runs, months), runs=runs, population=population, size=size,
        line_items=_line_item_bands(runs) * factor, per_person=_per_person(runs),
        participants=_participant_bands(runs) * factor,
        price_base_year=price_base_year,
    )
    return out


def _line_item_bands(runs: list[ReplicationSummary]) -> pd.DataFrame:
    """Line items of every replication on a common grid (budget, category) x year, with
    p10 / median / p90: columns (year, stat)."""
    items = [r.line_items for r in runs if r.line_items is not None and not r.line_items.empty]
    if not items:
        return pd.DataFrame()
    index = items[0].index
    for t in items[1:]:
        index = index.union(t.index)
    years = sorted(set().union(*[set(t.columns) for t in items]))
    grid = [t.reindex(index=index, columns=years, fill_value=0.0) for t in items]
    arr = np.stack([g.to_numpy(dtype=float) for g in grid])
    parts = {name: pd.DataFrame(np.percentile(arr, q, axis=0), index=index, columns=years)
             for name, q in PERCENTILES.items()}
    out = pd.concat(parts, axis=1, names=["stat", "year"]).swaplevel(0, 1, axis=1).sort_index(axis=1)
    return out


def _per_person(runs: list[ReplicationSummary]) -> pd.DataFrame:
    """Per budget holder, bands of: NPV and NPV at SØM average prices per person in the
    target group (= per simulated citizen), and investment and NPV per participant (the
    persons ever enrolled in the interventions the scenario funds; NaN without any)."""
    frames = []
    for r in runs:
        size = r.size or np.nan
        part = (r.participants or {}).get("any", 0) or np.nan
        h = r.headline
        frames.append(pd.DataFrame({"npv_per_person": h["npv"] / size, "npv_som_per_person": h["npv_som"] / size,
                                    "investment_per_participant": h["pv_investment"] / part,
                                    "npv_per_participant": h["npv"] / part}))
    return _bands(frames)


def _participant_bands(runs: list[ReplicationSummary]) -> pd.DataFrame:
    """Simulated participants per funded intervention (and ``any``): p10 / median / p90."""
    parts = pd.DataFrame([r.participants or {} for r in runs]).fillna(0.0)
    if parts.empty or parts.shape[1] == 0:
        return pd.DataFrame(columns=list(PERCENTILES))
    values = parts.to_numpy(dtype=float)
    return pd.DataFrame({name: np.percentile(values, q, axis=0) for name, q in PERCENTILES.items()}, index=parts.columns)


def pays_back_shares(runs: list[ReplicationSummary], months: int) -> pd.DataFrame:
    """Per budget holder, the share of replications whose payback month falls within 5
    years, 10 years and the horizon (a probability, not a median of yes/no)."""
    paid = pd.concat([r.headline["payback_month"] for r in runs], axis=1)  # budgets x replications
    out = pd.DataFrame({"within_5_years": (paid <= 60).mean(axis=1), "within_10_years": (paid <= 120).mean(axis=1),
                        "within_horizon": (paid <= months).mean(axis=1)})
    return out.rename_axis("budget")


def _value(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


#: payback "month" standing for never (finite, so that percentiles interpolate); a band
#: value beyond any possible horizon (interpolated towards never) is reported as never (NaN)
NEVER = 1e12
_BEYOND_ANY_HORIZON = 1e6


def _never_as_nan(head: pd.DataFrame) -> pd.DataFrame:
    out = head.copy()
    for col in out.columns:
        if col[0] in ("payback_month", "payback_year", "payback_month_som", "payback_year_som"):
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
