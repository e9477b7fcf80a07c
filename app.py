"""The dashboard: ``solara run app.py`` (or ``./dev app``).

A Mesa ``SolaraViz`` page on the welfare model: pick a scenario preset, governance mode,
population, capacities, prices and seed in the sidebar, press Reset, then Step or Play.
Every scenario runs in lockstep with its counterfactual (the baseline, same citizens, same
seed, same random numbers), so the money views show what the scenario changes.

Sections of this file:

1. Controls: the sidebar inputs (``model_params``) and how they become parameters.
2. ``DashboardModel``: the scenario, its counterfactual, and the history the views need.
3. View data and figures: plain functions (model -> numbers or a matplotlib Figure),
   testable without a browser.
4. Components: the Solara views.
5. The page.
"""

from __future__ import annotations


import functools
import io
import re
import threading
import time
import tomllib
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import solara
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from mesa.visualization import SolaraViz
from PIL import Image as PILImage
from mesa.visualization.utils import update_counter

from agents.states import HOMELESS, LEVELS, Domain, Employment, Mental, Substance, level_key
from model import ParameterError, Parameters, WelfareModel
from model.children import PLACEMENT_ACCOUNTS, PREVENTIVE_ACCOUNT, PROGRAMMES
from model.economics import payback_month, who_pays_matrix
from model.pairing import PairedModel
from model.params import SCENARIO_DIR
from model.population import stack_levels
from model.populations import DEFAULT_POPULATION, NamedPopulation, named_population, preset_names
from model.services import BUDGETS, CATALOGUE

# =========================================================================================
# 1. Controls
# =========================================================================================

AS_PRESET = "as preset"
DEFAULT_PRESET = "housing_first"
DEFAULT_SIZE = 2000
SIZE_MIN, SIZE_MAX = 100, 10_000
#: The largest models one browser tab may ask for, whatever "more changes" says (the
#: citizens slider's limit): a tab holds its model, the counterfactual and their history.
DASHBOARD_LIMITS = {"population.size": SIZE_MAX, "governance.appraisal_size": SIZE_MAX}
#: services whose capacity (places per 1,000 citizens) is a parameter
CAPACITY_SERVICES = [s.name for s in CATALOGUE if s.capacity_limited]


def presets() -> list[str]:
    """The shipped scenarios (``runs/scenarios/*.toml``), baseline first."""
    return ["baseline", *sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))]


#: what the sidebar shows -> the parameter value (``scenario_parameters`` takes either)
MODE_LABELS = {"siloed: each service its own rules": "siloed",
               "coordinated: one case per citizen": "coordinated"}
SIZING_LABELS = {"fixed: the places the scenario states": "fixed",
                 "each budget holder funds what pays back in its own budget": "own_budget",
                 "funded if it pays back for the whole public purse": "whole_purse"}
#: "Housing First with ACT (housing_first)" -> "housing_first"
SERVICE_LABELS = {f"{s.description} ({s.name})": s.name for s in CATALOGUE if s.capacity_limited}


def _value(labels: dict[str, str], choice: str) -> str:
    """The parameter value of a sidebar choice (its label, or the value itself)."""
    return labels.get(choice, choice)


#: Family programmes for the children of the target group (``model/children.py``), in the
#: sidebar's words (short: a long label squeezes its slider): places per 1,000 adults of the
#: target group (none in the status quo); the slider's left end (-1) leaves the preset's places
PROGRAMME_LABELS = {"family_therapy": "Family therapy (MST/FFT) places per 1,000",
                    "family_addiction": "Family component in addiction treatment",
                    "children_of_prisoners": "Support for children of prisoners"}
PROGRAMME_PLACES_MAX = 20.0


def programme_path(name: str) -> str:
    """The parameter a family programme's slider sets: ``children.programmes.<name>.places``."""
    return f"children.programmes.{name}.places"


model_params: dict[str, Any] = {
    "preset": {"type": "Select", "value": DEFAULT_PRESET, "values": presets(), "label": "Scenario preset"},
    "mode": {"type": "Select", "value": AS_PRESET, "values": [AS_PRESET, *MODE_LABELS],
             "label": "Governance mode"},
    "sizing": {"type": "Select", "value": AS_PRESET, "values": [AS_PRESET, *SIZING_LABELS],
               "label": "Capacity sizing"},
    "population.size": {"type": "SliderInt", "value": DEFAULT_SIZE, "min": SIZE_MIN, "max": SIZE_MAX, "step": 100,
                        "label": "Citizens"},
    "capacity_scale": {"type": "SliderFloat", "value": 1.0, "min": 0.0, "max": 3.0, "step": 0.1,
                       "label": "All service capacities (x preset)"},
    "service": {"type": "Select", "value": next(k for k, v in SERVICE_LABELS.items() if v == "housing_first"),
                "values": list(SERVICE_LABELS), "label": "Service to adjust"},
    "service_places": {"type": "SliderFloat", "value": -1.0, "min": -1.0, "max": 300.0, "step": 1.0,
                       "label": "Its places per 1,000 (left end: as the preset)"},
    "service_price_scale": {"type": "SliderFloat", "value": 1.0, "min": 0.0, "max": 3.0, "step": 0.1,
                            "label": "Its price (x preset)"},
    # one slider per family programme; the left end (-1) leaves the preset's places
    **{programme_path(name): {"type": "SliderFloat", "value": -1.0, "min": -1.0, "max": PROGRAMME_PLACES_MAX,
                              "step": 1.0, "label": PROGRAMME_LABELS[name]}
       for name in PROGRAMMES},
    "changes": {"type": "InputText", "value": "", "label": "More changes: path = value; ... (e.g. contract terms)"},
    # whom the money belongs to (model/populations.py): totals are scaled to its persons
    "target_population": {"type": "Select", "value": DEFAULT_POPULATION, "values": preset_names(),
                          "label": "Money for the population of"},
    "rng": {"type": "InputText", "value": "1", "label": "Seed"},
}


def parse_changes(text: str) -> dict[str, Any]:
    """``"a.b = 1; c.d = true; e = pooled"`` -> ``{"a.b": 1, "c.d": True, "e": "pooled"}``.

    Values are read as TOML (numbers, true/false, "strings"); a bare word is a string."""
    out: dict[str, Any] = {}
    for part in (text or "").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        path, sep, raw = part.partition("=")
        path, raw = path.strip(), raw.strip()
        if not sep or not path or not raw:
            raise ParameterError(f"more changes: {part.strip()!r}: write path = value, e.g. services.shelter.capacity = 40")
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        except RecursionError:
            raise ParameterError(f"more changes: {path}: value nested too deeply") from None
        out[path] = value
    return out


def within_dashboard_limits(params: Parameters) -> Parameters:
    """``params`` if no size exceeds :data:`DASHBOARD_LIMITS`, else a ``ParameterError``
    (shown in red): one text entry must not make the server build 5,000,000 citizens."""
    for path, limit in DASHBOARD_LIMITS.items():
        if params[path] > limit:
            raise ParameterError(f"{path} = {params[path]:,}: the dashboard allows at most {limit:,} "
                                 "(the slider's limit); run larger models with ./dev run")
    return params


def parse_seed(seed: Any) -> int:
    """The seed field as an int. ASCII digits only: ``'²'.isdigit()`` is true but ``int``
    refuses it, and the error escaped the red-message path."""
    if isinstance(seed, str):
        seed = seed.strip()
        if not re.fullmatch(r"[0-9]{1,100}", seed):
            raise ParameterError(f"seed = {seed!r}: must be a whole number >= 0 (digits 0-9, at most 100)")
        return int(seed)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed = {seed!r}: must be a whole number >= 0")
    return int(seed)


def scenario_parameters(preset: str = DEFAULT_PRESET, *, mode: str = AS_PRESET, sizing: str = AS_PRESET,
                        capacity_scale: float = 1.0, service: str = "housing_first", service_places: float = -1.0,
                        service_price_scale: float = 1.0, changes: str = "", **overrides: Any) -> Parameters:
    """The sidebar's settings as validated ``Parameters`` (raises ``ParameterError``).

    ``overrides`` are parameter paths (e.g. ``population.size``); a family programme's
    places (``children.programmes.<name>.places``) below 0 is its slider's left end: the
    preset's places."""
    base = Parameters.load(preset)
    for name in PROGRAMMES:
        places = overrides.get(programme_path(name), 0.0)
        if places is None or places < 0:
            overrides.pop(programme_path(name))
    mode, sizing, service = _value(MODE_LABELS, mode), _value(SIZING_LABELS, sizing), _value(SERVICE_LABELS, service)
    out: dict[str, Any] = {}
    if mode != AS_PRESET:
        out["governance.mode"] = mode
    if sizing != AS_PRESET:
        out["governance.sizing"] = sizing
    if capacity_scale != 1.0:
        for name in CAPACITY_SERVICES:
            out[f"services.{name}.capacity"] = round(base[f"services.{name}.capacity"] * float(capacity_scale), 6)
    if service_places is not None and service_places >= 0:
        if service not in CAPACITY_SERVICES:
            raise ParameterError(f"service to adjust = {service!r}: one of {', '.join(CAPACITY_SERVICES)}")
        out[f"services.{service}.capacity"] = float(service_places)
    if service_price_scale != 1.0:
        out[f"services.{service}.price"] = {"scale": float(service_price_scale)}  # in the leaf's own price year
    out.update(overrides)
    out.update(parse_changes(changes))
    return within_dashboard_limits(base.with_overrides(out, origin="dashboard controls") if out else base)


