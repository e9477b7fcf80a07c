"""Fingerprints of runs: a hash of every per-citizen array, to prove a speed change moved no bit.

The golden numbers (``runs/golden.py``) pin results to the krone; a change meant to make
the engine faster or smaller must leave them *bit for bit* as they were. Take the
fingerprints before and after the change and compare::

    ./dev python -m runs.fingerprint --write /tmp/before.json      # on the old commit
    ./dev python -m runs.fingerprint --check /tmp/before.json      # on the new one: exit 1 on any difference
    ./dev python -m runs.fingerprint --quick --write /tmp/b.json   # the 3,000-citizen cases only (~1 minute)

The cases: every shipped scenario and the baseline at 3,000 citizens x 60 months, six
scenarios at 25,000 x 120 (services, contracts, children's programmes) and the baseline at
100,000 x 72 (large cohorts, blocks of the pathway step), each on seed 7 (~5 minutes in all).
What is hashed per run: the public arrays and numbers of the population, the services, the
ledger (``citizen_total`` included), the children, the demography, the network's edges and
keys, and the DataCollector's table. Integer arrays are hashed by value as int64, so a
narrower type for the same values (e.g. months as int16) is not a difference. Fingerprints
are for comparing two commits on one machine: another numpy may round ``exp`` differently.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

SCENARIOS_DIR = Path(__file__).resolve().parent / "scenarios"
LARGE = ("baseline", "coordinated", "housing_first", "early_family_help", "contract_reoffending",
         "children_of_prisoners")
SEED = 7


def cases(quick: bool = False) -> list[tuple[str, int, int]]:
    """(scenario, citizens, months) of every fingerprinted run."""
    out = [(path.stem, 3000, 60) for path in sorted(SCENARIOS_DIR.glob("*.toml"))] + [("baseline", 3000, 60)]
    if not quick:
        out += [(name, 25_000, 120) for name in LARGE] + [("baseline", 100_000, 72)]
    return out


def _update(h: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iub":
            value = value.astype(np.int64)
        h.update(f"{value.dtype}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, (list, tuple)):
        for item in value:
            _update(h, item)
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            h.update(str(key).encode())
            _update(h, value[key])
    elif isinstance(value, (int, float, str, bool, np.generic)) or value is None:
        h.update(repr(value).encode())


def _hash(fields: dict[str, Any]) -> str:
    h = hashlib.sha1()
    for name in sorted(fields):
        h.update(name.encode())
        _update(h, fields[name])
    return h.hexdigest()[:16]


def _public(obj: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")
            and isinstance(v, (np.ndarray, list, tuple, dict, int, float))}


def fingerprint(scenario: str, citizens: int, months: int, seed: int = SEED) -> dict[str, str]:
    """One run's hashes, per part of the model."""
    from model.welfare_model import WelfareModel

    model = WelfareModel(scenario, rng=seed, **{"population.size": citizens})
    for _ in range(months):
        model.step()
    out = {"population": _hash(_public(model.population)),
           "services": _hash(_public(model.services)),
           "ledger": _hash({**_public(model.ledger), "citizen_total": model.ledger.citizen_total}),
           "network": _hash({"edges": model.network.edges, "key": model.network.key, "n": model.network.n}),
           "collected": _hash({"table": model.occupancy_frame().to_numpy()})}
    if model.children is not None:
        out["children"] = _hash(_public(model.children))
    if model.demography is not None:
        out["demography"] = _hash(_public(model.demography))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--write", type=Path, metavar="FILE", help="write the fingerprints to FILE (JSON)")
    what.add_argument("--check", type=Path, metavar="FILE", help="compare with FILE; exit 1 on any difference")
    ap.add_argument("--quick", action="store_true", help="the 3,000-citizen cases only")
    args = ap.parse_args(argv)
    if args.check is not None and not args.check.is_file():
        ap.error(f"--check {args.check}: no such file (write it first with --write on the old commit)")
    prints = {}
    for scenario, citizens, months in cases(args.quick):
        key = f"{scenario}:{citizens}:{months}"
        prints[key] = fingerprint(scenario, citizens, months)
        print(key, " ".join(f"{k}={v[:8]}" for k, v in prints[key].items()), flush=True)
    if args.write is not None:
        tmp = args.write.with_suffix(args.write.suffix + ".tmp")
        tmp.write_text(json.dumps(prints, indent=1))
        tmp.replace(args.write)
        print(f"wrote {len(prints)} fingerprints to {args.write}")
        return 0
    stored = json.loads(args.check.read_text())
    differ = [f"{key}: {', '.join(p for p in prints[key] if stored.get(key, {}).get(p) != prints[key][p])}"
              for key in prints if stored.get(key) != prints[key]]
    missing = [key for key in prints if key not in stored]
    for line in differ:
        print("DIFFERENT", line)
    print(f"{len(prints) - len(differ)} of {len(prints)} runs identical" + (f" ({len(missing)} not in {args.check})" if missing else ""))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
