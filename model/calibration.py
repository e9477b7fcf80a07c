"""Calibration targets and the statistics the model is measured by.

One place for *what* the model is compared with (``TARGETS``: the Danish figures listed with their
sources in docs/sources.md, the two trials' usual-care and intervention arms, and stationarity of
the status quo) and *how* each statistic is measured from a run (``baseline_statistics``).
The fitting lives in ``runs/calibrate.py``, the report in ``runs/validate.py``, the trial
emulations in ``model/trials.py``.

Definitions (the proxies, stated once):

* **homeless** = housing level precarious, shelter or street (the VIVE count includes
  sofa-surfers). The *point count* is the mean homeless share over months 13-120 times
  the target-group size ``N = population.size x population.scale``.
* **homeless during a year** = distinct citizens homeless in at least one of the 12
  monthly snapshots of a year, averaged over years 2-10, times ``N``. Point count /
  (yearly flow - point count) x 12 is the implied mean spell in months.
* **comorbidity among the homeless**: pooled homeless person-months of months 13-120;
  *mental illness* = mental level untreated, treatment or stable (a diagnosis, treated
  or in remission); *substance abuse* = substance level problematic or treatment.
* **relapse within a year after treatment** = among completions of addiction treatment
  (a move substance treatment -> recovery in months 1-108), the share in problematic
  use at any month within the next 12.
* **reconviction within 2 years** = among releases from prison (a move out of
  justice.prison in months 1-96), the share who re-enter prison within 24 months. The
  model's prison is an unconditional sentence; Danish reconviction counts any new
  conviction, so this proxy is stricter (stated in the report).
* **people in drug treatment** = mean substance-treatment share over months 13-120 x N.
  Denmark: 20,400 [S]; the share of them in this cohort (half) is an assumption.
* **a living population**: every share is of the citizens in the target group that month
  (the dead, those who left and those not yet entered are recorded as ``NOT_LIVING``).
* **homeless spells** (flow): the spells begun in months 13..T-12 (each followed for at
  least 12 months); *over a year* = still homeless after 12 months (length > 12),
  *under six months* = ended within 5 month-ends. A spell ended by death is left out.
  The model's month is its unit: spells of days (22% of Danish shelter stays last one
  night) are not seen, so the short share is a lower bound of the Danish one.
* **deaths**: per 1,000 living citizens per year, and the standardised mortality ratio
  (observed / expected at the general population's mortality for the same ages) of
  citizens who have ever been homeless (Nielsen et al. 2011: shelter users 5.6-6.7).
* **population size**: the living citizens in year 10 against the start.
* **stationarity**: for each main level, the mean share in year 10 (months 109-120)
  against year 1 (months 1-12) ("drift"), and year 1 against the starting population
  at month 0 ("start"). The Danish status quo is roughly stationary (VIVE: 5,800-6,400
  homeless 2019-2024).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents.states import HOMELESS, Domain, Employment, Housing, Justice, Mental, Substance
from model.children import children_statistics
from model.params import Parameters
from model.population import stack_levels

#: months simulated for the baseline statistics
HORIZON = 120
#: months 1..BURN_IN are excluded from level statistics (the starting population settles)
BURN_IN = 12


@dataclass(frozen=True)
class Target:
    """One calibration or validation target: the statistic, its value and the tolerance."""

    name: str  #: key of the statistic (``baseline_statistics`` or ``model/trials.py``)
    label: str
    value: float
    tolerance: float  #: pass if |model median - value| <= tolerance (same unit as value)
    unit: str  #: "persons", "share" or "pp" (a difference of shares)
    source: str
    group: str  #: "denmark", "trial", "stationarity"
    fitted: bool = True  #: used by the fit (False: a check only)

    def passes(self, x: float) -> bool:
        return bool(np.isfinite(x) and abs(x - self.value) <= self.tolerance + 1e-12)


#: Main levels whose occupancy must be stationary: name -> (domain, levels counted)
STATIONARY_LEVELS: dict[str, tuple[Domain, tuple[int, ...]]] = {
    "homeless": (Domain.HOUSING, tuple(int(h) for h in HOMELESS)),
    "street": (Domain.HOUSING, (int(Housing.STREET),)),
    "problematic_use": (Domain.SUBSTANCE, (int(Substance.PROBLEMATIC),)),
    "addiction_treatment": (Domain.SUBSTANCE, (int(Substance.TREATMENT),)),
    "mental_untreated": (Domain.MENTAL, (int(Mental.UNTREATED),)),
    "psychiatric_treatment": (Domain.MENTAL, (int(Mental.TREATMENT),)),
    "employed": (Domain.EMPLOYMENT, (int(Employment.EMPLOYED),)),
    "outside_labour_force": (Domain.EMPLOYMENT, (int(Employment.OUTSIDE),)),
    "prison": (Domain.JUSTICE, (int(Justice.PRISON),)),
    "supported_housing": (Domain.HOUSING, (int(Housing.SUPPORTED),)),
}

#: VIVE point counts 2019, 2022, 2024 [S]
VIVE_COUNTS = (6431, 5789, 5989)


def _stationarity_tolerance(start_share: float) -> float:
    """15% of the level's starting share, at least 1 percentage point."""
    return max(0.01, 0.15 * start_share)


