"""An offer's pages: its public page and booking from it, the provider's page of its
sessions and bookings, adding and changing sessions, recording attendance, and
withdrawing with a page that says what the withdrawal cancels."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from learning import services as learning_services
from learning.models import FundingAllocation, LearningNeed, Placement, TrainingSession
from notifications.models import Notification

from .. import factories as f
from .conftest import outline

pytestmark = pytest.mark.django_db


def form_actions(html: str) -> set:
    return {form.get("action") for form in outline(html).forms}


def _at(days: int, hour: int = 9, minute: int = 30) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def cohorts(site):
    """The provider's published offer in two cohorts: 4 places, then 10."""
    return learning_services.offer_create(
        actor=site.world.provider_user, provider=site.world.provider,
        title="Dementia care in two cohorts", format="workshop",
        cost_per_place=Decimal("1020.00"), status="published", principles=[site.gap.principle],
        sessions=[{"starts_at": _at(20), "ends_at": _at(21, 16, 30), "capacity": 4,
                   "location": "Mill Lane campus"},
                  {"starts_at": _at(50), "ends_at": _at(50, 16, 0), "capacity": 10,
                   "online": True}])


def _sessions(offer):
    return list(TrainingSession.objects.filter(offer=offer).order_by("starts_at"))


# The public page ------------------------------------------------------------------------


def test_the_catalogue_links_each_offer_to_its_page_with_sessions_and_money(site, cohorts,
                                                                            as_user):
    client = as_user(site.world.reviewer)
    catalogue = client.get(reverse("web:catalogue")).content.decode()
    assert reverse("web:offer", args=[cohorts.pk]) in catalogue

    answer = client.get(reverse("web:offer", args=[cohorts.pk]))
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "£1,020.00 a place" in html and "Workshop" in html
    assert site.gap.principle.title in html
    first, second = _sessions(cohorts)
    when = timezone.localtime(first.starts_at)
    assert f"{when:%A %-d %B %Y}, 9:30am" in html
    assert "Mill Lane campus" in html and "Online" in html
    assert "14 of 14 free" in html
    # a reviewer books nothing: no booking form
    assert reverse("web:offer-book", args=[cohorts.pk]) not in form_actions(html)


@pytest.mark.parametrize("role,books", [("lead_a", True), ("manager", True), ("staff", True),
                                        ("lead_b", False), ("provider_user", False),
                                        ("reviewer", False)])
def test_the_booking_form_is_offered_to_those_who_book_for_a_need(site, cohorts, as_user,
                                                                  role, books):
    html = as_user(getattr(site.world, role)).get(
        reverse("web:offer", args=[cohorts.pk])).content.decode()
    assert (reverse("web:offer-book", args=[cohorts.pk]) in form_actions(html)) == books
    if books:
        assert site.need.topic in html


def test_a_lead_books_from_the_offer_page_and_is_told_the_request_waits_for_approval(
        site, cohorts, as_user):
    # given the lead of partner A on the offer's page
    client = as_user(site.world.lead_a)
    first, _ = _sessions(cohorts)

    # when they book 3 places on the first cohort, naming two learners
    answer = client.post(reverse("web:offer-book", args=[cohorts.pk]), {
        "learning_need": site.need.pk, "session": first.pk, "places": 3,
        "learners": "Sam Jones\n\nAli Khan\n"}, follow=True)

    # then the need page says the places are requested and wait for approval
    html = answer.content.decode()
    assert answer.redirect_chain[-1][0] == reverse("web:learning-need", args=[site.need.pk])
    assert "3 places requested on “Dementia care in two cohorts”" in html
    assert "waits for approval" in html
    assert "Requested – waiting for approval" in html
    placement = Placement.objects.get(learning_need=site.need)
    assert (placement.status, placement.places, placement.learners) == (
        "requested", 3, ["Sam Jones", "Ali Khan"])
    assert placement.session_id == first.pk
    # and the manager, who approves, is told (the lead who asked is not)
    f.deliver_events()
    assert Notification.objects.filter(recipient=site.world.manager,
                                       kind="placement_requested").exists()
    assert not Notification.objects.filter(recipient=site.world.lead_a,
                                           kind="placement_requested").exists()


