"""Parameter sweeps: a grid or a Latin hypercube over dotted parameter paths, with
replications; and the spec file (TOML) that describes a sweep or a sensitivity analysis.

A spec file (every field optional; command-line flags override it)::

    scenario = "baseline"        # shipped name or path to a scenario TOML
    months = 120
    replications = 10
    seed = 1

    [set]                        # fixed overrides at every point
    "population.size" = 2000

    [grid]                       # cartesian product of the listed values
    "pathways.housing.shelter_to_own_home.rate" = [0.03, 0.04, 0.05]
    "network.enabled" = [true, false]

    # or, instead of [grid]: a Latin hypercube of `samples` points within bounds
    # samples = 20
    # [lhs]
    # "pathways.housing.shelter_to_own_home.rate" = [0.02, 0.06]

Dotted keys may be quoted (as above) or written as nested tables; both mean the same path.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from model.params import ParameterError, Parameters, dotted_paths, read_toml
from runs.runner import LIMITS, Plan, Point, SpecError, check_int, design_rng

#: Fields of a spec file: name -> what it is (for error messages).
COMMON_FIELDS = {
    "scenario": "scenario name or TOML path",
    "months": "months to simulate",
    "replications": "replications per point",
    "seed": "root seed",
    "set": "table of fixed overrides",
}
SWEEP_FIELDS = {**COMMON_FIELDS, "grid": "table of value lists", "lhs": "table of [low, high] bounds",
                "samples": "number of Latin hypercube points"}


def read_spec(path: str | Path, fields: Mapping[str, str]) -> dict[str, Any]:
    """Read a spec file; unknown fields and malformed tables raise ``SpecError`` naming them."""
    path = Path(path)
    try:
        raw = read_toml(path, "spec file")
    except ParameterError as exc:
        raise SpecError(str(exc)) from None
    for key in raw:
        if key not in fields:
            raise SpecError(f"{path}: {key}: unknown field; allowed: {', '.join(fields)}")
    spec = dict(raw)
    for key, value in raw.items():
        if fields[key].startswith("table"):
            if not isinstance(value, Mapping):
                raise SpecError(f"{path}: {key}: must be a table ([{key}]) of dotted parameter paths")
            spec[key] = dict(dotted_paths(value))  # nested tables -> dotted paths, as in scenario files
    if "scenario" in spec and not isinstance(spec["scenario"], str):
        raise SpecError(f"{path}: scenario = {spec['scenario']!r}: expected a scenario name or a TOML path")
    return spec


def section(origin: str, name: str) -> str:
    """Where a value came from, for messages: ``--grid`` on the command line, else ``FILE: [grid]``."""
    return f"--{name}" if origin == "command line" else f"{origin}: [{name}]"


def check_fixed(base: Parameters, fixed: Mapping[str, Any], origin: str) -> None:
    base.with_overrides(dict(fixed), origin=section(origin, "set"))


def checked(origin: str, name: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    """``check_int`` with the flag or file named in the message."""
    try:
        return check_int(name, value, minimum, maximum)
    except SpecError as exc:
        raise SpecError(f"{origin}: {exc}") from None


def checked_common(spec: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """months, replications and seed of a spec file, checked against their limits."""
    return {name: checked(origin, name, spec[name], *LIMITS[name])
            for name in ("months", "replications", "seed") if name in spec}


def numeric_bounds(base: Parameters, bounds: Mapping[str, Any], origin: str) -> dict[str, tuple[float, float]]:
    """``path -> (low, high)`` checked: a known numeric parameter, low < high, both allowed."""
    out = {}
    for path, pair in bounds.items():
        if path not in base:  # the model's own "unknown key; did you mean ..." message
            base.with_overrides({path: None}, origin=origin)
        leaf = base.leaf(path)
        if leaf.type not in (int, float):
            raise SpecError(f"{origin}: {path}: only numeric parameters can be varied within bounds "
                            f"(this one is {leaf.allowed()}); use a grid")
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            raise SpecError(f"{origin}: {path} = {pair!r}: expected [low, high]")
        low, high = (leaf.check(float(v) if leaf.type is float and isinstance(v, int) else v, origin) for v in pair)
        if not low < high:
            raise SpecError(f"{origin}: {path} = {list(pair)}: low must be below high")
        out[path] = (float(low), float(high))
    return out


def cast_to_leaf(base: Parameters, path: str, x: float) -> int | float:
    """A sampled number as the parameter's type (integers are rounded)."""
    return int(round(x)) if base.leaf(path).type is int else float(x)


