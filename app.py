"""The dashboard: ``solara run app.py`` (or ``./dev app``).

A Mesa ``SolaraViz`` page on the welfare model. It opens on the answer: a policy compared
with its base scenario over several seeds, in one plain paragraph and a table per budget
holder with bands. The other tabs explore one run: pick a scenario preset, governance
mode, population, capacities, prices and seed in the sidebar, press Reset, then Step or
Play. Every scenario runs in lockstep with its counterfactual (the baseline, same
citizens, same seed, same random numbers), so the money views show what it changes.

This file holds the page, the sidebar's controls and the Solara components. What they
draw lives in the ``dashboard`` package:

* ``dashboard/controls.py``: the sidebar's settings as parameters (labels, limits, parsing);
* ``dashboard/session.py``: ``DashboardModel``, the model a tab shows with its counterfactual;
* ``dashboard/figures.py``: matplotlib figures, one colour per level and budget holder;
* ``dashboard/tables.py``: counters, tables and HTML;
* ``dashboard/results.py``: the results view's answer (sentence, bands, SØM table, outcomes);
* ``dashboard/contract.py``: the Contract tab (term sheet, cash flows, replications);
* ``dashboard/words.py``: the page's words in English and Danish, and numbers for people.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np
import pandas as pd
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from agents.states import HOMELESS, Domain
from model import Parameters
from model.children import PROGRAMMES
from model.populations import DEFAULT_POPULATION, NamedPopulation, preset_names
from model.services import BUDGETS
from dashboard.controls import (
    AS_PRESET, DEFAULT_PRESET, DEFAULT_SIZE, MODE_LABELS, PROGRAMME_LABELS, PROGRAMME_PLACES_MAX,
    SERVICE_LABELS, SIZE_MAX, SIZE_MIN, SIZING_LABELS, presets, programme_path,
)
from dashboard.figures import (
    DOMAINS, ChildrenFigure, LiveFigure, MoneyFigure, NetworkFigure, OccupancyFigure, ServicesFigure,
    TransitionsFigure, CitizenFigure, live_figure,
)
from dashboard.contract import (
    DashboardContract, contract_info, contract_parameters, fig_contract,
)
from dashboard.session import DashboardModel
from dashboard.words import DEFAULT_LANGUAGE, LANGUAGES, domain_name, html_text, number, percent, say
from dashboard.tables import (
    appraisal_html, cards_html, changes_html, children_kpis, children_money_html,
    citizen_summary, counters_html, funding_html,
    funding_warnings, html_table, most_costly_citizen, programmes_text, who_pays_html,
)

# =========================================================================================
# 1. Controls
# =========================================================================================


model_params: dict[str, Any] = {
    "preset": {"type": "Select", "value": DEFAULT_PRESET, "values": presets(), "label": "Scenario preset"},
    "mode": {"type": "Select", "value": AS_PRESET, "values": [AS_PRESET, *MODE_LABELS],
             "label": "Governance mode"},
    "sizing": {"type": "Select", "value": AS_PRESET, "values": [AS_PRESET, *SIZING_LABELS],
               "label": "Capacity sizing"},
    "population.size": {"type": "SliderInt", "value": DEFAULT_SIZE, "min": SIZE_MIN, "max": SIZE_MAX, "step": 100,
                        "label": "Citizens"},
    "capacity_scale": {"type": "SliderFloat", "value": 1.0, "min": 0.0, "max": 3.0, "step": 0.1,
                       "label": "All service capacities (x preset)"},
    "service": {"type": "Select", "value": next(k for k, v in SERVICE_LABELS.items() if v == "housing_first"),
                "values": list(SERVICE_LABELS), "label": "Service to adjust"},
    "service_places": {"type": "SliderFloat", "value": -1.0, "min": -1.0, "max": 300.0, "step": 1.0,
                       "label": "Its places per 1,000 (left end: as the preset)"},
    "service_price_scale": {"type": "SliderFloat", "value": 1.0, "min": 0.0, "max": 3.0, "step": 0.1,
                            "label": "Its price (x preset)"},
    # one slider per family programme; the left end (-1) leaves the preset's places
    **{programme_path(name): {"type": "SliderFloat", "value": -1.0, "min": -1.0, "max": PROGRAMME_PLACES_MAX,
                              "step": 1.0, "label": PROGRAMME_LABELS[name]}
       for name in PROGRAMMES},
    "changes": {"type": "InputText", "value": "", "label": "More changes: path = value; ... (e.g. contract terms)"},
    # whom the money belongs to (model/populations.py): totals are scaled to its persons
    "target_population": {"type": "Select", "value": DEFAULT_POPULATION, "values": preset_names(),
                          "label": "Money for the population of"},
    "rng": {"type": "InputText", "value": "1", "label": "Seed"},
}




def sidebar_params(lang: str) -> dict[str, Any]:
    """``model_params`` with its labels in ``lang`` (``param.<name>`` in ``dashboard/words.py``);
    everything else, the Selects' values included, exactly as in ``model_params``, so a
    choice made in the sidebar means the same in either language. Mesa keeps the user's
    current choices when only the labels change (its inputs follow their ``value`` only
    when that changes)."""
    if lang == "en":
        return model_params
    return {name: {**options, "label": say(f"param.{name}", lang)} for name, options in model_params.items()}


# -- the second generation (model/children.py) ------------------------------------------------


# =========================================================================================
# 2. Components
# =========================================================================================

colour_domain = solara.reactive("housing")
citizen_pick = solara.reactive(0)
cumulative_moves = solara.reactive(False)
#: the tabs, in order: the answer over runs first, then the views that explore one run
TAB_KEYS = ("results", "pathways", "flows", "citizen", "contract", "funding", "children")
TABS = tuple(say(f"tab.{key}", "en") for key in TAB_KEYS)
tab_index = solara.reactive(0)
#: the page's language (``dashboard/words.py``): "en" or "da"
language = solara.reactive(DEFAULT_LANGUAGE)


def reads_the_model(component):
    """A component body that reads ``model`` runs under ``model.lock``, which the model's
    step holds: Mesa's Play steps in a thread while the page renders (a tab switch during
    Play used to read the scenario's ledger one month ahead of the counterfactual's and
    crash the page). Child components render after the body returns, so a lock is held
    for one body at a time, never across the tree."""

    @functools.wraps(component)
    def body(model, *args, **kwargs):
        with model.lock:
            return component(model, *args, **kwargs)

    return body


@solara.component
@reads_the_model
def Plot(model: DashboardModel, build, dependencies: list):
    """A matplotlib figure rebuilt and re-encoded only when ``dependencies`` change."""
    fig = solara.use_memo(build, dependencies)
    return solara.FigureMatplotlib(fig, dependencies=dependencies, format="png")


@solara.component
@reads_the_model
def Counters(model: DashboardModel, month: int, lang: str = "en"):
    solara.HTML(tag="div", unsafe_innerHTML=counters_html(model, lang))


@solara.component
@reads_the_model
def LivePlot(model: DashboardModel, month: int, kind: type[LiveFigure], args: tuple = (),
             extra: list | None = None, configure=None):
    """A live figure's current frame; re-encoded only when the month (or ``extra``) changes."""
    figure = live_figure(model, kind, *args)

    def frame() -> bytes:
        if configure is not None:
            configure(figure)
        return figure.png(model)

    png = solara.use_memo(frame, [model, month, kind, args, *(extra or [])])
    return solara.Image(png, format="png")


