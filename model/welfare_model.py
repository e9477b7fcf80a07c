"""``WelfareModel``: the world, its monthly step, and what is collected.

Order of operations each month (written down once; every rule lives in its own module):

0. ``demography.start_month`` — deaths and exits among the living, from the states at
   the start of the month, then the month's newcomers (``model/demography.py``); then
   ``children.start_month`` — births, placements, school, children turning 18 (a row
   each, outside the target group) and grown-up children joining it
   (``model/children.py``). The
   network, services, ledger and Mesa agents are told (``WelfareModel._apply_demography``):
   the dead leave every service and are removed from ``model.agents`` (their ``Citizen``
   stays in ``model.citizens``, ``alive`` false); newcomers get contacts and agents.
1. ``services.start_month`` — services discharge, end supported-housing places at
   imprisonment, drop people who give up waiting, take referrals, and admit from waiting
   lists within capacity (``model/services.py``). It returns who is *held*: the
   citizens whose level in a domain it changed.
2. Pathways — features, hazards and one draw per citizen and domain
   (``model/pathways.py``). Moves into a service-gated level become referrals to that
   service instead of immediate moves when the service is modelled.
3. Moves are applied, clocks advance (``model/population.py``).
4. ``services.end_month`` — the month's costs and revenues are booked in the ledger.
5. Occupancy is counted and the ``DataCollector`` collects (once at t=0, once per month).

Rules of the order (each implemented once, in the function named):

* **The dead make no move.** A citizen who died or left makes no pathway move (their
  draw is made and discarded, like a held citizen's), receives no service and is booked
  nothing (``Ledger.book_month``); counts and peer shares are over the living.
* **One move per domain per month.** A citizen held in a domain by step 1 (admitted from
  a waiting list into a level, e.g. untreated -> psychiatric treatment; moved out of
  supported housing at imprisonment; enrolled by ``ServiceSystem.enroll`` since the last
  month) makes no pathway move in that domain in step 2 (``WelfareModel.step``). Their
  draw is still made and discarded, so everyone else's random numbers are unchanged.
  Reason: the admission is that month's move; otherwise untreated -> treatment -> stable
  could happen in one month, and a level service could lose a citizen before booking the
  month of admission.
* **Every admission is charged at least its first month.** Discharges in step 1 apply
  only to citizens who have been through a month-end (step 4) in the service
  (``ServiceSystem._discharge``). Reason: admissions made between months (trial
  emulation, contracts, the dashboard) otherwise met the next discharge draw before any
  booking: ~4% of Housing First enrolments, 1 - exp(-1/24), and every enrolee already
  in prison left unpaid.
* **Imprisonment ends a supported-housing place.** At the start of the month after
  entering prison the place ends and frees up, and the citizen's housing becomes
  precarious (no home on release); a prisoner is not admitted to supported housing
  (``ServiceSystem._end_places_at_imprisonment``). Reason: a botilbud place is a home
  that is lived in, not kept open through a sentence. Municipal programmes end at
  imprisonment the same way (``ServiceSystem._discharge``).
"""

from __future__ import annotations

from functools import cached_property, partial
from pathlib import Path
from typing import Any, Protocol

import mesa
import numpy as np
import pandas as pd

from agents.child import Child
from agents.citizen import Citizen
from agents.rows import AgentRows
from agents.states import ALL_LEVEL_KEYS, HOMELESS, LEVELS, Domain, level_key
from model.network import SocialNetwork
from model.params import ParameterError, Parameters
from model.pathways import PathwayEngine
from model.children import CHILD_KEYS, START as CHILDREN_START, Children
from model.demography import Demography
from model.population import DIED, EXITED, PENDING, synthesize, take_rows
from model.ledger import Ledger
from model.rng import RandomStreams, seed_entropy
from model.services import ServiceSystem


