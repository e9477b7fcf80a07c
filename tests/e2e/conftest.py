"""Browser (end-to-end) test fixtures for the Solara/Mesa dashboard.

Every test in tests/e2e/ gets the ``e2e`` marker (deselect with ``-m "not e2e"``).

Fixtures:
  solara_server  (session) starts ``solara run app.py`` from the repo root on a free
                 port, waits until it answers, yields its base URL, stops it at the end.
  browser        (session) headless Debian chromium driven by the Playwright sync API.
  page           (function) a fresh browser context + page (screenshot on failure);
                 ``page.js_errors`` (uncaught JS exceptions) and ``page.external_requests``
                 (requests to any host but the server: must stay empty offline).
  dashboard      (function) a ``Dashboard``: ``page`` opened on the server, drawn, Reset;
                 helpers .step(n) .reset() .counter() .click(name) .wait_for_text(pattern)
                 .plot_sources(), which fail fast with the app's Python traceback when the
                 app crashed (Solara replaces the page by it), and .select(label, value),
                 .slider_to(label, "min"|"max"), .text(). Raw page: ``dashboard.page``.
  server_log     (function) a callable giving the server's stderr so far.

Missing chromium / playwright / solara / solara-assets / app.py: the tests are skipped
with the reason, except when the CI environment variable is set (CI=true), where they
fail instead. Install chromium with ``bash .ci/install_browser.sh``.

The server serves the browser's JS/CSS from the installed solara-assets folder, as
`./dev app` does; the server's stderr goes to E2E_ARTIFACTS/solara-server.err.log
(``SERVER_ERR_LOG``), where Solara logs any asset it had to fetch from a CDN.

Environment knobs: E2E_APP (app file, default app.py), CHROMIUM_PATH, E2E_SERVER_TIMEOUT
(seconds, default 90), E2E_ARTIFACTS (folder for failure screenshots and server logs),
E2E_CDN_ALIASES=1 (serve the alias folder of offline_assets.py: altair/Markdown pages).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import offline_assets  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
CHROMIUM_CANDIDATES = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
SERVER_TIMEOUT = float(os.environ.get("E2E_SERVER_TIMEOUT", "90"))
UI_TIMEOUT_MS = 60_000
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", Path(tempfile.gettempdir()) / "welfare-pathways-e2e"))
# persistent across runs, so the optional `npm pack` of katex happens once per machine
CDN_CACHE = Path(tempfile.gettempdir()) / "welfare-pathways-solara-cdn"
SERVER_ERR_LOG = ARTIFACTS / "solara-server.err.log"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str):
    """Skip locally; fail under CI (a missing browser must not pass silently there)."""
    if in_ci():
        pytest.fail(f"e2e prerequisite missing under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: end-to-end test in a real browser against `solara run app.py`")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def find_chromium() -> str | None:
    env = os.environ.get("CHROMIUM_PATH")
    for cand in [env, *CHROMIUM_CANDIDATES, shutil.which("chromium")]:
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no output)"


@pytest.fixture(scope="session")
def solara_server():
    """Start `solara run app.py` (from the repo root) and yield its base URL."""
    app = os.environ.get("E2E_APP", "app.py")
    if not (REPO_ROOT / app).is_file():
        unavailable(f"dashboard app {REPO_ROOT / app} does not exist")
    if importlib.util.find_spec("solara") is None:
        unavailable(f"solara is not installed in {sys.executable}")
    problem = offline_assets.check_assets(offline_assets.installed_assets_dir())
    if problem:
        unavailable(problem)
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="false", PYTHONUNBUFFERED="1")
    if os.environ.get("E2E_CDN_ALIASES"):  # for pages with altair charts or Markdown math (offline_assets.py)
        env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(offline_assets.prepare_cdn_cache(CDN_CACHE))
    # otherwise exactly what `./dev app` serves: the installed solara-assets folder

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out_log, err_log = ARTIFACTS / "solara-server.out.log", SERVER_ERR_LOG
    port = free_port()
    cmd = [
        sys.executable, "-m", "solara", "run", app,
        "--host", "127.0.0.1", "--port", str(port),
        "--no-check-version", "--no-open",
        "--production",  # no file watcher, no 'phone home' check iframe
    ]
    t0 = time.monotonic()
    with open(out_log, "w") as out, open(err_log, "w") as err:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"`{' '.join(cmd)}` exited with code {proc.returncode} before answering.\n"
                    f"--- server stderr ---\n{_tail(err_log)}\n--- server stdout ---\n{_tail(out_log)}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(url, timeout=5) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() - t0 > SERVER_TIMEOUT:
                pytest.fail(
                    f"solara server did not answer on {url} within {SERVER_TIMEOUT:.0f}s.\n"
                    f"--- server stderr ---\n{_tail(err_log)}\n--- server stdout ---\n{_tail(out_log)}",
                    pytrace=False,
                )
            time.sleep(0.25)
        print(f"\n[e2e] solara server answered on {url} after {time.monotonic() - t0:.1f}s", file=sys.stderr)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def server_log(solara_server):
    """The solara server's stderr so far (e.g. to check that no asset came from a CDN)."""
    return lambda: SERVER_ERR_LOG.read_text(errors="replace") if SERVER_ERR_LOG.exists() else ""


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium through Playwright (never Playwright's own download)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        unavailable(f"playwright (python package) is not installed ({e})")
    exe = find_chromium()
    if exe is None:
        unavailable("chromium not found (CHROMIUM_PATH, /usr/lib/chromium/chromium, /usr/bin/chromium); run `bash .ci/install_browser.sh`")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _is_external(url: str) -> bool:
    from urllib.parse import urlparse

    u = urlparse(url)
    return u.scheme in ("http", "https", "ws", "wss") and u.hostname not in ("127.0.0.1", "localhost")


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(UI_TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors  # uncaught JS exceptions, for tests that want to assert on them
    external: list[str] = []
    pg.on("request", lambda req: external.append(req.url) if _is_external(req.url) else None)
    pg.external_requests = external  # anything the page asked of a host other than the server
    yield pg
    failed = any(getattr(getattr(request.node, f"rep_{w}", None), "failed", False) for w in ("setup", "call"))
    if failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.nodeid)}.png"
        try:
            pg.screenshot(path=str(shot), full_page=True)
            print(f"\n[e2e] failure screenshot: {shot}", file=sys.stderr)
        except Exception as e:  # noqa: BLE001 - best effort
            print(f"\n[e2e] could not take failure screenshot: {e}", file=sys.stderr)
    context.close()


