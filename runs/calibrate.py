"""Fit the free parameters to the Danish targets and the two trials; write calibrated.toml.

    ./dev python -m runs.calibrate            # ~10 minutes on 2 cores
    ./dev python -m runs.calibrate --quick    # a smoke run (few iterations, not written)
    ./dev python -m runs.calibrate --covariance  # no fit: the fit's covariance for the PSA (~1-2 min)

Method (simulated moments with common random numbers):

1. **Status quo.** A handful of influential base rates and assumption-labelled hazard
   ratios (``FREE``; every other parameter stays at its prior in baseline.toml) are fitted
   on log scale by ``scipy.optimize.least_squares`` (trust-region reflective, bounded)
   to the residuals ``(model - target) / tolerance`` of every target in
   ``model.calibration.targets`` except the trials' intervention arms, plus a weak prior
   term ``log(value / prior) / log(10)`` per parameter. The model statistic is the mean
   over ``--replications`` runs of ``--size`` citizens; the seeds are the same for every
   evaluation (common random numbers), so the objective is smooth enough for finite
   differences, which are evaluated in parallel (``--workers``). The usual-care arms of
   both trials are targets here: usual care *is* the status quo. A polish phase then
   adds a soft barrier (``BARRIER``) that penalises any target beyond 80% of its
   tolerance, so the fit prefers every target inside over a smaller sum of squares.
   The target-group size N (``population.scale`` x ``population.size``) enters only the
   three counts and is fitted in closed form with the rest.
2. **Trial effects.** Given the fitted status quo, one effect parameter per trial is
   fitted to the intervention arm: a common multiplier on Housing First's three
   exit-from-homelessness hazard ratios, and IPS's hazard ratio on job finding.

The fit runs the default's own services: funding is explicit (``governance.sizing =
"fixed"``, the places baseline.toml states; the discretionary interventions have 0
places in the status quo). Validation (``runs/validate.py``) runs the same default.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy.optimize import brentq, least_squares

from model.calibration import HORIZON, Target, measure_baseline, targets
from model.params import CALIBRATED_FILE, Parameters, read_calibration
from model.services import CATALOGUE
from model.trials import TRIALS, emulate

#: The free parameters of the status quo: dotted path -> (lower, upper) bound. The target
#: each mainly drives is in the comment; all other parameters keep their prior values.
FREE: dict[str, tuple[float, float]] = {
    # housing: level, turnover (yearly flow), street/shelter split, who becomes homeless
    "pathways.housing.own_home_to_precarious.rate": (5e-4, 0.05),  # homeless count, yearly flow
    "pathways.housing.precarious_to_own_home.rate": (0.01, 1.0),  # spell length, yearly flow
    "pathways.housing.shelter_to_own_home.rate": (0.005, 0.5),  # shelter share, spell length
    "pathways.housing.street_to_precarious.rate": (0.005, 0.5),  # rough sleepers
    "pathways.housing.precarious_to_street.rate": (5e-4, 0.1),  # rough sleepers
    "pathways.housing.precarious_to_own_home.hr.duration": (0.1, 1.0),  # long-term homeless (trial usual care)
    "pathways.housing.shelter_to_own_home.hr.mental_untreated": (0.1, 1.0),  # trial usual care
    "pathways.housing.shelter_to_own_home.hr.duration": (0.1, 1.0),  # long-term homeless vs yearly flow
    "pathways.housing.own_home_to_precarious.hr.mental_untreated": (1.0, 10.0),  # mental illness among homeless
    "pathways.housing.own_home_to_precarious.hr.substance_problematic": (1.0, 10.0),  # abuse among homeless
    "pathways.housing.own_home_to_precarious.hr.history_homeless": (1.0, 20.0),  # repeat homelessness: yearly flow vs count
    # substance: onset, treatment uptake, relapse
    "pathways.substance.none_to_problematic.rate": (2e-4, 0.05),  # problematic use stationary
    "pathways.substance.problematic_to_treatment.rate": (0.005, 0.5),  # people in treatment
    "pathways.substance.recovery_to_problematic.rate": (0.01, 0.5),  # relapse within a year
    "pathways.substance.treatment_to_recovery.rate": (0.005, 0.5),  # course length: treatment/recovery stationary
    "pathways.substance.problematic_to_recovery.rate": (5e-4, 0.1),  # natural recovery (refused dual cases)
    # mental: onset and uptake of psychiatric treatment
    "pathways.mental.well_to_untreated.rate": (2e-4, 0.05),  # untreated illness stationary
    "pathways.mental.untreated_to_treatment.rate": (0.005, 0.5),  # psychiatric treatment stationary
    "pathways.mental.untreated_to_well.rate": (5e-4, 0.1),  # remission (refused dual cases)
    "pathways.mental.treatment_to_stable.rate": (0.005, 0.5),  # course length
    "pathways.mental.stable_to_untreated.rate": (0.002, 0.3),  # relapse of mental illness
    # employment: job finding (IPS usual care), job loss, leaving the labour force
    "pathways.employment.benefits_to_employed.rate": (0.002, 0.3),  # IPS usual care, employed share
    "pathways.employment.employed_to_benefits.rate": (0.005, 0.5),  # employed share stationary
    "pathways.employment.benefits_to_outside.rate": (2e-4, 0.05),  # outside the labour force stationary
    "pathways.employment.outside_to_benefits.rate": (2e-4, 0.05),  # outside the labour force stationary (20 years)
    # justice: imprisonment and reconviction
    "pathways.justice.free_to_prison.rate": (1e-4, 0.02),  # prison share stationary
    "pathways.justice.free_to_prison.hr.history_prison": (0.5, 30.0),  # reconviction within 2 years
    # persistence: who stays homeless (spells over a year vs under six months)
    "pathways.housing.precarious_to_own_home.hr.complexity": (0.1, 1.0),  # long spells held by the complex
    "pathways.housing.shelter_to_own_home.hr.complexity": (0.1, 1.0),  # long spells held by the complex
    # supported housing stays occupied (stationary)
    "pathways.housing.shelter_to_supported.rate": (1e-3, 0.2),
    "pathways.housing.supported_to_own_home.rate": (1e-3, 0.1),
    # demography: the inflow of newly vulnerable adults balances deaths and exits
    "demography.inflow.per_1000": (1.0, 100.0),  # living population in year 10
}
#: Trial effects fitted in step 2: trial -> (effect paths scaled together, bounds of the multiplier)
EFFECTS: dict[str, tuple[tuple[str, ...], tuple[float, float]]] = {
    "hf": (("services.housing_first.effects.housing.precarious_to_own_home",
            "services.housing_first.effects.housing.shelter_to_own_home",
            "services.housing_first.effects.housing.street_to_precarious"), (0.05, 20.0)),
    "ips": (("services.ips.effects.employment.benefits_to_employed",), (0.05, 20.0)),
}
COUNTS = ("homeless_count", "homeless_yearly", "treatment_count")
#: prior width: a parameter 10x from its prior costs as much as one target at its tolerance
PRIOR_LOG_SD = math.log(10.0)
#: extra residual BARRIER x (|r| - BARRIER_FROM) for a target beyond 80% of its tolerance
BARRIER, BARRIER_FROM = 5.0, 0.8
DEFAULT_SEED = 20250401


# -- evaluation (in worker processes) -------------------------------------------------------
def _params(overrides: dict) -> Parameters:
    return Parameters.uncalibrated().with_overrides(overrides, origin="calibration")


def _job(job: tuple) -> dict:
    kind, overrides, seed, size, months = job
    params = _params(overrides)
    if kind == "baseline":
        from model.welfare_model import WelfareModel

        model = WelfareModel(params, rng=seed, **{"population.size": size})
        stats = measure_baseline(model, months, 1.0)
        del stats["_history"]
        return stats
    r = emulate(kind, params, seed, size)
    return {f"{kind}_intervention": r["intervention"], f"{kind}_usual_care": r["usual_care"]}


class Evaluator:
    """Mean statistics over replications for a parameter vector, cached, in parallel."""

    def __init__(self, fixed: dict, seeds: list[int], size: int, executor: Executor | None,
                 kinds=("baseline", "hf", "ips"), trial_scale: float = 1.0, months: int = HORIZON):
        self.fixed, self.seeds, self.size, self.executor, self.months = fixed, seeds, size, executor, months
        self.kinds, self.trial_scale = kinds, trial_scale
        self.cache: dict[tuple, dict] = {}
        self.calls = 0

    def _jobs(self, overrides: dict) -> list[tuple]:
        out = []
        for kind in self.kinds:
            size = self.size if kind == "baseline" else int(TRIALS[kind].size * self.trial_scale)
            out += [(kind, {**self.fixed, **overrides}, s, size, self.months) for s in self.seeds]
        return out

    def many(self, points: list[dict]) -> list[dict]:
        keys = [tuple(sorted(p.items())) for p in points]
        todo = [(k, p) for k, p in zip(keys, points) if k not in self.cache]
        todo = list({k: p for k, p in todo}.items())
        jobs, owners = [], []
        for k, p in todo:
            js = self._jobs(p)
            jobs += js
            owners += [k] * len(js)
        results = list(self.executor.map(_job, jobs, chunksize=1)) if self.executor else [_job(j) for j in jobs]
        self.calls += len(todo)
        for k, _ in todo:
            runs = [r for o, r in zip(owners, results) if o == k]
            stats: dict[str, float] = {}
            for name in {n for r in runs for n in r}:
                stats[name] = float(np.nanmean([r[name] for r in runs if name in r]))
            self.cache[k] = stats
        return [self.cache[k] for k in keys]


def residuals(stats: dict, N: float, tgts: list[Target]) -> np.ndarray:
    r = []
    for t in tgts:
        x = stats.get(t.name, np.nan)
        if t.name in COUNTS:
            x = x * N
        r.append((x - t.value) / t.tolerance if np.isfinite(x) else 10.0)
    return np.array(r)


# -- step 1: the status quo -------------------------------------------------------------------
#: Orderings the fit must respect, (at least as fast, than): treatment never slows recovery,
#: so the monthly rate from psychiatric treatment to stable is at least the rate of
#: spontaneous remission from untreated illness. A hinge residual in log rates: a violation
#: of 2% costs as much as one target at its tolerance, none costs nothing.
ORDERINGS: tuple[tuple[str, str], ...] = (
    ("pathways.mental.treatment_to_stable.rate", "pathways.mental.untreated_to_well.rate"),
)
ORDERING_WEIGHT = 50.0


def ordering_violations(values: dict[str, float]) -> dict[tuple[str, str], float]:
    """Per ordering: log(slower) - log(faster) where positive (a violation), else 0."""
    return {(fast, slow): max(0.0, float(np.log(values[slow]) - np.log(values[fast]))) for fast, slow in ORDERINGS}


def objective_residuals(stats: dict, x: np.ndarray, prior_x: np.ndarray, tgts: list[Target],
                        barrier_on: bool = True) -> np.ndarray:
    """The fit's residual vector at log-parameters ``x`` (the FREE values, then log N):
    standardised target residuals, the soft barrier, the orderings and the weak prior."""
    res = residuals(stats, float(np.exp(x[-1])), tgts)
    # a soft barrier near the tolerance: the fit prefers all targets inside over a smaller sum of squares
    barrier = BARRIER * np.maximum(np.abs(res) - BARRIER_FROM, 0.0) * barrier_on
    paths = list(FREE)
    order = np.array([ORDERING_WEIGHT * max(0.0, x[paths.index(slow)] - x[paths.index(fast)])
                      for fast, slow in ORDERINGS])
    return np.concatenate([res, barrier, order, (x[:-1] - prior_x) / PRIOR_LOG_SD])


def fit_status_quo(ev: Evaluator, prior: Parameters, start: dict, tgts: list[Target], max_iter: int,
                   barrier_on: bool = True, log=print) -> tuple[dict, float, dict]:
    paths = list(FREE)
    lo = np.log([FREE[p][0] for p in paths] + [1e3])
    hi = np.log([FREE[p][1] for p in paths] + [1e7])
    prior_x = np.log([prior[p] for p in paths])
    x0 = np.log([start.get(p, prior[p]) for p in paths] + [start.get("_N", 5e4)])
    x0 = np.clip(x0, lo + 1e-9, hi - 1e-9)
    # finite-difference step in log space: ~8% (CRN smooths the objective at this scale)
    h = 0.08

    def point(x):
        return {p: float(np.exp(v)) for p, v in zip(paths, x[:-1])}

    def fun_from(stats, x):
        return objective_residuals(stats, x, prior_x, tgts, barrier_on)

    def fun(x):
        f = fun_from(ev.many([point(x)])[0], x)
        log(f"  eval {ev.calls:4d}: cost {0.5 * float(f @ f):8.3f}  targets outside tolerance: "
            f"{int((np.abs(f[:len(tgts)]) > 1).sum())}")
        return f

    def jac(x):
        f0 = fun_from(ev.many([point(x)])[0], x)
        xs = []
        for j in range(len(paths)):
            step = h if x[j] + h <= hi[j] else -h
            xj = x.copy()
            xj[j] += step
            xs.append((xj, step))
        stats = ev.many([point(xj) for xj, _ in xs])
        J = np.empty((f0.size, x.size))
        for j, ((xj, step), s) in enumerate(zip(xs, stats)):
            J[:, j] = (fun_from(s, xj) - f0) / step
        xn = x.copy()
        xn[-1] += 1e-4  # N: no simulation needed
        J[:, -1] = (fun_from(ev.many([point(x)])[0], xn) - f0) / 1e-4
        return J

    sol = least_squares(fun, x0, jac=jac, bounds=(lo, hi), method="trf", x_scale=1.0, max_nfev=max_iter,
                        xtol=1e-3, ftol=1e-3, gtol=1e-4)
    fitted = point(sol.x)
    fitted["_N"] = float(np.exp(sol.x[-1]))
    return fitted, float(sol.cost), ev.many([point(sol.x)])[0]


# -- step 2: the trial effects -------------------------------------------------------------------
def fit_effect(trial: str, ev_factory, prior: Parameters, base: dict, log=print) -> tuple[dict, dict]:
    paths, (mlo, mhi) = EFFECTS[trial]
    target = TRIALS[trial].targets[0]
    ev = ev_factory(kinds=(trial,))

    def point(logm):
        return {**base, **{p: float(prior[p] * np.exp(logm)) for p in paths}}

    def gap(logm: float) -> float:
        return ev.many([point(logm)])[0][f"{trial}_intervention"] - target

    a, b = math.log(mlo), math.log(mhi)
    ga, gb = gap(a), gap(b)
    if ga * gb > 0:  # no root inside the bounds: the closer bound
        x = a if abs(ga) < abs(gb) else b
    else:  # the arm's outcome rises with the effect: Brent's method on log(multiplier)
        x = brentq(gap, a, b, xtol=0.01)
    fitted = {p: float(prior[p] * np.exp(x)) for p in paths}
    stats = ev.many([point(x)])[0]
    log(f"  {trial}: multiplier {math.exp(x):.3f} -> intervention {stats[f'{trial}_intervention']:.3f} "
        f"(target {target}), usual care {stats[f'{trial}_usual_care']:.3f}")
    return fitted, stats


# -- uncertainty of the fit: the covariance at the stored optimum -----------------------------------
#: log-scale step of the central differences of the covariance (the fit's own finite-difference step)
COVARIANCE_STEP = 0.08
#: the table of calibrated.toml that holds the covariance (written by ``--covariance``)
COVARIANCE_TABLE = "covariance"
#: a target's tolerance read as the half-width of a 95% interval: sd = tolerance / 1.96
TOLERANCE_Z = 1.96


def fit_covariance(ev: Evaluator, prior: Parameters, fitted: dict, N: float, tgts: list[Target],
                   h: float = COVARIANCE_STEP, log=print) -> dict:
    """The Gauss-Newton covariance of the fitted log-parameters at the stored optimum:
    ``cov = (J^T J)^-1`` with ``J`` the Jacobian of the fit's own residual vector
    (``objective_residuals``: standardised target residuals, soft barrier, weak prior) in the
    log of the ``FREE`` values and log N, by central differences (step ``h`` on the log scale;
    one-sided at a bound) on the fit's seeds (common random numbers). Each tolerance is read
    as a 95% interval of its target (one standard deviation = tolerance / ``TOLERANCE_Z``:
    the target and barrier rows are weighted by ``TOLERANCE_Z``); the prior rows keep the
    fit's sd (log 10). This is the fit's curvature read as a covariance (linearised at the
    optimum), not a sampling covariance of the data. log N and log ``population.scale``
    differ by a constant, so the last row/column is ``population.scale``'s.
    Costs 2 x len(FREE) + 1 evaluations; nothing is refitted."""
    paths = list(FREE)
    lo = np.log([FREE[p][0] for p in paths] + [1e3])
    hi = np.log([FREE[p][1] for p in paths] + [1e7])
    prior_x = np.log([prior[p] for p in paths])
    x = np.log([fitted[p] for p in paths] + [N])

    def point(x):
        return {p: float(np.exp(v)) for p, v in zip(paths, x[:-1])}

    pts = []
    for j in range(len(paths)):
        xu, xd = x.copy(), x.copy()
        xu[j] += min(h, hi[j] - x[j])
        xd[j] -= min(h, x[j] - lo[j])
        pts += [xu, xd]
    stats = ev.many([point(x)] + [point(p) for p in pts])
    s0, stats = stats[0], stats[1:]
    f0 = objective_residuals(s0, x, prior_x, tgts)
    J = np.empty((f0.size, x.size))
    for j in range(len(paths)):
        xu, xd = pts[2 * j], pts[2 * j + 1]
        J[:, j] = (objective_residuals(stats[2 * j], xu, prior_x, tgts)
                   - objective_residuals(stats[2 * j + 1], xd, prior_x, tgts)) / (xu[j] - xd[j])
    eps = 1e-4  # N enters only the counts: no simulation needed
    xn, xm = x.copy(), x.copy()
    xn[-1] += eps
    xm[-1] -= eps
    J[:, -1] = (objective_residuals(s0, xn, prior_x, tgts) - objective_residuals(s0, xm, prior_x, tgts)) / (2 * eps)
    # a tolerance is the band the data allow, read as a 95% interval: one standard deviation is
    # tolerance / TOLERANCE_Z, so the target and barrier rows weigh TOLERANCE_Z x; the prior keeps its sd
    w = np.ones(f0.size)
    w[:2 * len(tgts)] = TOLERANCE_Z
    Jw = J * w[:, None]
    cov = np.linalg.inv(Jw.T @ Jw)
    cov = (cov + cov.T) / 2
    sd = np.sqrt(np.diag(cov))
    log(f"  covariance at the stored point: cost {0.5 * float(f0 @ f0):.4g}, "
        f"sd(log) from {sd.min():.3f} to {sd.max():.3f}")
    size = prior["population.size"]  # population.scale = N / the prior's size (as the fit writes it)
    return {"parameters": paths + ["population.scale"], "lower": [FREE[p][0] for p in paths] + [1e3 / size],
            "upper": [FREE[p][1] for p in paths] + [1e7 / size], "log_cov": cov, "cost": 0.5 * float(f0 @ f0)}


def effect_slope(trial: str, ev: Evaluator, base: dict, fitted: dict, h: float = COVARIANCE_STEP) -> float:
    """d(intervention arm outcome) / d(log multiplier) of a trial's fitted effect at the
    stored point (central differences): how far the arm moves per log unit of the effect."""
    paths = EFFECTS[trial][0]
    up, dn = ({**base, **{p: float(fitted[p] * np.exp(s)) for p in paths}} for s in (h, -h))
    a, b = ev.many([up, dn])
    return (a[f"{trial}_intervention"] - b[f"{trial}_intervention"]) / (2 * h)


def write_covariance(path: Path, info: dict, meta: dict) -> None:
    """Append (or replace) the ``[covariance]`` table of calibrated.toml; the fitted values
    and metadata above it are left as they are. A refit rewrites the file without it."""
    text = path.read_text()
    head = text.split(f"\n[{COVARIANCE_TABLE}]")[0].rstrip("\n")
    cov = np.asarray(info["log_cov"])
    lines = ["", "", f"[{COVARIANCE_TABLE}]",
             "# Gauss-Newton covariance of the fitted values' logs at the stored point, (J^T J)^-1 of the fit's",
             "# residuals (runs/calibrate.py --covariance; a tolerance read as a 95% interval: sd = tolerance / 1.96).",
             "# Used by the PSA (runs/validate.py): log values drawn multivariate normal, clipped to the fit's bounds.",
             f"calibration_version = {_fmt(int(meta.get('version', 0)))}",
             f"date = {_fmt(dt.date.today().isoformat())}",
             f"method = {_fmt(info['method'])}",
             f"cost_at_point = {_fmt(info['cost'])}",
             f"elapsed_seconds = {_fmt(round(info['elapsed'], 1))}",
             f"cores = {_fmt(info['cores'])}",
             f"parameters = {_fmt(info['parameters'])}",
             f"lower = {_fmt(info['lower'])}",
             f"upper = {_fmt(info['upper'])}",
             "log_cov = ["]
    lines += ["  " + _fmt([float(v) for v in row]) + "," for row in cov]
    lines += ["]"]
    path.write_text(head + "\n".join(lines) + "\n")


def covariance_handler(args: argparse.Namespace) -> int:
    """``--covariance``: the covariance at the stored fit, written into calibrated.toml."""
    t0 = time.time()
    fitted, meta = read_calibration(args.out)
    if not fitted:
        raise SystemExit("calibrate --covariance: no calibrated.toml to take the covariance of")
    prior = Parameters.uncalibrated()
    tgts = [t for t in targets(prior) if t.fitted and not t.name.endswith("_intervention")]
    seeds = [int(s.generate_state(1)[0])
             for s in np.random.SeedSequence(int(meta["seed"])).spawn(int(meta["replications"]))]
    size, months = int(meta["population_size"]), int(meta.get("months", HORIZON))
    executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    try:
        ev = Evaluator(fit_config(), seeds, size, executor, months=months)
        print(f"calibrate --covariance: {2 * len(FREE) + 1} evaluations of {len(seeds)} x {size} citizens, "
              f"{months} months, at calibration version {meta.get('version')}")
        info = fit_covariance(ev, prior, fitted, float(meta["target_group"]), tgts)
        base = {**fit_config(), **{p: fitted[p] for p in FREE}}
        for trial in EFFECTS:
            slope = effect_slope(trial, Evaluator({}, seeds, size, executor, kinds=(trial,)), base, fitted)
            tol = next(t.tolerance for t in targets(prior) if t.name == f"{trial}_intervention")
            print(f"  {trial}: intervention arm moves {slope:.3f} per log unit of the effect multiplier; "
                  f"+-{tol:.2f} (the tolerance) = multiplier x{np.exp(-tol / abs(slope)):.3f} - "
                  f"x{np.exp(tol / abs(slope)):.3f}")
    finally:
        if executor:
            executor.shutdown()
    info.update(elapsed=time.time() - t0, cores=args.workers,
                method=f"central differences, step {COVARIANCE_STEP} on the log scale, the fit's seeds "
                       f"({len(seeds)} x {size} citizens, {months} months) and residuals incl. barrier and prior; "
                       f"sd of a target = tolerance / {TOLERANCE_Z}")
    sd = np.sqrt(np.diag(info["log_cov"]))
    for p, v in zip(info["parameters"], sd):
        print(f"  sd(log) {v:6.3f}  {p}")
    if args.quick:
        print(f"quick run: nothing written ({info['elapsed']:.0f} s)")
        return 0
    write_covariance(args.out, info, meta)
    print(f"wrote [{COVARIANCE_TABLE}] into {args.out} ({info['elapsed']:.0f} s)")
    return 0


# -- the status quo's places -------------------------------------------------------------------------
def unfunded(params: Parameters) -> list[str]:
    """Interventions with 0 places in the status quo (funding is explicit: the default
    states its places, so the fit and the default run the same services)."""
    return sorted(s.name for s in CATALOGUE if s.intervention and s.capacity_limited
                  and params[f"services.{s.name}.capacity"] == 0)


def fit_config() -> dict:
    return {"governance.sizing": "fixed"}


# -- the file --------------------------------------------------------------------------------------
def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, float):
        return repr(float(f"{v:.6g}"))
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_calibration(path: Path, meta: dict, rows: list[dict], fitted: dict, priors: dict) -> None:
    lines = ["# Written by runs/calibrate.py (`./dev python -m runs.calibrate`); do not edit by hand.",
             "# [fitted] values replace baseline.toml's in Parameters.baseline(); the prior of each is in",
             "# baseline.toml (Parameters.uncalibrated()).", "", "[calibration]"]
    for k, v in meta.items():
        lines.append(f"{k} = {_fmt(v)}")
    for row in rows:
        lines += ["", f"[calibration.targets.{row['name']}]"]
        for k in ("label", "value", "tolerance", "unit", "model", "passed", "fitted", "source"):
            lines.append(f"{k} = {_fmt(row[k])}")
    lines += ["", "[fitted]"]
    for p, v in fitted.items():
        lines.append(f'"{p}" = {_fmt(v)}  # prior {priors[p]:.6g}')
    path.write_text("\n".join(lines) + "\n")


def configure(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--size", type=int, default=5000, help="simulated citizens per run (default 5000)")
    ap.add_argument("--replications", type=int, default=2, help="runs per evaluation (default 2)")
    ap.add_argument("--months", type=int, default=HORIZON,
                    help=f"months per status-quo run (default {HORIZON}; stationarity: last year against the first)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--max-iter", type=int, default=15, help="least-squares evaluations from the prior (default 15)")
    ap.add_argument("--polish-iter", type=int, default=4,
                    help="evaluations of the polish with the soft barrier (default 4; --warm: the only phase)")
    ap.add_argument("--warm", action="store_true", help="start from the current calibrated.toml")
    ap.add_argument("--quick", action="store_true", help="smoke run: 3 iterations, small runs, nothing written")
    ap.add_argument("--out", type=Path, default=CALIBRATED_FILE)
    ap.add_argument("--covariance", action="store_true",
                    help="no fit: the covariance of the stored fit (J^T J)^-1, written into calibrated.toml "
                         "as [covariance] for the PSA (~1-2 minutes on 2 cores)")


def handler(args: argparse.Namespace) -> int:
    if args.months < 36:
        raise SystemExit("calibrate: --months must be at least 36 (reconviction is followed for 24 months)")
    if args.covariance:
        return covariance_handler(args)
    if args.quick:
        args.size, args.max_iter, args.polish_iter, args.replications = 2000, 3, 1, 1
    t0 = time.time()
    prior = Parameters.uncalibrated()
    tgts = targets(prior)
    fit_tgts = [t for t in tgts if t.fitted and not t.name.endswith("_intervention")]
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(args.seed).spawn(args.replications)]
    start: dict = {}
    if args.warm:
        fitted_old, meta_old = read_calibration()
        start = dict(fitted_old)
        if "target_group" in meta_old:
            start["_N"] = float(meta_old["target_group"])
    executor = ProcessPoolExecutor(args.workers) if args.workers > 1 else None
    try:
        off = unfunded(prior)
        print(f"calibrate: {len(FREE)} status-quo parameters + N, {len(fit_tgts)} targets, "
              f"{args.replications} x {args.size} citizens; interventions at 0 places in the default: {off}")
        ev = Evaluator(fit_config(), seeds, args.size, executor, months=args.months)
        print("step 1: status quo")
        if args.warm:  # one phase, from the current fit, with the barrier
            fitted, cost, stats = fit_status_quo(ev, prior, start, fit_tgts, args.polish_iter)
        else:  # phase A: plain least squares from the prior; phase B: polish with the barrier
            fitted, cost, stats = fit_status_quo(ev, prior, start, fit_tgts, args.max_iter, barrier_on=False)
            fitted = {p: float(f"{v:.6g}") for p, v in fitted.items()}
            print("  polish: soft barrier at 80% of each tolerance")
            fitted, cost, stats = fit_status_quo(ev, prior, fitted, fit_tgts, args.polish_iter)
        N = fitted.pop("_N")
        print("step 2: trial effects")
        base = {**fit_config(), **fitted}
        factory = lambda kinds: Evaluator({}, seeds, args.size, executor, kinds=kinds)  # noqa: E731
        effects, trial_stats = {}, {}
        for trial in EFFECTS:
            e, s = fit_effect(trial, factory, prior, base)
            effects.update(e)
            trial_stats.update(s)
    finally:
        if executor:
            executor.shutdown()
    elapsed = time.time() - t0
    stats = {**stats, **trial_stats}
    rows = []
    for t in tgts:
        x = stats.get(t.name, float("nan")) * (N if t.name in COUNTS else 1.0)
        rows.append({"name": t.name, "label": t.label, "value": t.value, "tolerance": t.tolerance, "unit": t.unit,
                     "model": float(x), "passed": t.passes(x), "fitted": t.fitted, "source": t.source})
    n_pass = sum(r["passed"] for r in rows)
    print(f"fit: {n_pass}/{len(rows)} targets within tolerance ({elapsed:.0f} s)")
    for r in rows:
        print(f"  {'ok  ' if r['passed'] else 'MISS'} {r['name']:32s} model {r['model']:10.4g}  target "
              f"{r['value']:10.4g} +- {r['tolerance']:.3g}")
    fitted_all = {**fitted, **effects, "population.scale": N / prior["population.size"]}
    if args.quick:
        print("quick run: nothing written")
        return 0
    old_version = read_calibration()[1].get("version", 0) if CALIBRATED_FILE.exists() else 0
    meta = {
        "version": int(old_version) + 1,
        "date": dt.date.today().isoformat(),
        "method": "simulated method of moments: scipy.optimize.least_squares (trf, bounded, log-parameters, "
                  "parallel finite differences) on (model - target) / tolerance with common random numbers, "
                  "weak log-normal prior (sd log 10), soft barrier at 80% of each tolerance; "
                  "then one effect multiplier per trial (Brent's method)",
        "seed": args.seed,
        "replications": args.replications,
        "population_size": args.size,
        "months": args.months,
        "fit_sizing": f"fixed, the default's places (0 for {', '.join(off) or 'none'})",
        "target_group": float(f"{N:.5g}"),
        "objective": float(f"{cost:.5g}"),
        "targets_within_tolerance": f"{n_pass}/{len(rows)}",
        "elapsed_seconds": round(elapsed, 1),
        "cores": args.workers,
        "started_from": f"calibrated.toml version {old_version}" if args.warm else "the prior (baseline.toml)",
        "free_parameters": list(FREE) + [p for paths, _ in EFFECTS.values() for p in paths] + ["population.scale"],
    }
    write_calibration(args.out, meta, rows, fitted_all, {p: prior[p] for p in fitted_all})
    print(f"wrote {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="calibrate", description=__doc__.split("\n\n")[0])
    configure(ap)
    return handler(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
