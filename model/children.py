"""Children and negative social inheritance: the second generation.

Some citizens are parents. Their children (0-17) are agents with two domains of their own
(``agents/states.py``): where they live (``Placement``: at home, at home with a preventive
measure, in a foster family, in an institution) and their school track (``School``: on
track, behind). Their parent's states drive their risks; at 18 they grow up into the adult
model, and enter the vulnerable target group, or do not.

**Families.** When a citizen's row is made (the starting population and each month's
newcomers; not the grown-up children's rows: the third generation is not followed) their
family is drawn once, from a stream
of its own keyed by the month: a parent with probability ``family.parent_share``, with
``1 + Poisson(family.extra_children)`` children born at parent ages uniform in
``[birth_age_min, birth_age_max]``. Children already born and under 18 join at once; the
future ones are born in their scheduled month, whatever happens to the parent since. So
the set of children, their indices and their random numbers depend on the seed alone,
never on the arm of a pairing: common random numbers hold for children, and for the
grown-up children's rows (``PopulationState.PENDING``), which are made at 18 for every
child, whether or not they ever join the target group.

**A month** (``Children.start_month``, right after the adults' deaths, exits and newcomers,
on the parents' states at the start of the month):

1. Families of the month's new rows are drawn; scheduled births happen.
2. Family programmes discharge those whose course ended and admit eligible children up to
   their places (``children.programmes``; none in the status quo).
3. Each child makes one draw per domain (streams ``children.placement``,
   ``children.school``), from hazards (per year, ``/ 12`` a month as ``1 - exp(-h)``):
   * at home -> placed: ``placement.per_year x HR x own risk x preventive_hr (if
     preventive) x programme hr``, ``HR = 1 + sum (hr - 1)`` over the parent's states
     (``PARENT_STATES``), own risk = ``exp(b z - b^2 / 2)`` from the child's own risk ``z``
     (drawn with the family, correlated with the parent's complexity); foster family with probability ``foster_share`` (a second
     uniform of the same stream), else an institution;
   * at home -> preventive measure: ``preventive.per_year_at_risk`` if the parent is in a
     listed state, else ``preventive.per_year``, x own risk (the kommune learns of the
     children most at risk); preventive -> home after ``months`` on
     average; placed -> home: ``return_per_year`` (x ``return_hr_parent_at_risk``);
   * school (ages 6-17): on track -> behind ``school.behind_per_year x HR`` with
     ``HR = 1 + (placed - 1) x ever placed + (parent_at_risk - 1) x parent at risk``
     (x programme hr); behind -> on track ``catch_up_per_year``.
4. Children reaching 18 leave care and school: their school track and whether their parent
   was at risk are recorded, and each gets a row in the adult model with status
   ``PENDING``, drawn like a newcomer (``draw_cohort``, entry levels) at age 18.
5. Grown-up children not in the target group, under ``young_adult.join_until_age``, join it
   with the hazard ``join_per_year x (1 + sum (hr - 1))`` over ever placed, behind at 18
   and parent at risk at 18: they enter in the levels drawn for their row
   (``PopulationState.join``), become citizens and live by the adult model's rules.
6. Ages advance; at 25 and 30 outcomes are recorded: youth education at 25 (a draw from
   the school track at 18: ``school.no_education_on_track`` / ``_behind``), ever homeless
   by 25, ever in prison by 30 and in work (or outside the target group) at 30.

**Money** (``Ledger.book_month``; all kommune unless a programme names another budget):
placements in a foster family and in an institution (consequences: a placement avoided is
a return), preventive measures (a service), and family programmes (interventions). Each
child's cost is booked on their parent's row, dead parent or not, so every krone has a
citizen and a budget.

Not modelled (stated in docs/odd.md): children's own deaths (under 0.2 per 1,000 a year at
0-17 in Denmark); the other parent; siblings' shared fate beyond their common parent;
after-care (efterværn) beyond 18; the second generation's later earnings outside the target
group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.states import HOMELESS, PLACED, Domain, Employment, Justice, Mental, Placement, School, Substance, in_levels
from model import kernels
from model.params import Parameters
from model.population import ALIVE, DIED, PENDING, PopulationState, draw_cohort, extend, take_rows
from model.rng import RandomStreams

if TYPE_CHECKING:
    from model.welfare_model import WelfareModel

#: months in a year; a child grows up at 18 (216 months)
ADULT_MONTHS = 18 * 12
SCHOOL_MONTHS = 6 * 12
#: ``Children.status``: a child (0-17), or grown up (18+, with a row in the adult model)
CHILD, GROWN = 0, 1
#: an index that points nowhere (no adult row yet, no month yet)
NONE = -1
#: the stream (purpose) of the starting population's families
START = "children.family"

#: (hazard-ratio name under ``children.placement.hr``, domain, parent levels it applies to)
PARENT_STATES: tuple[tuple[str, Domain, tuple[int, ...]], ...] = (
    ("homeless", Domain.HOUSING, HOMELESS),
    ("problematic_use", Domain.SUBSTANCE, (Substance.PROBLEMATIC,)),
    ("drug_treatment", Domain.SUBSTANCE, (Substance.TREATMENT,)),
    ("untreated_mental_illness", Domain.MENTAL, (Mental.UNTREATED,)),
    ("psychiatric_treatment", Domain.MENTAL, (Mental.TREATMENT, Mental.STABLE)),
    ("prison", Domain.JUSTICE, (Justice.PRISON,)),
)

#: Family programmes (``children.programmes.<name>``), in a fixed order (ledger accounts)
PROGRAMMES: tuple[str, ...] = ("family_therapy", "family_addiction", "children_of_prisoners")
#: Ledger accounts of children: (category, kind); placements and preventive measures are
#: the kommune's; programmes are booked on their ``budget``
PLACEMENT_ACCOUNTS: dict[str, int] = {"placement_foster": Placement.FOSTER, "placement_institution": Placement.INSTITUTION}
PREVENTIVE_ACCOUNT = "child_preventive"


#: What the DataCollector records of the children each month (``Children.counts``)
CHILD_KEYS: tuple[str, ...] = (*(f"children.{lv.name.lower()}" for lv in Placement), "children", "children.behind",
                               "children.in_programme", "grown_up", "ever_placed")


@dataclass(frozen=True)
class Programme:
    """One family programme's parameters (``children.programmes.<name>``)."""

    name: str
    places: int
    age_min: float
    age_max: float
    target: str
    months: float
    price: float
    budget: str
    hr_placement: float
    hr_behind: float
    after_months: float

    @classmethod
    def of(cls, params: Parameters, name: str, adults: int) -> Programme:
        g = params.subtree(f"children.programmes.{name}")
        return cls(name=name, places=int(round(g["places"] * adults / 1000.0)), age_min=g["age_min"],
                   age_max=g["age_max"], target=g["target"], months=g["months"],
                   price=params[f"children.programmes.{name}.price"], budget=g["budget"],
                   hr_placement=g["hr"]["placement"], hr_behind=g["hr"]["behind"], after_months=g["after_months"])


