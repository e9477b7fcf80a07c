"""Trial emulation as a user feature: trial files, `welfare-pathways trial`, its files.

The shipped trials load; the two the calibration fits give bit-identical results to the
implementation they replaced (kept below as the reference); the command runs a small
trial end to end and writes every file; `--months` extends the curves; a bad trial file
exits 2 naming the file and the field; the paired ledger of an intervention without
effect holds only the service's cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from agents.states import HOMELESS, Domain, Employment, Housing, Justice, Mental
from model.params import Parameters
from model.ledger import SERVICE_CATEGORIES
from model.trials import TRIALS, emulate, load_trial, run_trial, shipped_trials
from runs.cli import main
from runs.trial import FILES

SMALL = ["--replications", "2", "--set", "population.size=2000", "--seed", "3"]


def read(path):
    return pd.read_csv(path, skiprows=1)


# -- the shipped files --------------------------------------------------------------------------
def test_shipped_trials_load_and_the_fitted_ones_are_trials():
    assert {"hf", "ips", "cti"} <= set(shipped_trials())
    for name in shipped_trials():
        t = load_trial(name)
        assert t.name == name and t.label and t.sources and t.window[1] <= t.months
        assert any("https://" in s for s in t.sources), name
    assert set(TRIALS) == {"hf", "ips"}
    assert TRIALS["hf"].targets == (0.73, 0.31) and TRIALS["ips"].targets == (0.599, 0.465)
    cti = load_trial("cti")
    assert cti.odds_ratio == 0.22 and not cti.good and cti.moved is not None and cti.service == "cti"
    assert "Herman" in cti.label


# -- the old definitions, as they were in model/trials.py: the files must reproduce them ------------
def _reference(trial: str, params: Parameters, seed, size: int) -> dict:
    from model.welfare_model import WelfareModel

    if trial == "hf":
        eligible = lambda lv: np.isin(lv[Domain.HOUSING], HOMELESS) & (lv[Domain.MENTAL] != Mental.WELL)  # noqa: E731
        state = lambda lv: np.isin(lv[Domain.HOUSING], (Housing.OWN_HOME, Housing.SUPPORTED))  # noqa: E731
        service, months, cumulative, window = "housing_first", 12, False, (7, 12)
    else:
        eligible = lambda lv: (np.isin(lv[Domain.MENTAL], (Mental.TREATMENT, Mental.STABLE))  # noqa: E731
                               & (lv[Domain.EMPLOYMENT] == Employment.BENEFITS)
                               & (lv[Domain.JUSTICE] != Justice.PRISON))
        state = lambda lv: lv[Domain.EMPLOYMENT] == Employment.EMPLOYED  # noqa: E731
        service, months, cumulative, window = "ips", 18, True, (1, 18)
    model = WelfareModel(params, rng=seed, **{"population.size": size})
    el = np.flatnonzero(eligible(model.population.levels))
    rng = np.random.default_rng(np.random.SeedSequence(model.seed, spawn_key=(0x7121A1,)))
    shuffled = rng.permutation(el)
    arms = (np.sort(shuffled[: el.size // 2]), np.sort(shuffled[el.size // 2:]))
    model.services.enroll(service, arms[0], model.population)
    good = np.empty((months + 1, 2))
    ever = [np.zeros(a.size, dtype=bool) for a in arms]
    rows = []
    for month in range(months + 1):
        if month:
            model.step()
        s_all = state(model.population.levels)
        for a, arm in enumerate(arms):
            s = s_all[arm]
            if cumulative and month >= window[0]:
                ever[a] |= s
            good[month, a] = ever[a].mean() if cumulative else s.mean()
        if window[0] <= month <= window[1]:
            rows.append(good[month].copy())
    outcome = good[window[1]] if cumulative else np.mean(rows, axis=0)
    return {"intervention": float(outcome[0]), "usual_care": float(outcome[1]), "n": (arms[0].size, arms[1].size),
            "curve": good}


@pytest.mark.parametrize("trial", ["hf", "ips"])
@pytest.mark.parametrize("seed, size", [(7, 3000), (101, 5000)])
def test_fitted_trials_from_files_are_bit_identical_to_the_old_definitions(trial, seed, size):
    params = Parameters.baseline()
    ref = _reference(trial, params, seed, size)
    new = emulate(trial, params, seed, size)
    assert (new["intervention"], new["usual_care"]) == (ref["intervention"], ref["usual_care"])
    assert (new["n_intervention"], new["n_usual_care"]) == ref["n"]
    assert np.array_equal(np.stack([new["curve_intervention"], new["curve_usual_care"]], axis=1), ref["curve"])


# -- the command ----------------------------------------------------------------------------------
def test_a_small_trial_runs_end_to_end_and_writes_every_file(tmp_path, capsys):
    out = tmp_path / "hf"
    assert main(["trial", "hf", *SMALL, "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == set(FILES)
    printed = capsys.readouterr().out
    assert "At Home/Chez Soi" in printed and "difference" in printed and "kommune" in printed
    curves = read(out / "curves.csv")
    assert set(curves["month"]) == set(range(13)) and set(curves["arm"]) == {"intervention", "usual_care"}
    assert ((curves["p10"] <= curves["median"]) & (curves["median"] <= curves["p90"])).all()
    outcome = read(out / "outcome.csv").set_index("measure")
    assert {"intervention", "usual_care", "difference"} <= set(outcome.index)
    assert outcome.loc["intervention", "trial"] == 0.73
    assert outcome.loc["intervention", "median"] > outcome.loc["usual_care", "median"]
    citizens = pd.read_parquet(out / "citizens.parquet")
    assert set(citizens["replication"]) == {0, 1} and set(citizens["arm"]) == {"intervention", "usual_care"}
    assert {"entry_month", "housing_at_entry", "mental_at_entry", "outcome"} <= set(citizens.columns)
    assert citizens["housing_at_entry"].isin(["precarious", "shelter", "street"]).all()
    assert (citizens["mental_at_entry"] != "well").all() and citizens["outcome"].between(0, 1).all()
    # the citizens' outcomes are the arms' outcomes
    means = citizens.groupby(["replication", "arm"])["outcome"].mean().groupby("arm").median()
    assert means["intervention"] == pytest.approx(outcome.loc["intervention", "median"])
    ledger = read(out / "ledger.csv")
    assert set(ledger["scope"]) == {"participants", "population"}
    row = ledger[(ledger["scope"] == "participants") & (ledger["budget"] == "kommune")
                 & (ledger["category"] == "housing_first")]
    assert (row["median"] > 0).all()  # Housing First costs the kommune
    # rerunning replaces the directory whole
    assert main(["trial", "hf", *SMALL, "--out", str(out), "--no-plots"]) == 0
    assert "curves.png" not in {p.name for p in out.iterdir()}


def test_months_extends_the_curves_and_keeps_the_outcome(tmp_path):
    assert main(["trial", "ips", *SMALL, "--no-plots", "--out", str(tmp_path / "a")]) == 0
    assert main(["trial", "ips", *SMALL, "--no-plots", "--months", "30", "--out", str(tmp_path / "b")]) == 0
    a, b = read(tmp_path / "a" / "curves.csv"), read(tmp_path / "b" / "curves.csv")
    assert a["month"].max() == 18 and b["month"].max() == 30
    assert set(b["series"]) == {"in_state", "outcome"}  # an 'ever' outcome: its cumulative curve too
    shared = b[b["month"] <= 18].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, shared)  # the same citizens, the same random numbers
    oa = read(tmp_path / "a" / "outcome.csv")
    ob = read(tmp_path / "b" / "outcome.csv")
    pd.testing.assert_frame_equal(oa, ob)


def test_no_effect_intervention_shows_only_the_service_cost_in_the_paired_ledger(tmp_path):
    out = tmp_path / "ips"
    no_effect = ["--set", "services.ips.effects.employment.benefits_to_employed=1.0",
                 "--set", "services.ips.effects.employment.outside_to_benefits=1.0"]
    assert main(["trial", "ips", *SMALL, *no_effect, "--no-plots", "--out", str(out)]) == 0
    ledger = read(out / "ledger.csv")
    items = ledger[ledger["category"] != "total"]
    assert set(items["category"]) <= set(SERVICE_CATEGORIES["ips"])
    for scope in ("participants", "population"):
        rows = ledger[ledger["scope"] == scope].set_index(["budget", "category"])
        assert rows.loc[("kommune", "ips"), "median"] > 0
        assert rows.loc[("total", "total"), "median"] == pytest.approx(rows.loc[("kommune", "ips"), "median"])


def test_rolling_recruitment_of_movers_from_a_shelter():
    t = load_trial("cti")
    run = run_trial(t, Parameters.baseline(), 5, size=10000)
    c = run.citizens
    assert c["citizen"].size > 20 and min(run.sizes) > 0
    entry = c["entry_month"]
    assert ((t.start <= entry) & (entry < t.start + t.recruit)).all()
    assert (c["housing_at_entry"] == Housing.OWN_HOME).all() and (c["mental_at_entry"] != Mental.WELL).all()
    assert np.unique(c["citizen"]).size == c["citizen"].size  # each citizen randomised once
    assert set(np.unique(c["outcome"])) <= {0.0, 1.0}


# -- bad input: exit 2, naming the file and the field ----------------------------------------------
GOOD = """
[trial]
label = "x"
service = "ips"
size = 2000
follow_up = 6
sources = ["a source: https://example.org"]