def counterfactual_parameters(params: Parameters) -> Parameters:
    """The status quo for a scenario: the baseline (siloed, none of the scenario's changes)
    at the same population size."""
    return Parameters.baseline().with_overrides({"population.size": params["population.size"]},
                                                origin="counterfactual")


# =========================================================================================
# 2. DashboardModel: the scenario, its counterfactual in lockstep, and history
# =========================================================================================


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

    def describe(self) -> str:
        p = self.params
        cf = ("the same citizens and seed under the baseline (siloed)" if self.counterfactual is not None
              else "none: these settings are the baseline")
        changes = {k: v for k, v in p.changes.items() if k != "population.size"}
        shown = ", ".join(f"{k} = {v:,.10g}" if isinstance(v, float) else f"{k} = {v}"
                          for k, v in list(changes.items())[:8])
        more = f" and {len(changes) - 8} more" if len(changes) > 8 else ""
        from model.compare import price_year_text

        occ = self.occupancy
        living = (f"{p['population.size']:,} citizens at the start, {occ['alive']:,} living now "
                  f"({occ['entered']:,} newcomers, {occ['died']:,} deaths, {occ['exited']:,} left at the pension age)"
                  if self.demography is not None else f"{p['population.size']:,} citizens (a closed cohort)")
        return (f"Scenario {p.name} · governance {p['governance.mode']} · sizing {p['governance.sizing']} · "
                f"{living} · seed {self.seed} · counterfactual: {cf}. "
                f"Money for {self.target.label()}: each simulated citizen stands for {self.money_scale:,.3g} persons; "
                f"{price_year_text(self.params, short=True)}, undiscounted. "
                f"Changes from the baseline: {shown + more if changes else 'none'}.")


# =========================================================================================
# 3. View data and figures (plain functions)
# =========================================================================================

#: one colour per level: green = the reference (no problem), red = the worst, blue = treatment
LEVEL_COLOURS: dict[Domain, list[str]] = {
    Domain.HOUSING: ["#4daf4a", "#f0a500", "#e66100", "#b2182b", "#5e81ac"],
    Domain.SUBSTANCE: ["#4daf4a", "#b2182b", "#2c7fb8", "#7fcdbb"],
    Domain.MENTAL: ["#4daf4a", "#b2182b", "#2c7fb8", "#7fcdbb"],
    Domain.EMPLOYMENT: ["#4daf4a", "#f0a500", "#999999"],
    Domain.JUSTICE: ["#4daf4a", "#b2182b", "#f0a500"],
}
BUDGET_COLOURS = {"kommune": "#1b9e77", "region": "#7570b3", "stat": "#d95f02", "total": "#000000"}
DOMAINS = [d.name.lower() for d in Domain]
DPI = 80
MAX_NETWORK_NODES = 400


def level_names(d: Domain) -> list[str]:
    return [lv.name.lower() for lv in LEVELS[d]]


@dataclass(frozen=True)
class NetworkLayout:
    """A drawn sample of the social network: ``nodes`` (citizen ids), their ``pos`` and
    the sample's ``edges`` (row indices into ``nodes``)."""

    nodes: np.ndarray
    pos: np.ndarray
    edges: np.ndarray
    total: int


def network_layout(model: WelfareModel, max_nodes: int = MAX_NETWORK_NODES) -> NetworkLayout:
    """A snowball sample (breadth-first from a seeded start) of at most ``max_nodes``
    citizens, so neighbourhoods stay whole, laid out once with a spring layout."""
    import networkx as nx

    net, n = model.network, model.population.n
    start = int(np.random.default_rng(model.seed).integers(n)) if n else 0
    order: list[int] = []
    seen = {start}
    queue = deque([start])
    while len(order) < min(max_nodes, n):
        if not queue:  # the start's component is exhausted: continue from an unseen citizen
            rest = next(i for i in range(n) if i not in seen)
            seen.add(rest)
            queue.append(rest)
        v = queue.popleft()
        order.append(v)
        for w in net.neighbours(v):
            if int(w) not in seen:
                seen.add(int(w))
                queue.append(int(w))
    nodes = np.array(sorted(order), dtype=np.int64)
    index = -np.ones(n, dtype=np.int64)
    index[nodes] = np.arange(nodes.size)
    e = net.edges
    keep = (index[e[:, 0]] >= 0) & (index[e[:, 1]] >= 0) if e.size else np.zeros(0, dtype=bool)
    edges = index[e[keep]] if e.size else np.zeros((0, 2), dtype=np.int64)
    g = nx.Graph()
    g.add_nodes_from(range(nodes.size))
    g.add_edges_from(edges.tolist())
    layout = nx.spring_layout(g, iterations=40, seed=0) if nodes.size > 1 else {0: np.zeros(2)}
    pos = np.array([layout[i] for i in range(nodes.size)]) if nodes.size else np.zeros((0, 2))
    return NetworkLayout(nodes, pos, edges, n)


class LiveFigure:
    """A matplotlib figure drawn by blitting, so a month's update costs a few ms.

    The static parts (axes, ticks, titles, legends) are rasterised once; the data
    artists (registered with :meth:`animate`) are redrawn on top of that background for
    every frame. ``update(model)`` (in the subclasses) sets the data and returns True
    when a static part changed (e.g. the axis limits grew): the whole figure is then
    redrawn once. ``png(model)`` returns the frame as PNG bytes."""

    def __init__(self, figsize: tuple[float, float]):
        self.fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
        self.canvas = FigureCanvasAgg(self.fig)
        self.animated: list = []
        self.full_draws = 0
        self._background = None
        self._lock = threading.Lock()  # the first model is shared by sessions until Reset

    def animate(self, artist):
        artist.set_animated(True)
        self.animated.append(artist)
        return artist

    def update(self, model: DashboardModel) -> bool:
        raise NotImplementedError

    def png(self, model: DashboardModel) -> bytes:
        with self._lock:
            if self.update(model) or self._background is None:
                self.canvas.draw()
                self._background = self.canvas.copy_from_bbox(self.fig.bbox)
                self.full_draws += 1
                self.fig.set_layout_engine("none")  # keep the first layout: later full draws are cheaper
            else:
                self.canvas.restore_region(self._background)
            for artist in self.animated:
                self.fig.draw_artist(artist)
            rgb = np.asarray(self.canvas.buffer_rgba())[..., :3]
            out = io.BytesIO()
            PILImage.fromarray(rgb).save(out, format="png", compress_level=1)
            return out.getvalue()


