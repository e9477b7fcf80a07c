"""The dashboard in headless chromium against `solara run app.py` (fixtures: conftest.py).

One journey per test, each on a fresh page that starts with Reset: step and watch the
counters and plots move, switch governance, look at every tab, push controls to their
ends. The first test also takes the README's screenshot of one run explored
(docs/dashboard-explore.png).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Known harmless JS error: solara's altair widget calls vega-embed after Mesa's first
# re-render already removed its element (only with altair charts, only at first load).
BENIGN_JS_ERRORS = ("reading 'usermeta'",)


def js_errors(dashboard) -> list[str]:
    return [e for e in dashboard.page.js_errors if not any(b in e for b in BENIGN_JS_ERRORS)]


def assert_clean(dashboard):
    """No uncaught JS error, and nothing asked of any host but the server (offline)."""
    assert not js_errors(dashboard), js_errors(dashboard)
    assert not dashboard.page.external_requests, dashboard.page.external_requests


def counters(dashboard) -> str:
    return dashboard.page.locator(".counters").inner_text()


def wait_for_plots(dashboard, n: int) -> list[str]:
    dashboard.page.locator("main img:visible").nth(n - 1).wait_for()
    return dashboard.plot_sources()


def test_steps_move_counters_and_plots_then_governance_switches(dashboard):
    page = dashboard.page
    t0 = time.perf_counter()
    page.reload()  # a new session: time the first render, then the whole overview
    page.get_by_role("tab", name="Results over runs").wait_for()
    dashboard.wait_for_text(re.compile("press Run"))  # the page opens on the answer's controls
    page.get_by_role("tab", name="Pathways and money").click()
    page.locator("main img:visible").nth(2).wait_for()
    dashboard.wait_for_text(re.compile(r"^Time: 0"))
    first_render = time.perf_counter() - t0
    print(f"\n[e2e] first render (page load -> counters and all overview plots): {first_render:.1f} s")
    assert first_render < 15  # issue 7 asks < 5 s; measured ~2-4 s (README), loose here for slow CI
    assert dashboard.steps() == 0
    dashboard.wait_for_text(re.compile(r"Scenario housing_first · governance siloed"))
    before_plots, before_counters = wait_for_plots(dashboard, 3), counters(dashboard)
    assert re.search(r"Month\s+0\b", before_counters), before_counters

    t0 = time.perf_counter()
    dashboard.step(4)
    step_seconds = (time.perf_counter() - t0) / 4
    assert dashboard.steps() == 4, dashboard.counter()
    after_counters = counters(dashboard)
    assert re.search(r"Month\s+4\b", after_counters) and after_counters != before_counters
    after_plots = dashboard.plot_sources()
    assert len(after_plots) == len(before_plots) >= 3
    assert all(a != b for a, b in zip(before_plots, after_plots)), "a plot did not change after stepping"
    print(f"\n[e2e] Step -> counter updated: {1000 * step_seconds:.0f} ms per step (browser round trip)")

    dashboard.select("Governance mode", "coordinated: one case per citizen")
    dashboard.reset()
    dashboard.wait_for_text(re.compile(r"governance coordinated"))
    render_interval = page.get_by_role("slider", name="Render Interval (steps)")
    render_interval.focus()
    for _ in range(5):  # 1 -> 11 months per press of Step
        render_interval.press("ArrowRight")
    dashboard.step(3)
    assert dashboard.steps() == 33, dashboard.counter()
    assert re.search(r"Month\s+33\b", counters(dashboard))
    assert "Who pays, who saves" in dashboard.text()

    page.set_viewport_size({"width": 1400, "height": 1450})
    page.wait_for_timeout(500)
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "dashboard-explore.png"))  # one run explored (README)
    assert_clean(dashboard)


def test_every_tab_shows_its_views(dashboard):
    page = dashboard.page
    dashboard.step(2)
    page.get_by_role("tab", name="Flows and services").click()
    page.get_by_text("since month 1").wait_for()
    flows = wait_for_plots(dashboard, 2)
    dashboard.step()
    assert all(a != b for a, b in zip(flows, dashboard.plot_sources()))

    page.get_by_role("tab", name="Citizen").click()
    dashboard.wait_for_text(re.compile(r"^Citizen 0 now:"))
    page.get_by_role("button", name="Most costly so far").click()
    dashboard.wait_for_text(re.compile(r"^Citizen [1-9]\d* now:"))

    page.get_by_role("tab", name="Contract").click()
    dashboard.wait_for_text(re.compile(r"no outcome contract"))

    page.get_by_role("tab", name="Children").click()
    dashboard.wait_for_text(re.compile(r"Family programmes funded"))
    page.locator(".child-counters").wait_for()
    figure = page.locator("main img:visible").first  # children by placement; placements so far
    figure.wait_for()
    before = figure.get_attribute("src")
    dashboard.step()
    page.wait_for_function("([el, old]) => el.src !== old", arg=[figure.element_handle(), before])

    page.get_by_role("tab", name="Pathways and money").click()
    network = page.locator("main img:visible").first
    network.wait_for()
    before = network.get_attribute("src")
    dashboard.select("Colour citizens by", "justice")
    page.wait_for_function("([el, old]) => el.src !== old", arg=[network.element_handle(), before])
    assert_clean(dashboard)


def test_extreme_controls_never_break_the_page(dashboard):
    for end, size in (("max", "10,000"), ("min", "100")):
        dashboard.slider_to("Citizens", end)
        dashboard.slider_to("All service capacities (x preset)", "min")  # every capacity 0
        dashboard.reset()
        dashboard.wait_for_text(re.compile(rf"· {size} citizens at the start"))
        dashboard.step(2)
        assert re.search(r"Month\s+2\b", counters(dashboard))
    dashboard.page.get_by_label("Seed", exact=True).fill("not a seed")
    dashboard.page.get_by_label("Seed", exact=True).press("Enter")
    dashboard.reset()
    dashboard.wait_for_text(re.compile(r"Settings rejected: seed = 'not a seed'"))
    dashboard.step()
    assert_clean(dashboard)


def test_every_asset_was_served_locally(dashboard, server_log):
    """The page drew (above) with no internet: the server fetched nothing from a CDN."""
    dashboard.step()
    assert "Could not load URL" not in server_log(), server_log()[-3000:]
    assert_clean(dashboard)


def test_play_and_switching_tabs_never_freezes_the_page(dashboard, server_log):
    """Issue 14: a tab switch during Play froze the page (the browser kept the month it
    showed while the server stepped on; DashboardModel.wait_for_the_page). Play, visit
    every tab three times: the months still move on the page; pause: it still steps, and
    the server logged no render error."""
    page = dashboard.page
    tabs = [t.inner_text().strip() for t in page.get_by_role("tab").all()]
    dashboard.click("▶")
    for _ in range(3):
        for name in tabs:
            page.get_by_role("tab", name=name, exact=True).click()
            page.wait_for_timeout(400)
    still_playing = dashboard.steps()
    page.wait_for_timeout(3000)
    played = dashboard.steps()
    assert played > still_playing > 0, f"the page stopped showing Play's months at {played}"
    dashboard.click("❚❚")
    page.get_by_role("button", name="Step", exact=True).wait_for()
    played = dashboard.steps()
    dashboard.step()
    assert dashboard.steps() > played
    log = server_log()
    assert "Too many renders" not in log and "Traceback" not in log, log[-3000:]
    assert_clean(dashboard)
