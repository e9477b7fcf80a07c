"""The compiled kernels (``model/kernels/``) against the numpy reference (the pathway
passes of ``PathwayEngine``, the fitting of a cohort's starting shares, the ledger's
booking by profile): the same bits
for every shipped scenario, for random rule tables with blocked moves, zero base rates
and extreme hazard ratios, and for cohorts of every size."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import WelfareModel
from model.params import ParameterError
from model import kernels
from model.kernels.pathways import CompiledPathways
from model.pathways import PathwayEngine
from runs.cli import main as cli_main
from runs.fingerprint import fingerprint
from tests.test_pathway_engine import random_valid_parameters

#: scenarios that size their services by appraisal runs (a model run per candidate
#: intervention before the first month) are compared on fewer citizens
APPRAISED = {"siloed_appraisal", "pooled_budget"}
SCENARIOS = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "runs" / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("scenario", ["baseline", *SCENARIOS])
def test_both_engines_give_the_same_run_bit_for_bit(scenario, monkeypatch):
    """Every state, service, ledger, children's, demography's and network array and the
    DataCollector's table hash the same after 30 months, whichever engine ran them.
    (The appraisal pilots of siloed_appraisal and pooled_budget are cached per parameter
    set in a process, so both engines' runs here share one; they run the same month.)"""
    prints = {}
    for engine in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.ENGINE_VARIABLE, engine)
        prints[engine] = fingerprint(scenario, 300 if scenario in APPRAISED else 1000, 30, seed=5)
    assert prints["compiled"] == prints["numpy"]


@pytest.mark.parametrize("detail", [True, False])
def test_both_engines_book_the_same_ledger_with_and_without_the_monthly_detail(detail, monkeypatch):
    """The ledger's booking by profile (``model/kernels/ledger.py``), with the per-citizen
    monthly detail (up to 20,000 citizens) and without it (larger runs), for everyone
    alive (month 0's state) and for the living rows of a population with its dead."""
    import model.ledger

    if not detail:
        monkeypatch.setattr(model.ledger, "CITIZEN_DETAIL_MAX", 100)
    out = {}
    for engine in ("numpy", "compiled"):
        monkeypatch.setenv(kernels.ENGINE_VARIABLE, engine)
        m = WelfareModel("coordinated", rng=11, **{"population.size": 1500})
        m.run_for(14)
        led = m.ledger
        assert led.detail is detail
        out[engine] = (np.ascontiguousarray(led.citizen_total), np.stack(led.monthly), led.citizen_qaly.copy(),
                       np.array(led.wellbeing_mean), led.citizen_monthly_array() if detail else np.zeros(0))
    for compiled, reference in zip(out["compiled"], out["numpy"]):
        np.testing.assert_array_equal(compiled, reference)
    assert (out["compiled"][0] != 0).any()


def test_the_compiled_engine_is_the_default_and_the_switch_chooses_numpy(monkeypatch):
    monkeypatch.delenv(kernels.ENGINE_VARIABLE, raising=False)
    assert kernels.selected() == "compiled"
    assert WelfareModel(rng=1, **{"population.size": 200}).engine.kernel is not None
    monkeypatch.setenv(kernels.ENGINE_VARIABLE, "numpy")
    assert WelfareModel(rng=1, **{"population.size": 200}).engine.kernel is None


@pytest.mark.parametrize("n", [0, 1, 2, 7, 33, 327, 2000, 20_000])
def test_a_cohort_is_fitted_to_its_shares_with_the_same_bits_by_both_engines(n, monkeypatch):
    """The tilted starting shares of a cohort (a month's newcomers: a few dozen; the
    start: thousands), all domains at once and one alone."""
    from model.params import Parameters
    from model.population import _initial_shares, _tilted_cumulative_shares

    shares, loadings = _initial_shares(Parameters.baseline())
    complexity = np.random.default_rng(n).standard_normal(n)
    for group in (slice(0, 5), slice(2, 3)):
        out = {}
        for engine in ("numpy", "compiled"):
            monkeypatch.setenv(kernels.ENGINE_VARIABLE, engine)
            out[engine] = _tilted_cumulative_shares(shares[group], loadings[group], complexity)
        assert out["compiled"].shape == out["numpy"].shape
        assert np.array_equal(out["compiled"], out["numpy"])


def _compared_engine(model: WelfareModel) -> list[str]:
    """Make the model's month run the numpy passes and, on the same inputs, the kernels;
    returns the months whose rates (bit for bit) or choices differed."""
    engine = model.engine
    kernel, engine.kernel = CompiledPathways(engine), None
    numpy_choose, differences = engine.choose, []

    network = model.network

    def choose(state, peers, service_columns, rows, uniforms):
        reference = numpy_choose(state, peers, service_columns, rows, uniforms)
        shares = engine.peer_shares(state, network)
        compiled = kernel.choose(state, peers, service_columns, rows, uniforms, 64)
        if not np.array_equal(reference, compiled):
            differences.append(f"month {model.month}: {(reference != compiled).sum()} choices differ")
        # the rates themselves: a choice rarely turns on the last bit of a rate
        r = engine.rates(state, engine.features(state, network, service_columns, rows, shares))
        who = np.arange(state.n) if rows is None else rows
        # the transition in each (citizen, domain, slot): citizens x domains x slots
        slots = kernel.out_k[np.arange(kernel.out_k.shape[0])[None, :], state.levels[:, who].T]
        expected = np.where(slots >= 0, r[np.maximum(slots, 0), np.arange(who.size)[:, None, None]], 0.0)
        mine = kernel.rates(state, peers, service_columns, rows)
        if not np.array_equal(expected.astype(np.float32).view(np.uint32), mine.view(np.uint32)):
            differences.append(f"month {model.month}: {(expected != mine).sum()} rates differ")
        return reference

    engine.choose = choose
    return differences


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=random_valid_parameters(), seed=st.integers(0, 2**32 - 1))
def test_the_kernels_choose_what_the_numpy_passes_choose_for_any_valid_rules(overrides, seed):
    """Hazard ratios of 0 (blocked moves) on every kind of feature, base rates of 0 and
    10 a month, hazard ratios up to 1,000 (log-rates clipped at MAX_LOG_RATE), with and
    without peers; blocks of 64 citizens."""
    model = WelfareModel(rng=seed, **overrides)
    differences = _compared_engine(model)
    model.run_for(3)
    assert not differences, differences[:3]


