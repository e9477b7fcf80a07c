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

The two silo refusals are rules of siloed governance whose *strength* is a parameter
(:class:`SiloRule`): ``services.psychiatry.refuse_active_use`` and
``services.addiction_treatment.refuse_untreated_illness`` are the probability that the
service turns away a citizen of the excluded group in a given month (1 = always, the
siloed status quo; 0 = never; in between a softer silo). Under coordinated governance
neither refusal applies, whatever the parameter says.

The month's routine (``start_month`` before the pathway draw, ``gate`` during it,
``end_month`` after it) keeps three rules; each is stated where it is implemented:

* a citizen whose level a service changes at the start of the month (admission from a
  waiting list, or the end of a supported-housing place at imprisonment) makes no
  pathway move in that domain that month (``start_month`` returns who is held);
* every admission is charged at least its first month: discharges (course end,
  imprisonment) apply only to citizens who have been through at least one month-end in
  the service (``_discharge``);
* imprisonment ends a supported-housing place: the citizen's housing becomes precarious
  and the place frees up (``_end_places_at_imprisonment``); a citizen in prison is not
  admitted to supported housing.

**Capacity binds, and places are closed only by a rule.** A service's places
(``ServiceSystem.places``) are what its budget holder pays for, occupied or not (the
ledger books the empty ones of a shelter as ``shelter_vacant``). A place freed in a full
service is taken by the next citizen who needs it, so it saves nothing in cash until the
budget holder closes places. When it does is a rule with parameters
(``services.<name>.capacity_review_months``, ``close_share``, ``reopen_share``; only the
shelter has them), implemented once in ``_review_capacity``: every review period a share
of the places that stood empty even at the month's fullest is closed, net of a share of
the citizens turned away, never below the citizens in the service; when the shortage
outweighs the slack, closed places are reopened (never above the places funded). The
default never reviews: places stay as funded.
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


def _untreated_illness(pop: PopulationState) -> np.ndarray:
    return pop.levels[Domain.MENTAL] == Mental.UNTREATED


def _active_use(pop: PopulationState) -> np.ndarray:
    return pop.levels[Domain.SUBSTANCE] == Substance.PROBLEMATIC


@dataclass(frozen=True)
class SiloRule:
    """A refusal that siloed governance adds to a service's eligibility.

    Under ``governance.mode = "siloed"`` the service turns away a citizen of the
    ``excluded`` group in a given month with probability ``params[parameter]`` (one
    seeded uniform per citizen and month from the stream ``refusal.<service>``, so a
    softer silo refuses a subset of the citizens a harder one refuses: common random
    numbers). The month's draw applies to every contact that month: a drawn referral is
    turned away, and a citizen refused while on the waiting list leaves it, as under the
    absolute rule. At 1 (the default, the status quo) everyone in the group is refused and
    at 0 nobody is; neither draws a number, so runs at the default are unchanged. The
    parameter is the *strength of the siloed rule*: under coordinated governance the
    refusal does not apply at all.
    """

    parameter: str
    excluded: Callable[[PopulationState], np.ndarray]
    motto: str


#: psychiatry: "come back when you are sober"; addiction treatment: "get your psychosis treated first"
SILO_RULES: dict[str, SiloRule] = {
    "psychiatry": SiloRule("services.psychiatry.refuse_active_use", _active_use,
                           "come back when you are sober"),
    "addiction_treatment": SiloRule("services.addiction_treatment.refuse_untreated_illness", _untreated_illness,
                                    "get your psychosis treated first"),
}


def _addiction_eligible(pop: PopulationState, mode: str) -> np.ndarray:
    """Everyone; siloed governance adds the refusal of untreated mental illness
    (``SILO_RULES``, applied by ``ServiceSystem.eligible`` with its probability)."""
    return _everyone(pop, mode)


def _psychiatry_eligible(pop: PopulationState, mode: str) -> np.ndarray:
    """Everyone; siloed governance adds the refusal of active users (``SILO_RULES``,
    applied by ``ServiceSystem.eligible`` with its probability)."""
    return _everyone(pop, mode)