def test_a_request_beyond_the_free_places_is_told_its_place_on_the_waiting_list(
        site, cohorts, as_user):
    w = site.world
    first, _ = _sessions(cohorts)
    other = f.LearningNeedFactory(programme=w.programme, partner=w.partner_b,
                                  topic="Dementia care", workers_count=4)
    learning_services.placement_book(actor=w.manager, learning_need=other, session=first,
                                     places=3)
    learning_services.placement_book(actor=w.manager, learning_need=other, session=first,
                                     places=2)  # waits first

    answer = as_user(w.lead_a).post(reverse("web:offer-book", args=[cohorts.pk]), {
        "learning_need": site.need.pk, "session": first.pk, "places": 2}, follow=True)

    html = answer.content.decode()
    assert "is on the waiting list, number 2" in html
    placement = Placement.objects.get(learning_need=site.need)
    assert placement.status == "waitlisted"
    assert "Number 2 on the waiting list" in html
    offer_page = as_user(w.lead_a).get(reverse("web:offer", args=[cohorts.pk])).content.decode()
    assert "4 places" in offer_page  # two requests wait on the first cohort


def test_booking_without_a_session_or_a_need_is_told_in_plain_words(site, cohorts, as_user):
    answer = as_user(site.world.lead_a).post(reverse("web:offer-book", args=[cohorts.pk]),
                                             {"places": ""})
    html = answer.content.decode()
    assert answer.status_code == 400
    assert "Select the learning need" in html and "Select the session" in html
    assert "Enter the number of places" in html
    assert "This field is required" not in html
    assert not Placement.objects.exists()


def test_a_lead_of_another_partner_cannot_book_for_this_partners_need(site, cohorts,
                                                                      as_user):
    first, _ = _sessions(cohorts)
    f.LearningNeedFactory(programme=site.world.programme, partner=site.world.partner_b)
    answer = as_user(site.world.lead_b).post(reverse("web:offer-book", args=[cohorts.pk]), {
        "learning_need": site.need.pk, "session": first.pk, "places": 1})
    assert answer.status_code == 403
    assert "can book places" in answer.content.decode()
    assert not Placement.objects.filter(learning_need=site.need).exists()


def test_arriving_from_a_need_chooses_that_need(site, cohorts, as_user):
    url = reverse("web:offer", args=[cohorts.pk]) + f"?need={site.need.pk}"
    html = as_user(site.world.manager).get(url).content.decode()
    assert f'<option value="{site.need.pk}" selected>' in html


# The provider's page of the offer -------------------------------------------------------


@pytest.fixture
def booked(site, cohorts):
    """On the first cohort: an approved booking, a request and one waiting."""
    w = site.world
    first, _ = _sessions(cohorts)
    other = f.LearningNeedFactory(programme=w.programme, partner=w.partner_b,
                                  topic="Dementia care", workers_count=6)
    approved = learning_services.placement_book(actor=w.lead_a, learning_need=site.need,
                                                session=first, places=2, learners=["Sam Jones"])
    learning_services.placement_approve(actor=w.manager, placement=approved)
    requested = learning_services.placement_book(actor=w.lead_b, learning_need=other,
                                                 session=first, places=2)
    waiting = learning_services.placement_book(actor=w.lead_b, learning_need=other,
                                               session=first, places=3)
    return {"approved": approved, "requested": requested, "waiting": waiting,
            "first": first, "other": other}


@pytest.mark.parametrize("role,status", [("provider_user", 200), ("staff", 200),
                                         ("manager", 403), ("lead_a", 403),
                                         ("outsider", 200)])
def test_the_bookings_page_is_the_providers(site, cohorts, as_user, role, status):
    answer = as_user(getattr(site.world, role)).get(
        reverse("web:offer-bookings", args=[cohorts.pk]))
    if role == "outsider":  # a published offer is seen; its bookings are not
        assert answer.status_code == 403
        return
    assert answer.status_code == status


