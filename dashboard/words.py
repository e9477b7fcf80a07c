"""The dashboard's words in English and Danish, and numbers formatted for people.

Every view takes a language code, ``lang`` (``"en"`` or ``"da"``), and asks this module
for its words (:func:`say`), the names of services, budget holders and ledger accounts,
and its numbers: ``14.9`` million kroner is "DKK 14.9m" in English and "14,9 mio. kr." in
Danish (a comma for decimals, a point between thousands). Money is always said with one
sign, + = the public saves, and a view that shows money says so.

The Danish names of services follow the law and common municipal usage (Serviceloven
§101 and Sundhedsloven §141 misbrugsbehandling, §110 boformer, §107/§108 botilbud,
Kriminalforsorgen). Text that comes from the model (the report's paragraphs, parameter
paths) stays in English.
"""

from __future__ import annotations

import html
import math
from typing import Any

from model.compare import OUTCOME_WORDS, price_year_words

LANGUAGES = {"en": "English", "da": "Dansk"}
DEFAULT_LANGUAGE = "en"


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"language = {lang!r}: one of {', '.join(LANGUAGES)}")
    return lang


# -- numbers -----------------------------------------------------------------------------------

def number(x: Any, lang: str = DEFAULT_LANGUAGE, decimals: int = 0, sign: bool = False) -> str:
    """``12345.6`` -> "12,346" (en) / "12.346" (da); ``sign`` puts + before positives.
    NaN and None are "n/a" / "–"."""
    _check(lang)
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a" if lang == "en" else "–"
    text = f"{x:{'+' if sign else ''},.{decimals}f}"
    if text.lstrip("+-") == f"{0:.{decimals}f}":  # no "-0.0"
        text = text.lstrip("+-")
    if lang == "da":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def millions(dkk: Any, lang: str = DEFAULT_LANGUAGE, decimals: int = 1, sign: bool = True) -> str:
    """Kroner as millions: ``14.9e6`` -> "+DKK 14.9m" (en) / "+14,9 mio. kr." (da)."""
    if dkk is None or (isinstance(dkk, float) and math.isnan(dkk)):
        return number(None, lang)
    value = number(dkk / 1e6, lang, decimals, sign)
    if lang == "da":
        return f"{value} mio. kr."
    head = value[0] if value[0] in "+-" else ""
    return f"{head}DKK {value[len(head):]}m"


def kroner(dkk: Any, lang: str = DEFAULT_LANGUAGE, sign: bool = False) -> str:
    """Whole kroner: "DKK 145,000" (en) / "145.000 kr." (da)."""
    if dkk is None or (isinstance(dkk, float) and math.isnan(dkk)):
        return number(None, lang)
    value = number(dkk, lang, 0, sign)
    if lang == "da":
        return f"{value} kr."
    head = value[0] if value[0] in "+-" else ""
    return f"{head}DKK {value[len(head):]}"


def percent(share: Any, lang: str = DEFAULT_LANGUAGE, decimals: int = 0, sign: bool = False) -> str:
    """A share as a percentage: ``0.456`` -> "46%" (en) / "46 %" (da)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return number(None, lang)
    return number(100 * share, lang, decimals, sign) + ("%" if lang == "en" else " %")


def span(lo: Any, hi: Any, fmt, lang: str = DEFAULT_LANGUAGE) -> str:
    """A band, e.g. the 10th-90th percentile: "DKK -3.1m to +12.0m" / "-3,1 til +12,0 mio. kr."."""
    a, b = fmt(lo, lang), fmt(hi, lang)
    if lang == "da" and a.endswith(" mio. kr.") and b.endswith(" mio. kr."):
        return f"{a[:-len(' mio. kr.')]} til {b}"
    if lang == "en" and "DKK " in a and "DKK " in b:
        return f"{a} to {b.replace('DKK ', '')}"
    return f"{a} {'to' if lang == 'en' else 'til'} {b}"


def prices(year: int | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The price base year (``model.compare.price_base_year``, a number) said in ``lang``:
    "2023 prices" (the model's words) / "2023-priser". Without a base year the model's
    English, as its other text."""
    if _check(lang) == "da" and year:
        return f"{year}-priser"
    return price_year_words(year, short=True)


# -- names -------------------------------------------------------------------------------------

#: budget holders (``model.services.BUDGETS``) and the total
BUDGET_NAMES = {
    "kommune": {"en": "kommune (municipality)", "da": "kommune"},
    "region": {"en": "region", "da": "region"},
    "stat": {"en": "state", "da": "stat"},
    "total": {"en": "all public budgets", "da": "hele den offentlige sektor"},
    "public_purse": {"en": "all public budgets", "da": "hele den offentlige sektor"},
}

