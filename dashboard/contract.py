"""The Contract tab, readable by an investor: an outcome contract (Payment by Results, a
Social Impact Bond; ``model/contracts.py``) as a term sheet in words, the investor's
return with units, the yearly cash flows per party, the cumulative chart, and the
contract over several seeds in the background (P(investor loss), the IRR's band).

Plain functions (terms / a simulated contract -> sentences, DataFrames, HTML, a Figure),
testable without a browser, in English and Danish (``lang``: "en" or "da"; numbers from
``dashboard/words.py``). The contract is simulated by ``model.contracts``: once on the
dashboard's own citizens and seed (``DashboardContract``: ``simulate``), and over seeds
with ``run_replications`` (``simulate_replications``); nothing here simulates anything
itself.

One sign convention throughout: + = money in (or saved) for that party. The public
budgets' flows are the ledger's savings over the whole population (the counterfactual's
cost minus the contract arm's), the payer's less the outcome payments.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure

from dashboard.figures import BUDGET_COLOURS, DPI
from dashboard.tables import html_table
from dashboard import words
from dashboard.words import budget_name, html_text, kroner, millions, number, percent, service_name, span
from model import Parameters, WelfareModel
from model.contracts import PARTIES, ContractReplication, ContractResult, ContractTerms, run_replications
from model.services import BUDGETS

if TYPE_CHECKING:  # annotations only
    from model.contracts import ContractRun

#: runs (seeds) the replications may use; the default first in the dashboard's select
REPLICATIONS = (5, 10, 20)
DEFAULT_REPLICATIONS = 10

# -- words ------------------------------------------------------------------------------------

#: key -> {"en": ..., "da": ...}; ``{fields}`` filled by :func:`say`
WORDS: dict[str, dict[str, str]] = {
    # parties
    "investor": {"en": "investor", "da": "investor"},
    "provider": {"en": "provider", "da": "udbyder"},
    "payer": {"en": "outcome payer", "da": "resultatbetaler"},
    "guarantor": {"en": "guarantor (foundation)", "da": "garant (fond)"},
    "as_payer": {"en": "{who} (outcome payer)", "da": "{who} (resultatbetaler)"},
    # headings
    "h.terms": {"en": "Term sheet", "da": "Kontraktens vilkår"},
    "h.run": {"en": "This run (seed {seed}): what the investor gets",
              "da": "Denne kørsel (frø {seed}): hvad investoren får"},
    "h.yearly": {"en": "Cash flows per party and contract year (DKK million)",
                 "da": "Pengestrømme pr. part og kontraktår (mio. kr.)"},
    "h.replications": {"en": "Over several runs: how likely is a loss?",
                       "da": "Over flere kørsler: hvor sandsynligt er et tab?"},
    "h.expert": {"en": "For experts: the contract's parameters (change them under 'More changes', e.g. "
                       "contract.payment.cap = 5000000, then Reset)",
                 "da": "For eksperter: kontraktens parametre (ændr dem under 'More changes', fx "
                       "contract.payment.cap = 5000000, og tryk Reset)"},
    # the term sheet: (label, sentence)
    "t.service": {"en": "What is delivered", "da": "Hvad der leveres"},
    "t.service.text": {"en": "{service}, delivered by a provider to a cohort of {size} citizens: {target}{age}.",
                       "da": "{service}, leveret af en udbyder til en kohorte på {size} borgere: {target}{age}."},
    "t.age": {"en": ", aged {age} or under", "da": ", højst {age} år"},
    "t.recruitment": {"en": "Recruitment", "da": "Rekruttering"},
    "t.open": {"en": "The kommune refers a random sample of those eligible, {when}.",
               "da": "Kommunen visiterer en tilfældig stikprøve af de berettigede, {when}."},
    "t.selection": {"en": "The provider picks its cohort itself, {when}: those with the fewest problems, whom it "
                          "expects to succeed (a risk of cream-skimming).",
                    "da": "Udbyderen vælger selv sin kohorte, {when}: dem med færrest problemer, som den forventer "
                          "lykkes (risiko for cream-skimming)."},
    "t.at_start": {"en": "all at the start", "da": "alle ved start"},
    "t.over": {"en": "evenly over months 0-{n}", "da": "jævnt over måned 0-{n}"},
    "t.payer": {"en": "Who pays whom", "da": "Hvem betaler hvem"},
    "t.payer.sib": {"en": "{payer}, the outcome payer, pays for outcomes; the payments go to the investor, less the "
                          "provider's fee of {fee} of every payment.",
                    "da": "{payer} betaler som resultatbetaler for resultaterne; betalingerne går til investoren, "
                          "fratrukket udbyderens honorar på {fee} af hver betaling."},
    "t.payer.pbr": {"en": "{payer}, the outcome payer, pays the provider for outcomes (Payment by Results: no "
                          "investor's capital).",
                    "da": "{payer} betaler som resultatbetaler udbyderen for resultaterne (betaling for resultater: "
                          "ingen investorkapital)."},
    "t.prices": {"en": "Price per outcome", "da": "Pris pr. resultat"},
    "t.price": {"en": "{price} for each member {outcome}", "da": "{price} for hvert medlem {outcome}"},
    "t.prices.end": {"en": "Each member earns each outcome at most once.",
                     "da": "Hvert medlem udløser hvert resultat højst én gang."},
    "t.baseline": {"en": "What is deducted", "da": "Hvad der trækkes fra"},
    "t.baseline.none": {"en": "Nothing: every outcome is paid for, from the first, including outcomes that would "
                              "have happened anyway.",
                        "da": "Intet: hvert resultat betales fra det første, også resultater, der ville være "
                              "sket alligevel."},
    "t.baseline.historical": {"en": "The historical success rate: only outcomes beyond it are paid for ({rates}).",
                              "da": "Den historiske succesrate: der betales kun for resultater ud over den "
                                    "({rates})."},
    "t.baseline.counterfactual": {"en": "A comparison group: only outcomes beyond those of the same citizens "
                                        "without the contract (the simulated counterfactual) are paid for.",
                                  "da": "En sammenligningsgruppe: der betales kun for resultater ud over dem, de "
                                        "samme borgere opnår uden kontrakten (det simulerede kontrafaktiske "
                                        "forløb)."},
    "t.rate": {"en": "{rate} of the cohort {outcome}", "da": "{rate} af kohorten {outcome}"},
    "t.cap": {"en": "Cap", "da": "Loft"},
    "t.cap.text": {"en": "The payer pays at most {cap} in outcome payments over the whole contract.",
                   "da": "Resultatbetaleren betaler højst {cap} i resultatbetalinger over hele kontrakten."},
    "t.horizon": {"en": "Horizon", "da": "Varighed"},
    "t.horizon.text": {"en": "{months} months ({years} years) from the start; payments stop at the end.",
                       "da": "{months} måneder ({years} år) fra start; betalingerne stopper ved udløb."},
    "t.investor": {"en": "Investor's capital", "da": "Investorens kapital"},
    "t.investor.text": {"en": "A social investor puts {capital} in at the start. It pays the provider's delivery "
                              "costs ({cost} per participant-month) and is repaid only out of the outcome payments; "
                              "the capital not spent comes back at the end. Delivery costs beyond the capital fall "
                              "on the provider.",
                        "da": "En social investor skyder {capital} ind ved start. Den betaler udbyderens "
                              "leveringsomkostninger ({cost} pr. deltagermåned) og får kun penge tilbage af "
                              "resultatbetalingerne; ubrugt kapital kommer tilbage ved udløb. Omkostninger ud over "
                              "kapitalen bærer udbyderen."},
    "t.investor.none": {"en": "None: the provider carries its own delivery costs ({cost} per participant-month).",
                        "da": "Ingen: udbyderen bærer selv leveringsomkostningerne ({cost} pr. deltagermåned)."},
    "t.guarantee": {"en": "Guarantee", "da": "Garanti"},
    "t.guarantee.text": {"en": "A foundation covers the investor's first losses, up to {guarantee}.",
                         "da": "En fond dækker investorens første tab, op til {guarantee}."},
    "t.guarantee.none": {"en": "None: the investor carries its losses alone.",
                         "da": "Ingen: investoren bærer selv sine tab."},
    "t.money": {"en": "Money is for the contract's cohort as simulated (one simulated citizen per participant), in "
                      "DKK, not scaled to a population.",
                "da": "Beløbene gælder kontraktens kohorte som simuleret (én simuleret borger pr. deltager), i "
                      "kroner, ikke skaleret til en befolkning."},
    # the cohort
    "cohort": {"en": "Cohort: recruited {n} of the {size} contracted places ({eligible} citizens were eligible "
                     "during recruitment).",
               "da": "Kohorte: rekrutteret {n} af de {size} aftalte pladser ({eligible} borgere var berettigede "
                     "under rekrutteringen)."},
    "cohort.short": {"en": " Too few were eligible among the {citizens} simulated citizens: payments and costs "
                           "are for those recruited; more citizens (the sidebar) fill more places.",
                     "da": " For få var berettigede blandt de {citizens} simulerede borgere: betalinger og "
                           "omkostninger gælder de rekrutterede; flere borgere (i sidepanelet) fylder flere pladser."},
    # the investor's figures
    "m.measure": {"en": "measure", "da": "mål"},
    "m.value": {"en": "value", "da": "værdi"},
    "m.irr": {"en": "investor's return a year (IRR)", "da": "intern rente (IRR): investorens forrentning om året"},
    "m.irr.nothing": {"en": "{value} (nothing came back)", "da": "{value} (intet kom tilbage)"},
    "m.irr.year": {"en": "{value} a year", "da": "{value} om året"},
    "m.multiple": {"en": "money multiple (money back per krone invested)",
                   "da": "pengemultipel (penge tilbage pr. investeret krone)"},
    "m.net": {"en": "investor's net result", "da": "investorens nettoresultat"},
    "m.loss": {"en": "loss for the investor", "da": "tab for investor"},
    "m.guarantee_used": {"en": "first-loss guarantee paid out", "da": "udbetalt af tabsgarantien"},
    "m.payments": {"en": "outcome payments", "da": "resultatbetalinger"},
    "m.payments.value": {"en": "{paid} of the {cap} cap ({share})", "da": "{paid} af loftet på {cap} ({share})"},
    "m.deadweight": {"en": "paid outcomes that would have happened anyway (deadweight)",
                     "da": "betalte resultater, der ville være sket alligevel (dødvægt)"},
    "m.creaming": {"en": "creaming index (0 = a random sample; above 0 = easier cases served)",
                   "da": "cream-skimming-indeks (0 = tilfældig stikprøve; over 0 = lettere sager betjent)"},
    "m.creaming.value": {"en": "{value} SD of complexity", "da": "{value} SD af kompleksitet"},
    "m.provider": {"en": "provider's net result", "da": "udbyderens nettoresultat"},
    "m.payer": {"en": "{payer} own budget (the outcome payer)", "da": "{payer} eget budget (resultatbetaler)"},
    "m.purse": {"en": "all public budgets (kommune + region + state)",
                "da": "hele den offentlige sektor (kommune + region + stat)"},
    "m.cohort": {"en": "cohort recruited", "da": "kohorte rekrutteret"},
    "m.cohort.value": {"en": "{n} of {size} places", "da": "{n} af {size} pladser"},
    "yes": {"en": "yes", "da": "ja"},
    "no": {"en": "no", "da": "nej"},
    # the yearly table and the chart
    "sign": {"en": "+ = money in (or saved) for that party, − = money out. Public budgets: the ledger's savings "
                   "over the whole population (the counterfactual's cost minus the contract arm's), the payer's "
                   "less the outcome payments. Undiscounted.",
             "da": "+ = penge ind (eller sparet) for parten, − = penge ud. Offentlige budgetter: regnskabets "
                   "besparelser for hele befolkningen (det kontrafaktiske forløbs udgifter minus kontraktarmens), "
                   "resultatbetalerens fratrukket resultatbetalingerne. Udiskonteret."},
    "year": {"en": "contract year", "da": "kontraktår"},
    "year.start": {"en": "start (month 0)", "da": "start (måned 0)"},
    "year.n": {"en": "year {n} (months {first}-{last})", "da": "år {n} (måned {first}-{last})"},
    "year.total": {"en": "total", "da": "i alt"},
    "fig.title": {"en": "Cumulative cash flows per party, DKK million (+ = money in for that party)",
                  "da": "Kumulerede pengestrømme pr. part, mio. kr. (+ = penge ind for parten)"},
    "fig.x": {"en": "months since the contract started (a tick = 1 year)",
              "da": "måneder siden kontraktens start (et mærke = 1 år)"},
    "fig.y": {"en": "DKK million, cumulative", "da": "mio. kr., kumuleret"},
    "fig.recruited": {"en": "recruitment ends", "da": "rekruttering slutter"},
    # replications
    "r.runs": {"en": "Runs (seeds)", "da": "Kørsler (frø)"},
    "r.button": {"en": "Run the replications", "da": "Kør gentagelserne"},
    "r.intro": {"en": "The contract simulated again on {runs} seeds (the same settings, new random citizens and "
                      "numbers), in the background: each run takes a second or two at 2,000 citizens.",
                "da": "Kontrakten simuleret igen med {runs} frø (samme indstillinger, nye tilfældige borgere og "
                      "tal), i baggrunden: hver kørsel tager et til to sekunder ved 2.000 borgere."},
    "r.running": {"en": "Running: {done} of the runs done.", "da": "Kører: {done} af kørslerne er færdige."},
    "r.failed": {"en": "The replications failed: {error}", "da": "Gentagelserne fejlede: {error}"},
    "r.loss": {"en": "The investor loses money in {k} of {n} runs: P(investor loss) = {share}.",
               "da": "Investoren taber penge i {k} af {n} kørsler: P(tab for investor) = {share}."},
    "r.loss.before": {"en": " Without the first-loss guarantee: {k} of {n} runs ({share}).",
                      "da": " Uden tabsgarantien: {k} af {n} kørsler ({share})."},
    "r.median": {"en": "median", "da": "median"},
    "r.band": {"en": "10th-90th percentile", "da": "10.-90. percentil"},
    "r.cohort": {"en": "cohort recruited (of {size} contracted places)",
                 "da": "kohorte rekrutteret (af {size} aftalte pladser)"},
    "r.cap_reached": {"en": "cap reached in {k} of {n} runs", "da": "loftet nået i {k} af {n} kørsler"},
    # no contract
    "none": {"en": "This scenario has no outcome contract. Choose a contract preset (contract_*) in the sidebar "
                   "and press Reset to see the cash flows between outcome payer, provider, investor and the "
                   "public budgets.",
             "da": "Dette scenarie har ingen resultatkontrakt. Vælg en kontraktpreset (contract_*) i sidepanelet "
                   "og tryk Reset for at se pengestrømmene mellem resultatbetaler, udbyder, investor og de "
                   "offentlige budgetter."},
}

#: outcomes on a rate card (``model.contracts.OUTCOMES``), as "for each member ..."
OUTCOME_WORDS = {
    "housed": {"en": "housed for {months} consecutive months (own home or supported housing)",
               "da": "i egen bolig eller botilbud {months} måneder i træk"},
    "sober": {"en": "with {months} consecutive months without problematic substance use",
              "da": "med {months} måneder i træk uden problematisk rusmiddelbrug"},
    "employed": {"en": "in work or education for {months} consecutive months",
                 "da": "i arbejde eller uddannelse {months} måneder i træk"},
    "no_reconviction": {"en": "not sent to prison within {months} months of recruitment",
                        "da": "ikke fængslet inden for {months} måneder efter rekrutteringen"},
}

#: ``contract.cohort.target``
TARGET_WORDS = {
    "eligible": {"en": "citizens eligible for the service", "da": "borgere, der er berettigede til indsatsen"},
    "prison_history": {"en": "people with a prison history", "da": "personer, der har været i fængsel"},
    "rough_sleeping": {"en": "people sleeping rough", "da": "gadesovere"},
}

#: a budget holder as the subject of a sentence
PAYER_WORDS = {
    "kommune": {"en": "The kommune (municipality)", "da": "Kommunen"},
    "region": {"en": "The region", "da": "Regionen"},
    "stat": {"en": "The state", "da": "Staten"},
}

#: a budget holder's, as in "the kommune's own budget"
PAYER_OWN = {
    "kommune": {"en": "the kommune's", "da": "kommunens"},
    "region": {"en": "the region's", "da": "regionens"},
    "stat": {"en": "the state's", "da": "statens"},
}


def say(key: str, lang: str = "en", **values: Any) -> str:
    """The contract tab's words for ``key`` in ``lang``, with ``{fields}`` filled."""
    return words.say(key, lang, table=WORDS, **values)


