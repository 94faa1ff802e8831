"""The life of a learning need, an offer, its bookings and funding, on the pages.

Each change goes through the page for every role: those DESIGN.md allows ("Who may do
what") see the form or button and change the row; the others see no form, get a 403
(404 for what they cannot see) on a direct GET or POST, read the sentence the API
answers, and nothing changes.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from learning import access as learning_access
from learning import services as learning_services
from learning.models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
)

from .. import factories as f
from .conftest import outline

pytestmark = pytest.mark.django_db

ROLES = ["manager", "lead_a", "lead_b", "provider_user", "reviewer", "outsider", "staff"]


@pytest.fixture
def placement(site):
    """Two places asked for partner A's need on the provider's published offer."""
    return learning_services.placement_book(actor=site.world.lead_a, learning_need=site.need,
                                            training_offer=site.offer, places=2)


@pytest.fixture
def approved(site, placement):
    """The same places, approved by the programme's manager: the provider's to confirm."""
    return learning_services.placement_approve(actor=site.world.manager, placement=placement)


def form_actions(html: str) -> set[str | None]:
    return {form.get("action") for form in outline(html).forms}


# Each change: the page it is made on (GET), the POST, and how to tell it was made -------


@dataclass
class Change:
    name: str
    allowed: set[str]
    url: object  # site, placement -> the URL posted to
    data: object  # site -> the form's fields
    made: object  # site, placement -> whether the row changed
    form_page: bool = True  # a GET shows a form (else POST only)
    hidden_from: int = 404  # what an outsider gets: the object is not theirs to see


def _need_fields(site, **changes):
    """The need's form as it is now (its current version), with ``changes``."""
    need = LearningNeed.objects.get(pk=site.need.pk)
    return {"staff_group": need.staff_group, "topic": need.topic,
            "workers_count": need.workers_count, "notes": "", "version": need.version,
            "status": need.status, **changes}


def _offer_fields(site, **changes):
    offer = site.offer
    return {"title": offer.title, "format": offer.format, "capacity": offer.capacity,
            "cost_per_place": offer.cost_per_place, "start_date": "2027-01-10", **changes}


CHANGES = [
    Change("change a learning need and its status", {"manager", "lead_a", "staff"},
           url=lambda s, p: reverse("web:learning-need-edit", args=[s.need.pk]),
           data=lambda s: _need_fields(s, status="in_training", workers_count=9),
           made=lambda s, p: LearningNeed.objects.filter(
               pk=s.need.pk, status="in_training", workers_count=9).exists()),
    Change("change a training offer", {"provider_user", "staff"},
           url=lambda s, p: reverse("web:offer-edit", args=[s.offer.pk]),
           data=lambda s: _offer_fields(s, title="Strengths-based practice, two days"),
           made=lambda s, p: TrainingOffer.objects.filter(
               pk=s.offer.pk, title="Strengths-based practice, two days").exists(),
           hidden_from=403),  # a published offer is seen by everyone signed in
    Change("approve a placement", {"manager", "lead_a", "staff"},
           url=lambda s, p: reverse("web:placement-status", args=[p.pk, "approve"]),
           data=lambda s: {}, form_page=False,
           made=lambda s, p: Placement.objects.filter(pk=p.pk, status="approved").exists()),
    Change("mark a learning need met", {"manager", "staff"},
           url=lambda s, p: reverse("web:learning-need-met", args=[s.need.pk]),
           data=lambda s: {"met_reason": "Trained by the council's own course",
                           "version": LearningNeed.objects.get(pk=s.need.pk).version},
           form_page=False,
           made=lambda s, p: LearningNeed.objects.filter(pk=s.need.pk, status="met").exists()),
    Change("cancel a placement", {"manager", "lead_a", "provider_user", "staff"},
           url=lambda s, p: reverse("web:placement-status", args=[p.pk, "cancel"]),
           data=lambda s: {}, form_page=False,
           made=lambda s, p: Placement.objects.filter(pk=p.pk, status="cancelled").exists()),
    Change("add a funding stream", {"manager", "staff"},
           url=lambda s, p: reverse("web:stream-new", args=[s.world.programme.pk]),
           data=lambda s: {"name": "Care academy fund", "funder": s.world.partner_a.pk,
                           "amount": "5000.00"},
           made=lambda s, p: FundingStream.objects.filter(name="Care academy fund").exists()),
    Change("change a funding stream", {"manager", "staff"},
           url=lambda s, p: reverse("web:stream-edit", args=[s.stream.pk]),
           data=lambda s: {"name": s.stream.name, "funder": s.stream.funder_id,
                           "amount": "7500.50", "description": "Topped up"},
           made=lambda s, p: FundingStream.objects.filter(
               pk=s.stream.pk, amount=Decimal("7500.50")).exists()),
    Change("commit an allocation", {"manager", "staff"},
           url=lambda s, p: reverse("web:allocation-status",
                                    args=[s.stream.allocations.get().pk, "commit"]),
           data=lambda s: {}, form_page=False,
           made=lambda s, p: s.stream.allocations.filter(status="committed").exists()),
    Change("cancel an allocation", {"manager", "staff"},
           url=lambda s, p: reverse("web:allocation-status",
                                    args=[s.stream.allocations.get().pk, "cancel"]),
           data=lambda s: {}, form_page=False,
           made=lambda s, p: s.stream.allocations.filter(status="cancelled").exists()),
]


