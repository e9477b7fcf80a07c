"""Sweep designs (grid, Latin hypercube), spec files and the sensitivity analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runs.cli import main
from runs.runner import SpecError
from runs.sensitivity import sensitivity_design
from runs.sweep import SWEEP_FIELDS, read_spec, sweep_plan
from tests.test_runner import quick_flags, quick_overrides

EXIT_RATE = "pathways.housing.shelter_to_own_home.rate"


def test_a_grid_runs_every_combination_of_the_listed_values():
    plan = sweep_plan(grid={EXIT_RATE: [0.02, 0.04], "network.enabled": [True, False]},
                      fixed={"population.size": 500}, replications=3)
    combos = [(p.overrides[EXIT_RATE], p.overrides["network.enabled"]) for p in plan.points]
    assert combos == [(0.02, True), (0.02, False), (0.04, True), (0.04, False)]
    assert all(p.overrides["population.size"] == 500 for p in plan.points)
    assert plan.points[1].label == "shelter_to_own_home.rate=0.02, network.enabled=false"
    assert len(plan.runs()) == 4 * 3


def test_a_latin_hypercube_puts_one_point_in_every_stratum_of_every_parameter():
    bounds = {EXIT_RATE: [0.02, 0.06], "network.mean_degree": [2, 12]}
    plan = sweep_plan(lhs=bounds, samples=10, seed=3)
    rates = np.array([p.overrides[EXIT_RATE] for p in plan.points])
    strata = np.floor((rates - 0.02) / 0.004).astype(int)
    assert sorted(strata) == list(range(10))
    degrees = [p.overrides["network.mean_degree"] for p in plan.points]
    assert all(isinstance(d, int) and 2 <= d <= 12 for d in degrees)  # integer parameters are rounded


def test_a_latin_hypercube_is_drawn_from_the_root_seed():
    bounds = {EXIT_RATE: [0.02, 0.06]}
    first = [p.overrides for p in sweep_plan(lhs=bounds, samples=5, seed=1).points]
    again = [p.overrides for p in sweep_plan(lhs=bounds, samples=5, seed=1).points]
    other = [p.overrides for p in sweep_plan(lhs=bounds, samples=5, seed=2).points]
    assert first == again and first != other


def test_a_spec_file_and_the_same_flags_describe_the_same_sweep(tmp_path):
    spec = tmp_path / "exit_rate.toml"
    spec.write_text("""
months = 4
replications = 2
seed = 7
[set]
"population.size" = 300
[grid.pathways.housing.shelter_to_own_home]
rate = [0.03, 0.05]
""")
    read = read_spec(spec, SWEEP_FIELDS)
    from_file = sweep_plan(months=read["months"], replications=read["replications"], seed=read["seed"],
                           fixed=read["set"], grid=read["grid"])
    from_flags = sweep_plan(months=4, replications=2, seed=7, fixed={"population.size": 300},
                            grid={EXIT_RATE: [0.03, 0.05]})
    assert from_file.spec(from_file.resolve()) == from_flags.spec(from_flags.resolve())


def test_a_sweep_from_a_spec_file_writes_results_summary_and_plots(tmp_path):
    spec = tmp_path / "peers.toml"
    fixed = "\n".join(f'"{k}" = {v}' for k, v in quick_overrides().items())
    spec.write_text(f'months = 6\nreplications = 3\n[set]\n{fixed}\n[grid]\n"network.enabled" = [true, false]\n')
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--no-progress"]) == 0
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["network.enabled"]) == {True, False}
    assert (out / "occupancy.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "give exactly one design"),
        ({"grid": {EXIT_RATE: [0.1]}, "lhs": {EXIT_RATE: [0.01, 0.2]}}, "give exactly one design"),
        ({"grid": {EXIT_RATE: []}}, "expected a non-empty list"),
        ({"grid": {EXIT_RATE: [0.1]}, "fixed": {EXIT_RATE: 0.2}}, "both fixed .* and varied"),
        ({"lhs": {EXIT_RATE: [0.01, 0.2]}}, "needs the number of points"),
        ({"lhs": {EXIT_RATE: [0.2, 0.01]}, "samples": 3}, "low must be below high"),
        ({"lhs": {"network.enabled": [0, 1]}, "samples": 3}, "only numeric parameters"),
    ],
)
def test_malformed_sweeps_are_rejected_naming_the_problem(kwargs, message):
    with pytest.raises(SpecError, match=message):
        sweep_plan(**kwargs)


def test_morris_ranks_the_parameter_that_drives_homelessness_first(tmp_path):
    """Exits from shelters obviously drive homelessness; network rewiring barely does."""
    out = tmp_path / "morris"
    args = ["sensitivity", "--vary", f"{EXIT_RATE}=0.01:0.08", "--vary", "network.rewire=0:0.5",
            "--samples", "4", "--replications", "1", "--months", "24", "--output", "homeless",
            "--no-progress", *quick_flags(600), "--out", str(out)]
    assert main(args) == 0
    indices = pd.read_csv(out / "indices.csv")
    assert list(indices["parameter"]) == [EXIT_RATE, "network.rewire"]
    assert indices["mu_star"].iloc[0] > 5 * indices["mu_star"].iloc[1]
    assert (out / "tornado.png").stat().st_size > 5_000
    # another output measure re-analyses the same runs: nothing is run again
    assert main([*args, "--output", "housing.street", "--last-months", "6"]) == 0
    assert len(list((out / "parts").glob("*.parquet"))) == 4 * 3


def test_sobol_samples_a_power_of_two_base_and_reports_total_indices():
    study = sensitivity_design(vary={EXIT_RATE: [0.01, 0.08], "network.rewire": [0, 0.5]}, method="sobol",
                               samples=8, months=6, replications=1, fixed={"population.size": 300})
    assert len(study.plan.points) == 8 * (2 + 2)
    assert study.index == ("ST", "ST_conf")
    with pytest.raises(SpecError, match="power of two"):
        sensitivity_design(vary={EXIT_RATE: [0.01, 0.08]}, method="sobol", samples=6)
