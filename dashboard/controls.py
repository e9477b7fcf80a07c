"""The sidebar's settings as parameters: presets, labels, parsing of the typed changes
and the seed, the dashboard's size limits, and the counterfactual of a scenario."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import numpy as np

from model import ParameterError, Parameters
from model.children import PROGRAMMES
from model.params import SCENARIO_DIR
from model.services import CATALOGUE


AS_PRESET = "as preset"


DEFAULT_PRESET = "housing_first"


DEFAULT_SIZE = 2000


SIZE_MIN, SIZE_MAX = 100, 10_000


#: The largest models one browser tab may ask for, whatever "more changes" says (the
#: citizens slider's limit): a tab holds its model, the counterfactual and their history.
DASHBOARD_LIMITS = {"population.size": SIZE_MAX, "governance.appraisal_size": SIZE_MAX}


#: services whose capacity (places per 1,000 citizens) is a parameter
CAPACITY_SERVICES = [s.name for s in CATALOGUE if s.capacity_limited]


def presets() -> list[str]:
    """The shipped scenarios (``runs/scenarios/*.toml``), baseline first."""
    return ["baseline", *sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))]


#: what the sidebar shows -> the parameter value (``scenario_parameters`` takes either)
MODE_LABELS = {"siloed: each service its own rules": "siloed",
               "coordinated: one case per citizen": "coordinated"}


SIZING_LABELS = {"fixed: the places the scenario states": "fixed",
                 "each budget holder funds what pays back in its own budget": "own_budget",
                 "funded if it pays back for the whole public purse": "whole_purse"}


#: "Housing First with ACT (housing_first)" -> "housing_first"
SERVICE_LABELS = {f"{s.description} ({s.name})": s.name for s in CATALOGUE if s.capacity_limited}


def _value(labels: dict[str, str], choice: str) -> str:
    """The parameter value of a sidebar choice (its label, or the value itself)."""
    return labels.get(choice, choice)


#: Family programmes for the children of the target group (``model/children.py``), in the
#: sidebar's words (short: a long label squeezes its slider): places per 1,000 adults of the
#: target group (none in the status quo); the slider's left end (-1) leaves the preset's places
PROGRAMME_LABELS = {"family_therapy": "Family therapy (MST/FFT) places per 1,000",
                    "family_addiction": "Family component in addiction treatment",
                    "children_of_prisoners": "Support for children of prisoners"}


PROGRAMME_PLACES_MAX = 20.0


def programme_path(name: str) -> str:
    """The parameter a family programme's slider sets: ``children.programmes.<name>.places``."""
    return f"children.programmes.{name}.places"


def parse_changes(text: str) -> dict[str, Any]:
    """``"a.b = 1; c.d = true; e = pooled"`` -> ``{"a.b": 1, "c.d": True, "e": "pooled"}``.

    Values are read as TOML (numbers, true/false, "strings"); a bare word is a string."""
    out: dict[str, Any] = {}
    for part in (text or "").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        path, sep, raw = part.partition("=")
        path, raw = path.strip(), raw.strip()
        if not sep or not path or not raw:
            raise ParameterError(f"more changes: {part.strip()!r}: write path = value, e.g. services.shelter.capacity = 40")
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        except RecursionError:
            raise ParameterError(f"more changes: {path}: value nested too deeply") from None
        out[path] = value
    return out


def within_dashboard_limits(params: Parameters) -> Parameters:
    """``params`` if no size exceeds :data:`DASHBOARD_LIMITS`, else a ``ParameterError``
    (shown in red): one text entry must not make the server build 5,000,000 citizens."""
    for path, limit in DASHBOARD_LIMITS.items():
        if params[path] > limit:
            raise ParameterError(f"{path} = {params[path]:,}: the dashboard allows at most {limit:,} "
                                 "(the slider's limit); run larger models with ./dev run")
    return params


def parse_seed(seed: Any) -> int:
    """The seed field as an int. ASCII digits only: ``'²'.isdigit()`` is true but ``int``
    refuses it, and the error escaped the red-message path."""
    if isinstance(seed, str):
        seed = seed.strip()
        if not re.fullmatch(r"[0-9]{1,100}", seed):
            raise ParameterError(f"seed = {seed!r}: must be a whole number >= 0 (digits 0-9, at most 100)")
        return int(seed)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed = {seed!r}: must be a whole number >= 0")
    return int(seed)


def scenario_parameters(preset: str = DEFAULT_PRESET, *, mode: str = AS_PRESET, sizing: str = AS_PRESET,
                        capacity_scale: float = 1.0, service: str = "housing_first", service_places: float = -1.0,
                        service_price_scale: float = 1.0, changes: str = "", **overrides: Any) -> Parameters:
    """The sidebar's settings as validated ``Parameters`` (raises ``ParameterError``).

    ``overrides`` are parameter paths (e.g. ``population.size``); a family programme's
    places (``children.programmes.<name>.places``) below 0 is its slider's left end: the
    preset's places."""
    base = Parameters.load(preset)
    for name in PROGRAMMES:
        places = overrides.get(programme_path(name), 0.0)
        if places is None or places < 0:
            overrides.pop(programme_path(name))
    mode, sizing, service = _value(MODE_LABELS, mode), _value(SIZING_LABELS, sizing), _value(SERVICE_LABELS, service)
    out: dict[str, Any] = {}
    if mode != AS_PRESET:
        out["governance.mode"] = mode
    if sizing != AS_PRESET:
        out["governance.sizing"] = sizing
    if capacity_scale != 1.0:
        for name in CAPACITY_SERVICES:
            out[f"services.{name}.capacity"] = round(base[f"services.{name}.capacity"] * float(capacity_scale), 6)
    if service_places is not None and service_places >= 0:
        if service not in CAPACITY_SERVICES:
            raise ParameterError(f"service to adjust = {service!r}: one of {', '.join(CAPACITY_SERVICES)}")
        out[f"services.{service}.capacity"] = float(service_places)
    if service_price_scale != 1.0:
        out[f"services.{service}.price"] = {"scale": float(service_price_scale)}  # in the leaf's own price year
    out.update(overrides)
    out.update(parse_changes(changes))
    return within_dashboard_limits(base.with_overrides(out, origin="dashboard controls") if out else base)


def counterfactual_parameters(params: Parameters) -> Parameters:
    """The status quo for a scenario: the baseline (siloed, none of the scenario's changes)
    at the same population size."""
    return Parameters.baseline().with_overrides({"population.size": params["population.size"]},
                                                origin="counterfactual")
