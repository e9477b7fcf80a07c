"""Every citizen is in exactly one level of each domain, every month, and nobody is lost."""

import numpy as np

from agents import LEVELS, Citizen, Domain, Housing
from tests.conftest import levels_history


def test_every_citizen_in_exactly_one_level_per_domain_every_month(small_model):
    model = small_model(size=2000, seed=3)
    history = levels_history(model, 36)
    living = history[:, 0] >= 0  # -1: not in the target group that month (not yet entered, died, left)
    for d in Domain:
        assert ((history[:, d] >= 0) == living).all()  # in a level of every domain, or of none
        assert history[:, d].max() < len(LEVELS[d])
    frame = model.occupancy_frame()
    assert len(frame) == 37  # month 0 and 36 months
    assert (frame["alive"].to_numpy() == living.sum(axis=1)).all()
    for d in Domain:
        cols = [c for c in frame.columns if c.startswith(d.name.lower() + ".")]
        assert len(cols) == len(LEVELS[d])
        assert (frame[cols].sum(axis=1) == frame["alive"]).all(), f"{d.name}: population not conserved"
    # nobody is lost: the living, the dead, those who left = the start plus the newcomers
    assert (frame["alive"] + frame["died"] + frame["exited"] == 2000 + frame["entered"]).all()
    assert frame["died"].iloc[-1] > 0 and frame["entered"].iloc[-1] > 0


def test_homeless_count_is_the_sum_of_the_homeless_levels(small_model):
    model = small_model(size=1000)
    model.run_for(12)
    f = model.occupancy_frame()
    assert (f["homeless"] == f["housing.precarious"] + f["housing.shelter"] + f["housing.street"]).all()


def test_citizens_are_mesa_agents_whose_attributes_are_the_model_state(small_model):
    model = small_model(size=300)
    assert len(model.agents_by_type[Citizen]) == 300  # the citizens (their children's agents are not Mesa's: agents/child.py)
    assert all(isinstance(a, Citizen) for a in model.agents_by_type[Citizen])
    c = model.citizens[17]
    c.housing = Housing.STREET
    assert model.population.levels[Domain.HOUSING, 17] == Housing.STREET
    assert c.months_in(Domain.HOUSING) == 0
    assert c.ever_homeless
    model.step()
    assert c.housing == Housing(model.population.levels[Domain.HOUSING, 17])


def test_citizens_sit_on_the_social_network_as_a_mesa_space(small_model):
    model = small_model(size=200)
    grid = model.grid
    assert len(grid.all_cells) == 200
    c = model.citizens[5]
    assert c.cell is not None and c in c.cell.agents
    neighbour_ids = {a.idx for cell in c.cell.neighborhood for a in cell.agents}
    assert neighbour_ids == {p.idx for p in c.contacts}


def test_agent_level_table_on_demand(small_model):
    model = small_model(size=100)
    table = model.citizen_table()
    assert len(table) == 100
    assert set(table["housing"]) <= {h.name.lower() for h in Housing}
    assert np.array_equal(table["months_in_housing"].to_numpy(), model.population.months_in_level[Domain.HOUSING])


def test_the_starting_shares_match_the_parameters_and_big_cohorts_are_drawn_like_small_ones():
    """The cohort's level shares average ``population.initial`` (tilted by complexity,
    rescaled so the mean matches), and the chunked sums used for large cohorts add in the
    same order as one pass, so the shares are the same bits either way."""
    from model.params import Parameters
    from model.population import _initial_shares, _running_sum, _tilted_cumulative_shares

    params = Parameters.baseline()
    shares, loadings = _initial_shares(params)
    complexity = np.random.default_rng(5).standard_normal(30_000)
    cum = _tilted_cumulative_shares(shares, loadings, complexity)
    mean = np.diff(cum, axis=1, prepend=0.0).mean(axis=2)
    assert np.allclose(mean, shares, atol=1e-9)
    rng = np.random.default_rng(6)
    for shape in [(2, 3, 20_001), (1, 20_001), (1, 1, 9), (4, 1)]:  # one pair: numpy would sum it pairwise
        w = rng.random(shape) * 10.0 ** rng.uniform(-5, 5, shape)
        assert np.array_equal(_running_sum(w, chunk=97), np.cumsum(w, axis=-1)[..., -1]), shape
        assert np.array_equal(_running_sum(w), np.cumsum(w, axis=-1)[..., -1]), shape
    one_domain = _tilted_cumulative_shares(shares[2:3], loadings[2:3], complexity)
    assert np.array_equal(one_domain[0], cum[2])  # a domain alone = the same domain among all five
