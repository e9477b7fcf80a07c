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


# -- a money emulation: Critical Time Intervention after leaving a shelter --------------------------
#: The Danish evaluation of the homelessness strategy (Rambøll & SFI 2013) found CTI for
#: citizens moving from a §110 shelter into their own home returned about 98,000-106,000 DKK
#: per participant to the public budgets in the first year, about 35,000 of it to the kommune
#: that paid for it [S] (docs/sources.md). Prices as the evaluation used them: average prices
#: (SØM), the refund rules before October 2023.
CTI_EVALUATION = {"public": (98_000.0, 106_000.0), "kommune": 35_000.0}


@dataclass
class CtiMoney:
    """Year-one money per participant of a CTI emulation (DKK, + = the public saves)."""

    participants: int
    #: per budget holder and "total": the participants' own net saving over the 12 months
    #: after their enrolment (counterfactual - scenario cost, the CTI course included)
    own: dict[str, float]
    #: per budget holder and "total": the whole population's net saving over the
    #: recruitment and follow-up months, per participant, at average prices (occupied
    #: shelter places at their price, the SØM convention); includes displacement (a bed
    #: freed in a full shelter is taken by someone else)
    population: dict[str, float]
    #: the same with shelters booked as the capacity the kommune pays for (occupied and
    #: vacant funded places): what the budgets really spend less, i.e. cashable
    cashable: dict[str, float]


def cti_money(params: Parameters, seed: Any, size: int = 20000, warmup: int = 24, recruit: int = 12,
              follow: int = 12) -> CtiMoney:
    """Emulate the Danish CTI evaluation on the model: after ``warmup`` months of the status
    quo, every citizen who moves from a shelter into their own home during the next
    ``recruit`` months is enrolled in CTI (a 9-month course) in the scenario arm; the
    counterfactual arm is the same citizens on the same random numbers without it. Each
    participant is followed ``follow`` months from enrolment."""
    from model.pairing import PairedModel
    from model.services import BUDGETS

    state: dict[str, Any] = {"prev": None, "recruited": None}

    def recruit_hook(pair: PairedModel) -> None:
        pop = pair.scenario.population
        housing = pop.levels[Domain.HOUSING].copy()
        if state["recruited"] is None:
            state["recruited"] = np.full(pop.n, -1, dtype=np.int64)
        if state["prev"] is not None and warmup <= pair.month < warmup + recruit:
            moved = (state["prev"] == Housing.SHELTER) & (housing == Housing.OWN_HOME) & (state["recruited"] < 0)
            who = np.flatnonzero(moved)
            if who.size:
                pair.scenario.services.enroll("cti", who, pop)
                state["recruited"][who] = pair.month
        state["prev"] = housing

    pair = PairedModel(params, params, seed=seed, before_step=[recruit_hook], **{"population.size": int(size)})
    pair.run_for(warmup + recruit + follow)
    recruited = state["recruited"]
    who = np.flatnonzero(recruited >= 0)
    scen, cf = pair.scenario.ledger, pair.counterfactual.ledger
    # per citizen: months x budgets x citizens (month m at index m-1); the window is months t+1..t+follow
    diff = np.stack(cf.citizen_monthly) - np.stack(scen.citizen_monthly)
    start = recruited[who]
    own = np.zeros(len(BUDGETS))
    for t in np.unique(start):
        sel = who[start == t]
        own += diff[t:t + follow][:, :, sel].sum(axis=(0, 2))
    # the whole population over the recruitment and follow-up months, per participant
    window = slice(warmup, warmup + recruit + follow)
    total = (np.stack(cf.monthly) - np.stack(scen.monthly))[window]  # months x accounts
    budget_of = np.array([BUDGETS.index(b) for b, _ in scen.accounts])
    vacant = np.array([c == "shelter_vacant" for _, c in scen.accounts])
    cash = np.array([total[:, budget_of == b].sum() for b in range(len(BUDGETS))])
    average = np.array([total[:, (budget_of == b) & ~vacant].sum() for b in range(len(BUDGETS))])
    n = max(int(who.size), 1)

    def per(v: np.ndarray) -> dict[str, float]:
        return {**{b: float(x) / n for b, x in zip(BUDGETS, v)}, "total": float(v.sum()) / n}

    return CtiMoney(int(who.size), per(own), per(average), per(cash))
