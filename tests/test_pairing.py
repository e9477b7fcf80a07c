"""One pairing (``model.pairing.PairedModel``): a scenario and its counterfactual on
common random numbers, stepped together. Self-pairing is exactly zero, the arms start
from the same citizens, lockstep equals running apart, and the flows are the
``split_difference`` of the ledgers' difference, bit for bit."""

import numpy as np
import pandas as pd
import pytest

from model.economics import split_difference
from model.ledger import accounts
from model.pairing import ARMS, PairedModel
from model.population import stack_levels
from model.params import Parameters
from model.services import BUDGETS
from model.welfare_model import WelfareModel

SMALL = {"population.size": 600, "governance.sizing": "fixed"}


def _previous_difference(counterfactual: WelfareModel, scenario: WelfareModel) -> pd.DataFrame:
    """``compare.PairedRun.difference`` as it was before the pairing had its own module."""
    a, b = counterfactual.ledger.frame(), scenario.ledger.frame()
    keys = ["month", "budget", "category"]
    merged = b.merge(a, on=keys, how="outer", suffixes=("_scenario", "_baseline")).fillna(0.0)
    merged["amount"] = merged["amount_scenario"] - merged["amount_baseline"]
    return merged[keys + ["amount"]]


def test_a_self_pairing_differs_by_exactly_zero_in_every_budget_and_category():
    pair = PairedModel("coordinated", "coordinated", seed=7, **SMALL).run_for(18)
    assert pair.counterfactual is not None and pair.counterfactual is not pair.scenario  # really simulated
    diff = pair.difference()
    assert len(diff) == 18 * len(accounts())
    assert set(zip(diff.budget, diff.category)) == set(accounts())
    assert (diff.amount == 0).all()
    assert (pair.difference_by_citizen().amount == 0).all()
    assert (pair.flows().to_numpy() == 0).all()
    assert (pair.net_gain_by_budget() == 0).all()
    assert all(v == 0 for v in pair.outcomes().values())


def test_no_counterfactual_arm_means_zero_by_construction():
    pair = PairedModel("housing_first", None, seed=1, history=ARMS, **SMALL).run_for(3)
    assert pair.counterfactual is None and pair.identical
    assert pair.arm("counterfactual") is pair.scenario
    assert (pair.difference().amount == 0).all() and (pair.flows().to_numpy() == 0).all()
    np.testing.assert_array_equal(pair.levels("counterfactual"), pair.levels("scenario"))


def test_both_arms_see_identical_citizens_at_month_zero():
    pair = PairedModel("housing_first", "baseline", seed=11, history=ARMS, **SMALL)
    s, c = pair.scenario.population, pair.counterfactual.population
    assert pair.month == 0 and pair.scenario.seed == pair.counterfactual.seed
    assert s.n == c.n == 600
    np.testing.assert_array_equal(s.levels, c.levels)
    np.testing.assert_array_equal(s.complexity, c.complexity)
    np.testing.assert_array_equal(s.age, c.age)
    np.testing.assert_array_equal(pair.levels("scenario"), pair.levels("counterfactual"))
    # overrides apply to both arms; the scenario differs only where its file says so
    assert pair.counterfactual.params == Parameters.baseline().with_overrides(SMALL)


def test_one_seed_is_resolved_once_even_without_a_seed():
    pair = PairedModel("baseline", "baseline", seed=None, **SMALL)
    assert pair.scenario.seed == pair.counterfactual.seed
    seq = np.random.SeedSequence(3).spawn(2)[1]
    pair = PairedModel("baseline", "baseline", seed=seq, **SMALL)
    assert pair.scenario.seed == WelfareModel("baseline", rng=seq, **SMALL).seed


