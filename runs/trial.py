"""``welfare-pathways trial``: emulate a trial file with replications and write what it found.

    welfare-pathways trial hf --replications 10 --workers 2        # a shipped trial (runs/trials/hf.toml)
    welfare-pathways trial my_trial.toml --months 60               # a file; follow-up extended to 60 months

Each replication is one :func:`model.trials.run_trial` with ``paired=True``: the trial in
the scenario arm of a ``PairedModel``, the same citizens without the intervention arm's
enrolment in its counterfactual arm (common random numbers). Replication ``r`` uses child
``r`` of ``SeedSequence(seed)`` (``runs.runner.replication_seeds``), so the results do not
depend on ``--workers``.

Files (the directory is replaced whole, atomically, like a comparison's; a directory
holding other files is refused). Every CSV begins with a ``#`` line naming the trial, the
replications, the seed and the follow-up (read with ``pandas.read_csv(path, skiprows=1)``):

* ``curves.csv``: per month of follow-up, arm and series, the share of the arm in the
  outcome's state (``in_state``) and, for an 'ever' outcome, the share ever in it since the
  window began (``outcome``): 10th, 50th and 90th percentile over replications;
* ``outcome.csv``: the outcome per arm, the difference (intervention - usual care) and,
  for a yes/no outcome, the odds ratio, with bands, and what the trial found;
* ``citizens.parquet``: one row per randomised citizen and replication: arm, month of
  entry, levels at entry, the citizen's outcome (0/1, or the share of the window's months
  in the state);
* ``ledger.csv``: the paired ledger of the intervention arm, DKK per participant
  (scenario - counterfactual net public cost, + = the intervention arm costs more), per
  budget holder and category: ``participants`` = the participants' own costs over each
  one's follow-up; ``population`` = the whole population's over the months from the first
  randomisation to the end (includes displacement, e.g. a shelter bed freed and taken);
* ``report.md`` (the printed summary), ``trial.json`` (the trial as run), ``curves.png``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd

from model.params import Parameters
from model.services import BUDGETS
from model.trials import ARMS, MEASURES, Trial, TrialRun, load_trial, run_trial
from runs.comparison import check_target, safe_name
from runs.runner import SpecError, atomic_directory, atomic_write, make_executor, replication_seeds

TABLES = ("curves.csv", "outcome.csv", "ledger.csv")
FILES = (*TABLES, "citizens.parquet", "report.md", "trial.json", "curves.png")
DEFAULT_REPLICATIONS = 10


def _replication(job: tuple) -> TrialRun:
    """One paired emulation (runs in a worker; picklable arguments)."""
    trial, params, seed, size, months = job
    return run_trial(trial, params, seed, size=size, months=months, paired=True)


@dataclasses.dataclass
class TrialResult:
    trial: Trial
    runs: list[TrialRun]
    months: int
    seed: int
    size: int
    overrides: dict

    # -- tables ----------------------------------------------------------------------------
    def about_line(self) -> str:
        return (f"trial {self.trial.name} ({self.trial.label}); {len(self.runs)} replications of {self.size:,} "
                f"simulated citizens, seed {self.seed}; follow-up {self.months} months")

    def curves(self) -> pd.DataFrame:
        series = {"in_state": np.stack([r.in_state for r in self.runs])}
        if self.trial.cumulative:
            series["outcome"] = np.stack([r.curve for r in self.runs])
        rows = []
        for name, v in series.items():  # replications x months x arms
            for a, arm in enumerate(ARMS):
                q = np.percentile(v[:, :, a], (10, 50, 90), axis=0)
                rows.append(pd.DataFrame({"month": np.arange(self.months + 1), "arm": arm, "series": name,
                                          "p10": q[0], "median": q[1], "p90": q[2]}))
        return pd.concat(rows, ignore_index=True)

    def outcome_values(self) -> dict[str, np.ndarray]:
        out = np.array([r.outcome for r in self.runs])
        values = {"intervention": out[:, 0], "usual_care": out[:, 1], "difference": out[:, 0] - out[:, 1]}
        if self.trial.measure != "share_of_time":  # a yes/no outcome per citizen
            with np.errstate(divide="ignore", invalid="ignore"):
                odds = out / (1.0 - out)
                ratio = odds[:, 0] / odds[:, 1]
            values["odds_ratio"] = np.where(np.isfinite(ratio) & (ratio > 0), ratio, np.nan)
        return values

    def outcome(self) -> pd.DataFrame:
        t = self.trial
        found = {}
        if t.targets is not None:
            found = {"intervention": t.targets[0], "usual_care": t.targets[1],
                     "difference": t.targets[0] - t.targets[1]}
            if t.measure != "share_of_time":
                odds = [p / (1 - p) for p in t.targets]
                found["odds_ratio"] = odds[0] / odds[1]
        if t.odds_ratio is not None:
            found["odds_ratio"] = t.odds_ratio
        sizes = np.array([r.sizes for r in self.runs])
        rows = []
        for name, v in self.outcome_values().items():
            ok = v[np.isfinite(v)]
            q = np.percentile(ok, (10, 50, 90)) if ok.size else (np.nan,) * 3
            rows.append({"measure": name, "p10": q[0], "median": q[1], "p90": q[2],
                         "mean": float(ok.mean()) if ok.size else np.nan, "trial": found.get(name, np.nan),
                         "participants_median": (float(np.median(sizes[:, ARMS.index(name)])) if name in ARMS
                                                 else np.nan)})
        return pd.DataFrame(rows).set_index("measure")

    def citizens(self) -> pd.DataFrame:
        from agents.states import LEVELS, Domain, domain_name

        frames = []
        for r, run in enumerate(self.runs):
            c = run.citizens
            frame = pd.DataFrame({"replication": np.int64(r), "citizen": c["citizen"],
                                  "arm": np.array(ARMS, dtype=object)[c["arm"]], "entry_month": c["entry_month"]})
            for d in Domain:
                names = np.array([lv.name.lower() for lv in LEVELS[d]], dtype=object)
                frame[f"{domain_name(d)}_at_entry"] = names[c[f"{domain_name(d)}_at_entry"]]
            frame["outcome"] = c["outcome"]
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def ledger(self) -> pd.DataFrame:
        accounts = self.runs[0].accounts
        budget_of = np.array([b for b, _ in accounts])
        rows = []
        for scope, attr in (("participants", "own"), ("population", "population")):
            per = np.stack([getattr(r, attr) / max(r.sizes[0], 1) for r in self.runs])  # replications x accounts
            cols = [(b, c, per[:, i]) for i, (b, c) in enumerate(accounts) if np.any(per[:, i] != 0)]
            cols += [(b, "total", per[:, budget_of == b].sum(axis=1)) for b in BUDGETS]
            cols += [("total", "total", per.sum(axis=1))]
            for b, c, v in cols:
                q = np.percentile(v, (10, 50, 90))
                rows.append({"scope": scope, "budget": b, "category": c, "p10": q[0], "median": q[1], "p90": q[2],
                             "mean": float(v.mean())})
        return pd.DataFrame(rows).set_index(["scope", "budget", "category"])

    def definition(self) -> dict:
        """The trial as run: its definition (the file's structure) and how it was run."""
        t = self.trial
        return {**t.as_dict(),
                "run": {"follow_up_months": self.months, "replications": len(self.runs), "seed": self.seed,
                        "simulated_citizens": self.size, "set": self.overrides},
                "in_words": {"eligible": t.describe_eligibility(), "outcome_state": t.describe_state(),
                             "measure": MEASURES[t.measure]}}

    # -- the summary ---------------------------------------------------------------------------
    def report(self) -> str:
        t = self.trial
        direction = "higher is better" if t.good else "lower is better"
        o = self.outcome()
        L = [f"# Trial emulation: {t.label}", "",
             f"Trial `{t.name}` ({t.path}). {self.about_line()}; trial follow-up {t.months} months.", "",
             f"* **Eligible**: {t.describe_eligibility()}; randomised 1:1 "
             + (f"at month {t.start} of the status quo" if t.recruit == 1
                else f"as they become eligible in months {t.start}-{t.start + t.recruit - 1} of the status quo"),
             f"* **Intervention arm**: enrolled in `{t.service}` (outside capacity); **usual care**: the siloed "
             "status quo",
             f"* **Outcome**: {t.outcome_label} ({MEASURES[t.measure]}; state: {t.describe_state()}; months "
             f"{t.window[0]}-{t.window[1]} of follow-up; {direction})",
             f"* **Sources**: {'; '.join(t.sources)}", "",
             "| | model median | 10th-90th pct | trial |", "|---|---|---|---|"]
        for name in o.index:
            r = o.loc[name]
            if name == "odds_ratio":
                fmt = lambda v: "" if not np.isfinite(v) else f"{v:.2f}"  # noqa: E731
            elif name == "difference":
                fmt = lambda v: "" if not np.isfinite(v) else f"{100 * v:+.1f} pp"  # noqa: E731
            else:
                fmt = lambda v: "" if not np.isfinite(v) else f"{100 * v:.1f}%"  # noqa: E731
            label = name.replace("_", " ")
            if name in ARMS:
                label += f" (~{r['participants_median']:,.0f} per replication)"
            L.append(f"| {label} | {fmt(r['median'])} | {fmt(r['p10'])} – {fmt(r['p90'])} | {fmt(r['trial'])} |")
        led = self.ledger()
        L += ["", "Paired ledger of the intervention arm: DKK per participant, the participants with the intervention "
              "minus the same citizens without it on common random numbers (+ = costs more).", "",
              "| budget holder | own costs over the follow-up (median, 10th-90th pct) | whole population (median) |",
              "|---|---|---|"]
        for b in (*BUDGETS, "total"):
            own = led.loc[("participants", b, "total")]
            pop = led.loc[("population", b, "total")]
            L.append(f"| {b} | {own['median']:+,.0f} ({own['p10']:+,.0f} – {own['p90']:+,.0f}) | "
                     f"{pop['median']:+,.0f} |")
        return "\n".join(L) + "\n"


def curves_plot(result: TrialResult, path: Path) -> None:
    """Per arm the monthly share in the outcome's state (median, 10th-90th band); for an
    'ever' outcome also its cumulative curve over the window (dashed); the trial's result."""
    from matplotlib.figure import Figure

    t = result.trial
    fig = Figure(figsize=(7.5, 4.5), layout="constrained")
    ax = fig.subplots()
    in_state = np.stack([r.in_state for r in result.runs]) * 100
    cumulative = np.stack([r.curve for r in result.runs]) * 100
    months = np.arange(result.months + 1)
    inside = months >= t.window[0]
    for a, (arm, colour) in enumerate(zip(ARMS, ("C0", "C1"))):
        name = arm.replace("_", " ")
        ax.fill_between(months, np.percentile(in_state[:, :, a], 10, axis=0),
                        np.percentile(in_state[:, :, a], 90, axis=0), color=colour, alpha=0.25, lw=0)
        ax.plot(months, np.median(in_state[:, :, a], axis=0), color=colour, label=f"{name}: in the state")
        if t.cumulative:
            ax.plot(months[inside], np.median(cumulative[:, inside, a], axis=0), color=colour, ls="--",
                    label=f"{name}: ever in the window so far")
        if t.targets is not None:
            ax.plot(t.window[1], t.targets[a] * 100, "D", color=colour, mec="k", label=f"{name}: the trial")
    ax.axvspan(t.window[0], t.window[1], color="0.92", zorder=0, label="outcome window")
    ax.set(xlabel="month of follow-up (0 = randomisation)", ylabel="% of the arm", ylim=(0, None))
    ax.set_title(f"{t.label}\n{t.describe_state()}; {len(result.runs)} replications, median and 10th-90th pct",
                 fontsize=9)
    ax.legend(fontsize=7)
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=100))


