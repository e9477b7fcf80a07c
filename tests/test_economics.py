"""Discounting, NPV, payback and the SØM table against hand-computed cash flows."""

import numpy as np
import pandas as pd
import pytest

from model.economics import (annual_rate, headline, month_factors, npv, payback_month, payback_year, som_table,
                             split_difference, who_pays_matrix, year_factors)


def test_the_danish_stepped_discount_rate():
    assert annual_rate(0) == 0.035 and annual_rate(35) == 0.035
    assert annual_rate(36) == 0.025 and annual_rate(70) == 0.025
    assert annual_rate(71) == 0.015
    f = year_factors(40)
    assert f[0] == 1.0
    assert f[1] == pytest.approx(1 / 1.035)
    assert f[36] == pytest.approx(1.035 ** -36)
    assert f[37] == pytest.approx(1.035 ** -36 / 1.025)


def test_npv_of_a_hand_computed_series():
    # 100 in each month of year 0, 100 in each month of year 1, 100 in each month of year 2
    flows = np.full(36, 100.0)
    expected = 1200 + 1200 / 1.035 + 1200 / 1.035 ** 2
    assert npv(flows) == pytest.approx(expected)
    assert month_factors(13)[12] == pytest.approx(1 / 1.035)


def test_payback_month_is_when_the_running_total_turns_positive_for_good():
    assert payback_month(np.array([-100, 30, 30, 30, 30])) == 5  # running total -100 -70 -40 -10 +20
    assert payback_month(np.array([-100, 30, 30, 30])) is None
    assert payback_month(np.array([-100, 150, -100, 100])) == 4  # dips back below zero at month 3
    assert payback_month(np.array([5, 5])) == 1
    assert payback_year(13) == 2 and payback_year(12) == 1 and payback_year(None) is None


def _diff(rows):
    return pd.DataFrame(rows, columns=["month", "budget", "category", "amount"])


def test_investment_and_return_per_budget_holder():
    # kommune spends 1,000 a month on Housing First; shelter costs fall 600 a month
    # (kommune) and police 300 (stat)
    rows = []
    for m in range(1, 25):
        rows += [(m, "kommune", "housing_first", 1000.0), (m, "kommune", "shelter", -600.0), (m, "stat", "police", -300.0)]
    flows = split_difference(_diff(rows))
    assert flows[("investment", "kommune")].sum() == 24000
    assert flows[("return", "kommune")].sum() == 24 * 600
    assert flows[("return", "stat")].sum() == 24 * 300
    assert flows[("net", "total")].sum() == -24 * 100
    som = som_table(flows)
    assert som.loc[("kommune", 1), "investment"] == 12000
    assert som.loc[("total", 2), "cumulative_net"] == -2400
    h = headline(flows)
    assert h.loc["kommune", "npv"] == pytest.approx(-400 * 12 * (1 + 1 / 1.035))
    assert h.loc["total", "bcr"] == pytest.approx(0.9)
    assert np.isnan(h.loc["total", "payback_month"])
    m = who_pays_matrix(flows)
    assert m.loc["kommune", "investment"] == 24000
    assert m.loc["kommune", "stat"] == pytest.approx(24 * 300)  # the only investor gets all savings
    assert m.loc["region", "total_return"] == 0


def test_payback_in_the_headline():
    rows = [(1, "kommune", "housing_first", 1200.0)] + [(m, "kommune", "shelter", -100.0) for m in range(1, 25)]
    h = headline(split_difference(_diff(rows)))
    assert h.loc["kommune", "payback_month"] == 12
    assert h.loc["kommune", "payback_year"] == 1


# -- SØM conventions: investment is the interventions' cost; cashable vs capacity freed -----------
def test_extra_service_use_is_a_consequence_never_an_investment():
    """A harmful scenario (more shelter nights, no intervention) has no investment: its extra
    shelter use is a negative return, as SØM books it."""
    rows = [(m, "kommune", "shelter", 500.0) for m in range(1, 13)]
    flows = split_difference(_diff(rows))
    assert flows[("investment", "total")].sum() == 0
    assert flows[("return", "kommune")].sum() == -6000
    assert headline(flows).loc["kommune", "npv"] == pytest.approx(-6000)
    assert np.isnan(headline(flows).loc["kommune", "bcr"])


