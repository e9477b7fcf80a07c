"""The CTI money emulation (model.trials.cti_money): who is enrolled, what the course
costs, and that an intervention without effect only costs money."""

from __future__ import annotations

import pytest

from model.params import Parameters
from model.trials import cti_money

SMALL = dict(size=6000, warmup=6, recruit=6, follow=12)


def _no_effect() -> Parameters:
    base = Parameters.baseline()
    return base.with_overrides({p: 1.0 for p in base if p.startswith(("services.cti.effects.", "services.cti.after_effects."))})


def test_without_an_effect_cti_only_costs_its_course():
    p = _no_effect()
    r = cti_money(p, seed=3, **SMALL)
    course = 9 * p["services.cti.price"]
    assert r.participants > 20
    # the kommune pays (most of) the 9-month course; nothing else changes for the participants
    assert -course <= r.own["kommune"] <= -0.6 * course
    assert r.own["region"] == pytest.approx(0.0, abs=1.0) and r.own["stat"] == pytest.approx(0.0, abs=1.0)
    assert r.population["total"] == pytest.approx(r.own["total"], rel=1e-3)  # vacant places are spread over everyone


def test_the_effect_saves_money_beside_the_course():
    gains = []
    for seed in (3, 4):
        with_effect = cti_money(Parameters.baseline(), seed=seed, size=20000, warmup=12, recruit=12, follow=12)
        without = cti_money(_no_effect(), seed=seed, size=20000, warmup=12, recruit=12, follow=12)
        # the same recruitment, but for the few whom an earlier participant's effect reaches
        # (a freed shelter place, a peer): full shelters make the arms interact
        assert without.participants > 150
        assert with_effect.participants == pytest.approx(without.participants, rel=0.03)
        gains.append(with_effect.own["total"] - without.own["total"])
    assert sum(gains) > 0


def test_the_evaluations_matched_design_counts_staying_in_a_shelter_as_a_saving():
    """The Danish evaluation compared participants with matched shelter users; emulated,
    the controls stay in a shelter the month a participant leaves one, so their year-one
    costs hold the shelter stay a home ends anyway: the matched estimate exceeds the
    counterfactual one (same citizens without CTI) by that selection."""
    r = cti_money(Parameters.baseline(), seed=5, size=20000, warmup=12, recruit=12, follow=12)
    assert r.matched is not None and r.matched_pairs >= 0.5 * r.participants > 50
    assert r.matched["total"] > r.own["total"] + 50_000
    assert r.matched["kommune"] > r.own["kommune"]
