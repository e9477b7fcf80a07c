"""The law's money rules as data: vintages, the refund ladder, and the per-citizen clocks."""

import numpy as np
import pytest

from model import ParameterError, Parameters
from model.financing import (DAYS_PER_MONTH, VINTAGES, WEEKS_PER_MONTH, ladder_share, money_basis, rules_for,
                             rules_table)
from model.ledger import RefundClocks


def test_three_vintages_each_rule_with_a_named_source_and_a_link():
    assert set(VINTAGES) == {"pre2023", "2023", "2026"}
    assert Parameters.baseline()["financing.rules"] == "2023"
    assert rules_for(Parameters.baseline()) is VINTAGES["2023"]
    rows = rules_table()
    assert {r["rule"] for r in rows} == {"shelter", "housing_first", "kontanthjaelp", "housing_benefit"}
    for f in VINTAGES.values():
        for rule in f.rules:
            assert rule.sources and all(s.name and s.url.startswith("https://") for s in rule.sources), rule.key
    assert money_basis(Parameters.baseline()) == ("DKK in 2023 prices (net price index, Danmarks Statistik); "
                                                  "financing rules from 1 October 2023 (financing.rules = '2023')")
    with pytest.raises(ParameterError, match="financing.rules.*one of 'pre2023', '2023', '2026'"):
        Parameters.baseline().with_overrides({"financing.rules": "2019"})


def test_the_vintages_differ_where_the_law_changed():
    old, new, later = VINTAGES["pre2023"], VINTAGES["2023"], VINTAGES["2026"]
    assert old.shelter_refund == new.shelter_refund == later.shelter_refund == 0.5
    assert (old.shelter_refund_days, new.shelter_refund_days, later.shelter_refund_days) == (None, 120.0, 90.0)
    assert old.housing_first_refund == 0.0 and new.housing_first_refund == later.housing_first_refund == 0.5
    assert new.housing_first_refund_months == 24
    for f in VINTAGES.values():  # unchanged since 2016 / by the reform
        assert f.benefit_ladder == old.benefit_ladder
        assert (f.housing_benefit_state_share, f.housing_benefit_max_share_of_rent) == (0.5, 0.15)


def test_the_kontanthjaelp_ladder_by_month_on_benefits():
    share = ladder_share(np.arange(1, 16))
    # month 1 = weeks 0-4.35: 4 weeks at 80%, the rest at 40%
    assert share[0] == pytest.approx((4 * 0.8 + (WEEKS_PER_MONTH - 4) * 0.4) / WEEKS_PER_MONTH)
    assert share[1:5] == pytest.approx([0.4] * 4)
    assert share[6:11] == pytest.approx([0.3] * 5)
    assert share[12:] == pytest.approx([0.2] * 3)
    assert ladder_share(np.array([0])) == pytest.approx(share[0])  # month 0 counts as the first
    # the first year: 4 weeks at 80%, 22 at 40%, 26 at 30%, then 20%
    weeks = 12 * WEEKS_PER_MONTH
    assert (share[:12] * WEEKS_PER_MONTH).sum() == pytest.approx(4 * 0.8 + 22 * 0.4 + 26 * 0.3 + (weeks - 52) * 0.2)


def test_shelter_days_are_refunded_up_to_the_yearly_limit_per_citizen():
    months = 30
    for limit, refunded_months in ((120.0, 120.0 / DAYS_PER_MONTH), (90.0, 90.0 / DAYS_PER_MONTH), (None, 12.0)):
        clocks = RefundClocks(2)
        clocks.start(1, np.array([0, 0]))
        shares = []
        for t in range(1, months + 1):
            share, _ = clocks.shelter(t, np.array([True, False]), limit)
            shares.append(share)
        shares = np.array(shares)
        assert shares[:, 1].sum() == 0  # never in a shelter: nothing
        assert shares[:12, 0].sum() == pytest.approx(refunded_months)  # the first running year
        assert shares[12:24, 0].sum() == pytest.approx(refunded_months)  # a new running year at month 13
        assert ((shares >= 0) & (shares <= 1)).all()


def test_a_running_year_starts_at_the_first_month_in_a_shelter_and_lasts_twelve_months():
    clocks = RefundClocks(1)
    clocks.start(1, np.array([0]))
    inside = {3, 4, 5, 6, 9, 10, 15, 16}  # months 3-14 are one running year: 6 months used there
    got = {t: clocks.shelter(t, np.array([t in inside]), 120.0)[0][0] for t in range(1, 20)}
    assert [got[t] for t in (3, 4, 5)] == [1.0, 1.0, 1.0]
    assert got[6] == pytest.approx((120 - 3 * DAYS_PER_MONTH) / DAYS_PER_MONTH)
    assert got[9] == got[10] == 0.0  # still the year that began in month 3
    assert got[15] == got[16] == 1.0  # a new year began at the month-15 stay


def test_citizens_in_a_shelter_at_the_start_have_used_part_of_their_running_year():
    clocks = RefundClocks(3)
    clocks.start(1, np.array([20, 3, 0]))  # 20 months there: 8 months into their second year
    share, left = clocks.shelter(1, np.array([True, True, False]), 120.0)
    assert share[0] == 0.0  # 8 x 30.4 days used
    assert share[1] == pytest.approx((120 - 3 * DAYS_PER_MONTH) / DAYS_PER_MONTH)
    assert not left.any()
    _, left = clocks.shelter(2, np.array([False, True, False]), 120.0)
    assert left.tolist() == [True, False, False]


def test_housing_first_is_refunded_for_24_months_after_the_discharge_during_the_course():
    clocks = RefundClocks(3)
    # citizen 0: enrolled, leaves the shelter in month 3; citizen 1: left before enrolment;
    # citizen 2: enrolled, leaves in month 2, course ends at month 10 and restarts at 12 (no new discharge)
    refundable = []
    for t in range(1, 31):
        enrolled = np.array([True, t >= 5, t < 10 or t >= 12])
        left = np.array([t == 3, t == 2, t == 2])
        refundable.append(clocks.housing_first(t, enrolled, left, 24))
    r = np.array(refundable)
    assert r[:2, 0].sum() == 0 and r[2:26, 0].all() and not r[26:, 0].any()  # months 3..26
    assert not r[:, 1].any()
    assert r[1:9, 2].all() and not r[9:, 2].any()
