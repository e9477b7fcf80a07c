"""The pathway engine against known analytical results and the direction of effects."""

import numpy as np
import pytest

from agents import LEVELS, Domain
from model import Parameters, WelfareModel
from model.welfare_model import NoServices
from tests.conftest import constant_hazard_overrides


def test_constant_hazards_reproduce_the_analytical_markov_chain():
    """With peers, services and every modifier off, each domain is a Markov chain: the
    simulated occupancy at month t must match pi_0 T^t within sampling error."""
    n, months = 20000, 24
    model = WelfareModel(rng=11, services=NoServices(), **constant_hazard_overrides(n))
    model.run_for(months)
    frame = model.occupancy_frame()
    initial = Parameters.baseline().subtree("population.initial")
    worst = 0.0
    for d in Domain:
        names = [lv.name.lower() for lv in LEVELS[d]]
        pi = np.array([initial[d.name.lower()][k] for k in names])
        mat = model.engine.transition_matrix(d)
        assert np.allclose(mat.sum(axis=1), 1.0)
        for t in range(months + 1):
            observed = frame.loc[t, [f"{d.name.lower()}.{k}" for k in names]].to_numpy() / n
            se = np.sqrt(pi * (1 - pi) / n) + 1e-12
            z = np.abs(observed - pi) / se
            worst = max(worst, z.max())
            pi = pi @ mat
    # 19 levels x 25 months of (correlated) checks: |z| < 4.5 fails by chance < 0.1%
    assert worst < 4.5, f"largest deviation {worst:.2f} standard errors"


def test_transition_matrix_is_hand_computable():
    """Justice at base rates: prison->free 0.05, prison->probation 0.10 per month."""
    mat = WelfareModel(rng=1, **{"population.size": 10}).engine.transition_matrix(Domain.JUSTICE)
    p_leave = 1 - np.exp(-0.15)
    assert mat[1, 1] == pytest.approx(np.exp(-0.15))
    assert mat[1, 0] == pytest.approx(p_leave * 0.05 / 0.15)
    assert mat[1, 2] == pytest.approx(p_leave * 0.10 / 0.15)


def homeless_after(months: int, seed: int = 4, **overrides) -> int:
    model = WelfareModel(rng=seed, **{"population.size": 8000, **overrides})
    model.run_for(months)
    return model.occupancy["homeless"]


def test_raising_a_hazard_ratio_moves_occupancy_in_the_expected_direction():
    base = homeless_after(24)
    more_evictions = homeless_after(24, **{"pathways.housing.own_home_to_precarious.hr.substance_problematic": 6.0})
    fewer_exits = homeless_after(24, **{"pathways.housing.shelter_to_own_home.hr.substance_problematic": 0.2})
    assert more_evictions > base * 1.05
    assert fewer_exits > base


def test_employed_peers_raise_job_finding():
    def employed(hr: float) -> int:
        m = WelfareModel(rng=3, **{"population.size": 8000,
                                   "pathways.employment.benefits_to_employed.hr.peers_employment_employed": hr})
        m.run_for(36)
        return m.occupancy["employment.employed"]

    assert employed(10.0) > employed(1.0) * 1.05


def test_a_blocked_transition_never_happens():
    """hr = 0 blocks a move: nobody in prison finds a job."""
    m = WelfareModel(rng=2, **{"population.size": 4000, "demography.enabled": False,
                               "pathways.employment.benefits_to_employed.rate": 2.0})
    prisoners_on_benefits = (m.population.levels[Domain.JUSTICE] == 1) & (m.population.levels[Domain.EMPLOYMENT] == 1)
    before = m.population.levels.copy()
    m.step()
    still_in_prison = prisoners_on_benefits & (before[Domain.JUSTICE] == 1)
    assert still_in_prison.sum() > 10
    assert (m.population.levels[Domain.EMPLOYMENT, still_in_prison] != 0).all()


# -- hazard ratio 0 blocks exactly, for every kind of feature (hypothesis) -----------------------
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_BASE = Parameters.baseline()
HAZARD_RATIOS = sorted(p for p in _BASE if ".hr." in p or ".effects." in p)
RATES = sorted(p for p in _BASE if p.startswith("pathways.") and p.endswith(".rate"))
EXTREME_HR = st.sampled_from([0.0, 0.0, 1e-6, 0.5, 2.0, 1000.0]) | st.floats(0.0, 1000.0)


@st.composite
def random_valid_parameters(draw) -> dict:
    """A few hazard ratios (service effects included) and base rates anywhere in their
    allowed range, with 0 and the extremes often, on a small model with services running."""
    hrs = draw(st.dictionaries(st.sampled_from(HAZARD_RATIOS), EXTREME_HR, min_size=1, max_size=8))
    rates = draw(st.dictionaries(st.sampled_from(RATES), st.sampled_from([0.0, 1e-4, 10.0]) | st.floats(0.0, 10.0),
                                 max_size=3))
    return {**hrs, **rates, "population.size": 300, "governance.sizing": "fixed",
            "governance.mode": draw(st.sampled_from(["siloed", "coordinated"])),
            "network.enabled": draw(st.booleans()),
            "services.housing_first.capacity": 50.0, "services.ips.capacity": 50.0}


