"""The synthetic population: arrays holding every citizen's state (struct of arrays).

``PopulationState`` is the single store of citizen state. The ``Citizen`` agents read
and write it through their properties; the pathway engine and the services act on whole
arrays at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.states import HOMELESS, LEVELS, Domain, Justice, domain_name, in_levels
from model.params import Parameters
from model.rng import RandomStreams

N_DOMAINS = len(Domain)


@dataclass
class PopulationState:
    """Every citizen's state. Index ``i`` is citizen ``i`` (``Citizen.idx``)."""

    #: level of each domain, shape (n_domains, n); ``levels[Domain.HOUSING, i]``
    levels: np.ndarray
    #: months already spent in the current level, shape (n_domains, n)
    months_in_level: np.ndarray
    #: latent personal complexity / vulnerability, standard normal
    complexity: np.ndarray
    #: age in years
    age: np.ndarray
    #: ever been in prison / ever been homeless (history)
    ever_prison: np.ndarray
    ever_homeless: np.ndarray
    #: count of prison spells started and total months homeless
    prison_spells: np.ndarray
    months_homeless: np.ndarray

    @property
    def n(self) -> int:
        return self.levels.shape[1]

    def counts(self) -> list[np.ndarray]:
        """Citizens in each level, per domain."""
        return [np.bincount(self.levels[d], minlength=len(LEVELS[d])) for d in Domain]

    def set_levels(self, domain: Domain, who: np.ndarray, new_levels: np.ndarray | int) -> None:
        """Move citizens ``who`` (indices) to ``new_levels`` in ``domain``; the clock of
        months-in-level restarts for those whose level actually changes, and history is
        updated. The one place where a level changes."""
        row = self.levels[domain]
        old = row[who]
        row[who] = new_levels
        changed = who[old != row[who]]
        self.months_in_level[domain, changed] = 0
        if domain == Domain.JUSTICE:
            entered = changed[row[changed] == Justice.PRISON]
            self.ever_prison[entered] = True
            np.add.at(self.prison_spells, entered, 1)
        elif domain == Domain.HOUSING:
            self.ever_homeless[changed[in_levels(row[changed], HOMELESS)]] = True

    def end_month(self) -> None:
        """Advance the clocks by one month (after all moves of the month)."""
        self.months_in_level += 1
        self.age += 1.0 / 12.0
        self.months_homeless += in_levels(self.levels[Domain.HOUSING], HOMELESS)


def synthesize(params: Parameters, streams: RandomStreams) -> PopulationState:
    """Draw the starting population: complexity first, then each domain's level with
    probabilities tilted towards the non-reference levels by complexity."""
    n = params["population.size"]
    rng = streams.generator("population")
    complexity = rng.standard_normal(n)
    age = np.clip(rng.normal(params["population.age_mean"], params["population.age_sd"], n), 18.0, 90.0)
    levels = np.empty((N_DOMAINS, n), dtype=np.int8)
    months = np.empty((N_DOMAINS, n), dtype=np.int32)
    initial = params.subtree("population.initial")
    for d in Domain:
        names = [lv.name.lower() for lv in LEVELS[d]]
        shares = np.array([initial[domain_name(d)][nm] for nm in names])
        loading = params[f"population.loading.{domain_name(d)}"]
        # tilt: level k's weight multiplied by exp(loading * z) for k > 0, then the
        # weights are rescaled so the population shares stay as given on average
        logw = np.log(np.maximum(shares, 1e-300))[None, :] + np.outer(complexity, np.r_[0.0, np.full(len(names) - 1, loading)])
        w = np.exp(logw - logw.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        # iterative proportional adjustment: match the marginal shares exactly in expectation
        for _ in range(30):
            adj = shares / np.maximum(w.mean(axis=0), 1e-300)
            w = w * adj[None, :]
            w /= w.sum(axis=1, keepdims=True)
        cum = np.cumsum(w, axis=1)
        u = rng.random(n)
        levels[d] = np.minimum((u[:, None] >= cum).sum(axis=1), len(names) - 1)
        # time already spent in the starting level: uniform 0-35 months (assumption)
        months[d] = rng.integers(0, 36, n)
    homeless = in_levels(levels[Domain.HOUSING], HOMELESS)
    ever_prison = levels[Domain.JUSTICE] != Justice.FREE
    return PopulationState(
        levels=levels,
        months_in_level=months,
        complexity=complexity,
        age=age,
        ever_prison=ever_prison.copy(),
        ever_homeless=homeless.copy(),
        prison_spells=ever_prison.astype(np.int32),
        months_homeless=np.where(homeless, months[Domain.HOUSING], 0).astype(np.int32),
    )
