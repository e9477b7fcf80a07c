"""Global sensitivity analysis with SALib: Morris elementary effects or Sobol indices.

The parameters in ``vary`` (dotted path -> [low, high]) are sampled by SALib from the
root seed; each sample is a point of an ordinary plan (run with replications on common
random numbers, resumable). The output analysed is one number per point: the mean of
``output`` (a measure, e.g. ``"homeless"``) over the last ``last_months`` months,
averaged over replications. Integer parameters are rounded after sampling.

The output measure and window do not change the runs, so re-analysing finished runs for
another measure is instant (same command, another ``--output``).

Spec file fields (besides ``scenario``, ``months``, ``replications``, ``seed``, ``[set]``)::

    method = "morris"            # or "sobol"
    samples = 10                 # Morris trajectories, or Sobol base sample (a power of 2)
    output = "homeless"
    last_months = 12
    [vary]
    "pathways.housing.shelter_to_own_home.rate" = [0.02, 0.06]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.params import Parameters
from runs.runner import Plan, Point, SpecError, design_rng
from runs.sweep import COMMON_FIELDS, cast_to_leaf, check_fixed, checked, describe, numeric_bounds, section

METHODS = ("morris", "sobol")
MORRIS_LEVELS = 4
SENSITIVITY_FIELDS = {**COMMON_FIELDS, "method": "morris or sobol", "samples": "trajectories / base sample",
                      "output": "measure analysed", "last_months": "months averaged", "vary": "table of [low, high] bounds"}


@dataclass
class Sensitivity:
    """A sensitivity design: the SALib problem, its sample and the plan that runs it."""

    method: str
    problem: dict[str, Any]
    sample: np.ndarray
    plan: Plan
    seed: int

    def analyse(self, results: pd.DataFrame, output: str, last_months: int) -> pd.DataFrame:
        """Indices per parameter, most influential first."""
        y = output_values(results, output, last_months, len(self.sample))
        rng = int(design_rng(self.seed, f"{self.method}-analysis").integers(2**31))
        if self.method == "morris":
            from SALib.analyze import morris

            res = morris.analyze(self.problem, self.sample, y, num_levels=MORRIS_LEVELS, seed=rng)
            table = pd.DataFrame({k: np.asarray(res[k], dtype=float) for k in ("mu", "mu_star", "mu_star_conf", "sigma")})
            key = "mu_star"
        else:
            from SALib.analyze import sobol

            res = sobol.analyze(self.problem, y, calc_second_order=False, seed=rng)
            table = pd.DataFrame({k: np.asarray(res[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")})
            key = "ST"
        table.insert(0, "parameter", self.problem["names"])
        return table.sort_values(key, ascending=False, kind="stable").reset_index(drop=True)

    @property
    def index(self) -> tuple[str, str]:
        """The index shown in the tornado plot and its confidence half-width."""
        return ("mu_star", "mu_star_conf") if self.method == "morris" else ("ST", "ST_conf")


def output_values(results: pd.DataFrame, output: str, last_months: int, n_points: int) -> np.ndarray:
    """Mean of ``output`` over the last ``last_months`` months, averaged over replications."""
    last = results["month"].max()
    rows = results[(results["measure"] == output) & (results["month"] > last - last_months)]
    per_point = rows.groupby("point")["value"].mean()
    return per_point.reindex(range(n_points)).to_numpy(dtype=float)


def sensitivity_design(*, scenario: str = "baseline", vary: Mapping[str, Any], method: str = "morris",
                       samples: int = 10, months: int = 120, replications: int = 2, seed: int = 0,
                       fixed: Mapping[str, Any] | None = None, origin: str = "sensitivity") -> Sensitivity:
    if method not in METHODS:
        raise SpecError(f"{origin}: method = {method!r}: expected one of {', '.join(METHODS)}")
    if not vary:
        raise SpecError(f"{origin}: vary: give at least one parameter range (--vary PATH=LOW:HIGH)")
    fixed = dict(fixed or {})
    both = sorted(set(fixed) & set(vary))
    if both:
        raise SpecError(f"{origin}: {both[0]}: both fixed (--set) and varied; choose one")
    samples = checked(origin, "samples", samples, 1, 100_000)
    if method == "sobol" and samples & (samples - 1):
        raise SpecError(f"{origin}: samples = {samples}: Sobol needs a power of two (e.g. 8, 16, 64)")
    base = Parameters.load(scenario)
    check_fixed(base, fixed, origin)
    bounds = numeric_bounds(base, vary, section(origin, "vary"))
    names = list(bounds)
    problem = {"num_vars": len(names), "names": names, "bounds": [list(bounds[n]) for n in names]}
    rng = int(design_rng(seed, method).integers(2**31))
    if method == "morris":
        from SALib.sample import morris

        sample = morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=rng)
    else:
        from SALib.sample import sobol

        sample = sobol.sample(problem, samples, calc_second_order=False, seed=rng)
    points = []
    for pid, row in enumerate(sample):
        varied = {n: cast_to_leaf(base, n, x) for n, x in zip(names, row)}
        points.append(Point(pid, scenario, {**fixed, **varied}, label=describe(varied)))
    design = {"method": method, "samples": samples, "fixed": fixed, "bounds": {n: list(bounds[n]) for n in names}}
    plan = Plan("sensitivity", points, months=months, replications=replications, seed=seed, design=design, origin=origin)
    return Sensitivity(method, problem, sample, plan, seed)


def check_output(params: Parameters, output: str, last_months: int, months: int, origin: str) -> None:
    """Reject an unknown output measure or a window longer than the run before running."""
    from runs.runner import tidy_measures
    from model.welfare_model import WelfareModel

    checked(origin, "last_months", last_months, 1, months)
    probe = WelfareModel(params.with_overrides({"population.size": min(100, params["population.size"])}, origin=origin), rng=0)
    probe.run_for(1)
    measures = sorted(tidy_measures(probe)["measure"].unique())
    if output not in measures:
        raise SpecError(f"{origin}: output = {output!r}: unknown measure; expected one of {', '.join(measures)}")


def write_report(study: Sensitivity, indices: pd.DataFrame, out: Path, output: str, last_months: int) -> list[Path]:
    from runs.plots import tornado
    from runs.runner import atomic_write

    csv = out / "indices.csv"
    atomic_write(csv, lambda p: indices.to_csv(p, index=False))
    value, error = study.index
    title = (f"{study.method.title()} sensitivity of mean {output} over the last {last_months} months\n"
             f"({len(study.plan.points)} points x {study.plan.replications} replications x {study.plan.months} months)")
    png = tornado(indices, value, error, out / "tornado.png", title)
    return [csv, png]