def test_only_intervention_categories_are_investment():
    rows = [(1, "kommune", "housing_first", 1000.0), (1, "stat", "housing_first_refund", 400.0),
            (1, "region", "psychiatry", 300.0), (1, "kommune", "addiction_treatment", 200.0)]
    flows = split_difference(_diff(rows))
    assert flows.loc[1, ("investment", "kommune")] == 1000 and flows.loc[1, ("investment", "stat")] == 400
    assert flows.loc[1, ("investment", "region")] == 0  # extra psychiatry is a consequence
    assert flows.loc[1, ("return", "region")] == -300 and flows.loc[1, ("return", "kommune")] == -200


def test_a_freed_shelter_place_still_paid_is_capacity_freed_not_cash():
    """600 DKK less of occupied shelter, 600 more of funded places standing empty: the
    kommune saves nothing in cash; SØM's average prices count the 600 as saved."""
    rows = [(m, "kommune", "shelter", -600.0) for m in range(1, 13)] + \
           [(m, "kommune", "shelter_vacant", 600.0) for m in range(1, 13)]
    flows = split_difference(_diff(rows))
    assert flows[("return", "kommune")].sum() == 0
    assert flows[("capacity_freed", "kommune")].sum() == 12 * 600
    assert flows[("return_som", "kommune")].sum() == 12 * 600
    assert flows[("net_som", "total")].sum() == 12 * 600 and flows[("net", "total")].sum() == 0
    h = headline(flows)
    assert h.loc["kommune", "npv"] == 0 and h.loc["kommune", "npv_som"] == 12 * 600
    assert h.loc["kommune", "pv_capacity_freed"] == 12 * 600 and h.loc["kommune", "payback_year_som"] == 1
    som = som_table(flows)
    assert som.loc[("kommune", 1), "capacity_freed"] == 7200 and som.loc[("kommune", 1), "cumulative_net_som"] == 7200
    # a closed place is cash: less shelter and no vacant place
    closed = split_difference(_diff([(1, "kommune", "shelter", -600.0)]))
    assert closed[("return", "kommune")].sum() == 600 and closed[("capacity_freed", "kommune")].sum() == 0


def test_line_items_per_budget_category_and_year_and_the_break_even_year():
    from model.economics import break_even_year, line_items

    rows = [(m, "kommune", "housing_first", 100.0) for m in range(1, 25)] + \
           [(m, "kommune", "shelter", -150.0) for m in range(13, 25)] + [(5, "stat", "police", -30.0)]
    items = line_items(_diff(rows))
    assert list(items.columns) == [1, 2]
    assert items.loc[("kommune", "housing_first"), 1] == 1200 and items.loc[("kommune", "shelter"), 1] == 0
    assert items.loc[("kommune", "shelter"), 2] == -1800 and items.loc[("stat", "police"), 1] == -30
    assert break_even_year([-100, 50, 60]) == 3
    assert break_even_year([-100, 150, -100, 100]) == 4
    assert break_even_year([10, 10]) == 1 and break_even_year([-10, 5]) is None
    with pytest.raises(ValueError, match="unknown ledger categories"):
        split_difference(_diff([(1, "kommune", "no_such_category", 1.0)]))


@pytest.fixture(scope="module")
def paired_scenarios():
    from model.compare import paired_run

    small = {"population.size": 1500, "governance.sizing": "fixed"}
    return {name: paired_run("baseline", name, seed=5, months=24, **small)
            for name in ("eviction_risk_doubled", "housing_first")}


def test_a_harmful_scenario_invests_nothing(paired_scenarios):
    run = paired_scenarios["eviction_risk_doubled"]
    flows = run.flows()
    assert flows[("investment", "total")].sum() == 0
    assert flows[("net", "total")].sum() < 0  # it costs the public purse, as a consequence
    assert run.difference().query("category == 'shelter'").amount.abs().sum() > 0  # more shelter use, not invested


def test_housing_first_invests_exactly_its_housing_first_cost(paired_scenarios):
    from model.ledger import CATEGORY_KIND

    run = paired_scenarios["housing_first"]
    diff = run.difference()
    interventions = diff[diff.category.map(CATEGORY_KIND) == "intervention"]
    assert set(interventions.loc[interventions.amount != 0, "category"]) <= {"housing_first", "housing_first_refund"}
    hf_cost = interventions.amount.sum()
    assert hf_cost > 0
    assert run.flows()[("investment", "total")].sum() == pytest.approx(hf_cost)
    assert run.flows()[("investment", "region")].sum() == 0
