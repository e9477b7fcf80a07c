"""Counterfactual pairing: same citizens, same draws; the difference is the effect."""

import numpy as np
import pandas as pd
import pytest

from model.compare import compare, paired_run

SMALL = {"population.size": 1500, "governance.sizing": "fixed"}


def test_a_scenario_paired_with_itself_differs_by_exactly_zero():
    run = paired_run("coordinated", "coordinated", seed=4, months=24, **SMALL)
    assert (run.difference().amount == 0).all()
    assert (run.difference_by_citizen().amount == 0).all()
    assert all(v == 0 for v in run.outcomes().values())


def test_the_difference_holds_per_citizen_per_budget_per_month():
    run = paired_run("baseline", "housing_first", seed=2, months=24, **SMALL)
    by_citizen = run.difference_by_citizen()
    assert set(by_citizen.columns) == {"citizen", "month", "budget", "amount"}
    per_month_budget = by_citizen.groupby(["month", "budget"]).amount.sum().unstack()
    expected = run.scenario.ledger.by_budget() - run.counterfactual.ledger.by_budget()
    assert np.allclose(per_month_budget[expected.columns].to_numpy(), expected.to_numpy(), atol=1.0)
    # Housing First is paid by the kommune
    assert run.difference().query("category == 'housing_first'").groupby("budget").amount.sum()["kommune"] > 0


def test_compare_reports_bands_over_replications():
    c = compare("baseline", "housing_first", replications=3, months=24, **SMALL)
    h = c.headline
    for measure in ("npv", "pv_investment", "pv_return"):
        assert (h[(measure, "p10")] <= h[(measure, "median")]).all()
        assert (h[(measure, "median")] <= h[(measure, "p90")]).all()
    assert h.loc["kommune", ("pv_investment", "median")] > 0
    assert c.outcomes.loc["homeless", "median"] < 0
    assert "Who pays, who saves" in c.report()
    assert c.som.index.names == ["budget", "year"]
    share = c.pays_back
    assert list(share.columns) == ["within_5_years", "within_10_years", "within_horizon"]
    assert ((share >= 0) & (share <= 1)).all().all()
    by_hand = np.mean([not np.isnan(r.headline.loc["total", "payback_month"]) for r in c.runs])
    assert share.loc["total", "within_horizon"] == by_hand


def test_compare_is_the_same_serial_or_in_parallel():
    from concurrent.futures import ThreadPoolExecutor

    a = compare("baseline", "coordinated", replications=2, months=12, seed=5, **SMALL)
    with ThreadPoolExecutor(2) as ex:
        b = compare("baseline", "coordinated", replications=2, months=12, seed=5, executor=ex, **SMALL)
    pd.testing.assert_frame_equal(a.headline, b.headline)


def test_replications_must_be_positive():
    with pytest.raises(ValueError, match="replications must be >= 1"):
        compare("baseline", "baseline", replications=0)


def test_the_median_payback_is_never_when_most_replications_never_pay_back():
    from model.compare import NEVER, _bands, _never_as_nan

    def band(months):
        return _never_as_nan(_bands([pd.DataFrame({"payback_month": [m]}, index=["total"]) for m in months]))

    mostly_never = band([20.0, NEVER, NEVER])
    assert np.isnan(mostly_never.loc["total", ("payback_month", "median")])
    mostly_paid = band([20.0, 22.0, 24.0, NEVER, NEVER])
    assert mostly_paid.loc["total", ("payback_month", "median")] == 24.0
    assert mostly_paid.loc["total", ("payback_month", "p10")] == pytest.approx(20.8)
    assert np.isnan(mostly_paid.loc["total", ("payback_month", "p90")])


# -- the report a council reads -----------------------------------------------------------------
def markdown_tables(text: str) -> list[list[str]]:
    """Every Markdown table in ``text``: its lines, header first."""
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables + ([current] if current else [])


def cells(line: str) -> list[str]:
    import re

    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


@pytest.fixture(scope="module")
def harmful():
    return compare("baseline", "eviction_risk_doubled", replications=2, months=24, appraisal=False, **SMALL)


