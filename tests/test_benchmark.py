"""The benchmark's phase timer (``runs/benchmark.py``) accounts for the whole month."""

import pytest

from runs.benchmark import PHASES, run_phases


def test_every_phase_of_the_month_is_timed_and_they_add_up_to_the_month():
    out = run_phases(2000, months=3, warm=2)
    labels = {label for label, *_ in PHASES}
    assert set(out["phases_ms"]) == labels
    assert all(ms >= 0 for ms in out["phases_ms"].values()) and out["rest_ms"] >= 0
    top = {label for label, *_, inside in PHASES if inside is None}
    assert sum(out["phases_ms"][label] for label in top) + out["rest_ms"] == \
        pytest.approx(out["month_ms"], abs=0.1)
    # each phase is a method the month calls: none may be timed at 0 because it was renamed
    assert all(out["phases_ms"][label] > 0 for label in labels if "DataCollector" not in label)
