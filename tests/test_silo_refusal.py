"""The silo refusals as parameters, and a model with every non-Markov influence off.

``services.psychiatry.refuse_active_use`` and
``services.addiction_treatment.refuse_untreated_illness`` are the strength of the siloed
rules (model/services.py: ``SiloRule``): 1 = today's siloed status quo, 0 = no refusal.
"""

import numpy as np
from agents import LEVELS, Domain, Housing, Justice
from model import Parameters, WelfareModel
from model.rng import RandomStreams
from model.services import SERVICES

PSY, ADD = "services.psychiatry.refuse_active_use", "services.addiction_treatment.refuse_untreated_illness"


def run(months=36, seed=1, size=3000, params="baseline", **kw):
    m = WelfareModel(params, rng=seed, **{"population.size": size, "governance.sizing": "fixed", **kw})
    m.run_for(months)
    return m


def excluded_admissions(m: WelfareModel) -> tuple[int, int]:
    """Admissions of the excluded groups: active users to psychiatry, untreated mental
    illness to addiction treatment."""
    adm = m.services.admissions_frame()
    psy, add = adm[adm.service == "psychiatry"], adm[adm.service == "addiction_treatment"]
    assert len(psy) > 50 and len(add) > 50
    return int((psy.substance == "problematic").sum()), int((add.mental == "untreated").sum())


def test_the_defaults_are_the_siloed_status_quo():
    p = Parameters.baseline()
    assert p[PSY] == 1.0 and p[ADD] == 1.0


def test_at_probability_one_the_silos_refuse_and_at_zero_they_admit():
    hard = run(**{PSY: 1.0, ADD: 1.0})
    assert excluded_admissions(hard) == (0, 0)
    open_ = run(**{PSY: 0.0, ADD: 0.0})
    psy, add = excluded_admissions(open_)
    assert psy > 20 and add > 20
    st = open_.services.stats_frame().groupby(level="service").refused.sum()
    assert st["psychiatry"] == 0 and st["addiction_treatment"] == 0  # nobody turned away
    soft = run(**{PSY: 0.5, ADD: 0.5})
    soft_psy, soft_add = excluded_admissions(soft)
    assert 0 < soft_psy < psy and 0 < soft_add < add


def test_each_parameter_softens_only_its_own_silo():
    only_psy = run(**{PSY: 0.0})
    psy, add = excluded_admissions(only_psy)
    assert psy > 20 and add == 0


def test_refusal_draws_are_made_only_strictly_between_zero_and_one(monkeypatch):
    purposes = []
    original = RandomStreams.uniform

    def spy(self, purpose, month, n):
        purposes.append(purpose)
        return original(self, purpose, month, n)

    monkeypatch.setattr(RandomStreams, "uniform", spy)
    for p in (0.0, 1.0):
        purposes.clear()
        run(months=6, size=1000, **{PSY: p, ADD: p})
        assert not any(s.startswith("refusal.") for s in purposes), p
    purposes.clear()
    run(months=6, size=1000, **{PSY: 0.5, ADD: 0.5})
    assert {"refusal.psychiatry", "refusal.addiction_treatment"} <= set(purposes)


def test_a_softer_silo_refuses_a_subset_on_common_random_numbers():
    """The refusal draw is keyed by purpose and month: in a given month, everybody
    refused at probability 0.3 is refused at 0.7 too."""
    a = WelfareModel(rng=2, **{"population.size": 2000, "governance.sizing": "fixed", PSY: 0.3})
    b = WelfareModel(rng=2, **{"population.size": 2000, "governance.sizing": "fixed", PSY: 0.7})
    k = a.services.index["psychiatry"]
    a.step(), b.step()
    ok_a, ok_b = a.services.eligible(k, a.population), b.services.eligible(k, a.population)
    assert (ok_b <= ok_a).all() and (ok_a & ~ok_b).any()


def test_under_coordinated_governance_the_parameters_change_nothing():
    a = run(months=24, params="coordinated", **{PSY: 1.0, ADD: 1.0})
    b = run(months=24, params="coordinated", **{PSY: 0.0, ADD: 0.0})
    assert np.array_equal(a.population.levels, b.population.levels)
    assert excluded_admissions(a)[0] > 10


# -- every non-Markov influence off -------------------------------------------------------------

