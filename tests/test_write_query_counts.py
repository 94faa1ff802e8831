"""Writes in a few queries: adding an action, changing one and booking places, through
the API, each a fixed number of statements for the whole request (docs/decisions.md,
"Writes in a few queries"). Each test also checks what was written and what came back.

Every statement counts, SAVEPOINTs too: in a test the request's outermost transaction is
a savepoint of the test's own, where a server sends BEGIN and COMMIT.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.models import Action
from learning.models import LearningNeed, Placement, TrainingOffer, TrainingSession
from notifications.models import Event, OutboxMessage
from programmes.models import Gap

from . import factories as f

pytestmark = pytest.mark.django_db


def _sql(queries) -> str:
    return "\n".join(f"{i}. {q['sql']}" for i, q in enumerate(queries.captured_queries, 1))


@pytest.fixture
def gap(world):
    """An open gap of partner A (written directly: a service would publish an event, and
    the request's own outbox row would be left out of the count)."""
    item = world.items[2]
    return Gap.objects.create(programme=world.programme, partner=world.partner_a,
                              checklist_item=item, principle=item.principle,
                              severity="high", opened_at=timezone.now())


def test_adding_an_action_takes_at_most_ten_queries(api, world, gap):
    client = api.as_user(world.manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/actions/", {
            "programme": world.programme.pk, "gap": gap.pk, "title": "Map the stakeholders",
            "owner": world.lead_a.pk, "due_date": "2027-01-31"}, format="json")
    assert response.status_code == 201, response.content
    assert len(queries) <= 10, _sql(queries)

    action = Action.objects.get()
    body = response.json()
    assert body == {**body, "id": action.pk, "programme": world.programme.pk, "gap": gap.pk,
                    "principle": gap.principle_id, "title": "Map the stakeholders",
                    "owner": world.lead_a.pk, "owner_name": world.lead_a.get_full_name()
                    or world.lead_a.username, "owner_partner": world.partner_a.pk,
                    "owner_partner_name": "Alpha Council", "due_date": "2027-01-31",
                    "status": "not_started", "created_by": world.manager.pk, "version": 1}
    assert response["ETag"] == '"1"'
    # the row, its history and its event, as before
    assert (action.owner_id, action.owner_partner_id, action.gap_id, action.due_date,
            action.created_by_id) == (world.lead_a.pk, world.partner_a.pk, gap.pk,
                                      datetime.date(2027, 1, 31), world.manager.pk)
    [history] = action.history.all()
    assert (history.history_type, history.history_user_id) == ("+", world.manager.pk)
    [event] = Event.objects.all()
    assert (event.kind, event.subject_id, event.actor_id, event.programme_name) == (
        "action.created", action.pk, world.manager.pk, world.programme.name)
    assert event.data["owner_partner"] == world.partner_a.pk
    assert [(n["kind"], n["recipients"]) for n in event.notices] == [
        ("action_assigned", [world.lead_a.pk])]
    assert OutboxMessage.objects.count() == 1