def describe(overrides: Mapping[str, Any]) -> str:
    """A short label: the last two segments of each path with its value."""
    def fmt(value: Any) -> str:
        return f"{value:.4g}" if isinstance(value, float) else str(value).lower() if isinstance(value, bool) else str(value)

    return ", ".join(f"{'.'.join(path.split('.')[-2:])}={fmt(v)}" for path, v in overrides.items())


def grid_points(scenario: str, fixed: Mapping[str, Any], grid: Mapping[str, list], origin: str) -> list[Point]:
    """Every combination of the grid's values (last path varies fastest)."""
    base = Parameters.load(scenario)
    where = section(origin, "grid")
    for path, values in grid.items():
        if not isinstance(values, list) or not values:
            raise SpecError(f"{where}: {path} = {values!r}: expected a non-empty list of values")
        for value in values:
            base.with_overrides({path: value}, origin=where)
    paths = list(grid)
    points = []
    for pid, combo in enumerate(itertools.product(*(grid[p] for p in paths))):
        varied = dict(zip(paths, combo))
        points.append(Point(pid, scenario, {**fixed, **varied}, label=describe(varied)))
    return points


def lhs_points(scenario: str, fixed: Mapping[str, Any], bounds: Mapping[str, Any], samples: int, seed: int,
               origin: str) -> list[Point]:
    """``samples`` points of a Latin hypercube within ``bounds``, drawn from the root seed."""
    from scipy.stats import qmc

    base = Parameters.load(scenario)
    checked = numeric_bounds(base, bounds, section(origin, "lhs"))
    paths = list(checked)
    unit = qmc.LatinHypercube(d=len(paths), rng=design_rng(seed, "lhs")).random(samples)
    lows = [checked[p][0] for p in paths]
    highs = [checked[p][1] for p in paths]
    values = qmc.scale(unit, lows, highs)
    points = []
    for pid, row in enumerate(values):
        varied = {p: cast_to_leaf(base, p, x) for p, x in zip(paths, row)}
        points.append(Point(pid, scenario, {**fixed, **varied}, label=describe(varied)))
    return points


def sweep_plan(*, scenario: str = "baseline", months: int = 120, replications: int = 10, seed: int = 0,
               fixed: Mapping[str, Any] | None = None, grid: Mapping[str, list] | None = None,
               lhs: Mapping[str, Any] | None = None, samples: int | None = None,
               origin: str = "sweep") -> Plan:
    """The plan of a grid sweep (``grid``) or a Latin hypercube sweep (``lhs`` + ``samples``)."""
    fixed, grid, lhs = dict(fixed or {}), dict(grid or {}), dict(lhs or {})
    if bool(grid) == bool(lhs):
        raise SpecError(f"{origin}: give exactly one design: grid values (--grid PATH=V1,V2) "
                        "or Latin hypercube bounds (--lhs PATH=LOW:HIGH)")
    both = sorted(set(fixed) & (set(grid) | set(lhs)))
    if both:
        raise SpecError(f"{origin}: {both[0]}: both fixed (--set) and varied; choose one")
    check_fixed(Parameters.load(scenario), fixed, origin)
    if grid:
        if samples is not None:
            raise SpecError(f"{origin}: samples: only for a Latin hypercube (--lhs), not a grid")
        points = grid_points(scenario, fixed, grid, origin)
        design = {"method": "grid", "fixed": fixed, "grid": grid}
    else:
        if samples is None:
            raise SpecError(f"{origin}: samples: a Latin hypercube needs the number of points (--samples N)")
        samples = checked(origin, "samples", samples, 1, 100_000)
        points = lhs_points(scenario, fixed, lhs, samples, seed, origin)
        design = {"method": "lhs", "fixed": fixed, "bounds": {k: list(v) for k, v in lhs.items()}, "samples": samples}
    return Plan("sweep", points, months=months, replications=replications, seed=seed, design=design, origin=origin)