#: services (``model.services.CATALOGUE``)
SERVICE_NAMES = {
    "addiction_treatment": {"en": "Outpatient addiction treatment (Serviceloven §101 / Sundhedsloven §141)",
                            "da": "Ambulant misbrugsbehandling (SEL §101 / SUL §141)"},
    "residential_treatment": {"en": "Residential addiction treatment",
                              "da": "Døgnbehandling for misbrug"},
    "psychiatry": {"en": "Regional psychiatry", "da": "Regionspsykiatri"},
    "dual_diagnosis": {"en": "Integrated dual-diagnosis team",
                       "da": "Integreret dobbeltdiagnoseteam (misbrug og psykisk lidelse)"},
    "shelter": {"en": "§110 shelter", "da": "§110-boformer (forsorgshjem og herberg)"},
    "supported_housing": {"en": "Supported housing (botilbud, §107/§108)", "da": "Botilbud (§107/§108)"},
    "housing_first": {"en": "Housing First: own flat with ACT/ICM support",
                      "da": "Housing First: egen bolig med ACT/ICM-støtte"},
    "case_management": {"en": "Intensive case management (ICM)", "da": "Intensiv case management (ICM)"},
    "cti": {"en": "Critical Time Intervention (CTI), 9 months after release or rehousing",
            "da": "Critical Time Intervention (CTI), 9 måneder efter løsladelse eller genhusning"},
    "job_centre": {"en": "Job-centre activation", "da": "Jobcentrets aktivering"},
    "ips": {"en": "Individual Placement and Support (IPS)", "da": "IPS-beskæftigelsesindsats"},
    "prison": {"en": "Prison (Kriminalforsorgen)", "da": "Fængsel (Kriminalforsorgen)"},
    "probation": {"en": "Probation and parole", "da": "Tilsyn og prøveløsladelse"},
    "family_therapy": {"en": "Family therapy (MST/FFT)", "da": "Familiebehandling (MST/FFT)"},
    "family_addiction": {"en": "Family component in addiction treatment",
                         "da": "Familieindsats i misbrugsbehandlingen"},
    "children_of_prisoners": {"en": "Support for children of prisoners",
                              "da": "Støtte til børn af indsatte"},
}

#: ledger categories (``model.ledger.accounts``) that are not services
ACCOUNT_NAMES = {
    "shelter_vacant": {"en": "empty shelter places", "da": "tomme pladser på boformer"},
    "shelter_refund": {"en": "state refund of shelter costs (50%)", "da": "statsrefusion af boformer (50 %)"},
    "housing_first_refund": {"en": "state refund of Housing First support", "da": "statsrefusion af Housing First-støtte"},
    "psychiatric_bed_days": {"en": "psychiatric bed days", "da": "psykiatriske sengedage"},
    "psychiatric_emergency": {"en": "psychiatric emergency contacts", "da": "psykiatriske akutkontakter"},
    "somatic_admissions": {"en": "somatic hospital admissions", "da": "somatiske indlæggelser"},
    "emergency_department": {"en": "emergency department visits", "da": "skadestue- og akutbesøg"},
    "gp_and_medicine": {"en": "GP and medicine", "da": "almen praksis og medicin"},
    "police": {"en": "police", "da": "politi"},
    "kontanthjaelp": {"en": "social assistance (kontanthjælp)", "da": "kontanthjælp"},
    "kontanthjaelp_refund": {"en": "state refund of social assistance", "da": "statsrefusion af kontanthjælp"},
    "outside_benefit": {"en": "other benefits outside work", "da": "andre ydelser uden for arbejdsmarkedet"},
    "outside_benefit_refund": {"en": "state refund of other benefits", "da": "statsrefusion af andre ydelser"},
    "housing_benefit": {"en": "housing benefit", "da": "boligstøtte"},
    "tax_revenue": {"en": "tax revenue (a saving when it rises)", "da": "skatteindtægter (en gevinst, når de stiger)"},
    "placement_foster": {"en": "placements in a foster family", "da": "anbringelser i plejefamilie"},
    "placement_institution": {"en": "placements in an institution", "da": "anbringelser på institution"},
    "child_preventive": {"en": "preventive measures (children at home)", "da": "forebyggende foranstaltninger (børn hjemme)"},
}


#: the life domains (``agents.states.Domain``, lower case) in words
DOMAIN_NAMES = {
    "housing": {"en": "housing", "da": "bolig"},
    "substance": {"en": "substance", "da": "rusmidler"},
    "mental": {"en": "mental", "da": "psykisk helbred"},
    "employment": {"en": "employment", "da": "beskæftigelse"},
    "justice": {"en": "justice", "da": "retssystem"},
    "placement": {"en": "placement", "da": "anbringelse"},
    "school": {"en": "school", "da": "skole"},
}