def test_changing_an_action_takes_at_most_ten_queries(api, world, gap):
    action = f.ActionFactory(programme=world.programme, gap=gap, title="Map the stakeholders",
                             owner=world.lead_a, owner_partner=world.partner_a,
                             due_date=datetime.date(2027, 1, 31))
    client = api.as_user(world.manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.patch(f"/api/v1/actions/{action.pk}/", {
            "owner": world.lead_b.pk, "due_date": "2027-02-28",
            "due_date_reason": "The workshop moved", "status": "in_progress"},
            format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content
    assert len(queries) <= 10, _sql(queries)

    body = response.json()
    # the new owner brings their organisation
    assert body == {**body, "id": action.pk, "gap": gap.pk, "principle": gap.principle_id,
                    "owner": world.lead_b.pk, "owner_partner": world.partner_b.pk,
                    "owner_partner_name": "Beta Trust", "due_date": "2027-02-28",
                    "status": "in_progress", "version": 2}
    assert response["ETag"] == '"2"'
    action.refresh_from_db()
    assert (action.owner_id, action.owner_partner_id, action.status, action.version,
            action.due_date) == (world.lead_b.pk, world.partner_b.pk, "in_progress", 2,
                                 datetime.date(2027, 2, 28))
    latest = action.history.latest()
    assert (latest.history_type, latest.history_user_id, latest.history_change_reason) == (
        "~", world.manager.pk, "The workshop moved")
    [event] = Event.objects.all()
    assert (event.kind, event.actor_id) == ("action.updated", world.manager.pk)
    assert event.data["changed"] == ["due_date", "owner", "owner_partner", "status"]
    assert [(n["kind"], n["recipients"]) for n in event.notices] == [
        ("action_assigned", [world.lead_b.pk])]


# Booking cannot come down to 8: of its statements, 11 are writes the booking makes today
# and keeps (the session's and the offer's counts, the placement, the need now planned,
# each with its history row; the history of the offer's principles, read to be copied;
# the event and its outbox row), and the savepoint of the service's transaction is 2.
BOOKING_QUERIES = 20


def test_booking_places_takes_a_fixed_number_of_queries(api, world):
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a)
    offer = f.TrainingOfferFactory(provider=world.provider, capacity=12)
    client = api.as_user(world.lead_a)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/placements/", {
            "learning_need": need.pk, "training_offer": offer.pk, "places": 2,
            "learners": ["Ann", "Bea"]}, format="json")
    assert response.status_code == 201, response.content
    assert len(queries) <= BOOKING_QUERIES, _sql(queries)

    placement = Placement.objects.get()
    session = TrainingSession.objects.get()
    assert response.json() == {**response.json(), "id": placement.pk, "learning_need": need.pk,
                               "training_offer": offer.pk, "session": session.pk,
                               "places": 2, "status": "requested", "learners": ["Ann", "Bea"],
                               "requested_by": world.lead_a.pk}
    assert (session.places_booked, session.places_waiting) == (2, 0)
    offer = TrainingOffer.objects.get()
    assert (offer.places_booked, offer.capacity) == (2, 12)
    need.refresh_from_db()
    assert (need.status, need.version) == (LearningNeed.Status.PLANNED, 2)
    for row in (placement, session, offer, need):
        assert row.history.latest().history_user_id == world.lead_a.pk
    [event] = Event.objects.all()
    assert (event.kind, event.subject_id) == ("placement.requested", placement.pk)
    [notice] = event.notices
    # the need's partner leads, the programme's managers and the provider's people
    assert notice["recipients"] == sorted(
        [world.manager.pk, world.lead_a.pk, world.provider_user.pk])
    assert "is asked for: approve or decline it" in notice["message"]
    assert OutboxMessage.objects.count() == 1


def test_booking_a_session_of_an_offer_with_several(api, world):
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a)
    offer = f.TrainingOfferFactory(provider=world.provider, sessions=[
        {"capacity": 5}, {"capacity": 8, "starts_at": datetime.datetime(
            2027, 2, 1, 9, 30, tzinfo=datetime.UTC)}])
    second = offer.sessions.order_by("pk")[1]
    client = api.as_user(world.lead_a)
    refused = client.post("/api/v1/placements/", {
        "learning_need": need.pk, "training_offer": offer.pk, "places": 6}, format="json")
    assert refused.status_code == 400
    assert refused.json()["session"] == [
        "This offer runs more than one session: choose the one to book."]
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/placements/", {
            "learning_need": need.pk, "session": second.pk, "places": 6}, format="json")
    assert response.status_code == 201, response.content
    assert len(queries) <= BOOKING_QUERIES, _sql(queries)
    second.refresh_from_db()
    offer.refresh_from_db()
    assert (second.places_booked, offer.places_booked, offer.capacity) == (6, 6, 13)
