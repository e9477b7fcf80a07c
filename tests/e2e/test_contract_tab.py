"""The Contract tab in headless chromium (fixtures: conftest.py): an investor picks a
contract preset in the sidebar, presses Reset, opens the Contract tab and reads the term
sheet, the IRR in percent and the yearly cash flows per party; then runs the contract
over several seeds in the background and reads P(investor loss)."""

from __future__ import annotations

import re
import time

#: a known harmless JS error (tests/e2e/test_dashboard.py: only with altair charts, at first load)
BENIGN_JS_ERRORS = ("reading 'usermeta'",)


def assert_clean(dashboard):
    """No uncaught JS error, and nothing asked of any host but the server (offline)."""
    errors = [e for e in dashboard.page.js_errors if not any(b in e for b in BENIGN_JS_ERRORS)]
    assert not errors, errors
    assert not dashboard.page.external_requests, dashboard.page.external_requests

PRESET = "contract_youth_homelessness"  # a cap, a historical baseline and a first-loss guarantee


def test_an_investor_reads_the_contract_tab(dashboard, server_log):
    page = dashboard.page
    dashboard.select("Scenario preset", PRESET)
    dashboard.reset()
    dashboard.wait_for_text(re.compile(rf"Scenario {PRESET}"))
    page.get_by_role("tab", name="Contract", exact=True).click()

    # the term sheet in words, not dotted parameter paths
    dashboard.wait_for_text("Term sheet")
    sheet = page.locator(".term-sheet").inner_text()
    assert "The kommune (municipality), the outcome payer, pays for outcomes" in sheet
    assert "DKK 350,000 for each member housed for 12 consecutive months" in sheet
    assert "at most DKK 35.0m in outcome payments" in sheet
    assert "A foundation covers the investor's first losses, up to DKK 3.0m." in sheet
    assert "contract.payment" not in sheet
    dashboard.wait_for_text(re.compile(r"^Cohort: recruited \d+ of the 100 contracted places"))

    # the investor's figures with units: the IRR in percent, the multiple, the money
    metrics = page.locator(".contract-metrics").inner_text()
    assert re.search(r"investor's return a year \(IRR\)\s+[+-]?\d+\.\d% (a year|\(nothing came back\))", metrics), metrics
    assert re.search(r"money multiple \(money back per krone invested\)\s+\d+\.\d\d×", metrics), metrics
    assert re.search(r"outcome payments\s+DKK [\d.]+m of the DKK 35\.0m cap", metrics), metrics

    # the yearly cash flows per party, the sign stated above the table, and the chart
    dashboard.wait_for_text(re.compile(r"^\+ = money in \(or saved\) for that party"))
    yearly = page.locator(".contract-yearly").inner_text()
    for party in ("investor", "provider", "guarantor (foundation)", "kommune (municipality) (outcome payer)",
                  "region", "state", "all public budgets"):
        assert party in yearly, (party, yearly)
    assert "start (month 0)" in yearly and "year 5 (months 49-60)" in yearly and "total" in yearly
    assert re.search(r"start \(month 0\)\s+-23\.20", yearly), yearly
    page.locator("main img:visible").first.wait_for()

    # over several seeds, in the background, with a progress bar
    t0 = time.perf_counter()
    dashboard.click("Run the replications")
    loss = re.compile(r"The investor loses money in \d+ of 10 runs: P\(investor loss\) = \d+%\.")
    dashboard.wait_for_text(loss, timeout_ms=180_000)
    print(f"\n[e2e] contract replications (10 seeds, {PRESET}): {time.perf_counter() - t0:.1f} s")
    answer = page.locator(".contract-loss").inner_text()
    assert loss.search(answer) and re.search(r"Without the first-loss guarantee: \d+ of 10 runs", answer), answer
    band = page.locator(".contract-replications").inner_text()
    assert re.search(r"investor's return a year \(IRR\)\s+[+-]?\d+\.\d%\s+[+-]?\d+\.\d% to [+-]?\d+\.\d%", band), band
    assert re.search(r"outcome payments \(cap reached in \d+ of 10 runs; cap DKK 35\.0m\)\s+DKK [\d.]+m\s+DKK [\d.]+m "
                     r"to [\d.]+m", band), band
    print(f"[e2e] {answer}")
    log = server_log()
    assert "Traceback" not in log, log[-3000:]
    assert_clean(dashboard)