STEP_COUNTER = re.compile(r"^Time: ")
TRACEBACK = "Traceback (most recent call last)"
CLICK_TIMEOUT_MS = 20_000


class Dashboard:
    """A Mesa SolaraViz page with helpers that fail fast, showing the app's Python
    traceback, when the app crashed (Solara then replaces the whole page by it)."""

    def __init__(self, page, url: str):
        self.page = page
        self.url = url

    def crashed(self) -> str | None:
        crash = self.page.get_by_text(TRACEBACK).first
        return self.page.inner_text("body")[:6000] if crash.is_visible() else None

    def _fail_if_crashed(self, doing: str):
        text = self.crashed()
        if text:
            pytest.fail(f"the dashboard crashed while {doing}:\n{text}", pytrace=False)

    def wait_for_text(self, pattern, timeout_ms: float = UI_TIMEOUT_MS):
        """Wait until ``pattern`` (str or compiled regex) is shown, or fail on a crash."""
        wanted = self.page.get_by_text(pattern).first
        crash = self.page.get_by_text(TRACEBACK).first
        wanted.or_(crash).first.wait_for(timeout=timeout_ms)
        if not wanted.is_visible():
            self._fail_if_crashed(f"waiting for {pattern!r}")

    def click(self, name: str, timeout_ms: float = CLICK_TIMEOUT_MS):
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.get_by_role("button", name=name, exact=True).click(timeout=timeout_ms)
        except PlaywrightTimeout:
            self._fail_if_crashed(f"clicking {name!r}")
            raise

    def counter(self) -> str:
        """Mesa's sidebar step counter, e.g. 'Time: 3.0'."""
        return self.page.get_by_text(STEP_COUNTER).first.inner_text().strip()

    def steps(self) -> float:
        return float(self.counter().split(":", 1)[1])

    def step(self, times: int = 1):
        """Press Step ``times`` times, each time waiting for the counter to move."""
        for _ in range(times):
            before = self.counter()
            self.click("Step")
            self.wait_for_text(re.compile(rf"^Time: (?!{re.escape(before.split(':', 1)[1].strip())}$)"))

    def reset(self):
        """Reset and wait for 'Time: 0'. Steps once first unless at 0 already, so that an
        already-visible 'Time: 0' cannot be mistaken for a finished Reset."""
        if self.steps() == 0:
            self.step()
        self.click("Reset")
        self.wait_for_text(re.compile(r"^Time: 0(\.0)?$"))

    def plot_sources(self) -> list[str]:
        """``src`` of every visible <img> (the open tab's plots): they change after a Step.
        Tabs once opened stay in the page, hidden, and keep the month they last showed."""
        return self.page.locator("img:visible").evaluate_all("els => els.map(e => e.src)")

    def select(self, label: str, value: str):
        """Choose ``value`` in the (Vuetify) select labelled ``label``."""
        field = self.page.locator(".v-select").filter(has=self.page.locator("label", has_text=label)).first
        field.locator(".v-input__slot").click()
        self.page.locator(".menuable__content__active").get_by_role("option", name=value, exact=True).click()
        field.locator(".v-select__selection", has_text=value).wait_for()

    def slider_to(self, label: str, end: str):
        """Move the slider labelled ``label`` to its ``"min"`` or ``"max"`` end (keyboard)."""
        slider = self.page.get_by_role("slider", name=label)
        slider.focus()
        slider.press("Home" if end == "min" else "End")
        attr = "aria-valuemin" if end == "min" else "aria-valuemax"
        self.page.wait_for_function("([el, attr]) => el.getAttribute('aria-valuenow') === el.getAttribute(attr)",
                                    arg=[slider.element_handle(), attr])

    def text(self) -> str:
        """The main area's text (the sidebar excluded)."""
        return self.page.locator("main").inner_text()


@pytest.fixture
def dashboard(page, solara_server) -> Dashboard:
    """The dashboard drawn in ``page``, with the (module-level, shared) model Reset."""
    page.goto(solara_server)
    d = Dashboard(page, solara_server)
    d.wait_for_text(STEP_COUNTER)
    page.get_by_role("button", name="Step", exact=True).wait_for()
    d.reset()
    page.get_by_role("tab", name="Pathways and money").click()  # the page opens on the results over runs
    return d
