"""Calibration: the fitted file is well formed, and the calibrated default hits its targets.

The statistical checks run the real default (calibrated values, own-budget appraisal) at
a reduced scale and compare the mean over two replications with the same targets and
tolerances as docs/validation.md (``model.calibration.targets``).
"""

from __future__ import annotations

import numpy as np
import pytest

from model.calibration import (STATIONARY_LEVELS, baseline_statistics, draw_uncertain, read_uncertainty,
                               run_baseline, target_group, targets)
from model.params import CALIBRATED_FILE, Parameters, read_calibration
from model.trials import TRIALS, emulate

SEEDS = (101, 202)


def test_calibrated_file_is_versioned_and_applied():
    fitted, meta = read_calibration()
    assert CALIBRATED_FILE.exists() and fitted
    for key in ("version", "date", "method", "seed", "replications", "objective", "elapsed_seconds", "targets"):
        assert key in meta, key
    assert set(meta["targets"]) == {t.name for t in targets()}
    base, prior = Parameters.baseline(), Parameters.uncalibrated()
    for path, value in fitted.items():
        assert base[path] == pytest.approx(value)
        assert base.leaf(path).source.startswith("fitted"), path
        assert prior.leaf(path).source  # the prior keeps its source
    # the default scenario is the calibrated one
    from model import WelfareModel

    assert WelfareModel(rng=0, **{"population.size": 50}).params["population.scale"] == base["population.scale"]


def test_fitted_values_respect_the_domain_orderings():
    """Treatment never slows recovery: the fitted monthly rate from psychiatric treatment to
    stable is at least the rate of spontaneous remission (runs/calibrate.py: ORDERINGS)."""
    from runs.calibrate import ORDERINGS, ORDERING_WEIGHT, ordering_violations

    base = Parameters.baseline()
    assert ORDERINGS and ORDERING_WEIGHT > 0
    for (fast, slow), violation in ordering_violations({p: base[p] for pair in ORDERINGS for p in pair}).items():
        assert violation < 0.02, f"{fast} = {base[fast]:.4g} is slower than {slow} = {base[slow]:.4g}"
    # the hinge is zero when the ordering holds and grows with the violation
    assert ordering_violations({"pathways.mental.treatment_to_stable.rate": 0.02,
                                "pathways.mental.untreated_to_well.rate": 0.01}) == {ORDERINGS[0]: 0.0}
    assert list(ordering_violations({"pathways.mental.treatment_to_stable.rate": 0.01,
                                     "pathways.mental.untreated_to_well.rate": 0.02}).values())[0] > 0.69


def test_statistics_on_a_hand_made_history():
    """Relapse, reconviction and the homeless flow counted on a tiny known history."""
    T, n = 40, 3
    hist = np.zeros((T + 1, 5, n), dtype=np.int8)
    # citizen 0: treatment until month 2, recovery at 3, problematic at 10 -> relapse within 12
    hist[:3, 1, 0] = 2
    hist[3:10, 1, 0] = 3
    hist[10:, 1, 0] = 1
    # citizen 1: completes at month 5, stays recovered -> no relapse
    hist[:5, 1, 1] = 2
    hist[5:, 1, 1] = 3
    # citizen 2: prison until 1, released at 2, back in prison at 20 (within 24) ; homeless months 13-14
    hist[:2, 4, 2] = 1
    hist[20:, 4, 2] = 1
    hist[13:15, 0, 2] = 2
    s = baseline_statistics(hist, group_size=n)
    assert s["relapse_n"] == 2 and s["relapse_12m"] == pytest.approx(0.5)
    assert s["reconviction_n"] == 1 and s["reconviction_24m"] == pytest.approx(1.0)
    assert s["homeless_yearly"] == pytest.approx(1.0 / 2)  # one citizen in year 2 of 2 years (2..3) = 1/2


def test_uncertainty_ranges_cover_the_point_estimates():
    ranges = read_uncertainty()
    base = Parameters.baseline()
    assert ranges
    for path, spec in ranges.items():  # a money range is in the leaf's price year, like its value
        assert spec["min"] <= base.leaf(path).value <= spec["max"], path
    draw = draw_uncertain(ranges, np.random.default_rng(0))
    base.with_overrides(draw)  # every draw is a valid parameter set


def _check(tgt, value):
    assert tgt.passes(value), f"{tgt.name}: model {value:.4g}, target {tgt.value:.4g} +- {tgt.tolerance:.3g}"


def test_calibrated_baseline_hits_the_danish_targets_and_is_stationary():
    params = Parameters.baseline()
    N = target_group(params)
    runs = [run_baseline(params, seed, size=5000, group_size=N) for seed in SEEDS]
    failures = []
    for tgt in targets(Parameters.uncalibrated()):
        if tgt.group == "trial":
            continue
        value = float(np.mean([r[tgt.name] for r in runs]))
        if not tgt.passes(value):
            failures.append(f"{tgt.name}: model {value:.4g}, target {tgt.value:.4g} +- {tgt.tolerance:.3g}")
    assert not failures, "\n".join(failures)
    assert set(STATIONARY_LEVELS) <= {t.name.removeprefix("drift_") for t in targets()}


@pytest.mark.parametrize("trial", list(TRIALS))
def test_trial_emulation_reproduces_the_trial(trial):
    params = Parameters.baseline()
    t = TRIALS[trial]
    runs = [emulate(trial, params, seed) for seed in SEEDS]
    assert min(r["n_usual_care"] for r in runs) > 400  # arms large enough for +-5 pp
    by_name = {x.name: x for x in targets()}
    for arm in ("intervention", "usual_care"):
        _check(by_name[f"{trial}_{arm}"], float(np.mean([r[arm] for r in runs])))
    assert np.mean([r["intervention"] - r["usual_care"] for r in runs]) == pytest.approx(
        t.targets[0] - t.targets[1], abs=0.07)
