"""The pathway engine against known analytical results and the direction of effects."""

import numpy as np
import pytest

from agents import LEVELS, Domain
from model import Parameters, WelfareModel
from model.welfare_model import NoServices
from tests.conftest import constant_hazard_overrides


def test_constant_hazards_reproduce_the_analytical_markov_chain():
    """With peers, services and every modifier off, each domain is a Markov chain: the
    simulated occupancy at month t must match pi_0 T^t within sampling error."""
    n, months = 20000, 24
    model = WelfareModel(rng=11, services=NoServices(), **constant_hazard_overrides(n))
    model.run_for(months)
    frame = model.occupancy_frame()
    initial = Parameters.baseline().subtree("population.initial")
    worst = 0.0
    for d in Domain:
        names = [lv.name.lower() for lv in LEVELS[d]]
        pi = np.array([initial[d.name.lower()][k] for k in names])
        mat = model.engine.transition_matrix(d)
        assert np.allclose(mat.sum(axis=1), 1.0)
        for t in range(months + 1):
            observed = frame.loc[t, [f"{d.name.lower()}.{k}" for k in names]].to_numpy() / n
            se = np.sqrt(pi * (1 - pi) / n) + 1e-12
            z = np.abs(observed - pi) / se
            worst = max(worst, z.max())
            pi = pi @ mat
    # 19 levels x 25 months of (correlated) checks: |z| < 4.5 fails by chance < 0.1%
    assert worst < 4.5, f"largest deviation {worst:.2f} standard errors"


def test_transition_matrix_is_hand_computable():
    """Justice at base rates: prison->free 0.05, prison->probation 0.10 per month."""
    mat = WelfareModel(rng=1, **{"population.size": 10}).engine.transition_matrix(Domain.JUSTICE)
    p_leave = 1 - np.exp(-0.15)
    assert mat[1, 1] == pytest.approx(np.exp(-0.15))
    assert mat[1, 0] == pytest.approx(p_leave * 0.05 / 0.15)
    assert mat[1, 2] == pytest.approx(p_leave * 0.10 / 0.15)


def homeless_after(months: int, seed: int = 4, **overrides) -> int:
    model = WelfareModel(rng=seed, **{"population.size": 8000, **overrides})
    model.run_for(months)
    return model.occupancy["homeless"]


def test_raising_a_hazard_ratio_moves_occupancy_in_the_expected_direction():
    base = homeless_after(24)
    more_evictions = homeless_after(24, **{"pathways.housing.own_home_to_precarious.hr.substance_problematic": 6.0})
    fewer_exits = homeless_after(24, **{"pathways.housing.shelter_to_own_home.hr.substance_problematic": 0.2})
    assert more_evictions > base * 1.05
    assert fewer_exits > base


def test_employed_peers_raise_job_finding():
    def employed(hr: float) -> int:
        m = WelfareModel(rng=3, **{"population.size": 8000,
                                   "pathways.employment.benefits_to_employed.hr.peers_employment_employed": hr})
        m.run_for(36)
        return m.occupancy["employment.employed"]

    assert employed(10.0) > employed(1.0) * 1.05


def test_a_blocked_transition_never_happens():
    """hr = 0 blocks a move: nobody in prison finds a job."""
    m = WelfareModel(rng=2, **{"population.size": 4000,
                               "pathways.employment.benefits_to_employed.rate": 2.0})
    prisoners_on_benefits = (m.population.levels[Domain.JUSTICE] == 1) & (m.population.levels[Domain.EMPLOYMENT] == 1)
    before = m.population.levels.copy()
    m.step()
    still_in_prison = prisoners_on_benefits & (before[Domain.JUSTICE] == 1)
    assert still_in_prison.sum() > 10
    assert (m.population.levels[Domain.EMPLOYMENT, still_in_prison] != 0).all()
