"""Named populations: money for real persons, not for simulated citizens."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from model.params import ParameterError, Parameters
from model.populations import model_homeless_count, named_population, national_target_group, preset_names

KOMMUNER = {"kobenhavn": 1370, "aarhus": 509, "odense": 117, "esbjerg": 169, "horsens": 181, "vejle": 102}


def test_the_national_population_is_the_calibrated_target_group():
    pop = named_population(None)
    assert pop.key == "national" and named_population("national") == pop
    N = Parameters.baseline()["population.scale"] * 10_000
    assert pop.persons == pytest.approx(N) == national_target_group()
    assert pop.per_citizen(2000) == pytest.approx(N / 2000)  # the same persons, whatever the simulated size
    assert "5,989" in pop.basis


@pytest.mark.parametrize("key, count", KOMMUNER.items())
def test_a_kommune_preset_gives_the_kommunes_homeless_count_in_the_status_quo(key, count):
    pop = named_population(key)
    H, N_cal, _ = model_homeless_count()
    assert pop.homeless == count
    assert pop.persons * H / N_cal == pytest.approx(count)  # the model's homeless share x persons = the VIVE count
    assert pop.persons == pytest.approx(count * N_cal / H)  # = N x count / (the model's national homeless count)
    assert re.search(r"https://\S+", pop.source) and pop.year in (2019, 2022)


def test_presets_are_the_kommuner_and_the_nation_with_sources():
    assert preset_names() == ["national", *KOMMUNER]
    for key in preset_names():
        pop = named_population(key)
        assert "VIVE" in pop.source and pop.persons > 0


def test_names_are_forgiving_and_a_count_is_a_homeless_count():
    assert named_population("København").key == "kobenhavn" == named_population(" KOBENHAVN ").key
    by_count = named_population("1,370")
    assert by_count.persons == pytest.approx(named_population("kobenhavn").persons)
    assert named_population(800).persons == pytest.approx(named_population("800").persons)
    assert named_population(800).key == "count:800"


@pytest.mark.parametrize("bad", ["nowhere", "-5", "0", "nan", "1e9", True, [1]])
def test_a_bad_population_names_what_is_allowed(bad):
    with pytest.raises(ParameterError, match="national, kobenhavn, aarhus, odense, esbjerg, horsens, vejle"):
        named_population(bad)


def test_money_scales_with_the_population_and_per_person_figures_do_not():
    from model.compare import compare

    small = {"population.size": 1200, "governance.sizing": "fixed"}
    national = compare("baseline", "housing_first", replications=2, months=24, appraisal=False, **small)
    odense = compare("baseline", "housing_first", replications=2, months=24, appraisal=False, population="odense",
                     **small)
    ratio = named_population("odense").persons / named_population("national").persons
    assert odense.per_citizen == pytest.approx(named_population("odense").persons / 1200)
    for col in [("npv", "median"), ("pv_investment", "p90"), ("pv_capacity_freed", "median")]:
        np.testing.assert_allclose(odense.headline[col], national.headline[col] * ratio, rtol=1e-9)
    pd.testing.assert_frame_equal(odense.headline[[("bcr", "median"), ("payback_month", "median")]],
                                  national.headline[[("bcr", "median"), ("payback_month", "median")]])
    pd.testing.assert_frame_equal(odense.per_person, national.per_person)  # DKK per person: the same
    np.testing.assert_allclose(odense.som.to_numpy(), national.som.to_numpy() * ratio, rtol=1e-9)
    np.testing.assert_allclose(odense.outcomes.to_numpy(), national.outcomes.to_numpy() * ratio, rtol=1e-9)
    pd.testing.assert_frame_equal(odense.cost_per_outcome, national.cost_per_outcome)
    # per person in the target group = the simulated total / simulated citizens
    run = national.runs[0]
    assert national.per_person.loc["total", ("npv_per_person", "median")] == pytest.approx(
        np.median([r.headline.loc["total", "npv"] / 1200 for r in national.runs]))
    assert run.participants["housing_first"] > 0
    assert "Odense (" in odense.report() and f"{named_population('odense').persons:,.0f} persons" in odense.report()