def _supported_housing_eligible(pop: PopulationState, mode: str) -> np.ndarray:
    """Not while in prison: a botilbud place is a home to live in, and imprisonment ends
    one (``ServiceSystem._end_places_at_imprisonment``), so a prisoner admitted would only
    lose the place again the next month. A prisoner's drawn move into supported housing
    is refused, and a prisoner on the waiting list leaves it."""
    return pop.levels[Domain.JUSTICE] != Justice.PRISON


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
    #: a discretionary investment: funded explicitly (or by the appraisal under endogenous
    #: sizing), paid as the governance funding rule says, counted as investment in the economics
    intervention: bool = False
    waiting_list: bool = True
    coordinated_only: bool = False
    fixed_course: bool = False
    capacity_limited: bool = True
    #: level services: imprisonment ends the place, and the citizen moves to this level
    #: of the service's domain (supported housing: precarious, no home on release)
    imprisonment_ends_to: int | None = None


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
    ServiceSpec("supported_housing", KOMMUNE, "Supported housing (botilbud, §107/§108)", _supported_housing_eligible,
                level=(Domain.HOUSING, Housing.SUPPORTED), gates=("housing.shelter_to_supported",),
                imprisonment_ends_to=Housing.PRECARIOUS),
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
#: ``ServiceSystem.completed`` of a citizen who has not completed the course
NEVER = -(10 ** 6)


