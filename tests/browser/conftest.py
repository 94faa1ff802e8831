"""Browser tests: Playwright driving the machine's Chromium against a live server.

They are skipped, with the reason, where Chromium or Playwright is missing; with
``BROWSER_TESTS=required`` (``.ci/run`` sets it, after installing Debian's chromium)
the run stops with an error instead. Playwright's own browser download is never used.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which(
    "chromium-browser")
AXE = Path(__file__).with_name("axe.min.js")
# Collects the page's Content-Security-Policy violations from before its first script.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} refused ${event.blockedURI || "inline"} ` +
    `(${event.sourceFile || "?"}:${event.lineNumber})`);
});
"""
AXE_SOURCE = AXE.read_text(encoding="utf-8")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "demo-tracker-2026"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None


@pytest.fixture(scope="module", autouse=True)
def _allow_orm_beside_playwright():
    """Playwright's synchronous API keeps an event loop running in this thread while a
    browser is open, and Django then refuses synchronous ORM calls. The calls the tests
    (and the database fixtures) make between page actions are synchronous and safe, so
    allow them while this module runs; the browser is module-scoped too, so no loop and
    no setting outlive the browser tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


def pytest_collection_modifyitems(config, items):
    reason = None
    if sync_playwright is None:
        reason = "Playwright is not installed"
    elif CHROMIUM is None:
        reason = "Chromium is not installed (.ci/run installs Debian's chromium)"
    browser_items = [item for item in items if "browser" in str(item.fspath)]
    if reason and browser_items and os.environ.get("BROWSER_TESTS") == "required":
        # .ci/run sets this: there the browser tests must run, never quietly skip.
        raise pytest.UsageError(f"{reason}, and BROWSER_TESTS=required")
    if reason:
        for item in browser_items:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def browser(_allow_orm_beside_playwright):
    """One Chromium per test module (see _allow_orm_beside_playwright)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", stdout=open(os.devnull, "w"))


class Visitor:
    """A person using the service: logs in, visits pages, and checks each one with axe."""

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.checked = []

    def goto(self, path):
        self.page.goto(self.base_url + path)
        self.check_accessibility()

    def log_in(self, username):
        self.goto("/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_load_state()
        self.check_accessibility()

    def fill_date(self, name, day, exact=False):
        """Types a date in the NHS date input whose legend is ``name``."""
        group = self.page.get_by_role("group", name=name, exact=exact)
        group.get_by_label("Day").fill(str(day.day))
        group.get_by_label("Month").fill(str(day.month))
        group.get_by_label("Year").fill(str(day.year))

    def click(self, *args, **kwargs):
        self.page.get_by_role(*args, **kwargs).click()
        self.page.wait_for_load_state()
        self.check_accessibility()

    def check_accessibility(self):
        """No serious or critical WCAG 2.2 A/AA violation on the page as it stands, and
        nothing on it refused by the Content-Security-Policy."""
        refused = self.page.evaluate("() => window.__cspViolations || []")
        assert not refused, f"refused by the CSP on {self.page.url}:\n" + "\n".join(refused)
        self.check_axe()

    def check_axe(self):
        """No serious or critical WCAG 2.2 A/AA violation on the page as it stands."""
        # axe arrives as Playwright's own evaluation (the DevTools protocol), which the
        # page's policy does not govern; a script tag would be refused, as it should be.
        self.page.evaluate(AXE_SOURCE)
        result = self.page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            AXE_TAGS,
        )
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")
        ]
        self.checked.append(self.page.url)
        assert not bad, f"accessibility violations on {self.page.url}:\n" + "\n".join(bad)


@pytest.fixture
def browser_context(browser):
    """A fresh browser profile that keeps the service's Content-Security-Policy (no
    ``bypass_csp``) and records anything the policy refuses."""
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  locale="en-GB", timezone_id="Europe/London")
    context.add_init_script(CSP_WATCH)
    yield context
    context.close()


@pytest.fixture
def visitor(browser_context, live_server, demo):
    page = browser_context.new_page()
    page.set_default_timeout(15_000)
    yield Visitor(page, live_server.url)
