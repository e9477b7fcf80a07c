"""The dashboard's matplotlib figures: plain functions and live figures (model ->
Figure or PNG), testable without a browser. One colour per level and per budget holder
(``LEVEL_COLOURS``, ``BUDGET_COLOURS``) across every view; money is drawn with one sign,
+ = the public saves. Every figure takes the page's language, ``lang`` (its words:
``dashboard/words.py``), last; ``live_figure`` keeps one figure per language."""

from __future__ import annotations

import io
import textwrap
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from PIL import Image as PILImage

from agents.states import LEVELS, Domain, level_key
from model import WelfareModel
from model.population import stack_levels
from model.services import BUDGETS
from dashboard.tables import CHILD_EVENTS, CHILD_PLACEMENTS, child_arms, child_events, citizen_costs, service_table
from dashboard.words import budget_name, domain_name, level_name, number, say, service_short_name

if TYPE_CHECKING:  # annotations only: no import cycle
    from dashboard.session import DashboardModel


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


def level_names(d: Domain, lang: str = "en") -> list[str]:
    """The levels of ``d`` in words (``words.level_name``; in English the model's own names)."""
    return [level_name(d, lv.name.lower(), lang) for lv in LEVELS[d]]


def _budget(b: str, lang: str) -> str:
    """A budget holder in a legend: the model's own name in English ("stat", "total")."""
    return b if lang == "en" else budget_name(b, lang)


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

    def __init__(self, model: DashboardModel, domain: str, lang: str = "en"):
        super().__init__((5.2, 4.6))
        self.lang = lang
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
                           zip(LEVEL_COLOURS[self.domain], level_names(self.domain, lang))],
                  loc="upper left", fontsize=7, frameon=False, ncols=2 if lang == "da" else 3, bbox_to_anchor=(0, 1.0))
        ax.set_title(say("fig.network.title", lang, domain=domain_name(domain, lang), shown=number(lay.nodes.size, lang),
                         total=number(lay.total, lang)), fontsize=9)
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
        text = say("fig.month", self.lang, n=model.month) + ": " + ", ".join(
            f"{name} {k}" for name, k in zip(level_names(self.domain, self.lang), counts) if k)
        self.label.set_text(text if self.lang == "en" else textwrap.fill(text, 64))  # longer words: two lines
        return False


class OccupancyFigure(LiveFigure):
    """Citizens in each problem level per month and domain: scenario solid,
    counterfactual dashed."""

    def __init__(self, model: DashboardModel, lang: str = "en"):
        super().__init__((7.2, 4.6))
        self.axes = list(self.fig.subplots(2, 3).ravel())
        self.lines: list[tuple[Any, str, str]] = []  # (line, arm, key)
        self.keys: list[list[str]] = []
        arms = ["scenario"] + (["counterfactual"] if model.counterfactual is not None else [])
        for ax, d in zip(self.axes, Domain):
            names = level_names(d, lang)
            keys = [level_key(d, lv) for lv in range(1, len(names))]
            self.keys.append(keys)
            for lv, key in enumerate(keys, start=1):
                for arm in arms:
                    line, = ax.plot([], [], color=LEVEL_COLOURS[d][lv], lw=1.6 if arm == "scenario" else 1.0,
                                    ls="-" if arm == "scenario" else "--", label=names[lv] if arm == "scenario" else None)
                    self.lines.append((self.animate(line), arm, key))
            ax.set_title(say("fig.occupancy.title", lang, domain=domain_name(d, lang), first=names[0]), fontsize=9)
            ax.tick_params(labelsize=7)
            ax.set_autoscale_on(False)
            ax.set_xlim(0, _horizon(0))
            ax.set_ylim(0, 1)
            ax.legend(fontsize=6, frameon=False, loc="upper left", ncols=2 if lang == "en" else 1)
        self.axes[-1].set_axis_off()
        note = say("fig.occupancy.note", lang)
        self.axes[-1].text(0.0, 0.5, note + "\n" + say("fig.arms", lang) if len(arms) > 1 else note, fontsize=8,
                           va="center")

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

    def __init__(self, model: DashboardModel, lang: str = "en"):
        super().__init__((7.2, 4.0))
        self.lang = lang
        ax = self.ax = self.fig.subplots()
        ax.axhline(0, color="#888888", lw=0.8)
        self.lines = {b: self.animate(ax.plot([], [], color=BUDGET_COLOURS[b], lw=2.4 if b == "total" else 1.5,
                                              label=_budget(b, lang))[0]) for b in (*BUDGETS, "total")}
        self.payback_line = self.animate(ax.axvline(0, color="black", ls=":", lw=1.2))
        self.note = self.animate(ax.text(0.01, 0.97, "", transform=ax.transAxes, va="top", fontsize=9))
        ax.set_title(say("fig.money.title", lang, population=model.target.name,
                         persons=number(model.target.persons, lang)), fontsize=9)
        ax.set_xlabel(say("fig.axis.month", lang), fontsize=8)
        ax.set_ylabel(say("fig.axis.millions", lang), fontsize=8)
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
        lang = self.lang
        self.note.set_text(say("fig.money.baseline", lang) if model.counterfactual is None
                           else say("fig.month", lang, n=model.month) + ": " + (
                               say("fig.money.paid_back", lang, n=pb) if pb is not None
                               else say("fig.money.not_yet", lang)))
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
    """One live figure per model, kind and options (kept on the model); the options are the
    kind's arguments after the model, the page's language last, so each language has its own."""
    key = (kind.__name__, *args)
    cache = model.figures
    if key not in cache:
        cache[key] = kind(model, *args)
    return cache[key]


