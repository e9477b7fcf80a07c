"""PNG plots of run results: measures over months with 10th-90th percentile bands, and
the tornado plot of a sensitivity analysis.

Generic over measure names: :func:`panel_of` decides which figure and panel a measure
belongs to. Occupancy (``"housing.street"``, ``"homeless"``) goes to ``occupancy.png``,
one panel per domain; any other dotted name ``"family.group.rest"`` goes to
``family.png``, one panel per group (so ``"money.kommune.shelter"`` lands in the
``kommune`` panel of ``money.png``).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from agents.states import ALL_LEVEL_KEYS, Domain, domain_name

DOMAINS = tuple(domain_name(d) for d in Domain)
#: Occupancy measures in the model's order (domains, then levels); others follow by name.
OCCUPANCY_ORDER = {key: i for i, key in enumerate((*ALL_LEVEL_KEYS, "homeless"))}
#: Points drawn in one figure (told apart by line style); bigger sweeps are not plotted.
MAX_POINTS = 4
LINE_STYLES = ("-", "--", ":", "-.")


def panel_of(measure: str) -> tuple[str, str]:
    """(figure, panel) of a measure name."""
    parts = measure.split(".")
    if parts[0] in DOMAINS or measure == "homeless":
        return "occupancy", parts[0]
    if len(parts) == 1:
        return parts[0], parts[0]
    return parts[0], parts[1]


def bands(results: pd.DataFrame) -> pd.DataFrame:
    """Per point, measure and month over replications: p10, p50 (median), p90."""
    grouped = results.groupby(["point", "measure", "month"], sort=True)["value"]
    return pd.DataFrame({"p10": grouped.quantile(0.1), "p50": grouped.median(),
                         "p90": grouped.quantile(0.9)}).reset_index()


def band_plots(results: pd.DataFrame, points: pd.DataFrame, out_dir: str | Path, title: str = "") -> list[Path]:
    """One PNG per figure family in ``out_dir``: median line and 10th-90th percentile band
    of every measure over replications, one panel per group. Returns the files written
    (none when there are more than :data:`MAX_POINTS` points: plot a selection instead)."""
    if results["point"].nunique() > MAX_POINTS:
        return []
    labels = dict(zip(points["point"], points["label"].astype(str)))
    several = len(labels) > 1
    layout: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for measure in sorted(results["measure"].unique(), key=lambda m: (OCCUPANCY_ORDER.get(m, len(OCCUPANCY_ORDER)), m)):
        fig_name, panel = panel_of(measure)
        layout[fig_name][panel].append(measure)
    table = bands(results)
    written = []
    for fig_name, panels in layout.items():
        ncols = min(3, len(panels))
        nrows = -(-len(panels) // ncols)
        fig = Figure(figsize=(5.2 * ncols, 3.6 * nrows), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, (panel, measures) in zip(axes, panels.items()):
            for colour, measure in enumerate(measures):
                for style, pid in zip(LINE_STYLES, labels):
                    rows = table[(table["measure"] == measure) & (table["point"] == pid)]
                    c = f"C{colour % 10}"
                    ax.fill_between(rows["month"], rows["p10"], rows["p90"], color=c, alpha=0.2, linewidth=0)
                    name = measure.split(".", 1)[-1] if len(measures) > 1 else measure
                    ax.plot(rows["month"], rows["p50"], color=c, linestyle=style,
                            label=name if style == LINE_STYLES[0] else None)
            ax.set_title(panel)
            ax.set_xlabel("month")
            ax.legend(fontsize="x-small", loc="best")
        for ax in axes[len(panels):]:
            ax.set_visible(False)
        if several:  # one key for the points, told apart by line style
            handles = [Line2D([], [], color="black", linestyle=style) for style in LINE_STYLES[:len(labels)]]
            fig.legend(handles, list(labels.values()), loc="outside lower center", ncols=min(4, len(labels)),
                       fontsize="small")
        fig.suptitle(f"{title} {fig_name}: median and 10th-90th percentile over replications".strip())
        path = Path(out_dir) / f"{fig_name}.png"
        fig.savefig(path, dpi=90)
        written.append(path)
    return written


def tornado(indices: pd.DataFrame, value: str, error: str | None, path: str | Path, title: str) -> Path:
    """Horizontal bars of ``indices[value]`` per parameter, largest at the top."""
    data = indices.sort_values(value)
    fig = Figure(figsize=(9, 1.6 + 0.45 * len(data)), layout="constrained")
    ax = fig.subplots()
    ax.barh(data["parameter"], data[value], xerr=data[error] if error else None, color="C0", alpha=0.8, capsize=3)
    ax.set_xlabel(value)
    ax.set_title(title, fontsize="medium")
    ax.axvline(0, color="black", linewidth=0.8)
    fig.savefig(path, dpi=90)
    return Path(path)
