"""Services: capacity, waiting lists, silo rules, and what governance changes."""

import numpy as np
import pandas as pd
import pytest

from agents import Domain, Substance
from model import WelfareModel

FIXED = {"governance.sizing": "fixed"}


def run(months=36, seed=1, size=3000, params="baseline", **kw):
    m = WelfareModel(params, rng=seed, **{"population.size": size, **FIXED, **kw})
    m.run_for(months)
    return m


def test_siloed_psychiatry_never_admits_an_active_user_but_coordinated_does():
    siloed = run().services.admissions_frame()
    coordinated = run(params="coordinated").services.admissions_frame()
    psy_s = siloed[siloed.service == "psychiatry"]
    psy_c = coordinated[coordinated.service == "psychiatry"]
    assert len(psy_s) > 50
    assert (psy_s.substance != "problematic").all()
    assert (psy_c.substance == "problematic").sum() > 10


def test_siloed_addiction_treatment_refuses_untreated_mental_illness():
    adm = run().services.admissions_frame()
    add = adm[adm.service == "addiction_treatment"]
    assert len(add) > 50 and (add.mental != "untreated").all()


def test_integrated_team_exists_only_under_coordinated_governance():
    siloed, coord = run(), run(params="coordinated")
    k = siloed.services.index["dual_diagnosis"]
    assert siloed.services.places[k] == 0 and not siloed.services.enrolled[k].any()
    assert coord.services.enrolled[k].sum() > 0


def test_coordinated_admission_refers_the_other_problem():
    st = run(params="coordinated").services.stats_frame()
    assert st["cross_referred"].sum() > 0
    assert run().services.stats_frame()["cross_referred"].sum() == 0


def test_capacity_is_never_exceeded_and_waiting_lists_stay_within_the_population():
    m = run(months=48, size=2000, **{"services.shelter.capacity": 30.0, "services.addiction_treatment.capacity": 60.0})
    st = m.services.stats_frame()
    limited = st[st.places >= 0]
    assert (st.waiting <= 2000).all()
    # starting occupancy may exceed a small capacity; then nobody is admitted until below it
    for service, g in limited.groupby(level="service"):
        enrolled, peak = g.enrolled.to_numpy(), g.peak_enrolled.to_numpy()
        places = g.places.iloc[-1]
        for t in range(1, len(enrolled)):
            # after any admission the service holds no more than its places (or, if it
            # started over capacity, no more than it already had)
            assert peak[t] <= max(places, enrolled[t - 1]), service
            assert enrolled[t] <= max(places, enrolled[t - 1]), service
    shelter = st.xs("shelter", level="service")
    assert shelter.refused.sum() > 0  # a full shelter turns people away


def test_waiting_list_drop_out_and_waiting_time_are_recorded():
    st = run(months=36, **{"services.addiction_treatment.capacity": 60.0}).services.stats_frame()
    add = st.xs("addiction_treatment", level="service")
    assert add.waiting.max() > 0
    assert add.dropped_out.sum() > 0


def test_zero_capacity_means_nobody_is_served():
    m = run(**{"services.job_centre.capacity": 0.0})
    assert not m.services.enrolled[m.services.index["job_centre"]].any()
    assert m.ledger.frame().query("category == 'job_centre'").amount.sum() == 0


@pytest.mark.parametrize("service, effects", [
    ("housing_first", ["housing.precarious_to_own_home", "housing.shelter_to_own_home", "housing.street_to_precarious",
                       "housing.own_home_to_precarious", "substance.problematic_to_treatment", "mental.untreated_to_treatment"]),
    ("ips", ["employment.benefits_to_employed", "employment.outside_to_benefits"]),
])
def test_a_service_with_no_effect_and_no_price_leaves_the_run_bit_identical(service, effects):
    base = run(months=30)
    inert = {f"services.{service}.capacity": 40.0, f"services.{service}.price": 0.0,
             **{f"services.{service}.effects.{e}": 1.0 for e in effects}}
    other = run(months=30, **inert)
    assert other.services.enrolled[other.services.index[service]].sum() > 0  # it did serve people
    assert np.array_equal(base.population.levels, other.population.levels)
    pd.testing.assert_frame_equal(base.occupancy_frame(), other.occupancy_frame())
    pd.testing.assert_frame_equal(base.ledger.frame(), other.ledger.frame())


def test_housing_first_houses_people():
    base = run(months=24, size=4000)
    hf = run(months=24, size=4000, **{"services.housing_first.capacity": 20.0})
    assert hf.occupancy["homeless"] < base.occupancy["homeless"] - 20


def test_treatment_levels_are_entered_only_through_services():
    m = run(months=24)
    adm = m.services.admissions_frame()
    entered = adm[adm.service == "addiction_treatment"]
    # everyone admitted was in problematic use when admitted (waiting list or referral)
    assert (entered.substance == "problematic").all()
    assert (m.population.levels[Domain.SUBSTANCE] == Substance.TREATMENT).sum() == \
        m.services.enrolled[m.services.index["addiction_treatment"]].sum() + \
        (m.services.enrolled[m.services.index["dual_diagnosis"]] & (m.population.levels[Domain.SUBSTANCE] == Substance.TREATMENT)).sum()
