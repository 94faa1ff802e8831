"""Several voices in a real browser: a partner lead asks a person who draws on care for
their views; the person opens the e-mailed link on a phone-sized screen, makes an account
and rates three statements; the lead then sees where views split and records the agreed
rating. Every page is checked with axe, and the person's pages for sideways scrolling."""

import re

import pytest
from django.contrib.auth import get_user_model

from programmes import contributions, services
from programmes.models import Assessment, Contribution, Membership, Response

from .conftest import CSP_WATCH, Visitor
from .test_running_a_programme import demo_programme, log_in, log_out, mail_dir, message

__all__ = ["mail_dir"]  # the fixture, used by name

PHONE = {"width": 320, "height": 640}
PASSWORD = "river-lantern-orchid-27"


def _a_draft_to_ask_about():
    """A partner lead of the demo programme and a draft of their partner in the open cycle."""
    programme = demo_programme()
    cycle = services.cycle_open_now(programme.cycles.all())
    for membership in (Membership.objects.active().filter(
            programme=programme, role="partner_lead").select_related("user", "partner")
            .order_by("user__username")):
        draft = Assessment.objects.filter(cycle=cycle, partner=membership.partner).first()
        if draft is None:
            draft = services.assessment_create(actor=membership.user, cycle=cycle,
                                               partner=membership.partner)
        if draft.status == Assessment.Status.DRAFT:
            return membership.user, draft
    raise AssertionError("the demo has no partner lead with a draft to ask about")


def _no_sideways_scroll(page):
    width = page.evaluate("() => document.documentElement.scrollWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 321)
        .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' +
                         Math.round(e.getBoundingClientRect().right))""")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide at 320 px: {wide}"


@pytest.mark.django_db(transaction=True)
def test_a_person_supported_gives_views_on_a_phone_and_the_lead_agrees_the_rating(
        visitor, mail_dir, browser):
    page = visitor.page
    lead, draft = _a_draft_to_ask_about()
    principle = draft.cycle.programme.framework.principles.get(number=1)
    items = list(principle.items.filter(is_active=True).order_by("order"))
    first = items[0]
    # given two colleagues whose views on the first statement are far apart
    User = get_user_model()
    for name, perspective, rating in (("views.staff", "staff", "met"),
                                      ("views.carer", "carer", "not_met")):
        voice = User.objects.create_user(username=name, email=f"{name}@example.org")
        contributions.contributor_add(actor=lead, assessment=draft, user=voice,
                                      perspective=perspective, checklist_items=[first],
                                      tell=False)
        contributions.contribution_save(actor=voice, assessment=draft, checklist_item=first,
                                        rating=rating, comment=f"What {name} saw")

    # when the lead asks a person who draws on care for their views on principle 1
    log_in(visitor, lead.username)
    visitor.goto(f"/assessments/{draft.pk}/")
    visitor.click("link", name="People giving their views")
    page.get_by_label("Their e-mail address").fill("pat.jones@example.org")
    page.get_by_label("A person who draws on care and support").check()
    page.get_by_label(f"1. {principle.title}").check()
    visitor.click("button", name="Ask for their views")
    assert "pat.jones@example.org is asked for their views" in message(page)
    log_out(visitor)

    # then the person gets an e-mail with a link
    mail = next(p.read_text(encoding="utf-8") for p in sorted(mail_dir.iterdir())
                if "To: pat.jones@example.org" in p.read_text(encoding="utf-8"))
    link = re.findall(r"https?://\S+/invitations/[^/\s]+/", mail)[0]

    # when they open it on a phone-sized screen and make their account
    context = browser.new_context(viewport=PHONE, locale="en-GB", timezone_id="Europe/London",
                                  is_mobile=True, has_touch=True)
    context.add_init_script(CSP_WATCH)
    phone = Visitor(context.new_page(), visitor.base_url)
    p = phone.page
    p.goto(link)
    phone.check_accessibility()
    _no_sideways_scroll(p)
    assert p.get_by_role("heading", level=1).inner_text().startswith("Give your views on")
    p.get_by_label("First name").fill("Pat")
    p.get_by_label("Last name").fill("Jones")
    p.get_by_label("Choose a password").fill(PASSWORD)
    p.get_by_label("Type the password again").fill(PASSWORD)
    phone.click("button", name="Make my account and start")
    _no_sideways_scroll(p)
    phone.click("button", name="Start now")

    # and rate three statements, one a page
    for number, answer in enumerate(("Partly", "Yes, this happens", "No, not yet"), start=1):
        _no_sideways_scroll(p)
        assert f"Statement {number} of {len(items)}" in p.locator("legend").inner_text()
        p.get_by_label(answer, exact=True).check()
        if number == 1:
            p.get_by_label("Tell us more (optional)").fill("Evenings are hard to cover.")
        phone.click("button", name="Save and continue")
    context.close()

    # then their three views are kept, as a person who draws on care
    person = User.objects.get(email="pat.jones@example.org")
    given = Contribution.objects.filter(assessment=draft, contributor=person)
    assert sorted(given.values_list("checklist_item__order", "rating")) == sorted(
        zip([i.order for i in items[:3]], ["partly_met", "met", "not_met"], strict=True))
    assert set(given.values_list("perspective", flat=True)) == {"person_supported"}

    # when the lead opens principle 1 of the assessment again
    log_in(visitor, lead.username)
    visitor.goto(f"/assessments/{draft.pk}/principles/1/")
    views = page.get_by_test_id(f"agreement-{first.code}").inner_text()
    assert "Views split" in views

    # and records the agreed rating of the first statement, with how it was agreed
    group = page.locator(f"#item-{first.pk}")
    group.get_by_label("Partly met", exact=True).check()
    group.get_by_label("How you agreed the rating").fill(
        "We weighed the carer's and Pat's experience of evenings.")
    for item in items[1:]:
        page.locator(f"#item-{item.pk}").get_by_label("Met", exact=True).check()
    visitor.click("button", name="Save and continue")
    assert "Answers to principle 1 saved" in message(page)

    # then the agreed rating and its note are kept, in the answer and its history
    response = Response.objects.get(assessment=draft, checklist_item=first)
    assert response.rating == "partly_met"
    assert response.consensus_note.startswith("We weighed the carer's")
    assert response.history.first().consensus_note == response.consensus_note