def test_the_report_is_markdown_with_units_in_every_header_and_no_ragged_rows(harmful):
    text = harmful.report()
    assert text.startswith("# eviction_risk_doubled vs baseline\n")
    tables = markdown_tables(text)
    assert len(tables) >= 10
    for table in tables:
        header = cells(table[0])
        assert set(table[1].replace("|", "").replace("-", "").replace(":", "").strip()) == set(), table[1]
        assert all(len(cells(row)) == len(header) for row in table[2:]), (header, table)
    money = [cells(t[0]) for t in tables if any("investment" in h or "NPV" in h or "year 1" in h for h in cells(t[0]))]
    assert money and all(any(u in h for u in ("DKK", "%", "ratio", "year", "category", "counts as", "budget holder",
                                              "invested by"))
                         for header in money for h in header)
    for heading in ("## Headline per budget holder", "## Savings: cashable, capacity freed, and SØM's average prices",
                    "## Per person", "## SØM table per budget holder and year", "### kommune", "## Line items",
                    "## Who pays, who saves", "## Outcomes", "## Cost per outcome", "## What is compared"):
        assert heading in text, heading
    assert "Break-even year (kommune):" in text


def test_every_report_states_population_horizon_price_year_and_discounting(harmful):
    text = harmful.report()
    about = {cells(row)[0]: cells(row)[1] for row in markdown_tables(text)[0][2:]}
    assert "53,773 persons" in about["population"] or "persons in the target group" in about["population"]
    assert about["horizon"].startswith("24 months (2 years), 2 paired replications")
    assert "prices" in about["prices"] and "3.5%" in about["discounting"]
    assert "persons" in harmful.about_line() and "24 months" in harmful.about_line()


def test_every_outcome_has_words_and_a_unit_said_in_the_report(harmful):
    from model.compare import OUTCOME_DIRECTION, OUTCOME_WORDS, SECOND_GENERATION

    assert set(OUTCOME_WORDS) == set(OUTCOME_DIRECTION) and set(SECOND_GENERATION) <= set(OUTCOME_WORDS)
    assert set(harmful.outcomes.index) <= set(OUTCOME_WORDS)
    table = next(t for t in markdown_tables(harmful.report()) if cells(t[0])[:2] == ["outcome", "unit"])
    units = {cells(row)[0]: cells(row)[1] for row in table[2:]}
    assert units["qaly"] == "QALYs" and units["deaths"] == "persons" and units["homeless"] == "person-years"


def test_a_comparison_carries_its_price_year_as_a_number_and_says_it_as_before(harmful):
    from model.compare import price_base_year, price_year_text, summarise
    from model.params import Parameters

    scenario = Parameters.load("eviction_risk_doubled")
    assert harmful.price_base_year == price_base_year(scenario) == scenario.price_year() == 2023
    assert harmful.price_year == price_year_text(scenario) == (
        "2023 prices (DKK, converted with Statistics Denmark's net price index)")
    assert price_year_text(scenario, short=True) == "2023 prices"
    assert price_base_year(None) is None and price_year_text(None, short=True) == "prices as given"
    unpriced = summarise(harmful.runs, "baseline", "eviction_risk_doubled", 24)
    assert unpriced.price_base_year is None and unpriced.price_year.startswith("prices as given: ")


def test_a_harmful_scenario_has_no_investment_and_blank_cost_per_outcome(harmful):
    h = harmful.headline
    assert (h[("pv_investment", "median")] == 0).all()
    assert h.loc["total", ("npv", "median")] < 0
    assert harmful.outcomes.loc["homeless", "median"] > 0  # worse
    assert harmful.cost_per_outcome.loc["homeless"].isna().all()  # left blank: the outcome did not improve
    row = next(r for r in markdown_tables(harmful.report()) if "outcome" in cells(r[0])[0]
               and "DKK per unit gained" in cells(r[0])[1])
    assert cells(next(line for line in row if cells(line)[0] == "homeless"))[1:] == ["", "", ""]
    items = harmful.line_items
    kinds = {c for c in items.index.get_level_values("category")}
    assert "shelter" in kinds and not any(
        items.loc[(b, c), (y, "median")] != 0 for b, c in items.index if c in ("housing_first", "cti", "ips")
        for y in items.columns.get_level_values("year").unique())