def test_stepping_together_equals_running_separately():
    months = 15
    pair = PairedModel("housing_first", "baseline", seed=5, history=ARMS, **SMALL).run_for(months)
    for arm, scenario in (("scenario", "housing_first"), ("counterfactual", "baseline")):
        alone = WelfareModel(scenario, rng=5, **SMALL)
        levels = [alone.population.living_levels()]
        for _ in range(months):
            alone.step()
            levels.append(alone.population.living_levels())
        model = pair.arm(arm)
        np.testing.assert_array_equal(np.stack(model.ledger.monthly), np.stack(alone.ledger.monthly))
        np.testing.assert_array_equal(model.ledger.citizen_total, alone.ledger.citizen_total)
        np.testing.assert_array_equal(model.ledger.citizen_monthly_array(), alone.ledger.citizen_monthly_array())
        np.testing.assert_array_equal(pair.levels(arm), stack_levels(levels))
        assert model.month == alone.month == months and model.time == alone.time
    assert not (pair.difference().amount == 0).all()  # the scenario does something


def test_flows_are_the_previous_pairing_flows_bit_for_bit():
    pair = PairedModel("coordinated", "baseline", seed=2, **SMALL)
    seen = []
    for _ in range(13):  # asked every month (the dashboard) and once at the end (compare)
        pair.step()
        seen.append(pair.flows().copy())
    previous = split_difference(_previous_difference(pair.counterfactual, pair.scenario))
    pd.testing.assert_frame_equal(pair.difference(), _previous_difference(pair.counterfactual, pair.scenario),
                                  check_exact=True)
    pd.testing.assert_frame_equal(pair.flows(), previous, check_exact=True)
    pd.testing.assert_frame_equal(seen[5], previous.loc[:6], check_exact=True)
    fresh = PairedModel("coordinated", "baseline", seed=2, **SMALL).run_for(13)
    pd.testing.assert_frame_equal(fresh.flows(), previous, check_exact=True)


def test_net_gain_by_budget_is_what_the_appraisal_computes():
    """The appraisal's pilot: with and without a service, the net gain per budget is the
    cost without minus the cost with, in ``BUDGETS`` order."""
    with_it = Parameters.baseline().with_overrides({**SMALL, "services.housing_first.capacity": 10.0}, origin="test")
    without = with_it.with_overrides({"services.housing_first.capacity": 0.0}, origin="test")
    months = 12
    costs = []
    for p in (with_it, without):  # as model/governance.py's appraisal runs its pilot
        m = WelfareModel(p, rng=9)
        m.run_for(months)
        costs.append(m.ledger.by_budget().sum().to_numpy())
    gain = PairedModel(with_it, without, seed=9).run_for(months).net_gain_by_budget()
    assert gain.shape == (len(BUDGETS),)
    np.testing.assert_array_equal(gain, costs[1] - costs[0])
    assert gain[BUDGETS.index("kommune")] != 0


def test_hooks_act_on_the_scenario_arm_between_months():
    calls = []
    pair = PairedModel("baseline", "baseline", seed=3, **SMALL,
                       before_step=[lambda p: calls.append(("before", p.month))],
                       after_step=[lambda p: calls.append(("after", p.month))])
    pair.run_for(2)
    assert calls == [("before", 0), ("after", 1), ("before", 1), ("after", 2)]


def test_wrapping_built_models_checks_they_are_a_pair():
    a = WelfareModel("baseline", rng=1, **SMALL)
    with pytest.raises(ValueError, match="share a seed"):
        PairedModel.from_models(a, WelfareModel("baseline", rng=2, **SMALL))
    with pytest.raises(ValueError, match="same citizens"):
        PairedModel.from_models(a, WelfareModel("baseline", rng=1, **{**SMALL, "population.size": 500}))
    pair = PairedModel.from_models(a, WelfareModel("coordinated", rng=1, **SMALL)).run_for(2)
    assert pair.month == a.month == pair.counterfactual.month == 2
    with pytest.raises(ValueError, match="unknown arm"):
        PairedModel("baseline", "baseline", seed=1, history=("baseline",), **SMALL)


def test_replications_report_progress_and_keep_their_order_on_any_executor():
    """``run_all`` (compare's and the contracts' replications): the same results in the
    jobs' order whether run serially or on an executor, and progress once per job."""
    from concurrent.futures import ThreadPoolExecutor

    from model.pairing import run_all

    jobs = list(range(7))
    for executor in (None, ThreadPoolExecutor(3)):
        seen = []
        assert run_all(lambda j: j * j, jobs, executor, lambda done, total: seen.append((done, total))) == \
            [j * j for j in jobs]
        assert seen == [(k, 7) for k in range(1, 8)]