def test_more_than_three_moves_out_of_a_level_is_refused_by_the_kernel():
    """The kernel keeps SLOTS moves a level; a rule table with more fails loudly at set-up
    rather than dropping a move."""
    engine = PathwayEngine.__new__(PathwayEngine)
    model = WelfareModel(rng=1, **{"population.size": 50})
    engine.__dict__.update(model.engine.__dict__)
    engine.transitions = [*engine.transitions, *[t for t in engine.transitions if t.name.startswith("housing.precarious")]]
    with pytest.raises(AssertionError, match="more than 3 transitions out of housing.precarious"):
        CompiledPathways(engine)


def test_an_unknown_engine_is_refused_with_the_allowed_names(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv(kernels.ENGINE_VARIABLE, "fast")
    allowed = "WELFARE_PATHWAYS_ENGINE='fast': allowed values are 'compiled' and 'numpy'"
    with pytest.raises(ParameterError, match=allowed):
        WelfareModel(rng=1, **{"population.size": 50})
    out = tmp_path / "out"
    assert cli_main(["run", "--set", "population.size=50", "--months", "1", "-r", "1", "--no-plots", "--out", str(out)]) == 2
    assert not out.exists()  # refused before anything is written
    assert kernels.ENGINE_VARIABLE in capsys.readouterr().err


def test_the_childrens_kernels_know_the_placement_and_school_levels():
    from agents.states import Placement, School
    from model.kernels import children as compiled_children

    assert (compiled_children.HOME, compiled_children.PREVENTIVE, compiled_children.FOSTER,
            compiled_children.INSTITUTION) == tuple(Placement)
    assert (compiled_children.ON_TRACK, compiled_children.BEHIND) == tuple(School)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("programmes", [False, True])
def test_a_childrens_month_has_the_same_bits_on_both_engines_from_any_state(seed, programmes):
    """The parents' states, the moves and the month's tally (``Children._parent_states``,
    ``_move``, ``_tally``) of children in random placements, school tracks, ages and
    histories, under high random hazards and programme hazard ratios (or none, as in the
    burn-in), compiled and numpy: every child array, result and statistic equal."""
    import copy

    from model.children import CHILD

    model = WelfareModel(rng=seed, **{"population.size": 800})
    for _ in range(3):
        model.step()
    rng = np.random.default_rng(seed)
    c, pop = model.children, model.population
    n = c.n
    c.placement[:] = rng.integers(0, 4, n)
    c.school[:] = rng.integers(0, 2, n)
    c.ever_placed[:] = rng.random(n) < 0.3
    c.placements[:] = np.where(c.ever_placed, rng.integers(1, 3, n), 0)
    c.parent_ever_prison[:] = rng.random(n) < 0.2
    pop.levels[:, :pop.n] = rng.integers(0, 3, (pop.levels.shape[0], pop.n))
    g = c.g
    g["placement"]["per_year"], g["placement"]["return_per_year"] = rng.uniform(0.5, 5.0, 2)
    g["preventive"]["per_year"], g["preventive"]["per_year_at_risk"] = rng.uniform(0.5, 5.0, 2)
    g["school"]["behind_per_year"], g["school"]["catch_up_per_year"] = rng.uniform(0.5, 5.0, 2)
    for name in g["placement"]["hr"]:
        g["placement"]["hr"][name] = float(rng.uniform(0.3, 9.0))
    kids = np.flatnonzero(c.status == CHILD)
    u, v, w = rng.random((3, n))
    hr_place, hr_school = (rng.choice([0.5, 0.8, 1.0], (2, n)) if programmes else (None, None))
    results = {}
    for engine in ("numpy", "compiled"):
        kid = copy.deepcopy(c)
        kid._compiled = engine == "compiled"
        flags, hr, at_risk = kid._parent_states(pop, kids)
        before = kid.placement[kids]
        moved = kid._move(kids, hr, at_risk, kid.age_months, u, v, w, hr_place, hr_school)
        st = {}
        kid._tally(kids, before, *moved, st)
        results[engine] = (flags, hr, at_risk, moved, st, {a: getattr(kid, a) for a in kid.ARRAYS})
    (f0, hr0, ar0, m0, st0, a0), (f1, hr1, ar1, m1, st1, a1) = results["numpy"], results["compiled"]
    assert list(f0) == list(f1) and all(np.array_equal(f0[k], f1[k]) for k in f0)
    assert np.array_equal(hr0, hr1) and np.array_equal(ar0, ar1)
    assert all(np.array_equal(x, y) and x.dtype == y.dtype for x, y in zip(m0, m1))
    assert list(st0.items()) == list(st1.items()) and st0["placements"] > 0 and st0["returns_home"] > 0
    assert all(np.array_equal(a0[k], a1[k]) for k in a0)
