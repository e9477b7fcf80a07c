"""Public services: who runs them, whom they take, how many at once, and what they do.

A service has a budget holder (fixed by Danish law, below), a capacity (places), a
waiting list (waiting time, drop-out while waiting), eligibility rules that depend on the
governance mode, a price, a course length, and effects: hazard ratios on the pathway
transitions while the citizen is enrolled (``model/pathways.py`` applies them).

Two kinds of service:

* **Level services** own a level of a domain (addiction treatment = ``substance.treatment``,
  psychiatry = ``mental.treatment``, shelter, supported housing, prison, probation). A move
  into the level that the pathway engine draws is a *referral*: admitted at once if the
  citizen is eligible and a place is free, otherwise put on the waiting list (or refused
  when the service keeps no list, like a full shelter). Enrollment ends when the citizen
  leaves the level.
* **Programme services** (Housing First, CTI, case management, job centre, IPS,
  residential treatment, the integrated dual-diagnosis team) take referrals from their
  target group at a monthly rate, admit from the waiting list as places free up, and act
  only through hazard ratios while the citizen is enrolled; the course ends after
  ``course_months`` on average (exactly, for CTI's fixed 9-month course).

Governance (``governance.mode``): **siloed** — psychiatry refuses active users, addiction
treatment refuses untreated mental illness, no referral across silos, no integrated team.
**coordinated** — no such exclusions, admission to one treatment refers the other
problem too, and the integrated dual-diagnosis team exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from agents.states import HOMELESS, Domain, Employment, Housing, Justice, Mental, Substance, in_levels
from model.params import Parameters, dotted_paths
from model.rng import RandomStreams

if TYPE_CHECKING:
    from model.population import PopulationState
    from model.welfare_model import WelfareModel

KOMMUNE, REGION, STAT = "kommune", "region", "stat"
#: The public budget holders. Every krone in the ledger belongs to exactly one of them.
BUDGETS: tuple[str, ...] = (KOMMUNE, REGION, STAT)

Eligibility = Callable[["PopulationState", str], np.ndarray]


def _everyone(pop: PopulationState, mode: str) -> np.ndarray:
    return np.ones(pop.n, dtype=bool)


def _homeless(pop: PopulationState) -> np.ndarray:
    return in_levels(pop.levels[Domain.HOUSING], HOMELESS)


def _addiction_eligible(pop: PopulationState, mode: str) -> np.ndarray:
    if mode == "siloed":  # "get your psychosis treated first"
        return pop.levels[Domain.MENTAL] != Mental.UNTREATED
    return _everyone(pop, mode)


def _psychiatry_eligible(pop: PopulationState, mode: str) -> np.ndarray:
    if mode == "siloed":  # "come back when you are sober"
        return pop.levels[Domain.SUBSTANCE] != Substance.PROBLEMATIC
    return _everyone(pop, mode)


def _dual_diagnosis_eligible(pop: PopulationState, mode: str) -> np.ndarray:
    s, m = pop.levels[Domain.SUBSTANCE], pop.levels[Domain.MENTAL]
    return in_levels(s, (Substance.PROBLEMATIC, Substance.TREATMENT)) & in_levels(m, (Mental.UNTREATED, Mental.TREATMENT))


def _residential_eligible(pop: PopulationState, mode: str) -> np.ndarray:
    return (pop.levels[Domain.SUBSTANCE] == Substance.TREATMENT) & ((pop.complexity > 1.0) | _homeless(pop))


def _housing_first_eligible(pop: PopulationState, mode: str) -> np.ndarray:
    complex_needs = (pop.levels[Domain.MENTAL] != Mental.WELL) | in_levels(
        pop.levels[Domain.SUBSTANCE], (Substance.PROBLEMATIC, Substance.TREATMENT))
    return _homeless(pop) & complex_needs


def _case_management_eligible(pop: PopulationState, mode: str) -> np.ndarray:
    problems = ((pop.levels[Domain.SUBSTANCE] == Substance.PROBLEMATIC).astype(int)
                + (pop.levels[Domain.MENTAL] == Mental.UNTREATED) + _homeless(pop))
    return problems >= 2


def _cti_eligible(pop: PopulationState, mode: str) -> np.ndarray:
    """A moment of transition in the last 3 months: release from prison, or a move from
    homelessness into a home."""
    just = pop.levels[Domain.JUSTICE]
    released = pop.ever_prison & (just != Justice.PRISON) & (pop.months_in_level[Domain.JUSTICE] < 3)
    rehoused = (pop.ever_homeless & (pop.levels[Domain.HOUSING] == Housing.OWN_HOME)
                & (pop.months_in_level[Domain.HOUSING] < 3))
    return released | rehoused


def _job_centre_eligible(pop: PopulationState, mode: str) -> np.ndarray:
    return pop.levels[Domain.EMPLOYMENT] == Employment.BENEFITS


def _ips_eligible(pop: PopulationState, mode: str) -> np.ndarray:
    return (pop.levels[Domain.EMPLOYMENT] != Employment.EMPLOYED) & (pop.levels[Domain.MENTAL] != Mental.WELL) & (
        pop.levels[Domain.JUSTICE] != Justice.PRISON)


@dataclass(frozen=True)
class ServiceSpec:
    """The fixed facts of a service (the numbers are parameters under ``services.<name>``)."""

    name: str
    budget: str
    description: str
    eligible: Eligibility
    #: level services: the (domain, level) the service owns
    level: tuple[Domain, int] | None = None
    #: level services: the pathway transitions whose moves are referrals to this service
    gates: tuple[str, ...] = ()
    #: a discretionary investment: appraised under own_budget / whole_purse sizing,
    #: funded by the governance funding rule, and counted as investment in the economics
    intervention: bool = False
    waiting_list: bool = True
    coordinated_only: bool = False
    fixed_course: bool = False
    capacity_limited: bool = True


CATALOGUE: tuple[ServiceSpec, ...] = (
    ServiceSpec("addiction_treatment", KOMMUNE, "Outpatient addiction treatment (Serviceloven §101 / Sundhedsloven §141)",
                _addiction_eligible, level=(Domain.SUBSTANCE, Substance.TREATMENT),
                gates=("substance.problematic_to_treatment",)),
    ServiceSpec("residential_treatment", KOMMUNE, "Residential addiction treatment for complex cases in treatment",
                _residential_eligible, intervention=True),
    ServiceSpec("psychiatry", REGION, "Regional psychiatry", _psychiatry_eligible,
                level=(Domain.MENTAL, Mental.TREATMENT), gates=("mental.untreated_to_treatment",)),
    ServiceSpec("dual_diagnosis", REGION, "Integrated dual-diagnosis team: treats addiction and mental illness at once",
                _dual_diagnosis_eligible, intervention=True, coordinated_only=True),
    ServiceSpec("shelter", KOMMUNE, "§110 shelter", _everyone, level=(Domain.HOUSING, Housing.SHELTER),
                gates=("housing.precarious_to_shelter", "housing.street_to_shelter", "housing.supported_to_shelter"),
                waiting_list=False),
    ServiceSpec("supported_housing", KOMMUNE, "Supported housing (botilbud, §107/§108)", _everyone,
                level=(Domain.HOUSING, Housing.SUPPORTED), gates=("housing.shelter_to_supported",)),
    ServiceSpec("housing_first", KOMMUNE, "Housing First: own flat with ACT/ICM support", _housing_first_eligible,
                intervention=True),
    ServiceSpec("case_management", KOMMUNE, "Intensive case management (ICM) for citizens with several problems",
                _case_management_eligible, intervention=True),
    ServiceSpec("cti", KOMMUNE, "Critical Time Intervention, 9 months after release or rehousing", _cti_eligible,
                intervention=True, fixed_course=True),
    ServiceSpec("job_centre", KOMMUNE, "Job-centre activation", _job_centre_eligible),
    ServiceSpec("ips", KOMMUNE, "Individual Placement and Support (IPS) employment support", _ips_eligible,
                intervention=True),
    ServiceSpec("prison", STAT, "Prison (Kriminalforsorgen)", _everyone, level=(Domain.JUSTICE, Justice.PRISON),
                waiting_list=False, capacity_limited=False),
    ServiceSpec("probation", STAT, "Probation and parole", _everyone, level=(Domain.JUSTICE, Justice.PROBATION),
                waiting_list=False, capacity_limited=False),
)
SERVICES: dict[str, ServiceSpec] = {s.name: s for s in CATALOGUE}


def funding_shares(params: Parameters, spec: ServiceSpec) -> dict[str, float]:
    """Who pays for a service: its own budget, or, for interventions, a pool or the state
    as co-investor (``governance.funding``). Shares sum to 1."""
    funding = params["governance.funding"]
    if not spec.intervention or funding == "own":
        return {spec.budget: 1.0}
    if funding == "pooled":
        shares = {b: params[f"governance.pool_{b}"] for b in BUDGETS}
        total = sum(shares.values())
        return {b: v / total for b, v in shares.items() if v > 0} if total > 0 else {spec.budget: 1.0}
    state = params["governance.state_share"]
    out = {spec.budget: 1.0 - state}
    out[STAT] = out.get(STAT, 0.0) + state
    return {b: v for b, v in out.items() if v > 0}


class ServiceSystem:
    """The state of every service: enrollment, waiting lists, and the monthly routine.

    Arrays are (services x citizens). ``stats`` holds per month and service: admitted,
    refused, dropped out while waiting, waiting, enrolled, places, and total months waited
    by those admitted.
    """

    def __init__(self, params: Parameters, n: int, streams: RandomStreams, places: dict[str, int]):
        self.params = params
        self.mode = params["governance.mode"]
        self.streams = streams
        self.specs = CATALOGUE
        self.index = {s.name: k for k, s in enumerate(self.specs)}
        k = len(self.specs)
        self.places = np.array([places.get(s.name, -1) for s in self.specs])  # -1 = unlimited
        self.enrolled = np.zeros((k, n), dtype=bool)
        self.months_enrolled = np.zeros((k, n), dtype=np.int32)
        self.waiting = np.zeros((k, n), dtype=bool)
        self.waited = np.zeros((k, n), dtype=np.int32)
        self.gate_of = {t: self.index[s.name] for s in self.specs for t in s.gates}
        self.price = np.array([params[f"services.{s.name}.price"] for s in self.specs])
        self._effects = {
            f"service_{s.name}": dict(dotted_paths(params.subtree(f"services.{s.name}.effects")))
            for s in self.specs if params.subtree(f"services.{s.name}.effects")
        }
        self.month = 0
        self.stats: list[dict] = []
        #: every admission: (month, service, citizen indices, their levels at admission)
        self.admissions: list[tuple[int, str, np.ndarray, np.ndarray]] = []
        self._new_month_stats()

    @classmethod
    def from_params(cls, params: Parameters, n: int, streams: RandomStreams) -> ServiceSystem:
        from model.governance import funded_capacity

        capacity = funded_capacity(params)
        places = {}
        for s in CATALOGUE:
            if not s.capacity_limited:
                continue
            active = not (s.coordinated_only and params["governance.mode"] != "coordinated")
            places[s.name] = int(round(capacity[s.name] * n / 1000.0)) if active else 0
        return cls(params, n, streams, places)

    def start(self, pop: PopulationState) -> None:
        """Citizens who start in a service's level are enrolled in it (they may exceed
        capacity; then nobody new is admitted until places free up)."""
        for k, s in enumerate(self.specs):
            if s.level is not None:
                self.enrolled[k] = pop.levels[s.level[0]] == s.level[1]
            self.stats[-1][s.name]["enrolled"] = int(self.enrolled[k].sum())

    def enroll(self, name: str, citizens: np.ndarray, pop: PopulationState | None = None) -> None:
        """Enroll ``citizens`` in service ``name`` now, outside the referral routine and
        capacity (trial emulation, the dashboard). Level services move them into their level."""
        k = self.index[name]
        citizens = np.asarray(citizens, dtype=np.int64)
        self.enrolled[k, citizens] = True
        self.months_enrolled[k, citizens] = 0
        self.waiting[k, citizens] = False
        spec = self.specs[k]
        if spec.level is not None and pop is not None:
            pop.set_levels(spec.level[0], citizens, spec.level[1])

    # -- the hook protocol the model calls ---------------------------------------------------
    def effects(self) -> dict[str, dict[str, float]]:
        return self._effects

    def feature_columns(self) -> dict[str, np.ndarray]:
        return {f"service_{s.name}": self.enrolled[self.index[s.name]] for s in self.specs
                if f"service_{s.name}" in self._effects}

    def active(self, k: int) -> bool:
        return self.places[k] != 0

    def gate(self, transition: str, who: np.ndarray) -> np.ndarray:
        """Drawn moves into a service's level: admit within capacity, queue or refuse the rest."""
        k = self.gate_of.get(transition)
        if k is None:
            return who
        spec = self.specs[k]
        pop = self._pop
        stats = self.stats[-1][spec.name]
        covered = np.zeros(who.size, dtype=bool)
        if spec.name in ("addiction_treatment", "psychiatry"):
            covered = self.enrolled[self.index["dual_diagnosis"], who]  # the integrated team treats them itself
        eligible = spec.eligible(pop, self.mode)[who] & ~covered
        refused = ~eligible & ~covered
        stats["refused"] += int(refused.sum())
        candidates = who[eligible]
        admitted = self._admit(k, candidates, prefer_waiting=True)
        rest = np.setdiff1d(candidates, admitted, assume_unique=True)
        if spec.waiting_list:
            new = rest[~self.waiting[k, rest]]
            self.waiting[k, new] = True
            self.waited[k, new] = 0
        else:
            stats["refused"] += rest.size
        return np.sort(np.concatenate([who[covered], admitted]))

    def start_month(self, model: WelfareModel) -> None:
        self.month = model.month
        self._pop = pop = model.population
        self._new_month_stats()
        for k, spec in enumerate(self.specs):
            if spec.level is None:
                self._discharge(k, spec, pop)
            self._drop_out_of_waiting(k, spec, pop)
            if spec.level is None and self.active(k):
                self._refer(k, spec, pop)
            self._admit_from_waiting_list(k, spec, pop)

    def end_month(self, model: WelfareModel) -> None:
        pop = model.population
        for k, spec in enumerate(self.specs):
            if spec.level is not None:
                in_level = pop.levels[spec.level[0]] == spec.level[1]
                if spec.capacity_limited:
                    self.enrolled[k] &= in_level
                else:
                    self.enrolled[k] = in_level
            st = self.stats[-1][spec.name]
            st["waiting"] = int(self.waiting[k].sum())
            st["enrolled"] = int(self.enrolled[k].sum())
        self.months_enrolled += self.enrolled
        self.waited += self.waiting
        model.ledger.book_month(model)

    # -- the steps of the routine -----------------------------------------------------------
    def _discharge(self, k: int, spec: ServiceSpec, pop: PopulationState) -> None:
        on = self.enrolled[k]
        if not on.any():
            return
        course = self.params[f"services.{spec.name}.course_months"]
        if spec.fixed_course:
            done = on & (self.months_enrolled[k] >= course)
        else:
            u = self.streams.uniform(f"discharge.{spec.name}", self.month, pop.n)
            done = on & (u < -np.expm1(-1.0 / course))
        if spec.budget == KOMMUNE:  # municipal programmes end at imprisonment
            done |= on & (pop.levels[Domain.JUSTICE] == Justice.PRISON)
        if spec.name == "dual_diagnosis":
            # the team hands its patients who are still in treatment to ordinary services
            for other, dom, lv in (("addiction_treatment", Domain.SUBSTANCE, Substance.TREATMENT),
                                   ("psychiatry", Domain.MENTAL, Mental.TREATMENT)):
                self.enrolled[self.index[other]] |= done & (pop.levels[dom] == lv)
        self.enrolled[k] &= ~done
        self.months_enrolled[k, done] = 0

    def _drop_out_of_waiting(self, k: int, spec: ServiceSpec, pop: PopulationState) -> None:
        w = self.waiting[k]
        if not w.any():
            return
        u = self.streams.uniform(f"waiting.{spec.name}", self.month, pop.n)
        rate = self.params[f"services.{spec.name}.waiting_dropout"] if spec.waiting_list else 0.0
        gave_up = w & (u < -np.expm1(-rate))
        self.stats[-1][spec.name]["dropped_out"] += int(gave_up.sum())
        # those who no longer need the service leave the list too (not counted as drop-out)
        gone = gave_up | (w & ~self._still_needs(k, spec, pop))
        self.waiting[k] &= ~gone

    def _still_needs(self, k: int, spec: ServiceSpec, pop: PopulationState) -> np.ndarray:
        need = spec.eligible(pop, self.mode) & ~self.enrolled[k]
        if spec.level is not None:
            sources = [_source_level(t) for t in spec.gates]
            dom = spec.level[0]
            need &= in_levels(pop.levels[dom], [lv for d, lv in sources if d == dom])
        return need

    def _refer(self, k: int, spec: ServiceSpec, pop: PopulationState) -> None:
        u = self.streams.uniform(f"referral.{spec.name}", self.month, pop.n)
        rate = self.params[f"services.{spec.name}.referral_rate"]
        new = spec.eligible(pop, self.mode) & ~self.enrolled[k] & ~self.waiting[k] & (u < -np.expm1(-rate))
        self.waiting[k] |= new
        self.waited[k, new] = 0

    def _admit_from_waiting_list(self, k: int, spec: ServiceSpec, pop: PopulationState) -> None:
        candidates = np.flatnonzero(self.waiting[k] & self._still_needs(k, spec, pop))
        admitted = self._admit(k, candidates, prefer_waiting=True)
        if admitted.size and spec.level is not None:
            pop.set_levels(spec.level[0], admitted, spec.level[1])

    def _admit(self, k: int, candidates: np.ndarray, prefer_waiting: bool) -> np.ndarray:
        """Admit up to the free places: longest wait first, ties broken by a seeded draw."""
        spec = self.specs[k]
        if candidates.size == 0:
            return candidates
        if self.places[k] < 0:
            chosen = candidates
        else:
            free = int(self.places[k] - self.enrolled[k].sum())
            if free <= 0:
                return candidates[:0]
            if candidates.size > free:
                prio = self.streams.uniform(f"priority.{spec.name}", self.month, self.enrolled.shape[1])[candidates]
                order = np.lexsort((prio, -self.waited[k, candidates] * self.waiting[k, candidates]))
                candidates = np.sort(candidates[order[:free]])
            chosen = candidates
        st = self.stats[-1][spec.name]
        st["admitted"] += chosen.size
        if chosen.size:
            self.admissions.append((self.month, spec.name, chosen.copy(), self._pop.levels[:, chosen].copy()))
        st["months_waited"] += int((self.waited[k, chosen] * self.waiting[k, chosen]).sum())
        self.enrolled[k, chosen] = True
        st["peak_enrolled"] = max(st["peak_enrolled"], int(self.enrolled[k].sum()))
        self.months_enrolled[k, chosen] = 0
        self.waiting[k, chosen] = False
        if self.mode == "coordinated":
            self._cross_refer(spec, chosen)
        return chosen

    def _cross_refer(self, spec: ServiceSpec, admitted: np.ndarray) -> None:
        """Coordinated: admission to one treatment refers the other problem as well."""
        pop = self._pop
        pairs = {"addiction_treatment": ("psychiatry", Domain.MENTAL, Mental.UNTREATED),
                 "psychiatry": ("addiction_treatment", Domain.SUBSTANCE, Substance.PROBLEMATIC)}
        if spec.name not in pairs:
            return
        other, dom, lv = pairs[spec.name]
        o = self.index[other]
        refer = admitted[(pop.levels[dom, admitted] == lv) & ~self.enrolled[o, admitted] & ~self.waiting[o, admitted]]
        self.waiting[o, refer] = True
        self.waited[o, refer] = 0
        self.stats[-1][other]["cross_referred"] += refer.size

    def _new_month_stats(self) -> None:
        places = self.places
        self.stats.append({s.name: {"month": self.month, "admitted": 0, "refused": 0, "dropped_out": 0,
                                    "cross_referred": 0, "months_waited": 0, "waiting": 0, "enrolled": 0, "peak_enrolled": 0,
                                    "places": int(places[k])}
                           for k, s in enumerate(self.specs)})

    def admissions_frame(self):
        """One row per admission: month, service, citizen and the citizen's levels then."""
        import pandas as pd

        from agents.states import LEVELS

        if not self.admissions:
            return pd.DataFrame(columns=["month", "service", "citizen", *[d.name.lower() for d in Domain]])
        parts = []
        for month, name, who, levels in self.admissions:
            part = {"month": month, "service": name, "citizen": who}
            for d in Domain:
                names = np.array([lv.name.lower() for lv in LEVELS[d]])
                part[d.name.lower()] = names[levels[d]]
            parts.append(pd.DataFrame(part))
        return pd.concat(parts, ignore_index=True)

    def stats_frame(self):
        """Per month and service: places, enrolled, waiting, admitted, refused, drop-outs."""
        import pandas as pd

        rows = [dict(service=name, **st) for month in self.stats for name, st in month.items()]
        return pd.DataFrame(rows).set_index(["month", "service"])


def _source_level(transition: str) -> tuple[Domain, int]:
    from agents.states import LEVELS

    dname, _, rest = transition.partition(".")
    src = rest.partition("_to_")[0]
    d = Domain[dname.upper()]
    return d, int(LEVELS[d][src.upper()])
