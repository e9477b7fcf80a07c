"""Danish financing rules between kommune and stat, as data, by law vintage.

Who pays a krone of a service or benefit is not always its owner: the state refunds part
of what the kommune spends. The rules changed on 1 October 2023 (the homelessness reform:
§110 shelter refund limited in time, Housing First support refunded) and change again on
1 April 2026. Each vintage is one :class:`Financing` record below; the parameter
``financing.rules`` picks one (``"pre2023"``, ``"2023"``, ``"2026"``), and the ledger
(``model/ledger.py``) applies it. Nothing else in the model reads the rules, so switching
the vintage moves money between budget holders and changes nothing else: not the
citizens' paths, not the public total.

Order of application (for every service): **the law's refund first, then the funding
rule** (``governance.funding``, ``model/governance.py``) on what remains. So under
``pooled`` funding the state first refunds its §176a share of Housing First support, and
the pool's shares then split the rest; the refund is booked in its own category
(``housing_first_refund``, ``shelter_refund``), the rest in the service's category.

The rules (each with its source in :data:`RULES`; docs/money.md has the same list):

* **§110 shelter** (Serviceloven §110, refund §177 before the reform): the state refunds
  50% of the kommune's cost; before 1 Oct 2023 without a time limit; from 1 Oct 2023 only
  for the first 120 days per running year (from the citizen's first enrolment in it), from
  1 Apr 2026 the first 90; days beyond: the kommune pays 100%.
* **§85a Housing First support + §176a**: from 1 Oct 2023 the state refunds 50% of
  the kommune's §85a support for up to 2 years after the citizen's discharge from a §110
  shelter, when the support was decided before the discharge (the period runs from the
  first discharge). Before: ordinary §85 support, kommune 100% (only the general
  high-cost refund of §176 above ~0.86m DKK per person-year, which Housing First support
  of ~0.1m never reaches).
* **Kontanthjælp refund ladder** (refusionsreformen, since 2016, all three vintages): the
  state refunds 80% in weeks 1-4 on benefits, 40% in weeks 5-26, 30% in weeks 27-52 and
  20% after a year.
* **Housing benefit** (boligsikring, boligstøtteloven §22, §75): the state pays 50%, the
  kommune 50%; for a household without children the benefit is at most 15% of the rent
  (§22 stk. 3; exceptions: førtidspension, seniorpension, severe disability).

Approximations (stated again in docs/money.md):

* months are converted to days at :data:`DAYS_PER_MONTH` (30.4) and to weeks at
  :data:`WEEKS_PER_MONTH` (365.25 / 7 / 12 = 4.348);
* the kontanthjælp clock is the citizen's months in the current benefits spell (the
  employment level ``benefits``); the law counts weeks on benefits in a rolling 12-month
  window, so a citizen who returns to benefits after a short job restarts at 80% here but
  not in law (the model overstates the refund for such returns);
* the refund share of a month is the week-weighted average of the ladder over that
  month's weeks (month 1: 4 weeks at 80% and 0.35 at 40%);
* §110: a running year starts at a month in the shelter when none is running and lasts 12
  months; citizens already in a shelter at the start of the run have used the part of
  their current running year that their stay so far implies;
* §176a: "decided before the discharge" is read as "enrolled in Housing First in the
  month the citizen leaves the shelter"; the 24 months run from the first such discharge
  in the course and end with the course;
* the housing benefit is booked at the 15% cap for every citizen in their own home on
  benefits or outside the labour force (for a single without children on kontanthjælp
  the §22 formula, 60% of the rent less 18% of income above the threshold, exceeds 15%
  of a 2,600-3,500 DKK rent, so the cap binds); førtidspension recipients are exempt
  from the cap and get more in law, so their housing benefit is understated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

#: days in a model month (the convention of the prison price: day price x 30.4)
DAYS_PER_MONTH = 30.4
#: weeks in a model month
WEEKS_PER_MONTH = 365.25 / 7.0 / 12.0


@dataclass(frozen=True)
class Source:
    """A rule's source: its name (law, agency, report) and where it can be read."""

    name: str
    url: str


