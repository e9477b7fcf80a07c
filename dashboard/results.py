"""The results view's answer, built from a ``model.compare.Comparison`` in English or
Danish: one plain paragraph, NPV bands per budget holder, warnings where an effect is
smaller than the noise, who gains and who pays, the SØM table per year with the
break-even year and bands, what the money buys (outcomes, also per DKK 1m invested), and
what the policy funds and changes. Plain functions (Comparison -> text or DataFrame),
testable without a browser.

Money is said with one sign everywhere: + = the public saves (``words.say("sign")``);
outcomes are the policy minus its base (negative = fewer).
"""

from __future__ import annotations

import pandas as pd

from dashboard import words
from dashboard.words import millions, number, percent, say
from model.compare import SECOND_GENERATION, price_base_year
from model.params import SCENARIO_DIR, Parameters
from model.services import BUDGETS

#: the order budget holders are shown in: the three, then all public budgets
HOLDERS = (*BUDGETS, "total")
#: outcomes the results view reports, in this order
OUTCOMES = ("homeless", "housed", "employed", "problematic_use", "untreated_mental_illness", "in_prison", "qaly",
            "life_years", "deaths")
#: the second generation's outcomes (shown when the comparison has children), as the report orders them
CHILD_OUTCOMES = SECOND_GENERATION


def policy_names(lang: str = "en") -> dict[str, str]:
    """Shipped policies (no contracts) by their human name in ``lang`` -> scenario name."""
    stems = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml") if not p.stem.startswith("contract_"))
    return {words.policy_name(s, lang): s for s in sorted(stems, key=lambda s: words.policy_name(s, lang))}


def prices(c, lang: str) -> str:
    """The comparison's price year in ``lang``: "2023 prices" / "2023-priser" (its
    ``price_base_year``, a number, said by ``words.prices``)."""
    return words.prices(c.price_base_year, lang)


def scenario_prices(scenario: str, lang: str) -> str:
    """The price year a comparison of the policy ``scenario`` will be in, said before it
    runs (the view's introduction): its parameters' base year, as ``compare`` reads it."""
    return words.prices(price_base_year(Parameters.load(scenario)), lang)


def _holder(b: str, lang: str, the: bool = False) -> str:
    if lang == "en":
        return {"total": "the public purse as a whole", "stat": "the state"}.get(b, f"the {b}") if the else (
            words.budget_name(b, lang))
    return {"kommune": "kommunen", "region": "regionen", "stat": "staten",
            "total": "den offentlige sektor som helhed"}[b] if the else words.budget_name(b, lang)


def summary_paragraph(c, lang: str = "en") -> str:
    """The answer in one paragraph: the comparison's own sentence in English
    (``Comparison.summary_sentence``), the same facts in Danish."""
    if lang == "en":
        return c.summary_sentence()
    f = c.summary_facts()
    R = f["runs"]
    head = (f"{words.policy_name(c.scenario, 'da')} mod {words.policy_name(c.baseline, 'da').lower()}, for {f['who']}, "
            f"over {number(f['years'], 'da', 0 if f['years'] == int(f['years']) else 1)} år i {prices(c, 'da')} "
            f"({R} kørsler): ")
    if f["no_difference"]:
        return head + ("ingen forskel for noget offentligt budget eller nogen effekt i nogen kørsel (intet af det, "
                       "scenariet ændrer, kom i spil: se dets pladser og ændringer).")
    parts = []
    for b, (k, lo, hi) in f["break_even"].items():
        if k == 0:
            parts.append(f"{_holder(b, 'da', the=True)} når ikke break-even i nogen kørsel")
        else:
            when = f"i år {lo}" if lo == hi else f"i år {lo}-{hi}"
            parts.append(f"{_holder(b, 'da', the=True)} når break-even {when} i {k} af {R} kørsler")
    npv, lo, hi = f["npv"]
    o = f["outcomes"]

    def outcome(name: str, what: str) -> str:
        m, a, b = o[name]
        return f"{what} {number(m, 'da', sign=True)} ({number(a, 'da', sign=True)} til {number(b, 'da', sign=True)})"
    text = (head + "; ".join(parts) + ". "
            f"Nutidsværdi for alle offentlige budgetter: {millions(npv, 'da')} (median, kontante beløb). "
            + ", ".join([outcome("homeless", "Personår i hjemløshed"), outcome("employed", "personår i beskæftigelse"),
                         outcome("deaths", "dødsfald")]) + " (median, 10.-90. percentil).")
    if lo < 0 < hi:
        text += (f" Bemærk: nutidsværdiens 10.-90. percentil ({words.span(lo, hi, millions, 'da')}) spænder over nul: "
                 "effekten på de offentlige kasser er mindre end spredningen mellem kørslerne.")
    if f["noisy"]:
        names = ", ".join(words.outcome_name(n, "da")[0] for n in f["noisy"])
        text += f" Ændringen i {names} er mindre end spredningen mellem kørslerne (dens bånd spænder over nul)."
    if round(f["entering"]) != 0:
        fewer = f["entering"] < 0
        text += (f" Scenariet {'holder' if fewer else 'bringer'} omkring {number(abs(f['entering']), 'da')} voksne børn "
                 f"{'ude af' if fewer else 'ind i'} målgruppen (median), så den får {'færre' if fewer else 'flere'} "
                 "medlemmer: personår i alle tilstande flytter sig med dens størrelse.")
    return text