def _sentence(text: str) -> str:
    """No doubled full stop after an abbreviation ("3,0 mio. kr.." -> "3,0 mio. kr.")."""
    return text.replace("..", ".")


def outcome_words(name: str, months: int, lang: str = "en") -> str:
    return OUTCOME_WORDS.get(name, {}).get(lang, name).format(months=months)


def party_name(party: str, lang: str = "en", payer: str | None = None) -> str:
    """A party in words: investor, provider, guarantor, a budget holder (the payer marked)."""
    if party in ("investor", "provider", "guarantor"):
        return say(party, lang)
    name = budget_name(party, lang)
    return say("as_payer", lang, who=name) if party == payer else name


# -- the simulated contract -------------------------------------------------------------------

class DashboardContract:
    """The contract of a contract preset, simulated once over its whole horizon on the
    dashboard's own citizens and seed (``model.contracts.simulate``: the contract arm and
    its counterfactual), built the first time the Contract tab is opened."""

    def __init__(self, params: Parameters, seed: int):
        from model.contracts import simulate

        self.seed = seed
        self.run: ContractRun = simulate(params, seed=seed)
        self.terms: ContractTerms = self.run.terms

    @cached_property
    def result(self) -> ContractReplication:
        """Cash flows, metrics, outcomes and payments (``ContractRun.summary``), once."""
        return self.run.summary()

    @property
    def metrics(self) -> dict[str, Any]:
        return self.result.metrics

    def cash_flows(self) -> pd.DataFrame:
        """Per month 0..horizon (rows) and party (columns): DKK, + = money in."""
        return self.result.flows[list(PARTIES)]

    #: the contract's metrics in one line (English), for logs and the experts' section
    METRICS = {
        "investor_irr": ("investor's return a year (IRR)", lambda v: "n/a" if pd.isna(v) else f"{v:+.1%}"),
        "investor_multiple": ("money back per krone invested", lambda v: "n/a" if pd.isna(v) else f"{v:.2f}x"),
        "investor_loss": ("investor loses money", lambda v: _fmt_metric(v)),
        "guarantee_used": ("first-loss guarantee used", lambda v: _fmt_metric(v)),
        "outcome_payments": ("outcome payments (simulated DKK)", lambda v: f"{v:,.0f}"),
        "deadweight_share": ("paid outcomes that would have happened anyway", lambda v: f"{v:.0%}"),
        "creaming_index": ("creaming index (problems of those recruited vs eligible)", lambda v: f"{v:.2f}"),
    }

    def summary(self) -> str:
        m = self.metrics
        return " · ".join(f"{label}: {show(m[k])}" for k, (label, show) in self.METRICS.items() if k in m)

    def __repr__(self) -> str:
        return f"{self.terms.service} for a cohort of {len(self.run.cohort)}, horizon {self.terms.horizon} months"