def _compiled_children():
    """The compiled month's kernels (``model.kernels.children``), imported on first use:
    a run on the numpy engine never loads numba."""
    from model.kernels import children

    return children


def hazard(per_year: np.ndarray | float) -> np.ndarray:
    """Monthly probability of an event with a yearly hazard rate: ``1 - exp(-h / 12)``."""
    return -np.expm1(-np.asarray(per_year, dtype=float) / 12.0)


class Children:
    """Every child's state (struct of arrays, index = child), the family schedule, and the
    monthly statistics the validation and the comparisons read (``frame``)."""

    ARRAYS = ("parent", "risk", "age_months", "placement", "school", "status", "ever_placed", "placements",
              "months_preventive", "months_foster", "months_institution", "adult_row", "born",
              "behind_at_18", "parent_at_risk_at_18", "parent_ever_prison", "parent_ever_ill",
              "no_education_25", "homeless_by_25", "prison_by_30", "employed_at_30", "preventive_left",
              "programme", "programme_left", "after_left", "ever_programme", "months_behind")

    def __init__(self, params: Parameters, streams: RandomStreams, adults: int):
        self.params, self.streams = params, streams
        g = params.subtree("children")
        self.g = g
        self.programmes = [Programme.of(params, name, adults) for name in PROGRAMMES]
        self.prices = {"placement_foster": params["children.placement.price.foster"],
                       "placement_institution": params["children.placement.price.institution"],
                       PREVENTIVE_ACCOUNT: params["children.preventive.price"]}
        z = np.zeros(0, dtype=np.int64)
        self.parent = z.copy()
        #: the child's own risk (behaviour, health, disability), standard normal, beside the parent's states
        self.risk = np.zeros(0)
        self.age_months = np.zeros(0, np.int32)
        self.placement = np.zeros(0, np.int8)
        self.school = np.zeros(0, np.int8)
        self.status = np.zeros(0, np.int8)
        self.ever_placed = np.zeros(0, bool)
        self.placements = np.zeros(0, np.int16)
        self.months_preventive = np.zeros(0, np.int32)
        self.months_foster = np.zeros(0, np.int32)
        self.months_institution = np.zeros(0, np.int32)
        self.adult_row = z.copy()
        self.born = np.zeros(0, np.int32)
        self.behind_at_18 = np.zeros(0, bool)
        self.parent_at_risk_at_18 = np.zeros(0, bool)
        self.parent_ever_prison = np.zeros(0, bool)
        self.parent_ever_ill = np.zeros(0, bool)
        # outcomes recorded at 25 and 30: -1 not yet, 0 no, 1 yes
        self.no_education_25 = np.zeros(0, np.int8)
        self.homeless_by_25 = np.zeros(0, np.int8)
        self.prison_by_30 = np.zeros(0, np.int8)
        self.employed_at_30 = np.zeros(0, np.int8)
        self.preventive_left = np.zeros(0, np.int16)
        #: the programme a child is enrolled in (index into ``PROGRAMMES``, -1 none), the
        #: months left of the course and of the lasting effect after it
        self.programme = np.zeros(0, np.int8)
        self.programme_left = np.zeros(0, np.int16)
        self.after_left = np.zeros(0, np.int16)
        self.after_programme = np.zeros(0, np.int8)
        #: ever enrolled in a family programme; months behind at school so far
        self.ever_programme = np.zeros(0, bool)
        self.months_behind = np.zeros(0, np.int32)
        #: scheduled births: (parent row, month of birth), in the order drawn
        self._due_parent = z.copy()
        self._due_month = np.zeros(0, np.int32)
        self._due_risk = np.zeros(0)
        self.month = 0
        self.stats: list[dict[str, float]] = []
        #: ``own_risk`` of every child, computed once when the child is drawn (the month
        #: and the burn-in read it for every child; private: the fingerprints hash the
        #: public arrays)
        self._own_risk = np.zeros(0)
        #: the starting population's grown-up children are waiting for their adult rows
        #: (``_start_grown_up``, ``_grow_up``)
        self._start_grown_up_waiting = False
        #: the month compiled (``model.kernels.children``, the same bits as the numpy
        #: reference here), or the numpy reference (``model/kernels/__init__.py``)
        self._compiled = kernels.compiled()
        if self._compiled:
            _compiled_children()  # numba compiles or loads its cache here, not in the first month

    # -- size --------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self.parent.size

    def _append(self, parent: np.ndarray, age_months: np.ndarray, risk: np.ndarray) -> np.ndarray:
        """New children of ``parent`` (rows), aged ``age_months``, with their own ``risk``;
        returns their indices."""
        start, k = self.n, parent.size
        n = start + k
        fills = {"adult_row": NONE, "no_education_25": NONE, "homeless_by_25": NONE, "prison_by_30": NONE,
                 "employed_at_30": NONE, "programme": NONE, "after_programme": NONE}
        for name in (*self.ARRAYS, "after_programme"):
            setattr(self, name, extend(getattr(self, name), n, fills.get(name, 0)))
        self.parent[start:n] = parent
        self.risk[start:n] = risk
        b = self.g["placement"]["risk_loading"]
        self._own_risk = extend(self._own_risk, n, 0.0)
        self._own_risk[start:n] = np.exp(b * self.risk[start:n] - 0.5 * b * b)
        self.age_months[start:n] = age_months
        self.born[start:n] = self.month + 1 - age_months
        return np.arange(start, n)

    # -- families ------------------------------------------------------------------------------
    def add_families(self, pop: PopulationState, rows: np.ndarray, purpose: str) -> None:
        """Draw the families of adult ``rows`` (just made): children under 18 join now,
        future ones are scheduled. Stream ``purpose`` keyed by the month (the rows made in
        a month, and their order, are the same in both arms)."""
        if rows.size == 0:
            return
        fam = self.g["family"]
        rng = self.streams.generator(purpose, self.month + 1)
        parent = rng.random(rows.size) < fam["parent_share"]
        kids = np.where(parent, 1 + rng.poisson(fam["extra_children"], rows.size), 0)
        who = np.repeat(rows, kids)
        birth_age = rng.uniform(fam["birth_age_min"], max(fam["birth_age_max"], fam["birth_age_min"]), who.size)
        # months from now to the birth (negative: already born)
        until = np.round((birth_age - pop.age[who]) * 12.0).astype(np.int64)
        # the child's own risk, correlated with the parent's complexity (``risk_parent_correlation``)
        rho = self.g["placement"]["risk_parent_correlation"]
        risk = rho * pop.complexity[who] + np.sqrt(1.0 - rho ** 2) * rng.standard_normal(who.size)
        born = (until <= 0) & (-until < ADULT_MONTHS)
        self._append(who[born], (-until[born]).astype(np.int32), risk[born])
        if purpose == START:
            self._start_grown_up(who, until, risk)
        future = until > 0
        self._due_parent = np.concatenate([self._due_parent, who[future]])
        self._due_month = np.concatenate([self._due_month, (self.month + until[future]).astype(np.int32)])
        self._due_risk = np.concatenate([self._due_risk, risk[future]])

    def _start_grown_up(self, who: np.ndarray, until: np.ndarray, risk: np.ndarray) -> None:
        """The starting population's grown-up children aged 18 to ``join_until_age``: the
        pool the target group's young entrants come from is there from the start (without it
        the pool fills over the first 12 years and the entrants with it). Their childhood is
        simulated by ``burn_in``; their adult rows are made in the first month."""
        yg = self.g["young_adult"]
        grown = (until <= -ADULT_MONTHS) & (-until < yg["join_until_age"] * 12)
        if not grown.any():
            return
        idx = self._append(who[grown], (-until[grown]).astype(np.int32), risk[grown])
        self.status[idx] = GROWN
        self._start_grown_up_waiting = True

    def _births(self) -> None:
        due = self._due_month == self.month + 1
        if due.any():
            self._append(self._due_parent[due], np.zeros(int(np.count_nonzero(due)), np.int32), self._due_risk[due])
            self._due_parent, self._due_month = self._due_parent[~due], self._due_month[~due]
            self._due_risk = self._due_risk[~due]

    # -- the parents ----------------------------------------------------------------------------
    def parent_flags(self, pop: PopulationState, kids: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Per child (``kids``: child indices; None: every child): whether the parent is in
        each of ``PARENT_STATES`` (living parents in the target group only: a parent
        outside it, pending or left at the exit age, is in none) and whether the parent
        has died."""
        par = take_rows(self.parent, kids)
        living = pop.alive[par]
        lv = np.take(pop.levels, par, axis=1)
        flags = {name: living & in_levels(lv[d], levels) for name, d, levels in PARENT_STATES}
        flags["parent_died"] = pop.status[par] == DIED
        return flags

    def _risk(self, flags: dict[str, np.ndarray], kids: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(placement hazard ratio, parent at risk) per child (of ``kids``, the children
        ``flags`` are for; None: every child): ``1 + sum (hr - 1)`` over the parent's
        states, times the child's own risk ``exp(b z - b^2 / 2)`` (mean 1)."""
        n = self.n if kids is None else kids.size
        hr = np.ones(n)
        at_risk = np.zeros(n, bool)
        for name, f in flags.items():
            hr += (self.g["placement"]["hr"][name] - 1.0) * f
            at_risk |= f
        return hr * self.own_risk(kids), at_risk

    def own_risk(self, kids: np.ndarray | None = None) -> np.ndarray:
        """The child's own risk as a hazard multiplier of mean 1: ``exp(b z - b^2 / 2)``,
        ``b`` = ``placement.risk_loading``; it raises placements and preventive measures
        alike, so the children the kommune knows are those most at risk (of ``kids``;
        None: every child). Computed once per child (``_append``): a child's risk never
        changes, and the month needs it twice for every child."""
        return take_rows(self._own_risk, kids)

    def _parent_states(self, pop: PopulationState, kids: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """``parent_flags`` and ``_risk`` of the children ``kids``: (flags, hazard ratio,
        parent at risk); records whether the parent has ever been in prison (in the target
        group) or ill. Compiled (``model.kernels.children.parent_states``, one pass
        instead of ~25) unless the numpy engine is chosen."""
        if not self._compiled:
            flags = self.parent_flags(pop, kids)
            par = self.parent[kids]
            self.parent_ever_prison[kids] |= pop.ever_prison[par] & (pop.status[par] != PENDING)
            self.parent_ever_ill[kids] |= flags["untreated_mental_illness"] | flags["psychiatric_treatment"]
            return (flags, *self._risk(flags, kids))
        bits = np.array([sum(1 << lv for lv in levels) for _, _, levels in PARENT_STATES], np.int64)
        names = [name for name, _, _ in PARENT_STATES]
        hr_minus_one = np.array([self.g["placement"]["hr"][name] - 1.0 for name in (*names, "parent_died")])
        out, hr, at_risk = np.empty((len(names) + 1, kids.size), bool), np.empty(kids.size), np.empty(kids.size, bool)
        ill = np.isin(names, ("untreated_mental_illness", "psychiatric_treatment"))
        _compiled_children().parent_states(kids, self.parent, pop.alive, pop.status, pop.levels, pop.ever_prison,
                                    self._own_risk, np.array([int(d) for _, d, _ in PARENT_STATES], np.int64), bits,
                                    ill, hr_minus_one, DIED, PENDING, out, hr, at_risk, self.parent_ever_prison,
                                    self.parent_ever_ill)
        return dict(zip((*names, "parent_died"), out)), hr, at_risk

    # -- the month -------------------------------------------------------------------------------
    def start_month(self, model: WelfareModel, new_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The children's month (module docstring). ``new_rows``: the adult rows made this
        month so far (newcomers). Returns (reserved, joined): adult rows made for the
        grown-up children of the month (status ``PENDING``) and rows that joined the target
        group; the model tells the network, services, ledger and Mesa."""
        pop = model.population
        t = self.month + 1
        self.add_families(pop, new_rows, "children.family.newcomers")
        self._births()
        n = self.n
        # The month's placement and school rules act on the children (0-17) alone, most
        # of the rows being grown-ups after a few years: ``kids`` are the children's
        # indices and flags, hazards and moves are computed for them only (element by
        # element, as over every row); the draws are still made for every row.
        kids = np.flatnonzero(self.status == CHILD)
        flags, hr, at_risk = self._parent_states(pop, kids)
        prisoners = take_rows(pop.levels[Domain.JUSTICE], pop.step_rows()) == Justice.PRISON
        st: dict[str, float] = {"month": t, "children_of_prisoners": float(np.count_nonzero(flags["prison"])),
                                "prisoners": float(np.count_nonzero(prisoners))}

        # programmes: course ends, then admissions (children at home, eligible, by a random priority)
        prog_hr_place, prog_hr_school = np.ones(n), np.ones(n)
        self._programmes(kids, flags, at_risk, prog_hr_place, prog_hr_school, st)

        home_before = self.placement[kids]
        u, v, w = (self.streams.uniform(f"children.{k}", t, n) for k in ("placement", "placement_kind", "school"))
        to_placed, to_prev, returned, kind = self._move(kids, hr, at_risk, self.age_months, u, v, w,
                                                        prog_hr_place, prog_hr_school)
        self._tally(kids, home_before, to_placed, to_prev, returned, kind, st)
        # 18: grown up; a row in the adult model, outside the target group
        reserved = self._grow_up(pop, kids, at_risk)
        joined = self._joins(pop, t, st)
        self.age_months += 1
        self._record_outcomes(pop)
        self.month = t
        st.update(children=float(np.count_nonzero(self.status == CHILD)), grown=float(np.count_nonzero(self.status == GROWN)),
                  reserved=float(reserved.size), joined=float(joined.size))
        self.stats.append(st)
        return reserved, joined

    def _tally(self, kids, home_before, to_placed, to_prev, returned, kind, st: dict) -> None:
        """The month's statistics of the moves of the children ``kids`` (``st``:
        placements, preventive measures started, returns home; first placements and
        never-placed child-months at home, by the parent's history), and the time in care
        and behind at school of those not turning 18 this month (what the ledger books at
        the month's end). Compiled (``model.kernels.children.tally``) unless the numpy
        engine is chosen."""
        if self._compiled:
            out = np.zeros(10, np.int64)
            _compiled_children().tally(kids, home_before, to_placed, to_prev, returned, kind, self.placements,
                                self.parent_ever_prison, self.parent_ever_ill, self.placement, self.school,
                                self.age_months, ADULT_MONTHS, self.months_preventive, self.months_foster,
                                self.months_institution, self.months_behind, out)
            st.update(placements=float(out[0]), placements_foster=float(out[1]), preventive_started=float(out[2]),
                      returns_home=float(out[3]))
            for g, key in enumerate(("prison_parent", "ill_parent", "all")):
                st[f"first_placements_{key}"] = float(out[4 + g])
                st[f"at_risk_months_{key}"] = float(out[7 + g])
            return
        st["placements"] = float(to_placed.sum())
        st["placements_foster"] = float((to_placed & (kind == Placement.FOSTER)).sum())
        st["preventive_started"] = float(to_prev.sum())
        st["returns_home"] = float(returned.sum())
        # placements among children never placed before, with a parent ever in prison / ill
        placements = self.placements[kids]
        first = to_placed & (placements == 1)
        never_before = in_levels(home_before, (Placement.HOME, Placement.PREVENTIVE)) & (placements - to_placed == 0)
        for key, group in (("prison_parent", self.parent_ever_prison[kids]), ("ill_parent", self.parent_ever_ill[kids]),
                           ("all", np.ones(kids.size, bool))):
            st[f"first_placements_{key}"] = float((first & group).sum())
            st[f"at_risk_months_{key}"] = float((never_before & group).sum())
        # time in care this month, of the children not turning 18 (``_grow_up`` follows)
        still = kids[self.age_months[kids] + 1 < ADULT_MONTHS]
        pl = self.placement[still]
        self.months_preventive[still] += pl == Placement.PREVENTIVE
        self.months_foster[still] += pl == Placement.FOSTER
        self.months_institution[still] += pl == Placement.INSTITUTION
        self.months_behind[still] += self.school[still] == School.BEHIND

    def _move(self, kids: np.ndarray, hr: np.ndarray, at_risk: np.ndarray, age_months: np.ndarray, u: np.ndarray,
              v: np.ndarray, w: np.ndarray, hr_place: np.ndarray | None = None, hr_school: np.ndarray | None = None):
        """One month of placement and school moves for the children ``kids`` (indices; the
        one rule, used by the month and by the burn-in of the starting children's past).
        ``hr`` (hazard ratio) and ``at_risk`` (parent at risk) hold one value per child of
        ``kids``; the others one per child row (read for ``kids`` only): age, one uniform
        ``u`` for the placement domain (placement first, then the other move of the
        level), ``v`` for foster family or institution, ``w`` for school, and the
        programmes' hazard ratios (None: 1). Returns, per child of ``kids``: (placed now,
        preventive measure started, returned home, kind of placement).

        This is the reference; the month runs it compiled (``_move_compiled``, the same
        bits) unless the numpy engine is chosen."""
        if self._compiled:
            return self._move_compiled(kids, hr, at_risk, age_months, u, v, w, hr_place, hr_school)
        g = self.g
        u, v, w, age_months = u[kids], v[kids], w[kids], age_months[kids]
        hr_place = 1.0 if hr_place is None else hr_place[kids]
        hr_school = 1.0 if hr_school is None else hr_school[kids]
        p_end_prev, p_catch = self._constant_probabilities()
        pl = self.placement[kids]
        home = pl == Placement.HOME
        prev = pl == Placement.PREVENTIVE
        placed = in_levels(pl, PLACED)
        p_place = hazard(g["placement"]["per_year"] * hr * np.where(prev, g["placement"]["preventive_hr"], 1.0) * hr_place)
        rate_prev = np.where(at_risk, g["preventive"]["per_year_at_risk"], g["preventive"]["per_year"]) * self.own_risk(kids)
        p_prev = hazard(rate_prev)
        # the return home concerns the placed only (few): its hazard is computed for them
        back = np.flatnonzero(placed)
        p_return = hazard(g["placement"]["return_per_year"]
                          * np.where(at_risk[back], g["placement"]["return_hr_parent_at_risk"], 1.0))
        returns = np.zeros(kids.size, bool)
        returns[back] = u[back] < p_return
        to_placed = (home | prev) & (u < p_place)
        to_prev = home & ~to_placed & (u >= p_place) & (u < p_place + p_prev)
        to_home = (prev & ~to_placed & (u >= 1.0 - p_end_prev)) | returns
        kind = np.where(v < g["placement"]["foster_share"], Placement.FOSTER, Placement.INSTITUTION).astype(np.int8)
        pl[to_placed] = kind[to_placed]
        pl[to_prev] = Placement.PREVENTIVE
        pl[to_home] = Placement.HOME
        self.placement[kids] = pl
        ever_placed = self.ever_placed[kids] | to_placed
        self.ever_placed[kids] = ever_placed
        self.placements[kids] += to_placed
        # school (6-17)
        school_age = age_months >= SCHOOL_MONTHS
        sh = g["school"]["hr"]
        hr_s = 1.0 + (sh["placed"] - 1.0) * ever_placed + (sh["parent_at_risk"] - 1.0) * at_risk
        school = self.school[kids]
        on = school_age & (school == School.ON_TRACK)
        behind = school_age & (school == School.BEHIND)
        # falling behind concerns those on track at school age: its hazard is computed for them
        at = np.flatnonzero(on)
        fall = np.zeros(kids.size, bool)
        fall[at] = w[at] < hazard(g["school"]["behind_per_year"] * hr_s[at]
                                  * (hr_school[at] if np.ndim(hr_school) else hr_school))
        catch = behind & (w < p_catch)
        school[fall] = School.BEHIND
        school[catch] = School.ON_TRACK
        self.school[kids] = school
        return to_placed, to_prev, placed & to_home, kind

    def _constant_probabilities(self) -> tuple[float, float]:
        """The monthly probabilities of ``_move`` that are the same for every child: a
        preventive measure ends (``1 / months`` a month), catching up at school."""
        g = self.g
        return -np.expm1(-1.0 / g["preventive"]["months"]), hazard(g["school"]["catch_up_per_year"])

    def _move_compiled(self, kids, hr, at_risk, age_months, u, v, w, hr_place, hr_school):
        """``_move`` by the kernels of ``model.kernels.children``: the hazards' arguments,
        numpy's ``expm1`` of them, the placement moves and catch-ups in one pass over the
        children, numpy's ``expm1`` of falling behind for those on track, the falls."""
        kc, g = _compiled_children(), self.g
        gp, sh, k = g["placement"], g["school"]["hr"], kids.size
        none = np.zeros(0)
        hr_place = none if hr_place is None else hr_place
        hr_school = none if hr_school is None else hr_school
        e_place, e_prev = np.empty(k), np.empty(k)
        kc.placement_arguments(kids, self.placement, hr, at_risk, self._own_risk, hr_place, gp["per_year"],
                               gp["preventive_hr"], g["preventive"]["per_year_at_risk"], g["preventive"]["per_year"],
                               e_place, e_prev)
        np.expm1(e_place, out=e_place)
        np.expm1(e_prev, out=e_prev)
        # the return home: a parent not at risk / at risk (each element as numpy computes it alone)
        p_return = hazard(gp["return_per_year"] * np.array([1.0, gp["return_hr_parent_at_risk"]]))
        p_end_prev, p_catch = self._constant_probabilities()
        to_placed, to_prev, returned = np.empty(k, bool), np.empty(k, bool), np.empty(k, bool)
        kind, fall_at, e_fall = np.empty(k, np.int8), np.empty(k, np.int64), np.empty(k)
        m = kc.moves(kids, self.placement, self.ever_placed, self.placements, self.school,
                     np.asarray(age_months, np.int32), at_risk, u, v, w, e_place, e_prev, p_return,
                     float(1.0 - p_end_prev), gp["foster_share"], float(p_catch), SCHOOL_MONTHS,
                     g["school"]["behind_per_year"], sh["placed"] - 1.0, sh["parent_at_risk"] - 1.0, hr_school,
                     to_placed, to_prev, returned, kind, fall_at, e_fall)
        e_fall = np.expm1(e_fall[:m], out=e_fall[:m])
        kc.falls(kids, fall_at[:m], e_fall, w, self.school)
        return to_placed, to_prev, returned, kind

    def burn_in(self, pop: PopulationState) -> None:
        """The starting children's past: each child's months from birth to now (the
        grown-up children of the start: to 18) under the status-quo rules (no programme),
        with the parent's states as at the start (streams ``children.history.*`` keyed by
        months ago), so the run starts with children in care, with placement histories and
        school tracks, not with every child at home on track. The grown-up children's track
        at 18 is recorded. Months in care before the run are not counted (not booked)."""
        if self.n == 0:
            return
        hr, at_risk = self._risk(self.parent_flags(pop))
        age = self.age_months
        for ago in range(int(age.max()), 0, -1):
            then = age - ago  # age in months, ``ago`` months before the start
            child = (then >= 0) & (then < ADULT_MONTHS)
            if not child.any():
                continue
            kids = np.flatnonzero(child)
            u, v, w = (self.streams.uniform(f"children.history.{k}", ago, self.n)
                       for k in ("placement", "placement_kind", "school"))
            self._move(kids, hr[kids], at_risk[kids], then, u, v, w)
        grown = self.status == GROWN
        self.behind_at_18[grown] = self.school[grown] == School.BEHIND
        self.placement[grown] = Placement.HOME

    def _programmes(self, kids, flags, at_risk, hr_place, hr_school, st) -> None:
        """Family programmes: courses end, then admissions up to the places; multiplies
        ``hr_place`` and ``hr_school`` (one per child) by the programmes' hazard ratios.
        ``flags`` and ``at_risk`` are per child of ``kids`` (the children).

        A month without places, courses or lasting effects (the status quo) changes
        nothing here: it returns at once instead of some twenty passes over every child's
        row (~0.8 ms a month at 100,000 citizens)."""
        if (all(prog.places <= 0 for prog in self.programmes) and not (self.programme >= 0).any()
                and not (self.after_left > 0).any()):
            return
        child = self.status == CHILD
        home = child & in_levels(self.placement, (Placement.HOME, Placement.PREVENTIVE))
        # lasting effects count down; courses end at their length or at placement / 18
        ended = (self.programme >= 0) & ((self.programme_left <= 0) | ~home)
        completed = ended & (self.programme_left <= 0) & home
        self.after_programme[completed] = self.programme[completed]
        for k, prog in enumerate(self.programmes):
            self.after_left[completed & (self.programme == k)] = int(round(prog.after_months))
        self.programme[ended] = NONE
        age = self.age_months / 12.0

        def every_child(per_kid: np.ndarray) -> np.ndarray:
            out = np.zeros(self.n, bool)
            out[kids] = per_kid
            return out

        targets = {"parent_at_risk": at_risk,
                   "known_to_kommune": at_risk & (self.placement[kids] == Placement.PREVENTIVE),
                   "parent_in_addiction_treatment": flags["drug_treatment"],
                   "parent_in_prison": flags["prison"]}
        t = self.month + 1
        for k, prog in enumerate(self.programmes):
            enrolled = self.programme == k
            free = prog.places - int(np.count_nonzero(enrolled))
            if prog.places > 0 and free > 0:
                eligible = (home & (self.programme < 0) & every_child(targets[prog.target]) & (age >= prog.age_min)
                            & (age < prog.age_max + 1))
                cand = np.flatnonzero(eligible)
                if cand.size:
                    prio = self.streams.uniform(f"children.programme.{prog.name}", t, self.n)[cand]
                    take = cand[np.argsort(prio, kind="stable")[:free]]
                    self.programme[take] = k
                    self.ever_programme[take] = True
                    self.programme_left[take] = int(round(prog.months))
                    st[f"admitted_{prog.name}"] = float(take.size)
            active = self.programme == k
            lasting = (self.after_programme == k) & (self.after_left > 0)
            hr_place[active | lasting] *= prog.hr_placement
            hr_school[active | lasting] *= prog.hr_behind
        self.programme_left[self.programme >= 0] -= 1
        self.after_left[self.after_left > 0] -= 1

    def _grow_up(self, pop: PopulationState, kids: np.ndarray, at_risk: np.ndarray) -> np.ndarray:
        """Children turning 18 (of ``kids``, the children, with their parent ``at_risk``)
        grow up and get an adult row (``PENDING``); returns the rows."""
        turning_kid = self.age_months[kids] + 1 >= ADULT_MONTHS
        turning = kids[turning_kid]
        self.status[turning] = GROWN
        self.behind_at_18[turning] = self.school[turning] == School.BEHIND
        self.parent_at_risk_at_18[turning] = at_risk[turning_kid]
        self.placement[turning] = Placement.HOME  # care ends at 18 (after-care is not modelled)
        self.programme[turning] = NONE
        # the starting population's grown-up children get their rows in the first month
        # (drawn with the starting families only: later months need not look for them)
        started = np.zeros(0, np.int64)
        if self._start_grown_up_waiting:
            started = np.flatnonzero((self.status == GROWN) & (self.adult_row == NONE)
                                     & (self.age_months >= ADULT_MONTHS))
            self._start_grown_up_waiting = False
        if started.size:
            self.parent_at_risk_at_18[started] = self._risk(self.parent_flags(pop, started), started)[1]
        turning = np.concatenate([turning, started])
        if turning.size == 0:
            return np.zeros(0, np.int64)
        rng = self.streams.generator("children.grown_up", self.month + 1)
        p = self.params
        cohort = draw_cohort(p, rng, turning.size, 18.0, 0.0, entry_levels=True)
        cohort.age = self.age_months[turning] / 12.0  # both clocks advance by the month's end
        cohort.status[:] = PENDING
        cohort.alive[:] = False
        rows = pop.grow(cohort)
        self.adult_row[turning] = rows
        # no families for these rows: the third generation is not followed (their children
        # would have to be drawn whether or not the parent ever joins the target group, so
        # the descendants of everyone who ever grew up in the model would pile up)
        return rows

    def _joins(self, pop: PopulationState, t: int, st: dict) -> np.ndarray:
        yg = self.g["young_adult"]
        # the candidates: grown up, young enough, their row still outside the target group;
        # hazards are computed for them only (element by element, as over every child), the
        # draw is made for every child
        young = np.flatnonzero((self.status == GROWN) & (self.age_months < yg["join_until_age"] * 12))
        cand = young[pop.status[self.adult_row[young]] == PENDING]
        h = yg["hr"]
        hr = (1.0 + (h["ever_placed"] - 1.0) * self.ever_placed[cand] + (h["behind"] - 1.0) * self.behind_at_18[cand]
              + (h["parent_at_risk"] - 1.0) * self.parent_at_risk_at_18[cand])
        u = self.streams.uniform("children.join", t, self.n)[cand]
        join = cand[u < hazard(yg["join_per_year"] * hr)]
        rows = self.adult_row[join]
        pop.join(rows)
        st["joined_formerly_placed"] = float(self.ever_placed[join].sum())
        return rows

    def _record_outcomes(self, pop: PopulationState) -> None:
        """At 25 and 30 (ages just reached): youth education, homelessness, prison, work."""
        at25 = np.flatnonzero((self.status == GROWN) & (self.age_months == 25 * 12))
        if at25.size:
            u = self.streams.uniform("children.education", self.month + 1, self.n)[at25]
            s = self.g["school"]
            p_none = np.where(self.behind_at_18[at25], s["no_education_behind"], s["no_education_on_track"])
            self.no_education_25[at25] = u < p_none
            r = self.adult_row[at25]
            self.homeless_by_25[at25] = (pop.status[r] != PENDING) & pop.ever_homeless[r]
        at30 = np.flatnonzero((self.status == GROWN) & (self.age_months == 30 * 12))
        if at30.size:
            r = self.adult_row[at30]
            inside = pop.status[r] != PENDING
            self.prison_by_30[at30] = inside & pop.ever_prison[r]
            self.employed_at_30[at30] = ~inside | ((pop.status[r] == ALIVE)
                                                   & (pop.levels[Domain.EMPLOYMENT, r] == Employment.EMPLOYED))

    # -- money -------------------------------------------------------------------------------------
    def month_costs(self) -> list[tuple[str, str, np.ndarray, np.ndarray]]:
        """The month's costs: (budget, category, parent rows, amounts) per account, after
        the month's moves (booked by ``Ledger.book_month``)."""
        from model.services import KOMMUNE

        # the children not at home without a measure (a few thousand of ~100,000 rows), in
        # index order; then each account's
        cared = np.flatnonzero((self.status == CHILD) & (self.placement != Placement.HOME))
        level = self.placement[cared]
        out = []
        for category, lv in (*PLACEMENT_ACCOUNTS.items(), (PREVENTIVE_ACCOUNT, Placement.PREVENTIVE)):
            who = cared[level == lv]
            out.append((KOMMUNE, category, self.parent[who], np.full(who.size, self.prices[category])))
        for k, prog in enumerate(self.programmes):
            who = self.programme == k
            if who.any():
                out.append((prog.budget, prog.name, self.parent[who], np.full(int(np.count_nonzero(who)), prog.price)))
        return out

    # -- tables ----------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Children in each placement and school level, grown-ups, joined: the DataCollector's."""
        # ``count_nonzero``: a boolean mask's ``sum`` adds it as int64, ~8x slower
        child = self.status == CHILD
        out = {f"children.{lv.name.lower()}": int(np.count_nonzero(child & (self.placement == lv))) for lv in Placement}
        out["children"] = int(np.count_nonzero(child))
        out["children.behind"] = int(np.count_nonzero(child & (self.school == School.BEHIND)))
        out["children.in_programme"] = int(np.count_nonzero(self.programme >= 0))
        out["grown_up"] = int(np.count_nonzero(self.status == GROWN))
        out["ever_placed"] = int(np.count_nonzero(self.ever_placed))
        return out

    def frame(self) -> pd.DataFrame:
        """Per month: placements, preventive measures started, returns home, programme
        admissions, first placements and never-placed child-months by parental history,
        children, grown-ups, rows made at 18 and joins."""
        return pd.DataFrame(self.stats).fillna(0.0).set_index("month") if self.stats else pd.DataFrame()

    def table(self, pop: PopulationState | None = None) -> pd.DataFrame:
        """One row per child (grown-ups included): parent, age, placement, school, history
        and the outcomes recorded so far (-1 = not yet)."""
        data = {name: getattr(self, name) for name in self.ARRAYS if name not in ("programme_left", "after_left")}
        df = pd.DataFrame(data).rename_axis("child")
        df["placement"] = np.array([lv.name.lower() for lv in Placement])[self.placement]
        df["school"] = np.array([lv.name.lower() for lv in School])[self.school]
        df["status"] = np.array(["child", "grown_up"])[self.status]
        df["age"] = self.age_months / 12.0
        if pop is not None:
            row = np.where(self.adult_row >= 0, self.adult_row, 0)
            df["in_target_group"] = (self.adult_row >= 0) & (pop.status[row] != PENDING)
        return df


# -- statistics for validation (``runs/validate.py``) ------------------------------------------
def children_statistics(model: WelfareModel, scale: float) -> dict[str, float]:
    """The children's validation statistics of a finished run; ``scale`` = persons per
    simulated citizen (counts are for the population).

    * ``placed_by_18_prison_parent`` / ``_ill_parent`` / ``_all``: the share placed during
      childhood of children whose parent has been in prison (ever, as far as the model
      knows) / mentally ill (untreated or treated), from the first-placement rate among
      never-placed children at home over the run, as a synthetic cohort of 18 years:
      ``1 - exp(-216 x rate)``;
    * ``foster_share``: of the placed at the end, the share in a foster family;
    * ``children_of_prisoners``: children with a parent in prison, mean over the months, and
      ``children_per_prisoner``: per prisoner of the target group;
    * ``no_education_25_placed`` / ``_never``: without a youth education at 25, formerly
      placed / never placed (grown-up children who reached 25 in the run);
    * ``homeless_by_25_placed`` / ``_never``, ``prison_by_30_placed`` / ``_never``;
    * ``placed_now``, ``placements_per_year``: the children of the target group in care at
      the end, and new placements a year (for the population; context, no target)."""
    c = model.children
    if c is None:
        return {}
    f = c.frame()
    out: dict[str, float] = {}
    for key in ("prison_parent", "ill_parent", "all"):
        months = f[f"at_risk_months_{key}"].sum()
        rate = f[f"first_placements_{key}"].sum() / months if months else np.nan
        out[f"placed_by_18_{key}"] = float(1.0 - np.exp(-ADULT_MONTHS * rate))
    child = c.status == CHILD
    placed = child & in_levels(c.placement, PLACED)
    out["foster_share"] = float((child & (c.placement == Placement.FOSTER)).sum() / placed.sum()) if placed.any() else np.nan
    out["placed_now"] = float(placed.sum() * scale)
    out["placements_per_year"] = float(f["placements"].sum() / max(len(f), 1) * 12.0 * scale)
    out["children_of_prisoners"] = float(np.mean([s.get("children_of_prisoners", np.nan) for s in c.stats]) * scale)
    prisoners = f["prisoners"].sum()
    out["children_per_prisoner"] = float(f["children_of_prisoners"].sum() / prisoners) if prisoners else np.nan
    for name, arr in (("no_education_25", c.no_education_25), ("homeless_by_25", c.homeless_by_25),
                      ("prison_by_30", c.prison_by_30)):
        known = arr >= 0
        for label, group in (("placed", c.ever_placed), ("never", ~c.ever_placed)):
            sel = known & group
            out[f"{name}_{label}"] = float(arr[sel].mean()) if sel.any() else np.nan
            out[f"{name}_{label}_n"] = float(sel.sum())
    return out
