"""Parameters as validated data: every number has a unit, an allowed range and a source.

The baseline lives in ``model/parameters/baseline.toml``. Each leaf there is an inline
table ``{ value = ..., source = "..." }`` and may name its ``kind`` (which fixes unit,
range and type, see :data:`KINDS`) or give ``unit``/``min``/``max`` itself. The kind is
inferred where the key says it: ``rate`` is a monthly hazard rate, anything under an
``hr``, ``effects`` or ``after_effects`` table is a hazard ratio, anything under ``population.initial`` a
share.

A *scenario* is a readable diff from the baseline: a TOML file with a ``[scenario]``
table (``name``, ``description`` and optionally ``base``, another scenario to start
from) and then only the values it changes, at the same paths as in the baseline, either
bare (``capacity = 40``) or with a new source (``capacity = { value = 40, source = "..." }``).
A change can also *scale* the value it changes: ``rate = { scale = 2.0 }`` or
``hr.complexity = { scale = 0.5, source = "..." }`` multiplies the value before the change
(the calibrated default, or the base scenario's), so names such as "doubled" stay true
after every recalibration. :meth:`Parameters.differences` lists what a scenario changes
relative to the calibrated default (path, calibrated value, scenario value, ratio, source).
Unknown keys, values outside their range and wrong types are rejected with a
:class:`ParameterError` that names the file, the key and what is allowed.

**Price year.** A money leaf records the year its price is in: ``price_year = 2017``.
The leaf keeps the nominal value and its year (for display, ``Leaf.price_label``);
everything the model reads through ``params[path]`` or :meth:`Parameters.subtree` is
converted to the base year ``prices.base_year`` with the net price index
``prices.index.<year>`` (nettoprisindeks, Danmarks Statistik), in one place
(:meth:`Parameters.__getitem__`): value x index[base year] / index[price year]. A value
set by a scenario or ``--set`` is in the leaf's price year; a scenario can give another
year, ``{ value = 50000, price_year = 2024 }``, and it is converted to the leaf's year.
Reports state the base year with :meth:`Parameters.price_year`.
"""

from __future__ import annotations

import difflib
import math
import os
import stat
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

PARAMETER_DIR = Path(__file__).parent / "parameters"
BASELINE_FILE = PARAMETER_DIR / "baseline.toml"
#: Fitted values written by ``welfare-pathways calibrate`` (runs/calibrate.py): a
#: ``[calibration]`` table (date, targets, fit quality) and a ``[fitted]`` table of
#: dotted parameter paths. The baseline is baseline.toml with these values applied.
CALIBRATED_FILE = PARAMETER_DIR / "calibrated.toml"
#: Shipped scenario files live here; ``Parameters.load("housing_first")`` finds them.
SCENARIO_DIR = Path(__file__).resolve().parent.parent / "runs" / "scenarios"


class ParameterError(ValueError):
    """A parameter file or override is invalid. The message names the field."""


@dataclass(frozen=True)
class Kind:
    unit: str
    min: float | None
    max: float | None
    type: type


#: Parameter kinds: unit, allowed range (inclusive) and Python type. Money is bounded too:
#: 1e9 DKK per citizen-month, 1e10 per course and 1e11 for any other amount (a price per
#: event or outcome, a contract's cap or capital) are far above any real Danish figure,
#: yet sums over a million citizens and 1,200 months stay finite (no ``inf`` in results).
KINDS: dict[str, Kind] = {
    "rate": Kind("per month", 0.0, 10.0, float),
    "hazard_ratio": Kind("hazard ratio", 0.0, 1000.0, float),
    "share": Kind("share of citizens", 0.0, 1.0, float),
    "probability": Kind("probability", 0.0, 1.0, float),
    "count": Kind("citizens", 0, None, int),
    "places": Kind("places (citizens at once)", 0, None, int),
    "months": Kind("months", 0.0, 1200.0, float),
    "dkk": Kind("DKK", 0.0, 1e11, float),
    "dkk_per_month": Kind("DKK per citizen-month", 0.0, 1e9, float),
    "dkk_per_course": Kind("DKK per course", 0.0, 1e10, float),
    "rate_per_year": Kind("per year", 0.0, 1.0, float),
    "loading": Kind("log-odds per SD of complexity", -10.0, 10.0, float),
    "flag": Kind("on/off", None, None, bool),
    "choice": Kind("one of the listed choices", None, None, str),
    "integer": Kind("count", 0, None, int),
    "real": Kind("number", None, None, float),
    "per_1000": Kind("places per 1,000 simulated citizens", 0.0, 1000.0, float),
    "per_month": Kind("events per citizen-month", 0.0, 100.0, float),
    "qol": Kind("quality-of-life weight (0 = worst, 1 = full health)", -1.0, 1.0, float),
}