def _snapshot():
    """Every row the changes could touch, as plain values."""
    return (
        list(LearningNeed.objects.order_by("pk").values()),
        list(Placement.objects.order_by("pk").values()),
        list(FundingStream.objects.order_by("pk").values()),
        list(FundingAllocation.objects.order_by("pk").values()),
        list(TrainingOffer.objects.order_by("pk").values()),
    )


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.name)
@pytest.mark.parametrize("role", ROLES)
def test_each_change_is_made_on_its_page_exactly_by_those_allowed(site, placement, as_user,
                                                                  change, role):
    # given a person in one of the roles
    client = as_user(getattr(site.world, role))
    url = change.url(site, placement)
    before = _snapshot()

    # when they open the form and send it
    shown = client.get(url) if change.form_page else None
    answer = client.post(url, change.data(site))

    # then it is made exactly when DESIGN.md allows it
    if role in change.allowed:
        if shown is not None:
            assert shown.status_code == 200, shown.content.decode()[:500]
        assert answer.status_code == 302, answer.content.decode()[:1000]
        assert change.made(site, placement)
    else:
        refused = change.hidden_from if role == "outsider" else 403
        if shown is not None:
            assert shown.status_code == refused
        assert answer.status_code == refused, answer.content.decode()[:500]
        assert not change.made(site, placement)
        assert _snapshot() == before


# Refusals read the API's sentence -------------------------------------------------------


def test_a_lead_of_another_partner_reads_the_apis_sentence_on_the_need_page(site, as_user,
                                                                           api):
    lead_b = site.world.lead_b
    page = as_user(lead_b).post(reverse("web:learning-need-edit", args=[site.need.pk]),
                                _need_fields(site, status="met"))
    reply = api.as_user(lead_b).patch(f"/api/v1/learning-needs/{site.need.pk}/",
                                      {"status": "met"}, format="json")
    assert (page.status_code, reply.status_code) == (403, 403)
    assert reply.json()["detail"] == learning_access.NEED_REFUSED
    assert escape(learning_access.NEED_REFUSED) in page.content.decode()
    assert LearningNeed.objects.get(pk=site.need.pk).status == "identified"


def test_a_lead_cannot_mark_a_need_met_by_hand_and_reads_why(site, as_user, api):
    lead_a = site.world.lead_a
    html = as_user(lead_a).get(reverse("web:learning-need-edit", args=[site.need.pk])
                               ).content.decode()
    assert 'value="met"' not in html  # not offered
    page = as_user(lead_a).post(reverse("web:learning-need-edit", args=[site.need.pk]),
                                _need_fields(site, status="met"))
    button = as_user(lead_a).post(reverse("web:learning-need-met", args=[site.need.pk]),
                                  {"met_reason": "Done", "version": site.need.version})
    reply = api.as_user(lead_a).patch(f"/api/v1/learning-needs/{site.need.pk}/",
                                      {"status": "met"}, format="json")
    assert (page.status_code, button.status_code, reply.status_code) == (400, 403, 403)
    sentence = learning_services.MET_BY_HAND_REFUSED
    assert reply.json()["detail"] == sentence
    assert escape(sentence) in page.content.decode()
    assert escape(sentence) in button.content.decode()
    assert LearningNeed.objects.get(pk=site.need.pk).status == "identified"


