"""The probabilistic sensitivity analysis: what is drawn, and that a collapsed draw is the point estimate.

The PSA (``runs/validate.py``) draws the [E] estimates, every service effect and the fitted
values (``model.calibration.read_uncertainty``, ``read_fit_uncertainty``, ``draw_uncertain``).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from model.calibration import draw_uncertain, read_fit_uncertainty, read_uncertainty
from model.params import CALIBRATED_FILE, Parameters

N_DRAWS = 200


@pytest.fixture(scope="module")
def inputs():
    return read_uncertainty(), read_fit_uncertainty()


@pytest.fixture(scope="module")
def draws(inputs):
    ranges, fit = inputs
    rng = np.random.default_rng(3)
    return [draw_uncertain(ranges, rng, fit) for _ in range(N_DRAWS)]


def test_every_service_effect_has_a_range_with_a_source(inputs):
    ranges, _ = inputs
    base = Parameters.baseline()
    effects = {p for p in base if p.startswith("services.") and ".effects." in p}
    assert effects and effects <= {p for p, s in ranges.items() if s["kind"] == "effect"}
    for p in effects:
        s = ranges[p]
        assert s["source"] and s["scale"] == "log"
        assert s["min"] <= base[p] <= s["max"], p  # the default's value is inside its range


def test_fitted_values_are_drawn_from_the_fit_covariance(inputs):
    _, fit = inputs
    fitted = {p for p in Parameters.baseline() if Parameters.baseline().leaf(p).source.startswith("fitted")}
    assert fit["method"] == "covariance", fit["note"]  # calibrated.toml carries the covariance of this version
    cov = np.asarray(fit["log_cov"])
    assert cov.shape == (len(fit["parameters"]),) * 2
    assert np.all(np.linalg.eigvalsh(cov) > 0)  # positive definite
    # every fitted value but the trial effects (varied as effects) is in the covariance
    assert set(fit["parameters"]) == {p for p in fitted if ".effects." not in p}


def test_draws_stay_within_their_ranges(inputs, draws):
    ranges, fit = inputs
    for d in draws:
        for p, s in ranges.items():
            assert s["min"] <= d[p] <= s["max"], p
        for p, lo, hi in zip(fit["parameters"], fit["lower"], fit["upper"]):
            assert lo <= d[p] <= hi, p
    Parameters.baseline().with_overrides(draws[0], origin="PSA draw")  # a valid parameter set


def test_effect_sizes_and_fitted_values_really_vary(inputs, draws):
    ranges, fit = inputs
    for p, s in ranges.items():
        if s["max"] > s["min"]:
            values = np.array([d[p] for d in draws])
            assert np.ptp(values) > 0.5 * (s["max"] - s["min"]), p  # spread over most of the range
    for p in fit["parameters"]:
        assert np.std(np.log([d[p] for d in draws])) > 0.01, p
    # effects are drawn on the log scale: the log of a draw is uniform, so its median is mid-range
    p = "services.cti.effects.housing.own_home_to_precarious"
    logs = np.log([d[p] for d in draws])
    mid = (np.log(ranges[p]["min"]) + np.log(ranges[p]["max"])) / 2
    assert np.median(logs) == pytest.approx(mid, abs=0.25 * (np.log(ranges[p]["max"] / ranges[p]["min"])))
    # a group shares one draw: Housing First's three fitted exit effects move by the same factor
    base = Parameters.baseline()
    group = [q for q, s in ranges.items() if s.get("group") == "housing_first_fit"]
    assert len(group) == 3
    for d in draws[:20]:
        factors = [d[q] / base[q] for q in group]
        assert factors == pytest.approx([factors[0]] * 3)


def _collapsed(ranges: dict, fit: dict) -> tuple[dict, dict]:
    base = Parameters.baseline()
    point = {p: {**s, "min": float(base.leaf(p).value), "max": float(base.leaf(p).value)} for p, s in ranges.items()}
    still = {**fit, "log_cov": np.zeros_like(np.asarray(fit["log_cov"], dtype=float))}
    return point, still


def test_collapsed_ranges_draw_the_point_exactly(inputs):
    point, still = _collapsed(*inputs)
    base = Parameters.baseline()
    d = draw_uncertain(point, np.random.default_rng(0), still)
    assert d and all(d[p] == base.leaf(p).value for p in d)
    assert not base.with_overrides(d).changes  # nothing differs from the default


def test_collapsed_psa_reproduces_the_plain_paired_run(inputs):
    """With every range collapsed to its point, a PSA draw's paired difference is the plain
    paired run's, budget holder by budget holder, for each PSA scenario."""
    from model.compare import paired_run
    from runs.validate import PSA_SCENARIOS, _psa_job

    point, still = _collapsed(*inputs)
    draw = draw_uncertain(point, np.random.default_rng(0), still)
    size, months, seed = 400, 24, 11
    out = _psa_job((draw, seed, size, months))
    for name in PSA_SCENARIOS:
        h = paired_run(Parameters.baseline(), name, seed=seed, months=months,
                       **{"population.size": size}).summary().headline
        for b in h.index:
            assert out["scenarios"][name]["npv"][b] == pytest.approx(float(h.loc[b, "npv"]), rel=1e-12, abs=1e-6), \
                (name, b)
    assert np.isfinite(out["homeless_count"])


def test_p_npv_positive_is_a_share_per_budget_holder():
    from runs.validate import psa_drivers, psa_table

    rng = np.random.default_rng(1)
    budgets = ("kommune", "region", "stat", "total")
    runs = [{"npv": {b: float(rng.normal()) for b in budgets},
             "payback_month": {b: (float(rng.integers(1, 200)) if rng.uniform() < 0.7 else np.nan) for b in budgets}}
            for _ in range(50)]
    rows = psa_table(runs)
    assert [r["budget"] for r in rows] == list(budgets)
    for r, b in zip(rows, budgets):
        assert 0.0 <= r["p_npv_positive"] <= 1.0
        assert r["p_npv_positive"] == pytest.approx(np.mean([x["npv"][b] > 0 for x in runs]))
        assert 0.0 <= r["within_5_years"] <= r["within_10_years"] <= 1.0
        assert r["p10"] <= r["median"] <= r["p90"]
    draws = [{"a": float(i), "b": float(rng.normal())} for i in range(50)]
    top = psa_drivers(draws, [x["npv"]["total"] + 10 * d["a"] for x, d in zip(runs, draws)], top=1)
    assert top[0][0] == "a" and top[0][1] > 0.9


def test_without_a_covariance_the_fit_falls_back_to_the_labelled_approximation(tmp_path):
    text = CALIBRATED_FILE.read_text()
    stripped = tmp_path / "calibrated.toml"
    stripped.write_text(text.split("\n[covariance]")[0] + "\n")
    fit = read_fit_uncertainty(stripped)
    assert fit["method"] == "approximation" and fit["log_cov"] is None and "APPROXIMATION" in fit["note"]
    for x, lo, hi in zip(fit["point"], fit["lower"], fit["upper"]):
        assert lo == pytest.approx(x / 1.2) and hi == pytest.approx(x * 1.2)
    # a covariance of another calibration version is not used either
    stale = tmp_path / "stale.toml"
    stale.write_text(re.sub(r"calibration_version = \d+", "calibration_version = 0", text))
    assert read_fit_uncertainty(stale)["method"] == "approximation"
    d = draw_uncertain({}, np.random.default_rng(0), fit)
    for p, lo, hi in zip(fit["parameters"], fit["lower"], fit["upper"]):
        assert lo <= d[p] <= hi
