"""``DashboardModel``: the model one browser tab shows. A ``WelfareModel`` built from the
sidebar's settings that owns its counterfactual (``model.pairing.PairedModel``, the
object ``model.compare`` uses), keeps the history the views need, and is safe to draw
while Mesa's Play steps it in a thread (``lock``, ``wait_for_the_page``)."""

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from typing import Any

import numpy as np
import pandas as pd
from mesa.visualization.utils import update_counter

from agents.states import LEVELS, Domain
from model import ParameterError, Parameters, WelfareModel
from model.economics import payback_month
from model.pairing import PairedModel
from model.populations import DEFAULT_POPULATION, NamedPopulation, named_population
from model.services import BUDGETS
from dashboard.controls import (
    DEFAULT_PRESET, DEFAULT_SIZE, counterfactual_parameters, parse_seed, scenario_parameters,
    within_dashboard_limits,
)
from dashboard.figures import LiveFigure, NetworkLayout, network_layout


class DashboardModel(WelfareModel):
    """The model the dashboard shows: a ``WelfareModel`` built from the sidebar's settings
    that also owns its counterfactual and keeps what the views need.

    * ``pair``: the ``model.pairing.PairedModel`` whose scenario arm is this model and
      whose counterfactual is the baseline at the same size and seed (common random
      numbers). SolaraViz steps this model; its step steps the pairing, which steps this
      model's world and the counterfactual together.
    * ``counterfactual``: the pairing's counterfactual arm; ``None`` when the settings are
      the baseline itself (the difference is then zero by construction, and a step costs
      one model, not two).
    * ``error``: a message when the settings were rejected; the model then falls back to
      the preset alone, or to the default baseline, and the page shows the message.
    * History: the levels of every citizen per month, their service enrolment per month,
      moves between levels (last month and cumulative), and the month-by-month
      investment / return per budget holder (``PairedModel.flows``, computed one month at
      a time, so a step costs the same at month 1 and month 120).
    """

    def __init__(self, preset: str = DEFAULT_PRESET, *, rng: Any = 1, scenario: Any = None,
                 target_population: str | int | NamedPopulation = DEFAULT_POPULATION, **settings: Any):
        # ``scenario`` is Mesa's own keyword, passed by SolaraViz on Reset: unused.
        self.error: str | None = None
        self.settings = {"preset": preset, "rng": rng, "target_population": target_population, **settings}
        try:
            seed = parse_seed(rng)
            params = scenario_parameters(preset, **settings)
        except (ParameterError, ValueError, TypeError) as exc:
            params, seed = self._fallback(preset, rng, settings, exc)
        super().__init__(params, rng=seed)
        #: whom the money views are for (``model.populations``): totals x ``money_scale``
        try:
            self.target: NamedPopulation = named_population(target_population, self.params)
        except ParameterError as exc:
            self.target = named_population(None, self.params)
            self.error = (self.error + " " if self.error else "") + f"Population rejected: {exc}. Showing {self.target.name}."
        cf = counterfactual_parameters(self.params)
        counterfactual = None if cf == self.params else WelfareModel(cf, rng=seed)
        # SolaraViz steps this model (its clock is advancing when ``step`` runs), so the
        # pairing steps this model's world, not its Mesa ``step`` (which would recurse)
        self.pair = PairedModel.from_models(self, counterfactual, step_scenario=lambda: WelfareModel.step(self),
                                            history=("scenario",))
        #: service enrolment per month, bit-packed along citizens (8x smaller: long Play runs)
        self.enrolment_history: list[np.ndarray] = [np.packbits(self._enrolled(), axis=1)]
        self.moves_last = [np.zeros((len(LEVELS[d]),) * 2, dtype=np.int64) for d in Domain]
        self.moves_total = [m.copy() for m in self.moves_last]
        self._cumulative_cache: tuple[int, pd.DataFrame] | None = None
        self._layout: NetworkLayout | None = None
        self.figures: dict[tuple, LiveFigure] = {}
        self.timings: deque[float] = deque(maxlen=50)  # seconds per step (model + counterfactual + history)
        #: held by a step and by every view that reads the model (``reads_the_model``)
        self.lock = threading.RLock()
        #: Play's back-pressure (``wait_for_the_page``): the last ``update_counter`` value a
        #: page has drawn, and when; None while no page draws this model (tests, scripts)
        self._drawn = threading.Condition()
        self.drawn_counter: int | None = None
        self.drawn_at = 0.0

    @property
    def counterfactual(self) -> WelfareModel | None:
        return self.pair.counterfactual

    @property
    def level_history(self) -> list[np.ndarray]:
        """Every citizen's levels at the end of each month 0..month (the pairing's record)."""
        return self.pair.level_history["scenario"]

    def _fallback(self, preset: str, rng: Any, settings: dict, exc: Exception) -> tuple[Parameters, int]:
        """Rejected settings: the preset alone at the requested size (and seed, if valid),
        else the default baseline."""
        try:
            seed, seed_note = parse_seed(rng), ""
        except ParameterError:
            seed, seed_note = 1, " with seed 1"
        size = settings.get("population.size", DEFAULT_SIZE)
        attempts = ((f"the preset {preset!r} without the other changes{seed_note}",
                     lambda: within_dashboard_limits(Parameters.load(preset).with_overrides({"population.size": size}))),
                    (f"the baseline with {DEFAULT_SIZE:,} citizens{seed_note}",
                     lambda: Parameters.baseline().with_overrides({"population.size": DEFAULT_SIZE})))
        for label, attempt in attempts:
            try:
                params = attempt()
            except (ParameterError, ValueError, TypeError):
                continue
            self.error = f"Settings rejected: {exc}. Showing {label} instead."
            return params, seed
        raise exc  # pragma: no cover - the baseline itself is always valid

    def _enrolled(self) -> np.ndarray:
        return getattr(self.services, "enrolled", np.zeros((0, self.population.n), dtype=bool))

    def enrolment_of(self, i: int) -> np.ndarray:
        """Citizen ``i``'s enrolment per month (months+1 x services, bool)."""
        none = np.zeros(len(self.enrolment_history[0]), dtype=np.uint8)  # before a newcomer entered
        return np.stack([(h[:, i >> 3] >> (7 - (i & 7))) & 1 if (i >> 3) < h.shape[1] else none
                         for h in self.enrolment_history]).astype(bool)

    # -- the step ---------------------------------------------------------------------------
    #: seconds a step waits at most for the page to draw the previous month
    PAGE_WAIT = 3.0
    #: seconds between a drawn month and the next step: the page sends the drawing to the browser
    PAGE_GAP = 0.1

    def drawn(self, counter: int) -> None:
        """The page drew the model at Mesa's ``update_counter`` = ``counter`` (an effect of
        ``Dashboard``, run after the render pass)."""
        with self._drawn:
            self.drawn_counter = max(counter, self.drawn_counter or 0)
            self.drawn_at = time.monotonic()
            self._drawn.notify_all()

    def wait_for_the_page(self) -> None:
        """Play's back-pressure: wait until the page has drawn the last month Mesa asked it to
        draw, then ``PAGE_GAP``. Mesa's Play steps in a thread and asks for a render after
        every step; when one render takes longer than a step (a tab opened during Play draws
        its figures from scratch), the thread that renders re-renders for ever and holds the
        page's messages back: the browser froze (issue 14). Never waits when no page draws
        this model, never longer than ``PAGE_WAIT`` (a lost render cannot stop Play)."""
        if self.drawn_counter is None:
            return
        wanted = update_counter.value
        with self._drawn:
            self._drawn.wait_for(lambda: self.drawn_counter >= wanted, timeout=self.PAGE_WAIT)
            gap = self.PAGE_GAP - (time.monotonic() - self.drawn_at)
        if gap > 0:
            time.sleep(gap)

    def step(self) -> None:
        self.wait_for_the_page()
        with self.lock:  # views never read a half-stepped model (Play steps in a thread)
            self._step_locked()

    def _step_locked(self) -> None:
        t0 = time.perf_counter()
        prev = self.level_history[-1]
        self.pair.step()  # this model's world, then the counterfactual; records the levels
        cur = self.level_history[-1]
        m = prev.shape[1]  # newcomers are not counted as moves; the dead are recorded as -1
        living = (prev[0] >= 0) & (cur[0, :m] >= 0)
        for d in Domain:
            k = len(LEVELS[d])
            codes = prev[d][living].astype(np.int64) * k + cur[d, :m][living]
            counts = np.bincount(codes, minlength=k * k).reshape(k, k)
            self.moves_last[d] = counts
            self.moves_total[d] = self.moves_total[d] + counts
        self.enrolment_history.append(np.packbits(self._enrolled(), axis=1))
        self.flows()  # this month's investment / return, while the step is timed
        self.timings.append(time.perf_counter() - t0)

    # -- what the views read ----------------------------------------------------------------
    def flows(self) -> pd.DataFrame:
        """Monthly investment, return and net benefit per budget holder (columns
        (measure, budget)), scenario against counterfactual: ``PairedModel.flows``, the
        table ``model.compare`` uses, computed one new month at a time."""
        return self.pair.flows()

    def cumulative_difference(self) -> pd.DataFrame:
        """Cumulative (scenario - counterfactual) net public cost per budget holder and in
        total, per month (DKK; month 0 = 0): minus the cumulative net benefit."""
        if self._cumulative_cache is None or self._cumulative_cache[0] != self.month:
            net = -self.flows()["net"][[*BUDGETS, "total"]].cumsum()
            start = pd.DataFrame(0.0, index=pd.Index([0], name="month"), columns=net.columns)
            self._cumulative_cache = (self.month, pd.concat([start, net]))
        return self._cumulative_cache[1]

    @property
    def money_scale(self) -> float:
        """Persons per simulated citizen: the money views multiply simulated DKK by it."""
        return self.target.per_citizen(self.params["population.size"])

    def payback(self) -> int | None:
        """Payback month so far: the first month from which the cumulative net benefit of
        the scenario (all budgets) has stayed >= 0 (``model.economics.payback_month``)."""
        flows = self.flows()
        if flows.empty or self.counterfactual is None:
            return None
        return payback_month(flows[("net", "total")].to_numpy())

    def layout(self) -> NetworkLayout:
        """Positions for the network view, computed once per model."""
        if self._layout is None:
            self._layout = network_layout(self)
        return self._layout

    def describe(self, lang: str = "en") -> str:
        """One line on what runs: scenario, governance, sizing, the living population, seed,
        counterfactual, whom the money is for and in which prices, and the changes from
        the baseline (parameter paths, as the parameter files write them), in ``lang``."""
        from dashboard import words
        from model.compare import price_base_year

        p = self.params
        da = lang == "da"
        n = functools.partial(words.number, lang=lang)
        prices = words.prices(price_base_year(p), lang)
        changes = {k: v for k, v in p.changes.items() if k != "population.size"}
        shown = ", ".join(f"{k} = {v:,.10g}" if isinstance(v, float) else f"{k} = {v}"
                          for k, v in list(changes.items())[:8])
        more = (f" {'og' if da else 'and'} {len(changes) - 8} {'flere' if da else 'more'}"
                if len(changes) > 8 else "")
        occ = self.occupancy
        persons = self.target.persons
        if not da:
            cf = ("the same citizens and seed under the baseline (siloed)" if self.counterfactual is not None
                  else "none: these settings are the baseline")
            living = (f"{n(p['population.size'])} citizens at the start, {n(occ['alive'])} living now "
                      f"({n(occ['entered'])} newcomers, {n(occ['died'])} deaths, {n(occ['exited'])} left at the pension "
                      "age)" if self.demography is not None else f"{n(p['population.size'])} citizens (a closed cohort)")
            return (f"Scenario {p.name} · governance {p['governance.mode']} · sizing {p['governance.sizing']} · "
                    f"{living} · seed {self.seed} · counterfactual: {cf}. "
                    f"Money for {self.target.label()}: each simulated citizen stands for {self.money_scale:,.3g} "
                    f"persons; {prices}, undiscounted. "
                    f"Changes from the baseline: {shown + more if changes else 'none'}.")
        cf = ("de samme borgere og frø under basisscenariet (opdelte indsatser)" if self.counterfactual is not None
              else "ingen: disse indstillinger er basisscenariet")
        mode = {"siloed": "opdelt", "coordinated": "koordineret"}.get(p["governance.mode"], p["governance.mode"])
        sizing = {"fixed": "faste pladser", "own_budget": "hver betaler det, der tjener sig hjem i eget budget",
                  "whole_purse": "det, der tjener sig hjem for hele den offentlige sektor"}.get(
                      p["governance.sizing"], p["governance.sizing"])
        living = (f"{n(p['population.size'])} borgere ved start, {n(occ['alive'])} i live nu ({n(occ['entered'])} "
                  f"nye, {n(occ['died'])} dødsfald, {n(occ['exited'])} gået ud ved pensionsalderen)"
                  if self.demography is not None else f"{n(p['population.size'])} borgere (en lukket kohorte)")
        return (f"Scenarie {p.name} · styring {mode} · dimensionering: {sizing} · {living} · "
                f"frø {self.seed} · kontrafaktisk: {cf}. Økonomi for {self.target.name} ({n(persons)} personer i "
                f"målgruppen): hver simuleret borger står for {words.number(self.money_scale, 'da', 1)} personer; "
                f"{prices}, udiskonteret. "
                f"Ændringer fra basisscenariet: {shown + more if changes else 'ingen'}.")