def _horizon(month: int) -> int:
    """x-axis end: 24 months, growing in steps of 24 (a full redraw only then)."""
    return max(24, -(-month // 24) * 24)


def _grown(lo: float, hi: float, cur: tuple[float, float], pad: float = 0.5) -> tuple[float, float] | None:
    """New y-limits when [lo, hi] no longer fits in ``cur`` (with room to grow), else None."""
    if lo >= cur[0] and hi <= cur[1]:
        return None
    span = max(hi - lo, cur[1] - cur[0], 1e-9)
    return (min(cur[0], lo - pad * span) if lo < cur[0] else cur[0],
            max(cur[1], hi + pad * span) if hi > cur[1] else cur[1])


class NetworkFigure(LiveFigure):
    """The social network (a snowball sample, layout computed once per model), citizens
    coloured by their level in ``domain``; ``highlight`` rings one citizen."""

    def __init__(self, model: DashboardModel, domain: str):
        super().__init__((5.2, 4.6))
        self.domain = Domain[domain.upper()]
        self.highlight: int | None = None
        lay = self.lay = model.layout()
        ax = self.ax = self.fig.subplots()
        if lay.edges.size:
            ax.add_collection(LineCollection(lay.pos[lay.edges], colors="#c8c8c8", linewidths=0.5, zorder=1))
        self.dots = self.animate(ax.scatter(lay.pos[:, 0], lay.pos[:, 1], s=14, linewidths=0, zorder=2))
        self.ring = self.animate(ax.scatter([], [], s=130, facecolors="none", edgecolors="black", linewidths=1.5,
                                            zorder=3))
        self.label = self.animate(ax.text(0.99, 0.01, "", transform=ax.transAxes, ha="right", fontsize=8))
        ax.legend(handles=[Patch(color=c, label=name) for c, name in
                           zip(LEVEL_COLOURS[self.domain], level_names(self.domain))],
                  loc="upper left", fontsize=7, frameon=False, ncols=3, bbox_to_anchor=(0, 1.0))
        ax.set_title(f"Social network by {domain}: {lay.nodes.size:,} of {lay.total:,} citizens (snowball sample)",
                     fontsize=9)
        ax.set_axis_off()
        if lay.pos.size:
            lo, hi = lay.pos.min(axis=0), lay.pos.max(axis=0)
            pad = 0.05 * max(float((hi - lo).max()), 1e-9)
            ax.set_xlim(lo[0] - pad, hi[0] + pad)
            ax.set_ylim(lo[1] - pad, hi[1] + 0.25 * (hi[1] - lo[1]) + pad)  # room for the legend

    def update(self, model: DashboardModel) -> bool:
        levels = model.population.levels[self.domain, self.lay.nodes]
        self.dots.set_facecolors(np.array(LEVEL_COLOURS[self.domain])[levels])
        where = np.flatnonzero(self.lay.nodes == self.highlight) if self.highlight is not None else []
        self.ring.set_offsets(self.lay.pos[where] if len(where) else np.zeros((0, 2)))
        counts = np.bincount(levels, minlength=len(LEVELS[self.domain]))
        self.label.set_text(f"month {model.month}: " + ", ".join(
            f"{name} {k}" for name, k in zip(level_names(self.domain), counts) if k))
        return False


class OccupancyFigure(LiveFigure):
    """Citizens in each problem level per month and domain: scenario solid,
    counterfactual dashed."""

    def __init__(self, model: DashboardModel):
        super().__init__((7.2, 4.6))
        self.axes = list(self.fig.subplots(2, 3).ravel())
        self.lines: list[tuple[Any, str, str]] = []  # (line, arm, key)
        self.keys: list[list[str]] = []
        arms = ["scenario"] + (["counterfactual"] if model.counterfactual is not None else [])
        for ax, d in zip(self.axes, Domain):
            names = level_names(d)
            keys = [level_key(d, lv) for lv in range(1, len(names))]
            self.keys.append(keys)
            for lv, key in enumerate(keys, start=1):
                for arm in arms:
                    line, = ax.plot([], [], color=LEVEL_COLOURS[d][lv], lw=1.6 if arm == "scenario" else 1.0,
                                    ls="-" if arm == "scenario" else "--", label=names[lv] if arm == "scenario" else None)
                    self.lines.append((self.animate(line), arm, key))
            ax.set_title(f"{d.name.lower()} (not {names[0]})", fontsize=9)
            ax.tick_params(labelsize=7)
            ax.set_autoscale_on(False)
            ax.set_xlim(0, _horizon(0))
            ax.set_ylim(0, 1)
            ax.legend(fontsize=6, frameon=False, loc="upper left", ncols=2)
        self.axes[-1].set_axis_off()
        self.axes[-1].text(0.0, 0.5, "citizens per month\n— scenario\n- - counterfactual" if len(arms) > 1
                           else "citizens per month", fontsize=8, va="center")

    def update(self, model: DashboardModel) -> bool:
        frames = {"scenario": model.occupancy_frame()}
        if model.counterfactual is not None:
            frames["counterfactual"] = model.counterfactual.occupancy_frame()
        for line, arm, key in self.lines:
            f = frames[arm]
            line.set_data(f.index.to_numpy(), f[key].to_numpy())
        changed = False
        h = _horizon(model.month)
        for ax, keys in zip(self.axes, self.keys):
            if ax.get_xlim()[1] != h:
                ax.set_xlim(0, h)
                changed = True
            top = max(float(f[keys].to_numpy().max()) for f in frames.values())
            new = _grown(0.0, top, ax.get_ylim())
            if new is not None:
                ax.set_ylim(0, new[1])
                changed = True
        return changed


class MoneyFigure(LiveFigure):
    """Cumulative net public saving of the scenario against its counterfactual per budget
    holder (DKK million; + = the public saves, the sign of every money view), with the
    payback month marked."""

    def __init__(self, model: DashboardModel):
        super().__init__((7.2, 4.0))
        ax = self.ax = self.fig.subplots()
        ax.axhline(0, color="#888888", lw=0.8)
        self.lines = {b: self.animate(ax.plot([], [], color=BUDGET_COLOURS[b], lw=2.4 if b == "total" else 1.5,
                                              label=b)[0]) for b in (*BUDGETS, "total")}
        self.payback_line = self.animate(ax.axvline(0, color="black", ls=":", lw=1.2))
        self.note = self.animate(ax.text(0.01, 0.97, "", transform=ax.transAxes, va="top", fontsize=9))
        ax.set_title(f"Cumulative net public saving vs counterfactual, DKK million for {model.target.name}\n"
                     f"({model.target.persons:,.0f} persons; undiscounted, cashable; + = the public saves)", fontsize=9)
        ax.set_xlabel("month", fontsize=8)
        ax.set_ylabel("DKK million", fontsize=8)
        ax.tick_params(labelsize=7)
        self.fig.legend(handles=list(self.lines.values()), fontsize=7, frameon=False, ncols=4, loc="outside lower center")
        ax.set_autoscale_on(False)
        ax.set_xlim(0, _horizon(0))
        ax.set_ylim(-1, 1)

    def update(self, model: DashboardModel) -> bool:
        cum = -model.cumulative_difference() * model.money_scale / 1e6  # + = the public saves
        x = cum.index.to_numpy()
        for b, line in self.lines.items():
            line.set_data(x, cum[b].to_numpy())
        pb = model.payback()
        self.payback_line.set_visible(pb is not None)
        if pb is not None:
            self.payback_line.set_xdata([pb, pb])
        self.note.set_text("no difference: the settings are the baseline" if model.counterfactual is None
                           else f"month {model.month}: " + (f"paid back in month {pb}" if pb is not None
                                                           else "not paid back yet"))
        changed = False
        h = _horizon(model.month)
        if self.ax.get_xlim()[1] != h:
            self.ax.set_xlim(0, h)
            changed = True
        values = cum.to_numpy()
        new = _grown(float(values.min()), float(values.max()), self.ax.get_ylim())
        if new is not None:
            self.ax.set_ylim(*new)
            changed = True
        return changed


def live_figure(model: DashboardModel, kind: type[LiveFigure], *args: Any) -> LiveFigure:
    """One live figure per model, kind and options (kept on the model)."""
    key = (kind.__name__, *args)
    cache = model.figures
    if key not in cache:
        cache[key] = kind(model, *args)
    return cache[key]


def who_pays(model: DashboardModel) -> pd.DataFrame:
    return who_pays_matrix(model.flows())


def _table_html(frame: pd.DataFrame, css_class: str, note: str = "") -> str:
    """A plain HTML table (index as the first column) with a small note under it."""
    head = "".join(f'<th style="padding:3px 8px;text-align:left">{c}</th>' for c in [frame.index.name or "", *frame.columns])
    rows = "".join("<tr>" + f'<th style="padding:3px 8px;text-align:left">{i}</th>'
                   + "".join(f'<td style="padding:3px 8px">{v}</td>' for v in row) + "</tr>"
                   for i, row in zip(frame.index, frame.itertuples(index=False)))
    foot = f'<div style="font-size:11px;color:#666;margin-top:4px">{note}</div>' if note else ""
    return f'<table class="{css_class}" style="border-collapse:collapse;font-size:13px">' \
           f'<tr>{head}</tr>{rows}</table>{foot}'


def funding_warnings(model: DashboardModel) -> list[str]:
    """For the top of the page: offered interventions left at 0 places, and sidebar
    controls that a typed change overrides (the typed value wins, as the Reset applied it)."""
    plan = getattr(model.services, "plan", None)
    out = [f"Scenario: {w}" for w in plan.warnings()] if plan is not None else []
    try:
        typed = parse_changes(model.settings.get("changes", ""))
    except ParameterError:
        typed = {}
    controlled = {"population.size": "the Citizens slider", "governance.mode": "Governance mode",
                  "governance.sizing": "Capacity sizing",
                  **{programme_path(name): f"the slider '{label}'" for name, label in PROGRAMME_LABELS.items()}}
    for path, control in controlled.items():
        if path in typed:
            out.append(f"'More changes' sets {path} = {typed[path]}, which overrides {control}.")
    return out


def funding_html(model: DashboardModel) -> str:
    """Places funded per service in both arms, who pays and why (``FundingPlan``)."""
    from model.compare import ArmDescription

    arms = {"scenario": ArmDescription.of(model.params, appraisal=False)}
    if model.counterfactual is not None:
        arms["counterfactual"] = ArmDescription.of(model.counterfactual.params, appraisal=False)
    tables = {arm: d.funding() for arm, d in arms.items()}
    scen = tables["scenario"]
    out = pd.DataFrame({"budget holder": scen["budget_holder"]}, index=scen.index.rename("service"))
    for arm, t in tables.items():
        out[f"{arm}: places per 1,000 (places)"] = [f"{f:g} ({p:,})" for f, p in zip(t["funded_per_1000"], t["places"])]
    out["paid by (scenario)"] = scen["paid_by"]
    out["decision (scenario)"] = scen["decision"]
    keep = (scen["offered_per_1000"] > 0) | (tables.get("counterfactual", scen)["offered_per_1000"] > 0)
    return _table_html(out[keep], "funding", f"Places the scenario funds at {model.population.n:,} simulated citizens "
                                             "(model/governance.py). Interventions not listed are not offered.")


def changes_html(params: Parameters) -> str:
    """What the settings change relative to the calibrated default (``Parameters.differences``)."""
    rows = [r for r in params.differences() if r["path"] != "population.size"]
    if not rows:
        return "<div>No changes from the calibrated default.</div>"
    frame = pd.DataFrame([{"parameter": r["path"], "calibrated": _fmt_value(r["calibrated"]),
                           "this scenario": _fmt_value(r["scenario"]),
                           "ratio": "" if r["ratio"] is None else f"x{r['ratio']:.2f}", "how": r["how"],
                           "unit": r["unit"]} for r in rows]).set_index("parameter")
    return _table_html(frame, "changes", "Every parameter that differs from the calibrated default.")


def appraisal_html(frame: pd.DataFrame, params: Parameters) -> str:
    """The appraisal of the offered interventions: net gain per budget holder (DKK million,
    median [p10, p90]) and the probability of paying back."""
    if frame.empty:
        return "<div>The scenario offers no discretionary intervention to appraise.</div>"
    cells = {}
    for (svc, budget), r in frame.set_index(["service", "budget"]).iterrows():
        cells.setdefault(svc, {})[budget] = (f"{r['median'] / 1e6:,.1f} [{r['p10'] / 1e6:,.1f}, {r['p90'] / 1e6:,.1f}] "
                                             f"· P {r['p_pays_back']:.0%}")
    table = pd.DataFrame(cells).T.rename_axis("intervention")
    return _table_html(table, "appraisal",
                       f"Pays back within {params['governance.appraisal_months']:g} months? Net gain with the "
                       f"intervention (DKK million, median [10th, 90th percentile] over "
                       f"{params['governance.appraisal_replications']} pilots of {params['governance.appraisal_size']:,} "
                       "citizens; + = the budget is better off, the owner paying its cost) and P = the share of pilots "
                       "that pay back.")


def _fmt_value(v: Any) -> str:
    return f"{v:,.6g}" if isinstance(v, float) else str(v)


def who_pays_html(model: DashboardModel) -> str:
    """The who-pays / who-saves matrix to date as an HTML table (DKK million): rows
    invest, columns save; green = saving, red = extra cost."""
    mat = who_pays(model) * model.money_scale / 1e6
    lim = max(float(np.abs(mat[list(BUDGETS)].to_numpy()).max()), 1e-9)

    def cell(v: float) -> str:
        alpha = min(abs(v) / lim, 1.0) * 0.6
        colour = f"rgba(26,152,80,{alpha:.2f})" if v >= 0 else f"rgba(215,48,39,{alpha:.2f})"
        return f'<td style="background:{colour};text-align:right;padding:4px 10px">{v:,.1f}</td>'

    head = "".join(f'<th style="padding:4px 10px">{b} saves</th>' for b in BUDGETS)
    rows = "".join(
        f'<tr><th style="text-align:left;padding:4px 10px">{b}</th>'
        f'<td style="text-align:right;padding:4px 10px">{mat.loc[b, "investment"]:,.1f}</td>'
        + "".join(cell(float(mat.loc[b, c])) for c in BUDGETS)
        + f'<td style="text-align:right;padding:4px 10px"><b>{mat.loc[b, "total_return"]:,.1f}</b></td></tr>'
        for b in BUDGETS)
    return (f'<table class="who-pays" style="border-collapse:collapse;font-size:13px">'
            f'<tr><th style="text-align:left;padding:4px 10px">invested by</th><th style="padding:4px 10px">invests</th>'
            f'{head}<th style="padding:4px 10px">total return</th></tr>{rows}</table>'
            f'<div style="font-size:11px;color:#666;margin-top:4px">DKK million for {model.target.label()} to month '
            f'{model.month}, scenario minus counterfactual. Each budget\'s return (savings and revenue) is shared among the investors in '
            f'proportion to their investment (model/economics.py).</div>')


def fig_transitions(model: DashboardModel, cumulative: bool = False) -> Figure:
    """Moves between levels per domain (rows from, columns to; staying put not shown)."""
    moves = model.moves_total if cumulative else model.moves_last
    fig = Figure(figsize=(11, 3.4), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, 5)
    for ax, d in zip(axes, Domain):
        m = moves[d].astype(float)
        np.fill_diagonal(m, np.nan)
        ax.imshow(m, cmap="Blues", vmin=0)
        names = level_names(d)
        for r in range(len(names)):
            for c in range(len(names)):
                if r != c:
                    ax.text(c, r, f"{int(moves[d][r, c])}", ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.set_title(d.name.lower(), fontsize=9)
    span = f"months 1-{model.month}" if cumulative else f"month {model.month}"
    fig.suptitle(f"Moves between levels, {span} (row = from, column = to)", fontsize=9)
    return fig


def service_table(model: WelfareModel) -> pd.DataFrame:
    """Per service now: places (-1 = unlimited), enrolled, waiting, and this month's
    admissions, refusals and drop-outs."""
    stats = model.services.stats[-1] if hasattr(model.services, "stats") else {}
    return pd.DataFrame([{"service": name, **{k: st[k] for k in ("places", "enrolled", "waiting", "admitted",
                                                                  "refused", "dropped_out")}}
                         for name, st in stats.items()]).set_index("service") if stats else pd.DataFrame()


def fig_services(model: DashboardModel) -> Figure:
    table = service_table(model)
    fig = Figure(figsize=(7.2, 4.0), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    if table.empty:
        ax.text(0.5, 0.5, "no services modelled", ha="center")
        return fig
    y = np.arange(len(table))
    ax.barh(y - 0.2, table["enrolled"], height=0.4, color="#2c7fb8", label="enrolled")
    ax.barh(y + 0.2, table["waiting"], height=0.4, color="#f0a500", label="waiting")
    places = table["places"].to_numpy()
    limited = places >= 0
    ax.scatter(places[limited], y[limited], marker="|", s=160, color="black", label="places")
    ax.set_yticks(y, table.index, fontsize=7)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=7)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.set_title(f"Services in month {model.month}: enrolled, waiting and places", fontsize=9)
    return fig


def citizen_summary(model: DashboardModel, i: int) -> dict[str, Any]:
    """One citizen: levels now, personal facts, services now, and the net public cost to
    date per budget holder in the scenario and in the counterfactual."""
    c = model.citizens[i]
    specs = getattr(model.services, "specs", ())
    now = [s.name for k, s in enumerate(specs) if model._enrolled()[k, i]]
    out = {"citizen": i, **c.levels(), "status": c.status, "age": round(c.age, 1), "complexity": round(c.complexity, 2),
           "contacts": len(model.network.neighbours(i)), "ever_prison": c.ever_prison,
           "ever_homeless": c.ever_homeless, "services_now": ", ".join(now) or "none"}
    costs = citizen_costs(model, i)
    for b in BUDGETS:
        out[f"cost_{b}"] = float(costs["scenario"][b].sum())
        out[f"cost_{b}_counterfactual"] = float(costs["counterfactual"][b].sum())
    return out


def citizen_costs(model: DashboardModel, i: int) -> dict[str, pd.DataFrame]:
    """Monthly net public cost per budget for citizen ``i``, scenario and counterfactual."""
    mine = model.ledger.citizen_costs(i)
    other = model.counterfactual.ledger.citizen_costs(i) if model.counterfactual is not None else mine
    return {"scenario": mine, "counterfactual": other}


def fig_citizen(model: DashboardModel, i: int) -> Figure:
    """A citizen's timeline: level per domain per month, services received, and the
    cumulative net public cost to each budget (scenario solid, counterfactual dashed)."""
    hist = stack_levels(model.level_history)[:, :, i]  # months+1 x domains; -1: not in the group
    enrol = model.enrolment_of(i)  # months+1 x services
    specs = list(getattr(model.services, "specs", ()))
    used = [k for k in range(enrol.shape[1]) if enrol[:, k].any()]
    months = np.arange(hist.shape[0])
    fig = Figure(figsize=(11, 5.2), dpi=DPI, layout="constrained")
    top, mid, bottom = fig.subplots(3, 1, sharex=True, height_ratios=[5, max(len(used), 1), 4])
    gone = {"alive": "not yet in the group", "died": "died", "exited": "left at the exit age",
            "pending": "outside the target group"}[model.citizens[i].status]
    for row, d in enumerate(Domain):
        colours = [LEVEL_COLOURS[d][x] if x >= 0 else "#e0e0e0" for x in hist[:, d]]
        top.barh(row, np.ones(months.size), left=months - 0.5, color=colours, height=0.8, linewidth=0)
        changes = np.flatnonzero(np.diff(hist[:, d])) + 1
        for m in [0, *changes.tolist()]:
            x = hist[m, d]
            label = level_names(d)[x] if x >= 0 else (gone if m else "not yet in the group")
            top.text(m - 0.4, row, label, fontsize=7, va="center", color="white" if x > 0 else "black", clip_on=True)
    top.set_yticks(range(len(Domain)), DOMAINS, fontsize=8)
    top.invert_yaxis()
    top.set_title(f"Citizen {i}: life states per month", fontsize=9)
    for row, k in enumerate(used):
        on = months[enrol[:, k]]
        mid.barh(np.full(on.size, row), np.ones(on.size), left=on - 0.5, color="#2c7fb8", height=0.7, linewidth=0)
    mid.set_yticks(range(len(used)), [specs[k].name for k in used] if specs else [], fontsize=7)
    mid.invert_yaxis()
    if not used:
        mid.text(0.01, 0.5, "no services received", transform=mid.transAxes, fontsize=8, va="center")
        mid.set_yticks([])
    mid.set_title("services received", fontsize=9)
    costs = citizen_costs(model, i)
    for b in BUDGETS:
        for arm, ls in (("scenario", "-"), ("counterfactual", "--")):
            if arm == "counterfactual" and model.counterfactual is None:
                continue
            series = np.concatenate([[0.0], costs[arm][b].cumsum().to_numpy()]) / 1000
            bottom.plot(months[: series.size], series, color=BUDGET_COLOURS[b], ls=ls, lw=1.4,
                        label=b if arm == "scenario" else None)
    bottom.set_title("cumulative net public cost of this citizen, DKK thousand "
                     "(— scenario, - - same citizen in the counterfactual)", fontsize=9)
    bottom.legend(fontsize=7, frameon=False, loc="upper left")
    bottom.set_xlabel("month", fontsize=8)
    for ax in (top, mid, bottom):
        ax.tick_params(labelsize=7)
    bottom.set_xlim(-0.5, max(12, model.month) + 0.5)
    return fig


def most_costly_citizen(model: DashboardModel) -> int:
    return int(np.argmax(model.ledger.citizen_total.sum(axis=0))) if model.month else 0


def kpis(model: DashboardModel) -> list[tuple[str, str, str]]:
    """(label, value, comparison with the counterfactual) for the headline counters."""
    occ, cf = model.occupancy, (model.counterfactual.occupancy if model.counterfactual is not None else None)

    def count(label: str, keys: list[str]) -> tuple[str, str, str]:
        v = sum(occ[k] for k in keys)
        if cf is None:
            return label, f"{v:,}", ""
        delta = v - sum(cf[k] for k in keys)
        return label, f"{v:,}", f"{delta:+,} vs counterfactual"

    cum = -model.cumulative_difference().iloc[-1] * model.money_scale  # + = the public saves
    per_person = cum["total"] / model.target.persons
    pb = model.payback()
    return [
        ("Month", f"{model.month}", f"year {model.month // 12 + 1}"),
        count("Homeless", [level_key(Domain.HOUSING, h) for h in HOMELESS]),
        count("In addiction treatment", [level_key(Domain.SUBSTANCE, Substance.TREATMENT)]),
        count("Untreated mental illness", [level_key(Domain.MENTAL, Mental.UNTREATED)]),
        count("Employed", [level_key(Domain.EMPLOYMENT, Employment.EMPLOYED)]),
        count("Deaths so far", ["died"]),
        (f"Net public saving, {model.target.name}", f"{cum['total'] / 1e6:+,.1f}m DKK",
         "kommune {:,.1f} / region {:,.1f} / stat {:,.1f}; ".format(*(cum[b] / 1e6 for b in BUDGETS))
         + f"{per_person:,.0f} DKK per person"),
        ("Payback", "n/a" if model.counterfactual is None else (f"month {pb}" if pb is not None else "not yet"),
         "all public budgets"),
    ]


class DashboardContract:
    """The contract of a contract preset, simulated once over its whole horizon on the
    dashboard's own citizens and seed (``model.contracts.simulate``: the contract arm and
    its counterfactual), built the first time the Contract tab is opened."""

    def __init__(self, params: Parameters, seed: int):
        from model.contracts import simulate

        self.run = simulate(params, seed=seed)
        self.terms = self.run.terms

    def cash_flows(self) -> pd.DataFrame:
        flows = self.run.cash_flows()
        return flows[["investor", "provider", "guarantor", *BUDGETS, "public_purse"]]

    #: the contract's metrics as a person reads them: key -> (label, how the value is shown)
    METRICS = {
        "investor_irr": ("investor's return a year (IRR)", lambda v: "n/a" if pd.isna(v) else f"{v:+.1%}"),
        "investor_multiple": ("money back per krone invested", lambda v: "n/a" if pd.isna(v) else f"{v:.2f}x"),
        "investor_loss": ("investor loses money", lambda v: _fmt_metric(v)),
        "guarantee_used": ("first-loss guarantee used", lambda v: _fmt_metric(v)),
        "outcome_payments": ("outcome payments (simulated DKK)", lambda v: f"{v:,.0f}"),
        "deadweight_share": ("paid outcomes that would have happened anyway", lambda v: f"{v:.0%}"),
        "creaming_index": ("creaming index (problems of those recruited vs eligible)", lambda v: f"{v:.2f}"),
    }

    def summary(self) -> str:
        m = self.run.summary().metrics
        return " · ".join(f"{label}: {show(m[k])}" for k, (label, show) in self.METRICS.items() if k in m)

    def __repr__(self) -> str:
        return f"{self.terms.service} for a cohort of {len(self.run.cohort)}, horizon {self.terms.horizon} months"


def _fmt_metric(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{v:,}"
    if isinstance(v, (float, np.floating)):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
    return str(v)


def contract_info(model: WelfareModel) -> dict[str, Any] | None:
    """What the contract view shows, or ``None`` when the model has no contract.

    Duck-typed on purpose (the contract module is built separately): a contract may give
    ``cash_flows()`` (a frame per month: one column per party, DKK) and a ``summary()``."""
    contract = getattr(model, "contract", None)
    if contract is None and bool(model.params["contract.enabled"]):
        try:
            contract = model.contract = DashboardContract(model.params, model.seed)
        except Exception as exc:  # noqa: BLE001 - a bad contract term must not break the page
            return {"name": "contract", "repr": "could not be simulated", "cash_flows": f"contract: {exc}"}
    if contract is None:
        return None
    info: dict[str, Any] = {"name": type(contract).__name__, "repr": repr(contract)}
    for attr in ("cash_flows", "summary"):
        fn = getattr(contract, attr, None)
        if callable(fn):
            try:
                info[attr] = fn()
            except Exception as exc:  # noqa: BLE001 - show, do not crash the page
                info[attr] = f"{attr}() failed: {exc}"
    return info


def fig_contract(model: WelfareModel, flows: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(7.2, 4.0), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    cum = flows.select_dtypes("number").cumsum() / 1e6
    for col in cum.columns:
        ax.plot(cum.index, cum[col], lw=1.5, label=str(col))
    ax.axhline(0, color="#888888", lw=0.8)
    ax.legend(fontsize=7, frameon=False)
    ax.set_title("Contract: cumulative cash flows per party, DKK million (+ = money in for that party)", fontsize=9)
    ax.tick_params(labelsize=7)
    return fig


def contract_parameters(params: Parameters) -> dict[str, Any]:
    return {p: params[p] for p in params if p.startswith("contract.")}


# -- the second generation (model/children.py) ------------------------------------------------
#: where a child lives, in words: (occupancy key, words, colour)
CHILD_PLACEMENTS = (("children.home", "at home", "#4daf4a"),
                    ("children.preventive", "at home with a preventive measure", "#f0a500"),
                    ("children.foster", "in a foster family", "#2c7fb8"),
                    ("children.institution", "in an institution", "#b2182b"))
#: the children's ledger accounts in words: placements and preventive measures are the
#: kommune's; a family programme is booked on its own budget (``children.programmes.<name>.budget``)
CHILD_ACCOUNT_WORDS = {"placement_foster": "placements in a foster family",
                       "placement_institution": "placements in an institution",
                       PREVENTIVE_ACCOUNT: "preventive measures (children at home)",
                       "family_therapy": "family therapy (MST/FFT)",
                       "family_addiction": "family component in addiction treatment",
                       "children_of_prisoners": "support for children of prisoners"}
#: what the cumulative panel draws from ``Children.frame()``: (column, words, colour)
CHILD_EVENTS = (("placements", "placements", "#b2182b"),
                ("joined", "grown-up children entering the target group", "#7570b3"))
CHILDREN_OFF = ("Children are off: demography.enabled or children.enabled is false, so this run has no second "
                "generation.")


def child_arms(model: DashboardModel) -> dict[str, WelfareModel]:
    """The arms with children: the scenario, and its counterfactual when there is one with
    children (empty when the scenario has none)."""
    if model.children is None:
        return {}
    cf = model.counterfactual
    return {"scenario": model, **({"counterfactual": cf} if cf is not None and cf.children is not None else {})}


def child_events(model: WelfareModel) -> pd.DataFrame:
    """Cumulative placements and grown-up children who entered the target group per month
    (month 0 = 0), from ``Children.frame()``."""
    cols = [key for key, _, _ in CHILD_EVENTS]
    start = pd.DataFrame(0.0, index=pd.Index([0], name="month"), columns=cols)
    frame = model.children.frame()
    if frame.empty:
        return start
    return pd.concat([start, frame.reindex(columns=cols, fill_value=0.0).cumsum()])


def child_money(model: WelfareModel) -> pd.Series:
    """Net public cost to date of each of the children's ledger accounts, by (budget,
    category); simulated DKK (``Ledger.frame`` summed over months, without building it)."""
    ledger = model.ledger
    total = np.sum(ledger.monthly, axis=0) if ledger.monthly else np.zeros(len(ledger.accounts))
    keep = [(a, account) for a, account in enumerate(ledger.accounts) if account[1] in CHILD_ACCOUNT_WORDS]
    return pd.Series([float(total[a]) for a, _ in keep], dtype=float,
                     index=pd.MultiIndex.from_tuples([account for _, account in keep], names=["budget", "category"]))


def children_so_far(model: WelfareModel) -> dict[str, float]:
    """One arm's children: the counts now (``Children.counts``), those placed now, and to
    date: placements, grown-up children who entered the target group and the kommune's
    spending on placements (simulated DKK)."""
    out: dict[str, float] = dict(model.children.counts())
    out["placed"] = out["children.foster"] + out["children.institution"]
    events = child_events(model).iloc[-1]
    out["placements"] = int(round(events["placements"]))
    out["joined"] = int(round(events["joined"]))
    money = child_money(model)
    placements = money.index.get_level_values("category").isin(list(PLACEMENT_ACCOUNTS))
    out["placement_spending"] = float(money[placements].sum())
    return out


def children_kpis(model: DashboardModel) -> list[tuple[str, str, str]]:
    """(label, value, comparison with the counterfactual) for the Children tab's counters.
    Children are counted as simulated; the money is for the dashboard's population."""
    arms = child_arms(model)
    s = children_so_far(model)
    cf = children_so_far(arms["counterfactual"]) if "counterfactual" in arms else None

    def versus(key: str) -> str:
        return "" if cf is None else f"{s[key] - cf[key]:+,} vs counterfactual ({cf[key]:,})"

    million = model.money_scale / 1e6
    spent = s["placement_spending"] * million
    return [
        ("Children now", f"{s['children']:,}",
         f"{s['children.home']:,} at home, {s['children.preventive']:,} at home with a preventive measure"),
        ("Placed now (foster family or institution)", f"{s['placed']:,}", versus("placed")),
        ("Placements so far", f"{s['placements']:,}", "" if cf is None else
         f"{cf['placements'] - s['placements']:+,} avoided (counterfactual {cf['placements']:,})"),
        ("Grown-up children who entered the target group", f"{s['joined']:,}", versus("joined")),
        (f"Kommune's spending on placements, {model.target.name}", f"{spent:,.1f}m DKK",
         "" if cf is None else f"counterfactual {cf['placement_spending'] * million:,.1f}m DKK; "
                               f"{cf['placement_spending'] * million - spent:+,.1f}m saved"),
    ]


def children_money_table(model: DashboardModel) -> pd.DataFrame:
    """The children's money to date per account and budget holder (DKK million for the
    dashboard's population): each arm, and what the scenario saves (+) or costs extra (-).
    Placements and preventive measures are always listed, a programme only when paid for."""
    arms = child_arms(model)
    money = {arm: child_money(m) * model.money_scale / 1e6 for arm, m in arms.items()}
    frame = pd.DataFrame(money).fillna(0.0)
    programmes = frame.index.get_level_values("category").isin(list(PROGRAMMES))
    frame = frame[~programmes | (frame.abs() > 0).any(axis=1)]
    out = pd.DataFrame({"budget holder": frame.index.get_level_values("budget")},
                       index=pd.Index([CHILD_ACCOUNT_WORDS[c] for c in frame.index.get_level_values("category")],
                                      name="spent on"))
    for arm in arms:
        out[f"{arm} (DKK million)"] = [f"{v:,.2f}" for v in frame[arm]]
    if "counterfactual" in arms:
        out["saved (+) or extra cost (-)"] = [f"{v:+,.2f}" for v in frame["counterfactual"] - frame["scenario"]]
    return out


def children_money_html(model: DashboardModel) -> str:
    return _table_html(children_money_table(model), "children-money",
                       f"DKK million for {model.target.label()} to month {model.month}, undiscounted. Each child's "
                       "cost is booked on the parent's row (model/children.py).")


def programmes_text(model: DashboardModel) -> str:
    """The family programmes each arm funds, in words."""
    def funded(m: WelfareModel) -> str:
        parts = [f"{CHILD_ACCOUNT_WORDS[p.name]} {m.params[programme_path(p.name)]:g} per 1,000 ({p.places:,} places, "
                 f"paid by the {p.budget})" for p in m.children.programmes if p.places > 0 or
                 m.params[programme_path(p.name)] > 0]
        return "; ".join(parts) or "none"

    arms = child_arms(model)
    text = f"Family programmes funded: {funded(model)}"
    if "counterfactual" in arms:
        text += f". In the counterfactual: {funded(arms['counterfactual'])}"
    return text + (". Fund them in the sidebar (places per 1,000 adults of the target group; -1 = as the preset), "
                   "then Reset.")


class ChildrenFigure(LiveFigure):
    """The second generation per month: children at home; children with a preventive
    measure or placed (foster family, institution); cumulative placements and grown-up
    children entering the target group. Scenario solid, counterfactual dashed."""

    PANELS = (("children at home", ("children.home",)),
              ("preventive measure or placed", ("children.preventive", "children.foster", "children.institution")))

    def __init__(self, model: DashboardModel):
        super().__init__((10.4, 3.6))
        self.axes = list(self.fig.subplots(1, 3))
        arms = list(child_arms(model))
        words = {key: (w, c) for key, w, c in CHILD_PLACEMENTS}
        self.lines: list[tuple[Any, str, str, str]] = []  # (line, arm, source, key)
        self.keys: list[tuple[str, list[str]]] = []  # (source, keys) per panel
        panels = [(title, "occupancy", [(k, *words[k]) for k in keys]) for title, keys in self.PANELS]
        panels.append(("so far (cumulative)", "events", list(CHILD_EVENTS)))
        for ax, (title, source, series) in zip(self.axes, panels):
            for key, word, colour in series:
                for arm in arms:
                    line, = ax.plot([], [], color=colour, lw=1.6 if arm == "scenario" else 1.0,
                                    ls="-" if arm == "scenario" else "--", label=word if arm == "scenario" else None)
                    self.lines.append((self.animate(line), arm, source, key))
            self.keys.append((source, [key for key, _, _ in series]))
            ax.set_title(title, fontsize=9)
            ax.set_xlabel("month", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.set_autoscale_on(False)
            ax.set_xlim(0, _horizon(0))
            ax.set_ylim(0, 1)
            ax.legend(fontsize=7, frameon=False, loc="upper left")
        self.fig.suptitle("Children of the target group (simulated)" + (
            ": — scenario, - - counterfactual" if len(arms) > 1 else ""), fontsize=9)

    def update(self, model: DashboardModel) -> bool:
        frames = {arm: {"occupancy": m.occupancy_frame(), "events": child_events(m)}
                  for arm, m in child_arms(model).items()}
        for line, arm, source, key in self.lines:
            f = frames[arm][source]
            line.set_data(f.index.to_numpy(), f[key].to_numpy())
        changed = False
        h = _horizon(model.month)
        for ax, (source, keys) in zip(self.axes, self.keys):
            if ax.get_xlim()[1] != h:
                ax.set_xlim(0, h)
                changed = True
            top = max(float(f[source][keys].to_numpy().max()) for f in frames.values())
            new = _grown(0.0, top, ax.get_ylim())
            if new is not None:
                ax.set_ylim(0, new[1])
                changed = True
        return changed


# =========================================================================================
# 4. Components
# =========================================================================================

colour_domain = solara.reactive("housing")
citizen_pick = solara.reactive(0)
cumulative_moves = solara.reactive(False)
#: the tabs, in order: the answer over runs first, then the views that explore one run
TABS = ("Results over runs", "Pathways and money", "Flows and services", "Citizen", "Contract", "Funding and changes",
        "Children")
tab_index = solara.reactive(0)


def reads_the_model(component):
    """A component body that reads ``model`` runs under ``model.lock``, which the model's
    step holds: Mesa's Play steps in a thread while the page renders (a tab switch during
    Play used to read the scenario's ledger one month ahead of the counterfactual's and
    crash the page). Child components render after the body returns, so a lock is held
    for one body at a time, never across the tree."""

    @functools.wraps(component)
    def body(model, *args, **kwargs):
        with model.lock:
            return component(model, *args, **kwargs)

    return body


@solara.component
@reads_the_model
def Plot(model: DashboardModel, build, dependencies: list):
    """A matplotlib figure rebuilt and re-encoded only when ``dependencies`` change."""
    fig = solara.use_memo(build, dependencies)
    return solara.FigureMatplotlib(fig, dependencies=dependencies, format="png")


def counters_html(model: DashboardModel) -> str:
    """The headline counters as one HTML block (one widget: cheap to update per step)."""
    return cards_html(kpis(model), "counters")


def cards_html(items: list[tuple[str, str, str]], css_class: str) -> str:
    """(label, value, note) counters as one HTML block of cards."""
    cards = "".join(
        f'<div class="kpi" style="min-width:150px;padding:6px 12px;border-radius:6px;'
        f'box-shadow:0 1px 3px rgba(0,0,0,.25)"><div style="font-size:12px;color:#666">{label}</div>'
        f'<div class="kpi-value" style="font-size:20px;font-weight:600">{value}</div>'
        f'<div style="font-size:11px;color:#666">{note}</div></div>'
        for label, value, note in items)
    return f'<div class="{css_class}" style="display:flex;flex-wrap:wrap;gap:8px;margin:4px 0">{cards}</div>'


@solara.component
@reads_the_model
def Counters(model: DashboardModel, month: int):
    solara.HTML(tag="div", unsafe_innerHTML=counters_html(model))


@solara.component
@reads_the_model
def LivePlot(model: DashboardModel, month: int, kind: type[LiveFigure], args: tuple = (),
             extra: list | None = None, configure=None):
    """A live figure's current frame; re-encoded only when the month (or ``extra``) changes."""
    figure = live_figure(model, kind, *args)

    def frame() -> bytes:
        if configure is not None:
            configure(figure)
        return figure.png(model)

    png = solara.use_memo(frame, [model, month, kind, args, *(extra or [])])
    return solara.Image(png, format="png")


@solara.component
@reads_the_model
def NetworkView(model: DashboardModel, month: int):

    def ring(fig: NetworkFigure) -> None:
        fig.highlight = citizen_pick.value

    with solara.Column():
        solara.Select("Colour citizens by", value=colour_domain, values=DOMAINS)
        LivePlot(model, month, NetworkFigure, (colour_domain.value,), [citizen_pick.value], configure=ring)


@solara.component
@reads_the_model
def OccupancyView(model: DashboardModel, month: int):
    LivePlot(model, month, OccupancyFigure)


@solara.component
@reads_the_model
def MoneyView(model: DashboardModel, month: int):
    LivePlot(model, month, MoneyFigure)


@solara.component
@reads_the_model
def WhoPaysView(model: DashboardModel, month: int):
    html = solara.use_memo(lambda: who_pays_html(model), [model, model.month])
    with solara.Column():
        solara.Text("Who pays, who saves", style={"font-weight": "600"})
        solara.HTML(tag="div", unsafe_innerHTML=html)


@solara.component
@reads_the_model
def FlowsView(model: DashboardModel, month: int):
    with solara.Column():
        solara.Checkbox(label="since month 1 (otherwise: last month)", value=cumulative_moves)
        Plot(model, lambda: fig_transitions(model, cumulative_moves.value), [model, model.month, cumulative_moves.value])


@solara.component
@reads_the_model
def FundingView(model: DashboardModel):
    """What the scenario funds and changes; the appraisal on demand (pilots take seconds)."""
    from model.governance import offered

    plan = model.services.plan if hasattr(model.services, "plan") else None
    appraisal, set_appraisal = solara.use_state(None, key=f"appraisal-{id(model)}")
    frame = plan.appraisal_frame() if plan is not None else pd.DataFrame()
    with solara.Column():
        solara.HTML(tag="h4", unsafe_innerHTML="Places funded per service")
        solara.HTML(tag="div", unsafe_innerHTML=funding_html(model))
        solara.HTML(tag="h4", unsafe_innerHTML="What the scenario changes from the calibrated model")
        solara.HTML(tag="div", unsafe_innerHTML=changes_html(model.params))
        solara.HTML(tag="h4", unsafe_innerHTML="Appraisal: does each offered intervention pay back, and for whom?")
        if frame.empty and appraisal is None and offered(model.params):
            def run() -> None:
                from model.governance import FundingPlan, appraise

                pilots = appraise(model.params)
                set_appraisal(FundingPlan(plan.sizing, plan.funding, plan.places, plan.decisions, pilots).appraisal_frame())

            n = len(offered(model.params)) * model.params["governance.appraisal_replications"]
            solara.Button(f"Run the appraisal ({n} pilot pairs, a few seconds each)", on_click=run)
        else:
            solara.HTML(tag="div", unsafe_innerHTML=appraisal_html(appraisal if appraisal is not None else frame,
                                                                   model.params))


@solara.component
@reads_the_model
def ServicesView(model: DashboardModel, month: int):
    Plot(model, lambda: fig_services(model), [model, model.month])


@solara.component
@reads_the_model
def CitizenView(model: DashboardModel, month: int):
    n = model.population.n
    i = min(max(int(citizen_pick.value or 0), 0), n - 1)
    with solara.Column():
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.InputInt(f"Citizen (0-{n - 1})", value=i, on_value=lambda v: citizen_pick.set(
                min(max(int(v or 0), 0), n - 1)))
            solara.Button("Most costly so far", on_click=lambda: citizen_pick.set(most_costly_citizen(model)))
            solara.Button("Random homeless", on_click=lambda: citizen_pick.set(_random_homeless(model)))
        s = citizen_summary(model, i)
        facts = " · ".join(f"{d}: {s[d]}" for d in DOMAINS)
        solara.Text(f"Citizen {i} now: {facts}" if s["status"] == "alive" else
                    f"Citizen {i} {'died' if s['status'] == 'died' else 'left the target group at the exit age'}"
                    f" (last states: {facts})")
        solara.Text(f"age {s['age']} · complexity {s['complexity']} · {s['contacts']} contacts · "
                    f"ever in prison: {'yes' if s['ever_prison'] else 'no'} · ever homeless: "
                    f"{'yes' if s['ever_homeless'] else 'no'} · services now: {s['services_now']}")
        costs = " · ".join(f"{b} {s[f'cost_{b}'] / 1000:,.0f}k" + (
            f" (counterfactual {s[f'cost_{b}_counterfactual'] / 1000:,.0f}k)" if model.counterfactual is not None
            else "") for b in BUDGETS)
        solara.Text(f"Net public cost to date: {costs}")
        Plot(model, lambda: fig_citizen(model, i), [model, model.month, i])


def _random_homeless(model: DashboardModel) -> int:
    homeless = np.flatnonzero(np.isin(model.population.levels[Domain.HOUSING], HOMELESS))
    if homeless.size == 0:
        return 0
    return int(np.random.default_rng().choice(homeless))


@solara.component
@reads_the_model
def ContractView(model: DashboardModel, month: int):
    """Outcome contracts (Payment by Results, Social Impact Bonds): for a contract preset,
    the contract simulated on these citizens (``DashboardContract``): cumulative cash flows
    per party, the investor's return, deadweight and creaming; otherwise a note."""
    info = contract_info(model)
    terms = contract_parameters(model.params)
    enabled = bool(terms.get("contract.enabled", False))
    with solara.Column():
        if info is not None:
            solara.Text(f"Contract: {info['repr']}")
            flows = info.get("cash_flows")
            if isinstance(flows, pd.DataFrame) and not flows.empty:
                Plot(model, lambda: fig_contract(model, flows), [model, month])
            elif isinstance(flows, str):
                solara.Error(flows)
            summary = info.get("summary")
            if summary is not None:
                solara.Text(str(summary))
        else:
            solara.Info("This scenario has no outcome contract. Choose a contract preset (contract_*) to see the "
                        "cash flows between outcome payer, provider, investor and the public budgets.")
        if enabled:
            solara.Text("Contract terms (change them under 'More changes', e.g. contract.payment.cap = 5000000, "
                        "then Reset):")
            solara.HTML(tag="div", unsafe_innerHTML="<br>".join(f"<code>{p} = {v}</code>" for p, v in terms.items()))


@solara.component
@reads_the_model
def ChildrenView(model: DashboardModel, month: int):
    """The second generation (``model/children.py``): counters in words, children by
    placement and the cumulative placements and entries into the target group per month
    (scenario solid, counterfactual dashed), and the children's money per budget holder;
    one line of explanation when the run has no children."""
    with solara.Column():
        if model.children is None:
            solara.Info(CHILDREN_OFF)
        else:
            solara.HTML(tag="div", unsafe_innerHTML=cards_html(children_kpis(model), "child-counters"))
            LivePlot(model, month, ChildrenFigure)
            solara.HTML(tag="h4", unsafe_innerHTML="The children's money per budget holder")
            solara.HTML(tag="div", unsafe_innerHTML=children_money_html(model))
            solara.Text(programmes_text(model))


# -- results over runs: the answer first, with its uncertainty --------------------------------
#: citizens simulated per run in the results view (the money is scaled to the population)
RESULTS_SIZE = 2000
RESULTS_YEARS = (5, 10, 20, 30)  # 30: early help to children pays back, if at all, late
RESULTS_RUNS = (5, 10, 20)
results_choice = solara.reactive({"scenario": "housing_first", "years": 10, "runs": 10})


def policy_names() -> dict[str, str]:
    """Shipped policies (no contracts) by a human name, the first sentence of each file's
    description, mapped to the scenario name."""
    out = {}
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        if path.stem.startswith("contract_"):
            continue
        text = " ".join(Parameters.load(path.stem).description.split())
        label = re.split(r"[:.;(]", text)[0].strip() if text else path.stem
        if len(label) > 70:
            label = label[:70].rsplit(" ", 1)[0] + "…"
        out[f"{label} ({path.stem})"] = path.stem
    return out


@solara.lab.task
def run_results(scenario: str, years: int, runs: int, population: NamedPopulation):
    """``compare`` the policy with its base scenario over ``runs`` seeds, in a thread,
    reporting the share of runs done in ``run_results.progress``."""
    from model.compare import compare

    def progress(done: int, total: int) -> None:
        run_results.progress = 100.0 * done / total

    run_results.progress = 0.0
    return compare(Parameters.load(scenario).base_name, scenario, replications=runs, months=12 * years,
                   population=population, progress=progress, appraisal=False,
                   **{"population.size": RESULTS_SIZE})


def results_table(c) -> pd.DataFrame:
    """Per budget holder: NPV (median and 10th-90th percentile, DKK million, cashable), the
    median break-even year and the share of runs that break even within the horizon."""
    h = c.headline
    rows = []
    for b in h.index:
        year = h.loc[b, ("payback_year", "median")]
        rows.append({"budget holder": b,
                     "NPV, median (DKK million)": round(h.loc[b, ("npv", "median")] / 1e6, 1),
                     "NPV, 10th-90th percentile (DKK million)":
                         f"{h.loc[b, ('npv', 'p10')] / 1e6:,.1f} to {h.loc[b, ('npv', 'p90')] / 1e6:,.1f}",
                     "break-even year, median": "never" if pd.isna(year) else int(year),
                     "runs that break even": f"{c.pays_back.loc[b, 'within_horizon']:.0%}"})
    return pd.DataFrame(rows)


def children_outcomes_table(c) -> pd.DataFrame:
    """The second generation's outcomes in words (``model.compare.CHILD_OUTCOME_WORDS``):
    scenario minus base, median and 10th-90th percentile, in persons of the population;
    empty when the comparison has no children."""
    from model.compare import CHILD_OUTCOME_WORDS, OUTCOME_UNITS

    o = c.outcomes
    return pd.DataFrame([{"outcome": words, "unit": OUTCOME_UNITS.get(name, "persons"),
                          "change, median": f"{o.loc[name, 'median']:+,.1f}",
                          "10th-90th percentile": f"{o.loc[name, 'p10']:+,.1f} to {o.loc[name, 'p90']:+,.1f}"}
                         for name, words in CHILD_OUTCOME_WORDS.items() if name in o.index],
                        columns=["outcome", "unit", "change, median", "10th-90th percentile"])


@solara.component
def ResultsView(model: DashboardModel):
    """The answer first: pick a policy by name, a horizon and a number of runs; the
    comparison with its base scenario runs in the background (``model.compare.compare``
    on 2,000 citizens per run, money for the dashboard's population) and opens with one
    plain paragraph, then the table per budget holder with bands and the full report."""
    choice = results_choice.value
    names = policy_names()
    by_name = {v: k for k, v in names.items()}
    with solara.Column():
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Select("Policy", values=list(names), value=by_name.get(choice["scenario"], list(names)[0]),
                          on_value=lambda v: results_choice.set({**choice, "scenario": names[v]}))
            solara.Select("Horizon (years)", values=[str(y) for y in RESULTS_YEARS], value=str(choice["years"]),
                          on_value=lambda v: results_choice.set({**choice, "years": int(v)}))
            solara.Select("Runs (seeds)", values=[str(r) for r in RESULTS_RUNS], value=str(choice["runs"]),
                          on_value=lambda v: results_choice.set({**choice, "runs": int(v)}))
            solara.Button("Run", color="primary", disabled=run_results.pending,
                          on_click=lambda: run_results(choice["scenario"], choice["years"], choice["runs"],
                                                       model.target))
        solara.Text(f"Each run: {RESULTS_SIZE:,} simulated citizens, the policy against its base scenario on the "
                    f"same citizens and random numbers; money for {model.target.name} "
                    f"({model.target.persons:,.0f} persons). + = the public saves.")
        if run_results.pending:
            solara.ProgressLinear(run_results.progress or True)
            solara.Text(f"Running: {run_results.progress or 0:.0f}% of the runs done.")
        elif run_results.error:
            solara.Error(f"The comparison failed: {run_results.exception}")
        elif run_results.finished and run_results.value is not None:
            c = run_results.value
            import html

            solara.HTML(tag="p", unsafe_innerHTML=f"<b>{html.escape(c.summary_sentence())}</b>")
            table = results_table(c)
            solara.HTML(tag="div", unsafe_innerHTML=table.to_html(index=False, border=0, classes="results-table"))
            children = children_outcomes_table(c)
            if not children.empty:
                solara.HTML(tag="h4", unsafe_innerHTML="The second generation: the target group's children")
                solara.HTML(tag="div", unsafe_innerHTML=children.to_html(index=False, border=0,
                                                                          classes="children-outcomes"))
                who = c.population.name if c.population is not None else "the simulation"
                solara.Text(f"Scenario minus base over {c.months / 12:g} years, in persons of {who} (negative = "
                            "fewer). Grown-up children are followed from 18 to 30: outcomes at 25 and 30 count only "
                            "those who reach that age within the horizon (choose 30 years for early help).")
            with solara.Details("The full report (the SØM table per year, line items, outcomes, cost per outcome)"):
                solara.Markdown(c.report())
        else:
            solara.Info("Choose a policy, a horizon and the number of runs, then press Run.")


@solara.component
@reads_the_model
def Dashboard(model: DashboardModel):
    """The main area: headline counters, then the views in tabs.

    It subscribes to Mesa's ``update_counter`` (bumped by Step and Play) and hands the
    month to every view: a child component re-renders only when its arguments change.
    After each render pass it tells the model what it drew (``DashboardModel.drawn``)."""
    counter = update_counter.get()
    solara.use_effect(lambda: model.drawn(counter), [model, counter])
    with solara.Column(style={"padding": "8px", "width": "100%"}):
        if model.error:
            solara.Error(model.error)
        for warning in funding_warnings(model):
            solara.Warning(warning)
        solara.Text(model.describe())
        Counters(model, model.month)
        with solara.lab.Tabs(value=tab_index, lazy=True):
            with solara.lab.Tab(TABS[0]):  # the answer first; the rest explores one run
                ResultsView(model)
            with solara.lab.Tab("Pathways and money"):
                with solara.Columns([5, 7]):
                    NetworkView(model, model.month)
                    OccupancyView(model, model.month)
                with solara.Columns([7, 5]):
                    MoneyView(model, model.month)
                    WhoPaysView(model, model.month)
            with solara.lab.Tab("Flows and services"):
                FlowsView(model, model.month)
                ServicesView(model, model.month)
            with solara.lab.Tab("Citizen"):
                CitizenView(model, model.month)
            with solara.lab.Tab("Contract"):
                ContractView(model, model.month)
            with solara.lab.Tab("Funding and changes"):
                FundingView(model)
            with solara.lab.Tab("Children"):
                ChildrenView(model, model.month)


# =========================================================================================
# 5. The page
# =========================================================================================

try:  # no "This website runs on Solara" banner over the tables; the browser tab's title
    import solara.server.settings as _server_settings

    _server_settings.theme.show_banner = False
    _server_settings.theme.title = "welfare-pathways"
except ImportError:  # pragma: no cover - solara without its server
    pass

#: Slider values always visible (Mesa's sliders otherwise show their value only while dragged);
#: compact tabs (no capitals, less padding) that wrap onto a second row rather than hide
#: behind scroll arrows, the active one underlined.
CSS = """
.v-tabs .v-tab { text-transform: none; letter-spacing: normal; min-width: 0; padding: 0 12px; font-size: 15px;
                 height: 40px; }
.v-tabs > .v-tabs-bar { height: auto; }
.v-tabs .v-slide-group__wrapper { overflow: visible !important; flex: 1 1 auto; min-width: 0; }
.v-tabs .v-slide-group__content { flex: 1 1 auto !important; flex-wrap: wrap; white-space: normal; min-width: 0;
                                  transform: none !important; }
.v-tabs .v-slide-group__prev, .v-tabs .v-slide-group__next { display: none !important; }
.v-tabs .v-tabs-slider-wrapper { display: none; }
.v-tabs .v-tab--active { box-shadow: inset 0 -2px 0 currentColor; }
.v-slider__thumb-label-container { display: block !important; }
.v-slider__thumb-label { transform: translate(10px, -4px) !important; width: auto !important;
                         height: 16px !important; border-radius: 3px !important; padding: 0 4px; font-size: 10px; }
.v-slider__thumb-label > div, .v-slider__thumb-label > div > span { transform: none !important; }
"""


def default_model() -> DashboardModel:
    return DashboardModel(DEFAULT_PRESET, rng=1, **{"population.size": DEFAULT_SIZE})


default_model()  # at import: fills the capacity appraisal's cache, so the first page opens fast


@solara.component
def Page(model: DashboardModel | None = None):
    """The dashboard. Every browser session gets its own model (nothing is shared between
    sessions); ``model`` (for tests) starts the page on a given one."""
    initial = solara.use_memo(lambda: model if model is not None else default_model(), [])
    current = solara.use_reactive(initial)
    solara.Style(CSS)
    SolaraViz(current, components=[], model_params=model_params, name="welfare-pathways")
    Dashboard(current.value)


page = Page
