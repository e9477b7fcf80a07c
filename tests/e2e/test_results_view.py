"""The results view in headless chromium (fixtures: conftest.py): the answer first, in
English and in Danish, and the README's screenshot of it (docs/dashboard.png).

A municipal analyst opens the page, picks Housing First by its name, 5 years and 5 runs,
presses Run, and reads one sentence, the NPV per budget holder with its band, the SØM
table year by year and what the money buys; then switches the page to Danish.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
HOUSING_FIRST = "Housing First with ACT support for homeless citizens"


def test_the_results_view_answers_in_one_sentence_with_bands_then_in_danish(dashboard):
    page = dashboard.page
    page.get_by_role("tab", name="Results over runs").click()
    dashboard.wait_for_text(re.compile("press Run"))
    dashboard.select("Policy", HOUSING_FIRST)
    dashboard.select("Horizon (years)", "5")
    dashboard.select("Runs (seeds)", "5")
    t0 = time.perf_counter()
    dashboard.click("Run")
    answer = page.locator(".results-answer")
    answer.wait_for(timeout=180_000)
    seconds = time.perf_counter() - t0
    print(f"\n[e2e] results view, Housing First, 5 runs x 5 years at 2,000 citizens: {seconds:.1f} s")

    sentence = answer.inner_text()
    assert sentence.startswith("housing_first against baseline, for Denmark"), sentence
    assert re.search(r"(breaks even in years? [\d-]+ in \d of 5 runs|does not break even in any run)", sentence)
    assert "Homeless person-years -" in sentence  # fewer homeless, with its band
    npv = page.locator(".results-table")
    assert npv.locator("tbody tr").count() == 4
    assert re.search(r"all public budgets\s+[+-]?DKK [\d,.]+m\s+[+-]?DKK [\d,.]+m to [+-]?[\d,.]+m", npv.inner_text())
    som = page.locator(".som-table")
    years = [r.inner_text().split("\t")[0] for r in som.locator("tbody tr").all()]
    assert years == ["1", "2", "3", "4", "5", "break-even year, median"], years
    assert " to " in som.locator("tbody tr").first.inner_text()  # the band beside each median
    outcomes = page.locator(".outcomes-table").inner_text()
    assert "homeless" in outcomes and "per DKK 1m invested" in outcomes and "QALYs" in outcomes
    assert "What the policy funds and changes" in dashboard.text()

    page.set_viewport_size({"width": 1400, "height": 1500})
    page.wait_for_timeout(300)
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "dashboard.png"))  # the README's picture: the answer first

    page.get_by_role("button", name="Dansk", exact=True).click()
    page.get_by_role("tab", name="Resultater over kørsler").wait_for()
    dashboard.wait_for_text(re.compile("^Housing First med ACT-støtte til hjemløse borgere mod"))
    danish = page.locator(".results-answer").inner_text()
    assert "mio. kr." in danish and "5 kørsler" in danish and "Personår i hjemløshed -" in danish
    assert "hele den offentlige sektor" in page.locator(".results-table").inner_text()
    assert re.search(r"-?\d+,\d mio\. kr\.", page.locator(".results-table").inner_text())  # decimal comma
    page.get_by_role("tab", name="Forløb og økonomi").click()
    dashboard.wait_for_text("Hvem betaler, hvem sparer")
    page.get_by_role("button", name="English", exact=True).click()
    page.get_by_role("tab", name="Pathways and money").wait_for()
    assert not page.js_errors
