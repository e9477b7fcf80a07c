"""The dashboard: ``solara run app.py`` (or ``./dev app``).

A first page on the core model: occupancy of each domain over time. The full dashboard
(network view, money, contracts, citizen inspector) grows here.
"""

from __future__ import annotations

from mesa.visualization import SolaraViz, make_plot_component

from model import WelfareModel

model_params = {
    "population.size": {"type": "SliderInt", "value": 2000, "label": "Citizens", "min": 100, "max": 10000, "step": 100},
    "rng": {"type": "InputText", "value": 1, "label": "Seed"},
}

model = WelfareModel(rng=1, **{"population.size": 2000})

page = SolaraViz(
    model,
    components=[
        make_plot_component(["housing.precarious", "housing.shelter", "housing.street"]),
        make_plot_component(["substance.problematic", "substance.treatment", "substance.recovery"]),
    ],
    model_params=model_params,
    name="welfare-pathways",
)