#: the levels of every domain (``agents.states``: member names in lower case) in words. The
#: English names are the model's own (``own_home``), as figures and tables always showed
#: them; the Danish follow social-work usage (VIVE's homeless count, Serviceloven, Barnets Lov)
LEVEL_NAMES = {
    "housing": {
        "own_home": {"en": "own_home", "da": "egen bolig"},
        "precarious": {"en": "precarious", "da": "sofasurfer"},
        "shelter": {"en": "shelter", "da": "herberg/forsorgshjem (§110)"},
        "street": {"en": "street", "da": "hjemløs på gaden"},
        "supported": {"en": "supported", "da": "botilbud (§107/§108)"},
    },
    "substance": {
        "none": {"en": "none", "da": "intet misbrug"},
        "problematic": {"en": "problematic", "da": "problematisk brug"},
        "treatment": {"en": "treatment", "da": "i misbrugsbehandling"},
        "recovery": {"en": "recovery", "da": "ophørt/kontrolleret brug"},
    },
    "mental": {
        "well": {"en": "well", "da": "ingen psykisk lidelse"},
        "untreated": {"en": "untreated", "da": "ubehandlet lidelse"},
        "treatment": {"en": "treatment", "da": "i psykiatrisk behandling"},
        "stable": {"en": "stable", "da": "stabil efter behandling"},
    },
    "employment": {
        "employed": {"en": "employed", "da": "i beskæftigelse"},
        "benefits": {"en": "benefits", "da": "på kontanthjælp"},
        "outside": {"en": "outside", "da": "uden for arbejdsstyrken"},
    },
    "justice": {
        "free": {"en": "free", "da": "ingen sanktion"},
        "prison": {"en": "prison", "da": "i fængsel"},
        "probation": {"en": "probation", "da": "prøveløsladt/tilsyn"},
    },
    "placement": {
        "home": {"en": "at home", "da": "hjemme"},
        "preventive": {"en": "at home with a preventive measure", "da": "hjemme med forebyggende foranstaltning"},
        "foster": {"en": "in a foster family", "da": "i plejefamilie"},
        "institution": {"en": "in an institution", "da": "på døgninstitution"},
    },
    "school": {
        "on_track": {"en": "on_track", "da": "følger skolen"},
        "behind": {"en": "behind", "da": "bagud i skolen"},
    },
}

#: services in a few words, for figures' axes (the full names are too long for a tick label)
SERVICE_SHORT_NAMES = {
    "addiction_treatment": {"en": "addiction treatment", "da": "ambulant misbrugsbehandling"},
    "residential_treatment": {"en": "residential treatment", "da": "døgnbehandling (misbrug)"},
    "psychiatry": {"en": "psychiatry", "da": "regionspsykiatri"},
    "dual_diagnosis": {"en": "dual diagnosis", "da": "dobbeltdiagnoseteam"},
    "shelter": {"en": "shelter", "da": "§110-boform"},
    "supported_housing": {"en": "supported housing", "da": "botilbud"},
    "housing_first": {"en": "housing first", "da": "Housing First"},
    "case_management": {"en": "case management", "da": "case management (ICM)"},
    "cti": {"en": "cti", "da": "CTI"},
    "job_centre": {"en": "job centre", "da": "jobcenter"},
    "ips": {"en": "ips", "da": "IPS"},
    "prison": {"en": "prison", "da": "fængsel"},
    "probation": {"en": "probation", "da": "tilsyn"},
    "family_therapy": {"en": "family therapy", "da": "familiebehandling"},
    "family_addiction": {"en": "family addiction", "da": "familieindsats (misbrug)"},
    "children_of_prisoners": {"en": "children of prisoners", "da": "børn af indsatte"},
}


#: the shipped policies (``runs/scenarios/*.toml`` without contracts) by a human name;
#: ``tests/test_app.py`` fails when a shipped policy has none
POLICY_NAMES = {
    "case_management": {"en": "Intensive case management (ICM)", "da": "Intensiv case management (ICM)"},
    "children_of_prisoners": {"en": "Support for children of prisoners, paid by the state",
                              "da": "Støtte til børn af indsatte, betalt af staten"},
    "coordinated": {"en": "Coordinated services: one case per citizen", "da": "Koordinerede indsatser: én sag pr. borger"},
    "cti": {"en": "Critical Time Intervention after release or rehousing",
            "da": "Critical Time Intervention efter løsladelse eller genhusning"},
    "dual_diagnosis": {"en": "Coordinated services with twice the dual-diagnosis teams",
                       "da": "Koordinerede indsatser med dobbelt så mange dobbeltdiagnoseteams"},
    "early_family_help": {"en": "Early family therapy (MST/FFT) for families known to the kommune",
                          "da": "Tidlig familiebehandling (MST/FFT) for familier, kommunen kender"},
    "eviction_risk_doubled": {"en": "What if evictions doubled (a stress test, no policy)",
                              "da": "Hvis udsættelser fordobles (stresstest, ingen indsats)"},
    "family_addiction": {"en": "A family component in addiction treatment",
                         "da": "En familieindsats i misbrugsbehandlingen"},
    "housing_first": {"en": "Housing First with ACT support for homeless citizens",
                      "da": "Housing First med ACT-støtte til hjemløse borgere"},
    "ips": {"en": "Individual Placement and Support (IPS) into work", "da": "IPS: individuelt job med støtte"},
    "no_peer_effects": {"en": "Without the social network (a model check, no policy)",
                        "da": "Uden det sociale netværk (modeltjek, ingen indsats)"},
    "pooled_budget": {"en": "A pooled budget across kommune, region and state",
                      "da": "En fælles pulje på tværs af kommune, region og stat"},
    "siloed_appraisal": {"en": "Each budget holder funds what pays back in its own budget",
                         "da": "Hver budgetholder finansierer det, der betaler sig i eget budget"},
    "state_coinvest": {"en": "The state as co-investor", "da": "Staten som medinvestor"},
    "tight_housing_market": {"en": "What if the housing market tightened (a stress test, no policy)",
                             "da": "Hvis boligmarkedet strammes (stresstest, ingen indsats)"},
}