@dataclass(frozen=True)
class Rule:
    """One financing rule as it applies in a vintage: what it says and its source."""

    key: str
    text: str
    sources: tuple[Source, ...]


SBST_REFORM = Source("Social- og Boligstyrelsen: Omstilling af hjemløshedsområdet (the 2023 reform of §110 and §85a)",
                     "https://www.sbst.dk/voksne/hjemloeshed/omstilling-af-hjemloeshedsomraadet")
SEL_176A = Source("Serviceloven §176a (state refund of §85a support after a §110 stay)",
                  "https://elov.dk/serviceloven/paragraf/176a/")
SEL_176 = Source("Serviceloven §176 (the general refund of high costs per person: 25/50/75% above 0.86/1.68/2.12m DKK a year, 2022 level)",
                 "https://danskelove.dk/serviceloven/176")
OLD_177 = Source("Serviceloven §177 nr. 5 before 1 October 2023 (50% state refund of the paying kommune's §110 takst, "
                 "no time limit), as applied by Bekendtgørelse om statsrefusion nr. 224 af 17. februar 2021 §5 "
                 "(the resident's own payment is deducted before the refund)",
                 "https://www.elov.dk/bekendtgorelse-om-statsrefusion-og-tilskud-samt-regnskabsaflaeggelse-og-revision-pa-"
                 "visse-omrader-inden-for-social-og-aeldreministeriets-beskaeftigelsesministeriets-udlaendinge-og-"
                 "integrationsministeriets-borne-og-undervisningsministeriets-og-indenrigs-og-boligministeriets-"
                 "ressortomrader/paragraf/5/")
STAR_LADDER = Source("Styrelsen for Arbejdsmarked og Rekruttering: Refusionsreformen (in force since 2016)",
                     "https://star.dk/reformer/refusionsreformen/om-reformen/")
BOLIGSTOTTE_22 = Source("Boligstøtteloven §22 stk. 3 (at most 15% of the rent for a household without children)",
                        "https://www.elov.dk/boligstotteloven/22/")
BOLIGSTOTTE_75 = Source("Boligstøtteloven §75 (boligsikring: state 50%, kommune 50%)",
                        "https://www.elov.dk/boligstotteloven/75/")


@dataclass(frozen=True)
class Financing:
    """The financing rules of one law vintage (the values the ledger applies)."""

    vintage: str
    label: str
    #: §110: the state's refund share of the kommune's shelter cost
    shelter_refund: float
    #: §110: refunded days per running year per citizen (None = no limit)
    shelter_refund_days: float | None
    #: §176a: the state's refund share of Housing First (§85a) support
    housing_first_refund: float
    #: §176a: months after the discharge from a §110 shelter during which it is refunded
    housing_first_refund_months: int
    #: kontanthjælp refund ladder: (weeks on benefits up to, refund share); the last
    #: bracket has no end
    benefit_ladder: tuple[tuple[float, float], ...]
    #: boligsikring: the state's share (the kommune pays the rest)
    housing_benefit_state_share: float
    #: boligsikring for a household without children: at most this share of the rent
    housing_benefit_max_share_of_rent: float
    rules: tuple[Rule, ...]

    def rule(self, key: str) -> Rule:
        return next(r for r in self.rules if r.key == key)


_LADDER = ((4.0, 0.80), (26.0, 0.40), (52.0, 0.30), (float("inf"), 0.20))
_LADDER_RULE = Rule("kontanthjaelp", "state refunds 80% of kontanthjælp in weeks 1-4 on benefits, 40% in weeks 5-26, "
                                     "30% in weeks 27-52, 20% after a year (since 2016)", (STAR_LADDER,))
_HOUSING_BENEFIT_RULE = Rule("housing_benefit", "boligsikring: state 50%, kommune 50%; a household without children "
                                                "gets at most 15% of the rent", (BOLIGSTOTTE_75, BOLIGSTOTTE_22))

