"""The dashboard's words and numbers (dashboard/words.py): Danish and English formats,
one sign for money, and a name for every service, budget holder and ledger account."""

from __future__ import annotations

import pytest

from dashboard import words
from model.ledger import accounts
from model.services import BUDGETS, CATALOGUE


@pytest.mark.parametrize(("value", "en", "da"), [
    (14.9e6, "+DKK 14.9m", "+14,9 mio. kr."),
    (-1_234.5e6, "-DKK 1,234.5m", "-1.234,5 mio. kr."),
    (0.0, "DKK 0.0m", "0,0 mio. kr."),
    (-0.01e6, "DKK 0.0m", "0,0 mio. kr."),  # no "-0.0"
])
def test_millions_of_kroner_read_as_a_person_writes_them(value, en, da):
    assert words.millions(value, "en") == en
    assert words.millions(value, "da") == da


def test_numbers_percentages_and_kroner_in_both_languages():
    assert words.number(12_345.6, "en") == "12,346" and words.number(12_345.6, "da") == "12.346"
    assert words.number(2.25, "da", 2, sign=True) == "+2,25"
    assert words.percent(0.456, "en") == "46%" and words.percent(0.456, "da") == "46 %"
    assert words.kroner(145_000, "en") == "DKK 145,000" and words.kroner(145_000, "da") == "145.000 kr."
    assert words.number(float("nan"), "en") == "n/a" and words.number(None, "da") == "–"
    assert words.span(-3.1e6, 12e6, words.millions, "da") == "-3,1 til +12,0 mio. kr."
    assert words.span(-3.1e6, 12e6, words.millions, "en") == "-DKK 3.1m to +12.0m"


def test_an_unknown_language_is_refused_by_name():
    with pytest.raises(ValueError, match="language = 'de': one of en, da"):
        words.number(1, "de")


def test_every_service_budget_holder_and_account_has_a_name_in_both_languages():
    categories = {c for _, c in accounts()}
    for lang in words.LANGUAGES:
        for s in CATALOGUE:
            assert words.service_name(s.name, lang) != s.name
        for b in (*BUDGETS, "total"):
            assert words.budget_name(b, lang)
        for c in categories:
            assert c in words.ACCOUNT_NAMES or c in words.SERVICE_NAMES, c
            assert words.account_name(c, lang), c
    assert words.service_name("shelter", "da").startswith("§110-boformer")
    assert words.service_name("addiction_treatment", "da").startswith("Ambulant misbrugsbehandling")


def test_every_key_is_said_in_both_languages_with_the_same_fields():
    import string

    for key, texts in words.WORDS.items():
        assert set(texts) == set(words.LANGUAGES), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(t) if f} for t in texts.values()]
        assert all(f == fields[0] for f in fields), key
    assert words.say("kpi.year", "da", n=3) == "år 3"
    with pytest.raises(KeyError, match="no words for 'nope'"):
        words.say("nope")


def test_outcomes_are_said_in_the_model_s_english_and_in_danish():
    from model.compare import OUTCOME_WORDS

    for name, english in OUTCOME_WORDS.items():
        assert words.outcome_name(name, "en") == english  # one English: the model's, the report's too
        danish, unit = words.outcome_name(name, "da")
        assert danish != name and unit, name
    assert set(words.OUTCOME_DANISH) == set(OUTCOME_WORDS)
    assert words.outcome_name("qaly", "en") == ("quality-adjusted life-years", "QALYs")
    assert words.outcome_name("placements", "da") == ("børn anbragt uden for hjemmet (nye anbringelser)", "anbringelser")
    assert words.outcome_name("not_an_outcome", "da") == ("not_an_outcome", "")


def test_the_price_year_is_said_from_its_number():
    assert words.prices(2023, "en") == "2023 prices" and words.prices(2023, "da") == "2023-priser"
    assert words.prices(None, "en") == words.prices(None, "da") == "prices as given"  # the model's English