@solara.component
@reads_the_model
def NetworkView(model: DashboardModel, month: int, lang: str = "en"):

    def ring(fig: NetworkFigure) -> None:
        fig.highlight = citizen_pick.value

    names = {domain_name(d, lang): d for d in DOMAINS}  # the select shows words, keeps the domain
    with solara.Column():
        solara.Select(say("network.colour", lang), value=domain_name(colour_domain.value, lang), values=list(names),
                      on_value=lambda v: colour_domain.set(names.get(v, v)))
        LivePlot(model, month, NetworkFigure, (colour_domain.value, lang), [citizen_pick.value], configure=ring)


@solara.component
@reads_the_model
def OccupancyView(model: DashboardModel, month: int, lang: str = "en"):
    LivePlot(model, month, OccupancyFigure, (lang,))


@solara.component
@reads_the_model
def MoneyView(model: DashboardModel, month: int, lang: str = "en"):
    LivePlot(model, month, MoneyFigure, (lang,))


@solara.component
@reads_the_model
def WhoPaysView(model: DashboardModel, month: int, lang: str = "en"):
    html = solara.use_memo(lambda: who_pays_html(model, lang), [model, model.month, lang])
    with solara.Column():
        solara.Text(say("who.title", lang), style={"font-weight": "600"})
        solara.HTML(tag="div", unsafe_innerHTML=html)


