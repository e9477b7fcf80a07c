"""A living population: people die, leave at the pension age and newly vulnerable adults
enter; newcomers are the same people on the same random numbers in both arms."""

import os

import numpy as np
import pytest

from agents import Citizen, Domain, Housing, Mental, Substance
from model import Parameters, WelfareModel
from model.demography import general_mortality, hazard_ratio
from model.pairing import PairedModel
from model.population import ALIVE, DIED, EXITED, NOT_LIVING, PENDING


def test_nobody_is_lost_and_the_living_are_counted_in_every_domain():
    m = WelfareModel(rng=3, **{"population.size": 3000})
    m.run_for(48)
    pop, occ = m.population, m.occupancy_frame()
    assert occ["died"].iloc[-1] == (pop.status == DIED).sum() > 0
    outside = pop.status == PENDING  # grown-up children of the model, not in the target group
    assert occ["entered"].iloc[-1] == pop.n - 3000 - outside.sum() > 0
    assert ((pop.status == ALIVE) == pop.alive).all()
    assert (occ["alive"] + occ["died"] + occ["exited"] == 3000 + occ["entered"]).all()
    assert len(m.agents_by_type[Citizen]) == pop.alive.sum()  # the dead left Mesa's agents, newcomers joined
    assert all(c.alive for c in m.agents_by_type[Citizen]) and len(m.citizens) == pop.n
    assert ((pop.left >= 0) == (~pop.alive & ~outside)).all() and (pop.entered[3000:] >= 1).all()


def test_newcomers_are_the_same_people_on_the_same_numbers_in_both_arms():
    pair = PairedModel("housing_first", "baseline", seed=4, **{"population.size": 2000}).run_for(24)
    a, b = pair.scenario.population, pair.counterfactual.population
    assert a.n == b.n > 2000
    new = slice(2000, a.n)
    for field in ("complexity", "entered", "ever_prison"):
        np.testing.assert_array_equal(getattr(a, field)[new], getattr(b, field)[new])
    # the same contacts: tie formation never looks at who is alive in which arm
    np.testing.assert_array_equal(pair.scenario.network.edges, pair.counterfactual.network.edges)
    # a newcomer entered in the same levels in both arms (recorded the month they entered)
    entered = a.entered[new]
    la, lb = pair.scenario, pair.counterfactual
    assert (entered >= 1).all() and la.occupancy_frame()["entered"].equals(lb.occupancy_frame()["entered"])


def test_a_self_pairing_with_deaths_and_newcomers_differs_by_exactly_zero():
    pair = PairedModel("baseline", "baseline", seed=5, **{"population.size": 1500}).run_for(36)
    assert pair.scenario.occupancy["died"] > 0 and pair.scenario.occupancy["entered"] > 0
    assert (pair.difference()["amount"] == 0).all()
    assert all(v == 0 for v in pair.outcomes().values())


def test_the_dead_make_no_move_receive_no_service_and_cost_nothing():
    m = WelfareModel(rng=6, **{"population.size": 3000})
    m.run_for(24)
    pop, led = m.population, m.ledger
    dead = np.flatnonzero(pop.status == DIED)
    assert dead.size > 10
    levels, total = pop.levels[:, dead].copy(), led.citizen_total[:, dead].copy()
    m.run_for(12)
    np.testing.assert_array_equal(pop.levels[:, dead], levels)
    np.testing.assert_array_equal(led.citizen_total[:, dead], total)
    assert not m.services.enrolled[:, dead].any() and not m.services.waiting[:, dead].any()
    assert (m.population.living_levels()[:, dead] == NOT_LIVING).all()


def test_citizens_leave_at_the_exit_age_and_not_before():
    m = WelfareModel(rng=7, **{"population.size": 2000, "population.age_mean": 60.0})
    m.run_for(12)
    pop = m.population
    left = pop.status == EXITED
    assert left.sum() > 100
    assert (pop.age[pop.alive] < m.params["demography.exit_age"] + 1 / 12).all()  # leave at the next month's start
    assert (pop.age[left] >= m.params["demography.exit_age"]).all()


def test_excess_mortality_adds_up_over_the_states():
    p = Parameters.baseline()
    m = WelfareModel(p, rng=1, **{"population.size": 50})
    pop = m.population
    pop.levels[:, :] = 0
    pop.ever_homeless[:] = False
    pop.levels[Domain.HOUSING, 1] = Housing.STREET
    pop.ever_homeless[1] = True
    pop.levels[Domain.SUBSTANCE, 2] = Substance.PROBLEMATIC
    pop.levels[Domain.HOUSING, 3] = Housing.SHELTER
    pop.ever_homeless[3] = True
    pop.levels[Domain.SUBSTANCE, 3] = Substance.PROBLEMATIC
    pop.levels[Domain.MENTAL, 3] = Mental.UNTREATED
    hr = hazard_ratio(p, pop)
    r = {k: p[f"demography.mortality.hr.{k}"] for k in ("homeless", "formerly_homeless", "problematic_use",
                                                       "untreated_mental_illness")}
    assert hr[0] == 1.0
    assert hr[1] == pytest.approx(1 + (r["homeless"] - 1) + (r["formerly_homeless"] - 1))
    assert hr[2] == pytest.approx(r["problematic_use"])
    assert hr[3] == pytest.approx(1 + sum(v - 1 for v in r.values()))