def test_a_manager_marks_a_need_met_only_with_a_reason(site, as_user):
    client = as_user(site.world.manager)
    need_page = reverse("web:learning-need", args=[site.need.pk])
    assert reverse("web:learning-need-met", args=[site.need.pk]) in form_actions(
        client.get(need_page).content.decode())
    met = reverse("web:learning-need-met", args=[site.need.pk])
    empty = client.post(met, {"met_reason": "", "version": site.need.version})
    assert empty.status_code == 400
    assert "Say why the need is met" in empty.content.decode()
    assert LearningNeed.objects.get(pk=site.need.pk).status == "identified"
    done = client.post(met, {"met_reason": "Trained by another programme",
                             "version": site.need.version}, follow=True)
    need = LearningNeed.objects.get(pk=site.need.pk)
    assert (need.status, need.met_reason) == ("met", "Trained by another programme")
    html = done.content.decode()
    assert "marked as met" in html and "Trained by another programme" in html
    assert met not in form_actions(html)  # a met need is not offered it again


def test_a_partner_lead_reads_the_apis_sentence_when_confirming(site, approved, as_user, api):
    lead_a = site.world.lead_a
    page = as_user(lead_a).post(reverse("web:placement-status", args=[approved.pk, "confirm"]))
    reply = api.as_user(lead_a).patch(f"/api/v1/placements/{approved.pk}/",
                                      {"status": "confirmed"}, format="json")
    assert (page.status_code, reply.status_code) == (403, 403)
    sentence = reply.json()["detail"]
    assert sentence == learning_services.CONFIRM_REFUSED
    assert escape(sentence) in page.content.decode()
    assert Placement.objects.get(pk=approved.pk).status == "approved"


@pytest.mark.parametrize("role,declines", [
    ("manager", True), ("lead_a", True), ("staff", True), ("lead_b", False),
    ("reviewer", False), ("provider_user", True)])
def test_a_request_is_declined_with_its_reason(site, placement, as_user, role,
                                                         declines):
    # given a request for places, when someone declines it with a reason
    answer = as_user(getattr(site.world, role)).post(
        reverse("web:placement-status", args=[placement.pk, "decline"]),
        {"reason": "No cover that week"}, follow=True)
    placement.refresh_from_db()
    if declines:  # then it is declined, the reason kept, and the places go back
        assert (placement.status, placement.decided_reason) == ("declined",
                                                                "No cover that week")
        assert "declined" in answer.content.decode()
        assert site.offer.sessions.get().places_booked == 0
    else:  # the provider declines only approved places; the others may not at all
        assert placement.status == "requested"
        assert answer.status_code in (200, 403)


def test_the_provider_declines_approved_places_and_the_booker_is_told(site, approved,
                                                                     as_user):
    from notifications.models import Notification
    answer = as_user(site.world.provider_user).post(
        reverse("web:placement-status", args=[approved.pk, "decline"]),
        {"reason": "The trainer is ill", "next": reverse("web:offer-bookings",
                                                         args=[site.offer.pk])})
    assert answer.status_code == 302
    approved.refresh_from_db()
    assert approved.status == "declined"
    f.deliver_events()
    told = Notification.objects.get(recipient=site.world.lead_a, kind="placement_declined")
    assert "The trainer is ill" in told.message


@pytest.mark.parametrize("role", ["provider_user", "staff"])
def test_the_provider_confirms_approved_places(site, approved, as_user, role):
    answer = as_user(getattr(site.world, role)).post(
        reverse("web:placement-status", args=[approved.pk, "confirm"]))
    assert answer.status_code == 302
    assert Placement.objects.get(pk=approved.pk).status == "confirmed"


def test_confirming_a_request_not_yet_approved_says_it_waits(site, placement, as_user):
    answer = as_user(site.world.provider_user).post(
        reverse("web:placement-status", args=[placement.pk, "confirm"]), follow=True)
    assert "wait for approval by the partner&#x27;s lead" in answer.content.decode()
    assert Placement.objects.get(pk=placement.pk).status == "requested"