@solara.component
@reads_the_model
def FlowsView(model: DashboardModel, month: int, lang: str = "en"):
    with solara.Column():
        solara.Checkbox(label=say("flows.cumulative", lang), value=cumulative_moves)
        LivePlot(model, month, TransitionsFigure, (bool(cumulative_moves.value), lang))


@solara.component
@reads_the_model
def FundingView(model: DashboardModel, lang: str = "en"):
    """What the scenario funds and changes; the appraisal on demand (pilots take seconds)."""
    from model.governance import offered

    plan = model.services.plan if hasattr(model.services, "plan") else None
    appraisal, set_appraisal = solara.use_state(None, key=f"appraisal-{id(model)}")
    frame = plan.appraisal_frame() if plan is not None else pd.DataFrame()
    with solara.Column():
        solara.HTML(tag="h4", unsafe_innerHTML=html_text(say("funding.places", lang)))
        solara.HTML(tag="div", unsafe_innerHTML=funding_html(model, lang))
        solara.HTML(tag="h4", unsafe_innerHTML=html_text(say("funding.changes", lang)))
        solara.HTML(tag="div", unsafe_innerHTML=changes_html(model.params, lang))
        solara.HTML(tag="h4", unsafe_innerHTML=html_text(say("funding.appraisal", lang)))
        if frame.empty and appraisal is None and offered(model.params):
            def run() -> None:
                from model.governance import FundingPlan, appraise

                pilots = appraise(model.params)
                set_appraisal(FundingPlan(plan.sizing, plan.funding, plan.places, plan.decisions, pilots).appraisal_frame())

            n = len(offered(model.params)) * model.params["governance.appraisal_replications"]
            solara.Button(say("funding.run", lang, n=n), on_click=run)
        else:
            solara.HTML(tag="div", unsafe_innerHTML=appraisal_html(appraisal if appraisal is not None else frame,
                                                                   model.params, lang))


@solara.component
@reads_the_model
def ServicesView(model: DashboardModel, month: int, lang: str = "en"):
    LivePlot(model, month, ServicesFigure, (lang,))