class ServiceSystem:
    """The state of every service: enrollment, waiting lists, and the monthly routine.

    Arrays are (services x citizens). ``stats`` holds per month and service: admitted,
    refused (``no_place``: of them for lack of a place), dropped out while waiting,
    waiting, enrolled, places (after the month's capacity review), places closed and
    reopened, and total months waited by those admitted.
    """

    def __init__(self, params: Parameters, n: int, streams: RandomStreams, places: dict[str, int]):
        self.params = params
        self.mode = params["governance.mode"]
        self.streams = streams
        self.specs = CATALOGUE
        self.index = {s.name: k for k, s in enumerate(self.specs)}
        k = len(self.specs)
        self.places = np.array([places.get(s.name, -1) for s in self.specs])  # -1 = unlimited
        #: the places funded at the start (``places`` may later be closed and reopened,
        #: never above these: ``_review_capacity``)
        self.funded_places = self.places.copy()
        #: per service with a capacity rule switched on: (review period in months, share of
        #: the empty places closed, weight of the shortage against them)
        self.capacity_rules = {
            k: (int(params[f"services.{s.name}.capacity_review_months"]), float(params[f"services.{s.name}.close_share"]),
                float(params[f"services.{s.name}.reopen_share"]))
            for k, s in enumerate(self.specs)
            if params.get(f"services.{s.name}.capacity_review_months", 0) > 0
        }
        from model.population import zeros_with_room

        # months as int16 (up to 32,767: 2,700 years): two bytes per service and citizen
        # less to hold and to stream each month (~130 MB at a million citizens)
        self.enrolled = zeros_with_room((k, n), dtype=bool)
        self.months_enrolled = zeros_with_room((k, n), dtype=np.int16)
        self.waiting = zeros_with_room((k, n), dtype=bool)
        self.waited = zeros_with_room((k, n), dtype=np.int16)
        self.gate_of = {t: self.index[s.name] for s in self.specs for t in s.gates}
        self.price = np.array([params[f"services.{s.name}.price"] for s in self.specs])
        self._effects = {
            f"service_{s.name}": dict(dotted_paths(params.subtree(f"services.{s.name}.effects")))
            for s in self.specs if params.subtree(f"services.{s.name}.effects")
        }
        #: lasting effects after a completed course: service index -> months they last; the
        #: hazard ratios (``services.<name>.after_effects``) are the feature ``after_<name>``
        self.after_months = {self.index[s.name]: float(params[f"services.{s.name}.after_months"])
                             for s in self.specs if params.subtree(f"services.{s.name}.after_effects")
                             and params.get(f"services.{s.name}.after_months", 0) > 0}
        for k in self.after_months:
            name = self.specs[k].name
            self._effects[f"after_{name}"] = dict(dotted_paths(params.subtree(f"services.{name}.after_effects")))
        #: service index (of ``after_months``) -> the month each citizen last completed its
        #: course (``NEVER``: not since they entered); held only for the services with a
        #: lasting effect (one in the baseline, not 13: ~60 MB less at a million citizens)
        self.completed = {k: np.full(n, NEVER, dtype=np.int32) for k in self.after_months}
        #: siloed refusal probability per service with a silo rule (``SILO_RULES``); none
        #: applies under coordinated governance
        self.refusal = {self.index[name]: float(params[rule.parameter]) for name, rule in SILO_RULES.items()
                        if self.mode == "siloed"}
        self._refusal_draws: dict[int, tuple[int, np.ndarray]] = {}
        #: (domains x citizens): level changes made outside the draw since the last month
        #: began (``enroll``); ``start_month`` adds its own and hands the lot to the step
        self._held = np.zeros((len(Domain), n), dtype=bool)
        self.month = 0
        self.stats: list[dict] = []
        #: every admission: (month, service, citizen indices, their levels at admission)
        self.admissions: list[tuple[int, str, np.ndarray, np.ndarray]] = []
        self._new_month_stats()

    @classmethod
    def from_params(cls, params: Parameters, n: int, streams: RandomStreams) -> ServiceSystem:
        """The services the parameters fund: places per 1,000 from the funding plan
        (``model/governance.py``: explicit places, or the appraisal's decisions under
        endogenous sizing), rounded to whole places for ``n`` citizens."""
        from model.governance import funding_plan

        plan = funding_plan(params)
        places = {name: int(round(per_1000 * n / 1000.0)) for name, per_1000 in plan.places.items()}
        system = cls(params, n, streams, places)
        system.plan = plan
        return system

    def start(self, pop: PopulationState) -> None:
        """Citizens who start in a service's level are enrolled in it (they may exceed
        capacity; then nobody new is admitted until places free up). They were admitted
        before the run, so they count as served (``_served``): their months in the service
        are the months already spent in the level (drawn with the population), at least 1."""
        for k, s in enumerate(self.specs):
            if s.level is not None:
                self.enrolled[k] = pop.levels[s.level[0]] == s.level[1]
                self.months_enrolled[k] = np.where(self.enrolled[k], np.maximum(pop.months_in_level[s.level[0]], 1), 0)
            self.stats[-1][s.name]["enrolled"] = int(np.count_nonzero(self.enrolled[k]))

    def enroll(self, name: str, citizens: np.ndarray, pop: PopulationState | None = None) -> None:
        """Enroll ``citizens`` in service ``name`` now, outside the referral routine and
        capacity (trial emulation, the dashboard). Level services move them into their level.

        Called between months, this is an admission for the coming month, under the same
        rules as one from a waiting list: the citizen is charged at least that month (no
        discharge before it is booked) and, for a level service, makes no pathway move in
        the service's domain that month."""
        k = self.index[name]
        citizens = np.asarray(citizens, dtype=np.int64)
        self.enrolled[k, citizens] = True
        self.months_enrolled[k, citizens] = 0
        self.waiting[k, citizens] = False
        spec = self.specs[k]
        if spec.level is not None and pop is not None:
            pop.set_levels(spec.level[0], citizens, spec.level[1])
            self._held[spec.level[0], citizens] = True

    # -- demography (``model/demography.py``) ------------------------------------------------
    def leave(self, who: np.ndarray) -> None:
        """``who`` died or left the target group: they leave every service and waiting
        list now (their places free up for this month's admissions)."""
        self.enrolled[:, who] = False
        self.months_enrolled[:, who] = 0
        self.waiting[:, who] = False
        self.waited[:, who] = 0
        self._held[:, who] = False
        for completed in self.completed.values():
            completed[who] = NEVER

    def grow(self, n: int) -> None:
        """Room for newcomers: the citizens ``n`` and up enter in no service."""
        from model.population import extend

        for name in ("enrolled", "months_enrolled", "waiting", "waited", "_held"):
            setattr(self, name, extend(getattr(self, name), n, 0))
        self.completed = {k: extend(completed, n, NEVER) for k, completed in self.completed.items()}
        self._refusal_draws.clear()

    # -- the hook protocol the model calls ---------------------------------------------------
    def effects(self) -> dict[str, dict[str, float]]:
        return self._effects

    def feature_columns(self) -> dict[str, np.ndarray]:
        out = {f"service_{s.name}": self.enrolled[self.index[s.name]] for s in self.specs
               if f"service_{s.name}" in self._effects}
        for k, months in self.after_months.items():
            # within ``after_months`` of completing the course, and not back in it
            since = self.month - self.completed[k]
            out[f"after_{self.specs[k].name}"] = (since < months) & (since >= 0) & ~self.enrolled[k]
        return out

    def active(self, k: int) -> bool:
        return self.places[k] != 0

    def eligible(self, k: int, pop: PopulationState) -> np.ndarray:
        """Whom service ``k`` takes this month: its eligibility rule, less the citizens a
        siloed refusal turns away (``SiloRule``). The refusal draw is one uniform per
        citizen from the stream ``refusal.<service>`` keyed by the month, the same for
        every contact within the month (referral, waiting list, admission), and is made
        only when the probability is strictly between 0 and 1."""
        spec = self.specs[k]
        ok = spec.eligible(pop, self.mode)
        if not pop.all_alive:
            ok = ok & pop.alive  # the dead and those who left are nobody's clients
        p = self.refusal.get(k, 0.0)
        if p <= 0.0:
            return ok
        excluded = SILO_RULES[spec.name].excluded(pop)
        if p < 1.0:
            drawn = self._refusal_draws.get(k)
            if drawn is None or drawn[0] != self.month:
                drawn = (self.month, self.streams.uniform(f"refusal.{spec.name}", self.month, pop.n))
                self._refusal_draws[k] = drawn
            excluded = excluded & (drawn[1] < p)
        return ok & ~excluded

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
        eligible = self.eligible(k, pop)[who] & ~covered
        refused = ~eligible & ~covered
        stats["refused"] += int(np.count_nonzero(refused))
        candidates = who[eligible]
        admitted = self._admit(k, candidates, prefer_waiting=True)
        rest = np.setdiff1d(candidates, admitted, assume_unique=True)
        if spec.waiting_list:
            new = rest[~self.waiting[k, rest]]
            self.waiting[k, new] = True
            self.waited[k, new] = 0
        else:
            stats["refused"] += rest.size
            stats["no_place"] += rest.size
        return np.sort(np.concatenate([who[covered], admitted]))

    def start_month(self, model: WelfareModel) -> np.ndarray:
        """The services' part of the month before the pathway draw: per service,
        discharges, waiting-list drop-out, new referrals, admission from the list.

        Returns who is *held* (domains x citizens, bool): the citizens whose level in a
        domain a service changed at the start of this month (admitted from a waiting list
        into a level service, moved out of supported housing at imprisonment, or enrolled
        by ``enroll`` since the last month). The step makes no pathway move for them in
        that domain this month. Reason: the admission *is* the month's move in that
        domain; without the rule a citizen could go untreated -> treatment -> stable in
        one month, and leave a level service before its first month was booked.
        """
        self.month = model.month
        self._pop = pop = model.population
        self._new_month_stats()
        for k in self.capacity_rules:
            self._review_capacity(k)
        held, self._held = self._held, np.zeros_like(self._held)
        for k, spec in enumerate(self.specs):
            if spec.level is None:
                self._discharge(k, spec, pop)
            elif spec.imprisonment_ends_to is not None:
                self._end_places_at_imprisonment(k, spec, pop, held)
            self._drop_out_of_waiting(k, spec, pop)
            if spec.level is None and self.active(k):
                self._refer(k, spec, pop)
            self._admit_from_waiting_list(k, spec, pop, held)
        return held

    def end_month(self, model: WelfareModel) -> None:
        pop = model.population
        for k, spec in enumerate(self.specs):
            if spec.level is not None:
                in_level = pop.levels[spec.level[0]] == spec.level[1]
                if not pop.all_alive:
                    in_level &= pop.alive
                if spec.capacity_limited:
                    self.enrolled[k] &= in_level
                else:
                    self.enrolled[k] = in_level
            st = self.stats[-1][spec.name]
            st["waiting"] = int(np.count_nonzero(self.waiting[k]))
            st["enrolled"] = int(np.count_nonzero(self.enrolled[k]))
        self.months_enrolled += self.enrolled
        self.waited += self.waiting
        model.ledger.book_month(model)

    # -- the steps of the routine -----------------------------------------------------------
    def _review_capacity(self, k: int) -> None:
        """The budget holder's review of a service's places (``capacity_rules``).

        Rule: at the start of months R+1, 2R+1, ... (R = ``capacity_review_months``) the
        budget holder looks back at the last R months at two averages:

        * E, the places that stood empty: per month, the places minus the citizens in the
          service at its fullest (the larger of those at the start of the month and the
          peak after the month's admissions), never below 0;
        * S, the shortage: per month, the citizens turned away for lack of a place (a
          service without a waiting list, like the shelter) plus those waiting on its list.

        With ``close_share`` c and ``reopen_share`` o, if c x E > o x S it closes
        floor(c x E - o x S) places, never below the citizens in the service now; if
        o x S > c x E it reopens ceil(o x S - c x E) places, never above the places funded
        at the start. The places apply from this month on, before anyone is admitted.

        Reason: a place freed in a full shelter is taken by the next person who needs it,
        so it saves money only when the kommune closes it, and a kommune that turns people
        away does not close places (Danish §110 shelters: all places taken every night,
        ~11,400 refusals reported in 2023). A place counts as empty only if it was not
        taken even at the month's fullest: places freed by those who leave during a month
        are taken by the next month's arrivals (the model's monthly step), so the empty
        places at month ends (which the ledger books as ``shelter_vacant``) overstate the
        slack of a full shelter. Closing only a share of the slack, net of the shortage,
        makes the rule gradual and reversible: a full shelter with refusals keeps its
        places; one that no longer fills loses part of its slack at each review, until
        it fills again.
        """
        months, close_share, reopen_share = self.capacity_rules[k]
        if self.places[k] < 0 or self.month <= months or (self.month - 1) % months:
            return
        name = self.specs[k].name
        period = [m[name] for m in self.stats[-months - 1:-1]]
        before_period = [m[name] for m in self.stats[-months - 2:-2]]
        empty = float(np.mean([max(0, m["places"] - max(m["peak_enrolled"], prev["enrolled"]))
                               for m, prev in zip(period, before_period)]))
        shortage = float(np.mean([m["no_place"] + m["waiting"] for m in period]))
        net = close_share * empty - reopen_share * shortage
        now = int(np.count_nonzero(self.enrolled[k]))
        before = int(self.places[k])
        if net > 0:
            after = max(before - int(np.floor(net)), min(now, before), 0)
        else:
            after = min(before + int(np.ceil(-net)), max(int(self.funded_places[k]), before))
        self.places[k] = after
        st = self.stats[-1][name]
        st["places"] = after
        st["closed"] += max(0, before - after)
        st["reopened"] += max(0, after - before)

    def _served(self, k: int) -> np.ndarray:
        """Enrolled and through at least one month-end in the service, i.e. charged for at
        least one month since admission: only these can be discharged (see ``_discharge``)."""
        return self.enrolled[k] & (self.months_enrolled[k] >= 1)

    def _discharge(self, k: int, spec: ServiceSpec, pop: PopulationState) -> None:
        """A programme's course ends (a seeded draw at rate 1/course_months, or after
        exactly course_months for a fixed course), and municipal programmes end at
        imprisonment.

        Rule: discharges apply only to citizens already charged for a month
        (``_served``), so every admission is charged at least its first month. Reason:
        admissions made between months (``enroll``: trial emulation, contracts, the
        dashboard) met the next month's discharge draw before any month was booked, so
        ~4% of them (1 - exp(-1/24) for Housing First's course) left unpaid, and those in
        prison (~5% of the Housing First trial arm) all did.
        """
        on = self._served(k)
        if not on.any():
            return
        course = self.params[f"services.{spec.name}.course_months"]
        if spec.fixed_course:
            done = on & (self.months_enrolled[k] >= course)
        else:
            u = self.streams.uniform(f"discharge.{spec.name}", self.month, pop.n)
            done = on & (u < -np.expm1(-1.0 / course))
        if k in self.after_months:  # a completed course: its lasting effect starts now
            self.completed[k][done] = self.month
        if spec.budget == KOMMUNE:  # municipal programmes end at imprisonment
            done |= on & (pop.levels[Domain.JUSTICE] == Justice.PRISON)
        if spec.name == "dual_diagnosis":
            # the team hands its patients who are still in treatment to ordinary services
            for other, dom, lv in (("addiction_treatment", Domain.SUBSTANCE, Substance.TREATMENT),
                                   ("psychiatry", Domain.MENTAL, Mental.TREATMENT)):
                self.enrolled[self.index[other]] |= done & (pop.levels[dom] == lv)
        self.enrolled[k] &= ~done
        self.months_enrolled[k, done] = 0

    def _end_places_at_imprisonment(self, k: int, spec: ServiceSpec, pop: PopulationState, held: np.ndarray) -> None:
        """Imprisonment ends a place in supported housing (``spec.imprisonment_ends_to``).

        Rule: at the start of the month after the citizen entered prison (the month of
        imprisonment is booked, as for municipal programmes), the place ends, it frees up
        for the waiting list this month, and the citizen's housing becomes precarious: no
        home on release. Reason: a botilbud place is a home that is lived in; a sentence
        does not keep it open for months (before this rule ~24 of ~600 places in a cohort
        of 10,000 were held by prisoners, for 6 months on average). The move is the
        month's move in the housing domain (``held``).
        """
        dom = spec.level[0]
        gone = np.flatnonzero(self._served(k) & (pop.levels[Domain.JUSTICE] == Justice.PRISON)
                              & (pop.levels[dom] == spec.level[1]))
        if gone.size == 0:
            return
        self.enrolled[k, gone] = False
        self.months_enrolled[k, gone] = 0
        pop.set_levels(dom, gone, spec.imprisonment_ends_to)
        held[dom, gone] = True
        self.stats[-1][spec.name]["ended_at_imprisonment"] += gone.size

    def _drop_out_of_waiting(self, k: int, spec: ServiceSpec, pop: PopulationState) -> None:
        w = self.waiting[k]
        if not w.any():
            return
        u = self.streams.uniform(f"waiting.{spec.name}", self.month, pop.n)
        rate = self.params[f"services.{spec.name}.waiting_dropout"] if spec.waiting_list else 0.0
        gave_up = w & (u < -np.expm1(-rate))
        self.stats[-1][spec.name]["dropped_out"] += int(np.count_nonzero(gave_up))
        # those who no longer need the service leave the list too (not counted as drop-out)
        gone = gave_up | (w & ~self._still_needs(k, spec, pop))
        self.waiting[k] &= ~gone

    def _still_needs(self, k: int, spec: ServiceSpec, pop: PopulationState) -> np.ndarray:
        need = self.eligible(k, pop) & ~self.enrolled[k]
        if spec.level is not None:
            sources = [_source_level(t) for t in spec.gates]
            dom = spec.level[0]
            need &= in_levels(pop.levels[dom], [lv for d, lv in sources if d == dom])
        return need

    def _refer(self, k: int, spec: ServiceSpec, pop: PopulationState) -> None:
        u = self.streams.uniform(f"referral.{spec.name}", self.month, pop.n)
        rate = self.params[f"services.{spec.name}.referral_rate"]
        new = self.eligible(k, pop) & ~self.enrolled[k] & ~self.waiting[k] & (u < -np.expm1(-rate))
        self.waiting[k] |= new
        self.waited[k, new] = 0

    def _admit_from_waiting_list(self, k: int, spec: ServiceSpec, pop: PopulationState, held: np.ndarray) -> None:
        """Admit from the list up to the free places; a level service moves the admitted
        into its level, and that is their move in the domain this month (``held``)."""
        if not self.waiting[k].any():  # nobody on the list: skip the eligibility pass
            return
        candidates = np.flatnonzero(self.waiting[k] & self._still_needs(k, spec, pop))
        admitted = self._admit(k, candidates, prefer_waiting=True)
        if admitted.size and spec.level is not None:
            pop.set_levels(spec.level[0], admitted, spec.level[1])
            held[spec.level[0], admitted] = True

    def _admit(self, k: int, candidates: np.ndarray, prefer_waiting: bool) -> np.ndarray:
        """Admit up to the free places: longest wait first, ties broken by a seeded draw."""
        spec = self.specs[k]
        if candidates.size == 0:
            return candidates
        if self.places[k] < 0:
            chosen = candidates
        else:
            free = int(self.places[k] - np.count_nonzero(self.enrolled[k]))
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
        st["peak_enrolled"] = max(st["peak_enrolled"], int(np.count_nonzero(self.enrolled[k])))
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
        self.stats.append({s.name: {"month": self.month, "admitted": 0, "refused": 0, "no_place": 0, "dropped_out": 0,
                                    "cross_referred": 0, "ended_at_imprisonment": 0, "months_waited": 0, "waiting": 0,
                                    "enrolled": 0, "peak_enrolled": 0, "places": int(places[k]), "closed": 0,
                                    "reopened": 0}
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
        """Per month and service: places, enrolled, waiting, admitted, refused (of them for
        lack of a place: ``no_place``), drop-outs, places closed and reopened."""
        import pandas as pd

        rows = [dict(service=name, **st) for month in self.stats for name, st in month.items()]
        return pd.DataFrame(rows).set_index(["month", "service"])


def _source_level(transition: str) -> tuple[Domain, int]:
    from agents.states import LEVELS

    dname, _, rest = transition.partition(".")
    src = rest.partition("_to_")[0]
    d = Domain[dname.upper()]
    return d, int(LEVELS[d][src.upper()])
