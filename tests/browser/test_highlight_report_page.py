"""The highlight report page in a real browser: inside the service, accessible, on a
phone with no sideways scroll, and printed as the report alone."""

from programmes.models import Programme


def _report_path():
    programme = Programme.objects.order_by("pk").first()
    return programme, f"/api/v1/programmes/{programme.pk}/highlight-report/?format=html"


def test_the_report_page_is_in_the_service_and_leads_back(visitor):
    # given a manager signed in
    programme, path = _report_path()
    visitor.log_in("manager")
    page = visitor.page

    # when they open the highlight report (checked with axe and the policy)
    visitor.goto(path)

    # then it is a page of the service, named for the programme, with its PDF a click away
    assert page.title() == f"Highlight report – {programme.name} – Workforce integration tracker"
    assert page.locator("h1").count() == 1
    assert page.locator("header.nhsuk-header").is_visible()
    assert page.get_by_role("link", name="Download PDF").is_visible()
    breadcrumbs = page.get_by_role("navigation", name="Breadcrumb")
    assert breadcrumbs.get_by_role("link", name="Programmes").is_visible()
    # and the way back takes them to the programme
    page.get_by_role("link", name=f"Back to {programme.name}").last.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/programmes/{programme.pk}/")


def test_the_report_page_fits_a_phone_and_prints_the_report_alone(visitor):
    _, path = _report_path()
    visitor.log_in("reviewer")
    page = visitor.page

    # on a phone 320 pixels wide, the report fits its column: each table row becomes a
    # card of its figures, each with its heading (the NHS responsive table)
    page.set_viewport_size({"width": 320, "height": 640})
    visitor.goto(path)
    # (the header's navigation is the layout's own, checked with every page)
    beyond = page.evaluate("""() => [...document.querySelectorAll(
            '.nhsuk-breadcrumb *, main *')]
        .filter(e => !e.closest('thead, .nhsuk-u-visually-hidden'))
        .filter(e => e.getBoundingClientRect().right > 320)
        .map(e => e.tagName + '.' + e.className)""")
    assert beyond == []
    card = page.locator("table.report-funding tbody tr").first
    assert "Still available" in card.inner_text()

    # printed, the header, footer, breadcrumbs and download link are left off; the text
    # is black and the tables ruled
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    for hidden in ("header.nhsuk-header", "footer.nhsuk-footer", "nav.nhsuk-breadcrumb",
                   ".report-downloads"):
        assert not page.locator(hidden).is_visible(), hidden
    assert page.locator("h1").is_visible()
    assert page.evaluate("() => getComputedStyle(document.querySelector('h2')).color") \
        == "rgb(0, 0, 0)"
    cell = page.locator("table.report-principles td").first
    assert cell.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