class ServiceHook(Protocol):
    """What the model asks of its service system (``model/services.py`` implements it)."""

    def effects(self) -> dict[str, dict[str, float]]: ...
    def feature_columns(self) -> dict[str, np.ndarray]: ...
    def gate(self, transition: str, who: np.ndarray) -> np.ndarray: ...
    def start_month(self, model: WelfareModel) -> np.ndarray | None:
        """The services' start of the month; returns who is held (domains x citizens,
        bool: no pathway move in that domain this month) or None for nobody."""
        ...

    def end_month(self, model: WelfareModel) -> None: ...


class NoServices:
    """No services modelled: every drawn move happens at once and costs nothing."""

    def effects(self) -> dict[str, dict[str, float]]:
        return {}

    def feature_columns(self) -> dict[str, np.ndarray]:
        return {}

    def gate(self, transition: str, who: np.ndarray) -> np.ndarray:
        return who

    def start_month(self, model: WelfareModel) -> np.ndarray | None:
        return None

    def end_month(self, model: WelfareModel) -> None:
        pass


class WelfareModel(mesa.Model):
    """Vulnerable citizens moving between life states, month by month.

    Args:
        params: a ``Parameters`` object, a shipped scenario name (``"baseline"``) or a
            path to a scenario TOML file.
        rng: the seed (int, ``numpy.random.SeedSequence`` or ``None`` for fresh entropy);
            every random draw of the run flows from it.
        services: the service system; by default the one the parameters describe
            (``NoServices`` until services are configured).
        **overrides: parameter changes by dotted path, e.g.
            ``WelfareModel(**{"population.size": 2000})``; validated like a scenario file.
            This is how ``mesa.batch_run`` and the dashboard pass parameters.
    """

    def __init__(self, params: str | Path | Parameters | None = "baseline", *, rng: Any = None,
                 services: ServiceHook | None = None, scenario: Any = None, **overrides: Any):
        # ``scenario`` is Mesa's own (experimental) keyword, passed by SolaraViz on Reset; unused.
        if isinstance(rng, str):  # a seed typed into a text box
            try:
                rng = int(rng.strip())
            except ValueError:
                raise ParameterError(f"seed = {rng!r}: must be a whole number >= 0") from None
        entropy = seed_entropy(rng)
        super().__init__(rng=entropy)
        base = Parameters.load(params)
        self.params = base.with_overrides(overrides, origin="model arguments") if overrides else base
        self.seed = entropy
        self.streams = RandomStreams(entropy)
        self.population = synthesize(self.params, self.streams)
        self.network = SocialNetwork.build(self.params, self.population.complexity, self.streams)
        #: one ``Citizen`` per row (index = row), made with its row or, for a row outside
        #: the target group, on first use (``agents/rows.py``)
        self.citizens: AgentRows[Citizen] = AgentRows(partial(_outside_mesa, self, Citizen))
        for i in range(self.population.n):
            self.citizens.append(Citizen(self, i))
        self.services: ServiceHook = services if services is not None else self._default_services()
        plan = getattr(self.services, "plan", None)
        self.ledger = Ledger(self.params, self.population.n,
                             shares={name: plan.shares(name) for name in plan.decisions} if plan else None)
        if hasattr(self.services, "start"):
            self.services.start(self.population)
        self.engine = PathwayEngine(self.params, self.services.effects())
        self.demography = (Demography(self.params, self.streams, self.population.n)
                           if self.params["demography.enabled"] else None)
        self.children: Children | None = None
        #: one ``Child`` agent per child (index = child), made on first use, not in ``model.agents``
        self.child_agents: AgentRows[Child] = AgentRows(partial(_outside_mesa, self, Child))
        if self.params["children.enabled"] and self.params["demography.enabled"]:
            self.children = Children(self.params, self.streams, self.population.n)
            self.children.add_families(self.population, np.arange(self.population.n), CHILDREN_START)
            self.children.burn_in(self.population)
            self._sync_children()
        self.month = 0
        self.occupancy: dict[str, int] = {}
        self._start_size = self.population.n
        self._count()
        self.datacollector = mesa.DataCollector(model_reporters=self._reporters())
        self.datacollector.collect(self)

    def _default_services(self) -> ServiceHook:
        return ServiceSystem.from_params(self.params, self.population.n, self.streams)

    # -- the monthly step ------------------------------------------------------------------
    def step(self) -> None:
        self.month += 1
        died = exited = new = np.zeros(0, dtype=np.int64)
        if self.demography is not None:
            died, exited, new = self.demography.start_month(self)
        reserved = joined = np.zeros(0, dtype=np.int64)
        if self.children is not None:
            reserved, joined = self.children.start_month(self, new)
        if died.size or exited.size or new.size or reserved.size or joined.size:
            self._apply_demography(died, exited, np.concatenate([new, reserved]), joined)
        if self.children is not None:
            self._sync_children()
        pop = self.population
        held = self.services.start_month(self)
        rows = pop.step_rows()  # the living (None: everyone): the dead make no move
        peers = self.engine.peer_matrix(pop, self.network)
        uniforms = [self.streams.uniform(f"pathway.{d.name.lower()}", self.month, pop.n) for d in Domain]
        choices = self.engine.choose(pop, peers, self.services.feature_columns(), rows, uniforms)
        del peers, uniforms  # a float64 per row and domain: not held through the month's end
        moves: list[tuple[Domain, np.ndarray, np.ndarray]] = []
        for d in Domain:
            choice = choices[d]
            if held is not None:  # changed at the start of the month: that was the move
                choice[take_rows(held[d], rows)] = -1
            who = np.flatnonzero(choice >= 0)
            if who.size == 0:
                continue
            chosen = choice[who]
            if rows is not None:
                who = rows[who]
            keep = np.ones(who.size, dtype=bool)
            for k in np.unique(chosen):
                sel = chosen == k
                allowed = self.services.gate(self.engine.transitions[k].name, who[sel])
                if allowed.size != np.count_nonzero(sel):
                    keep[np.flatnonzero(sel)] = np.isin(who[sel], allowed)
            moves.append((d, who[keep], self.engine.target[chosen[keep]]))
        for d, who, target in moves:
            pop.set_levels(d, who, target)
        pop.end_month()
        self.services.end_month(self)
        self._count()
        self.datacollector.collect(self)

    def _apply_demography(self, died: np.ndarray, exited: np.ndarray, new: np.ndarray,
                          joined: np.ndarray | None = None) -> None:
        """Tell everyone who keeps per-citizen state about the month's deaths, exits, new
        rows (newcomers, and grown-up children outside the target group) and joins
        (``model/demography.py`` and ``model/children.py`` have changed the population
        already). A row outside the target group (``PENDING``) has contacts, service and
        ledger room and a ``Citizen`` that is not among Mesa's agents until it joins."""
        gone = np.concatenate([died, exited])
        if gone.size:
            leave = getattr(self.services, "leave", None)
            if leave is not None:
                leave(gone)
            for i in gone.tolist():
                self.citizens[i].remove()
        if new.size:
            pop = self.population
            self.network.grow(pop.complexity, new, self.streams, self.month, self.params["network.homophily"])
            grow = getattr(self.services, "grow", None)
            if grow is not None:
                grow(pop.n)
            self.ledger.grow(pop.n)
            assert np.array_equal(new, np.arange(len(self.citizens), len(self.citizens) + new.size)), \
                "new rows come in order"
            for i, pending in zip(new.tolist(), (pop.status[new] == PENDING).tolist()):
                if pending:
                    self.citizens.defer()
                else:
                    self.citizens.append(Citizen(self, i))
            self.__dict__.pop("grid", None)  # Mesa's space is rebuilt on next use
        if joined is not None and joined.size:
            for i in joined:
                if self.citizens.made(i):
                    self.register_agent(self.citizens[i])
                else:
                    self.citizens.put(int(i), Citizen(self, int(i)))
            self.__dict__.pop("grid", None)

    def _sync_children(self) -> None:
        """Room in ``child_agents`` for new children: a child's ``Child`` agent is made on
        first use (``AgentRows``) and is not among Mesa's agents (``agents/child.py``)."""
        self.child_agents.defer(self.children.n - len(self.child_agents))

    # -- what is measured ---------------------------------------------------------------
    def _count(self) -> None:
        counts = self.population.counts()
        self.occupancy = {level_key(d, lv): int(counts[d][lv]) for d in Domain for lv in range(len(LEVELS[d]))}
        self.occupancy["homeless"] = int(sum(counts[Domain.HOUSING][h] for h in HOMELESS))
        pop = self.population
        self.occupancy["alive"] = int(pop.n if pop.all_alive else pop.living.size)  # ``counts`` made ``living``
        self.occupancy["died"] = int(np.count_nonzero(pop.status == DIED)) if not pop.all_alive else 0
        self.occupancy["exited"] = int(np.count_nonzero(pop.status == EXITED)) if not pop.all_alive else 0
        if self.children is not None:
            self.occupancy.update(self.children.counts())
        self.occupancy["entered"] = int(pop.n - self._start_size) if self.children is None else int(
            np.count_nonzero((pop.entered > 0) & (pop.status != PENDING)))

    def _reporters(self) -> dict[str, Any]:
        reporters: dict[str, Any] = {"month": "month"}
        for key in (*ALL_LEVEL_KEYS, *COHORT_KEYS, *(CHILD_KEYS if self.children is not None else ())):
            reporters[key] = partial(_occupancy, key=key)
        return reporters

    def occupancy_frame(self) -> pd.DataFrame:
        """Citizens in each level of each domain per month (from the DataCollector)."""
        return self.datacollector.get_model_vars_dataframe().set_index("month")

    def citizen_table(self) -> pd.DataFrame:
        """Agent-level snapshot, on demand: one row per citizen with every level by name."""
        pop = self.population
        data: dict[str, Any] = {"citizen": np.arange(pop.n)}
        for d in Domain:
            names = np.array([lv.name.lower() for lv in LEVELS[d]])
            data[d.name.lower()] = names[pop.levels[d]]
            data[f"months_in_{d.name.lower()}"] = pop.months_in_level[d]
        data.update(complexity=pop.complexity, age=pop.age, ever_prison=pop.ever_prison,
                    ever_homeless=pop.ever_homeless, months_homeless=pop.months_homeless,
                    status=np.array(["alive", "died", "exited"])[pop.status], entered=pop.entered, left=pop.left)
        return pd.DataFrame(data).set_index("citizen")

    # -- Mesa's space, built on first use (the hot path uses the sparse arrays) ------------------
    @cached_property
    def grid(self):
        """The social network as a Mesa ``Network`` space with every living citizen placed
        on its node (rebuilt after newcomers arrive). Built on first access: at 1M citizens it costs ~50 s and ~2 GB, which
        runs that never look at it should not pay."""
        from mesa.discrete_space import Network

        space = Network(self.network.to_networkx(), capacity=1, random=self.random, layout=None)
        for i in np.flatnonzero(self.population.alive):
            self.citizens[i].cell = space._cells[i]
        return space


#: Collected beside the levels: the living (the levels' counts add up to it), and so far
#: the dead, those who left at the exit age and the newcomers
COHORT_KEYS: tuple[str, ...] = ("homeless", "alive", "died", "exited", "entered")


def _outside_mesa(model: WelfareModel, kind: type, i: int):
    """The agent of row ``i`` made on first use (``AgentRows``), not among Mesa's agents."""
    agent = kind(model, i)
    model.deregister_agent(agent)
    return agent


def _occupancy(model: WelfareModel, key: str) -> int:
    """DataCollector reporter (used through ``functools.partial``, which pickles)."""
    return model.occupancy[key]
