"""The command line: every shipped scenario runs; bad input ends with exit 2 and a clear message."""

from __future__ import annotations

import pandas as pd
import pytest

from model.params import SCENARIO_DIR
from runs.cli import COMMANDS, main
from tests.test_runner import quick_flags

SHIPPED = ["baseline", *sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))]


@pytest.mark.parametrize("command", [c.name for c in COMMANDS])
def test_every_subcommand_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "--months" in capsys.readouterr().out


@pytest.mark.parametrize("scenario", SHIPPED)
def test_every_shipped_scenario_loads_and_runs(scenario, tmp_path, capsys):
    out = tmp_path / scenario
    assert main(["run", scenario, "--months", "3", "--replications", "2", "--no-plots", *quick_flags(),
                 "--out", str(out)]) == 0
    results = pd.read_parquet(out / "results.parquet")
    assert set(results["month"]) == {0, 1, 2, 3}
    assert "homeless" in capsys.readouterr().out


def test_a_run_writes_tidy_parquet_a_summary_and_band_plots(tmp_path):
    assert main(["run", "tight_housing_market", "--months", "6", "--replications", "3", *quick_flags(),
                 "--out", str(tmp_path)]) == 0
    assert {"results.parquet", "summary.csv", "points.csv", "occupancy.png", "manifest.json"} <= {
        p.name for p in tmp_path.iterdir()}
    assert pd.read_csv(tmp_path / "points.csv")["label"].tolist() == ["tight_housing_market"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--workers", "0"], "--workers/-w: 0: out of range; expected a whole number in [1, 1024]"),
        (["run", "--months", "-1"], "--months: -1: out of range; expected a whole number in [1, 1200]"),
        (["run", "--months", "ten"], "--months: 'ten': expected a whole number"),
        (["run", "--replications", "0"], "--replications/-r: 0: out of range"),
        (["run", "--seed", "-1"], "--seed: -1: out of range"),
        (["run", "no_such_scenario"], "unknown scenario 'no_such_scenario'; shipped scenarios: baseline"),
        (["run", "--set", "unknown.key=1"], "--set: unknown.key: unknown key"),
        (["run", "--set", "network.rewire=2"], "--set: network.rewire = 2: out of range; allowed float in [0, 1]"),
        (["run", "--set", "network.rewire"], "--set: expected PATH=VALUE"),
        (["run", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["sweep"], "give exactly one design"),
        (["sweep", "--grid", "network.rewire=0.1,7"], "--grid: network.rewire = 7: out of range"),
        (["sweep", "--lhs", "network.rewire=0.5"], "expected PATH=LOW:HIGH"),
        (["sweep", "--lhs", "netwrk.rewire=0:0.5", "--samples", "4"], "--lhs: netwrk.rewire: unknown key; did you mean network.rewire"),
        (["sensitivity", "--vary", "network.rewire=0:0.5", "--output", "happiness"], "output = 'happiness': unknown measure"),
        (["sensitivity", "--vary", "network.rewire=0:0.5", "--method", "anova"], "invalid choice: 'anova'"),
        (["sensitivity"], "vary: give at least one parameter range"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag_and_what_is_allowed(argv, message, capsys, tmp_path):
    assert _exit_code(main, [*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "parts").exists()


@pytest.mark.parametrize(
    "body, message",
    [
        ("[population]\nsizee = 5", "population.sizee: unknown key; did you mean population.size"),
        ("[network]\nrewire = 1.5", "network.rewire = 1.5: out of range; allowed float in [0, 1]"),
        ("[scenario]\nname = 'x'\nbase = 'nowhere'", "no such scenario file"),
        ("this is [not toml", "not valid TOML"),
    ],
)
def test_malformed_scenario_files_exit_2_naming_the_file_and_key(body, message, tmp_path, capsys):
    path = tmp_path / "my_scenario.toml"
    path.write_text(body)
    assert _exit_code(main, ["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "my_scenario.toml" in err or message in err and "nowhere" in err


@pytest.mark.parametrize(
    "command, body, message",
    [
        ("sweep", "months = 0\n[grid]\n'network.rewire' = [0.1]", "months = 0: out of range"),
        ("sweep", "monhts = 10", "monhts: unknown field; allowed: scenario, months"),
        ("sweep", "grid = 3", "grid: must be a table"),
        ("sweep", "[grid.network]\nrewire = [0.1, 1.5]", "[grid]: network.rewire = 1.5: out of range"),
        ("sweep", "scenario = 7\n[grid]\n'network.rewire' = [0.1]", "scenario = 7: expected a scenario name"),
        ("sensitivity", "method = 'anova'\n[vary]\n'network.rewire' = [0, 0.5]", "method = 'anova': expected one of morris, sobol"),
        ("sensitivity", "[vary]\n'network.rewire' = [0, 1.5]", "[vary]: network.rewire = 1.5: out of range"),
        ("sensitivity", "[vary]\n'network.rewire' = 0.5", "network.rewire = 0.5: expected [low, high]"),
    ],
)
def test_malformed_spec_files_exit_2_naming_the_file_and_field(command, body, message, tmp_path, capsys):
    path = tmp_path / "spec.toml"
    path.write_text(body)
    assert _exit_code(main, [command, str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "spec.toml" in err


def _exit_code(fn, argv) -> int:
    try:
        return fn(argv)
    except SystemExit as exc:  # argparse's own errors
        return exc.code


@pytest.mark.parametrize("scenario", ["housing_first", "my_pilot.toml"])
def test_a_scenario_where_a_subcommand_is_expected_runs_it(scenario, tmp_path, capsys):
    """`./dev run housing_first` used to fail with "invalid choice": it means `run housing_first`."""
    if scenario.endswith(".toml"):
        (tmp_path / scenario).write_text("[scenario]\nname = 'pilot'\n[network]\nrewire = 0.2\n")
        scenario = str(tmp_path / scenario)
    out = tmp_path / "out"
    assert main([scenario, "--months", "2", "--replications", "1", "--no-plots", *quick_flags(), "--out", str(out)]) == 0
    spec = pd.read_json(out / "manifest.json", typ="series")["spec"]
    assert spec["kind"] == "run" and spec["points"][0]["scenario"] == scenario


def test_an_unknown_word_still_lists_the_subcommands(capsys):
    assert _exit_code(main, ["runn", "baseline"]) == 2
    assert "invalid choice: 'runn' (choose from 'run', 'compare'" in capsys.readouterr().err
