"""What the dashboard's views show, as numbers, tables and HTML: counters, who pays,
funding, the appraisal, a citizen's summary, the children and the results
over runs. Plain functions, testable without a browser."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from agents.states import HOMELESS, Domain, Employment, Mental, Substance, level_key
from model import ParameterError, Parameters, WelfareModel
from model.children import PLACEMENT_ACCOUNTS, PREVENTIVE_ACCOUNT, PROGRAMMES
from model.economics import who_pays_matrix
from dashboard import words
from model.services import BUDGETS
from dashboard.controls import PROGRAMME_LABELS, parse_changes, programme_path

if TYPE_CHECKING:  # annotations only: no import cycle
    from dashboard.session import DashboardModel


def who_pays(model: DashboardModel) -> pd.DataFrame:
    return who_pays_matrix(model.flows())


def html_table(frame: pd.DataFrame, css_class: str, note: str = "", *, index: bool = True,
               numbers: bool = False, note_above: bool = False) -> str:
    """``frame`` as a plain HTML table: the one way the dashboard draws a table (the
    Explore tabs, the Contract tab and the results over runs), so that every table is
    escaped and laid out alike. A header row in ``<thead>``, one row per record in
    ``<tbody>`` (the browser tests count these rows), ``css_class`` on the table (what
    the tests and the page's CSS select), and every header, index label and cell escaped
    (``words.html_text``): names from parameter files and the model's sentences are
    text, never markup.

    ``index``: the index as each row's first cell, a row header, under the index's name.
    ``numbers``: the columns after the first hold numbers, right-aligned (their digits
    line up) and, like the first, kept on one line. ``note``: a small line under the
    table (a footnote), or above it with ``note_above`` (a key to read first, such as
    the sign of money)."""
    labels = [frame.index.name or "", *frame.columns] if index else list(frame.columns)
    rows = [[i, *row] if index else list(row) for i, row in zip(frame.index, frame.itertuples(index=False))]

    def cell(tag: str, j: int, value: Any) -> str:
        align = "right" if numbers and j > 0 else "left"
        wrap = ";white-space:nowrap" if numbers else ""
        return f'<{tag} style="padding:3px 8px;text-align:{align}{wrap}">{words.html_text(str(value))}</{tag}>'

    head = "".join(cell("th", j, c) for j, c in enumerate(labels))
    body = "".join("<tr>" + "".join(cell("th" if index and j == 0 else "td", j, v) for j, v in enumerate(row)) + "</tr>"
                   for row in rows)
    table = (f'<table class="{css_class}" style="border-collapse:collapse;font-size:13px">'
             f'<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')
    if not note:
        return table
    if note_above:
        return f'<div style="font-size:12px;color:#444;margin-bottom:4px">{words.html_text(note)}</div>{table}'
    return f'{table}<div style="font-size:11px;color:#666;margin-top:4px">{words.html_text(note)}</div>'


def _local(text: str, lang: str) -> str:
    """A number formatted the English way ("1,234.5") in ``lang`` ("1.234,5" in Danish)."""
    if lang == "da":
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def funding_warnings(model: DashboardModel, lang: str = "en") -> list[str]:
    """For the top of the page: offered interventions left at 0 places, and sidebar
    controls that a typed change overrides (the typed value wins, as the Reset applied it).
    The plan's own warning (``FundingPlan.warnings``) is the model's text, in English."""
    plan = getattr(model.services, "plan", None)
    out = [words.say("warn.scenario", lang, warning=w) for w in plan.warnings()] if plan is not None else []
    try:
        typed = parse_changes(model.settings.get("changes", ""))
    except ParameterError:
        typed = {}
    controlled = {"population.size": words.say("warn.citizens", lang),
                  "governance.mode": words.say("param.mode", lang),
                  "governance.sizing": words.say("param.sizing", lang),
                  **{programme_path(name): words.say("warn.slider", lang, label=words.say(
                      f"param.{programme_path(name)}", lang) if lang != "en" else label)
                     for name, label in PROGRAMME_LABELS.items()}}
    for path, control in controlled.items():
        if path in typed:
            out.append(words.say("warn.override", lang, path=path, value=typed[path], control=control))
    return out


def funding_html(model: DashboardModel, lang: str = "en") -> str:
    """Places funded per service in both arms, who pays and why (``FundingPlan``; the
    decision's reason is the model's text, in English)."""
    from model.compare import ArmDescription

    arms = {"scenario": ArmDescription.of(model.params, appraisal=False)}
    if model.counterfactual is not None:
        arms["counterfactual"] = ArmDescription.of(model.counterfactual.params, appraisal=False)
    tables = {arm: d.funding() for arm, d in arms.items()}
    scen = tables["scenario"]
    say = functools.partial(words.say, lang=lang)
    index = scen.index if lang == "en" else pd.Index([words.service_name(s, lang) for s in scen.index])
    holders = scen["budget_holder"] if lang == "en" else [words.budget_name(b, lang) for b in scen["budget_holder"]]
    out = pd.DataFrame({say("results.budget"): list(holders)}, index=index.rename(say("funding.service")))
    for arm, t in tables.items():
        out[say("funding.arm_places", arm=say(f"arm.{arm}"))] = [
            _local(f"{f:g} ({p:,})", lang) for f, p in zip(t["funded_per_1000"], t["places"])]
    out[say("funding.paid_by")] = list(scen["paid_by"])
    out[say("funding.decision")] = list(scen["decision"])
    keep = ((scen["offered_per_1000"] > 0) | (tables.get("counterfactual", scen)["offered_per_1000"] > 0)).to_numpy()
    return html_table(out[keep], "funding", say("funding.note", n=words.number(model.population.n, lang)))


def _how(how: str, lang: str) -> str:
    """How a parameter was changed ("set", "scaled x1.5", "set, then scaled x2") in ``lang``."""
    if lang == "en":
        return how
    how = how.replace(", then ", ", derefter ").replace("scaled x", "skaleret x")
    return _local(re.sub(r"\bset\b", "sat", how), lang)


def changes_html(params: Parameters, lang: str = "en") -> str:
    """What the settings change relative to the calibrated default (``Parameters.differences``);
    parameter paths and units stay as the parameter files say them."""
    say = functools.partial(words.say, lang=lang)
    rows = [r for r in params.differences() if r["path"] != "population.size"]
    if not rows:
        return f"<div>{say('changes.none')}</div>"
    frame = pd.DataFrame([{say("changes.parameter"): r["path"], say("changes.calibrated"): _fmt_value(r["calibrated"], lang),
                           say("changes.scenario"): _fmt_value(r["scenario"], lang),
                           say("changes.ratio"): "" if r["ratio"] is None else _local(f"x{r['ratio']:.2f}", lang),
                           say("changes.how"): _how(r["how"], lang),
                           say("changes.unit"): r["unit"]} for r in rows]).set_index(say("changes.parameter"))
    return html_table(frame, "changes", say("changes.note"))


def appraisal_html(frame: pd.DataFrame, params: Parameters, lang: str = "en") -> str:
    """The appraisal of the offered interventions: net gain per budget holder (DKK million,
    median [p10, p90]) and the probability of paying back."""
    say = functools.partial(words.say, lang=lang)
    if frame.empty:
        return f"<div>{say('appraisal.none')}</div>"

    def holder(budget: str) -> str:
        if lang == "en":
            return budget
        return say("appraisal.whole") if budget == "whole purse" else words.budget_name(budget, lang)

    cells = {}
    for (svc, budget), r in frame.set_index(["service", "budget"]).iterrows():
        name = svc if lang == "en" else words.service_name(svc, lang)
        cells.setdefault(name, {})[holder(budget)] = _local(
            f"{r['median'] / 1e6:,.1f} [{r['p10'] / 1e6:,.1f}, {r['p90'] / 1e6:,.1f}] ", lang) + \
            f"· P {words.percent(r['p_pays_back'], lang)}"
    table = pd.DataFrame(cells).T.rename_axis(say("appraisal.intervention"))
    return html_table(table, "appraisal", say(
        "appraisal.note", months=_local(f"{params['governance.appraisal_months']:g}", lang),
        pilots=params["governance.appraisal_replications"],
        size=words.number(params["governance.appraisal_size"], lang)))


def _fmt_value(v: Any, lang: str = "en") -> str:
    return _local(f"{v:,.6g}", lang) if isinstance(v, float) else str(v)


def who_pays_html(model: DashboardModel, lang: str = "en") -> str:
    """Who pays, who saves, to date, as an HTML table (DKK million for the money's
    population, scenario minus counterfactual): per budget holder what it invests, what it
    gets back (savings and revenue, cashable) and its net, with one sign: + = the public
    saves, − = it spends more; green = better off, red = worse off. The wrong pocket shows
    as a holder that invests and a different one that saves."""
    flows = model.flows()
    rows_html = ""
    for b in (*BUDGETS, "total"):
        if flows.empty:
            inv = ret = 0.0
        else:
            inv = float(flows[("investment", b)].sum()) * model.money_scale
            ret = float(flows[("return", b)].sum()) * model.money_scale
        net = ret - inv
        colour = "rgba(26,152,80,.25)" if net > 0.05e6 else "rgba(215,48,39,.25)" if net < -0.05e6 else "transparent"
        weight = "font-weight:600;" if b == "total" else ""
        rows_html += (f'<tr style="{weight}"><th style="text-align:left;padding:4px 10px">{words.budget_name(b, lang)}</th>'
                      f'<td style="text-align:right;padding:4px 10px">{words.number(-inv / 1e6, lang, 1, sign=True)}</td>'
                      f'<td style="text-align:right;padding:4px 10px">{words.number(ret / 1e6, lang, 1, sign=True)}</td>'
                      f'<td style="text-align:right;padding:4px 10px;background:{colour}">'
                      f'{words.number(net / 1e6, lang, 1, sign=True)}</td></tr>')
    if lang == "en":
        head = ("budget holder", "invests", "gets back", "net")
        note = (f"DKK million for {model.target.label()} to month {model.month}, scenario minus counterfactual, "
                "undiscounted. " + words.say("sign", lang) + ". Invests = the interventions the scenario funds; gets "
                "back = everything else the budget saves or earns, in cash.")
    else:
        head = ("budgetholder", "investerer", "får tilbage", "netto")
        note = (f"Mio. kr. for {model.target.label()} til og med måned {model.month}, scenarie minus kontrafaktisk, "
                "udiskonteret. " + words.say("sign", lang) + ". Investerer = de indsatser, scenariet finansierer; får "
                "tilbage = alt andet, budgettet sparer eller tjener, kontant.")
    th = "".join(f'<th style="padding:4px 10px;text-align:{"left" if i == 0 else "right"}">{h}</th>'
                 for i, h in enumerate(head))
    return (f'<table class="who-pays" style="border-collapse:collapse;font-size:13px"><tr>{th}</tr>{rows_html}</table>'
            f'<div style="font-size:11px;color:#666;margin-top:4px">{note}</div>')


def service_table(model: WelfareModel) -> pd.DataFrame:
    """Per service now: places (-1 = unlimited), enrolled, waiting, and this month's
    admissions, refusals and drop-outs."""
    stats = model.services.stats[-1] if hasattr(model.services, "stats") else {}
    return pd.DataFrame([{"service": name, **{k: st[k] for k in ("places", "enrolled", "waiting", "admitted",
                                                                  "refused", "dropped_out")}}
                         for name, st in stats.items()]).set_index("service") if stats else pd.DataFrame()


def citizen_summary(model: DashboardModel, i: int, lang: str = "en") -> dict[str, Any]:
    """One citizen: levels now, personal facts, services now, and the net public cost to
    date per budget holder in the scenario and in the counterfactual, and how much of it
    is their children's placements in care (booked on the parent, ``model/children.py``).
    Levels and services in ``lang`` (English: the model's own names)."""
    c = model.citizens[i]
    specs = getattr(model.services, "specs", ())
    now = [s.name if lang == "en" else words.service_short_name(s.name, lang)
           for k, s in enumerate(specs) if model._enrolled()[k, i]]
    levels = {d: words.level_name(d, level, lang) for d, level in c.levels().items()}
    out = {"citizen": i, **levels, "status": c.status, "age": round(c.age, 1), "complexity": round(c.complexity, 2),
           "contacts": len(model.network.neighbours(i)), "ever_prison": c.ever_prison,
           "ever_homeless": c.ever_homeless, "services_now": ", ".join(now) or words.say("none", lang)}
    costs = citizen_costs(model, i)
    for b in BUDGETS:
        out[f"cost_{b}"] = float(costs["scenario"][b].sum())
        out[f"cost_{b}_counterfactual"] = float(costs["counterfactual"][b].sum())
    ledger = model.ledger  # the children's placements are booked on their parent's row
    out["cost_children_in_care"] = float(sum(ledger.citizen_total[ledger.account_index[("kommune", a)], i]
                                             for a in PLACEMENT_ACCOUNTS))
    return out


def citizen_costs(model: DashboardModel, i: int) -> dict[str, pd.DataFrame]:
    """Monthly net public cost per budget for citizen ``i``, scenario and counterfactual."""
    mine = model.ledger.citizen_costs(i)
    other = model.counterfactual.ledger.citizen_costs(i) if model.counterfactual is not None else mine
    return {"scenario": mine, "counterfactual": other}


def most_costly_citizen(model: DashboardModel) -> int:
    return int(np.argmax(model.ledger.citizen_total.sum(axis=0))) if model.month else 0


def kpis(model: DashboardModel, lang: str = "en") -> list[tuple[str, str, str]]:
    """(label, value, comparison with the counterfactual) for the headline counters, in
    ``lang``; money with one sign: + = the public saves."""
    occ, cf = model.occupancy, (model.counterfactual.occupancy if model.counterfactual is not None else None)
    n = functools.partial(words.number, lang=lang)

    def count(key: str, keys: list[str]) -> tuple[str, str, str]:
        v = sum(occ[k] for k in keys)
        if cf is None:
            return words.say(key, lang), n(v), ""
        delta = v - sum(cf[k] for k in keys)
        return words.say(key, lang), n(v), words.say("kpi.vs", lang, n=n(delta, sign=True))

    cum = -model.cumulative_difference().iloc[-1] * model.money_scale  # + = the public saves
    per_person = cum["total"] / model.target.persons
    pb = model.payback()
    return [
        (words.say("kpi.month", lang), n(model.month), words.say("kpi.year", lang, n=model.month // 12 + 1)),
        count("kpi.homeless", [level_key(Domain.HOUSING, h) for h in HOMELESS]),
        count("kpi.treatment", [level_key(Domain.SUBSTANCE, Substance.TREATMENT)]),
        count("kpi.untreated", [level_key(Domain.MENTAL, Mental.UNTREATED)]),
        count("kpi.employed", [level_key(Domain.EMPLOYMENT, Employment.EMPLOYED)]),
        count("kpi.deaths", ["died"]),
        (words.say("kpi.saving", lang, population=model.target.name), words.millions(cum["total"], lang),
         " / ".join(f"{b} {n(cum[b] / 1e6, decimals=1, sign=True)}" for b in BUDGETS) + "; "
         + words.say("kpi.per_person", lang, amount=words.kroner(per_person, lang, sign=True))),
        (words.say("kpi.payback", lang), "–" if model.counterfactual is None else (
            words.say("kpi.payback_month", lang, n=pb) if pb is not None else words.say("kpi.not_yet", lang)),
         words.say("kpi.all_budgets", lang)),
    ]


#: where a child lives, in words: (occupancy key, words, colour)
CHILD_PLACEMENTS = (("children.home", "at home", "#4daf4a"),
                    ("children.preventive", "at home with a preventive measure", "#f0a500"),
                    ("children.foster", "in a foster family", "#2c7fb8"),
                    ("children.institution", "in an institution", "#b2182b"))


#: the children's ledger accounts in words: placements and preventive measures are the
#: kommune's; a family programme is booked on its own budget (``children.programmes.<name>.budget``)
CHILD_ACCOUNT_WORDS = {"placement_foster": "placements in a foster family",
                       "placement_institution": "placements in an institution",
                       PREVENTIVE_ACCOUNT: "preventive measures (children at home)",
                       "family_therapy": "family therapy (MST/FFT)",
                       "family_addiction": "family component in addiction treatment",
                       "children_of_prisoners": "support for children of prisoners"}


#: what the cumulative panel draws from ``Children.frame()``: (column, words, colour)
CHILD_EVENTS = (("placements", "placements", "#b2182b"),
                ("joined", "grown-up children entering the target group", "#7570b3"))


CHILDREN_OFF = words.say("children.off", "en")


def child_account_words(category: str, lang: str = "en") -> str:
    """A children's ledger account in words (:data:`CHILD_ACCOUNT_WORDS` in English)."""
    if lang == "en":
        return CHILD_ACCOUNT_WORDS[category]
    name = words.account_name(category, lang)
    return name[:1].lower() + name[1:]


#: a budget holder as the one who pays ("paid by the kommune" / "betalt af kommunen")
_PAYER = {"kommune": "kommunen", "region": "regionen", "stat": "staten"}


def child_arms(model: DashboardModel) -> dict[str, WelfareModel]:
    """The arms with children: the scenario, and its counterfactual when there is one with
    children (empty when the scenario has none)."""
    if model.children is None:
        return {}
    cf = model.counterfactual
    return {"scenario": model, **({"counterfactual": cf} if cf is not None and cf.children is not None else {})}


def child_events(model: WelfareModel) -> pd.DataFrame:
    """Cumulative placements and grown-up children who entered the target group per month
    (month 0 = 0), from ``Children.frame()``."""
    cols = [key for key, _, _ in CHILD_EVENTS]
    start = pd.DataFrame(0.0, index=pd.Index([0], name="month"), columns=cols)
    frame = model.children.frame()
    if frame.empty:
        return start
    return pd.concat([start, frame.reindex(columns=cols, fill_value=0.0).cumsum()])


def child_money(model: WelfareModel) -> pd.Series:
    """Net public cost to date of each of the children's ledger accounts, by (budget,
    category); simulated DKK (``Ledger.frame`` summed over months, without building it)."""
    ledger = model.ledger
    total = np.sum(ledger.monthly, axis=0) if ledger.monthly else np.zeros(len(ledger.accounts))
    keep = [(a, account) for a, account in enumerate(ledger.accounts) if account[1] in CHILD_ACCOUNT_WORDS]
    return pd.Series([float(total[a]) for a, _ in keep], dtype=float,
                     index=pd.MultiIndex.from_tuples([account for _, account in keep], names=["budget", "category"]))


def children_so_far(model: WelfareModel) -> dict[str, float]:
    """One arm's children: the counts now (``Children.counts``), those placed now, and to
    date: placements, grown-up children who entered the target group and the kommune's
    spending on placements (simulated DKK)."""
    out: dict[str, float] = dict(model.children.counts())
    out["placed"] = out["children.foster"] + out["children.institution"]
    events = child_events(model).iloc[-1]
    out["placements"] = int(round(events["placements"]))
    out["joined"] = int(round(events["joined"]))
    money = child_money(model)
    placements = money.index.get_level_values("category").isin(list(PLACEMENT_ACCOUNTS))
    out["placement_spending"] = float(money[placements].sum())
    return out


def children_kpis(model: DashboardModel, lang: str = "en") -> list[tuple[str, str, str]]:
    """(label, value, comparison with the counterfactual) for the Children tab's counters.
    Children are counted as simulated; the money is for the dashboard's population."""
    arms = child_arms(model)
    s = children_so_far(model)
    cf = children_so_far(arms["counterfactual"]) if "counterfactual" in arms else None
    say = functools.partial(words.say, lang=lang)

    def n(x: Any, spec: str = ",") -> str:
        return _local(format(x, spec), lang)

    def versus(key: str) -> str:
        return "" if cf is None else say("children.versus", delta=n(s[key] - cf[key], "+,"), cf=n(cf[key]))

    million = model.money_scale / 1e6
    spent = s["placement_spending"] * million
    return [
        (say("children.now"), n(s["children"]),
         say("children.now_note", home=n(s["children.home"]), preventive=n(s["children.preventive"]))),
        (say("children.placed"), n(s["placed"]), versus("placed")),
        (say("children.placements"), n(s["placements"]), "" if cf is None else
         say("children.avoided", n=n(cf["placements"] - s["placements"], "+,"), cf=n(cf["placements"]))),
        (say("children.joined"), n(s["joined"]), versus("joined")),
        (say("children.spending", population=model.target.name), say("children.amount", amount=n(spent, ",.1f")),
         "" if cf is None else say("children.spending_note",
                                   cf=say("children.amount", amount=n(cf["placement_spending"] * million, ",.1f")),
                                   saved=n(cf["placement_spending"] * million - spent, "+,.1f"))),
    ]


def children_money_table(model: DashboardModel, lang: str = "en") -> pd.DataFrame:
    """The children's money to date per account and budget holder (DKK million for the
    dashboard's population): each arm, and what the scenario saves (+) or costs extra (-).
    Placements and preventive measures are always listed, a programme only when paid for."""
    arms = child_arms(model)
    money = {arm: child_money(m) * model.money_scale / 1e6 for arm, m in arms.items()}
    frame = pd.DataFrame(money).fillna(0.0)
    programmes = frame.index.get_level_values("category").isin(list(PROGRAMMES))
    frame = frame[~programmes | (frame.abs() > 0).any(axis=1)]
    say = functools.partial(words.say, lang=lang)
    budgets = frame.index.get_level_values("budget")
    out = pd.DataFrame({say("results.budget"): budgets if lang == "en" else [words.budget_name(b, lang) for b in budgets]},
                       index=pd.Index([child_account_words(c, lang) for c in frame.index.get_level_values("category")],
                                      name=say("children.spent_on")))
    for arm in arms:
        out[say("children.arm_money", arm=say(f"arm.{arm}"))] = [_local(f"{v:,.2f}", lang) for v in frame[arm]]
    if "counterfactual" in arms:
        out[say("children.saved")] = [_local(f"{v:+,.2f}", lang) for v in frame["counterfactual"] - frame["scenario"]]
    return out


def children_money_html(model: DashboardModel, lang: str = "en") -> str:
    return html_table(children_money_table(model, lang), "children-money",
                       words.say("children.money_note", lang, population=model.target.label(), month=model.month))


def programmes_text(model: DashboardModel, lang: str = "en") -> str:
    """The family programmes each arm funds, in words."""
    say = functools.partial(words.say, lang=lang)

    def funded(m: WelfareModel) -> str:
        parts = [say("children.programme", name=child_account_words(p.name, lang),
                     per=_local(f"{m.params[programme_path(p.name)]:g}", lang), places=_local(f"{p.places:,}", lang),
                     budget=p.budget if lang == "en" else _PAYER.get(p.budget, p.budget))
                 for p in m.children.programmes if p.places > 0 or m.params[programme_path(p.name)] > 0]
        return "; ".join(parts) or say("none")

    arms = child_arms(model)
    text = say("children.programmes", funded=funded(model))
    if "counterfactual" in arms:
        text += say("children.programmes_cf", funded=funded(arms["counterfactual"]))
    return text + say("children.programmes_how")


def counters_html(model: DashboardModel, lang: str = "en") -> str:
    """The headline counters as one HTML block (one widget: cheap to update per step)."""
    return cards_html(kpis(model, lang), "counters")


def cards_html(items: list[tuple[str, str, str]], css_class: str) -> str:
    """(label, value, note) counters as one HTML block of cards."""
    cards = "".join(
        f'<div class="kpi" style="min-width:150px;padding:6px 12px;border-radius:6px;'
        f'box-shadow:0 1px 3px rgba(0,0,0,.25)"><div style="font-size:12px;color:#666">{label}</div>'
        f'<div class="kpi-value" style="font-size:20px;font-weight:600">{value}</div>'
        f'<div style="font-size:11px;color:#666">{note}</div></div>'
        for label, value, note in items)
    return f'<div class="{css_class}" style="display:flex;flex-wrap:wrap;gap:8px;margin:4px 0">{cards}</div>'


