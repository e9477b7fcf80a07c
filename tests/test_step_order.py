"""The rules of the month's order (model/welfare_model.py docstring, model/services.py):

* one move per domain per month: a citizen whose level a service changed at the start of
  the month makes no pathway move in that domain that month;
* every admission is charged at least its first month;
* imprisonment ends a supported-housing place (housing becomes precarious).
"""

import numpy as np
import pytest

from agents import Domain, Housing, Justice, Mental
from model import WelfareModel
from model.ledger import SERVICE_CATEGORIES
from model.services import SERVICES

def crowded(size=3000, seed=1, **kw):
    """Waiting lists everywhere: the level services a little below their starting
    occupancy, and the programmes given places (set directly, whatever the funding rules)."""
    m = WelfareModel(rng=seed, **{"population.size": size, "governance.sizing": "fixed", **kw})
    services = m.services
    for name in ("psychiatry", "addiction_treatment", "supported_housing"):
        k = services.index[name]
        services.places[k] = int(services.enrolled[k].sum() * 0.95)
    for name, per_1000 in (("housing_first", 20), ("case_management", 10), ("cti", 10),
                           ("residential_treatment", 5)):
        services.places[services.index[name]] = per_1000 * size // 1000
    return m


def test_admitted_from_a_waiting_list_makes_no_pathway_move_in_that_domain_that_month():
    m = crowded()
    services, pop = m.services, m.population
    original = services.start_month
    record = {}

    def start_month(model):
        held = original(model)
        record["held"], record["after_start"] = held.copy(), pop.levels.copy()
        return held

    services.start_month = start_month
    held_total = 0
    for _ in range(24):
        m.step()
        held, after_start = record["held"], record["after_start"]
        for d in Domain:
            assert np.array_equal(pop.levels[d, held[d]], after_start[d, held[d]]), d
        held_total += int(held[Domain.MENTAL].sum())
    assert held_total > 50  # psychiatry admitted from its list, and those stayed put


def test_untreated_never_becomes_stable_in_one_month():
    """There is no untreated -> stable transition: untreated -> treatment -> stable in one
    month would be an admission from the waiting list followed by a pathway move."""
    m = crowded(seed=2)
    admitted = 0
    for _ in range(36):
        before = m.population.levels[Domain.MENTAL].copy()
        m.step()
        after = m.population.levels[Domain.MENTAL][:before.size]  # newcomers made no move yet
        assert not ((before == Mental.UNTREATED) & (after == Mental.STABLE)).any()
        admitted += m.services.stats[-1]["psychiatry"]["admitted"]
    assert admitted > 100


def test_every_admission_is_charged_at_least_its_first_month():
    """Through the routine (waiting lists, referrals, the gate) and through ``enroll``
    between months (trial emulation, contracts), prisoners included: every admitted
    citizen is enrolled at the end of the month of admission and the ledger books at
    least one month of the service's price for them."""
    m = crowded(size=4000)
    pop, services = m.population, m.services
    homeless_ill = np.flatnonzero(np.isin(pop.levels[Domain.HOUSING], (Housing.PRECARIOUS, Housing.SHELTER,
                                                                        Housing.STREET))
                                  & (pop.levels[Domain.MENTAL] != Mental.WELL))
    trial_arm = homeless_ill[::2]
    in_prison = pop.levels[Domain.JUSTICE, trial_arm] == Justice.PRISON
    assert trial_arm.size > 100 and in_prison.any()
    services.enroll("housing_first", trial_arm, pop)
    k_hf = services.index["housing_first"]
    enrolled_after, died = {}, {}
    for month in range(1, 37):
        m.step()
        # a citizen who dies at the start of the month of admission is never charged
        enrolled_after[month] = services.enrolled.copy() | ~pop.alive
        died[month] = pop.left == month
    assert enrolled_after[1][k_hf, trial_arm].all()
    checked = 0
    for month, name, who, _ in services.admissions:
        k = services.index[name]
        assert enrolled_after[month][k, who].all(), (month, name)
        checked += who.size
    assert checked > 1000
    costs = m.ledger.citizen_frame()
    for name in ("housing_first", "psychiatry", "addiction_treatment", "supported_housing", "cti"):
        # the service's own category and the law's refund of it (Housing First: §176a)
        categories = costs.columns.get_level_values("category").isin(SERVICE_CATEGORIES[name])
        booked = costs.loc[:, categories].sum(axis=1).to_numpy()
        admitted = [(w, np.full(w.size, mo)) for mo, s, w, _ in services.admissions if s == name]
        if name == "housing_first":
            admitted.append((trial_arm, np.ones(trial_arm.size, dtype=int)))
        who, month_of = (np.concatenate(x) for x in zip(*admitted))
        who = np.unique(who[pop.left[who] != month_of])  # not those who died at the start of it
        assert who.size > 0, name
        assert (booked[who] >= services.price[services.index[name]] - 1e-6).all(), name


@pytest.mark.parametrize("seed", [1, 2])
def test_imprisonment_ends_a_supported_housing_place(seed):
    m = WelfareModel(rng=seed, **{"population.size": 5000})
    pop, services = m.population, m.services
    k = services.index["supported_housing"]
    ended = 0
    for _ in range(48):
        inside = np.flatnonzero((pop.levels[Domain.HOUSING] == Housing.SUPPORTED)
                                & (pop.levels[Domain.JUSTICE] == Justice.PRISON))
        enrolled_before = int(services.enrolled[k].sum())
        m.step()
        # the month after imprisonment: no place, no home (held: no other housing move)
        assert (pop.levels[Domain.HOUSING, inside] == Housing.PRECARIOUS).all()
        assert not services.enrolled[k, inside].any()
        st = services.stats[-1]["supported_housing"]
        assert st["ended_at_imprisonment"] == inside.size
        # the places freed count for this month's admissions
        assert st["enrolled"] <= max(enrolled_before - inside.size, services.places[k]) + st["admitted"]
        ended += inside.size
    assert ended > 10
    adm = services.admissions_frame()
    assert (adm[adm.service == "supported_housing"].justice != "prison").all()  # prisoners are not admitted
    assert SERVICES["supported_housing"].imprisonment_ends_to == Housing.PRECARIOUS
