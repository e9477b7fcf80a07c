"""Who funds which intervention: the decision rules of model/governance.py on known
pilot results, and the appraisal as a reported analysis."""

from __future__ import annotations

import numpy as np
import pytest

from model.governance import InterventionAppraisal, decide, funding_plan
from model.params import Parameters
from model.services import SERVICES


def pilots(kommune, region, stat, cost=10e6, months=60):
    """An appraisal of IPS (a kommune service) from given per-pilot gains (DKK)."""
    gains = np.column_stack([kommune, region, stat]).astype(float)
    return InterventionAppraisal("ips", "kommune", gains, np.full(len(gains), cost), months, 3000)


def params(**gov):
    out = {"services.ips.capacity": 20.0}
    out.update({f"governance.{k}": v for k, v in gov.items()})
    return Parameters.baseline().with_overrides(out)


# Pilots where the kommune loses ~2m, the state gains ~4m: the whole purse pays back (the
# wrong pocket), and half of the 10m cost paid by the state turns the kommune's loss into a gain.
WRONG_POCKET = pilots([-2e6, -1e6, -3e6, 0.5e6, -2.5e6], [0, 0, 0, 0, 0], [4e6, 3e6, 5e6, 2e6, 4e6])


def test_siloed_kommune_refuses_what_pays_back_only_in_the_states_budget():
    d = decide(params(sizing="own_budget"), SERVICES["ips"], WRONG_POCKET)
    assert d.funded == 0.0 and d.shares == {"kommune": 1.0}
    assert "does not pay back in kommune's own budget" in d.reason and "P = 20%" in d.reason


def test_whole_purse_funds_it():
    d = decide(params(sizing="whole_purse"), SERVICES["ips"], WRONG_POCKET)
    assert d.funded == 20.0 and "P = 100%" in d.reason


def test_state_coinvestment_turns_the_kommunes_no_into_a_yes():
    d = decide(params(sizing="own_budget", funding="state_coinvest"), SERVICES["ips"], WRONG_POCKET)
    assert d.funded == 20.0
    assert d.shares == {"kommune": 0.5, "stat": 0.5}
    assert "the state co-invests 50%" in d.reason


def test_the_state_does_not_coinvest_where_the_whole_purse_loses():
    losing = pilots([-2e6] * 5, [0] * 5, [1e6] * 5)
    d = decide(params(sizing="own_budget", funding="state_coinvest"), SERVICES["ips"], losing)
    assert d.funded == 0.0 and d.shares == {"kommune": 1.0} and "no state co-investment" in d.reason
    always = decide(params(sizing="own_budget", funding="state_coinvest", coinvest_rule="always"),
                    SERVICES["ips"], losing)
    assert always.funded == 20.0 and always.shares == {"kommune": 0.5, "stat": 0.5}  # -2m + 5m >= 0


def test_a_pool_judges_on_the_whole_purse_and_splits_the_cost():
    d = decide(params(sizing="own_budget", funding="pooled"), SERVICES["ips"], WRONG_POCKET)
    assert d.funded == 20.0
    assert d.shares == pytest.approx({"kommune": 0.5, "region": 0.25, "stat": 0.25})


def test_one_noisy_pilot_does_not_decide():
    # four of five pilots pay back in the kommune's budget: funded, with P = 80% reported
    mostly = pilots([1e6, 2e6, -5e6, 1e6, 0.5e6], [0] * 5, [0] * 5)
    d = decide(params(sizing="own_budget"), SERVICES["ips"], mostly)
    assert d.funded == 20.0 and "P = 80%" in d.reason


def test_fixed_sizing_funds_what_the_scenario_states_without_an_appraisal():
    plan = funding_plan(params())
    assert plan.places["ips"] == 20.0 and plan.appraisals == {}
    assert plan.decisions["ips"].reason.startswith("funded as the scenario states")


@pytest.mark.slow
def test_endogenous_sizing_reports_its_decisions_with_bands():
    p = params(sizing="own_budget", appraisal_size=800, appraisal_months=24, appraisal_replications=3)
    plan = funding_plan(p)
    a = plan.appraisals["ips"]
    assert a.gains.shape == (3, 3) and (a.cost > 0).all()
    table = plan.appraisal_frame()
    assert set(table.budget) == {"kommune", "region", "stat", "whole purse"}
    assert ((table.p10 <= table["median"]) & (table["median"] <= table.p90)).all()
    assert plan.places["ips"] == (20.0 if a.pays_back("kommune") else 0.0)
    if plan.places["ips"] == 0:
        assert plan.warnings() and "ips gets 0 places" in plan.warnings()[0]
