"""Demography: who dies, who leaves the target group, who enters it, each month.

The target group is a living population, not a closed cohort:

* **Deaths.** Each living citizen dies in a month with probability ``1 - exp(-h)``,
  ``h = mu(age) / 12 x HR(state)``: ``mu`` is the general Danish population's mortality
  at that age (a Gompertz curve, ``demography.mortality.rate_at_40`` and
  ``gompertz_slope``), ``HR = 1 + sum (hr - 1)`` over the conditions the citizen is in
  (homelessness, problematic use, drug treatment, untreated and treated mental
  illness, prison, and a history of homelessness; ``demography.mortality.hr``): excess risks add, because each
  published ratio already holds part of the others' excess (baseline.toml says more). The states are those at the start of
  the month; an intervention that houses or treats someone changes their risk of dying.
* **Exits.** A citizen who reaches ``demography.exit_age`` (the state pension age) leaves
  the target group: the model's employment and benefit accounts are those of working
  age. Exits depend on age alone, so both arms of a pairing lose the same living
  citizens to them.
* **Newcomers.** Each month ``floor(E + u) + R`` newly vulnerable adults enter: ``E`` =
  ``demography.inflow.per_1000`` / 1,000 / 12 x ``population.size`` (fitted to balance the
  deaths), ``u`` a uniform from the stream ``demography.inflow``, and ``R`` the replacements
  of those who reach the pension age: ``R = floor(k x s + u')``, ``k`` the rows (alive or
  not) whose age reaches the exit age this month, ``s`` = ``inflow.replacement_share`` the
  share of them alive then in the status quo (measured: 0.66), ``u'`` from the stream
  ``demography.replacement``. Counting rows alive or not keeps ``R`` independent of the arm;
  the share keeps it from replacing the dead a second time (with ``s = 1`` the group grew
  +4.5% to +7% in 20 years). Without ``R`` the starting cohort's ageing empties the group:
  88% of its size after 20 years. The number, and every newcomer's attributes
  (``model.population.draw_cohort`` from the stream ``demography.cohort``, at an age of
  ``inflow.age_mean`` +- ``age_sd``, not inside a service: ``ENTRY_DOORS``), depend on
  the seed and the month only, never on the arm. So in a pairing every newcomer has the
  same index, attributes, contacts (``SocialNetwork.grow``) and random numbers in the
  scenario and the counterfactual: common random numbers hold for newcomers too.

Order: demography acts first in the month (``WelfareModel.step``), on the states at the
start of the month: the dead and those who left make no move, receive no service and
cost nothing from this month on; newcomers take part in the month's draw and are booked
at its end. The dead keep their row and last levels (``PopulationState.status``).

Stationarity: the default inflow balances the status quo's deaths and exits, so the
living population stays near ``population.size`` (``runs/validate.py`` checks it over
20 years).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from agents.states import HOMELESS, Domain, Justice, Mental, Substance, in_levels
from model.params import Parameters
from model.population import DIED, EXITED, PopulationState, draw_cohort, take_rows
from model.rng import RandomStreams

if TYPE_CHECKING:
    from model.welfare_model import WelfareModel

#: (hazard-ratio name under ``demography.mortality.hr``, domain, levels it applies to)
MORTALITY_STATES: tuple[tuple[str, Domain, tuple[int, ...]], ...] = (
    ("homeless", Domain.HOUSING, HOMELESS),
    ("problematic_use", Domain.SUBSTANCE, (Substance.PROBLEMATIC,)),
    ("drug_treatment", Domain.SUBSTANCE, (Substance.TREATMENT,)),
    ("untreated_mental_illness", Domain.MENTAL, (Mental.UNTREATED,)),
    ("psychiatric_treatment", Domain.MENTAL, (Mental.TREATMENT, Mental.STABLE)),
    ("prison", Domain.JUSTICE, (Justice.PRISON,)),
)
#: a history that keeps its excess after the state ends: name under ``demography.mortality.hr``
#: -> the population's history flag
MORTALITY_HISTORY: dict[str, str] = {"formerly_homeless": "ever_homeless"}


def general_mortality(params: Parameters, age: np.ndarray) -> np.ndarray:
    """Deaths per person-year in the general population at ``age`` (Gompertz)."""
    return params["demography.mortality.rate_at_40"] * np.exp(
        params["demography.mortality.gompertz_slope"] * (np.asarray(age, dtype=float) - 40.0))


def hazard_ratio(params: Parameters, pop: PopulationState, rows: np.ndarray | None = None) -> np.ndarray:
    """Each citizen's mortality hazard ratio against the general population of the same
    age: 1 plus the excess ratios (hr - 1) of the states they are in (``MORTALITY_STATES``).
    ``rows``: the citizens to compute for (None: every row)."""
    hr = np.ones(pop.n if rows is None else rows.size)
    for name, d, levels in MORTALITY_STATES:
        excess = params[f"demography.mortality.hr.{name}"] - 1.0
        if excess != 0.0:
            hr += excess * in_levels(take_rows(pop.levels[d], rows), levels)
    for name, flag in MORTALITY_HISTORY.items():
        excess = params[f"demography.mortality.hr.{name}"] - 1.0
        if excess != 0.0:
            hr += excess * take_rows(getattr(pop, flag), rows)
    return hr


def max_hazard_ratio(params: Parameters) -> float:
    """The largest value :func:`hazard_ratio` can take: its sum, in its order, with every
    positive excess and none of the others."""
    hr = 1.0
    for name in (*(name for name, _, _ in MORTALITY_STATES), *MORTALITY_HISTORY):
        excess = params[f"demography.mortality.hr.{name}"] - 1.0
        if excess > 0.0:
            hr += excess
    return hr


class Demography:
    """Deaths, exits and newcomers; ``stats`` holds per month what happened, and the
    observed and expected deaths (at general-population mortality) of groups that have
    published standardised mortality ratios."""

    #: groups for standardised mortality: name -> who is in it at the start of a month,
    #: from the levels and the homeless history (of the living)
    SMR_GROUPS = {
        "everyone": lambda levels, ever_homeless: np.ones(levels.shape[1], dtype=bool),
        "ever_homeless": lambda levels, ever_homeless: ever_homeless,
        "homeless": lambda levels, ever_homeless: in_levels(levels[Domain.HOUSING], HOMELESS),
        "drug_treatment": lambda levels, ever_homeless: levels[Domain.SUBSTANCE] == Substance.TREATMENT,
    }

    def __init__(self, params: Parameters, streams: RandomStreams, start_size: int):
        self.params = params
        self.streams = streams
        self.exit_age = float(params["demography.exit_age"])
        #: expected newcomers per month
        self.inflow = params["demography.inflow.per_1000"] / 1000.0 / 12.0 * start_size
        #: the expected share of rows reaching the exit age that are alive then (replaced)
        self.replacement = params["demography.inflow.replacement_share"]
        #: the largest mortality hazard ratio any citizen can have (``_dies``; private: the
        #: fingerprints hash the public numbers)
        self._max_ratio = max_hazard_ratio(params)
        self.stats: list[dict[str, float]] = []

    def start_month(self, model: WelfareModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Deaths and exits among the living, then the newcomers: returns (died, exited,
        newcomers), citizen indices. Updates ``model.population`` only; the model tells
        the network, services and ledger (``WelfareModel._apply_demography``)."""
        pop, p, month = model.population, self.params, model.month
        st: dict[str, float] = {"month": month}
        # deaths among the living (``rows``; None: everyone), from the states at the start
        # of the month; each living citizen's hazard is computed from their own row alone
        rows = pop.step_rows()
        mu = general_mortality(p, take_rows(pop.age, rows)) / 12.0
        u = self.streams.uniform("demography.death", month, pop.n)
        dies = self._dies(pop, mu, take_rows(u, rows), rows)
        died = np.flatnonzero(dies) if rows is None else rows[dies]
        q = -np.expm1(-mu)  # the general population's monthly death probability
        levels, ever_homeless = take_rows(pop.levels, rows), take_rows(pop.ever_homeless, rows)
        for group, members in self.SMR_GROUPS.items():  # expected: summed over the living, in row order
            at_risk = members(levels, ever_homeless)
            st[f"observed_{group}"] = float(np.count_nonzero(at_risk[dies]))
            st[f"expected_{group}"] = float(q.sum(where=at_risk))
            st[f"person_months_{group}"] = float(np.count_nonzero(at_risk))
        pop.leave(died, DIED)
        # exits at the exit age (after the deaths of the month)
        exited = np.flatnonzero(pop.alive & (pop.age >= self.exit_age))
        pop.leave(exited, EXITED)
        # newcomers: a number and attributes that depend on the seed and month only (ages
        # advance by 1/12 a month for every row, alive or not, so R is the same in both arms)
        reaching = int(np.count_nonzero((pop.age >= self.exit_age) & (pop.age - 1.0 / 12.0 < self.exit_age)))
        replacing = int(np.floor(reaching * self.replacement + self.streams.uniform("demography.replacement", month, 1)[0]))
        count = int(np.floor(self.inflow + self.streams.uniform("demography.inflow", month, 1)[0])) + replacing
        new = np.zeros(0, dtype=np.int64)
        if count:
            rng = self.streams.generator("demography.cohort", month)
            cohort = draw_cohort(p, rng, count, p["demography.inflow.age_mean"], p["demography.inflow.age_sd"],
                                 entry_levels=True)
            cohort.age = np.minimum(cohort.age, self.exit_age - 1.0 / 12.0)
            new = pop.grow(cohort)
        st.update(died=float(died.size), exited=float(exited.size), entered=float(count), replacing=float(replacing),
                  alive=float(np.count_nonzero(pop.alive)))
        self.stats.append(st)
        return died, exited, new

    def _dies(self, pop: PopulationState, mu: np.ndarray, u: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        """Who dies (per row of ``rows``, None: every row): ``u < 1 - exp(-mu x HR)``, with
        ``mu`` the general mortality a month and ``u`` the uniforms of those rows.

        Why not the hazard ratio of every row: a month's deaths are a few dozen of
        100,000, and ``HR`` (six level tests and a history) was ~20% of the demography's
        month. No row's ``HR`` exceeds ``_max_ratio`` (the same sum with every positive
        excess: floating-point addition and multiplication are monotonic), and
        ``1 - exp(-h) <= h``, so a row whose ``u`` is not below ``mu x max_ratio`` (with a
        margin far above the rounding) cannot die; ``HR`` and the death probability are
        computed for the others only, element by element as for every row."""
        bound = mu * (self._max_ratio * (1.0 + 1e-9))
        cand = np.flatnonzero(u < bound)
        h = mu[cand] * hazard_ratio(self.params, pop, cand if rows is None else rows[cand])
        dies = np.zeros(u.size, dtype=bool)
        dies[cand] = u[cand] < -np.expm1(-h)
        return dies

    def frame(self) -> pd.DataFrame:
        """Per month: deaths, exits, newcomers, the living after them, and per SMR group
        the observed and expected deaths and the person-months at risk."""
        return pd.DataFrame(self.stats).set_index("month") if self.stats else pd.DataFrame()


def smr(frame: pd.DataFrame, group: str) -> float:
    """Standardised mortality ratio of ``group`` over the months of ``frame``: observed
    deaths / deaths expected at the general population's mortality for the same ages."""
    expected = frame[f"expected_{group}"].sum()
    return float(frame[f"observed_{group}"].sum() / expected) if expected > 0 else float("nan")
