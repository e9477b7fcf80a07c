"""`welfare-pathways compare`: the counterfactual comparison from the command line."""

from __future__ import annotations

import pandas as pd

from runs.cli import main
from runs.runner import tidy_measures
from tests.test_runner import quick_flags


def test_compare_prints_the_report_and_writes_every_table(tmp_path, capsys):
    assert main(["compare", "baseline", "housing_first", "--months", "24", "--replications", "2",
                 *quick_flags(), "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "Headline per budget holder" in text and "SØM table" in text and "Who pays, who saves" in text
    out = tmp_path / "housing_first"
    assert {"headline.csv", "som_table.csv", "who_pays.csv", "outcomes.csv", "cost_per_outcome.csv",
            "services.csv", "cumulative_net.csv", "pays_back.csv", "report.md", "payback.png"} <= {p.name for p in out.iterdir()}
    headline = pd.read_csv(out / "headline.csv", index_col=0)
    assert list(headline.index) == ["kommune", "region", "stat", "total"]
    assert headline.loc["kommune", "pv_investment.median"] > 0  # the kommune pays for Housing First
    assert not list(tmp_path.rglob("*.tmp*"))


def test_compare_rejects_an_unknown_scenario_with_exit_2(capsys):
    assert main(["compare", "baseline", "no_such_scenario"]) == 2
    assert "unknown scenario 'no_such_scenario'" in capsys.readouterr().err


def test_money_and_wellbeing_are_measured_per_run():
    from model import WelfareModel

    m = WelfareModel(rng=1, **{"population.size": 300, "governance.sizing": "fixed"})
    m.run_for(3)
    tidy = tidy_measures(m)
    measures = set(tidy.measure)
    assert {"money.kommune.total", "money.region.total", "money.stat.total", "money.kommune.shelter",
            "wellbeing.mean", "homeless"} <= measures
    kommune = tidy[tidy.measure == "money.kommune.total"].set_index("month").value
    assert (kommune.to_numpy() == m.ledger.by_budget()["kommune"].to_numpy()).all()
