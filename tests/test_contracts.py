"""Outcome contracts: investors, payers and providers; deadweight and cream-skimming."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.states import Domain, Housing, Justice, Substance, Employment
from model import ParameterError, Parameters
from model.contracts import ContractTerms, OutcomeTerm, irr, money_multiple, npv, settle_payments, simulate
from runs.contract import FILES, run_contract

#: A small Housing First bond: 40 homeless citizens with complex needs out of ~200
#: eligible in a population of 2,000, two years, a London-like rate card.
BOND = {
    "population.size": 2000, "governance.sizing": "fixed",
    "contract.enabled": True, "contract.service": "housing_first", "contract.horizon_months": 24,
    "contract.cohort.size": 40, "contract.payment.baseline": "none", "contract.payment.cap": 50_000_000.0,
    "contract.outcomes.housed.price": 100_000.0, "contract.outcomes.sober.price": 40_000.0,
    "contract.outcomes.employed.price": 60_000.0,
    "contract.finance.investor_capital": 3_000_000.0, "contract.finance.provider_cost": 8954.0,
    "contract.finance.provider_fee": 0.1, "contract.finance.guarantee": 0.0,
}


def bond(**changes) -> Parameters:
    return Parameters.baseline().with_overrides({**BOND, **changes}, origin="test")


def no_effect() -> dict:
    """Housing First that changes nothing: every hazard ratio it carries is 1."""
    return {p: 1.0 for p in Parameters.baseline() if p.startswith("services.housing_first.effects.")}


# -- the investor's arithmetic, against hand computation -----------------------------------
def monthly(*flows_at: tuple[int, float]) -> np.ndarray:
    flows = np.zeros(max(m for m, _ in flows_at) + 1)
    for m, amount in flows_at:
        flows[m] += amount
    return flows


def test_irr_and_npv_of_known_cash_flows_match_hand_computation():
    # 100 in, 110 back a year later: 10% a year; worth nothing more at 10%, 4.76 at 5%
    one_year = monthly((0, -100.0), (12, 110.0))
    assert irr(one_year) == pytest.approx(0.10, abs=1e-9)
    assert npv(one_year, 0.10) == pytest.approx(0.0, abs=1e-9)
    assert npv(one_year, 0.05) == pytest.approx(-100 + 110 / 1.05, abs=1e-9)
    # 100 in, 60 back after one and after two years: 60x^2 + 60x - 100 = 0, x = 1/(1+r)
    x = (-60 + math.sqrt(60**2 + 4 * 60 * 100)) / (2 * 60)
    two_years = monthly((0, -100.0), (12, 60.0), (24, 60.0))
    assert irr(two_years) == pytest.approx(1 / x - 1, abs=1e-9)  # 13.07% a year
    assert money_multiple(two_years) == pytest.approx(1.2)
    # half a year at 1% a month compounds to 1.01^12 - 1 a year
    assert irr(monthly((0, -100.0), (6, 100 * 1.01**6))) == pytest.approx(1.01**12 - 1, abs=1e-9)
    # capital that never comes back: -100%; no money in: no rate of return
    assert irr(monthly((0, -100.0), (24, 0.0))) == -1.0
    assert math.isnan(irr(monthly((0, 0.0), (12, 0.0))))


# -- payments: never beyond the cap, never for an outcome not achieved ------------------------
def card(baseline: str, cap: float) -> ContractTerms:
    terms = ContractTerms.from_params(bond())
    return replace(terms, baseline=baseline, cap=cap, horizon=24,
                   outcomes=(OutcomeTerm("housed", 100_000.0, 12, 0.3), OutcomeTerm("employed", 60_000.0, 6, 0.1)))


achievement = st.lists(st.integers(min_value=-1, max_value=24), min_size=30, max_size=30)


@settings(max_examples=60, deadline=None)
@given(housed=achievement, employed=achievement, housed_cf=achievement, employed_cf=achievement,
       baseline=st.sampled_from(["none", "historical", "counterfactual"]),
       cap=st.floats(min_value=0.0, max_value=5_000_000.0))
def test_the_payer_never_pays_beyond_the_cap_nor_for_what_was_not_achieved(housed, employed, housed_cf, employed_cf,
                                                                           baseline, cap):
    citizens = np.arange(100, 130)
    achieved = {"housed": np.array(housed), "employed": np.array(employed)}
    counterfactual = {"housed": np.array(housed_cf), "employed": np.array(employed_cf)}
    pay = settle_payments(card(baseline, cap), citizens, achieved, counterfactual)
    assert pay["amount"].sum() <= cap + 1e-6
    uncapped = settle_payments(card(baseline, math.inf), citizens, achieved, counterfactual)
    assert pay["amount"].sum() == pytest.approx(min(cap, uncapped["amount"].sum()))
    assert not pay.duplicated(["citizen", "outcome"]).any()  # each outcome is paid once per member
    for row in pay.itertuples():
        when = achieved[row.outcome][row.citizen - 100]
        assert 0 <= when <= row.month  # achieved, and not after it was paid for
    if baseline == "counterfactual":  # never more outcomes than the counterfactual was ever behind by
        for name in achieved:
            ahead = [(achieved[name][achieved[name] >= 0] <= t).sum() - (counterfactual[name][counterfactual[name] >= 0] <= t).sum()
                     for t in range(25)]
            assert (uncapped["outcome"] == name).sum() == max(0, *ahead)


def test_every_payment_in_a_simulated_bond_pays_for_an_outcome_the_member_achieved():
    run = simulate(bond(**{"contract.outcomes.no_reconviction.price": 30_000.0,
                           "contract.payment.cap": 4_000_000.0}), seed=3)
    pay = run.payments()
    assert len(pay) > 10 and pay["amount"].sum() <= 4_000_000.0
    months = {o.name: o.months for o in run.terms.outcomes}
    for row in pay.itertuples():
        start, m, lv = run.recruited[row.citizen], row.month, run.history[:, :, row.citizen]
        assert start >= 0, "paid for someone outside the cohort"
        if row.outcome == "no_reconviction":
            assert m == start + months["no_reconviction"]
            assert not any(lv[t, Domain.JUSTICE] == Justice.PRISON != lv[t - 1, Domain.JUSTICE]
                           for t in range(start + 1, m + 1))
            continue
        held = range(m - months[row.outcome] + 1, m + 1)
        assert held.start > start, "months before recruitment counted"
        good = {"housed": lambda t: lv[t, Domain.HOUSING] in (Housing.OWN_HOME, Housing.SUPPORTED),
                "sober": lambda t: lv[t, Domain.SUBSTANCE] in (Substance.NONE, Substance.RECOVERY),
                "employed": lambda t: lv[t, Domain.EMPLOYMENT] == Employment.EMPLOYED}[row.outcome]
        assert all(good(t) for t in held), f"{row.outcome} paid for citizen {row.citizen} who did not hold it"


# -- a zero-effect intervention ---------------------------------------------------------------
@pytest.fixture(scope="module")
def zero_effect_run():
    return simulate(bond(**no_effect()), seed=1)


def test_a_zero_effect_bond_pays_only_deadweight_when_paid_without_a_baseline(zero_effect_run):
    run = zero_effect_run
    s = run.summary()
    assert s.metrics["outcome_payments"] > 0
    assert s.metrics["deadweight"] == pytest.approx(s.metrics["outcome_payments"])
    assert s.metrics["deadweight_share"] == pytest.approx(1.0)
    assert s.payments["also_in_counterfactual"].all()  # every member paid for succeeds anyway
    # nothing changes for the public budgets but the payments themselves
    flows = s.flows
    assert np.allclose(flows[["region", "stat"]], 0.0)
    assert np.allclose(flows["kommune"], -flows["outcome_payments"])


def test_a_zero_effect_bond_with_a_counterfactual_baseline_loses_the_investor_its_capital_less_the_guarantee(
        zero_effect_run):
    run = zero_effect_run
    run = replace(run, terms=replace(run.terms, baseline="counterfactual", capital=2_000_000.0, guarantee=500_000.0))
    s = run.summary()
    assert s.metrics["delivery_costs"] > 2_000_000.0  # the capital is spent on delivery
    assert s.metrics["outcome_payments"] == 0
    assert s.metrics["investor_net"] == pytest.approx(-(2_000_000.0 - 500_000.0))
    assert s.metrics["guarantee_used"] == pytest.approx(500_000.0)
    assert s.metrics["investor_loss"]
    # the provider carries the delivery costs beyond the capital
    assert s.metrics["provider_net"] == pytest.approx(-(s.metrics["delivery_costs"] - 2_000_000.0))


def test_every_krone_paid_goes_to_someone():
    s = simulate(bond(**{"contract.finance.guarantee": 1_000_000.0}), seed=2).summary()
    f = s.flows
    private = f["investor"] + f["provider"] + f["guarantor"]
    assert np.allclose(private.cumsum().iloc[-1], (f["outcome_payments"] - f["delivery_costs"]).sum())
    payer_pays = f["kommune"] - (f["public_purse"] - f["region"] - f["stat"])
    assert np.allclose(payer_pays, 0.0)
    assert f["public_purse"].sum() == pytest.approx(s.metrics["public_purse_net"])


# -- cream-skimming -----------------------------------------------------------------------------
def test_provider_selection_raises_the_creaming_index_and_the_deadweight_on_the_same_seed():
    open_referral = simulate(bond(**{"contract.cohort.referral": "open"}), seed=3).summary().metrics
    selected = simulate(bond(**{"contract.cohort.referral": "provider_selection"}), seed=3).summary().metrics
    assert open_referral["eligible"] == selected["eligible"] > 2 * BOND["contract.cohort.size"]
    assert abs(open_referral["creaming_index"]) < 0.3  # a random sample looks like those eligible
    assert selected["creaming_index"] > open_referral["creaming_index"] + 0.5
    assert selected["complexity_served"] < open_referral["complexity_served"]
    assert selected["deadweight"] > open_referral["deadweight"]


# -- input and the command ------------------------------------------------------------------------
def test_contract_terms_are_checked_like_any_parameter(tmp_path):
    with pytest.raises(ParameterError, match="contract.enabled = false"):
        ContractTerms.from_params(Parameters.baseline())
    with pytest.raises(ParameterError, match="no outcome has a price"):
        ContractTerms.from_params(bond(**{f"contract.outcomes.{o}.price": 0.0 for o in ("housed", "sober", "employed")}))
    path = tmp_path / "bad.toml"
    path.write_text('[contract.cohort]\nreferral = "cherry_picking"\n')
    with pytest.raises(ParameterError, match=r"contract\.cohort\.referral = 'cherry_picking': not allowed; "
                                             r"expected one of 'open', 'provider_selection'"):
        Parameters.load(path)


@pytest.mark.parametrize("scenario", ["contract_reoffending", "contract_rough_sleeping", "contract_youth_homelessness",
                                      "contract_rough_sleeping_selected"])
def test_shipped_contract_scenarios_are_valid_contracts(scenario):
    terms = ContractTerms.from_params(Parameters.load(scenario))
    assert terms.outcomes and terms.recruitment_months < terms.horizon


def test_run_contract_prints_the_table_and_writes_the_files_the_same_serially_or_in_parallel(tmp_path, capsys):
    small = {k: v for k, v in BOND.items() if k.startswith(("population", "governance", "contract.horizon",
                                                            "contract.cohort.size"))}
    a = run_contract("contract_youth_homelessness", 2, seed=7, out_dir=tmp_path / "a", overrides=small)
    out = capsys.readouterr().out
    for text in ("Cash flows per party", "investor IRR", "P(investor loses money)", "deadweight share",
                 "creaming index", "first-loss guarantee 3.0m"):
        assert text in out
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(FILES)
    with ThreadPoolExecutor(2) as ex:
        b = run_contract("contract_youth_homelessness", 2, seed=7, out_dir=tmp_path / "b", overrides=small,
                         executor=ex, echo=None)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)
    written = pd.read_csv(tmp_path / "a" / "replications.csv")
    assert len(written) == 2 and set(written.columns) >= {"investor_irr", "deadweight_share", "creaming_index"}


def test_the_contract_command_runs_a_scenario_and_rejects_bad_input_with_exit_status_2(tmp_path, capsys):
    from runs.cli import main

    small = ["--set", "population.size=2000", "--set", "governance.sizing=fixed", "--months", "18"]
    assert main(["contract", "contract_rough_sleeping", "-r", "1", "-o", str(tmp_path), *small]) == 0
    assert "P(investor loses money)" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "cashflows.csv")["month"].max() == 18
    assert main(["contract", "baseline", "-r", "1"]) == 2
    assert "contract.enabled = false" in capsys.readouterr().err
    assert main(["contract", "contract_reoffending", "--set", "contract.payment.baseline=matched"]) == 2
    assert "contract.payment.baseline = 'matched': not allowed" in capsys.readouterr().err