class TransitionsFigure(LiveFigure):
    """Moves between levels per domain, last month or since month 1 (``cumulative``): one
    heat map per domain, rows from, columns to (staying put not shown), each cell with its
    count of citizens. Only the colours and counts change from month to month."""

    def __init__(self, model: DashboardModel, cumulative: bool = False, lang: str = "en"):
        super().__init__((11, 3.4))
        self.cumulative = cumulative
        self.lang = lang
        axes = self.fig.subplots(1, len(Domain))
        self.images, self.texts = [], []
        for ax, d in zip(axes, Domain):
            names = level_names(d, lang)
            k = len(names)
            self.images.append(self.animate(ax.imshow(np.full((k, k), np.nan), cmap="Blues", vmin=0, vmax=1)))
            self.texts.append({(r, c): self.animate(ax.text(c, r, "", ha="center", va="center", fontsize=7))
                               for r in range(k) for c in range(k) if r != c})
            ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize=7)
            ax.set_yticks(range(k), names, fontsize=7)
            ax.set_title(domain_name(d, lang), fontsize=9)
        self.title = self.animate(self.fig.suptitle("", fontsize=9))

    def update(self, model: DashboardModel) -> bool:
        moves = model.moves_total if self.cumulative else model.moves_last
        for d, image, texts in zip(Domain, self.images, self.texts):
            m = moves[d].astype(float)
            np.fill_diagonal(m, np.nan)
            image.set_data(m)
            image.set_clim(0, max(float(np.nanmax(m)) if np.isfinite(m).any() else 0.0, 1.0))
            for (r, c), text in texts.items():
                text.set_text(f"{int(moves[d][r, c])}")
        span = say("fig.months" if self.cumulative else "fig.month", self.lang, n=model.month)
        self.title.set_text(say("fig.moves.title", self.lang, span=span))
        return False


class ServicesFigure(LiveFigure):
    """Per service now: citizens enrolled and waiting (bars) and its places (a tick);
    the x-axis grows in steps, the only full redraw."""

    def __init__(self, model: DashboardModel, lang: str = "en"):
        super().__init__((7.2, 4.0))
        self.lang = lang
        table = service_table(model)
        self.services = list(table.index)
        ax = self.ax = self.fig.subplots()
        y = np.arange(len(self.services))
        zero = np.zeros(len(self.services))
        self.enrolled = [self.animate(b) for b in ax.barh(y - 0.2, zero, height=0.4, color="#2c7fb8",
                                                          label=say("fig.services.enrolled", lang))]
        self.waiting = [self.animate(b) for b in ax.barh(y + 0.2, zero, height=0.4, color="#f0a500",
                                                         label=say("fig.services.waiting", lang))]
        self.places = self.animate(ax.scatter(zero, y, marker="|", s=160, color="black",
                                              label=say("fig.services.places", lang)))
        ax.set_yticks(y, [s.replace("_", " ") if lang == "en" else service_short_name(s, lang) for s in self.services],
                      fontsize=7)
        ax.invert_yaxis()
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlabel(say("fig.axis.citizens", lang), fontsize=8)
        ax.legend(fontsize=7, frameon=False, loc="lower right")
        self.title = self.animate(ax.set_title("", fontsize=9))
        ax.set_autoscale_on(False)
        ax.set_xlim(0, 10)
        if not self.services:
            ax.text(0.5, 0.5, say("fig.services.none", lang), ha="center", transform=ax.transAxes)

    def update(self, model: DashboardModel) -> bool:
        table = service_table(model)
        if table.empty:
            return False
        table = table.reindex(self.services).fillna(0)
        for bar, v in zip(self.enrolled, table["enrolled"]):
            bar.set_width(float(v))
        for bar, v in zip(self.waiting, table["waiting"]):
            bar.set_width(float(v))
        places = table["places"].to_numpy(dtype=float)
        y = np.arange(len(self.services))
        limited = places >= 0
        self.places.set_offsets(np.column_stack([places[limited], y[limited]]))
        self.title.set_text(say("fig.services.title", self.lang, n=model.month))
        top = float(max(table["enrolled"].max(), table["waiting"].max(), places[limited].max() if limited.any() else 0))
        if top > self.ax.get_xlim()[1]:
            self.ax.set_xlim(0, top * 1.3)
            return True
        return False


