"""The API docs in a real browser: drawn from the service's own files, with nothing
fetched from elsewhere, under the Content-Security-Policy the pages are served with."""

from urllib.parse import urlsplit

import pytest


@pytest.fixture
def offline(visitor):
    """The visitor's browser with no internet: a request to any other host is refused
    and written down."""
    local = urlsplit(visitor.base_url).netloc
    outside = []

    def route(route):
        if urlsplit(route.request.url).netloc == local:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    visitor.page.route("**/*", route)
    visitor.outside = outside
    return visitor


def _operations_drawn(page) -> set[str]:
    """Every operation Swagger UI draws, read while scrolling down the page: with a long
    description it keeps only the operations near the screen in the page."""
    seen: set[str] = set()
    for _ in range(400):
        seen.update(page.evaluate(
            "() => [...document.querySelectorAll('.opblock-summary')].map(e => e.innerText)"))
        at_end = page.evaluate(
            "() => window.innerHeight + window.scrollY >= document.body.scrollHeight - 2")
        if at_end:
            break
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(50)
    return seen


def _refused(page):
    return page.evaluate("() => window.__cspViolations")


def test_swagger_ui_draws_every_operation_with_no_internet_and_nothing_refused(offline):
    page = offline.page
    offline.log_in("reviewer")
    offline.outside.clear()  # the pages' own font (font-src allows the NHS's asset host)
    page.goto(offline.base_url + "/api/docs/")
    operations = page.locator(".opblock")
    operations.first.wait_for()
    assert len(_operations_drawn(page)) > 50
    assert page.get_by_text("Workforce integration programme tracker API").first.is_visible()
    assert offline.outside == []
    assert _refused(page) == []
    # and the way back to the service, above the documentation
    assert page.title() == "API documentation – Workforce integration tracker"
    page.get_by_role("link", name="Back to the service").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).path == "/"


def test_redoc_draws_the_reference_with_no_internet_and_nothing_else_refused(offline):
    page = offline.page
    offline.log_in("reviewer")
    offline.outside.clear()  # the pages' own font (font-src allows the NHS's asset host)
    page.goto(offline.base_url + "/api/redoc/")
    page.get_by_role("heading", name="Workforce integration programme tracker API").wait_for()
    assert page.locator("[data-section-id^='tag/']").count() > 5
    assert offline.outside == []
    # ReDoc's own footer logo is an image on its makers' site: the policy refuses it,
    # so even that is never fetched.
    assert [r for r in _refused(page) if "cdn.redoc.ly/redoc/logo" not in r] == []


def test_the_policy_refuses_a_script_written_into_the_page(offline):
    # given a page of the service
    page = offline.page
    offline.goto("/login/")
    # when something writes an inline script into it (as injected markup would)
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true;";
        document.body.append(script);
    }""")
    # then the browser does not run it, and says the policy refused it
    assert page.evaluate("() => window.injected === undefined")
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert _refused(page)[0].startswith("script-src")


def test_swagger_ui_meets_wcag_drawn_with_an_operation_open(visitor):
    # given the documentation, drawn from the schema
    page = visitor.page
    visitor.log_in("reviewer")
    page.goto(visitor.base_url + "/api/docs/")
    page.locator("#swagger-ui h1").wait_for()
    # then it has one h1, its own (the schema's title), and no serious violation
    assert page.locator("h1").count() == 1
    visitor.check_accessibility()
    # and none with an operation open: its parameters, responses and "Try it out"
    page.locator(".opblock-summary-control").first.click()
    page.locator(".opblock-body").first.wait_for()
    visitor.check_accessibility()


def test_redoc_meets_wcag(visitor):
    page = visitor.page
    visitor.log_in("reviewer")
    page.goto(visitor.base_url + "/api/redoc/")
    page.get_by_role("heading", name="Workforce integration programme tracker API").wait_for()
    # (the policy refuses ReDoc's logo from its makers' site: see the test above)
    visitor.check_axe()
