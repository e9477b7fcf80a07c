"""Trial emulation inside the model: randomise eligible citizens as the trial did.

A trial is emulated in one model run of the siloed status quo: at month 0 the citizens
who meet the trial's inclusion criteria are randomised 1:1 with a seeded generator; the
intervention arm is enrolled in the service (``ServiceSystem.enroll``, outside capacity,
as a trial funds its own places); the usual-care arm gets whatever the status quo gives
(the siloed baseline). Both arms are followed month by month and measured as the trial
measured them.

* **At Home/Chez Soi** (Housing First, Goering et al. 2014; Aubry et al. 2015):
  eligible = homeless (precarious, shelter, street) with mental illness (mental level
  not well). Outcome "stably housed at 12 months" = the share of the last 6 months of
  the first year (months 7-12) spent housed (own home or supported housing), the
  trial's "proportion of time stably housed". Target 73% vs 31% [S].
* **Danish IPS trial** (Christensen et al. 2019, JAMA Psychiatry): eligible = people in
  psychiatric care (mental level treatment or stable) who are unemployed and in the
  labour force (employment level benefits, the proxy for "wants competitive work"),
  not in prison. Outcome = share with competitive employment or education at any time
  during the 18-month follow-up (employment level employed in any month 1-18).
  Target 59.9% vs 46.5% [S].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from agents.states import HOMELESS, Domain, Employment, Housing, Justice, Mental
from model.params import Parameters


def _hf_eligible(levels: np.ndarray) -> np.ndarray:
    return np.isin(levels[Domain.HOUSING], HOMELESS) & (levels[Domain.MENTAL] != Mental.WELL)


def _ips_eligible(levels: np.ndarray) -> np.ndarray:
    return (np.isin(levels[Domain.MENTAL], (Mental.TREATMENT, Mental.STABLE))
            & (levels[Domain.EMPLOYMENT] == Employment.BENEFITS) & (levels[Domain.JUSTICE] != Justice.PRISON))


def _housed(levels: np.ndarray) -> np.ndarray:
    return np.isin(levels[Domain.HOUSING], (Housing.OWN_HOME, Housing.SUPPORTED))


def _employed(levels: np.ndarray) -> np.ndarray:
    return levels[Domain.EMPLOYMENT] == Employment.EMPLOYED


@dataclass(frozen=True)
class Trial:
    name: str
    label: str
    service: str
    months: int
    size: int  #: simulated citizens in the emulation (enough eligible for ~+-2 pp per arm)
    eligible: Callable[[np.ndarray], np.ndarray]
    state: Callable[[np.ndarray], np.ndarray]  #: the good state (housed / employed)
    cumulative: bool  #: outcome = ever in the state (True) or share of time in a window (False)
    window: tuple[int, int]  #: months whose states count (inclusive)
    outcome_label: str
    targets: tuple[float, float]  #: (intervention, usual care)
    source: str


TRIALS: dict[str, Trial] = {
    "hf": Trial("hf", "At Home/Chez Soi (Housing First)", "housing_first", 12, 20000, _hf_eligible, _housed,
                False, (7, 12), "share of time stably housed, months 7-12", (0.73, 0.31),
                "At Home/Chez Soi RCT: stably housed 73% vs 31% at 1 year [S]"),
    "ips": Trial("ips", "Danish IPS trial", "ips", 18, 12000, _ips_eligible, _employed,
                 True, (1, 18), "job or education at any time in 18 months", (0.599, 0.465),
                 "Christensen et al. 2019: job or education 59.9% vs 46.5% at 18 months [S]"),
}


def emulate(trial: str | Trial, params: Parameters, seed: Any, size: int | None = None) -> dict:
    """Run one emulation. Returns per arm the monthly share in the good state (``curve``,
    months 0..follow-up; cumulative for IPS) and the ``outcome``, and the arm sizes."""
    from model.welfare_model import WelfareModel

    t = TRIALS[trial] if isinstance(trial, str) else trial
    model = WelfareModel(params, rng=seed, **{"population.size": int(size or t.size)})
    levels0 = model.population.levels
    eligible = np.flatnonzero(t.eligible(levels0))
    # 1:1 randomisation with its own seeded generator (independent of the model's streams)
    rng = np.random.default_rng(np.random.SeedSequence(model.seed, spawn_key=(0x7121A1,)))
    shuffled = rng.permutation(eligible)
    arm_int = np.sort(shuffled[: eligible.size // 2])
    arm_uc = np.sort(shuffled[eligible.size // 2:])
    model.services.enroll(t.service, arm_int, model.population)
    good = np.empty((t.months + 1, 2), dtype=float)
    ever = [np.zeros(arm_int.size, dtype=bool), np.zeros(arm_uc.size, dtype=bool)]
    window = []
    for month in range(t.months + 1):
        if month:
            model.step()
        state = t.state(model.population.levels)
        for a, arm in enumerate((arm_int, arm_uc)):
            s = state[arm]
            if t.cumulative and month >= t.window[0]:
                ever[a] |= s
            good[month, a] = ever[a].mean() if t.cumulative else s.mean()
        if t.window[0] <= month <= t.window[1]:
            window.append(good[month].copy())
    outcome = good[t.window[1]] if t.cumulative else np.mean(window, axis=0)
    return {"trial": t.name, "n_intervention": int(arm_int.size), "n_usual_care": int(arm_uc.size),
            "intervention": float(outcome[0]), "usual_care": float(outcome[1]),
            "curve_intervention": good[:, 0], "curve_usual_care": good[:, 1]}