class CitizenFigure(LiveFigure):
    """A citizen's timeline: level per domain per month, services received, and the
    cumulative net public cost to each budget (+ = costs the public; scenario solid,
    counterfactual dashed). One pixel per domain or service and month, so a month costs
    the same at month 1 and month 240; the x-axis grows in steps of 24 months (a full
    redraw only then)."""

    def __init__(self, model: DashboardModel, i: int, lang: str = "en"):
        super().__init__((11, 5.6))
        self.i = i
        self.lang = lang
        self.specs = [s.name for s in getattr(model.services, "specs", ())]
        top, mid, bottom = self.axes = self.fig.subplots(3, 1, sharex=True, height_ratios=[5, 6, 4])
        self.states = self.animate(top.imshow(np.ones((len(Domain), 1, 3)), aspect="auto", interpolation="nearest"))
        self.services = self.animate(mid.imshow(np.ones((max(len(self.specs), 1), 1, 3)), aspect="auto",
                                                interpolation="nearest"))
        self.labels: dict[tuple[int, int], Any] = {}  # (domain, month) -> text at a change of level
        top.set_yticks(range(len(Domain)), [domain_name(d, lang) for d in DOMAINS], fontsize=8)
        top.set_ylim(len(Domain) - 0.5, -0.5)
        self.title = self.animate(top.set_title("", fontsize=9))
        mid.set_yticks(range(len(self.specs)), self.specs if lang == "en" else
                       [service_short_name(s, lang) for s in self.specs], fontsize=7)
        mid.set_ylim(max(len(self.specs), 1) - 0.5, -0.5)
        mid.set_title(say("fig.citizen.services", lang), fontsize=9)
        self.lines = {}
        for b in BUDGETS:
            for arm, ls in (("scenario", "-"), ("counterfactual", "--")):
                if arm == "counterfactual" and model.counterfactual is None:
                    continue
                self.lines[(b, arm)] = self.animate(bottom.plot([], [], color=BUDGET_COLOURS[b], ls=ls, lw=1.4,
                                                                label=_budget(b, lang) if arm == "scenario"
                                                                else None)[0])
        bottom.set_title(say("fig.citizen.cost", lang), fontsize=9)
        bottom.legend(fontsize=7, frameon=False, loc="upper left")
        bottom.set_xlabel(say("fig.axis.month", lang), fontsize=8)
        bottom.set_ylabel(say("fig.axis.thousands", lang), fontsize=8)
        for ax in self.axes:
            ax.tick_params(labelsize=7)
            ax.set_autoscale_on(False)
        bottom.set_ylim(-1, 1)
        bottom.set_xlim(-0.5, _horizon(0) + 0.5)

    def update(self, model: DashboardModel) -> bool:
        i = self.i
        top, mid, bottom = self.axes
        hist = stack_levels(model.level_history)[:, :, i]  # months+1 x domains; -1: not in the group
        months = np.arange(hist.shape[0])
        extent = (-0.5, months.size - 0.5, None, None)
        rgb = np.ones((len(Domain), months.size, 3))
        lang = self.lang
        not_yet = say("fig.citizen.not_yet", lang)
        gone = {"alive": not_yet, "died": say("fig.citizen.died", lang), "exited": say("fig.citizen.exited", lang),
                "pending": say("fig.citizen.outside", lang)}[model.citizens[i].status]
        for row, d in enumerate(Domain):
            palette = np.array([to_rgb(c) for c in (*LEVEL_COLOURS[d], "#e0e0e0")])  # -1 (not in the group): grey
            rgb[row] = palette[hist[:, d]]
            for m in [0, *(np.flatnonzero(np.diff(hist[:, d])) + 1).tolist()]:
                if (row, m) not in self.labels:
                    x = hist[m, d]
                    label = level_names(d, lang)[x] if x >= 0 else (gone if m else not_yet)
                    self.labels[(row, m)] = self.animate(top.text(m - 0.4, row, label, fontsize=7, va="center",
                                                                  color="white" if x > 0 else "black", clip_on=True))
        self.states.set_data(rgb)
        self.states.set_extent((extent[0], extent[1], len(Domain) - 0.5, -0.5))
        enrol = model.enrolment_of(i)  # months+1 x services
        on = np.ones((max(len(self.specs), 1), months.size, 3))
        if self.specs:
            on[enrol[:, : len(self.specs)].T] = to_rgb("#2c7fb8")
        self.services.set_data(on)
        self.services.set_extent((extent[0], extent[1], max(len(self.specs), 1) - 0.5, -0.5))
        self.title.set_text(say("fig.citizen.title", lang, i=i, n=model.month))
        costs = citizen_costs(model, i)
        low, high = 0.0, 0.0
        for (b, arm), line in self.lines.items():
            series = np.concatenate([[0.0], costs[arm][b].cumsum().to_numpy()]) / 1000
            line.set_data(months[: series.size], series)
            low, high = min(low, float(series.min())), max(high, float(series.max()))
        changed = False
        h = _horizon(model.month)
        if bottom.get_xlim()[1] != h + 0.5:
            bottom.set_xlim(-0.5, h + 0.5)
            changed = True
        new = _grown(low, high, bottom.get_ylim())
        if new is not None:
            bottom.set_ylim(*new)
            changed = True
        return changed


