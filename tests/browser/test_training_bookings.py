"""Training from offer to trained workers, in a real browser, each page checked with axe:
a provider publishes an offer in two sessions, a partner lead books places from the
catalogue, the programme's manager approves them, the provider confirms them and, once
the session has started, records that everyone completed, and the need shows as met."""

import datetime

from django.utils import timezone

from learning import services as learning_services
from learning.models import LearningNeed, Placement, TrainingOffer
from programmes.models import Membership

from .test_running_a_programme import log_in, log_out, message

TITLE = "Falls prevention in the home: a practical course"


def test_an_offer_in_two_sessions_is_booked_approved_confirmed_and_meets_the_need(visitor):
    page = visitor.page
    today = timezone.localdate()
    lead = Membership.objects.get(user__username="lead", role=Membership.Role.PARTNER_LEAD)
    need = learning_services.need_create(
        actor=lead.user, programme=lead.programme, partner=lead.partner,
        principle=lead.programme.framework.principles.order_by("number").first(),
        staff_group="Home care workers", topic="Falls prevention", workers_count=3)

    # given the provider, who adds an offer starting earlier today and running a week
    log_in(visitor, "provider")
    visitor.click("link", name="Our offers")
    visitor.click("link", name="Add a training offer")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Topics").fill("falls prevention, home care")
    page.get_by_label("Format").select_option("workshop")
    page.get_by_label("Capacity").fill("10")
    page.get_by_label("Cost per place in pounds").fill("1020.00")
    visitor.click("button", name="Save as a draft")
    offer = TrainingOffer.objects.get(title=TITLE)

    # when they set its first session's times and add a second session
    visitor.click("link", name=f"Bookings and sessions of {TITLE}")
    visitor.click("link", name="Change the session")
    visitor.fill_date("Start date (optional)", today)
    page.get_by_label("Start time").fill("00:00")
    visitor.fill_date("End date (optional)", today + datetime.timedelta(days=7))
    page.get_by_label("End time").fill("16:30")
    page.get_by_label("Place (optional)").fill("Mill Lane campus")
    visitor.click("button", name="Save the session")
    assert "Session saved" in message(page)
    visitor.click("link", name="Add a session")
    visitor.fill_date("Start date (optional)", today + datetime.timedelta(days=30))
    page.get_by_label("Start time").fill("09:30")
    page.get_by_label("Online").check()
    page.get_by_label("Number of places").fill("8")
    visitor.click("button", name="Save the session")
    assert "Session added" in message(page)
    assert page.get_by_test_id("session").count() == 2
    # the pages that ask first pass too: removing a session, withdrawing the offer
    second = offer.sessions.order_by("-starts_at").first()
    visitor.goto(f"/sessions/{second.pk}/delete/")
    visitor.goto(f"/offers/{offer.pk}/withdraw/")
    visitor.click("link", name="Our offers")
    visitor.click("button", name=f"Publish {TITLE}")
    offer.refresh_from_db()
    assert (offer.status, offer.capacity) == ("published", 18)
    log_out(visitor)

    # when the partner lead books places for the need from the catalogue
    log_in(visitor, "lead")
    visitor.click("link", name="Training catalogue")
    visitor.click("link", name=TITLE)
    assert "£1,020.00 a place" in page.locator("main").inner_text()
    assert page.get_by_test_id("sessions").locator("tbody tr").count() == 2
    page.get_by_label("Learning need").select_option(str(need.pk))
    page.locator("input[name=session]").first.check()
    page.get_by_label("Number of places").fill("3")
    page.get_by_label("Learners' names (optional)").fill("Sam Jones\nAli Khan\nJo Price")
    visitor.click("button", name="Book places")

    # then the places are requested and wait for approval
    said = message(page)
    assert "3 places requested" in said and "waits for approval" in said
    placement = Placement.objects.get(learning_need=need)
    assert placement.status == "requested"
    row = page.get_by_test_id("placements").locator("tr").filter(has_text=TITLE)
    assert "Requested – waiting for approval" in row.inner_text()
    log_out(visitor)

    # when the programme's manager approves them
    log_in(visitor, "manager")
    visitor.goto(f"/learning-needs/{need.pk}/")
    visitor.click("button", name=f"Approve 3 places on {TITLE}")
    assert "approved" in message(page)
    row = page.get_by_test_id("placements").locator("tr").filter(has_text=TITLE)
    assert "Approved – waiting for the provider" in row.inner_text()
    log_out(visitor)

    # and the provider confirms them and records that all three completed
    log_in(visitor, "provider")
    visitor.click("link", name="Our offers")
    visitor.click("link", name=f"Bookings and sessions of {TITLE}")
    who = f"3 places for {need.partner.name}"
    visitor.click("button", name=f"Confirm {who}")
    assert "confirmed" in message(page)
    visitor.click("link", name=f"Record attendance for {need.partner.name}")
    page.get_by_label("Number who attended").fill("3")
    page.get_by_label("Number who completed the training").fill("3")
    visitor.click("button", name="Record attendance")
    assert "3 attended, 3 completed. The need is now met." in message(page)
    log_out(visitor)

    # then the lead sees the need met by its trained workers
    log_in(visitor, "lead")
    visitor.goto(f"/learning-needs/{need.pk}/")
    main = page.locator("main").inner_text()
    assert "3 of 3 workers have completed training" in main
    row = page.get_by_test_id("placements").locator("tr").filter(has_text=TITLE)
    assert "Confirmed" in row.inner_text() and "3 attended, 3 completed" in row.inner_text()
    need.refresh_from_db()
    assert (need.status, need.workers_trained) == (LearningNeed.Status.MET, 3)