def test_the_provider_sees_each_sessions_bookings_by_status_with_its_steps(site, booked,
                                                                          cohorts, as_user):
    client = as_user(site.world.provider_user)
    assert reverse("web:offer-bookings", args=[cohorts.pk]) in client.get(
        reverse("web:my-offers")).content.decode()
    html = client.get(reverse("web:offer-bookings", args=[cohorts.pk])).content.decode()
    assert "Approved – waiting for you to confirm (1)" in html
    assert "Requested – waiting for the partner’s approval (1)" in html
    assert "On the waiting list (1)" in html
    assert "number 1 on the waiting list" in html
    assert "Sam Jones" in html and site.world.partner_b.name in html
    forms = form_actions(html)
    approved, requested = booked["approved"], booked["requested"]
    assert reverse("web:placement-status", args=[approved.pk, "confirm"]) in forms
    assert reverse("web:placement-status", args=[requested.pk, "confirm"]) not in forms
    assert reverse("web:placement-status", args=[approved.pk, "decline"]) in forms
    assert reverse("web:placement-status", args=[requested.pk, "cancel"]) in forms
    # the session has not started: no attendance yet
    assert reverse("web:placement-attendance", args=[approved.pk]) not in html
    # the first cohort has bookings: it is not offered for removal; the second is
    first, second = _sessions(cohorts)
    assert reverse("web:session-delete", args=[first.pk]) not in html
    assert reverse("web:session-delete", args=[second.pk]) in html
    assert reverse("web:session-new", args=[cohorts.pk]) in html


def test_the_provider_confirms_then_records_attendance_and_the_need_is_met(site, booked,
                                                                         as_user):
    # given approved places for partner A's need, confirmed by the provider
    w, approved = site.world, booked["approved"]
    client = as_user(w.provider_user)
    bookings = reverse("web:offer-bookings", args=[approved.training_offer_id])
    answer = client.post(reverse("web:placement-status", args=[approved.pk, "confirm"]),
                         {"next": bookings})
    assert answer.status_code == 302 and answer["Location"] == bookings
    f.deliver_events()
    assert Notification.objects.filter(recipient=w.lead_a, kind="placement_confirmed").exists()
    need = LearningNeed.objects.get(pk=site.need.pk)
    need.workers_count = 2
    need.save()

    # when the session has started (earlier today, ending next week)
    TrainingSession.objects.filter(pk=booked["first"].pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1), ends_at=_at(7))
    html = client.get(bookings).content.decode()
    attendance = reverse("web:placement-attendance", args=[approved.pk])
    assert attendance in html

    # and the provider records that both attended and completed
    form = client.get(attendance)
    assert form.status_code == 200 and "Sam Jones" in form.content.decode()
    answer = client.post(attendance, {"places_attended": 2, "places_completed": 2,
                                      "learners": "Sam Jones\nAli Khan"}, follow=True)

    # then the page says so, the need counts them and is met, and the approvers are told
    assert "2 attended, 2 completed. The need is now met." in answer.content.decode()
    placement = Placement.objects.get(pk=approved.pk)
    assert (placement.places_attended, placement.places_completed) == (2, 2)
    assert placement.learners == ["Sam Jones", "Ali Khan"]
    need.refresh_from_db()
    assert (need.workers_trained, need.status) == (2, "met")
    f.deliver_events()
    assert Notification.objects.filter(recipient=w.lead_a, kind="learning_need_met").exists()
    need_page = as_user(w.lead_a).get(reverse("web:learning-need", args=[need.pk]))
    assert "2 of 2 workers have completed training" in need_page.content.decode()
    assert "2 attended, 2 completed" in need_page.content.decode()


def test_attendance_beyond_the_places_is_refused_on_the_form(site, booked, as_user):
    approved = booked["approved"]
    learning_services.placement_confirm(actor=site.world.provider_user, placement=approved)
    TrainingSession.objects.filter(pk=booked["first"].pk).update(
        starts_at=timezone.now() - datetime.timedelta(hours=1), ends_at=_at(7))
    answer = as_user(site.world.provider_user).post(
        reverse("web:placement-attendance", args=[approved.pk]),
        {"places_attended": 3, "places_completed": 1})
    assert answer.status_code == 400
    assert "Between 0 and 2 people can have attended these places." in answer.content.decode()
    assert Placement.objects.get(pk=approved.pk).places_attended is None


def test_the_provider_declines_a_request_and_the_waiting_list_moves_up(site, booked, as_user):
    requested, waiting = booked["requested"], booked["waiting"]
    # the first cohort has 4 places: 2 approved, 2 requested, 3 waiting
    answer = as_user(site.world.provider_user).post(
        reverse("web:placement-status", args=[requested.pk, "decline"]),
        {"reason": "The course is for home care staff"}, follow=True)
    assert "declined" in answer.content.decode()
    requested.refresh_from_db()
    assert (requested.status, requested.decided_reason) == (
        "declined", "The course is for home care staff")
    assert Placement.objects.get(pk=waiting.pk).status == "waitlisted"  # 3 do not fit in 2