[eligibility]
employment = ["benefits"]

[outcome]
label = "employed"
state = { employment = ["employed"] }
measure = "ever"
window = [1, 6]
"""


@pytest.mark.parametrize("old, new, message", [
    ("size = 2000", "sise = 2000", "trial.sise: unknown key; allowed: name"),
    ("size = 2000", 'size = "big"', "trial.size = 'big': wrong type, expected a whole number"),
    ("follow_up = 6", "follow_up = 0", "trial.follow_up = 0: out of range; expected 1-1200"),
    ('service = "ips"', 'service = "magic"', "trial.service = 'magic': unknown service"),
    ('employment = ["benefits"]', 'employment = ["rich"]', "eligibility.employment: unknown level 'rich'"),
    ('employment = ["benefits"]', 'employmnt = ["benefits"]', "eligibility.employmnt: unknown key"),
    ("window = [1, 6]", "window = [1, 9]", "outcome.window = [1, 9]: out of range"),
    ('measure = "ever"', 'measure = "mean"', "outcome.measure = 'mean': unknown measure; allowed: ever"),
    ("[outcome]", "[outcomes]", "[outcomes]: unknown key"),
    ('sources = ["a source: https://example.org"]', "sources = []", "trial.sources = []: wrong type"),
])
def test_a_bad_trial_file_exits_2_naming_the_file_and_field(tmp_path, capsys, old, new, message):
    assert old in GOOD
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(old, new))
    assert main(["trial", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and message in err, err
    assert not (tmp_path / "out").exists()


def test_the_good_file_runs(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    assert main(["trial", str(path), "-r", "1", "--no-plots", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "citizens.parquet").exists()


@pytest.mark.parametrize("argv, message", [
    (["trial", "no_such_trial"], "unknown trial 'no_such_trial'; shipped trials: cti, hf, ips"),
    (["trial", "hf", "--months", "10"], "--months 10: shorter than the outcome window of trial 'hf'"),
    (["trial", "hf", "--set", "network.rewire=2"], "network.rewire = 2: out of range"),
])
def test_bad_flags_exit_2(tmp_path, capsys, argv, message):
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err


def test_the_example_in_docs_trials_md_is_a_valid_trial(tmp_path):
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "trials.md").read_text()
    example = re.findall(r"```toml\n(.*?)```", text, flags=re.S)[0]
    path = tmp_path / "act_after_prison.toml"
    path.write_text(example.replace('description = "..."', 'description = "an example"'))
    t = load_trial(path)
    assert t.moved is not None and t.service == "case_management" and t.recruit == 12 and not t.good
    run = run_trial(t, Parameters.baseline(), 1, size=3000, paired=True)
    assert run.outcome.shape == (2,) and run.own is not None


def test_trial_json_round_trips_to_the_same_trial(tmp_path):
    """trial.json holds the trial in its file's structure: written back as TOML it loads as
    the same trial."""
    import json

    out = tmp_path / "out"
    assert main(["trial", "cti", "-r", "1", "--set", "population.size=3000", "--no-plots", "--out", str(out)]) == 0
    body = json.loads((out / "trial.json").read_text())
    assert body["run"]["simulated_citizens"] == 3000 and body["eligibility"]["moved"]["from"] == ["shelter"]

    def toml(value):
        return json.dumps(value) if not isinstance(value, bool) else str(value).lower()

    lines = []
    for table in ("trial", "eligibility", "outcome", "targets"):
        lines.append(f"[{table}]")
        for key, value in body[table].items():
            if isinstance(value, dict):
                value = "{ " + ", ".join(f"{k} = {toml(v)}" for k, v in value.items()) + " }"
            else:
                value = toml(value)
            lines.append(f"{key} = {value}")
    path = tmp_path / "cti.toml"
    path.write_text("\n".join(lines) + "\n")
    import dataclasses

    assert dataclasses.replace(load_trial(path), path="") == dataclasses.replace(load_trial("cti"), path="")