def npv_table(c, lang: str = "en") -> pd.DataFrame:
    """Per budget holder: NPV (median and 10th-90th percentile, cashable, present values),
    the median break-even year and the share of runs that break even within the horizon."""
    h = c.headline
    rows = []
    for b in HOLDERS:
        year = h.loc[b, ("payback_year", "median")]
        rows.append({say("results.budget", lang): words.budget_name(b, lang),
                     say("results.npv", lang): millions(h.loc[b, ("npv", "median")], lang),
                     say("results.band", lang): words.span(h.loc[b, ("npv", "p10")], h.loc[b, ("npv", "p90")],
                                                           millions, lang),
                     say("results.breakeven", lang): say("results.never", lang) if pd.isna(year) else int(year),
                     say("results.breakeven_share", lang): percent(c.pays_back.loc[b, "within_horizon"], lang)})
    return pd.DataFrame(rows)


def noise_warnings(c, lang: str = "en") -> list[str]:
    """One warning per budget holder whose NPV band (10th-90th percentile) spans zero: the
    effect on its budget is smaller than the spread between runs."""
    h = c.headline
    noisy = [b for b in HOLDERS if h.loc[b, ("npv", "p10")] < 0 < h.loc[b, ("npv", "p90")]]
    if not noisy:
        return []
    who = ", ".join(words.budget_name(b, lang) for b in noisy)
    return [say("results.noise", lang, who=who)]


def winners_and_losers(c, lang: str = "en") -> list[str]:
    """Each budget holder's median NPV in words: who gains, who pays (the wrong pocket)."""
    out = []
    for b in BUDGETS:
        v = float(c.headline.loc[b, ("npv", "median")])
        if round(v / 1e5) == 0:
            continue
        key = "results.gains" if v > 0 else "results.pays"
        out.append(say(key, lang, who=words.budget_name(b, lang), amount=millions(abs(v), lang, sign=False)))
    return out


def som_table(c, lang: str = "en") -> pd.DataFrame:
    """The SØM table: per year, each budget holder's cumulative net saving (undiscounted,
    median and 10th-90th percentile over the runs), then the median break-even year."""
    rows = []
    years = sorted(c.som.index.get_level_values("year").unique())
    for y in years:
        row = {say("results.year", lang): str(y)}
        for b in HOLDERS:
            m, lo, hi = (c.som.loc[(b, y), ("cumulative_net", s)] for s in ("median", "p10", "p90"))
            row[words.budget_name(b, lang)] = (f"{number(m / 1e6, lang, 1, sign=True)} "
                                               f"({number(lo / 1e6, lang, 1, sign=True)} "
                                               f"{'to' if lang == 'en' else 'til'} {number(hi / 1e6, lang, 1, sign=True)})")
        rows.append(row)
    last = {say("results.year", lang): say("results.breakeven", lang)}
    for b in HOLDERS:
        year = c.headline.loc[b, ("payback_year", "median")]
        last[words.budget_name(b, lang)] = say("results.never", lang) if pd.isna(year) else str(int(year))
    rows.append(last)
    return pd.DataFrame(rows)