#: The children's checks (``model.children.children_statistics``), measured over 20 years
#: of the status quo in ``runs/validate.py`` (outcomes at 25 and 30 need the years); never
#: fitted: the parameters were set by hand towards them (baseline.toml says which).
CHILD_TARGETS: tuple[Target, ...] = (
    Target("placed_by_18_prison_parent", "Children with a parent in prison: placed during childhood", 0.12, 0.05,
           "share", "12% (SFI via baf.sfi.dk) [S]; tolerance +-5 pp", "children", fitted=False),
    Target("placed_by_18_ill_parent", "Children with a mentally ill parent: placed during childhood", 0.20, 0.10,
           "share", "parental schizophrenia 20% (father) to 40% (mother), Ranning et al. 2015 [S]; any mental illness "
           "lower (assumption): 10-30%", "children", fitted=False),
    Target("foster_share", "Placed children in a foster family", 0.67, 0.08, "share",
           "63% foster family, 17% institution, 14% opholdssted, end of 2023 (Statistics Denmark) [S]", "children",
           fitted=False),
    Target("children_per_prisoner", "Children (under 18) with a parent in prison, per prisoner", 1.0, 0.4, "ratio",
           "~4,000 children with a parent in prison at any time (Kriminalforsorgen 2025) [S] and ~4,000 inmates on an "
           "average day (Kriminalforsorgen's statistics) [E]: about one child per prisoner; the model's target group "
           "holds only part of Denmark's prisoners, so the ratio, not the count", "children", fitted=False),
    Target("no_education_25_placed", "Formerly placed: no youth education at 25", 0.70, 0.10, "share",
           "70% (21% of other children), KL 2015 [S]", "children", fitted=False),
    Target("no_education_25_never", "Never placed children of the target group: no youth education at 25", 0.45,
           0.24, "share", "between all other children (21%) and the formerly placed (70%), KL 2015 [S]", "children",
           fitted=False),
    Target("homeless_by_25_placed", "Formerly placed: homeless at some point by 25", 0.10, 0.04, "share",
           "10% homeless at 18-24 (0.5% of others), VIVE 2020 via hjemtilalle.dk [2nd]", "children", fitted=False),
    Target("prison_by_30_placed", "Formerly placed: ever in prison by 30", 0.13, 0.06, "share",
           "1 in 4 formerly placed men (4.3% of others) by 30, KL 2015 [S]; the model has no sex: with women at a "
           "twentieth of men's rate (5% of prisoners are women, Kriminalforsorgen) about 13% (assumption)",
           "children", fitted=False),
)