@pytest.mark.parametrize("role,sentence", [
    ("lead_a", learning_access.OFFER_REFUSED),
    ("manager", learning_access.OFFER_REFUSED),
])
def test_offer_changes_are_refused_with_the_apis_sentence(site, as_user, api, role, sentence):
    user = getattr(site.world, role)
    page = as_user(user).post(reverse("web:offer-edit", args=[site.offer.pk]),
                              _offer_fields(site, title="Renamed"))
    publish = as_user(user).post(reverse("web:offer-status", args=[site.offer.pk, "withdraw"]))
    reply = api.as_user(user).patch(f"/api/v1/training-offers/{site.offer.pk}/",
                                    {"title": "Renamed"}, format="json")
    assert (page.status_code, publish.status_code, reply.status_code) == (403, 403, 403)
    assert reply.json()["detail"] == sentence
    assert escape(sentence) in page.content.decode()
    assert escape(sentence) in publish.content.decode()
    site.offer.refresh_from_db()
    assert (site.offer.title, site.offer.status) != ("Renamed", "withdrawn")
    assert site.offer.status == "published"


def test_funding_refusals_read_the_apis_sentence(site, as_user, api):
    lead_a = site.world.lead_a
    allocation = site.stream.allocations.get()
    page = as_user(lead_a).post(reverse("web:stream-edit", args=[site.stream.pk]),
                                {"name": "Mine", "funder": site.world.partner_a.pk,
                                 "amount": "1.00"})
    commit = as_user(lead_a).post(reverse("web:allocation-status",
                                          args=[allocation.pk, "commit"]))
    stream_reply = api.as_user(lead_a).patch(f"/api/v1/funding-streams/{site.stream.pk}/",
                                             {"name": "Mine"}, format="json")
    allocation_reply = api.as_user(lead_a).patch(
        f"/api/v1/funding-allocations/{allocation.pk}/", {"status": "committed"},
        format="json")
    assert stream_reply.json()["detail"] == learning_access.STREAM_REFUSED
    assert allocation_reply.json()["detail"] == learning_access.ALLOCATION_REFUSED
    assert escape(learning_access.STREAM_REFUSED) in page.content.decode()
    assert escape(learning_access.ALLOCATION_REFUSED) in commit.content.decode()
    assert FundingStream.objects.filter(name="Mine").count() == 0
    assert FundingAllocation.objects.get(pk=allocation.pk).status == "planned"


# Forms and buttons only for those who may use them --------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_need_page_offers_only_what_the_role_may_do(site, placement, as_user, role):
    # given a need with two places asked for
    client = as_user(getattr(site.world, role))

    # when the person opens the need's page
    answer = client.get(reverse("web:learning-need", args=[site.need.pk]))

    # then they see its status and its placement, and only the forms they may use
    if role == "outsider":
        assert answer.status_code == 404
        return
    html = answer.content.decode()
    assert "Planned" in html and "Requested" in html  # booking moved the need on
    assert "Requested – waiting for approval" in html
    assert "0 of 10 workers have completed training" in html
    forms = form_actions(html)
    approve = reverse("web:placement-status", args=[placement.pk, "approve"])
    decline = reverse("web:placement-status", args=[placement.pk, "decline"])
    confirm = reverse("web:placement-status", args=[placement.pk, "confirm"])
    cancel = reverse("web:placement-status", args=[placement.pk, "cancel"])
    met = reverse("web:learning-need-met", args=[site.need.pk])
    need_side = role in {"manager", "lead_a", "staff"}
    assert ("Change the learning need" in html) == need_side
    assert (approve in forms) == need_side
    assert (decline in forms) == (role in {"manager", "lead_a", "provider_user", "staff"})
    assert confirm not in forms  # a request is approved before the provider confirms it
    assert (cancel in forms) == (role in {"manager", "lead_a", "provider_user", "staff"})
    assert (met in forms) == (role in {"manager", "staff"})


@pytest.mark.parametrize("role", ROLES)
def test_the_funding_page_offers_only_managers_its_forms(site, as_user, role):
    client = as_user(getattr(site.world, role))
    answer = client.get(reverse("web:funding", args=[site.world.programme.pk]))
    if role == "outsider":
        assert answer.status_code == 404
        return
    html = answer.content.decode()
    allocation = site.stream.allocations.get()
    manages = role in {"manager", "staff"}
    assert ("Add a funding stream" in html) == manages
    assert (reverse("web:stream-edit", args=[site.stream.pk]) in html) == manages
    forms = form_actions(html)
    assert (reverse("web:allocation-status", args=[allocation.pk, "commit"]) in forms) == manages
    assert (reverse("web:allocation-status", args=[allocation.pk, "cancel"]) in forms) == manages