#: outcomes of ``model.compare`` (scenario minus base) in Danish: (words, unit); the English
#: is the model's own (``model.compare.OUTCOME_WORDS``, the report's words too)
OUTCOME_DANISH = {
    "housed": ("i egen bolig", "personår"),
    "homeless": ("hjemløse", "personår"),
    "employed": ("i beskæftigelse", "personår"),
    "problematic_use": ("problematisk rusmiddelbrug", "personår"),
    "untreated_mental_illness": ("ubehandlet psykisk lidelse", "personår"),
    "in_prison": ("i fængsel", "personår"),
    "qaly": ("kvalitetsjusterede leveår", "QALY"),
    "life_years": ("levede leveår", "leveår"),
    "deaths": ("dødsfald", "personer"),
    "placements": ("børn anbragt uden for hjemmet (nye anbringelser)", "anbringelser"),
    "child_years_in_care": ("barneår i en plejefamilie eller på en institution", "barneår"),
    "young_adults_entering": ("voksne børn, der kommer i den udsatte målgruppe (18-29 år)", "personer"),
    "homeless_by_25": ("voksne børn, der har været hjemløse inden 25-årsalderen", "personer"),
    "no_youth_education_at_25": ("voksne børn uden en ungdomsuddannelse som 25-årige", "personer"),
    "prison_by_30": ("voksne børn, der har været i fængsel inden 30-årsalderen", "personer"),
}