def write_trial(result: TrialResult, out: Path, plots: bool = True) -> list[Path]:
    """Every file of ``result`` as the directory ``out``, replacing an earlier one whole."""
    check_target(out, FILES, "a trial emulation")

    def fill(tmp: Path) -> list[Path]:
        written = []
        units = {"curves.csv": "share of the arm", "outcome.csv": "share (difference: share points; odds_ratio: "
                 "ratio); trial = what the trial found",
                 "ledger.csv": "DKK per participant of the intervention arm, scenario - counterfactual (+ = costs more)"}
        for name, table in zip(TABLES, (result.curves(), result.outcome(), result.ledger())):
            comment = f"# {result.about_line()}; {units[name]}\n"
            body = table.to_csv(index=name != "curves.csv")
            atomic_write(tmp / name, lambda p, c=comment, b=body: p.write_text(c + b))
            written.append(tmp / name)
        citizens = result.citizens()
        atomic_write(tmp / "citizens.parquet", lambda p: citizens.to_parquet(p, index=False))
        atomic_write(tmp / "report.md", lambda p: p.write_text(result.report()))
        atomic_write(tmp / "trial.json",
                     lambda p: p.write_text(json.dumps(result.definition(), indent=2, ensure_ascii=False) + "\n"))
        written += [tmp / "citizens.parquet", tmp / "report.md", tmp / "trial.json"]
        if plots:
            curves_plot(result, tmp / "curves.png")
            written.append(tmp / "curves.png")
        return written

    return atomic_directory(out, fill)