# Sessions ---------------------------------------------------------------------------------


def test_the_provider_adds_a_session_and_the_offer_counts_its_places(site, cohorts, as_user):
    client = as_user(site.world.provider_user)
    url = reverse("web:session-new", args=[cohorts.pk])
    assert client.get(url).status_code == 200
    day = timezone.localdate() + datetime.timedelta(days=90)
    answer = client.post(url, {"start_date": day.isoformat(), "start_time": "10:00",
                               "end_date": "", "end_time": "15:30",
                               "location": "Town hall", "capacity": 8}, follow=True)
    assert answer.redirect_chain[-1][0] == reverse("web:offer-bookings", args=[cohorts.pk])
    assert "Session added" in answer.content.decode()
    session = TrainingSession.objects.get(offer=cohorts, location="Town hall")
    assert timezone.localtime(session.starts_at).strftime("%H:%M") == "10:00"
    assert timezone.localtime(session.ends_at).date() == day
    cohorts.refresh_from_db()
    assert cohorts.capacity == 22


def test_a_session_ending_before_it_starts_is_told_on_its_field(site, cohorts, as_user):
    answer = as_user(site.world.provider_user).post(
        reverse("web:session-new", args=[cohorts.pk]),
        {"start_date": "2027-03-10", "start_time": "10:00", "end_date": "2027-03-01",
         "end_time": "", "location": "", "capacity": 8})
    assert answer.status_code == 400
    assert "The session must not end before it starts." in answer.content.decode()
    assert TrainingSession.objects.filter(offer=cohorts).count() == 2


def test_the_provider_changes_a_session_and_removes_an_unbooked_one(site, booked, cohorts,
                                                                   as_user):
    client = as_user(site.world.provider_user)
    first, second = _sessions(cohorts)
    edit = client.get(reverse("web:session-edit", args=[first.pk])).content.decode()
    assert 'value="4"' in edit and 'value="09:30"' in edit
    fields = {"start_date": timezone.localtime(first.starts_at).date().isoformat(),
              "start_time": "09:30", "end_date": "", "end_time": "16:30",
              "location": "Mill Lane campus", "capacity": 1}
    too_few = client.post(reverse("web:session-edit", args=[first.pk]), fields)
    assert too_few.status_code == 400
    assert "4 places are already booked on this session" in too_few.content.decode()

    delete = reverse("web:session-delete", args=[second.pk])
    page = client.get(delete)
    assert page.status_code == 200 and "Are you sure" in page.content.decode()
    answer = client.post(delete, follow=True)
    assert "Session removed" in answer.content.decode()
    assert not TrainingSession.objects.filter(pk=second.pk).exists()
    refused = client.post(reverse("web:session-delete", args=[first.pk]))
    assert refused.status_code == 400
    assert "Places have been booked on this session" in refused.content.decode()


@pytest.mark.parametrize("several", [True, False])
def test_the_offer_form_leaves_places_and_dates_to_sessions_when_it_runs_several(
        site, cohorts, as_user, several):
    offer = cohorts if several else site.offer
    html = as_user(site.world.provider_user).get(
        reverse("web:offer-edit", args=[offer.pk])).content.decode()
    assert ('name="capacity"' in html) == (not several)
    assert ('name="start_date-day"' in html) == (not several)
    answer = as_user(site.world.provider_user).post(
        reverse("web:offer-edit", args=[offer.pk]),
        {"title": "Renamed", "format": "workshop", "cost_per_place": "10.00",
         "capacity": 30, "start_date": "2027-01-10"})
    assert answer.status_code == 302
    offer.refresh_from_db()
    assert offer.title == "Renamed"
    assert offer.capacity == (14 if several else 30)


# Withdrawing -------------------------------------------------------------------------------


