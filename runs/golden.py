"""Golden numbers: small seeded runs whose results are pinned in ``tests/golden.json``.

Every change of results must be intentional and visible in review: ``tests/test_golden.py``
re-runs these cases and fails on any difference (a renamed random stream, a changed rule,
a new price). When a change of results is intended, rewrite the file with::

    ./dev python -m runs.golden --write

and commit it with the change, saying in the message what moved and why. Without
``--write`` the command prints the differences and exits 1 if there are any.

Each case is a scenario run alone (not paired) at 1,500 citizens for 36 months on one
seed; what is pinned: the citizens in every level at months 12, 24 and 36, the places of
every service, and the ledger's total per budget holder and category (DKK, rounded to
the krone), so a change anywhere in states, services or money shows.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

GOLDEN_FILE = Path(__file__).resolve().parent.parent / "tests" / "golden.json"
CASES: dict[str, dict[str, Any]] = {
    "baseline": {"scenario": "baseline", "seed": 101},
    "coordinated": {"scenario": "coordinated", "seed": 101},
    "housing_first": {"scenario": "housing_first", "seed": 202},
}
SIZE, MONTHS, CHECKPOINTS = 1500, 36, (12, 24, 36)


def run_case(scenario: str, seed: int) -> dict[str, Any]:
    """The pinned summary of one case."""
    import numpy as np

    from model.welfare_model import WelfareModel

    m = WelfareModel(scenario, rng=seed, **{"population.size": SIZE})
    m.run_for(MONTHS)
    occ = m.occupancy_frame()
    totals = np.stack(m.ledger.monthly).sum(axis=0)
    return {
        "occupancy": {str(t): {k: int(v) for k, v in occ.loc[t].items()} for t in CHECKPOINTS},
        "places": {s.name: int(p) for s, p in zip(m.services.specs, m.services.places)},
        "ledger": {f"{b}/{c}": round(float(v)) for (b, c), v in zip(m.ledger.accounts, totals) if v != 0},
    }


def compute() -> dict[str, Any]:
    return {"size": SIZE, "months": MONTHS,
            "cases": {name: run_case(**case) for name, case in CASES.items()}}


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every leaf that differs, as 'path: expected -> actual' (exact; money to the krone)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(expected) | set(actual)):
            where = f"{path}.{key}" if path else key
            if key not in actual:
                out.append(f"{where}: {expected[key]!r} -> missing")
            elif key not in expected:
                out.append(f"{where}: missing -> {actual[key]!r}")
            else:
                out += differences(expected[key], actual[key], where)
        return out
    if isinstance(expected, float) or isinstance(actual, float):
        return [] if math.isclose(expected, actual, rel_tol=0, abs_tol=0.5) else [f"{path}: {expected} -> {actual}"]
    return [] if expected == actual else [f"{path}: {expected!r} -> {actual!r}"]


def write(data: dict[str, Any], path: Path = GOLDEN_FILE) -> None:
    from runs.runner import atomic_write

    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    atomic_write(path, lambda p: p.write_text(text))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m runs.golden", description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help=f"rewrite {GOLDEN_FILE.name} with the current results")
    args = ap.parse_args(argv)
    actual = compute()
    if args.write:
        write(actual)
        print(f"wrote {GOLDEN_FILE}")
        return 0
    expected = json.loads(GOLDEN_FILE.read_text()) if GOLDEN_FILE.exists() else {}
    diff = differences(expected, actual)
    for line in diff:
        print(line)
    print(f"{len(diff)} difference(s) from {GOLDEN_FILE}" if diff else f"no differences from {GOLDEN_FILE}")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