def policy_name(stem: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return POLICY_NAMES.get(stem, {}).get(_check(lang), stem)


def outcome_name(name: str, lang: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    """(words, unit) of a comparison's outcome: in English the model's own
    (``model.compare.OUTCOME_WORDS``), in Danish ``OUTCOME_DANISH``; an outcome without
    words is said by its name."""
    return (OUTCOME_WORDS if _check(lang) == "en" else OUTCOME_DANISH).get(name, (name, ""))


def budget_name(budget: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return BUDGET_NAMES.get(budget, {}).get(_check(lang), budget)


def service_name(service: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return SERVICE_NAMES.get(service, {}).get(_check(lang), service)


def domain_name(domain: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """A life domain (``Domain`` or its lower-case name) in words: "housing" / "bolig"."""
    key = domain if isinstance(domain, str) else domain.name.lower()
    return DOMAIN_NAMES.get(key, {}).get(_check(lang), key)


def level_name(domain: Any, level: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """A level of a domain in words: ``level_name("housing", "street", "da")`` (or
    ``Domain.HOUSING, 3``) -> "hjemløs på gaden"; in English the model's own name ("street")."""
    _check(lang)
    dkey = domain if isinstance(domain, str) else domain.name.lower()
    if isinstance(level, str):
        lkey = level
    else:
        from agents.states import LEVELS, Domain, Placement, School

        enum = {"placement": Placement, "school": School}.get(dkey) or LEVELS[Domain[dkey.upper()]]
        lkey = enum(int(level)).name.lower()
    return LEVEL_NAMES.get(dkey, {}).get(lkey, {}).get(lang, lkey)


def service_short_name(service: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A service in a few words, for a figure's axis."""
    return SERVICE_SHORT_NAMES.get(service, {}).get(_check(lang), service.replace("_", " "))


def account_name(category: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A ledger category in words: a service's name, or the account's."""
    if category in SERVICE_NAMES:
        return service_name(category, lang)
    return ACCOUNT_NAMES.get(category, {}).get(_check(lang), category)


# -- the page's words --------------------------------------------------------------------------

#: key -> {"en": ..., "da": ...}; ``{name}`` fields are filled by :func:`say`
WORDS: dict[str, dict[str, str]] = {
    # tabs
    "tab.results": {"en": "Results over runs", "da": "Resultater over kørsler"},
    "tab.pathways": {"en": "Pathways and money", "da": "Forløb og økonomi"},
    "tab.flows": {"en": "Flows and services", "da": "Overgange og indsatser"},
    "tab.citizen": {"en": "Citizen", "da": "Borger"},
    "tab.contract": {"en": "Contract", "da": "Kontrakt"},
    "tab.funding": {"en": "Funding and changes", "da": "Finansiering og ændringer"},
    "tab.children": {"en": "Children", "da": "Børn"},
    "language": {"en": "Language", "da": "Sprog"},
    # sign and units
    "sign": {"en": "+ = the public saves, − = the public spends more",
             "da": "+ = det offentlige sparer, − = det offentlige bruger mere"},
    # results over runs
    "results.policy": {"en": "Policy", "da": "Indsats"},
    "results.horizon": {"en": "Horizon (years)", "da": "Tidshorisont (år)"},
    "results.runs": {"en": "Runs (seeds)", "da": "Kørsler (frø)"},
    "results.run": {"en": "Run", "da": "Kør"},
    "results.intro": {"en": "Each run: {size} simulated citizens, the policy against its base scenario on the same "
                            "citizens and random numbers; money for {population} ({persons} persons), {prices}; present values "
                            "at the Danish public discount rate (3.5% a year). {sign}.",
                      "da": "Hver kørsel: {size} simulerede borgere, indsatsen mod sit basisscenarie på de samme "
                            "borgere og tilfældige tal; økonomi for {population} ({persons} personer), {prices}; nutidsværdier "
                            "med Finansministeriets diskonteringsrente (3,5 % om året). {sign}."},
    "results.running": {"en": "Running: {done} of the runs done.", "da": "Kører: {done} af kørslerne er færdige."},
    "results.failed": {"en": "The comparison failed: {error}", "da": "Sammenligningen fejlede: {error}"},
    "results.ask": {"en": "Choose a policy, a horizon and the number of runs, then press Run.",
                    "da": "Vælg en indsats, en tidshorisont og antallet af kørsler, og tryk Kør."},
    "results.budget": {"en": "budget holder", "da": "budgetholder"},
    "results.npv": {"en": "NPV, median", "da": "Nutidsværdi, median"},
    "results.band": {"en": "NPV, 10th-90th percentile", "da": "Nutidsværdi, 10.-90. percentil"},
    "results.breakeven": {"en": "break-even year, median", "da": "break-even-år, median"},
    "results.breakeven_share": {"en": "runs that break even", "da": "kørsler med break-even"},
    "results.never": {"en": "never", "da": "aldrig"},
    "results.noise": {"en": "Within the noise: for {who} the 10th-90th percentile of the NPV runs from below to "
                            "above zero; more runs or a longer horizon may tell.",
                      "da": "Inden for støjen: for {who} går nutidsværdiens 10.-90. percentil fra under til "
                            "over nul; flere kørsler eller en længere horisont kan afgøre det."},
    "results.winners": {"en": "Who gains and who pays (median over the runs)",
                        "da": "Hvem vinder, og hvem betaler (median over kørslerne)"},
    "results.gains": {"en": "{who} gains {amount}", "da": "{who} vinder {amount}"},
    "results.pays": {"en": "{who} pays {amount}", "da": "{who} betaler {amount}"},
    "results.som": {"en": "The SØM table: net saving per year and budget holder (median; DKK million, {prices})",
                    "da": "SØM-tabellen: nettobesparelse pr. år og budgetholder (median; mio. kr., {prices})"},
    "results.year": {"en": "year", "da": "år"},
    "results.outcomes": {"en": "What the money buys", "da": "Hvad pengene køber"},
    "results.outcome": {"en": "outcome", "da": "effekt"},
    "results.change": {"en": "change, median", "da": "ændring, median"},
    "results.outcome_band": {"en": "10th-90th percentile", "da": "10.-90. percentil"},
    "results.per_million": {"en": "per DKK 1m invested", "da": "pr. investeret mio. kr."},
    "results.funds": {"en": "What the policy funds and changes", "da": "Hvad indsatsen finansierer og ændrer"},
    "results.report": {"en": "The full report (in English: the SØM table per year, line items, outcomes, cost per "
                             "outcome)",
                       "da": "Den fulde rapport (på engelsk: SØM-tabellen pr. år, poster, effekter, pris pr. effekt)"},
    "results.second": {"en": "The second generation: the target group's children",
                       "da": "Anden generation: målgruppens børn"},
    "results.unit": {"en": "unit", "da": "enhed"},
    # counters
    "kpi.month": {"en": "Month", "da": "Måned"},
    "kpi.year": {"en": "year {n}", "da": "år {n}"},
    "kpi.homeless": {"en": "Homeless", "da": "Hjemløse"},
    "kpi.treatment": {"en": "In addiction treatment", "da": "I misbrugsbehandling"},
    "kpi.untreated": {"en": "Untreated mental illness", "da": "Ubehandlet psykisk lidelse"},
    "kpi.employed": {"en": "Employed", "da": "I beskæftigelse"},
    "kpi.deaths": {"en": "Deaths so far", "da": "Dødsfald indtil nu"},
    "kpi.saving": {"en": "Net public saving, {population}", "da": "Offentlig nettobesparelse, {population}"},
    "kpi.per_person": {"en": "{amount} per person", "da": "{amount} pr. person"},
    "kpi.payback": {"en": "Payback", "da": "Tilbagebetaling"},
    "kpi.payback_month": {"en": "month {n}", "da": "måned {n}"},
    "kpi.not_yet": {"en": "not yet", "da": "endnu ikke"},
    "kpi.all_budgets": {"en": "all public budgets", "da": "alle offentlige budgetter"},
    "kpi.now": {"en": "now", "da": "nu"},
    "kpi.vs": {"en": "{n} vs counterfactual", "da": "{n} mod kontrafaktisk"},
    # who pays
    "who.title": {"en": "Who pays, who saves", "da": "Hvem betaler, hvem sparer"},
    # pathways and money, flows and services, citizen (app.py)
    "network.colour": {"en": "Colour citizens by", "da": "Farv borgerne efter"},
    "flows.cumulative": {"en": "since month 1 (otherwise: last month)",
                         "da": "siden måned 1 (ellers: seneste måned)"},
    "citizen.field": {"en": "Citizen (0-{last})", "da": "Borger (0-{last})"},
    "citizen.costly": {"en": "Most costly so far", "da": "Dyreste indtil nu"},
    "citizen.random": {"en": "Random homeless", "da": "Tilfældig hjemløs"},
    "citizen.now": {"en": "Citizen {i} now: {facts}", "da": "Borger {i} nu: {facts}"},
    "citizen.died": {"en": "Citizen {i} died (last states: {facts})",
                     "da": "Borger {i} er død (seneste tilstande: {facts})"},
    "citizen.exited": {"en": "Citizen {i} left the target group at the exit age (last states: {facts})",
                       "da": "Borger {i} har forladt målgruppen ved aldersgrænsen (seneste tilstande: {facts})"},
    "citizen.facts": {"en": "age {age} · complexity {complexity} · {contacts} contacts · ever in prison: {prison} · "
                            "ever homeless: {homeless} · services now: {services}",
                      "da": "alder {age} · kompleksitet {complexity} · {contacts} kontakter · nogensinde i fængsel: "
                            "{prison} · nogensinde hjemløs: {homeless} · indsatser nu: {services}"},
    "yes": {"en": "yes", "da": "ja"},
    "no": {"en": "no", "da": "nej"},
    "none": {"en": "none", "da": "ingen"},
    "citizen.thousands": {"en": "{amount}k", "da": "{amount} t.kr."},
    "citizen.counterfactual": {"en": " (counterfactual {amount})", "da": " (kontrafaktisk {amount})"},
    "citizen.children": {"en": "; of which their children's placements in care {amount}",
                         "da": "; heraf deres børns anbringelser uden for hjemmet {amount}"},
    "citizen.cost": {"en": "Net public cost to date (+ = costs the public, DKK): {costs}{children}",
                     "da": "Offentlige nettoudgifter til dato (+ = koster det offentlige, kr.): {costs}{children}"},
    # funding and changes (app.py, tables.py)
    "funding.places": {"en": "Places funded per service", "da": "Finansierede pladser pr. indsats"},
    "funding.changes": {"en": "What the scenario changes from the calibrated model",
                        "da": "Hvad scenariet ændrer i forhold til den kalibrerede model"},
    "funding.appraisal": {"en": "Appraisal: does each offered intervention pay back, and for whom?",
                          "da": "Vurdering: betaler hver tilbudt indsats sig tilbage, og for hvem?"},
    "funding.run": {"en": "Run the appraisal ({n} pilot pairs, a few seconds each)",
                    "da": "Kør vurderingen ({n} par af pilotforsøg, et par sekunder hver)"},
    "arm.scenario": {"en": "scenario", "da": "scenarie"},
    "arm.counterfactual": {"en": "counterfactual", "da": "kontrafaktisk"},
    "funding.service": {"en": "service", "da": "indsats"},
    "funding.arm_places": {"en": "{arm}: places per 1,000 (places)", "da": "{arm}: pladser pr. 1.000 (pladser)"},
    "funding.paid_by": {"en": "paid by (scenario)", "da": "betales af (scenarie)"},
    "funding.decision": {"en": "decision (scenario)", "da": "beslutning (scenarie)"},
    "funding.note": {"en": "Places the scenario funds at {n} simulated citizens (model/governance.py). Interventions "
                           "not listed are not offered.",
                     "da": "Pladser, scenariet finansierer ved {n} simulerede borgere (model/governance.py). "
                           "Indsatser, der ikke står her, tilbydes ikke."},
    "changes.none": {"en": "No changes from the calibrated default.",
                     "da": "Ingen ændringer i forhold til den kalibrerede standard."},
    "changes.parameter": {"en": "parameter", "da": "parameter"},
    "changes.calibrated": {"en": "calibrated", "da": "kalibreret"},
    "changes.scenario": {"en": "this scenario", "da": "dette scenarie"},
    "changes.ratio": {"en": "ratio", "da": "forhold"},
    "changes.how": {"en": "how", "da": "hvordan"},
    "changes.unit": {"en": "unit", "da": "enhed"},
    "changes.note": {"en": "Every parameter that differs from the calibrated default.",
                     "da": "Alle parametre, der afviger fra den kalibrerede standard."},
    "appraisal.none": {"en": "The scenario offers no discretionary intervention to appraise.",
                       "da": "Scenariet tilbyder ingen valgfri indsats at vurdere."},
    "appraisal.intervention": {"en": "intervention", "da": "indsats"},
    "appraisal.whole": {"en": "whole purse", "da": "hele den offentlige sektor"},
    "appraisal.note": {"en": "Pays back within {months} months? Net gain with the intervention (DKK million, median "
                             "[10th, 90th percentile] over {pilots} pilots of {size} citizens; + = the budget is better "
                             "off, the owner paying its cost) and P = the share of pilots that pay back.",
                       "da": "Betaler den sig tilbage inden for {months} måneder? Nettogevinst med indsatsen (mio. kr., "
                             "median [10., 90. percentil] over {pilots} pilotforsøg med {size} borgere; + = budgettet "
                             "får det bedre, når ejeren betaler udgiften) og P = andelen af pilotforsøg, der betaler "
                             "sig tilbage."},
    # the warnings at the top of the page (tables.funding_warnings)
    "warn.scenario": {"en": "Scenario: {warning}", "da": "Scenarie: {warning}"},
    "warn.override": {"en": "'More changes' sets {path} = {value}, which overrides {control}.",
                      "da": "'Flere ændringer' sætter {path} = {value}, som tilsidesætter {control}."},
    "warn.citizens": {"en": "the Citizens slider", "da": "skyderen 'Borgere'"},
    "warn.slider": {"en": "the slider '{label}'", "da": "skyderen '{label}'"},
    # children (app.py, tables.py)
    "children.off": {"en": "Children are off: demography.enabled or children.enabled is false, so this run has no "
                           "second generation.",
                     "da": "Børn er slået fra: demography.enabled eller children.enabled er false, så denne kørsel "
                           "har ingen anden generation."},
    "children.money": {"en": "The children's money per budget holder", "da": "Børnenes økonomi pr. budgetholder"},
    "children.now": {"en": "Children now", "da": "Børn nu"},
    "children.now_note": {"en": "{home} at home, {preventive} at home with a preventive measure",
                          "da": "{home} hjemme, {preventive} hjemme med en forebyggende foranstaltning"},
    "children.placed": {"en": "Placed now (foster family or institution)",
                        "da": "Anbragt nu (plejefamilie eller institution)"},
    "children.versus": {"en": "{delta} vs counterfactual ({cf})", "da": "{delta} mod kontrafaktisk ({cf})"},
    "children.placements": {"en": "Placements so far", "da": "Anbringelser indtil nu"},
    "children.avoided": {"en": "{n} avoided (counterfactual {cf})", "da": "{n} undgået (kontrafaktisk {cf})"},
    "children.joined": {"en": "Grown-up children who entered the target group",
                        "da": "Voksne børn, der er kommet i målgruppen"},
    "children.spending": {"en": "Kommune's spending on placements, {population}",
                          "da": "Kommunens udgifter til anbringelser, {population}"},
    "children.amount": {"en": "{amount}m DKK", "da": "{amount} mio. kr."},
    "children.spending_note": {"en": "counterfactual {cf}; {saved}m saved", "da": "kontrafaktisk {cf}; {saved} mio. kr. sparet"},
    "children.spent_on": {"en": "spent on", "da": "brugt på"},
    "children.arm_money": {"en": "{arm} (DKK million)", "da": "{arm} (mio. kr.)"},
    "children.saved": {"en": "saved (+) or extra cost (-)", "da": "sparet (+) eller ekstra udgift (-)"},
    "children.money_note": {"en": "DKK million for {population} to month {month}, undiscounted. Each child's cost is "
                                  "booked on the parent's row (model/children.py).",
                            "da": "Mio. kr. for {population} til og med måned {month}, udiskonteret. Hvert barns "
                                  "udgift bogføres på forælderens række (model/children.py)."},
    "children.programme": {"en": "{name} {per} per 1,000 ({places} places, paid by the {budget})",
                           "da": "{name} {per} pr. 1.000 ({places} pladser, betalt af {budget})"},
    "children.programmes": {"en": "Family programmes funded: {funded}", "da": "Finansierede familieindsatser: {funded}"},
    "children.programmes_cf": {"en": ". In the counterfactual: {funded}", "da": ". I det kontrafaktiske: {funded}"},
    "children.programmes_how": {"en": ". Fund them in the sidebar (places per 1,000 adults of the target group; -1 = as "
                                      "the preset), then Reset.",
                                "da": ". Finansiér dem i sidepanelet (pladser pr. 1.000 voksne i målgruppen; -1 = som "
                                      "forudindstillingen), og tryk Reset."},
    # figures (figures.py)
    "fig.month": {"en": "month {n}", "da": "måned {n}"},
    "fig.months": {"en": "months 1-{n}", "da": "måned 1-{n}"},
    "fig.axis.month": {"en": "month", "da": "måned"},
    "fig.axis.citizens": {"en": "citizens", "da": "borgere"},
    "fig.axis.millions": {"en": "DKK million", "da": "mio. kr."},
    "fig.axis.thousands": {"en": "DKK thousand", "da": "tusind kr."},
    "fig.network.title": {"en": "Social network by {domain}: {shown} of {total} citizens (snowball sample)",
                          "da": "Socialt netværk efter {domain}: {shown} af {total} borgere (sneboldudvalg)"},
    "fig.occupancy.title": {"en": "{domain} (not {first})", "da": "{domain}\n(undtagen {first})"},
    "fig.occupancy.note": {"en": "citizens per month", "da": "borgere pr. måned"},
    "fig.arms": {"en": "— scenario\n- - counterfactual", "da": "— scenarie\n- - kontrafaktisk"},
    "fig.money.title": {"en": "Cumulative net public saving vs counterfactual, DKK million for {population}\n"
                              "({persons} persons; undiscounted, cashable; + = the public saves)",
                        "da": "Kumuleret offentlig nettobesparelse mod kontrafaktisk, mio. kr. for {population}\n"
                              "({persons} personer; udiskonteret, kontant; + = det offentlige sparer)"},
    "fig.money.baseline": {"en": "no difference: the settings are the baseline",
                           "da": "ingen forskel: indstillingerne er basisscenariet"},
    "fig.money.paid_back": {"en": "paid back in month {n}", "da": "tilbagebetalt i måned {n}"},
    "fig.money.not_yet": {"en": "not paid back yet", "da": "endnu ikke tilbagebetalt"},
    "fig.moves.title": {"en": "Moves between levels, {span}: citizens (row = from, column = to)",
                        "da": "Skift mellem niveauer, {span}: borgere (række = fra, kolonne = til)"},
    "fig.services.enrolled": {"en": "enrolled", "da": "indskrevet"},
    "fig.services.waiting": {"en": "waiting", "da": "venter"},
    "fig.services.places": {"en": "places", "da": "pladser"},
    "fig.services.title": {"en": "Services in month {n}: citizens enrolled, waiting, and places",
                           "da": "Indsatser i måned {n}: borgere indskrevet, ventende og pladser"},
    "fig.services.none": {"en": "no services modelled", "da": "ingen indsatser i modellen"},
    "fig.citizen.title": {"en": "Citizen {i}: life states per month (month {n})",
                          "da": "Borger {i}: livssituation pr. måned (måned {n})"},
    "fig.citizen.services": {"en": "services received", "da": "modtagne indsatser"},
    "fig.citizen.cost": {"en": "cumulative net public cost of this citizen and their children in care, DKK thousand "
                               "(+ = costs the public; — scenario, - - same citizen in the counterfactual)",
                         "da": "kumulerede offentlige nettoudgifter til borgeren og deres anbragte børn, tusind kr.\n"
                               "(+ = koster det offentlige; — scenarie, - - samme borger i det kontrafaktiske)"},
    "fig.citizen.not_yet": {"en": "not yet in the group", "da": "endnu ikke i målgruppen"},
    "fig.citizen.died": {"en": "died", "da": "død"},
    "fig.citizen.exited": {"en": "left at the exit age", "da": "udtrådt ved aldersgrænsen"},
    "fig.citizen.outside": {"en": "outside the target group", "da": "uden for målgruppen"},
    "fig.children.home": {"en": "children at home", "da": "børn hjemme"},
    "fig.children.measures": {"en": "preventive measure or placed", "da": "forebyggende foranstaltning eller anbragt"},
    "fig.children.so_far": {"en": "so far (cumulative)", "da": "indtil nu (kumuleret)"},
    "fig.children.placements": {"en": "placements", "da": "anbringelser"},
    "fig.children.joined": {"en": "grown-up children entering the target group",
                            "da": "voksne børn, der kommer i målgruppen"},
    "fig.children.title": {"en": "Children of the target group (simulated)", "da": "Målgruppens børn (simuleret)"},
    "fig.children.arms": {"en": ": — scenario, - - counterfactual", "da": ": — scenarie, - - kontrafaktisk"},
    # the sidebar's labels (app.model_params): "param.<name>"
    "param.preset": {"en": "Scenario preset", "da": "Scenarie (forudindstilling)"},
    "param.mode": {"en": "Governance mode", "da": "Styringsform"},
    "param.sizing": {"en": "Capacity sizing", "da": "Dimensionering af pladser"},
    "param.population.size": {"en": "Citizens", "da": "Borgere"},
    "param.capacity_scale": {"en": "All service capacities (x preset)",
                             "da": "Alle indsatsers kapacitet (x forudindstilling)"},
    "param.service": {"en": "Service to adjust", "da": "Indsats, der justeres"},
    "param.service_places": {"en": "Its places per 1,000 (left end: as the preset)",
                             "da": "Dens pladser pr. 1.000 (venstre ende: som forudindstillingen)"},
    "param.service_price_scale": {"en": "Its price (x preset)", "da": "Dens pris (x forudindstilling)"},
    "param.children.programmes.family_therapy.places": {"en": "Family therapy (MST/FFT) places per 1,000",
                                                        "da": "Familiebehandling (MST/FFT), pladser pr. 1.000"},
    "param.children.programmes.family_addiction.places": {"en": "Family component in addiction treatment",
                                                          "da": "Familieindsats i misbrugsbehandlingen"},
    "param.children.programmes.children_of_prisoners.places": {"en": "Support for children of prisoners",
                                                               "da": "Støtte til børn af indsatte"},
    "param.changes": {"en": "More changes: path = value; ... (e.g. contract terms)",
                      "da": "Flere ændringer: sti = værdi; ... (fx kontraktvilkår)"},
    "param.target_population": {"en": "Money for the population of", "da": "Økonomi for befolkningen i"},
    "param.rng": {"en": "Seed", "da": "Frø (seed)"},
}


def say(key: str, lang: str = DEFAULT_LANGUAGE, table: dict[str, dict[str, str]] | None = None, **values: Any) -> str:
    """The page's words for ``key`` in ``lang`` (from :data:`WORDS`, or a view's own
    ``table`` of the same form), with ``{fields}`` filled from ``values``."""
    try:
        text = (WORDS if table is None else table)[key][_check(lang)]
    except KeyError:
        raise KeyError(f"no words for {key!r} in {lang!r}") from None
    return text.format(**values) if values else text


def html_text(text: str) -> str:
    """Text for an HTML widget: <, > and & escaped (quotes are harmless between tags)."""
    return html.escape(text, quote=False)