@solara.component
@reads_the_model
def CitizenView(model: DashboardModel, month: int, lang: str = "en"):
    n = model.population.n
    i = min(max(int(citizen_pick.value or 0), 0), n - 1)
    with solara.Column():
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.InputInt(say("citizen.field", lang, last=n - 1), value=i, on_value=lambda v: citizen_pick.set(
                min(max(int(v or 0), 0), n - 1)))
            solara.Button(say("citizen.costly", lang), on_click=lambda: citizen_pick.set(most_costly_citizen(model)))
            solara.Button(say("citizen.random", lang), on_click=lambda: citizen_pick.set(_random_homeless(model)))
        s = citizen_summary(model, i, lang)
        facts = " · ".join(f"{domain_name(d, lang)}: {s[d]}" for d in DOMAINS)
        status = {"alive": "citizen.now", "died": "citizen.died"}.get(s["status"], "citizen.exited")
        solara.Text(say(status, lang, i=i, facts=facts))
        solara.Text(say("citizen.facts", lang, age=_decimal(s["age"], lang), complexity=_decimal(s["complexity"], lang),
                        contacts=s["contacts"], prison=say("yes" if s["ever_prison"] else "no", lang),
                        homeless=say("yes" if s["ever_homeless"] else "no", lang), services=s["services_now"]))

        def thousands(dkk: float) -> str:
            return say("citizen.thousands", lang, amount=number(dkk / 1000, lang))

        costs = " · ".join(f"{b} {thousands(s[f'cost_{b}'])}" + (
            say("citizen.counterfactual", lang, amount=thousands(s[f"cost_{b}_counterfactual"]))
            if model.counterfactual is not None else "") for b in BUDGETS)
        children = (say("citizen.children", lang, amount=thousands(s["cost_children_in_care"]))
                    if s["cost_children_in_care"] else "")
        solara.Text(say("citizen.cost", lang, costs=costs, children=children))
        LivePlot(model, month, CitizenFigure, (i, lang))


def _decimal(x: float, lang: str) -> str:
    """A rounded number as Python writes it ("34.5"), with a decimal comma in Danish."""
    return str(x) if lang == "en" else str(x).replace(".", ",")


def _random_homeless(model: DashboardModel) -> int:
    homeless = np.flatnonzero(np.isin(model.population.levels[Domain.HOUSING], HOMELESS))
    if homeless.size == 0:
        return 0
    return int(np.random.default_rng().choice(homeless))


@solara.component
@reads_the_model
def ContractView(model: DashboardModel, month: int, lang: str = "en"):
    """Outcome contracts (Payment by Results, Social Impact Bonds), readable by an investor.
    For a contract preset: the contract simulated once on these citizens and seed
    (``DashboardContract``) as a term sheet in words, the cohort recruited against the
    contracted places, the investor's figures, the yearly cash flows per party and their
    cumulative chart (+ = money in for that party); on demand, the contract over several
    seeds in the background (P(investor loss), the IRR's band); the raw ``contract.*``
    parameters folded away. Otherwise a note. Builders and words: ``dashboard/contract.py``."""
    from dashboard import contract as c

    info = contract_info(model)
    terms = contract_parameters(model.params)
    task = c.replications_task
    with solara.Column():
        contract = info.get("contract") if info is not None else None
        if info is None:
            solara.Info(c.say("none", lang))
        elif info.get("error"):
            solara.Error(info["error"])
        elif isinstance(contract, DashboardContract):
            flows = contract.cash_flows()
            solara.HTML(tag="h4", unsafe_innerHTML=html_text(c.say("h.terms", lang)))
            solara.HTML(tag="div", unsafe_innerHTML=c.term_sheet_html(contract.terms, lang))
            solara.Text(c.cohort_sentence(contract, lang))
            solara.HTML(tag="h4", unsafe_innerHTML=html_text(c.say("h.run", lang, seed=model.seed)))
            solara.HTML(tag="div", unsafe_innerHTML=html_table(
                c.metrics_table(contract.metrics, contract.terms, lang, int(contract.run.cohort.size)),
                "contract-metrics", index=False, numbers=True))
            solara.HTML(tag="h4", unsafe_innerHTML=html_text(c.say("h.yearly", lang)))
            solara.HTML(tag="div", unsafe_innerHTML=c.yearly_html(flows, contract.terms, lang))
            Plot(model, lambda: fig_contract(model, flows, lang, contract.terms), [model, lang])
            solara.HTML(tag="h4", unsafe_innerHTML=html_text(c.say("h.replications", lang)))
            with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
                solara.Select(c.say("r.runs", lang), values=[str(r) for r in c.REPLICATIONS],
                              value=str(c.replication_runs.value), on_value=lambda v: c.replication_runs.set(int(v)),
                              style={"max-width": "12em"})
                solara.Button(c.say("r.button", lang), color="primary", disabled=task.pending,
                              on_click=lambda: task(model.params, model.seed, c.replication_runs.value))
            solara.Text(c.say("r.intro", lang, runs=c.replication_runs.value))
            if task.pending:
                solara.ProgressLinear(task.progress or True)
                solara.Text(c.say("r.running", lang, done=percent((task.progress or 0) / 100, lang)))
            elif task.error:
                solara.Error(c.say("r.failed", lang, error=task.exception))
            elif task.finished and task.value is not None and task.value.matches(model):
                solara.HTML(tag="div", unsafe_innerHTML=c.replications_html(task.value.result, lang))
        else:  # an object a test or script put on ``model.contract``: its flows and summary as given
            solara.Text(f"Contract: {info['repr']}")
            flows = info.get("cash_flows")
            if isinstance(flows, pd.DataFrame) and not flows.empty:
                Plot(model, lambda: fig_contract(model, flows, lang), [model, month, lang])
            elif isinstance(flows, str):
                solara.Error(flows)
            if info.get("summary") is not None:
                solara.Text(str(info["summary"]))
        if bool(terms.get("contract.enabled", False)):
            with solara.Details(c.say("h.expert", lang)):
                if info is not None:
                    solara.Text(f"Simulated: {info['repr']}. {info.get('summary') or ''}")
                solara.HTML(tag="div", unsafe_innerHTML="<br>".join(f"<code>{html_text(p)} = {html_text(str(v))}</code>"
                                                                     for p, v in terms.items()))


