"""Golden numbers: seeded small runs must reproduce tests/golden.json exactly.

A failure here means results moved. If that was intended, rewrite the file with
``./dev python -m runs.golden --write`` and commit it with the change (see runs/golden.py)."""

from __future__ import annotations

import json

from runs.golden import CASES, GOLDEN_FILE, compute, differences


def test_seeded_runs_reproduce_the_golden_numbers():
    expected = json.loads(GOLDEN_FILE.read_text())
    diff = differences(expected, compute())
    assert not diff, ("results moved; if intended, run ./dev python -m runs.golden --write\n"
                      + "\n".join(diff[:40]))


def test_the_golden_file_pins_every_case_with_states_places_and_money():
    data = json.loads(GOLDEN_FILE.read_text())
    assert set(data["cases"]) == set(CASES)
    for case in data["cases"].values():
        for month in ("12", "24", "36"):
            occ = case["occupancy"][month]
            housing = sum(v for k, v in occ.items() if k.startswith("housing."))
            assert housing == occ["alive"]  # every living citizen in exactly one housing level
            assert occ["alive"] + occ["died"] + occ["exited"] == data["size"] + occ["entered"]  # nobody lost
        assert case["ledger"] and case["places"]


def test_the_comparison_names_each_changed_leaf():
    assert differences({"a": {"b": 1, "c": 2.0}}, {"a": {"b": 2, "c": 2.2}}) == ["a.b: 1 -> 2"]
    assert differences({"a": {"c": 2.0}}, {"a": {"c": 3.0}}) == ["a.c: 2.0 -> 3.0"]
    assert differences({"x": 1}, {}) == ["x: 1 -> missing"]
