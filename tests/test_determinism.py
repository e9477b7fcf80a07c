"""Same seed and parameters give the same run, bit for bit; common random numbers hold."""

import numpy as np
import pandas as pd

from agents import Domain, Housing
from model import WelfareModel
from model.welfare_model import NoServices
from tests.conftest import levels_history


def test_same_seed_same_results():
    a = WelfareModel(rng=42, **{"population.size": 1500})
    b = WelfareModel(rng=42, **{"population.size": 1500})
    ha, hb = levels_history(a, 24), levels_history(b, 24)
    assert np.array_equal(ha, hb)
    pd.testing.assert_frame_equal(a.occupancy_frame(), b.occupancy_frame())
    assert np.array_equal(a.network.edges, b.network.edges)


def test_different_seeds_differ():
    a = WelfareModel(rng=1, **{"population.size": 1500})
    b = WelfareModel(rng=2, **{"population.size": 1500})
    assert not np.array_equal(levels_history(a, 6), levels_history(b, 6))


def test_seed_sequence_children_give_distinct_reproducible_runs():
    kids = np.random.SeedSequence(7).spawn(2)
    a = WelfareModel(rng=kids[0], **{"population.size": 500})
    a2 = WelfareModel(rng=np.random.SeedSequence(7).spawn(2)[0], **{"population.size": 500})
    b = WelfareModel(rng=kids[1], **{"population.size": 500})
    assert np.array_equal(a.population.levels, a2.population.levels)
    assert not np.array_equal(a.population.levels, b.population.levels)


def test_common_random_numbers_changing_one_citizen_leaves_the_others_untouched():
    """Without peer effects and without services that ration places, citizens do not
    interact, so changing what happens to one citizen must leave every other citizen's
    whole trajectory identical."""
    kw = {"population.size": 2000, "network.enabled": False}
    a = WelfareModel(rng=9, services=NoServices(), **kw)
    b = WelfareModel(rng=9, services=NoServices(), **kw)
    b.population.complexity[7] = 3.0
    b.citizens[7].housing = Housing.STREET
    b.population.levels[Domain.SUBSTANCE, 8] = 1
    ha, hb = levels_history(a, 36), levels_history(b, 36)
    others = np.setdiff1d(np.arange(2000), [7, 8])
    assert np.array_equal(ha[:, :, others], hb[:, :, others])
    assert not np.array_equal(ha[:, :, 7], hb[:, :, 7])


def test_a_parameter_change_only_moves_citizens_it_touches():
    """Raising the eviction hazard for active users cannot change the housing path of
    anyone who is never an active user (no peers): CRN at work."""
    kw = {"population.size": 3000, "network.enabled": False}
    a = WelfareModel(rng=5, services=NoServices(), **kw)
    b = WelfareModel(rng=5, services=NoServices(), **kw, **{"pathways.housing.own_home_to_precarious.hr.substance_problematic": 6.0})
    ha, hb = levels_history(a, 24), levels_history(b, 24)
    never_user_a = (ha[:, Domain.SUBSTANCE] != 1).all(axis=0)
    never_user_b = (hb[:, Domain.SUBSTANCE] != 1).all(axis=0)
    untouched = never_user_a & never_user_b
    assert untouched.sum() > 1000
    assert np.array_equal(ha[:, :, untouched], hb[:, :, untouched])