def _fmt_metric(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{v:,}"
    if isinstance(v, (float, np.floating)):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
    return str(v)


def contract_info(model: WelfareModel) -> dict[str, Any] | None:
    """What the contract view shows, or ``None`` when the model has no contract.

    ``contract``: the ``DashboardContract`` of a contract preset (simulated the first time
    it is asked for and kept on the model), or any object a test or script put on
    ``model.contract`` (duck-typed: it may give ``cash_flows()``, a frame per month with
    one column per party in DKK, and ``summary()``); ``repr``, ``cash_flows`` and
    ``summary`` as the object gives them; ``error``: why a contract preset could not be
    simulated (a bad term must not break the page)."""
    contract = getattr(model, "contract", None)
    if contract is None and bool(model.params["contract.enabled"]):
        try:
            contract = model.contract = DashboardContract(model.params, model.seed)
        except Exception as exc:  # noqa: BLE001 - a bad contract term must not break the page
            return {"name": "contract", "contract": None, "repr": "could not be simulated",
                    "error": f"contract: {exc}", "cash_flows": f"contract: {exc}"}
    if contract is None:
        return None
    info: dict[str, Any] = {"name": type(contract).__name__, "contract": contract, "repr": repr(contract)}
    for attr in ("cash_flows", "summary"):
        fn = getattr(contract, attr, None)
        if callable(fn):
            try:
                info[attr] = fn()
            except Exception as exc:  # noqa: BLE001 - show, do not crash the page
                info[attr] = f"{attr}() failed: {exc}"
    return info


def contract_parameters(params: Parameters) -> dict[str, Any]:
    """The raw ``contract.*`` parameters (the experts' section)."""
    return {p: params[p] for p in params if p.startswith("contract.")}


# -- the term sheet ---------------------------------------------------------------------------

def term_sheet(terms: ContractTerms, lang: str = "en") -> list[tuple[str, str]]:
    """The contract's terms in plain sentences: (label, sentence) per term."""
    payer = PAYER_WORDS[terms.payer][lang]
    when = say("t.at_start", lang) if terms.recruitment_months == 0 else say("t.over", lang, n=terms.recruitment_months)
    age = say("t.age", lang, age=number(terms.max_age, lang)) if terms.max_age < 90 else ""
    prices = "; ".join(say("t.price", lang, price=kroner(o.price, lang), outcome=outcome_words(o.name, o.months, lang))
                       for o in terms.outcomes)
    if terms.baseline == "historical":
        rates = ", ".join(say("t.rate", lang, rate=percent(o.historical_rate, lang),
                              outcome=outcome_words(o.name, o.months, lang).split(" (")[0]) for o in terms.outcomes)
        baseline = say("t.baseline.historical", lang, rates=rates)
    else:
        baseline = say(f"t.baseline.{terms.baseline}", lang)
    years = number(terms.horizon / 12, lang, 0 if terms.horizon % 12 == 0 else 1)
    rows = [
        (say("t.service", lang), say("t.service.text", lang, service=service_name(terms.service, lang),
                                     size=number(terms.cohort_size, lang), target=TARGET_WORDS[terms.target][lang],
                                     age=age)),
        (say("t.recruitment", lang), say("t.open" if terms.referral == "open" else "t.selection", lang, when=when)),
        (say("t.payer", lang), say("t.payer.sib" if terms.capital > 0 else "t.payer.pbr", lang, payer=payer,
                                   fee=percent(terms.provider_fee, lang))),
        (say("t.prices", lang), prices + ". " + say("t.prices.end", lang)),
        (say("t.baseline", lang), baseline),
        (say("t.cap", lang), say("t.cap.text", lang, cap=millions(terms.cap, lang, sign=False))),
        (say("t.horizon", lang), say("t.horizon.text", lang, months=number(terms.horizon, lang), years=years)),
        (say("t.investor", lang), say("t.investor.text", lang, capital=millions(terms.capital, lang, sign=False),
                                      cost=kroner(terms.provider_cost, lang)) if terms.capital > 0 else
         say("t.investor.none", lang, cost=kroner(terms.provider_cost, lang))),
        (say("t.guarantee", lang), say("t.guarantee.text", lang, guarantee=millions(terms.guarantee, lang, sign=False))
         if terms.guarantee > 0 else say("t.guarantee.none", lang)),
    ]
    return [(label, _sentence(text)) for label, text in rows]


def term_sheet_html(terms: ContractTerms, lang: str = "en") -> str:
    rows = "".join(f'<tr><th style="padding:3px 10px 3px 0;text-align:left;vertical-align:top;white-space:nowrap">'
                   f'{html_text(label)}</th><td style="padding:3px 0">{html_text(text)}</td></tr>'
                   for label, text in term_sheet(terms, lang))
    note = f'<div style="font-size:11px;color:#666;margin-top:4px">{html_text(say("t.money", lang))}</div>'
    return f'<table class="term-sheet" style="border-collapse:collapse;font-size:13px">{rows}</table>{note}'


def cohort_sentence(contract: DashboardContract, lang: str = "en") -> str:
    """"Cohort: recruited 38 of the 40 contracted places (...)", and why when short."""
    n, size = int(contract.run.cohort.size), contract.terms.cohort_size
    text = say("cohort", lang, n=number(n, lang), size=number(size, lang),
               eligible=number(contract.metrics["eligible"], lang))
    if n < size:
        text += say("cohort.short", lang, citizens=number(contract.run.contract.population.n, lang))
    return _sentence(text)


# -- the investor's figures -------------------------------------------------------------------

def irr_text(irr: float, lang: str = "en") -> str:
    """An annual IRR as a percentage: "+1.5% a year"; -100% says that nothing came back."""
    if irr is None or (isinstance(irr, float) and math.isnan(irr)):
        return number(None, lang)
    value = percent(irr, lang, 1, sign=True)
    return say("m.irr.nothing" if irr <= -1 + 1e-9 else "m.irr.year", lang, value=value)


def multiple_text(multiple: float, lang: str = "en") -> str:
    if multiple is None or (isinstance(multiple, float) and math.isnan(multiple)):
        return number(None, lang)
    return number(multiple, lang, 2) + "×"


def metrics_table(metrics: dict[str, Any], terms: ContractTerms, lang: str = "en",
                  cohort: int | None = None) -> pd.DataFrame:
    """One run's figures as a person reads them: (measure, value) with units."""
    m = metrics
    paid = m["outcome_payments"]
    rows = [
        (say("m.irr", lang), irr_text(m["investor_irr"], lang)),
        (say("m.multiple", lang), multiple_text(m["investor_multiple"], lang)),
        (say("m.net", lang), millions(m["investor_net"], lang, 2)),
        (say("m.loss", lang), say("yes" if m["investor_loss"] else "no", lang)),
        *([(say("m.guarantee_used", lang), millions(m["guarantee_used"], lang, 2, sign=False))]
          if terms.guarantee > 0 else []),
        (say("m.payments", lang), say("m.payments.value", lang, paid=millions(paid, lang, 2, sign=False),
                                      cap=millions(terms.cap, lang, 1, sign=False),
                                      share=percent(paid / terms.cap if terms.cap > 0 else math.nan, lang))),
        (say("m.deadweight", lang), percent(m["deadweight_share"], lang)),
        (say("m.creaming", lang), say("m.creaming.value", lang, value=number(m["creaming_index"], lang, 2, sign=True))
         if not pd.isna(m["creaming_index"]) else number(None, lang)),
        (say("m.provider", lang), millions(m["provider_net"], lang, 2)),
        (say("m.payer", lang, payer=PAYER_OWN[terms.payer][lang]), millions(m["payer_own_net"], lang, 2)),
        (say("m.purse", lang), millions(m["public_purse_net"], lang, 2)),
    ]
    if cohort is not None:
        rows.append((say("m.cohort", lang), say("m.cohort.value", lang, n=number(cohort, lang),
                                                size=number(terms.cohort_size, lang))))
    return pd.DataFrame(rows, columns=[say("m.measure", lang), say("m.value", lang)])


# -- cash flows -------------------------------------------------------------------------------

def shown_parties(flows: pd.DataFrame, terms: ContractTerms | None = None) -> list[str]:
    """The parties in ``flows`` to show, in ``PARTIES`` order (the guarantor only with a guarantee)."""
    parties = [p for p in PARTIES if p in flows.columns]
    if terms is not None and terms.guarantee <= 0:
        parties = [p for p in parties if p != "guarantor"]
    return parties


def yearly_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """Each party's flows summed per contract year, DKK: year 0 = month 0 (the investor's
    capital goes in), year y = months 12y-11 .. 12y (as ``ContractResult.yearly``)."""
    parties = [p for p in PARTIES if p in flows.columns]
    year = (np.asarray(flows.index) + 11) // 12
    return flows[parties].groupby(year).sum().rename_axis("year")


def year_label(year: int, horizon: int, lang: str = "en") -> str:
    if year == 0:
        return say("year.start", lang)
    return say("year.n", lang, n=year, first=12 * year - 11, last=min(12 * year, horizon))


def yearly_table(flows: pd.DataFrame, terms: ContractTerms, lang: str = "en") -> pd.DataFrame:
    """The yearly cash flows per party in DKK million for people (+ = money in), one row
    per contract year and a total, one column per party (the payer marked)."""
    yearly = yearly_flows(flows)
    parties = shown_parties(flows, terms)
    horizon = int(flows.index.max())
    out = pd.DataFrame({
        say("year", lang): [year_label(int(y), horizon, lang) for y in yearly.index] + [say("year.total", lang)],
        **{party_name(p, lang, terms.payer): [number(v / 1e6, lang, 2, sign=True) for v in
                                              [*yearly[p].to_numpy(), yearly[p].sum()]] for p in parties},
    })
    return out


def yearly_html(flows: pd.DataFrame, terms: ContractTerms, lang: str = "en") -> str:
    return html_table(yearly_table(flows, terms, lang), "contract-yearly", say("sign", lang), index=False,
                      numbers=True, note_above=True)


PARTY_COLOURS = {"investor": "#e7298a", "provider": "#8c564b", "guarantor": "#666666",
                 **{b: BUDGET_COLOURS[b] for b in BUDGETS}, "public_purse": BUDGET_COLOURS["total"]}


def fig_contract(model: WelfareModel | None, flows: pd.DataFrame, lang: str = "en",
                 terms: ContractTerms | None = None) -> Figure:
    """Cumulative cash flows per party (DKK million against months since the start), in
    the dashboard's budget colours (``BUDGET_COLOURS``; all public budgets = the total's);
    the sign in the title. ``flows``: one column per party (others are drawn too, in grey
    shades), one row per month."""
    fig = Figure(figsize=(8.4, 4.0), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    cum = flows.select_dtypes("number").cumsum() / 1e6
    known = [c for c in PARTIES if c in cum.columns]
    if terms is not None and terms.guarantee <= 0:
        known = [c for c in known if c != "guarantor"]
    other = [c for c in cum.columns if c not in PARTIES]
    payer = terms.payer if terms is not None else None
    for col in [*known, *other]:
        ax.plot(cum.index, cum[col], color=PARTY_COLOURS.get(col), lw=2.4 if col in ("investor", "public_purse") else 1.5,
                ls={"guarantor": "--", "provider": "-."}.get(col, "-"), label=party_name(str(col), lang, payer))
    ax.axhline(0, color="#888888", lw=0.8)
    if terms is not None and terms.recruitment_months > 0:
        ax.axvline(terms.recruitment_months, color="#aaaaaa", lw=0.8, ls=":")
        ax.annotate(say("fig.recruited", lang), (terms.recruitment_months, 0.97), xytext=(3, 0),
                    xycoords=ax.get_xaxis_transform(), textcoords="offset points", fontsize=7, color="#777777",
                    va="top")
    last = int(cum.index.max()) if len(cum) else 12
    ax.set_xticks(range(0, last + 1, 12))
    ax.set_xlim(0, max(last, 1))
    ax.set_xlabel(say("fig.x", lang), fontsize=8)
    ax.set_ylabel(say("fig.y", lang), fontsize=8)
    ax.set_title(say("fig.title", lang), fontsize=9)
    if lang == "da":
        ax.yaxis.set_major_formatter(lambda v, _pos: number(v, "da", 1))
    ax.tick_params(labelsize=7)
    ax.grid(True, color="#eeeeee", lw=0.6)
    fig.legend(loc="outside right upper", fontsize=7, frameon=False)
    return fig


# -- over replications ------------------------------------------------------------------------

def simulate_replications(params: Parameters, seed: int, runs: int = DEFAULT_REPLICATIONS,
                          progress: Callable[[int, int], None] | None = None) -> ContractResult:
    """The contract in ``params`` over ``runs`` seeds (``model.contracts.run_replications``
    from ``seed``), reporting each run done to ``progress``."""
    return run_replications(params, runs, seed, progress=progress)


@dataclass
class Replications:
    """The replications of one model's contract: which settings and seed they are for."""

    params: Parameters
    seed: int
    result: ContractResult

    def matches(self, model: WelfareModel) -> bool:
        return self.seed == model.seed and self.params == model.params


@solara.lab.task
def replications_task(params: Parameters, seed: int, runs: int) -> Replications:
    """``simulate_replications`` in a thread, the share done in ``replications_task.progress``."""

    def progress(done: int, total: int) -> None:
        replications_task.progress = 100.0 * done / total

    replications_task.progress = 0.0
    return Replications(params, seed, simulate_replications(params, seed, runs, progress))


#: the number of runs chosen in the tab
replication_runs = solara.reactive(DEFAULT_REPLICATIONS)


def loss_share(result: ContractResult) -> float:
    """P(investor loss): the share of runs in which the investor ends with less than it
    put in, after the guarantee."""
    return result.loss_probability


def loss_sentence(result: ContractResult, lang: str = "en") -> str:
    m, n = result.metrics, result.replications
    k = int(m["investor_loss"].sum())
    text = say("r.loss", lang, k=k, n=n, share=percent(loss_share(result), lang))
    if result.terms.guarantee > 0:
        before = int(m["investor_loss_before_guarantee"].sum())
        text += say("r.loss.before", lang, k=before, n=n, share=percent(before / n, lang))
    return text


def replications_table(result: ContractResult, lang: str = "en") -> pd.DataFrame:
    """Over the runs: the median and the 10th-90th percentile of the investor's IRR,
    multiple and net, the outcome payments (and how often the cap was reached), the
    deadweight share, the cohort recruited, the payer's and the public budgets' nets."""
    d = result.distributions()
    t = result.terms
    n = result.replications

    def row(label: str, metric: str, fmt: Callable[[Any, str], str]) -> tuple[str, str, str]:
        r = d.loc[metric]
        return label, fmt(r["median"], lang), span(r["p10"], r["p90"], fmt, lang)

    mio = lambda v, lang: millions(v, lang, 2)  # noqa: E731
    pay = lambda v, lang: millions(v, lang, 2, sign=False)  # noqa: E731
    pct1 = lambda v, lang: percent(v, lang, 1, sign=True)  # noqa: E731
    pct = lambda v, lang: percent(v, lang)  # noqa: E731
    mult = multiple_text
    whole = lambda v, lang: number(v, lang)  # noqa: E731
    cap_reached = int(result.metrics["cap_reached"].sum())
    payments = row(say("m.payments", lang), "outcome_payments", pay)
    payments = (payments[0] + f" ({say('r.cap_reached', lang, k=cap_reached, n=n)}; "
                f"{say('t.cap', lang).lower()} {millions(t.cap, lang, 1, sign=False)})", *payments[1:])
    rows = [
        row(say("m.irr", lang), "investor_irr", pct1),
        row(say("m.multiple", lang), "investor_multiple", mult),
        row(say("m.net", lang), "investor_net", mio),
        payments,
        row(say("m.deadweight", lang), "deadweight_share", pct),
        row(say("r.cohort", lang, size=number(t.cohort_size, lang)), "cohort", whole),
        row(say("m.provider", lang), "provider_net", mio),
        row(say("m.payer", lang, payer=PAYER_OWN[t.payer][lang]), "payer_own_net", mio),
        row(say("m.purse", lang), "public_purse_net", mio),
    ]
    return pd.DataFrame(rows, columns=[say("m.measure", lang), say("r.median", lang), say("r.band", lang)])


def replications_html(result: ContractResult, lang: str = "en") -> str:
    return (f'<p class="contract-loss"><b>{html_text(loss_sentence(result, lang))}</b></p>'
            + html_table(replications_table(result, lang), "contract-replications", index=False, numbers=True))


__all__ = [
    "DEFAULT_REPLICATIONS", "DashboardContract", "REPLICATIONS", "Replications", "WORDS", "_fmt_metric",
    "cohort_sentence", "contract_info", "contract_parameters", "fig_contract", "irr_text", "loss_sentence",
    "loss_share", "metrics_table", "replication_runs", "replications_html", "replications_table",
    "replications_task", "say", "simulate_replications", "term_sheet", "term_sheet_html", "yearly_flows",
    "yearly_html", "yearly_table",
]