@solara.component
@reads_the_model
def ChildrenView(model: DashboardModel, month: int, lang: str = "en"):
    """The second generation (``model/children.py``): counters in words, children by
    placement and the cumulative placements and entries into the target group per month
    (scenario solid, counterfactual dashed), and the children's money per budget holder;
    one line of explanation when the run has no children."""
    with solara.Column():
        if model.children is None:
            solara.Info(say("children.off", lang))
        else:
            solara.HTML(tag="div", unsafe_innerHTML=cards_html(children_kpis(model, lang), "child-counters"))
            LivePlot(model, month, ChildrenFigure, (lang,))
            solara.HTML(tag="h4", unsafe_innerHTML=html_text(say("children.money", lang)))
            solara.HTML(tag="div", unsafe_innerHTML=children_money_html(model, lang))
            solara.Text(programmes_text(model, lang))


# -- results over runs: the answer first, with its uncertainty --------------------------------
#: citizens simulated per run in the results view (the money is scaled to the population)
RESULTS_SIZE = 2000
RESULTS_YEARS = (5, 10, 20, 30)  # 30: early help to children pays back, if at all, late
RESULTS_RUNS = (5, 10, 20)
results_choice = solara.reactive({"scenario": "housing_first", "years": 10, "runs": 10})
#: worker processes for the results view (``WELFARE_PATHWAYS_DASHBOARD_WORKERS``; 1 = in the
#: server's own thread): the runs are independent and their results do not depend on it
RESULTS_WORKERS = int(os.environ.get("WELFARE_PATHWAYS_DASHBOARD_WORKERS", min(2, os.cpu_count() or 1)))
_results_pool: list = []  # one pool of worker processes for the server, made at the first Run