class ChildrenFigure(LiveFigure):
    """The second generation per month: children at home; children with a preventive
    measure or placed (foster family, institution); cumulative placements and grown-up
    children entering the target group. Scenario solid, counterfactual dashed."""

    PANELS = (("fig.children.home", ("children.home",)),
              ("fig.children.measures", ("children.preventive", "children.foster", "children.institution")))

    def __init__(self, model: DashboardModel, lang: str = "en"):
        super().__init__((10.4, 3.6))
        self.axes = list(self.fig.subplots(1, 3))
        arms = list(child_arms(model))
        words = {key: (w if lang == "en" else level_name("placement", key.split(".")[1], lang), c)
                 for key, w, c in CHILD_PLACEMENTS}
        events = [(key, w if lang == "en" else say(f"fig.children.{key}", lang), c) for key, w, c in CHILD_EVENTS]
        self.lines: list[tuple[Any, str, str, str]] = []  # (line, arm, source, key)
        self.keys: list[tuple[str, list[str]]] = []  # (source, keys) per panel
        panels = [(say(title, lang), "occupancy", [(k, *words[k]) for k in keys]) for title, keys in self.PANELS]
        panels.append((say("fig.children.so_far", lang), "events", events))
        for ax, (title, source, series) in zip(self.axes, panels):
            for key, word, colour in series:
                for arm in arms:
                    line, = ax.plot([], [], color=colour, lw=1.6 if arm == "scenario" else 1.0,
                                    ls="-" if arm == "scenario" else "--", label=word if arm == "scenario" else None)
                    self.lines.append((self.animate(line), arm, source, key))
            self.keys.append((source, [key for key, _, _ in series]))
            ax.set_title(title, fontsize=9)
            ax.set_xlabel(say("fig.axis.month", lang), fontsize=8)
            ax.tick_params(labelsize=7)
            ax.set_autoscale_on(False)
            ax.set_xlim(0, _horizon(0))
            ax.set_ylim(0, 1)
            ax.legend(fontsize=7, frameon=False, loc="upper left")
        self.fig.suptitle(say("fig.children.title", lang) + (say("fig.children.arms", lang) if len(arms) > 1 else ""),
                          fontsize=9)

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