_LEAF_FIELDS = {"value", "source", "kind", "unit", "min", "max", "choices", "note", "price_year"}
#: kinds that are money: only these may carry a ``price_year``
MONEY_KINDS = frozenset({"dkk", "dkk_per_month", "dkk_per_course"})


@dataclass(frozen=True)
class Leaf:
    """One parameter: its path, value, unit, allowed range and source."""

    path: str
    value: Any
    kind: str
    unit: str
    min: float | None
    max: float | None
    type: type
    source: str
    choices: tuple[str, ...] | None = None
    note: str = ""
    #: money: the year the nominal ``value`` is priced in (None: not money, or no year given)
    price_year: int | None = None

    @property
    def price_label(self) -> str:
        """The unit with the price year, e.g. "DKK per citizen-month, 2017 prices"."""
        return self.unit if self.price_year is None else f"{self.unit}, {self.price_year} prices"

    @property
    def is_assumption(self) -> bool:
        return self.source.lower().startswith("assumption")

    def allowed(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.type is bool:
            return "true or false"
        lo = "-inf" if self.min is None else f"{self.min:g}"
        hi = "inf" if self.max is None else f"{self.max:g}"
        return f"{self.type.__name__} in [{lo}, {hi}] ({self.unit})"

    def check(self, value: Any, origin: str) -> Any:
        """Return ``value`` converted to this leaf's type, or raise ``ParameterError``."""
        where = f"{origin}: {self.path} = {value!r}"
        if self.type is bool:
            if not isinstance(value, bool):
                raise ParameterError(f"{where}: wrong type, expected true or false")
            return value
        if self.type is str:
            if not isinstance(value, str):
                raise ParameterError(f"{where}: wrong type, expected {self.allowed()}")
            if self.choices and value not in self.choices:
                raise ParameterError(f"{where}: not allowed; expected {self.allowed()}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{where}: wrong type, expected {self.allowed()}")
        if self.type is int:
            if isinstance(value, float):
                raise ParameterError(f"{where}: wrong type, expected a whole number, {self.allowed()}")
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ParameterError(f"{where}: must be finite, {self.allowed()}")
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise ParameterError(f"{where}: out of range; allowed {self.allowed()}")
        return value


def _infer_kind(path: str) -> str | None:
    parts = path.split(".")
    if parts[-1] == "rate":
        return "rate"
    if len(parts) >= 2 and parts[-2] == "hr" or "effects" in parts[:-1] or "after_effects" in parts[:-1]:
        return "hazard_ratio"
    if path.startswith("population.initial."):
        return "share"
    if parts[-2:-1] == ["loading"]:
        return "loading"
    return None


def _make_leaf(path: str, spec: Mapping[str, Any], origin: str) -> Leaf:
    unknown = set(spec) - _LEAF_FIELDS
    if unknown:
        raise ParameterError(f"{origin}: {path}: unknown field(s) {sorted(unknown)}; allowed {sorted(_LEAF_FIELDS)}")
    if "source" not in spec or not str(spec["source"]).strip():
        raise ParameterError(f"{origin}: {path}: every parameter needs a source (or 'assumption: ...')")
    kind_name = spec.get("kind") or _infer_kind(path)
    if kind_name is None:
        if isinstance(spec["value"], bool):
            kind_name = "flag"
        elif isinstance(spec["value"], str):
            kind_name = "choice"
        else:
            raise ParameterError(f"{origin}: {path}: give a kind, one of {sorted(KINDS)}")
    if kind_name not in KINDS:
        raise ParameterError(f"{origin}: {path}: unknown kind {kind_name!r}; allowed {sorted(KINDS)}")
    kind = KINDS[kind_name]
    leaf = Leaf(
        path=path,
        value=None,
        kind=kind_name,
        unit=spec.get("unit", kind.unit),
        min=spec.get("min", kind.min),
        max=spec.get("max", kind.max),
        type=kind.type,
        source=str(spec["source"]),
        choices=tuple(spec["choices"]) if "choices" in spec else None,
        note=str(spec.get("note", "")),
        price_year=_check_price_year(path, spec, kind_name, origin),
    )
    return replace(leaf, value=leaf.check(spec["value"], origin))


def _check_price_year(path: str, spec: Mapping[str, Any], kind_name: str, origin: str) -> int | None:
    """A leaf's ``price_year``: a whole year, and only on money (whether the net price
    index has the year is checked across fields, ``Parameters._check_cross_fields``)."""
    if "price_year" not in spec:
        return None
    year = spec["price_year"]
    if kind_name not in MONEY_KINDS:
        raise ParameterError(f"{origin}: {path}: price_year is only for money (kinds {sorted(MONEY_KINDS)}), "
                             f"not {kind_name!r}")
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
        raise ParameterError(f"{origin}: {path}: price_year = {year!r}: expected a year such as 2023")
    return year


_SET_FIELDS = {"value", "source", "note"}
_SCALE_FIELDS = {"scale", "source", "note"}


def _resolve_change(leaf: Leaf, value: Any, origin: str) -> tuple[Any, str, str]:
    """A scenario's change to one leaf -> (new value, source, how).

    Three forms: a bare value (``rate = 0.006``) or ``{ value = ..., source = "..." }``
    *set* the value; ``{ scale = 2.0, source = "..." }`` *scales* the value the leaf has
    before this change (the calibrated default, or the base scenario's value), so a
    scenario called "doubled" stays twice the calibrated value whenever the model is
    recalibrated."""
    if not isinstance(value, Mapping):
        return leaf.check(value, origin), leaf.source, "set"
    keys = set(value)
    if "scale" in keys:
        extra = keys - _SCALE_FIELDS
        if extra:
            raise ParameterError(f"{origin}: {leaf.path}: unknown field(s) {sorted(extra)} beside scale; "
                                 f"allowed {sorted(_SCALE_FIELDS)}")
        factor = value["scale"]
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not math.isfinite(factor) or factor < 0:
            raise ParameterError(f"{origin}: {leaf.path}.scale = {factor!r}: must be a finite number >= 0")
        if leaf.type not in (int, float):
            raise ParameterError(f"{origin}: {leaf.path}: only numbers can be scaled; this is {leaf.allowed()}")
        scaled = leaf.value * float(factor)
        if leaf.type is int:
            scaled = int(round(scaled))
        default = f"{leaf.source}; scaled x{factor:g} by {origin}"
        new = leaf.check(scaled, f"{origin} (x{factor:g} of {leaf.value!r})")
        return new, str(value.get("source", default)), f"scaled x{factor:g}"
    extra = keys - _SET_FIELDS
    if extra or "value" not in keys:
        raise ParameterError(f"{origin}: {leaf.path}: give a bare value, {{ value = ..., source = \"...\" }} "
                             f"or {{ scale = ..., source = \"...\" }}")
    return leaf.check(value["value"], origin), str(value.get("source", f"scenario {origin}")), "set"


def _compose_how(before: str | None, now: str) -> str:
    """How a path differs from the calibrated default after a chain of changes."""
    if before and before.startswith("scaled x") and now.startswith("scaled x"):
        return f"scaled x{float(before[8:]) * float(now[8:]):g}"
    if before and now.startswith("scaled x"):
        return f"{before}, then {now}"
    return now


def shipped_file(name: str, folder: Path, what: str, also: tuple[str, ...] = (), hint: str = "") -> Path:
    """The shipped file ``folder/<name>.toml`` (a scenario, a trial), or a ParameterError
    that lists what is shipped."""
    path = folder / f"{name}.toml"
    if not path.is_file():
        shipped = ", ".join([*also, *sorted(p.stem for p in folder.glob("*.toml"))])
        raise ParameterError(f"unknown {what} {name!r}; shipped {what}s: {shipped}{hint}")
    return path


def dotted_paths(tree: Mapping[str, Any], prefix: str = "",
                 leaves: Mapping[str, Any] | None = None) -> Iterator[tuple[str, Any]]:
    """``{"a": {"b": 1}}`` -> ``("a.b", 1)``; a table with a ``value`` key is a leaf, and
    so is any table at a path in ``leaves`` (a scenario's ``{ scale = 2.0 }``)."""
    for key, val in tree.items():
        path = f"{prefix}{key}"
        if isinstance(val, Mapping) and "value" not in val and not (leaves is not None and path in leaves):
            yield from dotted_paths(val, path + ".", leaves)
        else:
            yield path, val


#: Deepest nesting of tables and arrays read from a TOML file (parameter paths are ~6 deep).
MAX_TOML_DEPTH = 32


def read_toml(path: Path, what: str = "scenario file", context: str = "") -> dict[str, Any]:
    """A TOML file as a dict, or a ``ParameterError`` naming the file (after ``context``,
    e.g. the key that points to it) and what is wrong: missing, unreadable, a symlink
    loop, not a regular file, not UTF-8, not TOML, nested too deeply. The file is opened
    non-blocking and checked to be a regular file before it is read, so a FIFO or a
    device is refused instead of hanging."""
    where = f"{context}: {path}" if context else str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ParameterError(f"{where}: no such {what}") from None
    except OSError as exc:
        raise ParameterError(f"{where}: cannot read the {what} ({exc.strerror or exc})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
        raise ParameterError(f"{where}: is {kind}; expected a TOML {what}")
    with os.fdopen(fd, "rb") as fh:
        data = fh.read()
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ParameterError(f"{where}: not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}); "
                             f"save the {what} as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{where}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ParameterError(f"{where}: nested too deeply (at most {MAX_TOML_DEPTH} levels)") from None
    if _depth(raw) > MAX_TOML_DEPTH:
        raise ParameterError(f"{where}: nested too deeply (at most {MAX_TOML_DEPTH} levels)")
    return raw


def _depth(value: Any) -> int:
    """Nesting depth of tables and arrays, counted without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, Mapping):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def _read_toml(path: Path) -> dict[str, Any]:
    return read_toml(path)


def read_calibration(path: Path = CALIBRATED_FILE) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fitted values and the calibration's metadata ({} and {} if not calibrated)."""
    if not path.exists():
        return {}, {}
    raw = _read_toml(path)
    unknown = set(raw) - {"calibration", "fitted", "covariance"}
    if unknown:
        raise ParameterError(f"{path}: unknown table(s) {sorted(unknown)}; allowed: calibration, fitted, covariance")
    return dict(dotted_paths(raw.get("fitted", {}))), raw.get("calibration", {})


class Parameters(Mapping[str, Any]):
    """An immutable, validated set of parameters: the baseline plus a scenario's changes.

    Read values with ``params["pathways.housing.own_home_to_precarious.rate"]``; the
    :meth:`leaf` method gives unit, range and source. ``params.subtree("services")``
    returns the nested plain values under a prefix.
    """

    def __init__(self, leaves: dict[str, Leaf], name: str = "baseline", description: str = "",
                 changes: dict[str, Any] | None = None, origin: str = "parameters"):
        self._leaves = leaves
        self.name = name
        self.description = description
        #: paths changed from the baseline, with their new values (the scenario's diff)
        self.changes: dict[str, Any] = dict(changes or {})
        #: how each changed path was changed: "set" or "scaled x2" (see :meth:`differences`)
        self.how: dict[str, str] = {}
        #: the scenario this one is a diff from (its ``[scenario] base``): the natural
        #: counterfactual when asking what this scenario adds
        self.base_name = "baseline"
        self._check_cross_fields(origin)

    # -- construction ---------------------------------------------------------------
    @classmethod
    def baseline(cls) -> Parameters:
        """The baseline: baseline.toml with the calibrated values (if any) applied."""
        if not hasattr(cls, "_baseline_cache"):
            base = cls.uncalibrated()
            fitted, meta = read_calibration()
            if fitted:
                date = meta.get("date", "undated")
                out = base.with_overrides(
                    {path: {"value": v, "source": f"fitted ({CALIBRATED_FILE.name}, {date}); prior: {base.leaf(path).source}"}
                     for path, v in fitted.items()}, origin=str(CALIBRATED_FILE))
                base = cls(out._leaves, name="baseline", description=base.description, origin=str(CALIBRATED_FILE))
            cls._baseline_cache = base
        return cls._baseline_cache

    @classmethod
    def uncalibrated(cls) -> Parameters:
        """baseline.toml as written, before fitted values are applied (the calibration's prior)."""
        if not hasattr(cls, "_uncalibrated_cache"):
            raw = _read_toml(BASELINE_FILE)
            raw.pop("scenario", None)
            leaves = {}
            for path, spec in dotted_paths(raw):
                if not isinstance(spec, Mapping):
                    raise ParameterError(f"{BASELINE_FILE}: {path}: baseline leaves must be tables with value and source")
                leaves[path] = _make_leaf(path, spec, str(BASELINE_FILE))
            cls._uncalibrated_cache = cls(leaves, name="baseline", description="Siloed Danish status quo",
                                          origin=str(BASELINE_FILE))
        return cls._uncalibrated_cache

    @classmethod
    def load(cls, scenario: str | Path | Parameters | None = None) -> Parameters:
        """Load a shipped scenario by name (``"housing_first"``) or a TOML file by path."""
        if scenario is None or scenario == "baseline":
            return cls.baseline()
        if isinstance(scenario, Parameters):
            return scenario
        path = Path(scenario)
        if path.suffix != ".toml":
            path = shipped_file(str(scenario), SCENARIO_DIR, "scenario", also=("baseline",))
        return cls.from_file(path)

    @classmethod
    def from_file(cls, path: str | Path, _seen: tuple[Path, ...] = (), _context: str = "") -> Parameters:
        try:
            path = Path(path).resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop
            raise ParameterError(f"{_context + ': ' if _context else ''}{path}: cannot read the scenario file ({exc})") from None
        if path in _seen:
            raise ParameterError(f"{path}: scenario inherits from itself via 'base'")
        raw = read_toml(path, context=_context)
        meta = raw.pop("scenario", {})
        if not isinstance(meta, Mapping):
            raise ParameterError(f"{path}: [scenario] must be a table with name, description, base")
        unknown = set(meta) - {"name", "description", "base"}
        if unknown:
            raise ParameterError(f"{path}: scenario.{sorted(unknown)[0]}: unknown key; allowed: name, description, base")
        for key, value in meta.items():
            if not isinstance(value, str):
                expected = "a scenario name or a TOML path" if key == "base" else "a string"
                raise ParameterError(f"{path}: scenario.{key} = {value!r}: wrong type, expected {expected}")
        base_name = meta.get("base", "baseline")
        if base_name == "baseline":
            base = cls.baseline()
        else:
            base_path = Path(base_name) if str(base_name).endswith(".toml") else SCENARIO_DIR / f"{base_name}.toml"
            if not base_path.is_absolute():
                base_path = (path.parent / base_path) if str(base_name).endswith(".toml") else base_path
            base = cls.from_file(base_path, _seen + (path,), _context=f"{path}: scenario.base = {base_name!r}")
        out = base.with_overrides(dict(dotted_paths(raw, leaves=base._leaves)), origin=str(path))
        out.name = str(meta.get("name", path.stem))
        out.description = str(meta.get("description", ""))
        out.base_name = str(base_name) if base_name == "baseline" else Path(str(base_name)).stem
        return out

    def with_overrides(self, overrides: Mapping[str, Any], origin: str = "overrides") -> Parameters:
        """A copy with the given dotted paths changed; every value validated."""
        leaves = dict(self._leaves)
        changes = dict(self.changes)
        hows = dict(self.how)
        for path, value in overrides.items():
            if path not in leaves:
                close = difflib.get_close_matches(path, leaves, n=3, cutoff=0.6)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ParameterError(f"{origin}: {path}: unknown key{hint}")
            leaf = leaves[path]
            if isinstance(value, Mapping) and "price_year" in value:
                value = self._in_leaf_price_year(leaf, value, origin)
            new_value, source, how = _resolve_change(leaf, value, origin)
            leaves[path] = replace(leaf, value=new_value, source=source)
            if new_value == self.baseline_value(path):
                changes.pop(path, None)
                hows.pop(path, None)
            else:
                changes[path] = new_value
                hows[path] = _compose_how(hows.get(path), how) if path in self.changes else how
        out = Parameters(leaves, self.name, self.description, changes, origin)
        out.how = hows
        return out

    def differences(self) -> list[dict[str, Any]]:
        """Every effective difference from the calibrated default, one row per path:
        ``path``, ``calibrated`` (the default's value), ``scenario`` (this value),
        ``ratio`` (scenario / calibrated, for numbers), ``how`` ("set", "scaled x2"),
        ``unit`` and ``source``. Reports and the dashboard show this list, so a reader
        sees what a scenario really changes relative to the calibrated model."""
        rows = []
        for path, value in self.changes.items():
            leaf, default = self._leaves[path], self.baseline_value(path)
            ratio = None
            if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(default, (int, float)) \
                    and not isinstance(default, bool) and default != 0:
                ratio = value / default
            rows.append({"path": path, "calibrated": default, "scenario": value, "ratio": ratio,
                         "how": self.how.get(path, "set"), "unit": leaf.price_label, "source": leaf.source})
        return rows

    def baseline_value(self, path: str) -> Any:
        return Parameters.baseline()._leaves[path].value if hasattr(Parameters, "_baseline_cache") else self._leaves[path].value

    # -- reading --------------------------------------------------------------------
    def __getitem__(self, path: str) -> Any:
        """The value the model uses: money with a price year in base-year prices."""
        try:
            leaf = self._leaves[path]
        except KeyError:
            raise KeyError(f"no parameter {path!r}") from None
        if leaf.price_year is None:
            return leaf.value
        return leaf.value * self.price_factor(leaf.price_year)

    # -- price year -----------------------------------------------------------------------
    def price_year(self) -> int | None:
        """The base year all money is converted to (``prices.base_year``); reports state it."""
        leaf = self._leaves.get("prices.base_year")
        return None if leaf is None else int(leaf.value)

    def price_index(self) -> dict[int, float]:
        """The net price index by year (``prices.index.<year>``, 2015 = 100)."""
        start = "prices.index."
        return {int(p[len(start):]): float(leaf.value) for p, leaf in self._leaves.items() if p.startswith(start)}

    def price_factor(self, year: int) -> float:
        """Multiply a price of ``year`` by this to get base-year prices (1 without an index)."""
        def factors(params: Parameters) -> dict[int, float]:
            index, base = params.price_index(), params.price_year()
            return {y: index[base] / v for y, v in index.items()} if base in index else {}

        return self.derived("prices.factors", factors).get(year, 1.0)

    def _in_leaf_price_year(self, leaf: Leaf, change: Mapping[str, Any], origin: str) -> dict[str, Any]:
        """A change ``{ value = ..., price_year = Y }`` as a value in the leaf's own price year."""
        year, index = change["price_year"], self.price_index()
        if leaf.price_year is None:
            raise ParameterError(f"{origin}: {leaf.path}: has no price year; give the value without price_year")
        if "scale" in change or "value" not in change:
            raise ParameterError(f"{origin}: {leaf.path}: price_year goes with a value: "
                                 f"{{ value = ..., price_year = ..., source = \"...\" }}")
        if isinstance(year, bool) or not isinstance(year, int) or year not in index:
            raise ParameterError(f"{origin}: {leaf.path}: price_year = {year!r}: no net price index for it; "
                                 f"indexed years {min(index)}-{max(index)}")
        value = change["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{origin}: {leaf.path} = {value!r}: wrong type, expected {leaf.allowed()}")
        out = {k: v for k, v in change.items() if k != "price_year"}
        if year != leaf.price_year:
            out["value"] = float(value) * index[leaf.price_year] / index[year]
            out["source"] = (f"{change.get('source', f'scenario {origin}')} ({value:,.0f} DKK in {year} prices "
                             f"= {out['value']:,.0f} in {leaf.price_year} prices, net price index)")
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._leaves)

    def __len__(self) -> int:
        return len(self._leaves)

    def leaf(self, path: str) -> Leaf:
        return self._leaves[path]

    def derived(self, key: str, compute: Callable[[Parameters], Any]) -> Any:
        """A value computed from these parameters, computed once per object and kept
        (parameters are immutable), e.g. arrays a rule builds from a subtree every month.
        ``key`` names the value; the caller must not modify what it gets."""
        memo = self.__dict__.setdefault("_derived", {})
        if key not in memo:
            memo[key] = compute(self)
        return memo[key]

    def subtree(self, prefix: str) -> dict[str, Any]:
        """Nested plain values below ``prefix`` (``"services"`` -> ``{"shelter": {...}}``)."""
        out: dict[str, Any] = {}
        start = prefix + "."
        for path, leaf in self._leaves.items():
            if path.startswith(start):
                node = out
                parts = path[len(start):].split(".")
                for part in parts[:-1]:
                    node = node.setdefault(part, {})
                node[parts[-1]] = self[path]
        return out

    def __repr__(self) -> str:
        return f"Parameters({self.name!r}, {len(self.changes)} change(s) from baseline)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Parameters) and self.values() == other.values()

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, str(v)) for k, v in self.values().items())))

    def values(self) -> dict[str, Any]:  # type: ignore[override]
        return {p: leaf.value for p, leaf in self._leaves.items()}

    # -- validation across fields -------------------------------------------------------
    def _check_cross_fields(self, origin: str) -> None:
        index = self.price_index()
        if index:
            indexed = f"indexed years {min(index)}-{max(index)} (prices.index)"
            if self.price_year() not in index:
                raise ParameterError(f"{origin}: prices.base_year = {self.price_year()}: no net price index; {indexed}")
            for leaf in self._leaves.values():
                if leaf.price_year is not None and leaf.price_year not in index:
                    raise ParameterError(f"{origin}: {leaf.path}: price_year = {leaf.price_year}: "
                                         f"no net price index; {indexed}")
        initial = self.subtree("population.initial")
        for domain, shares in initial.items():
            total = sum(shares.values())
            if abs(total - 1.0) > 1e-6:
                raise ParameterError(
                    f"{origin}: population.initial.{domain}: shares sum to {total:.6f}; they must sum to 1"
                )