def emulate_trial(trial: str | Path | Trial, *, replications: int = DEFAULT_REPLICATIONS, seed: int = 0,
                  months: int | None = None, overrides: dict | None = None, executor=None) -> TrialResult:
    """Replicated paired emulations of ``trial`` on the calibrated default plus ``overrides``
    (``population.size`` there replaces the trial's size)."""
    t = load_trial(trial)
    overrides = dict(overrides or {})
    params = Parameters.baseline().with_overrides(overrides, origin="--set") if overrides else Parameters.baseline()
    size = int(params["population.size"]) if "population.size" in overrides else t.size
    follow = t.months if months is None else int(months)
    if follow < t.window[1]:
        raise SpecError(f"--months {follow}: shorter than the outcome window of trial {t.name!r} (months "
                        f"{t.window[0]}-{t.window[1]} of follow-up); expected at least {t.window[1]}")
    jobs = [(t, params, s, size, follow) for s in replication_seeds(seed, replications)]
    if executor is None:
        runs = [_replication(j) for j in jobs]
    else:
        runs = [f.result() for f in [executor.submit(_replication, j) for j in jobs]]
    return TrialResult(t, runs, follow, seed, size, overrides)


# -- the subcommand (runs/cli.py) --------------------------------------------------------------
def configure(p: argparse.ArgumentParser) -> None:
    from runs.cli import _single, assignment, int_in

    p.add_argument("trial", metavar="FILE_OR_NAME",
                   help="a shipped trial (runs/trials/NAME.toml: cti, hf, ips) or a trial file (docs/trials.md)")
    p.add_argument("--months", type=int_in("months"), default=None,
                   help="follow-up of each participant in months (default: the trial's); extends the curves "
                        "beyond the trial's follow-up; at least the outcome window's last month")
    p.add_argument("--replications", "-r", type=int_in("replications"), default=DEFAULT_REPLICATIONS,
                   help=f"replications (default {DEFAULT_REPLICATIONS})")
    p.add_argument("--seed", type=int_in("seed"), default=0,
                   help="root seed; replication r uses SeedSequence(seed).spawn()[r] (default 0)")
    p.add_argument("--set", dest="fixed", action="append", default=[], metavar="PATH=VALUE",
                   type=assignment("--set", _single),
                   help="override a parameter by dotted path (repeatable); population.size replaces the trial's size")
    p.add_argument("--workers", "-w", type=int_in("workers"), default=1, help="local worker processes (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed cluster (needs the 'dist' extra)")
    p.add_argument("--out", "-o", type=Path,
                   help="output directory, rewritten whole (default out/trial-<name>)")
    p.add_argument("--plots", action=argparse.BooleanOptionalAction, default=True,
                   help="write curves.png (default on)")


def handler(args: argparse.Namespace) -> int:
    t = load_trial(args.trial)  # a bad name or file fails here, before any work
    out = args.out if args.out is not None else Path("out") / f"trial-{safe_name(t.name)}"
    check_target(out, FILES, "a trial emulation")  # and a bad --out
    with make_executor(args.workers, args.scheduler) as (executor, _):
        result = emulate_trial(t, replications=args.replications, seed=args.seed, months=args.months,
                               overrides=dict(args.fixed), executor=executor)
    files = write_trial(result, out, plots=args.plots)
    print(result.report())
    print(f"wrote {out}/: {', '.join(f.name for f in files)}")
    return 0