_RULES_2023 = Financing(
    vintage="2023", label="from 1 October 2023",
    shelter_refund=0.5, shelter_refund_days=120.0,
    housing_first_refund=0.5, housing_first_refund_months=24,
    benefit_ladder=_LADDER, housing_benefit_state_share=0.5, housing_benefit_max_share_of_rent=0.15,
    rules=(
        Rule("shelter", "§110: state refunds 50% of the first 120 days per running year per citizen; "
                        "days beyond: kommune 100%", (SBST_REFORM,)),
        Rule("housing_first", "§85a Housing First support: state refunds 50% for up to 2 years after the "
                              "discharge from a §110 shelter (§176a)", (SEL_176A, SBST_REFORM)),
        _LADDER_RULE, _HOUSING_BENEFIT_RULE,
    ))

VINTAGES: dict[str, Financing] = {
    "pre2023": Financing(
        vintage="pre2023", label="before 1 October 2023",
        shelter_refund=0.5, shelter_refund_days=None,
        housing_first_refund=0.0, housing_first_refund_months=0,
        benefit_ladder=_LADDER, housing_benefit_state_share=0.5, housing_benefit_max_share_of_rent=0.15,
        rules=(
            Rule("shelter", "§110: state refunds 50% of the kommune's cost, no time limit", (OLD_177,)),
            Rule("housing_first", "Housing First support is ordinary §85 support: kommune 100% "
                                  "(the §176 high-cost refund starts far above its cost)", (SEL_176,)),
            _LADDER_RULE, _HOUSING_BENEFIT_RULE,
        )),
    "2023": _RULES_2023,
    # from 1 April 2026 only the §110 refund's days change (120 -> 90)
    "2026": replace(
        _RULES_2023, vintage="2026", label="from 1 April 2026", shelter_refund_days=90.0,
        rules=(Rule("shelter", "§110: state refunds 50% of the first 90 days per running year per citizen; "
                               "days beyond: kommune 100%", (SBST_REFORM,)), *_RULES_2023.rules[1:])),
}


def rules_for(params) -> Financing:
    """The vintage the parameters choose (``financing.rules``)."""
    return VINTAGES[params["financing.rules"]]


def ladder_share(months_on_benefits: np.ndarray, ladder: tuple[tuple[float, float], ...] = _LADDER) -> np.ndarray:
    """The state's refund share of a month of kontanthjælp, for a citizen in month
    ``months_on_benefits`` (1 = the first month) of a benefits spell: the ladder averaged
    over that month's weeks (weeks ``(m-1) w .. m w``, ``w`` = :data:`WEEKS_PER_MONTH`)."""
    m = np.maximum(np.asarray(months_on_benefits, dtype=float), 1.0)
    w = WEEKS_PER_MONTH

    def refunded_weeks(t: np.ndarray) -> np.ndarray:  # integral of the ladder from week 0 to t
        out = np.zeros_like(t)
        start = 0.0
        for end, share in ladder:
            out += share * np.clip(t - start, 0.0, end - start)
            start = end
        return out

    return (refunded_weeks(m * w) - refunded_weeks((m - 1.0) * w)) / w


def money_basis(params) -> str:
    """One line a report prints under every money figure: price year and law vintage."""
    f = rules_for(params)
    return (f"DKK in {params.price_year()} prices (net price index, Danmarks Statistik); "
            f"financing rules {f.label} (financing.rules = {f.vintage!r})")


def rules_table() -> list[dict[str, str]]:
    """Every rule of every vintage with its sources, one row per (vintage, rule)."""
    return [{"vintage": f.vintage, "in force": f.label, "rule": r.key, "text": r.text,
             "sources": "; ".join(f"{s.name} ({s.url})" for s in r.sources)}
            for f in VINTAGES.values() for r in f.rules]


__all__ = ["DAYS_PER_MONTH", "VINTAGES", "WEEKS_PER_MONTH", "Financing", "Rule", "Source", "ladder_share",
           "money_basis", "rules_for", "rules_table"]