def outcomes_table(c, lang: str = "en", names: tuple[str, ...] = OUTCOMES) -> pd.DataFrame:
    """What the money buys: each outcome (policy minus base, persons of the population),
    median and 10th-90th percentile, and per DKK 1m of investment (all public budgets,
    present value); outcomes the comparison lacks are left out."""
    o = c.outcomes
    invested = float(c.headline.loc["total", ("pv_investment", "median")]) / 1e6
    rows = []
    for name in names:
        if name not in o.index:
            continue
        what, unit = words.outcome_name(name, lang)
        m, lo, hi = (float(o.loc[name, s]) for s in ("median", "p10", "p90"))
        rows.append({say("results.outcome", lang): what, say("results.unit", lang): unit,
                     say("results.change", lang): number(m, lang, 0 if abs(m) >= 10 else 1, sign=True),
                     say("results.outcome_band", lang): (f"{number(lo, lang, 0 if abs(lo) >= 10 else 1, sign=True)} "
                                                         f"{'to' if lang == 'en' else 'til'} "
                                                         f"{number(hi, lang, 0 if abs(hi) >= 10 else 1, sign=True)}"),
                     say("results.per_million", lang): number(m / invested, lang, 2, sign=True) if invested > 0.05
                     else "–"})
    return pd.DataFrame(rows)


def funds_table(c, lang: str = "en") -> pd.DataFrame:
    """Places funded per service in both arms (per 1,000 in the target group, and places
    for the population), only the services where the arms differ or the policy funds any."""
    f = c.funding()
    if f.empty or "scenario" not in f.index.get_level_values("arm"):
        return pd.DataFrame()
    persons = c.population.persons if c.population is not None else c.size
    base_label = "base" if lang == "en" else "basis"
    pol_label = "policy" if lang == "en" else "indsats"
    rows = []
    for service in f.xs("scenario").index:
        s = f.loc[("scenario", service)]
        b = f.loc[("counterfactual", service)] if ("counterfactual", service) in f.index else None
        base = float(b["funded_per_1000"]) if b is not None else 0.0
        pol = float(s["funded_per_1000"])
        if base == pol:
            continue
        rows.append({("service" if lang == "en" else "indsats"): words.service_name(service, lang),
                     ("paid by" if lang == "en" else "betales af"): s["paid_by"],
                     f"{base_label}, {'per 1,000' if lang == 'en' else 'pr. 1.000'}": number(base, lang, 1),
                     f"{pol_label}, {'per 1,000' if lang == 'en' else 'pr. 1.000'}": number(pol, lang, 1),
                     f"{pol_label}, {'places' if lang == 'en' else 'pladser'}": number(pol * persons / 1000, lang),
                     ("why" if lang == "en" else "hvorfor"): s["decision"]})
    return pd.DataFrame(rows)


def changes_table(c, lang: str = "en") -> pd.DataFrame:
    """The parameters the policy changes from the calibrated model (its own arm; the
    simulated size left out)."""
    ch = c.changes()
    ch = ch[(ch["arm"] == "scenario") & (ch["path"] != "population.size")]
    if ch.empty:
        return pd.DataFrame()
    cols = {"path": "parameter", "calibrated": "calibrated", "scenario": "policy", "unit": "unit"}
    if lang == "da":
        cols = {"path": "parameter", "calibrated": "kalibreret", "scenario": "indsats", "unit": "enhed"}
    return ch[list(cols)].rename(columns=cols).reset_index(drop=True)


def stale_note(c, scenario: str, years: int, runs: int, population: str, lang: str = "en") -> str:
    """"" when the comparison ``c`` answers the choice on screen; otherwise one sentence
    saying which choice it answers, so an old answer is never read as the new one's."""
    who = c.population.name if c.population is not None else ""
    if (c.scenario, c.months, c.replications, who) == (scenario, 12 * years, runs, population):
        return ""
    name = words.policy_name(c.scenario, lang)
    if lang == "en":
        return (f"These results answer an earlier choice: {name}, {c.months // 12} years, {c.replications} runs, money "
                f"for {who}. Press Run for the choice above.")
    return (f"Resultaterne svarer på et tidligere valg: {name}, {c.months // 12} år, {c.replications} kørsler, økonomi "
            f"for {who}. Tryk Kør for valget ovenfor.")