def test_the_provider_sees_its_bookings_and_confirms_them_on_the_offers_page(site, approved,
                                                                           as_user):
    # given approved places on the provider's offer
    client = as_user(site.world.provider_user)
    mine = reverse("web:my-offers")
    bookings = reverse("web:offer-bookings", args=[site.offer.pk])
    assert bookings in client.get(mine).content.decode()

    # when the provider opens the offer's bookings and confirms the booking there
    html = client.get(bookings).content.decode()
    assert site.world.partner_a.name in html and site.need.topic in html
    assert "Approved – waiting for you to confirm" in html
    confirm = reverse("web:placement-status", args=[approved.pk, "confirm"])
    assert confirm in form_actions(html)
    answer = client.post(confirm, {"next": bookings})

    # then it is confirmed, the page comes back and says so, and only cancelling is left
    assert answer.status_code == 302 and answer["Location"] == bookings
    assert Placement.objects.get(pk=approved.pk).status == "confirmed"
    html = client.get(bookings).content.decode()
    assert "2 places on “Strengths-based practice day” confirmed." in html
    forms = form_actions(html)
    assert confirm not in forms
    assert reverse("web:placement-status", args=[approved.pk, "cancel"]) in forms


def test_my_offers_lists_bookings_in_a_fixed_number_of_queries(site, as_user):
    w = site.world
    client = as_user(w.provider_user)
    client.get(reverse("web:my-offers"))  # warm the session

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("web:my-offers")).status_code == 200
        return len(queries)

    few = count()
    for n in range(5):
        need = LearningNeed.objects.create(programme=w.programme, partner=w.partner_b,
                                           topic=f"Topic {n}", staff_group="Nurses",
                                           workers_count=2)
        learning_services.placement_book(actor=w.manager, learning_need=need,
                                         training_offer=site.offer, places=1)
    assert count() == few


def test_a_stale_need_form_is_refused_and_changes_nothing(site, as_user):
    # given someone changed the need after the form was opened
    client = as_user(site.world.lead_a)
    fields = _need_fields(site, status="planned")
    learning_services.need_update(actor=site.world.manager, need=site.need, topic="Renamed")
    fields["topic"] = "Another name"

    # when the old form is sent
    answer = client.post(reverse("web:learning-need-edit", args=[site.need.pk]), fields)

    # then it is refused in plain words and the other change stands
    assert answer.status_code == 400
    assert "changed by someone else" in answer.content.decode()
    need = LearningNeed.objects.get(pk=site.need.pk)
    assert (need.topic, need.status) == ("Renamed", "identified")


def test_a_funding_stream_cannot_be_lowered_below_its_allocations_on_the_page(site, as_user):
    answer = as_user(site.world.manager).post(
        reverse("web:stream-edit", args=[site.stream.pk]),
        {"name": site.stream.name, "funder": site.stream.funder_id, "amount": "100.00"})
    assert answer.status_code == 400
    assert "£250.00 is already allocated" in answer.content.decode()
    site.stream.refresh_from_db()
    assert site.stream.amount != Decimal("100.00")


def test_an_unknown_change_is_not_found(site, placement, as_user):
    client = as_user(site.world.manager)
    allocation = site.stream.allocations.get()
    assert client.post(reverse("web:placement-status", args=[placement.pk, "promote"])
                       ).status_code == 404
    assert client.post(reverse("web:allocation-status", args=[allocation.pk, "refund"])
                       ).status_code == 404
    assert client.get(reverse("web:placement-status", args=[placement.pk, "cancel"])
                      ).status_code == 405


# The whole life: asked, confirmed, met, and the progress figures follow -----------------


