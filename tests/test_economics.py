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
