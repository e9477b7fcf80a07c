"""The page in Danish, in headless chromium (fixtures: conftest.py).

A Danish user sets the Citizens slider to its end, switches the page to Dansk, and reads
Danish on every tab; the sidebar's labels follow the page and keep the choices made in
English, and Reset still builds the model chosen there; back in English, nothing is lost.
"""

from __future__ import annotations

import re

#: a known harmless JS error (tests/e2e/test_dashboard.py: only with altair charts, at first load)
BENIGN_JS_ERRORS = ("reading 'usermeta'",)

#: every tab by its Danish name, with a heading or text it shows in Danish
DANISH_TABS = {
    "Resultater over kørsler": "og tryk Kør",
    "Forløb og økonomi": "Hvem betaler, hvem sparer",
    "Overgange og indsatser": "siden måned 1 (ellers: seneste måned)",
    "Borger": re.compile(r"^Borger 0 nu: bolig: "),
    "Kontrakt": "Dette scenarie har ingen resultatkontrakt",
    "Finansiering og ændringer": "Finansierede pladser pr. indsats",
    "Børn": "Børnenes økonomi pr. budgetholder",
}


def slider_value(page, label: str) -> tuple[str | None, str | None]:
    slider = page.get_by_role("slider", name=label, exact=True)
    slider.wait_for(state="attached")  # the thumb has no size of its own: "hidden" to playwright
    return slider.get_attribute("aria-valuenow"), slider.get_attribute("aria-valuemax")


def test_a_danish_user_reads_every_tab_in_danish_and_keeps_the_sidebar_s_choices(dashboard):
    page = dashboard.page
    dashboard.step(2)
    dashboard.slider_to("Citizens", "max")
    assert slider_value(page, "Citizens") == ("10000", "10000")

    page.get_by_role("button", name="Dansk", exact=True).click()
    page.get_by_role("tab", name="Forløb og økonomi", exact=True).wait_for()
    assert slider_value(page, "Borgere") == ("10000", "10000")  # the label changed, the choice stayed
    assert page.get_by_role("slider", name="Citizens", exact=True).count() == 0
    for tab, text in DANISH_TABS.items():
        page.get_by_role("tab", name=tab, exact=True).click()
        dashboard.wait_for_text(text)
    page.get_by_role("tab", name="Borger", exact=True).click()
    page.get_by_role("button", name="Dyreste indtil nu", exact=True).click()
    dashboard.wait_for_text(re.compile(r"^Borger [1-9]\d* nu: bolig: "))

    dashboard.reset()  # Mesa's buttons keep their English names
    dashboard.wait_for_text(re.compile(r"· 10\.000 borgere ved start"))  # the chosen model, said in Danish
    assert slider_value(page, "Borgere") == ("10000", "10000")
    page.get_by_role("tab", name="Børn", exact=True).click()
    dashboard.wait_for_text("Børnenes økonomi pr. budgetholder")

    page.get_by_role("button", name="English", exact=True).click()
    page.get_by_role("tab", name="Children", exact=True).wait_for()
    dashboard.wait_for_text("The children's money per budget holder")
    assert slider_value(page, "Citizens") == ("10000", "10000")
    errors = [e for e in page.js_errors if not any(b in e for b in BENIGN_JS_ERRORS)]
    assert not errors, errors
    assert not page.external_requests, page.external_requests