def targets(params: Parameters | None = None) -> list[Target]:
    """Every target. Stationarity tolerances depend on the starting shares of ``params``."""
    params = params or Parameters.uncalibrated()
    out = [
        Target("homeless_count", "Homeless at a point in time (VIVE count)", float(np.mean(VIVE_COUNTS)), 600.0,
               "persons", "VIVE 2019: 6,431; 2022: 5,789; 2024: 5,989 [S]; target their mean, tolerance +-600 "
               "(covers 2019-2024)", "denmark"),
        Target("homeless_yearly", "Homeless during a year", 13000.0, 2000.0, "persons",
               "~13,000 [2nd]; tolerance +-2,000 (secondary source)", "denmark"),
        Target("street_share", "Rough sleepers among the homeless", 535 / 5789, 0.04, "share",
               "VIVE 2022: 535 of 5,789 [S]", "denmark"),
        Target("shelter_share", "In shelters among the homeless", (2984 / 5789 + 2721 / 5989) / 2, 0.06, "share",
               "VIVE 2022: 2,984 of 5,789 (0.515); 2024: 2,721 of 5,989 (0.454) [S]; target their mean, "
               "tolerance covers both (shelters run full: 3,029 places in March 2024)", "denmark"),
        Target("homeless_mental", "Homeless with mental illness", 0.62, 0.05, "share", "VIVE 2022: 62% [2nd]",
               "denmark"),
        Target("homeless_both", "Homeless with mental illness and substance abuse", 0.42, 0.05, "share",
               "VIVE 2022: 42% [2nd]", "denmark"),
        Target("homeless_neither", "Homeless with neither", 0.15, 0.05, "share", "VIVE 2022: 15% [2nd]", "denmark"),
        Target("relapse_12m", "Relapse within a year after addiction treatment", 0.50, 0.10, "share",
               "40-60% [S]", "denmark"),
        Target("reconviction_24m", "Re-imprisoned within 2 years of release (reconviction proxy)", 0.305, 0.04,
               "share", "29-32% reconviction within 2 years [2nd]; tolerance +-4 pp for the proxy", "denmark"),
        Target("treatment_count", "People in drug treatment (this cohort)", 10200.0, 2500.0, "persons",
               "20,400 in Danish drug treatment 2023 [S]; half attributed to this cohort (assumption)", "denmark"),
        Target("spell_over_12m", "Homeless spells lasting over a year", 0.25, 0.05, "share",
               "a quarter of spells last over a year, 60% under six months (flow), Kraka 2020 [2nd]; "
               "tolerance +-5 pp", "denmark"),
        Target("spell_under_6m", "Homeless spells ending within six months", 0.60, 0.08, "share",
               "Kraka 2020 [2nd]: 60%; the model's monthly step does not see spells of days, so +-8 pp", "denmark"),
        Target("population_year10", "Living citizens in year 10 / at the start", 1.0, 0.03, "share",
               "design: the status quo's inflow of newly vulnerable adults balances deaths and exits "
               "(the target group's size is stable: VIVE counts 2019-2024 within +-5%) [S]", "stationarity"),
        Target("smr_ever_homeless", "Standardised mortality of the (ever) homeless", 6.15, 1.0, "ratio",
               "shelter users 1999-2009: SMR 5.6 men, 6.7 women (Nielsen et al., Lancet 2011;377:2205) [S]; "
               "a check: the mortality ratios are set from the literature, not fitted", "denmark", fitted=False),
        Target("deaths_per_1000", "Deaths per 1,000 in the target group per year", 9.0, 4.0, "per 1,000",
               "[E] 5-13 per 1,000 (~270-700 deaths a year in a target group of ~54,000): drug-related deaths alone were 280 in 2022 "
               "(Sundhedsstyrelsen) and opioid maintenance patients die at 26.6 per 1,000 person-years (Gabrhelik et al. 2023); a check", "denmark",
               fitted=False),
        Target("hf_usual_care", "At Home/Chez Soi: usual care, stably housed at 12 months", 0.31, 0.05, "share",
               "At Home/Chez Soi RCT: 31% [S]", "trial"),
        Target("hf_intervention", "At Home/Chez Soi: Housing First, stably housed at 12 months", 0.73, 0.05, "share",
               "At Home/Chez Soi RCT: 73% [S]", "trial"),
        Target("ips_usual_care", "Danish IPS trial: usual care, job or education within 18 months", 0.465, 0.05,
               "share", "Christensen et al. 2019: 46.5% [S]", "trial"),
        Target("ips_intervention", "Danish IPS trial: IPS, job or education within 18 months", 0.599, 0.05, "share",
               "Christensen et al. 2019: 59.9% [S]", "trial"),
    ]
    start = initial_shares(params)
    for name, s0 in start.items():
        tol = _stationarity_tolerance(s0)
        out.append(Target(f"drift_{name}", f"Stationary {name.replace('_', ' ')}: year 10 - year 1", 0.0, tol, "pp",
                          "status quo roughly stationary (VIVE 2019-2024 counts within +-5%) [S]; "
                          "tolerance 15% of the starting share, min 1 pp", "stationarity"))
        out.append(Target(f"start_{name}", f"Stationary {name.replace('_', ' ')}: year 1 - month 0", 0.0, tol, "pp",
                          "the starting population is the status quo; same tolerance", "stationarity"))
    return out