def test_the_summary_warns_when_an_effect_is_smaller_than_the_noise():
    """A scenario with no effect on the public purse (the baseline against itself on
    different seeds is exactly zero, so use a tiny programme) gets a caution; the answer
    always names the population, the horizon, the price year and the number of runs."""
    from model.compare import compare

    nothing = compare("baseline", "case_management", replications=2, months=12, population="odense",
                      **{"population.size": 600, "services.case_management.capacity": 0.0})
    assert "no difference to any public budget or outcome in any run" in nothing.summary_sentence()
    c = compare("baseline", "housing_first", replications=4, months=24, population="odense",
                **{"population.size": 600})
    text = c.summary_sentence()
    assert "for Odense, over 2 years in 2023 prices" in text and "(4 runs)" in text
    o = c.outcomes
    noisy = [n for n in ("homeless", "employed", "deaths") if o.loc[n, "p10"] < 0 < o.loc[n, "p90"]]
    assert noisy  # two years of 600 citizens: employment moves less than the noise
    assert f"The change in {', '.join(noisy)} is smaller than the spread between runs" in text
    h = c.headline
    spans = h.loc["total", ("npv", "p10")] < 0 < h.loc["total", ("npv", "p90")]
    assert spans == ("band" in text and "spans zero: the effect on the public purse" in text)


def test_the_npv_at_ten_years_of_a_longer_run_is_the_npv_of_a_ten_year_run():
    """NPV by horizon (early help pays back late): the first ten years of a 20-year pairing
    are the same months as a 10-year pairing on the same seed, so its NPV at 10 years is
    that run's NPV; a horizon beyond the run is left blank."""
    from model.pairing import PairedModel

    size = {"population.size": 800}
    long = PairedModel("early_family_help", "baseline", seed=3, **size).run_for(240).summary().headline
    short = PairedModel("early_family_help", "baseline", seed=3, **size).run_for(120).summary().headline
    assert long.loc["total", "npv_year_10"] == pytest.approx(short.loc["total", "npv"], rel=1e-9)
    assert long.loc["total", "npv_year_20"] == pytest.approx(long.loc["total", "npv"], rel=1e-9)
    assert np.isnan(long.loc["total", "npv_year_30"]) and np.isnan(short.loc["total", "npv_year_20"])


def test_the_report_shows_the_second_generation_and_the_npv_by_horizon():
    from model.compare import OUTCOME_WORDS, SECOND_GENERATION, compare

    c = compare("baseline", "early_family_help", replications=2, months=240, **{"population.size": 800})
    text = c.report()
    assert "## NPV over 10, 20 and 30 years" in text and "NPV at 20 years (DKK million)" in text
    assert "NPV at 30 years" not in text  # beyond the run
    section = text[text.index("## The second generation"):]
    for name in SECOND_GENERATION:
        words, unit = OUTCOME_WORDS[name]
        assert f"| {words} | {unit} |" in section
    assert "| children placed outside the home (new placements) | placements |" in section
    assert "## Family programmes for children" in text and "known to kommune, ages 10-17" in text
    assert c.outcomes.loc["placements", "median"] <= 0  # family therapy does not add placements


def test_a_scenario_that_keeps_young_adults_out_of_the_group_says_its_person_years_move_with_its_size():
    from model.compare import compare

    c = compare("baseline", "early_family_help", replications=2, months=24, **{"population.size": 600})
    c.outcomes.loc["young_adults_entering", ["p10", "median", "p90"]] = -12.0
    assert "keeps about 12 grown-up children out of the target group" in c.summary_sentence()
    assert "> **Note:** The scenario keeps about 12" in c.report()
    c.outcomes.loc["young_adults_entering", ["p10", "median", "p90"]] = 0.0
    assert c.composition_note() == "" and "grown-up children out of" not in c.summary_sentence()