def _blocking_features(model: WelfareModel) -> list[list[int]]:
    """Per transition, the rows of X whose hazard ratio is 0 (the rule's own hr table and
    every service's effects), read from the parameters, not from the engine."""
    engine = model.engine
    out: list[list[int]] = [[] for _ in engine.transitions]
    for k, t in enumerate(engine.transitions):
        out[k] = [engine.feature_index[f] for f, hr in t.hazard_ratios if hr == 0]
    index = {t.name: k for k, t in enumerate(engine.transitions)}
    for feature, effects in model.services.effects().items():
        for name, hr in effects.items():
            if hr == 0:
                out[index[name]].append(engine.feature_index[feature])
    return out


def _checked_engine(model: WelfareModel) -> list[str]:
    """Wrap the model's engine so every month's rates and draws are checked where they are
    made (against the start-of-month levels); returns the list of problems found. The
    numpy passes run (the compiled kernels give the same bits: tests/test_kernels.py)."""
    engine, problems = model.engine, []
    engine.kernel = None
    features_of, rates_of, draw_of = engine.features, engine.rates, engine.draw
    source = np.array([t.source for t in engine.transitions])
    blockers = _blocking_features(model)
    columns = {}  # the citizen (row) of each column of the month's feature matrix

    def features(state, network, service_columns=None, rows=None, shares=None):
        columns["rows"] = np.arange(state.n)[slice(None) if rows is None else rows]
        return features_of(state, network, service_columns, rows, shares)

    def rates(state, x):
        r = rates_of(state, x)
        if not np.isfinite(r).all() or (r < 0).any():
            problems.append(f"month {model.month}: {np.isnan(r).sum()} NaN, {np.isinf(r).sum()} inf rates")
        levels = state.levels[:, columns["rows"]]
        for k, t in enumerate(engine.transitions):
            off_source = levels[t.domain] != t.source
            blocked = (t.rate == 0) | (x[blockers[k]] != 0).any(axis=0)
            if (r[k, off_source | blocked] != 0).any():
                problems.append(f"month {model.month}: {t.name} has a rate where it is blocked")
        return r

    def draw(r, domain, u):
        k = draw_of(r, domain, u)
        moved = np.flatnonzero(k >= 0)
        wrong = source[k[moved]] != model.population.levels[domain][columns["rows"][moved]]
        if wrong.any():
            problems.append(f"month {model.month}: {wrong.sum()} citizens moved by a transition from another level")
        if (r[k[moved], moved] <= 0).any():
            problems.append(f"month {model.month}: a move drawn with rate 0")
        return k

    engine.features, engine.rates, engine.draw = features, rates, draw
    return problems


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=random_valid_parameters(), seed=st.integers(0, 2**32 - 1))
def test_no_citizen_moves_from_a_level_it_is_not_in_and_rates_are_never_nan(overrides, seed):
    model = WelfareModel(rng=seed, **overrides)
    problems = _checked_engine(model)
    model.run_for(3)
    assert not problems, problems[:3]


@pytest.mark.parametrize("feature", ["complexity", "duration", "peers_substance_problematic", "history_homeless",
                                     "justice_prison"])
def test_a_hazard_ratio_of_0_blocks_exactly_whatever_the_feature(feature):
    """hr = 0 on any kind of feature: nobody with that feature non-zero moves that way, and
    complexity of either sign (log-ratio x negative complexity overflowed into NaN) is fine."""
    path = {"justice_prison": "pathways.housing.own_home_to_precarious.hr.justice_prison",
            "history_homeless": "pathways.housing.own_home_to_precarious.hr.history_homeless"}.get(feature)
    candidates = [p for p in HAZARD_RATIOS if p.endswith(f".hr.{feature}")]
    path = path if path in _BASE else candidates[0]
    model = WelfareModel(rng=3, **{"population.size": 2000, "governance.sizing": "fixed", path: 0.0})
    x = model.engine.features(model.population, model.network, model.services.feature_columns())
    r = model.engine.rates(model.population, x)
    k = next(i for i, t in enumerate(model.engine.transitions) if path.startswith(f"pathways.{t.name}.hr."))
    f = model.engine.feature_index[f"duration_{path.split('.')[1]}" if feature == "duration" else feature]
    assert np.isfinite(r).all()
    assert (r[k, x[f] != 0] == 0).all()
    in_source = model.population.levels[model.engine.transitions[k].domain] == model.engine.transitions[k].source
    assert (r[k, in_source & (x[f] == 0)] > 0).all()  # hr^0 = 1: the others keep their rate


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_the_month_is_the_same_bits_whatever_the_block_of_citizens(engine, monkeypatch):
    """The pathway step runs on blocks of citizens (``pathways.BLOCK``, for the cache);
    blocks of 97 give the same run as one block for everyone, deaths and newcomers
    included (a column depends on its own row alone)."""
    import model.pathways as pathways

    monkeypatch.setenv("WELFARE_PATHWAYS_ENGINE", engine)

    def run(block: int):
        monkeypatch.setattr(pathways, "BLOCK", block)
        m = WelfareModel("coordinated", rng=11, **{"population.size": 1500})
        m.run_for(24)
        return m.population.levels.copy(), m.ledger.citizen_total.copy()

    (levels_a, money_a), (levels_b, money_b) = run(97), run(10**9)
    assert np.array_equal(levels_a, levels_b)
    assert np.array_equal(money_a, money_b)