def test_learning_needs_met_rise_after_a_confirmed_placement_and_the_need_met(site, as_user,
                                                                            api):
    w, need = site.world, site.need
    progress = f"/api/v1/programmes/{w.programme.pk}/progress/"

    def needs_met():
        body = api.as_user(w.manager).get(progress).json()
        row = next(p for p in body["principles"] if p["number"] == need.principle.number)
        return row["learning_needs_met"], row["learning_needs"], body["overall"][
            "learning_needs_met"]

    assert needs_met() == (0, 1, 0)
    lead, provider = as_user(w.lead_a), as_user(w.provider_user)

    # when the lead books places for all the need's workers and approves them, and the
    # provider confirms them ...
    session = site.offer.sessions.get()
    session.starts_at = timezone.now() - datetime.timedelta(hours=1)
    session.ends_at = timezone.now() + datetime.timedelta(days=7)
    session.save()
    booked = lead.post(reverse("web:placement-new", args=[need.pk, site.offer.pk]),
              {"session": session.pk, "places": need.workers_count})
    assert booked.status_code == 302, booked.content.decode()
    placement = Placement.objects.get(learning_need=need)
    lead.post(reverse("web:placement-status", args=[placement.pk, "approve"]))
    provider.post(reverse("web:placement-status", args=[placement.pk, "confirm"]))
    assert Placement.objects.get(pk=placement.pk).status == "confirmed"
    need.refresh_from_db()
    assert need.status == "in_training"  # confirmed places moved it on
    assert needs_met() == (0, 1, 0)

    # ... and, once the session has started, records that they all completed
    answer = provider.post(reverse("web:placement-attendance", args=[placement.pk]),
                           {"places_attended": need.workers_count,
                            "places_completed": need.workers_count, "learners": ""})
    assert answer.status_code == 302, answer.content.decode()[:1000]

    # then the need page shows it met with its trained workers, and progress counts it
    html = lead.get(reverse("web:learning-need", args=[need.pk])).content.decode()
    assert "Met" in html and "Confirmed" in html
    assert f"{need.workers_count} of {need.workers_count} workers have completed" in html
    assert needs_met() == (1, 1, 1)
    dashboard = as_user(w.manager).get(reverse("web:dashboard", args=[w.programme.pk]))
    assert "1 of 1" in dashboard.content.decode()
    assert need.history.first().history_user == w.provider_user


def test_the_need_form_shows_its_date_so_saving_it_unchanged_keeps_it(site, as_user):
    # given a need to be met by a date
    client = as_user(site.world.lead_a)
    edit = reverse("web:learning-need-edit", args=[site.need.pk])
    need = LearningNeed.objects.get(pk=site.need.pk)
    assert need.needed_by is not None

    # when the form is opened, then the date input holds the day, month and year
    html = client.get(edit).content.decode()
    for part in ("day", "month", "year"):
        value = getattr(need.needed_by, part)
        assert f'id="id_needed_by-{part}" name="needed_by-{part}" type="text" ' \
               f'inputmode="numeric" spellcheck="false" value="{value}"' in html

    # and sending it back unchanged with a new status keeps the date
    answer = client.post(edit, _need_fields(site, status="planned",
                                            needed_by=need.needed_by.isoformat()))
    assert answer.status_code == 302
    need.refresh_from_db()
    assert need.status == "planned" and need.needed_by is not None


def test_bad_money_on_the_stream_form_is_told_in_plain_words(site, as_user):
    answer = as_user(site.world.manager).post(
        reverse("web:stream-new", args=[site.world.programme.pk]),
        {"name": "Small fund", "funder": site.world.partner_a.pk, "amount": "0"})
    html = answer.content.decode()
    assert answer.status_code == 400
    assert "The amount must be at least £0.01." in html
    assert "Ensure this value" not in html
    assert not FundingStream.objects.filter(name="Small fund").exists()


def test_the_need_form_offers_a_manager_the_status_met_with_its_reason(site, as_user):
    client = as_user(site.world.manager)
    edit = reverse("web:learning-need-edit", args=[site.need.pk])
    html = client.get(edit).content.decode()
    assert 'value="met"' in html and 'name="met_reason"' in html
    no_reason = client.post(edit, _need_fields(site, status="met", met_reason=""))
    assert no_reason.status_code == 400
    assert "Say why the need is met before its workers have completed training." in (
        no_reason.content.decode())
    assert LearningNeed.objects.get(pk=site.need.pk).status == "identified"
    answer = client.post(edit, _need_fields(site, status="met",
                                            met_reason="Trained by the hospital"))
    assert answer.status_code == 302
    need = LearningNeed.objects.get(pk=site.need.pk)
    assert (need.status, need.met_reason) == ("met", "Trained by the hospital")
