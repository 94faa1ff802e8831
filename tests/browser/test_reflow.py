"""On a phone 320 px wide (WCAG 2.2 SC 1.4.10, reflow) no page scrolls sideways, and the
header's links that do not fit are in its "More" menu."""

from actions.models import Action
from learning.models import TrainingOffer
from programmes.models import Assessment, Gap, Programme

from .conftest import CSP_WATCH, PASSWORD

PHONE = {"width": 320, "height": 640}

# The page's width, and what sticks out furthest to name in a failure: the element whose
# right edge is largest outside any region that scrolls by itself (such as a heat map),
# or else (something positioned out of such a region) the largest of all.
WIDEST = """() => {
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  let free = null, freeRight = 0, any = null, anyRight = 0;
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    if (box.right > anyRight) { any = el; anyRight = box.right; }
    if (box.right > freeRight && !clipped(el)) { free = el; freeRight = box.right; }
  }
  const [widest, right] = freeRight > window.innerWidth ? [free, freeRight] : [any, anyRight];
  const name = !widest ? "nothing" : widest.tagName.toLowerCase() +
    (widest.id ? "#" + widest.id : "") +
    (typeof widest.className === "string" && widest.className.trim()
      ? "." + widest.className.trim().split(/\\s+/).join(".") : "") +
    ` "${(widest.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60)}"`;
  return {width: document.documentElement.scrollWidth, right: Math.round(right), name};
}"""


def phone(browser, **options):
    context = browser.new_context(viewport=PHONE, locale="en-GB", timezone_id="Europe/London",
                                  **options)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def log_in(page, base_url, username):
    page.goto(base_url + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def sideways_scroll(page):
    """None when the page fits the screen, otherwise what sticks out."""
    found = page.evaluate(WIDEST)
    if found["width"] <= PHONE["width"]:
        return None
    return (f"{page.url} is {found['width']} px wide at {PHONE['width']} px; "
            f"widest: {found['name']} (right edge at {found['right']} px)")


def manager_pages():
    programme = Programme.objects.get()
    gap = Gap.objects.filter(programme=programme, actions__isnull=False).order_by("pk").first()
    action = Action.objects.filter(gap__programme=programme).order_by("pk").first()
    offer = TrainingOffer.objects.filter(status="published").order_by("pk").first()
    assessment = Assessment.objects.filter(cycle__programme=programme,
                                           status="submitted").order_by("pk").first()
    return {
        "programmes": "/",
        "dashboard": f"/programmes/{programme.pk}/",
        "gap register": f"/programmes/{programme.pk}/gaps/",
        "a gap": f"/gaps/{gap.pk}/",
        "action board": f"/programmes/{programme.pk}/actions/",
        "my actions": "/actions/mine/",
        "an action": f"/actions/{action.pk}/",
        "funding": f"/programmes/{programme.pk}/funding/",
        "training catalogue": "/offers/",
        "an offer": f"/offers/{offer.pk}/",
        "progress of a principle": f"/programmes/{programme.pk}/principles/2/",
        "compare cycles": f"/programmes/{programme.pk}/compare/",
        "partners compared": f"/programmes/{programme.pk}/partners/",
        "learning needs": f"/programmes/{programme.pk}/learning-needs/",
        "joint commissioning": f"/programmes/{programme.pk}/joint-commissioning/",
        "an assessment": f"/assessments/{assessment.pk}/",
        "an assessment section": f"/assessments/{assessment.pk}/principles/1/",
        "your account": "/account/",
    }


def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, demo):
    # given the manager on a phone 320 px wide
    context, page = phone(browser)
    log_in(page, live_server.url, "manager")

    # when they visit the main pages of the service
    problems, visited = [], 0
    for name, path in manager_pages().items():
        answer = page.goto(live_server.url + path)
        assert answer.status == 200, f"{name} ({path}) answered {answer.status}"
        visited += 1
        problem = sideways_scroll(page)
        if problem:
            problems.append(f"{name}: {problem}")

    # then every one fits the screen
    context.close()
    assert visited == 18
    assert not problems, "pages that scroll sideways:\n" + "\n".join(problems)


def test_the_header_links_that_do_not_fit_are_in_the_more_menu(browser, live_server, demo):
    # given the manager on a phone, on their programme's dashboard
    context, page = phone(browser)
    log_in(page, live_server.url, "manager")
    page.goto(live_server.url + f"/programmes/{Programme.objects.get().pk}/")
    catalogue = page.locator(".nhsuk-header__navigation").get_by_role(
        "link", name="Training catalogue")
    more = page.get_by_role("button", name="More")

    # then "Training catalogue" is not cut off: it waits behind the visible "More" button
    assert more.is_visible()
    assert more.get_attribute("aria-expanded") == "false"
    assert not catalogue.is_visible()
    assert sideways_scroll(page) is None

    # when they open the menu
    more.click()

    # then it shows "Training catalogue", which takes them to the catalogue
    assert more.get_attribute("aria-expanded") == "true"
    assert catalogue.is_visible()
    catalogue.click()
    page.wait_for_load_state()
    assert page.url == live_server.url + "/offers/"
    assert page.get_by_role("heading", level=1).inner_text() == "Training catalogue"
    refused = page.evaluate("() => window.__cspViolations || []")
    context.close()
    assert not refused, "refused by the Content-Security-Policy:\n" + "\n".join(refused)


def test_without_javascript_the_header_links_wrap_and_all_show(browser, live_server, demo):
    # given the manager on a phone whose browser runs no JavaScript
    context, page = phone(browser, java_script_enabled=False)
    log_in(page, live_server.url, "manager")
    page.goto(live_server.url + "/")
    navigation = page.locator(".nhsuk-header__navigation")

    # then every link of the header shows, on more than one line, and no menu button
    for name in ("Programmes", "My actions", "Training catalogue"):
        assert navigation.get_by_role("link", name=name).is_visible(), name
    assert not page.get_by_role("button", name="More").is_visible()
    assert sideways_scroll(page) is None
    context.close()


def test_a_training_providers_pages_fit_a_phone(browser, live_server, demo):
    # given a training provider on a phone
    context, page = phone(browser)
    log_in(page, live_server.url, "provider")

    # when they open their offers, and the needs they could meet
    problems = []
    for path in ("/offers/mine/", "/offers/demand/", "/offers/new/"):
        answer = page.goto(live_server.url + path)
        assert answer.status == 200, f"{path} answered {answer.status}"
        problems.append(sideways_scroll(page))

    # then each page fits the screen
    context.close()
    assert problems == [None, None, None], "\n".join(p for p in problems if p)


def test_on_a_phone_the_date_boxes_keep_their_widths_side_by_side(browser, live_server, demo):
    # given the manager adding an action on a phone
    context, page = phone(browser)
    log_in(page, live_server.url, "manager")
    gap = Gap.objects.filter(status="open").order_by("pk").first()
    page.goto(f"{live_server.url}/gaps/{gap.pk}/actions/new/")

    # then the day and month boxes are narrow, the year a little wider, on one line
    boxes = {part: page.locator(f"#id_due_date-{part}").bounding_box()
             for part in ("day", "month", "year")}
    context.close()
    assert boxes["day"]["width"] < 80 and boxes["month"]["width"] < 80
    assert boxes["day"]["width"] < boxes["year"]["width"] < 120
    assert boxes["day"]["y"] == boxes["month"]["y"] == boxes["year"]["y"]