def initial_shares(params: Parameters) -> dict[str, float]:
    """Expected starting share of each stationary level (from ``population.initial``)."""
    from agents.states import LEVELS, domain_name

    init = params.subtree("population.initial")
    out = {}
    for name, (d, lvs) in STATIONARY_LEVELS.items():
        names = [lv.name.lower() for lv in LEVELS[d]]
        out[name] = float(sum(init[domain_name(d)][names[lv]] for lv in lvs))
    return out


def target_group(params: Parameters) -> float:
    """Danish persons the simulated cohort stands for: population.size x population.scale."""
    return float(params["population.size"] * params["population.scale"])


# -- measuring a run ---------------------------------------------------------------------------
def level_history(model, months: int) -> np.ndarray:
    """Step ``model`` ``months`` times; the levels at month 0..months: (months+1, domains,
    citizens ever in the group) int8, ``NOT_LIVING`` (-1) where a citizen was not in the
    target group that month (``model.population.stack_levels``)."""
    frames = [model.population.living_levels()]
    for _ in range(months):
        model.step()
        frames.append(model.population.living_levels())
    return stack_levels(frames)


def measure_baseline(model, months: int, group_size: float) -> dict[str, float]:
    """Run ``model`` (the status quo) ``months`` and measure it: ``baseline_statistics`` of
    its level history plus the statistics that need the model itself (spells, deaths, the
    children: ``model.children.children_statistics``)."""
    hist = level_history(model, months)
    out = baseline_statistics(hist, group_size)
    out.update(spell_statistics(model.population, months))
    out.update(mortality_statistics(model))
    out.update(children_statistics(model, group_size / model._start_size))
    out["_history"] = hist
    return out


def spell_statistics(pop, months: int) -> dict[str, float]:
    """Shares of homeless spells begun in months BURN_IN+1 .. months-12 that lasted over a
    year and that ended within six months (module doc)."""
    from model.population import NOT_LEFT

    sp = pop.spell_frame()
    lo, hi = BURN_IN, months - 12
    done = sp[(sp["begun"] >= lo) & (sp["begun"] < hi)]
    ongoing = pop.spell_start[(pop.spell_start != NOT_LEFT) & (pop.spell_start >= lo) & (pop.spell_start < hi)]
    n = len(done) + ongoing.size
    if n == 0:
        return {"spell_over_12m": np.nan, "spell_under_6m": np.nan, "spells_n": 0}
    over = int((done["months"] > 12).sum()) + int((months - ongoing > 12).sum())
    under = int((done["months"] < 6).sum())
    return {"spell_over_12m": over / n, "spell_under_6m": under / n, "spells_n": n}


def mortality_statistics(model) -> dict[str, float]:
    """Deaths per 1,000 living per year, the SMR of the ever homeless, and the living
    population in the last 12 months (year 10 of the calibration's 120) against the start."""
    from model.demography import smr

    if model.demography is None or not model.demography.stats:
        return {"deaths_per_1000": np.nan, "smr_ever_homeless": np.nan, "population_year10": np.nan}
    f = model.demography.frame()
    alive = f["alive"].to_numpy()
    years = f["person_months_everyone"].sum() / 12.0
    start = model.occupancy_frame()["alive"].iloc[0]
    return {"deaths_per_1000": float(f["died"].sum() / years * 1000.0),
            "smr_ever_homeless": smr(f, "ever_homeless"), "smr_drug_treatment": smr(f, "drug_treatment"),
            "population_year10": float(alive[-12:].mean() / start)}


def _within(events: np.ndarray, later: np.ndarray, window: int) -> tuple[int, int]:
    """For event indicators ``events`` (T+1, n), the number of events at months
    1..T-window and how many of them see ``later`` at some month in (t, t+window]."""
    T = events.shape[0] - 1
    cum = np.cumsum(later, axis=0, dtype=np.int32)
    ts, idx = np.nonzero(events[1:T - window + 1])
    ts = ts + 1
    hit = cum[ts + window, idx] - cum[ts, idx] > 0
    return int(ts.size), int(hit.sum())


