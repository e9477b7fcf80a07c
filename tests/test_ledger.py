"""Every krone in exactly one budget holder and category; totals agree with citizens."""

import numpy as np
import pytest

from model import WelfareModel
from model.ledger import CATEGORY_KIND, accounts
from model.services import BUDGETS


@pytest.fixture(scope="module")
def model():
    m = WelfareModel("coordinated", rng=3, **{"population.size": 2000, "governance.sizing": "fixed",
                                             "services.housing_first.capacity": 20.0, "services.ips.capacity": 20.0,
                                             "governance.funding": "pooled"})
    m.run_for(24)
    return m


def test_every_account_is_one_budget_holder_and_one_category():
    accs = accounts()
    assert len(accs) == len(set(accs))
    assert all(b in BUDGETS for b, _ in accs)
    assert all(c in CATEGORY_KIND for _, c in accs)


def test_totals_agree_with_the_sum_over_citizens(model):
    led = model.ledger
    monthly = np.stack(led.monthly)
    assert np.allclose(monthly.sum(axis=0), led.citizen_total.sum(axis=1), rtol=1e-9, atol=1e-3)
    per_budget_citizens = np.stack(led.citizen_monthly).sum(axis=2)  # months x budgets
    assert np.allclose(per_budget_citizens, led.by_budget().to_numpy(), rtol=1e-5)
    tidy = led.frame()
    assert tidy.amount.sum() == pytest.approx(monthly.sum())
    assert len(tidy) == 24 * len(led.accounts)


def test_pooled_funding_splits_an_intervention_across_the_three_budgets(model):
    hf = model.ledger.frame().query("category == 'housing_first'").groupby("budget").amount.sum()
    total = hf.sum()
    assert total > 0
    shares = {"kommune": 0.5, "region": 0.25, "stat": 0.25}
    for b, share in shares.items():
        assert hf[b] == pytest.approx(total * share)


def test_ordinary_services_stay_with_their_owner(model):
    f = model.ledger.frame()
    psych = f[f.category == "psychiatry"].groupby("budget").amount.sum()
    assert psych.get("region", 0) > 0 and psych.drop("region", errors="ignore").abs().sum() == 0
    prison = f[f.category == "prison"].groupby("budget").amount.sum()
    assert set(prison[prison != 0].index) == {"stat"}


def test_work_brings_tax_revenue_and_costs_follow_the_state(model):
    f = model.ledger.frame()
    assert f[f.category == "tax_revenue"].amount.sum() < 0
    months_in_shelter = model.occupancy_frame()["housing.shelter"].iloc[1:].sum()
    shelter_cost = f[f.category == "shelter"].amount.sum()
    assert shelter_cost == pytest.approx(months_in_shelter * model.params["services.shelter.price"])


def test_wellbeing_is_kept_beside_the_money(model):
    led = model.ledger
    assert len(led.wellbeing_mean) == 24
    assert 0 < min(led.wellbeing_mean) <= max(led.wellbeing_mean) < 1
    assert "wellbeing" not in set(led.frame().category)


def test_one_citizens_costs_by_month_and_budget(model):
    costs = model.ledger.citizen_costs(5)
    assert list(costs.columns) == list(BUDGETS) and len(costs) == 24
    assert costs.to_numpy().sum() == pytest.approx(model.ledger.citizen_total[:, 5].sum(), rel=1e-5)
