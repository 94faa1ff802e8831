"""The life of a learning need, an offer, its bookings and funding, on the pages.

Each change goes through the page for every role: those DESIGN.md allows ("Who may do
what") see the form or button and change the row; the others see no form, get a 403
(404 for what they cannot see) on a direct GET or POST, read the sentence the API
answers, and nothing changes.
"""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
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

from .conftest import outline

pytestmark = pytest.mark.django_db

ROLES = ["manager", "lead_a", "lead_b", "provider_user", "reviewer", "outsider", "staff"]


@pytest.fixture
def placement(site):
    """Two places asked for partner A's need on the provider's published offer."""
    return learning_services.placement_book(actor=site.world.lead_a, learning_need=site.need,
                                            training_offer=site.offer, places=2)


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
    Change("confirm a placement", {"provider_user", "staff"},
           url=lambda s, p: reverse("web:placement-status", args=[p.pk, "confirm"]),
           data=lambda s: {}, form_page=False,
           made=lambda s, p: Placement.objects.filter(pk=p.pk, status="confirmed").exists()),
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


def test_a_partner_lead_reads_the_apis_sentence_when_confirming(site, placement, as_user, api):
    lead_a = site.world.lead_a
    page = as_user(lead_a).post(reverse("web:placement-status", args=[placement.pk, "confirm"]))
    reply = api.as_user(lead_a).patch(f"/api/v1/placements/{placement.pk}/",
                                      {"status": "confirmed"}, format="json")
    assert (page.status_code, reply.status_code) == (403, 403)
    sentence = reply.json()["detail"]
    assert "provider" in sentence
    assert escape(sentence) in page.content.decode()
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
    forms = form_actions(html)
    confirm = reverse("web:placement-status", args=[placement.pk, "confirm"])
    cancel = reverse("web:placement-status", args=[placement.pk, "cancel"])
    need_side = role in {"manager", "lead_a", "staff"}
    assert ("Change the learning need" in html) == need_side
    assert (confirm in forms) == (role in {"provider_user", "staff"})
    assert (cancel in forms) == (role in {"manager", "lead_a", "provider_user", "staff"})


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


def test_the_provider_sees_its_bookings_and_confirms_them_from_its_offers(site, placement,
                                                                        as_user):
    # given places asked for on the provider's offer
    client = as_user(site.world.provider_user)
    mine = reverse("web:my-offers")

    # when the provider opens its offers and confirms the booking there
    html = client.get(mine).content.decode()
    assert site.world.partner_a.name in html and site.need.topic in html
    assert reverse("web:offer-edit", args=[site.offer.pk]) in html
    confirm = reverse("web:placement-status", args=[placement.pk, "confirm"])
    assert confirm in form_actions(html)
    answer = client.post(confirm, {"next": mine})

    # then it is confirmed, the page comes back and says so, and only cancelling is left
    assert answer.status_code == 302 and answer["Location"] == mine
    assert Placement.objects.get(pk=placement.pk).status == "confirmed"
    html = client.get(mine).content.decode()
    assert "2 places on “Strengths-based practice day” confirmed." in html
    forms = form_actions(html)
    assert confirm not in forms
    assert reverse("web:placement-status", args=[placement.pk, "cancel"]) in forms


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
    assert client.post(reverse("web:placement-status", args=[placement.pk, "approve"])
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

    # when the lead books places, the provider confirms them from its offers ...
    lead.post(reverse("web:placement-new", args=[need.pk, site.offer.pk]), {"places": 3})
    placement = Placement.objects.get(learning_need=need)
    provider.post(reverse("web:placement-status", args=[placement.pk, "confirm"]))
    assert Placement.objects.get(pk=placement.pk).status == "confirmed"
    need.refresh_from_db()
    assert need.status == "planned"  # booking moved it on
    assert needs_met() == (0, 1, 0)

    # ... then moves the need to in training and, once trained, to met
    edit = reverse("web:learning-need-edit", args=[need.pk])
    for status in ("in_training", "met"):
        answer = lead.post(edit, _need_fields(site, status=status))
        assert answer.status_code == 302, answer.content.decode()[:1000]

    # then the need page shows it met with its confirmed places, and progress counts it
    html = lead.get(reverse("web:learning-need", args=[need.pk])).content.decode()
    assert "Met" in html and "Confirmed" in html
    assert needs_met() == (1, 1, 1)
    dashboard = as_user(w.manager).get(reverse("web:dashboard", args=[w.programme.pk]))
    assert "1 of 1" in dashboard.content.decode()
    assert need.history.first().history_user == w.lead_a


def test_the_need_form_shows_its_date_so_saving_it_unchanged_keeps_it(site, as_user):
    # given a need to be met by a date
    client = as_user(site.world.lead_a)
    edit = reverse("web:learning-need-edit", args=[site.need.pk])
    need = LearningNeed.objects.get(pk=site.need.pk)
    assert need.needed_by is not None

    # when the form is opened, then the date input holds the date as a browser sends it
    html = client.get(edit).content.decode()
    assert f'value="{need.needed_by.isoformat()}"' in html

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