def results_executor():
    """The server's pool of ``RESULTS_WORKERS`` processes (spawned, so no thread of the
    server is copied into them), kept warm between runs; None for one worker."""
    if RESULTS_WORKERS < 2:
        return None
    if not _results_pool:
        import atexit
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(RESULTS_WORKERS, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(pool.shutdown, wait=False, cancel_futures=True)
        _results_pool.append(pool)
    return _results_pool[0]


@solara.lab.task
def run_results(scenario: str, years: int, runs: int, population: NamedPopulation):
    """``compare`` the policy with its base scenario over ``runs`` seeds in the server's
    worker processes, reporting the share of runs done in ``run_results.progress``."""
    from model.compare import compare

    def progress(done: int, total: int) -> None:
        run_results.progress = 100.0 * done / total

    run_results.progress = 0.0
    return compare(Parameters.load(scenario).base_name, scenario, replications=runs, months=12 * years,
                   population=population, progress=progress, appraisal=False, executor=results_executor(),
                   **{"population.size": RESULTS_SIZE})


def _results_table(frame: pd.DataFrame, css_class: str, numbers: bool = True) -> None:
    """One of the results view's tables (``dashboard.tables.html_table``; ``numbers``:
    the columns after the first right-aligned), styled further by the page's ``CSS``."""
    solara.HTML(tag="div", unsafe_innerHTML=html_table(frame, css_class, index=False, numbers=numbers))


@solara.component
def ResultsView(model: DashboardModel, lang: str = "en"):
    """The answer first: pick a policy by name, a horizon and a number of runs; the
    comparison with its base scenario runs in the background (``model.compare.compare``
    on 2,000 citizens per run, money for the dashboard's population) and opens with one
    plain paragraph, then the NPV per budget holder with bands, warnings where an effect
    is within the noise, who gains and who pays, the SØM table per year, what the money
    buys and what the policy funds (``dashboard/results.py``), then the full report."""

    from dashboard import results

    choice = results_choice.value
    names = results.policy_names(lang)
    by_name = {v: k for k, v in names.items()}
    with solara.Column():
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.Select(say("results.policy", lang), values=list(names),
                          value=by_name.get(choice["scenario"], list(names)[0]),
                          on_value=lambda v: results_choice.set({**choice, "scenario": names[v]}))
            solara.Select(say("results.horizon", lang), values=[str(y) for y in RESULTS_YEARS],
                          value=str(choice["years"]), on_value=lambda v: results_choice.set({**choice, "years": int(v)}))
            solara.Select(say("results.runs", lang), values=[str(r) for r in RESULTS_RUNS], value=str(choice["runs"]),
                          on_value=lambda v: results_choice.set({**choice, "runs": int(v)}))
            solara.Button(say("results.run", lang), color="primary", disabled=run_results.pending,
                          on_click=lambda: run_results(choice["scenario"], choice["years"], choice["runs"],
                                                       model.target))
        solara.Text(say("results.intro", lang, size=number(RESULTS_SIZE, lang), population=model.target.name,
                        persons=number(model.target.persons, lang), sign=say("sign", lang),
                        prices=results.scenario_prices(choice["scenario"], lang)))
        if run_results.pending:
            solara.ProgressLinear(run_results.progress or True)
            solara.Text(say("results.running", lang, done=percent((run_results.progress or 0) / 100, lang)))
        elif run_results.error:
            solara.Error(say("results.failed", lang, error=run_results.exception))
        elif run_results.finished and run_results.value is not None:
            c = run_results.value
            stale = results.stale_note(c, choice["scenario"], choice["years"], choice["runs"], model.target.name, lang)
            if stale:
                solara.Warning(stale)
            solara.HTML(tag="p", unsafe_innerHTML=f"<b>{html_text(results.summary_paragraph(c, lang))}</b>",
                        classes=["results-answer"])
            _results_table(results.npv_table(c, lang), "results-table")
            for warning in results.noise_warnings(c, lang):
                solara.Warning(warning)
            solara.HTML(tag="h4", unsafe_innerHTML=html_text(say("results.winners", lang)))
            solara.Text(" · ".join(results.winners_and_losers(c, lang)) or "–")
            solara.HTML(tag="h4", unsafe_innerHTML=html_text(say("results.som", lang, prices=results.prices(c, lang))))
            solara.Text(say("sign", lang) + ("; cumulative, undiscounted; median (10th to 90th percentile)."
                                             if lang == "en" else "; kumuleret, udiskonteret; median (10.-90. percentil)."))
            _results_table(results.som_table(c, lang), "som-table")
            solara.HTML(tag="h4", unsafe_innerHTML=html_text(say("results.outcomes", lang)))
            solara.Text("The policy minus its base, persons of the population; per DKK 1m = per million kroner the "
                        "policy invests (present value)." if lang == "en" else
                        "Indsatsen minus basis, personer i befolkningen; pr. mio. kr. = pr. million kroner, indsatsen "
                        "investerer (nutidsværdi).")
            _results_table(results.outcomes_table(c, lang), "outcomes-table")
            children = results.outcomes_table(c, lang, results.CHILD_OUTCOMES)
            if not children.empty:
                solara.HTML(tag="h4", unsafe_innerHTML=html_text(say("results.second", lang)))
                _results_table(children, "children-outcomes")
                solara.Text("Grown-up children are followed from 18 to 30: outcomes at 25 and 30 count only those who "
                            "reach that age within the horizon (choose 30 years for early help)." if lang == "en" else
                            "Voksne børn følges fra 18 til 30 år: effekter som 25- og 30-årige tæller kun dem, der når "
                            "den alder inden for horisonten (vælg 30 år for tidlig hjælp).")
            solara.HTML(tag="h4", unsafe_innerHTML=html_text(say("results.funds", lang)))
            funds, changes = results.funds_table(c, lang), results.changes_table(c, lang)
            if not funds.empty:
                _results_table(funds, "funds-table", numbers=False)
            if not changes.empty:
                _results_table(changes, "changes-table", numbers=False)
            with solara.Details(say("results.report", lang)):
                solara.Markdown(c.report())
        else:
            solara.Info(say("results.ask", lang))


@solara.component
@reads_the_model
def Dashboard(model: DashboardModel):
    """The main area: headline counters, then the views in tabs.

    It subscribes to Mesa's ``update_counter`` (bumped by Step and Play) and hands the
    month to every view: a child component re-renders only when its arguments change.
    After each render pass it tells the model what it drew (``DashboardModel.drawn``)."""
    counter = update_counter.get()
    solara.use_effect(lambda: model.drawn(counter), [model, counter])
    lang = language.value
    with solara.Column(style={"padding": "8px", "width": "100%"}):
        with solara.Row(style={"align-items": "center", "justify-content": "flex-end"}):
            solara.ToggleButtonsSingle(value=LANGUAGES[lang], values=list(LANGUAGES.values()),
                                       on_value=lambda v: language.set(next(k for k, n in LANGUAGES.items() if n == v)))
        if model.error:
            solara.Error(model.error)
        for warning in funding_warnings(model, lang):
            solara.Warning(warning)
        solara.Text(model.describe(lang))
        Counters(model, model.month, lang)
        # Every tab is mounted the first time it is shown and then kept (a tab unmounted by
        # Tabs(lazy=True) and shown again had buttons the browser's clicks no longer reached);
        # a tab out of sight keeps the month it last showed, so it is not redrawn on Step or Play.
        active = tab_index.value
        visited, months = solara.use_ref(set()).current, solara.use_ref({}).current
        visited.add(active)
        months[active] = model.month
        shown = {key: TAB_KEYS.index(key) in visited for key in TAB_KEYS}
        month = {key: months.get(TAB_KEYS.index(key), model.month) for key in TAB_KEYS}
        with solara.lab.Tabs(value=tab_index):
            with solara.lab.Tab(say("tab.results", lang)):  # the answer first; the rest explores one run
                if shown["results"]:
                    ResultsView(model, lang)
            with solara.lab.Tab(say("tab.pathways", lang)):
                if shown["pathways"]:
                    with solara.Columns([5, 7]):
                        NetworkView(model, month["pathways"], lang)
                        OccupancyView(model, month["pathways"], lang)
                    with solara.Columns([7, 5]):
                        MoneyView(model, month["pathways"], lang)
                        WhoPaysView(model, month["pathways"], lang)
            with solara.lab.Tab(say("tab.flows", lang)):
                if shown["flows"]:
                    FlowsView(model, month["flows"], lang)
                    ServicesView(model, month["flows"], lang)
            with solara.lab.Tab(say("tab.citizen", lang)):
                if shown["citizen"]:
                    CitizenView(model, month["citizen"], lang)
            with solara.lab.Tab(say("tab.contract", lang)):
                if shown["contract"]:
                    ContractView(model, month["contract"], lang)
            with solara.lab.Tab(say("tab.funding", lang)):
                if shown["funding"]:
                    FundingView(model, lang)
            with solara.lab.Tab(say("tab.children", lang)):
                if shown["children"]:
                    ChildrenView(model, month["children"], lang)


# =========================================================================================
# 3. The page
# =========================================================================================

try:  # no "This website runs on Solara" banner over the tables; the browser tab's title
    import solara.server.settings as _server_settings

    _server_settings.theme.show_banner = False
    _server_settings.theme.title = "welfare-pathways"
except ImportError:  # pragma: no cover - solara without its server
    pass

#: Slider values always visible (Mesa's sliders otherwise show their value only while dragged);
#: compact tabs (no capitals, less padding) that wrap onto a second row rather than hide
#: behind scroll arrows, the active one underlined. The results view's tables are laid out by
#: ``dashboard.tables.html_table`` like every other table; here only their spacing, their
#: rules and the SØM table's bold last row (the break-even year).
CSS = """
.v-tabs .v-tab { text-transform: none; letter-spacing: normal; min-width: 0; padding: 0 12px; font-size: 15px;
                 height: 40px; }
.v-tabs > .v-tabs-bar { height: auto; }
.v-tabs .v-slide-group__wrapper { overflow: visible !important; flex: 1 1 auto; min-width: 0; }
.v-tabs .v-slide-group__content { flex: 1 1 auto !important; flex-wrap: wrap; white-space: normal; min-width: 0;
                                  transform: none !important; }
.v-tabs .v-slide-group__prev, .v-tabs .v-slide-group__next { display: none !important; }
.v-tabs .v-tabs-slider-wrapper { display: none; }
.v-tabs .v-tab--active { box-shadow: inset 0 -2px 0 currentColor; }
.v-slider__thumb-label-container { display: block !important; }
.v-slider__thumb-label { transform: translate(10px, -4px) !important; width: auto !important;
                         height: 16px !important; border-radius: 3px !important; padding: 0 4px; font-size: 10px; }
.v-slider__thumb-label > div, .v-slider__thumb-label > div > span { transform: none !important; }
.results-table, .som-table, .outcomes-table, .funds-table, .changes-table, .children-outcomes { margin: 4px 0 10px 0; }
.results-table th, .som-table th, .outcomes-table th, .funds-table th, .changes-table th, .children-outcomes th,
.results-table td, .som-table td, .outcomes-table td, .funds-table td, .changes-table td, .children-outcomes td {
    border-bottom: 1px solid #e0e0e0; }
.som-table tr:last-child td { font-weight: 600; }
"""


def default_model() -> DashboardModel:
    return DashboardModel(DEFAULT_PRESET, rng=1, **{"population.size": DEFAULT_SIZE})


default_model()  # at import: fills the capacity appraisal's cache, so the first page opens fast


@solara.component
def Page(model: DashboardModel | None = None):
    """The dashboard. Every browser session gets its own model (nothing is shared between
    sessions); ``model`` (for tests) starts the page on a given one."""
    initial = solara.use_memo(lambda: model if model is not None else default_model(), [])
    current = solara.use_reactive(initial)
    params = solara.use_memo(lambda: sidebar_params(language.value), [language.value])
    solara.Style(CSS)
    SolaraViz(current, components=[], model_params=params, name="welfare-pathways")
    Dashboard(current.value)


page = Page
