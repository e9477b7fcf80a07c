"""The Contract tab's builders (``dashboard/contract.py``) in-process: the term sheet in
words, the investor's figures with units, the yearly cash flows per party, the chart's
colours and sign, the replications' P(investor loss), both languages; and the tab itself
rendered with ``solara.render`` (tests/e2e/test_contract_tab.py drives the real page)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd
import pytest
import solara
from matplotlib.colors import to_hex

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # app.py lives at the repo root
import app  # noqa: E402
from dashboard import contract as c  # noqa: E402
from dashboard import figures, tables  # noqa: E402
from dashboard.controls import scenario_parameters  # noqa: E402
from model.contracts import PARTIES, run_replications  # noqa: E402
from tests.conftest import page_text, walk  # noqa: E402

SIZE = {"population.size": 1000}
SEED = 1


@pytest.fixture(scope="module")
def youth() -> c.DashboardContract:
    """Aarhus-like: a historical baseline, a cap, a first-loss guarantee, the kommune pays."""
    return c.DashboardContract(scenario_parameters("contract_youth_homelessness", **SIZE), SEED)


@pytest.fixture(scope="module")
def reoffending() -> c.DashboardContract:
    """Peterborough-like: the state pays, a counterfactual baseline, no guarantee."""
    return c.DashboardContract(scenario_parameters("contract_reoffending", **SIZE), SEED)


# -- the contract pieces live in dashboard/contract.py only ----------------------------------
def test_the_contract_pieces_moved_out_of_tables_and_figures():
    for name in ("DashboardContract", "_fmt_metric", "contract_info", "contract_parameters"):
        assert not hasattr(tables, name), f"dashboard/tables.py still holds {name}"
        assert hasattr(c, name)
    assert not hasattr(figures, "fig_contract") and callable(c.fig_contract)
    assert app.fig_contract is c.fig_contract and app.contract_info is c.contract_info


# -- the term sheet --------------------------------------------------------------------------
def test_the_term_sheet_says_the_terms_in_words(youth):
    sheet = dict(c.term_sheet(youth.terms, "en"))
    text = " ".join(sheet.values())
    assert not re.search(r"contract\.\w", text) and "_" not in text  # no dotted paths, no identifiers
    assert sheet["Cap"] == "The payer pays at most DKK 35.0m in outcome payments over the whole contract."
    assert "DKK 350,000 for each member housed for 12 consecutive months" in sheet["Price per outcome"]
    assert "DKK 100,000 for each member in work or education for 6 consecutive months" in sheet["Price per outcome"]
    assert sheet["Who pays whom"].startswith("The kommune (municipality), the outcome payer, pays for outcomes")
    assert "a cohort of 100 citizens" in sheet["What is delivered"] and "aged 29 or under" in sheet["What is delivered"]
    assert "31% of the cohort housed for 12 consecutive months" in sheet["What is deducted"]
    assert sheet["Horizon"].startswith("60 months (5 years)")
    assert "puts DKK 23.2m in at the start" in sheet["Investor's capital"]
    assert sheet["Guarantee"] == "A foundation covers the investor's first losses, up to DKK 3.0m."
    html = c.term_sheet_html(youth.terms, "en")
    assert 'class="term-sheet"' in html and "DKK 35.0m" in html


def test_the_term_sheet_of_a_state_paid_bond_with_a_comparison_group(reoffending):
    sheet = dict(c.term_sheet(reoffending.terms, "en"))
    assert sheet["Who pays whom"].startswith("The state, the outcome payer")
    assert "comparison group" in sheet["What is deducted"]
    assert "DKK 400,000 for each member not sent to prison within 12 months of recruitment" in sheet["Price per outcome"]
    assert sheet["Cap"].endswith("at most DKK 16.0m in outcome payments over the whole contract.")
    assert sheet["Horizon"].startswith("42 months (3.5 years)")
    assert sheet["Guarantee"].startswith("None")


def test_the_cohort_recruited_against_the_contracted_places(youth):
    n = youth.run.cohort.size
    sentence = c.cohort_sentence(youth, "en")
    assert sentence.startswith(f"Cohort: recruited {n} of the 100 contracted places")
    assert ("Too few were eligible" in sentence) == (n < 100)
    assert c.cohort_sentence(youth, "da").startswith(f"Kohorte: rekrutteret {n} af de 100 aftalte pladser")


# -- the investor's figures ------------------------------------------------------------------
def test_the_irr_is_a_percentage_a_year(youth):
    assert c.irr_text(0.0123, "en") == "+1.2% a year"
    assert c.irr_text(0.0123, "da") == "+1,2 % om året"
    assert c.irr_text(-1.0, "en") == "-100.0% (nothing came back)"
    assert c.irr_text(float("nan"), "en") == "n/a"
    table = c.metrics_table(youth.metrics, youth.terms, "en", int(youth.run.cohort.size)).set_index("measure")
    irr = table.loc["investor's return a year (IRR)", "value"]
    assert re.fullmatch(r"[+-]?\d+\.\d% (a year|\(nothing came back\))", irr), irr
    assert float(irr.split("%")[0]) == pytest.approx(100 * youth.metrics["investor_irr"], abs=0.051)
    assert re.fullmatch(r"\d+\.\d\d×", table.loc["money multiple (money back per krone invested)", "value"])
    assert table.loc["paid outcomes that would have happened anyway (deadweight)", "value"].endswith("%")
    assert "DKK" in table.loc["investor's net result", "value"]
    assert "of the DKK 35.0m cap" in table.loc["outcome payments", "value"]
    assert "first-loss guarantee paid out" in table.index
    assert "the kommune's own budget (the outcome payer)" in table.index


# -- cash flows ------------------------------------------------------------------------------
def test_the_yearly_table_sums_to_the_cumulative_flows(youth, reoffending):
    for contract in (youth, reoffending):
        flows = contract.cash_flows()
        assert list(flows.columns) == list(PARTIES)
        horizon = contract.terms.horizon
        yearly = c.yearly_flows(flows)
        assert list(yearly.index) == list(range(0, (horizon + 11) // 12 + 1))
        # the cumulative yearly flows are the cumulative monthly flows at each year's end
        at_year_end = flows.cumsum().loc[[min(12 * y, horizon) for y in yearly.index]].to_numpy()
        np.testing.assert_allclose(yearly.cumsum().to_numpy(), at_year_end, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(yearly.sum().to_numpy(), flows.sum().to_numpy(), rtol=1e-9, atol=1e-6)
        # the table for people: DKK million, + = money in, a total row equal to the run's nets
        table = c.yearly_table(flows, contract.terms, "en")
        assert list(table.iloc[:, 0])[0] == "start (month 0)" and list(table.iloc[:, 0])[-1] == "total"
        assert table.iloc[1, 0] == "year 1 (months 1-12)"
        investor = table["investor"].tolist()
        assert investor[0] == f"{-contract.terms.capital / 1e6:,.2f}"
        assert investor[-1] == f"{contract.metrics['investor_net'] / 1e6:+,.2f}".replace("+0.00", "0.00")
        payer = c.party_name(contract.terms.payer, "en", contract.terms.payer)
        assert payer.endswith("(outcome payer)") and payer in table.columns
        assert table[payer].tolist()[-1] == f"{contract.metrics['payer_own_net'] / 1e6:+,.2f}".replace("+0.00", "0.00")
        assert ("guarantor (foundation)" in table.columns) == (contract.terms.guarantee > 0)
        html = c.yearly_html(flows, contract.terms, "en")
        assert html.index("+ = money in (or saved) for that party") < html.index('class="contract-yearly"')


def test_the_chart_uses_the_budget_colours_units_and_the_sign(youth):
    fig = c.fig_contract(None, youth.cash_flows(), "en", youth.terms)
    ax = fig.axes[0]
    colour = {line.get_label(): to_hex(line.get_color()) for line in ax.get_lines() if line.get_label()[0] != "_"}
    assert colour["kommune (municipality) (outcome payer)"] == figures.BUDGET_COLOURS["kommune"]
    assert colour["region"] == figures.BUDGET_COLOURS["region"]
    assert colour["state"] == figures.BUDGET_COLOURS["stat"]
    assert colour["all public budgets"] == figures.BUDGET_COLOURS["total"]
    assert {"investor", "provider", "guarantor (foundation)"} <= set(colour)
    assert "+ = money in for that party" in ax.get_title() and "DKK million" in ax.get_title()
    assert "months" in ax.get_xlabel() and "DKK million" in ax.get_ylabel()
    da = c.fig_contract(None, youth.cash_flows(), "da", youth.terms).axes[0]
    assert "mio. kr." in da.get_title() and "måneder" in da.get_xlabel()


# -- over replications -----------------------------------------------------------------------
def test_the_replications_loss_share_is_the_share_of_runs_where_the_investor_loses():
    params = scenario_parameters("contract_reoffending", **{"population.size": 600})
    reported = []
    result = c.simulate_replications(params, SEED, 3, progress=lambda done, total: reported.append((done, total)))
    assert reported == [(1, 3), (2, 3), (3, 3)]
    # the very replications of model.contracts.run_replications (no second contract engine)
    same = run_replications(params, 3, SEED)
    pd.testing.assert_frame_equal(result.metrics, same.metrics)
    negative = float((result.metrics["investor_net"] < 0).mean())
    assert c.loss_share(result) == pytest.approx(negative)
    k = int((result.metrics["investor_net"] < 0).sum())
    assert c.loss_sentence(result, "en") == (f"The investor loses money in {k} of 3 runs: P(investor loss) = "
                                             f"{100 * negative:.0f}%.")
    table = c.replications_table(result, "en").set_index("measure")
    irr = table.loc["investor's return a year (IRR)"]
    assert float(irr["median"].rstrip("%")) == pytest.approx(100 * result.metrics["investor_irr"].median(), abs=0.051)
    assert re.fullmatch(r"[+-]?\d+\.\d% to [+-]?\d+\.\d%", irr["10th-90th percentile"])
    payments = next(i for i in table.index if i.startswith("outcome payments"))
    assert "cap DKK 16.0m" in payments and re.fullmatch(r"DKK \d+\.\d\dm to \d+\.\d\dm",
                                                        table.loc[payments, "10th-90th percentile"])
    html = c.replications_html(result, "da")
    assert "Investoren taber penge i" in html and "P(tab for investor)" in html

    rep = c.Replications(params, SEED, result)
    model = app.DashboardModel("contract_reoffending", rng=SEED, **{"population.size": 600})
    assert rep.matches(model)
    assert not rep.matches(app.DashboardModel("contract_reoffending", rng=SEED + 1, **{"population.size": 600}))


def test_the_guarantee_shows_the_loss_before_it():
    params = scenario_parameters("contract_youth_homelessness", **{"population.size": 600})
    result = c.simulate_replications(params, SEED, 2)
    before = int(result.metrics["investor_loss_before_guarantee"].sum())
    assert f"Without the first-loss guarantee: {before} of 2 runs" in c.loss_sentence(result, "en")


# -- both languages --------------------------------------------------------------------------
def test_every_word_exists_in_both_languages():
    for table in (c.WORDS, c.OUTCOME_WORDS, c.TARGET_WORDS, c.PAYER_WORDS, c.PAYER_OWN):
        for key, texts in table.items():
            assert set(texts) == {"en", "da"}, key


def test_both_languages_render_danish_with_a_decimal_comma(youth):
    for lang in ("en", "da"):
        sheet = c.term_sheet_html(youth.terms, lang)
        metrics = c.metrics_table(youth.metrics, youth.terms, lang).to_string()
        yearly = c.yearly_html(youth.cash_flows(), youth.terms, lang)
        if lang == "da":
            assert "35,0 mio. kr." in sheet and "350.000 kr." in sheet and "Loft" in sheet
            assert "intern rente (IRR)" in metrics and "tab for investor" in metrics
            assert re.search(r"\d+,\d % om året", metrics)  # the IRR with a decimal comma
            assert "resultatbetaler" in yearly and "udbyder" in yearly and "garant (fond)" in yearly
            assert re.search(r"[+-]\d+,\d\d<", yearly) and not re.search(r"\d\.\d\d<", yearly)
            assert "kr.." not in sheet
        else:
            assert "DKK 35.0m" in sheet and re.search(r"\d+\.\d% a year", metrics)


# -- the tab, rendered -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_tab_renders_a_contract_preset(lang):
    model = app.DashboardModel("contract_rough_sleeping", rng=SEED, **SIZE)
    box, rc = solara.render(app.ContractView(model, 0, lang), handle_error=False)
    try:
        text = page_text(rc)
        images = [w for w in walk(rc.container) if isinstance(w, widgets.Image)]
        assert len(images) == 1  # the cumulative chart
        if lang == "en":
            assert "Term sheet" in text and "The kommune (municipality), the outcome payer" in text
            assert "contracted places" in text and "% a year" in text
            assert "+ = money in (or saved) for that party" in text and "Run the replications" in text
        else:
            assert "Kontraktens vilkår" in text and "aftalte pladser" in text and "om året" in text
            assert "Kør gentagelserne" in text and "intern rente (IRR)" in text
        assert "contract.payment.cap = 6500000" in text  # the raw terms, folded away
    finally:
        rc.close()


def test_the_tab_without_a_contract_says_so():
    model = app.DashboardModel("baseline", rng=SEED, **{"population.size": 300})
    box, rc = solara.render(app.ContractView(model, 0, "da"), handle_error=False)
    try:
        assert "ingen resultatkontrakt" in page_text(rc)
    finally:
        rc.close()