def markov_overrides(size: int, refusal: float) -> dict:
    """Refusals at ``refusal``, peers off, a closed cohort, duration / complexity / history hazard ratios at 1,
    level services with a place for everyone (no waiting list), no programme services:
    every hazard is then a function of the citizen's current levels."""
    base = Parameters.baseline()
    out = {p: 1.0 for p in base if ".hr." in p and p.rsplit(".", 1)[1] in ("duration", "complexity",
                                                                           "history_prison", "history_homeless")}
    out.update({"network.enabled": False, "population.size": size, "governance.sizing": "fixed",
                "demography.enabled": False,  # mortality by age and newcomers are not level rules
                PSY: refusal, ADD: refusal})
    for name, spec in SERVICES.items():
        if spec.capacity_limited:
            out[f"services.{name}.capacity"] = 1000.0 if spec.level is not None else 0.0
    return out


def hazards_depend_only_on_levels(m: WelfareModel) -> bool:
    """The switch-off property: citizens with the same levels in every domain have the
    same hazard of every transition this month."""
    eng, pop = m.engine, m.population
    rates = eng.rates(pop, eng.features(pop, m.network, m.services.feature_columns()))
    code = np.ravel_multi_index(tuple(pop.levels.astype(np.int64)), tuple(len(LEVELS[d]) for d in Domain))
    order = np.argsort(code, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(code[order]) != 0])
    r = rates[:, order]
    return bool(np.array_equal(np.maximum.reduceat(r, starts, axis=1), np.minimum.reduceat(r, starts, axis=1)))


def one_month_check(refusal: float, size: int = 4000, months: int = 12, seed: int = 7) -> dict[str, float]:
    """z-score per transition of the observed one-month moves against the engine's
    analytical probabilities at the start of the month, summed over months; asserts on
    the way that every hazard depends only on the current levels."""
    m = WelfareModel(rng=seed, **markov_overrides(size, refusal))
    eng, pop = m.engine, m.population
    n_t = len(eng.transitions)
    observed, expected, variance = np.zeros(n_t), np.zeros(n_t), np.zeros(n_t)
    for _ in range(months):
        assert hazards_depend_only_on_levels(m)
        before = pop.levels.copy()
        rates = eng.rates(pop, eng.features(pop, m.network, m.services.feature_columns())).astype(np.float64)
        m.step()
        after = pop.levels
        # Level rules applied outside the hazards: a prisoner's supported-housing place ends
        # and a prisoner is not admitted to supported housing (also functions of the
        # current levels); prisoners' housing and those moved at the start are left out.
        prisoner = before[Domain.JUSTICE] == Justice.PRISON
        moved_at_start = prisoner & (before[Domain.HOUSING] == Housing.SUPPORTED)
        for d in Domain:
            sl = eng.domain_slices[d]
            keep = ~moved_at_start & ~prisoner if d == Domain.HOUSING else ~moved_at_start
            lam = rates[sl].sum(axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                p = np.where(lam > 0, rates[sl] * (-np.expm1(-lam)) / lam, 0.0)
            for j, t in enumerate(eng.transitions[sl]):
                i = sl.start + j
                pk = p[j, keep]
                expected[i] += pk.sum()
                variance[i] += (pk * (1 - pk)).sum()
                observed[i] += ((before[d, keep] == t.source) & (after[d, keep] == t.target)).sum()
    return {t.name: (observed[i] - expected[i]) / np.sqrt(variance[i] + 1e-9) for i, t in enumerate(eng.transitions)}


def test_with_every_non_markov_influence_off_transitions_follow_the_current_levels():
    z = one_month_check(refusal=0.0)
    worst = max(z, key=lambda k: abs(z[k]))
    # ~30 transitions: |z| < 4.5 fails by chance < 0.1%
    assert abs(z[worst]) < 4.5, f"{worst}: {z[worst]:.1f} standard errors"


def test_the_markov_check_detects_a_hard_silo():
    """The same check with the siloed refusals at full strength: treatment entries fall
    far short of the hazards (the refusals depend on the other domain, and the refused
    wait on no list), so the check above can fail."""
    z = one_month_check(refusal=1.0)
    assert z["mental.untreated_to_treatment"] < -6
    assert z["substance.problematic_to_treatment"] < -6


def test_the_switch_off_property_detects_duration_dependence():
    over = markov_overrides(1000, 0.0)
    m = WelfareModel(rng=1, **over)
    m.step()
    assert hazards_depend_only_on_levels(m)
    over["pathways.housing.precarious_to_own_home.hr.duration"] = 0.5
    m = WelfareModel(rng=1, **over)
    m.step()
    assert not hazards_depend_only_on_levels(m)
