"""`welfare-pathways compare`: the counterfactual comparison from the command line."""

from __future__ import annotations

import numpy as np
import pandas as pd

from runs.cli import main
from runs.runner import tidy_measures
from tests.test_runner import quick_flags, quick_overrides


def test_compare_prints_the_report_and_writes_every_table(tmp_path, capsys):
    from runs.comparison import FILES, TABLES

    assert main(["compare", "baseline", "housing_first", "--months", "24", "--replications", "2",
                 *quick_flags(), "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "Headline per budget holder" in text and "SØM table" in text and "Who pays, who saves" in text
    out = tmp_path / "housing_first"
    assert set(FILES) == {p.name for p in out.iterdir()}
    assert {"line_items.csv", "per_person.csv", "participants.csv", "report.md", "payback.png"} <= set(FILES)
    headline = pd.read_csv(out / "headline.csv", index_col=0, skiprows=1)
    assert list(headline.index) == ["kommune", "region", "stat", "total"]
    assert headline.loc["kommune", "pv_investment.median"] > 0  # the kommune pays for Housing First
    for name in TABLES:  # every CSV says, in its first line, what its numbers are
        first = (out / name).read_text().splitlines()[0]
        assert first.startswith("# housing_first vs baseline; population: Denmark, national target group, "), first
        assert "horizon 24 months" in first and "prices" in first and "discounting" in first, first
    items = pd.read_csv(out / "line_items.csv", skiprows=1)
    assert {"budget", "category", "year", "p10", "median", "p90"} == set(items.columns)
    assert items.query("category == 'housing_first' and budget == 'kommune'")["median"].gt(0).all()
    report = (out / "report.md").read_text()
    assert report.startswith("# housing_first vs baseline\n") and "```" not in report  # real Markdown
    assert "| budget holder | investment, PV (DKK million) |" in report
    assert not list(tmp_path.rglob("*.tmp*"))


def test_compare_for_a_kommune_states_it_everywhere_and_a_bad_population_exits_2(tmp_path, capsys):
    from model.populations import named_population

    assert main(["compare", "baseline", "housing_first", "--months", "12", "--replications", "1", "--no-appraisal",
                 "--population", "odense", *quick_flags(), "--out", str(tmp_path)]) == 0
    out = tmp_path / "housing_first"
    persons = f"{named_population('odense').persons:,.0f} persons"
    assert f"Odense, {persons}" in (out / "headline.csv").read_text().splitlines()[0]
    assert f"Odense ({persons} in the target group)" in (out / "report.md").read_text()
    capsys.readouterr()
    import pytest

    with pytest.raises(SystemExit) as exit_:  # argparse: the flag's error, exit status 2
        main(["compare", "baseline", "housing_first", "--population", "gotham"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--population" in err and "national, kobenhavn, aarhus, odense, esbjerg, horsens, vejle" in err


def test_run_writes_whom_the_simulated_citizens_stand_for(tmp_path, capsys):
    import json

    assert main(["run", "baseline", "--months", "2", "--replications", "1", "--no-plots", "--population", "800",
                 *quick_flags(), "--out", str(tmp_path)]) == 0
    about = json.loads((tmp_path / "population.json").read_text())
    assert about["population"]["homeless_count"] == 800 and about["population"]["simulated_citizens"] == 300
    assert about["horizon_months"] == 2 and "prices" in about["prices"] and "3.5%" in about["discounting"]
    assert "persons in user-given count of 800 homeless" in capsys.readouterr().out
    assert main(["run", "baseline", "--months", "2", "--replications", "1", "--no-plots", "--population", "aarhus",
                 *quick_flags(), "--out", str(tmp_path)]) == 0  # resuming with another population: same runs
    assert json.loads((tmp_path / "population.json").read_text())["population"]["key"] == "aarhus"


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
    np.testing.assert_allclose(kommune.to_numpy(), m.ledger.by_budget()["kommune"].to_numpy(), rtol=1e-12)  # sums in another order


def _scenario(tmp_path, name: str):
    path = tmp_path / "scenario.toml"
    path.write_text(f"[scenario]\nname = {name!r}\n[services.housing_first]\ncapacity = 20.0\n")
    return path


def _all_files(root):
    return {p for p in root.rglob("*") if p.is_file()}


def test_a_scenario_name_cannot_write_outside_out(tmp_path, capsys):
    """The output directory is named from the scenario's free-text name: '../../x' or an
    absolute path must become a slug inside --out."""
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    for name in ("../../x", str(tmp_path / "absolute"), "..", "a/../../b"):
        scenario = _scenario(work, name)
        before = _all_files(tmp_path)
        assert main(["compare", "baseline", str(scenario), "--months", "2", "--replications", "1", "--no-plots",
                     *quick_flags(), "--out", str(work / "out")]) == 0, capsys.readouterr().err
        new = _all_files(tmp_path) - before
        assert new and all((work / "out") in p.parents for p in new), (name, new)
        assert not (tmp_path / "x").exists() and not (tmp_path / "absolute").exists() and not (tmp_path / "b").exists()


def test_safe_names_are_one_path_segment():
    from runs.comparison import safe_name

    assert safe_name("housing_first_funded") == "housing_first_funded"
    assert safe_name("Eviction risk doubled") == "Eviction_risk_doubled"
    for name in ("../../x", "/etc/passwd", "..", ".", "", "a/b\\c", "x" * 400, "ø" * 300):
        slug = safe_name(name)
        assert slug and "/" not in slug and "\\" not in slug and ".." not in slug and slug not in {".", ".."}
        assert len(slug.encode()) <= 100


def test_compare_out_that_is_a_file_fails_before_the_computation(tmp_path, capsys, monkeypatch):
    import model.compare

    calls = []
    monkeypatch.setattr(model.compare, "compare", lambda *a, **k: calls.append(a))
    afile = tmp_path / "results.txt"
    afile.write_text("mine")
    assert main(["compare", "baseline", "housing_first", "--out", str(afile)]) == 2
    err = capsys.readouterr().err
    assert f"--out {afile}" in err and "Traceback" not in err
    assert calls == [] and afile.read_text() == "mine"


def test_compare_leaves_a_directory_with_other_files_alone(tmp_path, capsys):
    (tmp_path / "housing_first").mkdir()
    (tmp_path / "housing_first" / "notes.txt").write_text("mine")
    assert main(["compare", "baseline", "housing_first", "--out", str(tmp_path)]) == 2
    assert "holds files a comparison does not write (notes.txt)" in capsys.readouterr().err


KILLED_WHILE_WRITING = """
import sys, time
from pathlib import Path
import runs.comparison as comparison
from model.compare import compare
from tests.test_runner import quick_overrides

result = compare("baseline", "housing_first", replications=1, months=2, **quick_overrides())

def slow_plot(result, path):
    print("tables written", flush=True)
    time.sleep(120)

comparison.payback_plot = slow_plot
comparison.write_comparison(result, Path(sys.argv[1]))
"""


def test_a_comparison_killed_while_writing_leaves_the_previous_one_whole(tmp_path):
    """The files are written into a temporary directory that replaces the old one at the
    end: a kill in between leaves the earlier comparison as it was, not a mix of two runs."""
    import os
    import signal
    import subprocess
    import sys

    from runs.comparison import FILES, write_comparison
    from tests.test_runner import ROOT

    out = tmp_path / "cmp"
    out.mkdir()
    for name in FILES:
        (out / name).write_text("earlier run")
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WHILE_WRITING, str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.stdout.readline().decode().strip() == "tables written", proc.stderr.read().decode()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert {p.name: p.read_text() for p in out.iterdir()} == {name: "earlier run" for name in FILES}
    assert list(tmp_path.glob(".cmp.*.tmp"))  # the killed run's half-written directory...

    from model.compare import compare

    write_comparison(compare("baseline", "housing_first", replications=1, months=2, **quick_overrides()), out,
                     plots=False)
    assert not list(tmp_path.glob(".cmp.*")) and "earlier run" not in (out / "headline.csv").read_text()
    assert not (out / "payback.png").exists()  # ...is cleaned up, and the new run replaces the old one whole


def test_the_contract_command_states_its_population(tmp_path, capsys):
    import json

    small = ["--set", "population.size=1000", "--set", "governance.sizing=fixed", "--months", "12"]
    assert main(["contract", "contract_rough_sleeping", "-r", "1", "-o", str(tmp_path), "--population", "vejle",
                 *small]) == 0
    terms = json.loads((tmp_path / "terms.json").read_text())
    assert terms["population"]["name"] == "Vejle" and terms["population"]["simulated_citizens"] == 1000
    assert terms["horizon_months"] == 12 and "not scaled" in terms["money"]
    assert "Population: Vejle" in capsys.readouterr().out
