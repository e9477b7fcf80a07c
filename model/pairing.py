"""Counterfactual pairing: a scenario and its counterfactual on common random numbers.

``PairedModel`` is the one place where a scenario is run against its counterfactual.
It owns both arms (two ``WelfareModel`` s built on the same seed, so the same synthetic
citizens and the same random draws, ``model/rng.py``), steps them together month by
month, and reads off the difference: per month, budget holder and ledger category; per
citizen; as investment / return flows; in outcomes; per budget holder over the run::

    from model.pairing import PairedModel
    pair = PairedModel("housing_first", "baseline", seed=1, **{"population.size": 2000})
    pair.run_for(60)
    pair.difference()            # month, budget, category, amount = scenario - counterfactual
    pair.flows()                 # investment, return, net per budget holder and month
    pair.net_gain_by_budget()    # counterfactual - scenario net cost over the run, BUDGETS order

Who uses it: ``model.compare`` (``paired_run``, ``compare``), ``model.contracts``
(``simulate``: the contract arm is the scenario, a cohort is enrolled in it before each
month by a hook), the dashboard (``app.DashboardModel`` is the scenario arm of its own
pairing) and the budget holders' appraisal (a pilot with and without a service).

Rules, and why:

* **The arms are ``scenario`` and ``counterfactual``.** ("baseline" names the calibrated
  default parameters, which may be either arm or neither.) Every difference is
  scenario minus counterfactual *cost*; ``net_gain_by_budget`` is the opposite sign
  (what the scenario saves), as an appraisal reads it.
* **One seed, resolved once.** The seed is turned into one integer entropy and given to
  both arms, so even ``seed=None`` (fresh entropy) pairs the arms on common numbers.
* **Both arms are built whenever a counterfactual is given, even with equal
  parameters.** Equal parameters do not make equal arms when a hook acts on one arm
  (a contract enrols its cohort in the scenario arm only), and a self-pairing that is
  really simulated is the check that common random numbers hold (it differs by exactly
  zero). ``counterfactual`` is ``None`` only when the caller passes ``None``: the
  scenario is then its own counterfactual, no second model is stepped, and every
  difference is zero by construction (the dashboard does this when its settings are the
  baseline, to halve the cost of a step).
* **Stepping together equals running separately.** The arms share nothing but the seed
  (each has its own random streams), so stepping them in lockstep gives bit-identical
  ledgers to running one after the other (``tests/test_pairing.py``). Lockstep is what
  lets hooks act on the scenario arm between months and lets the dashboard show both
  arms at the same month.
* **Flows are computed month by month and cached.** ``flows()`` applies
  ``model.economics.split_difference`` to the months not yet seen only, so asking for
  the flows after every step (the dashboard) costs the same at month 1 and month 120,
  and gives bit-identically the table of one ``split_difference`` over the whole run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agents.states import HOMELESS, Domain, Employment, Housing, Justice, Mental, Substance, level_key
from model.economics import headline, line_items, som_table, split_difference, who_pays_matrix
from model.params import Parameters
from model.population import stack_levels
from model.rng import seed_entropy
from model.services import BUDGETS
from model.welfare_model import WelfareModel

ScenarioLike = str | Path | Parameters
#: A hook called with the pairing: before each month's step (``pair.month`` = months
#: done so far) or after it (``pair.month`` = the month just ended).
Hook = Callable[["PairedModel"], None]

ARMS: tuple[str, ...] = ("scenario", "counterfactual")

#: Outcomes counted in person-years (scenario minus counterfactual).
OUTCOMES: dict[str, list[str]] = {
    "housed": [level_key(Domain.HOUSING, Housing.OWN_HOME), level_key(Domain.HOUSING, Housing.SUPPORTED)],
    "homeless": [level_key(Domain.HOUSING, h) for h in HOMELESS],
    "employed": [level_key(Domain.EMPLOYMENT, Employment.EMPLOYED)],
    "problematic_use": [level_key(Domain.SUBSTANCE, Substance.PROBLEMATIC)],
    "untreated_mental_illness": [level_key(Domain.MENTAL, Mental.UNTREATED)],
    "in_prison": [level_key(Domain.JUSTICE, Justice.PRISON)],
}

#: The second generation's outcomes (``model/children.py``), counted in persons or events
#: over the run (scenario minus counterfactual; the children are the same in both arms)
CHILD_OUTCOMES: dict[str, Callable] = {
    "placements": lambda c: c.frame()["placements"].sum(),
    "young_adults_entering": lambda c: c.frame()["joined"].sum(),
    "homeless_by_25": lambda c: (c.homeless_by_25 == 1).sum(),
    "no_youth_education_at_25": lambda c: (c.no_education_25 == 1).sum(),
    "prison_by_30": lambda c: (c.prison_by_30 == 1).sum(),
}

_KEYS = ["month", "budget", "category"]
_EMPTY_DIFFERENCE = pd.DataFrame({"month": pd.Series(dtype=np.int64), "budget": pd.Series(dtype=object),
                                  "category": pd.Series(dtype=object), "amount": pd.Series(dtype=float)})


@dataclass
class ReplicationSummary:
    """What ``compare`` keeps of one replication (small and picklable)."""

    flows: pd.DataFrame
    som: pd.DataFrame
    headline: pd.DataFrame
    who_pays: pd.DataFrame
    outcomes: dict[str, float]
    services: pd.DataFrame
    #: difference per (budget, category) and year (``model.economics.line_items``)
    line_items: pd.DataFrame | None = None
    #: simulated citizens ever enrolled in the interventions the scenario funds beyond the
    #: counterfactual (``PairedModel.participants``): per service, and ``"any"``
    participants: dict[str, int] | None = None
    #: simulated citizens at the start (``population.size``; both arms have the same, and
    #: the same newcomers later)
    size: int = 0


class PairedModel:
    """A scenario and its counterfactual on common random numbers, stepped together.

    Args:
        scenario, counterfactual: a ``Parameters`` object, a shipped scenario name or a
            scenario file for each arm; ``counterfactual=None``: no second arm, the
            scenario is its own counterfactual and every difference is zero.
        seed: the seed of both arms (int, ``numpy.random.SeedSequence`` or ``None``),
            resolved once (``model.rng.seed_entropy``).
        history: the arms whose levels (every citizen, every domain) are recorded at the
            end of each month, from the month the pairing starts: any of ``ARMS``.
        before_step, after_step: hooks ``hook(pair)`` called around every step, in order.
        **overrides: parameter changes by dotted path (e.g. ``population.size``), applied
            to both arms.

    ``PairedModel.from_models`` pairs two models already built (the dashboard's scenario
    arm is the Mesa model SolaraViz drives).
    """

    def __init__(self, scenario: ScenarioLike, counterfactual: ScenarioLike | None, *, seed: Any,
                 history: Iterable[str] = (), before_step: Iterable[Hook] = (), after_step: Iterable[Hook] = (),
                 **overrides: Any):
        entropy = seed_entropy(seed)
        scen = WelfareModel(scenario, rng=entropy, **overrides)
        cf = None if counterfactual is None else WelfareModel(counterfactual, rng=entropy, **overrides)
        self._setup(scen, cf, None, history, before_step, after_step)

    @classmethod
    def from_models(cls, scenario: WelfareModel, counterfactual: WelfareModel | None, *,
                    step_scenario: Callable[[], None] | None = None, history: Iterable[str] = (),
                    before_step: Iterable[Hook] = (), after_step: Iterable[Hook] = ()) -> PairedModel:
        """Pair two models already built (same seed, same population size, same month).

        ``step_scenario``: how a step advances the scenario arm; by default its Mesa
        ``step()``. A model that owns its pairing and is itself stepped by Mesa (the
        dashboard: SolaraViz calls its ``step()``, which calls ``pair.step()``) passes its
        own world step (``lambda: WelfareModel.step(model)``): its clock is already being
        advanced, and calling its ``step()`` again would recurse."""
        if counterfactual is not None:
            if counterfactual.seed != scenario.seed:
                raise ValueError(f"the arms must share a seed: scenario {scenario.seed}, "
                                 f"counterfactual {counterfactual.seed}")
            if counterfactual.population.n != scenario.population.n:
                raise ValueError(f"the arms must have the same citizens: scenario {scenario.population.n:,}, "
                                 f"counterfactual {counterfactual.population.n:,}")
            if counterfactual.month != scenario.month:
                raise ValueError(f"the arms must be at the same month: scenario {scenario.month}, "
                                 f"counterfactual {counterfactual.month}")
        pair = cls.__new__(cls)
        pair._setup(scenario, counterfactual, step_scenario, history, before_step, after_step)
        return pair

    def _setup(self, scenario: WelfareModel, counterfactual: WelfareModel | None,
               step_scenario: Callable[[], None] | None, history: Iterable[str],
               before_step: Iterable[Hook], after_step: Iterable[Hook]) -> None:
        self.scenario = scenario
        self.counterfactual = counterfactual
        self._step_scenario = step_scenario if step_scenario is not None else scenario.step
        self.before_step: list[Hook] = list(before_step)
        self.after_step: list[Hook] = list(after_step)
        history = set(history)
        if history - set(ARMS):
            raise ValueError(f"history: unknown arm(s) {sorted(history - set(ARMS))}; the arms are {', '.join(ARMS)}")
        #: levels at the end of each month, per recorded arm (first entry: month ``start_month``)
        self.level_history: dict[str, list[np.ndarray]] = {arm: [] for arm in ARMS if arm in history}
        #: the month the pairing started (0 unless it wrapped models already stepped)
        self.start_month = scenario.month
        self._flow_months = 0  # flows computed up to this month (from the ledger's first month, as difference())
        self._flows: pd.DataFrame | None = None
        self._record()

    # -- the arms ---------------------------------------------------------------------------
    @property
    def month(self) -> int:
        """Months done (both arms are always at the same month)."""
        return self.scenario.month

    @property
    def identical(self) -> bool:
        """No counterfactual arm: the scenario is its own counterfactual."""
        return self.counterfactual is None

    def arm(self, name: str) -> WelfareModel:
        """The model of arm ``name``; the scenario itself when there is no counterfactual arm."""
        if name == "scenario":
            return self.scenario
        if name == "counterfactual":
            return self.scenario if self.counterfactual is None else self.counterfactual
        raise ValueError(f"unknown arm {name!r}; the arms are {', '.join(ARMS)}")

    # -- stepping ---------------------------------------------------------------------------
    def step(self) -> None:
        """One month in both arms: the ``before_step`` hooks, the scenario's step, the
        counterfactual's step, the levels recorded, the ``after_step`` hooks."""
        for hook in self.before_step:
            hook(self)
        self._step_scenario()
        if self.counterfactual is not None:
            self.counterfactual.step()
            assert self.counterfactual.month == self.scenario.month, "the arms left lockstep"
        self._record()
        for hook in self.after_step:
            hook(self)

    def run_for(self, months: int) -> PairedModel:
        """``months`` steps; returns the pairing (``PairedModel(...).run_for(60).flows()``)."""
        for _ in range(int(months)):
            self.step()
        return self

    def _record(self) -> None:
        for name, hist in self.level_history.items():
            hist.append(self.arm(name).population.living_levels())

    def levels(self, arm: str = "scenario") -> np.ndarray:
        """Recorded levels of ``arm``: shape (months + 1, domains, citizens ever in the
        group), first row the month the pairing started, ``NOT_LIVING`` (-1) where a
        citizen was not in the target group (not yet entered, died, left); needs the arm
        in ``history``."""
        if arm not in self.level_history:
            if arm == "counterfactual" and self.counterfactual is None and "scenario" in self.level_history:
                return stack_levels(self.level_history["scenario"])
            raise ValueError(f"levels of the {arm} arm are not recorded: pass history=({arm!r}, ...)")
        return stack_levels(self.level_history[arm])

    # -- differences ------------------------------------------------------------------------
    def _difference(self, start: int, stop: int) -> pd.DataFrame:
        """Tidy difference for ledger months ``start + 1 .. stop`` (rows sorted by month,
        budget, category: the order ``difference`` has always had)."""
        if stop <= start:
            return _EMPTY_DIFFERENCE.copy()
        ledger, other = self.scenario.ledger, self.arm("counterfactual").ledger
        diff = np.stack(ledger.monthly[start:stop]) - np.stack(other.monthly[start:stop])  # months x accounts
        order = sorted(range(len(ledger.accounts)), key=lambda a: ledger.accounts[a])
        accounts = [ledger.accounts[a] for a in order]
        months = stop - start
        return pd.DataFrame({
            "month": np.repeat(np.arange(start + 1, stop + 1, dtype=np.int64), len(accounts)),
            "budget": np.array([b for b, _ in accounts] * months, dtype=object),
            "category": np.array([c for _, c in accounts] * months, dtype=object),
            "amount": diff[:, order].ravel(),
        })

    def difference(self) -> pd.DataFrame:
        """Tidy: month, budget, category, amount = scenario - counterfactual net public cost."""
        return self._difference(0, self.month)

    def difference_by_citizen(self) -> pd.DataFrame:
        """Per citizen, month and budget holder: scenario - counterfactual net public cost.
        Needs the per-citizen monthly ledger detail (populations up to 20,000)."""
        a, b = self.arm("counterfactual").ledger, self.scenario.ledger
        if not (a.detail and b.detail):
            raise ValueError("per-citizen monthly detail is not kept for populations this large")
        diff = b.citizen_monthly_array() - a.citizen_monthly_array()  # months x budgets x citizens
        months, budgets, n = diff.shape
        idx = pd.MultiIndex.from_product([range(1, months + 1), BUDGETS, range(n)], names=["month", "budget", "citizen"])
        return pd.Series(diff.ravel(), index=idx, name="amount").reorder_levels(["citizen", "month", "budget"]).sort_index().reset_index()

    def flows(self) -> pd.DataFrame:
        """Monthly investment, return and net benefit per budget holder (columns
        (measure, budget), index month): ``model.economics.split_difference`` of
        ``difference()``, computed for new months only and cached (do not modify it)."""
        if self._flows is None or self._flow_months < self.month:
            new = split_difference(self._difference(self._flow_months, self.month))
            self._flows = new if self._flows is None or self._flows.empty else pd.concat([self._flows, new])
            self._flow_months = self.month
        return self._flows

    def outcomes(self) -> dict[str, float]:
        """Scenario minus counterfactual over the run: person-years in each of ``OUTCOMES``,
        QALYs, life-years (person-years alive in the target group; years after leaving it
        at the exit age are not followed) and deaths."""
        oa, ob = self.arm("counterfactual").occupancy_frame(), self.scenario.occupancy_frame()
        out = {name: float((ob[cols].iloc[1:].sum().sum() - oa[cols].iloc[1:].sum().sum()) / 12.0)
               for name, cols in OUTCOMES.items()}
        out["qaly"] = float(self.scenario.ledger.citizen_qaly.sum() - self.arm("counterfactual").ledger.citizen_qaly.sum())
        out["life_years"] = float((ob["alive"].iloc[1:].sum() - oa["alive"].iloc[1:].sum()) / 12.0)
        out["deaths"] = float(ob["died"].iloc[-1] - oa["died"].iloc[-1])
        if self.scenario.children is not None:
            ca, cb = self.arm("counterfactual").children, self.scenario.children
            out.update({name: float(f(cb) - f(ca)) for name, f in CHILD_OUTCOMES.items()})
            care = ["children.foster", "children.institution"]
            out["child_years_in_care"] = float((ob[care].iloc[1:].sum().sum() - oa[care].iloc[1:].sum().sum()) / 12.0)
        return out

    def net_gain_by_budget(self) -> np.ndarray:
        """Counterfactual minus scenario total net public cost over the run, per budget
        holder in ``BUDGETS`` order (DKK): what the scenario saves each budget, its own
        costs included; what an appraisal of the scenario's service needs."""
        costs = [self.arm(a).ledger.by_budget().sum().to_numpy() for a in ("scenario", "counterfactual")]
        return costs[1] - costs[0]

    def service_totals(self) -> pd.DataFrame:
        """Per service: places at the end and totals over the run, in both arms (columns
        (arm, measure); the counterfactual arm is labelled ``baseline``, as ``compare``'s
        output files have always named it): admitted, refused (``no_place``: of them for
        lack of a place), dropped out, cross-referred, places closed and reopened by the
        capacity rule, places at the end, mean wait and occupancy (enrolled / places at
        month ends, months 1..T; NaN for unlimited services)."""
        out = {}
        for label, arm in (("baseline", "counterfactual"), ("scenario", "scenario")):
            st = self.arm(arm).services.stats_frame()
            sums = [c for c in ("admitted", "refused", "no_place", "dropped_out", "cross_referred", "months_waited",
                                "closed", "reopened") if c in st.columns]
            g = st.groupby(level="service")[sums].sum()
            g["places"] = st.groupby(level="service")["places"].last()
            g["mean_wait_months"] = (g["months_waited"] / g["admitted"]).where(g["admitted"] > 0, 0.0)
            months = st[st.index.get_level_values("month") > 0]
            limited = months[months["places"] > 0]
            g["occupancy"] = (limited.groupby(level="service")["enrolled"].sum()
                              / limited.groupby(level="service")["places"].sum()).reindex(g.index)
            out[label] = g.drop(columns="months_waited")
        return pd.concat(out, axis=1)

    def participants(self) -> dict[str, int]:
        """Simulated citizens ever enrolled, over the run, in each intervention the
        scenario funds beyond the counterfactual (more places in the scenario arm), and in
        any of them (``"any"``, each citizen once): the denominator of the per-participant
        figures. Empty when the scenario funds no intervention beyond the counterfactual."""
        from model.services import SERVICES

        scen, cf = self.scenario.services, self.arm("counterfactual").services
        if not hasattr(scen, "admissions"):
            return {}
        funded = [name for name, spec in SERVICES.items() if spec.intervention
                  and scen.funded_places[scen.index[name]] > max(0, cf.funded_places[cf.index[name]])]
        out, everyone = {}, []
        for name in funded:
            k = scen.index[name]
            who = [c for _, svc, c, _ in scen.admissions if svc == name] + [np.flatnonzero(scen.enrolled[k])]
            ids = np.unique(np.concatenate(who)) if who else np.zeros(0, dtype=np.int64)
            out[name] = int(ids.size)
            everyone.append(ids)
        if funded:
            out["any"] = int(np.unique(np.concatenate(everyone)).size)
        return out

    def summary(self) -> ReplicationSummary:
        """What ``compare`` keeps of one replication: flows, SØM table, headline, who pays,
        outcomes, service totals, line items and participants."""
        flows = self.flows()
        return ReplicationSummary(
            flows=flows, som=som_table(flows), headline=headline(flows), who_pays=who_pays_matrix(flows),
            outcomes=self.outcomes(), services=self.service_totals(), line_items=line_items(self.difference()),
            participants=self.participants(), size=int(self.scenario.params["population.size"]),
        )

    def __repr__(self) -> str:
        cf = "itself" if self.counterfactual is None else repr(self.counterfactual.params.name)
        return (f"PairedModel(scenario {self.scenario.params.name!r} vs {cf}, {self.scenario.population.n:,} "
                f"citizens, seed {self.scenario.seed}, month {self.month})")


__all__ = ["ARMS", "OUTCOMES", "PairedModel", "ReplicationSummary"]


def run_all(fn: Callable[[Any], Any], jobs: list, executor: Executor | None = None,
            progress: Callable[[int, int], None] | None = None) -> list:
    """``[fn(job) for job in jobs]``, serially or on ``executor`` (the results, in the jobs'
    order, do not depend on it), calling ``progress(done, len(jobs))`` as each one finishes:
    the replications of ``model.compare.compare`` and ``model.contracts.run_replications``."""
    if executor is None:
        out = []
        for job in jobs:
            out.append(fn(job))
            if progress is not None:
                progress(len(out), len(jobs))
        return out
    futures = [executor.submit(fn, job) for job in jobs]
    for done, _ in enumerate(as_completed(futures), start=1):
        if progress is not None:
            progress(done, len(jobs))
    return [f.result() for f in futures]