def baseline_statistics(history: np.ndarray, group_size: float) -> dict[str, float]:
    """Every status-quo statistic of one run, from its level history (see module doc).

    ``group_size`` is the Danish target group N the cohort stands for (counts = share x N)."""
    T = history.shape[0] - 1
    hous, subs, ment, just = (history[:, d] for d in (Domain.HOUSING, Domain.SUBSTANCE, Domain.MENTAL,
                                                       Domain.JUSTICE))
    living = hous >= 0  # (months, citizens): in the target group that month
    homeless = np.isin(hous, HOMELESS)
    late = slice(BURN_IN + 1, T + 1)
    out: dict[str, float] = {}
    point = homeless[late].sum() / max(int(living[late].sum()), 1)
    years = [homeless[12 * y + 1:12 * y + 13].any(axis=0).sum() / max(living[12 * y + 1:12 * y + 13].sum(axis=1).mean(), 1)
             for y in range(1, T // 12)]
    yearly = float(np.mean(years))
    out["homeless_share"] = float(point)
    out["homeless_count"] = float(point * group_size)
    out["homeless_yearly"] = yearly * group_size
    out["mean_spell_months"] = float(point / max(yearly - point, 1e-9) * 12.0)
    h = homeless[late]
    n_h = max(int(h.sum()), 1)
    hl = hous[late][h]
    mental = ment[late][h] != Mental.WELL
    abuse = np.isin(subs[late][h], (Substance.PROBLEMATIC, Substance.TREATMENT))
    out["street_share"] = float((hl == Housing.STREET).sum() / n_h)
    out["shelter_share"] = float((hl == Housing.SHELTER).sum() / n_h)
    out["homeless_mental"] = float(mental.mean()) if h.any() else np.nan
    out["homeless_both"] = float((mental & abuse).mean()) if h.any() else np.nan
    out["homeless_neither"] = float((~mental & ~abuse).mean()) if h.any() else np.nan
    completed = np.zeros_like(subs, dtype=bool)
    completed[1:] = (subs[:-1] == Substance.TREATMENT) & (subs[1:] == Substance.RECOVERY)
    n_c, n_r = _within(completed, subs == Substance.PROBLEMATIC, 12)
    out["relapse_12m"] = n_r / n_c if n_c else np.nan
    out["relapse_n"] = n_c
    in_prison = just == Justice.PRISON
    released = np.zeros_like(in_prison)
    released[1:] = in_prison[:-1] & ~in_prison[1:] & living[1:]  # a death in prison is no release
    entered = np.zeros_like(in_prison)
    entered[1:] = ~in_prison[:-1] & in_prison[1:]
    n_rel, n_re = _within(released, entered, 24)
    out["reconviction_24m"] = n_re / n_rel if n_rel else np.nan
    out["reconviction_n"] = n_rel
    out["treatment_count"] = float((subs[late] == Substance.TREATMENT).sum() / max(int(living[late].sum()), 1)
                                   * group_size)
    per_month = np.maximum(living.sum(axis=1), 1)
    for name, (d, lvs) in STATIONARY_LEVELS.items():
        share = np.isin(history[:, d], lvs).sum(axis=1) / per_month
        out[f"share0_{name}"] = float(share[0])
        out[f"year1_{name}"] = float(share[1:13].mean())
        out[f"year10_{name}"] = float(share[T - 11:T + 1].mean())
        out[f"drift_{name}"] = out[f"year10_{name}"] - out[f"year1_{name}"]
        out[f"start_{name}"] = out[f"year1_{name}"] - float(share[0])
    return out


def occupancy_shares(history: np.ndarray) -> dict[str, np.ndarray]:
    """Monthly share of the living in each stationary level (for plots)."""
    per_month = np.maximum((history[:, Domain.HOUSING] >= 0).sum(axis=1), 1)
    return {name: np.isin(history[:, d], lvs).sum(axis=1) / per_month for name, (d, lvs) in STATIONARY_LEVELS.items()}


def run_baseline(params: Parameters, seed, size: int | None = None, months: int = HORIZON,
                 group_size: float | None = None, keep_history: bool = False) -> dict:
    """Run the status quo once and measure it. ``group_size`` defaults to the params' N."""
    from model.welfare_model import WelfareModel

    overrides: dict = {} if size is None else {"population.size": int(size)}
    N = target_group(params) if group_size is None else group_size
    model = WelfareModel(params, rng=seed, **overrides)
    stats = measure_baseline(model, months, N)
    hist = stats.pop("_history")
    if keep_history:
        stats["_occupancy"] = occupancy_shares(hist)
    return stats


def summarise(runs: list[Mapping[str, float]], keys) -> dict[str, dict[str, float]]:
    """Median and 10th-90th percentile of each statistic over replications."""
    out = {}
    for k in keys:
        v = np.array([r[k] for r in runs if k in r], dtype=float)
        if v.size == 0:
            continue
        out[k] = {"median": float(np.nanmedian(v)), "p10": float(np.nanpercentile(v, 10)),
                  "p90": float(np.nanpercentile(v, 90)), "mean": float(np.nanmean(v))}
    return out


# -- parameter uncertainty: [E] estimates, service effects, fitted values ------------------------
UNCERTAINTY_FILE = Path(__file__).parent / "parameters" / "uncertainty.toml"
#: the documented fallback when calibrated.toml has no covariance of the current fit: every
#: fitted value log-uniformly within x1/1.2 .. x1.2 of its point, independently
FIT_APPROXIMATION_FACTOR = 1.2


def read_uncertainty(path: Path = UNCERTAINTY_FILE) -> dict[str, dict]:
    """Every uncertain input the PSA varies by a range, by parameter path:
    ``{min, max, source, kind, scale, group, how, point}``.

    * ``[ranges]`` (kind ``"estimate"``, the [E] prices and health use): uniform in [min, max].
    * ``[effects]`` (kind ``"effect"``, every service effect): log-uniform; ``min``/``max``,
      ``power = [a, b]`` (HR^a..HR^b) or ``factor = [a, b]`` (HR x a..b) around the default's
      (calibrated) value, resolved here to min/max. Entries sharing a ``group`` share a draw.

    Checked against the baseline: known paths, min <= max, both valid values."""
    import tomllib

    from model.params import ParameterError

    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    unknown = set(raw) - {"ranges", "effects"}
    if unknown:
        raise ParameterError(f"{path}: unknown table(s) {sorted(unknown)}; allowed: ranges, effects")
    base = Parameters.baseline()
    out: dict[str, dict] = {}
    for p, spec in raw.get("ranges", {}).items():
        out[p] = {"min": float(spec["min"]), "max": float(spec["max"]), "source": spec["source"],
                  "kind": "estimate", "scale": "linear", "group": None, "how": "uniform", "point": None}
    for p, spec in raw.get("effects", {}).items():
        if p not in base:
            raise ParameterError(f"{path}: effects.{p}: unknown parameter")
        if ".effects." not in p and ".after_effects." not in p and not (p.startswith("children.programmes.")
                                                                       and ".hr." in p):
            raise ParameterError(f"{path}: effects.{p}: not a service or family-programme effect")
        point = float(base[p])
        ways = [k for k in ("power", "factor", "min") if k in spec]
        if len(ways) != 1:
            raise ParameterError(f"{path}: effects.{p}: give exactly one of min/max, power, factor")
        if "power" in spec:
            a, b = (float(v) for v in spec["power"])
            lo, hi = sorted((point ** a, point ** b))
            how = f"HR^{a:g} .. HR^{b:g}"
        elif "factor" in spec:
            a, b = (float(v) for v in spec["factor"])
            lo, hi = point * a, point * b
            how = f"HR x{a:g} .. x{b:g}"
        else:
            lo, hi = float(spec["min"]), float(spec["max"])
            how = "range"
        out[p] = {"min": lo, "max": hi, "source": spec["source"], "kind": "effect", "scale": "log",
                  "group": spec.get("group"), "how": how, "point": point}
    for p, spec in out.items():
        if p not in base:
            raise ParameterError(f"{path}: {p}: unknown parameter")
        if not spec["min"] <= spec["max"]:
            raise ParameterError(f"{path}: {p}: min > max")
        if spec["scale"] == "log" and spec["min"] <= 0:
            raise ParameterError(f"{path}: {p}: a log-scale range must be positive")
        base.leaf(p).check(spec["min"], str(path))
        base.leaf(p).check(spec["max"], str(path))
    return out


def read_fit_uncertainty(path: Path | None = None) -> dict:
    """The uncertainty of the fitted values: ``{parameters, point, lower, upper, log_cov,
    method, note}``. ``log_cov`` is the fit's covariance of the logs (calibrated.toml
    ``[covariance]``, written by ``runs/calibrate.py --covariance``) when it belongs to the
    current calibration version; else None, and the PSA falls back to the documented
    approximation (each value log-uniform within x1/1.2 .. x1.2, independently)."""
    import tomllib

    from model.params import CALIBRATED_FILE, read_calibration

    path = path or CALIBRATED_FILE
    fitted, meta = read_calibration(path)
    if not fitted:
        return {"parameters": [], "point": [], "lower": [], "upper": [], "log_cov": None, "method": "none",
                "note": "no calibration"}
    with open(path, "rb") as fh:
        cov = tomllib.load(fh).get("covariance")
    effects = [p for p in fitted if ".effects." in p]  # the trial effects: varied as effects
    if cov and int(cov.get("calibration_version", -1)) == int(meta.get("version", -2)):
        params = list(cov["parameters"])
        m = np.asarray(cov["log_cov"], dtype=float)
        if m.shape != (len(params), len(params)) or not np.allclose(m, m.T):
            raise ValueError(f"{path}: [covariance] log_cov is not a symmetric {len(params)} x {len(params)} matrix")
        return {"parameters": params, "point": [float(fitted[p]) for p in params],
                "lower": [float(v) for v in cov["lower"]], "upper": [float(v) for v in cov["upper"]],
                "log_cov": m, "method": "covariance",
                "note": f"multivariate normal on the log scale with the fit's covariance (J^T J)^-1 "
                        f"(calibrated.toml [covariance], {cov.get('method', '')}), clipped to the fit's bounds"}
    params = [p for p in fitted if p not in effects]
    f = FIT_APPROXIMATION_FACTOR
    return {"parameters": params, "point": [float(fitted[p]) for p in params],
            "lower": [float(fitted[p]) / f for p in params], "upper": [float(fitted[p]) * f for p in params],
            "log_cov": None, "method": "approximation",
            "note": f"APPROXIMATION: no covariance of calibration version {meta.get('version')} in calibrated.toml, "
                    f"so each fitted value is varied log-uniformly within x1/{f:g} .. x{f:g}, independently; "
                    "the fit's covariance (runs/calibrate.py --covariance) is the better way"}


def draw_uncertain(ranges: Mapping[str, Mapping], rng: np.random.Generator,
                   fit: Mapping | None = None) -> dict[str, float]:
    """One draw of every uncertain input: the ranges of ``read_uncertainty`` (uniform, or
    log-uniform for effects, one draw per group) and, with ``fit`` (``read_fit_uncertainty``),
    the fitted values (multivariate normal on the log scale, clipped to the fit's bounds, or
    the log-uniform approximation). A range collapsed to a point gives the point exactly."""
    out: dict[str, float] = {}
    shared: dict[str, float] = {}
    for p, s in ranges.items():
        g = s.get("group")
        if g is not None and g in shared:
            u = shared[g]
        else:
            u = float(rng.uniform())
            if g is not None:
                shared[g] = u
        lo, hi = float(s["min"]), float(s["max"])
        if s.get("scale") == "log":
            out[p] = float(lo * np.exp(u * np.log(hi / lo))) if hi != lo else lo
        else:
            out[p] = lo + u * (hi - lo)
    if fit and fit["parameters"]:
        point = np.asarray(fit["point"], dtype=float)
        if fit["log_cov"] is not None:
            delta = rng.multivariate_normal(np.zeros(point.size), np.asarray(fit["log_cov"]), method="eigh")
        else:
            log_lo, log_hi = np.log(np.asarray(fit["lower"]) / point), np.log(np.asarray(fit["upper"]) / point)
            delta = log_lo + rng.uniform(size=point.size) * (log_hi - log_lo)
        values = np.clip(point * np.exp(delta), fit["lower"], fit["upper"])
        values = np.where(delta == 0.0, point, values)  # a collapsed draw is the point exactly
        out.update({p: float(v) for p, v in zip(fit["parameters"], values)})
    return out