def test_deaths_follow_the_gompertz_curve_with_every_ratio_at_one():
    """With every mortality ratio 1, no inflow and no exits, the deaths of a year are those
    of the general population at the cohort's ages (within 4 standard errors)."""
    overrides = {p: 1.0 for p in Parameters.baseline() if p.startswith("demography.mortality.hr.")}
    overrides.update({"population.size": 40000, "population.age_mean": 70.0, "population.age_sd": 5.0,
                      "demography.exit_age": 120.0, "demography.inflow.per_1000": 0.0})
    m = WelfareModel(rng=8, **overrides)
    age0 = m.population.age.copy()
    expected = variance = 0.0
    alive = np.ones(age0.size)
    for t in range(12):
        q = -np.expm1(-general_mortality(m.params, age0 + t / 12.0) / 12.0)
        expected += (alive * q).sum()
        variance += (alive * q * (1 - q)).sum()
        alive = alive * (1 - q)
    m.run_for(12)
    died = m.occupancy["died"]
    assert abs(died - expected) < 4 * np.sqrt(variance), (died, expected)


def test_without_demography_the_cohort_is_closed():
    m = WelfareModel(rng=9, **{"population.size": 1000, "demography.enabled": False})
    m.run_for(24)
    assert m.population.n == 1000 and m.population.alive.all() and m.demography is None


def test_homeless_spells_are_recorded_with_their_lengths():
    m = WelfareModel(rng=10, **{"population.size": 3000})
    m.run_for(36)
    spells = m.population.spell_frame()
    # a spell lasts at least a month, except one a citizen brought into the group and left
    # in their first month (a newcomer or a grown-up child joining homeless: under a month)
    at_entry = spells["begun"].to_numpy() == m.population.entered[spells["citizen"].to_numpy()] - 1
    assert len(spells) > 100 and ((spells["months"] >= 1) | at_entry).all() and (spells["months"] >= 0).all()
    started_here = spells[spells["begun"] >= 0]
    assert (started_here["ended"] <= 36).all()
    # a spell's months are months homeless: per citizen, the spells begun in the run add up
    # to at most the months homeless
    pop = m.population
    per = started_here.groupby("citizen")["months"].sum()
    assert (per.to_numpy() <= pop.months_homeless[per.index.to_numpy()]).all()
    # and a spell ends only by leaving homelessness: its citizen is housed or homeless again later
    assert per.size > 50


def test_comparisons_report_deaths_and_life_years():
    pair = PairedModel("housing_first", "baseline", seed=2, **{"population.size": 1500}).run_for(12)
    out = pair.outcomes()
    assert {"deaths", "life_years", "qaly"} <= set(out)
    occ_a, occ_b = pair.scenario.occupancy_frame(), pair.counterfactual.occupancy_frame()
    assert out["deaths"] == occ_a["died"].iloc[-1] - occ_b["died"].iloc[-1]
    assert out["life_years"] == pytest.approx((occ_a["alive"].iloc[1:].sum() - occ_b["alive"].iloc[1:].sum()) / 12)


# -- per-citizen arrays grow with the population ------------------------------------------------
def _resident_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_growing_arrays_keep_old_rows_and_fill_new_ones():
    from model.population import extend, zeros_with_room

    a = zeros_with_room((3, 10), dtype=np.int64)
    a[:] = np.arange(30).reshape(3, 10)
    b = extend(a, 15, -1)
    assert b.shape == (3, 15) and np.shares_memory(a, b)  # grown into the room, no copy
    np.testing.assert_array_equal(b[:, :10], a)
    assert (b[:, 10:] == -1).all()
    # room that holds values (written through the buffer) is still filled: a zero fill is
    # skipped only where the room already holds zeros
    b.base[:, 15:20] = 7
    c = extend(b, 20, 0)
    assert (c[:, 15:] == 0).all() and np.shares_memory(b, c)
    # past the room: a copy with room for a quarter more, the rows along the first axis too
    edges = extend(np.arange(8).reshape(4, 2), 10, 0, axis=0)
    assert edges.shape == (10, 2) and (edges[:4] == np.arange(8).reshape(4, 2)).all() and (edges[4:] == 0).all()
    assert edges.base.shape[0] >= 10 + 10 // 4
    # a view into the middle of a buffer with room is not taken for a prefix of it
    buffer = zeros_with_room((10,))
    middle = buffer.base[2:8]
    middle[:] = np.arange(6)
    longer = extend(middle, 9, -1)
    assert not np.shares_memory(longer, buffer) and (longer == [0, 1, 2, 3, 4, 5, -1, -1, -1]).all()
    assert (buffer.base[:2] == 0).all() and (buffer.base[8:] == 0).all()


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the resident memory from /proc")
def test_rows_that_are_never_booked_cost_no_memory():
    """The ledger's accounts are a (accounts x citizens) array with room: rows added for
    new citizens in accounts nobody books must stay untouched pages. Writing their zeros
    made ~200 MB resident at a million citizens in the first month."""
    from model.population import extend, zeros_with_room

    accounts = zeros_with_room((100, 200_000))
    before = _resident_mb()
    grown = extend(accounts, 250_000, 0.0)  # 100 accounts x 50,000 rows = 40 MB of zeros
    assert _resident_mb() - before < 8
    grown = extend(grown, 400_000, 0.0)  # past the room: the old rows are copied, the new ones not
    assert grown.shape == (100, 400_000) and not grown[:, 200_000:].any()


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the resident memory from /proc")
def test_copying_grown_accounts_leaves_the_unbooked_ones_unwritten():
    from model.population import extend

    accounts = np.zeros((100, 200_000))
    accounts[3] = 1.5  # one booked account
    before = _resident_mb()
    grown = extend(accounts, 300_000, 0.0)  # a copy: 100 x 300,000 float64 = 229 MB if all were written
    assert _resident_mb() - before < 20
    assert not np.shares_memory(grown, accounts) and (grown[3, :200_000] == 1.5).all()
    assert not grown[3, 200_000:].any() and not np.delete(grown, 3, axis=0).any()