def test_withdrawing_says_what_it_cancels_then_does_it(site, booked, cohorts, as_user):
    # given bookings on the offer and money planned for one of them
    w = site.world
    FundingAllocation.objects.create(stream=site.stream, learning_need=site.need,
                                     placement=booked["approved"], amount=Decimal("1020.00"),
                                     partner=w.partner_a)
    site.stream.allocated += Decimal("1020.00")
    site.stream.save()
    client = as_user(w.provider_user)
    my_offers = client.get(reverse("web:my-offers")).content.decode()
    withdraw = reverse("web:offer-withdraw", args=[cohorts.pk])
    assert withdraw in my_offers  # a link to the page that asks first
    assert withdraw not in form_actions(my_offers)

    # when the provider opens the withdrawal page
    page = client.get(withdraw).content.decode()

    # then it says exactly what will be cancelled
    assert "3 open bookings will be cancelled" in page
    assert f"{w.partner_a.name}: 2 places approved" in page
    assert f"{w.partner_b.name}: 2 places requested, 3 places on the waiting list" in page
    assert "1 request on the waiting list (3 places)" in page
    assert "£1,020.00 planned or committed for these places goes back" in page
    assert "£1,020.00 to Workforce development fund" in page
    assert cohorts.status == "published"

    # when they withdraw it with a reason
    answer = client.post(withdraw, {"reason": "The trainer has left."}, follow=True)

    # then it is withdrawn, its bookings cancelled, the money back, and the bookers told
    html = answer.content.decode()
    assert "“Dementia care in two cohorts” is withdrawn. 3 bookings cancelled" in html
    assert "£1,020.00 went back to its funding stream." in html
    cohorts.refresh_from_db()
    assert cohorts.status == "withdrawn"
    assert not Placement.objects.filter(training_offer=cohorts,
                                        status__in=Placement.OPEN).exists()
    assert FundingAllocation.objects.get(placement=booked["approved"]).status == "cancelled"
    f.deliver_events()
    told = Notification.objects.get(recipient=w.lead_b, kind="offer_withdrawn")
    assert "The trainer has left." in told.message


def test_withdrawing_an_offer_nobody_booked_says_nothing_else_is_cancelled(site, cohorts,
                                                                         as_user):
    client = as_user(site.world.provider_user)
    page = client.get(reverse("web:offer-withdraw", args=[cohorts.pk])).content.decode()
    assert "nothing else is cancelled" in page
    assert client.post(reverse("web:offer-withdraw", args=[cohorts.pk])).status_code == 302
    cohorts.refresh_from_db()
    assert cohorts.status == "withdrawn"


@pytest.mark.parametrize("role", ["manager", "lead_a", "provider_user"])
def test_withdrawing_is_the_providers_only(site, cohorts, as_user, role):
    answer = as_user(getattr(site.world, role)).get(
        reverse("web:offer-withdraw", args=[cohorts.pk]))
    if role == "provider_user":
        assert answer.status_code == 200
        return
    assert answer.status_code == 403
    assert "Only the provider&#x27;s own people can change its offers." in (
        answer.content.decode())


def test_an_offer_whose_sessions_have_ended_offers_no_booking(site, cohorts, as_user):
    TrainingSession.objects.filter(offer=cohorts).update(
        starts_at=timezone.now() - datetime.timedelta(days=3),
        ends_at=timezone.now() - datetime.timedelta(days=2))
    html = as_user(site.world.lead_a).get(reverse("web:offer", args=[cohorts.pk])
                                          ).content.decode()
    assert "(ended)" in html
    assert reverse("web:offer-book", args=[cohorts.pk]) not in form_actions(html)


def test_the_booking_side_names_learners_of_approved_places_but_cannot_change_their_number(
        site, cohorts, as_user):
    # given 2 places approved for the need on the first cohort
    w = site.world
    first = _sessions(cohorts)[0]
    placement = learning_services.placement_book(
        actor=w.lead_a, learning_need=site.need, session=first, places=2)
    learning_services.placement_approve(actor=w.manager, placement=placement)
    page = reverse("web:placement-places", args=[placement.pk])
    lead = as_user(w.lead_a)

    # when the partner lead opens the page from the need page and names the learners
    assert "Change learners" in lead.get(
        reverse("web:learning-need", args=[site.need.pk])).content.decode()
    saved = lead.post(page, {"places": 2, "learners": "Ann Smith\n\nBilal Khan\n"})

    # then the names are kept, blank lines left out
    assert saved.status_code == 302
    assert Placement.objects.get(pk=placement.pk).learners == ["Ann Smith", "Bilal Khan"]

    # and a new number of places is refused with the service's sentence, nothing changed
    refused = lead.post(page, {"places": 3, "learners": "Ann Smith"})
    assert refused.status_code == 400
    assert "cancel them and book again to change the number" in refused.content.decode()
    placement.refresh_from_db()
    assert (placement.places, placement.learners) == (2, ["Ann Smith", "Bilal Khan"])
