"""Bookings from request to completion (DESIGN.md, "Training operations").

A placement is requested by the need's partner, approved by its lead or a manager and
confirmed by the provider; a request beyond the free places waits and is promoted, in
order, when places free up; the provider records attendance after the session starts and
completed places train the need's workers. Each step tells the other side once, never the
person who took it. The tests marked ``postgres`` book and cancel from many threads at
once and check that the counters and the waiting list hold.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from core.errors import DomainError, InvalidTransition, LimitExceeded
from learning import services, telling
from learning.models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
    TrainingSession,
)
from notifications.models import Notification

from .. import factories as f

NOW = timezone.now()


# Helpers -----------------------------------------------------------------------------


class Told:
    """The notifications written since the last look, as (username, kind) pairs."""

    def __init__(self):
        f.deliver_events()  # what was done before is told before the first look
        self.seen = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def __call__(self) -> list[tuple[str, str]]:
        f.deliver_events()  # as a worker does after each commit
        rows = list(Notification.objects.filter(pk__gt=self.seen).order_by("pk")
                    .values_list("pk", "recipient__username", "kind"))
        if rows:
            self.seen = rows[-1][0]
        return sorted((name, kind) for _, name, kind in rows)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def counts(session) -> tuple[int, int, int]:
    """(capacity, booked, waiting) of a session, after checking the counters against the
    rows and the offer's sums against its sessions."""
    session = fresh(session)
    held = Placement.objects.filter(session=session, status__in=Placement.HOLDING).aggregate(
        n=Sum("places"))["n"] or 0
    waiting = Placement.objects.filter(session=session, status="waitlisted").aggregate(
        n=Sum("places"))["n"] or 0
    assert (session.places_booked, session.places_waiting) == (held, waiting)
    offer = session.offer
    sums = offer.sessions.aggregate(c=Sum("capacity"), b=Sum("places_booked"))
    offer.refresh_from_db()
    assert (offer.capacity, offer.places_booked) == (sums["c"], sums["b"])
    return session.capacity, session.places_booked, session.places_waiting


def book(world, need, session, places, actor=None):
    return services.placement_book(actor=actor or world.lead_a, learning_need=need,
                                   session=session, places=places)


@pytest.fixture
def need(world):
    return f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                                 principle=world.principles[0], workers_count=12)


@pytest.fixture
def offer(world):
    return services.offer_create(
        actor=world.provider_user, provider=world.provider, title="Dementia awareness",
        format="workshop", capacity=10, start_date=datetime.date(2027, 1, 10),
        status="published", cost_per_place=Decimal("50.00"))


@pytest.fixture
def session(offer):
    return offer.sessions.get()


@pytest.fixture
def running(world):
    """A published offer whose one session of 12 started yesterday and runs a month."""
    offer = services.offer_create(
        actor=world.provider_user, provider=world.provider, title="Moving and handling",
        format="workshop", status="published",
        sessions=[{"capacity": 12, "starts_at": NOW - datetime.timedelta(days=1),
                   "ends_at": NOW + datetime.timedelta(days=30)}])
    return offer.sessions.get()


# The whole life of a booking through the API -------------------------------------------


def test_a_booking_through_the_api_from_request_to_confirmation(api, world, need, offer,
                                                                session):
    told = Told()
    lead, manager, provider = clients_for([world.lead_a, world.manager, world.provider_user])

    first = lead.post("/api/v1/placements/", {"learning_need": need.pk,
                                              "training_offer": offer.pk, "places": 8,
                                              "learners": ["Ann Smith", "Bo Li"]},
                      format="json")
    assert first.status_code == 201, first.content
    assert (first.json()["status"], first.json()["session"]) == ("requested", session.pk)
    assert first.json()["requested_by"] == world.lead_a.pk
    # the approvers and the provider hear of the request, but not the lead who asked
    assert told() == [("manager", telling.REQUESTED), ("provider", telling.REQUESTED)]
    assert fresh(need).status == LearningNeed.Status.PLANNED

    waiting = lead.post("/api/v1/placements/", {"learning_need": need.pk,
                                                "session": session.pk, "places": 4},
                        format="json")
    assert waiting.status_code == 201, waiting.content
    assert waiting.json()["status"] == "waitlisted"
    assert counts(session) == (10, 8, 4)
    listed = provider.get(f"/api/v1/training-sessions/?offer={offer.pk}").json()["results"]
    assert [(s["places_booked"], s["places_waiting"], s["places_free"]) for s in listed] == [
        (8, 4, 2)]
    assert told() == []

    pk = first.json()["id"]
    assert provider.post(f"/api/v1/placements/{pk}/confirm/").status_code == 409
    approved = manager.post(f"/api/v1/placements/{pk}/approve/")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved" and approved.json()["approved_at"]
    # the provider confirms it; the need's lead hears it is approved
    assert told() == [("lead_a", telling.APPROVED), ("provider", telling.APPROVED)]
    assert manager.post(f"/api/v1/placements/{pk}/approve/").status_code == 409

    confirmed = provider.post(f"/api/v1/placements/{pk}/confirm/")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["confirmed_at"]
    assert told() == [("lead_a", telling.CONFIRMED)]
    assert fresh(need).status == LearningNeed.Status.IN_TRAINING
    assert counts(session) == (10, 8, 4)
    assert fresh(Placement.objects.get(pk=pk)).history.first().history_user == world.provider_user


def test_the_need_side_declines_a_request_and_the_provider_declines_approved_places(
        world, need, session):
    told = Told()
    request = book(world, need, session, 3)
    approved = services.placement_approve(actor=world.lead_a, placement=book(world, need,
                                                                            session, 2))
    told()

    services.placement_decline(actor=world.manager, placement=request, reason="Not this term.")
    assert (fresh(request).status, fresh(request).decided_reason) == ("declined",
                                                                      "Not this term.")
    assert told() == [("lead_a", telling.DECLINED)]

    with pytest.raises(InvalidTransition):  # approved places are the provider's to refuse
        services.placement_decline(actor=world.lead_a, placement=approved)
    services.placement_decline(actor=world.provider_user, placement=approved,
                               reason="The trainer is ill.")
    assert fresh(approved).status == "declined"
    assert told() == [("lead_a", telling.DECLINED)]
    assert counts(session) == (10, 0, 0)
    # nothing open is left: the need is identified again
    assert fresh(need).status == LearningNeed.Status.IDENTIFIED
    # and every row the step wrote names who took it
    assert need.history.first().history_user == world.provider_user
    assert session.history.first().history_user == world.provider_user
    assert session.offer.history.first().history_user == world.provider_user


def test_cancelling_gives_the_places_back_and_tells_the_other_side(world, need, session):
    placement = book(world, need, session, 4)
    services.placement_approve(actor=world.manager, placement=placement)
    services.placement_confirm(actor=world.provider_user, placement=placement)
    told = Told()

    services.placement_cancel(actor=world.lead_a, placement=placement, reason="Rota change.")

    assert fresh(placement).status == "cancelled"
    assert counts(session) == (10, 0, 0)
    assert told() == [("provider", telling.CANCELLED)]
    with pytest.raises(InvalidTransition):
        services.placement_cancel(actor=world.lead_a, placement=placement)
    # the provider cancelling tells the bookers
    other = book(world, need, session, 2)
    told()
    services.placement_cancel(actor=world.provider_user, placement=other)
    assert told() == [("lead_a", telling.CANCELLED)]


def test_freed_places_promote_the_first_waiting_requests_that_fit_in_order(world, need,
                                                                          session):
    big = book(world, need, session, 8)
    small = book(world, need, session, 2)
    first = book(world, need, session, 5)
    second = book(world, need, session, 3)
    third = book(world, need, session, 2)
    assert [p.status for p in (first, second, third)] == ["waitlisted"] * 3
    assert counts(session) == (10, 10, 10)
    told = Told()

    # two places free up: only the third request fits, so it moves up alone
    services.placement_cancel(actor=world.manager, placement=small)
    assert [fresh(p).status for p in (first, second, third)] == [
        "waitlisted", "waitlisted", "requested"]
    assert counts(session) == (10, 10, 8)
    # the lead hears their request moved up and waits for approval, the provider that it
    # is asked for; the manager who cancelled is told nothing
    assert told() == [("lead_a", telling.PROMOTED), ("lead_a", telling.REQUESTED),
                      ("provider", telling.REQUESTED)]

    # eight free up: the first and the second, in order, and no one twice
    services.placement_cancel(actor=world.manager, placement=big)
    assert [fresh(p).status for p in (first, second, third)] == ["requested"] * 3
    assert counts(session) == (10, 10, 0)
    f.deliver_events()
    promoted = Notification.objects.filter(kind=telling.PROMOTED)
    assert sorted(promoted.values_list("subject_id", flat=True)) == sorted(
        [first.pk, second.pk, third.pk])
    assert set(promoted.values_list("recipient__username", flat=True)) == {"lead_a"}
    told()


def test_a_change_of_places_is_refused_beyond_the_free_places(world, need, session):
    placement = book(world, need, session, 6)
    book(world, need, session, 3)
    with pytest.raises(LimitExceeded) as refused:
        services.placement_update(actor=world.lead_a, placement=placement, places=8)
    assert refused.value.field == "places"
    assert fresh(placement).places == 6
    services.placement_update(actor=world.lead_a, placement=placement, places=7)
    assert counts(session) == (10, 10, 0)
    # a waiting request may grow, but never beyond what the session holds
    waiting = book(world, need, session, 2)
    services.placement_update(actor=world.lead_a, placement=waiting, places=4)
    assert counts(session) == (10, 10, 4)
    with pytest.raises(LimitExceeded):
        services.placement_update(actor=world.lead_a, placement=waiting, places=11)
    assert counts(session) == (10, 10, 4)


# Attendance and completion -----------------------------------------------------------


def test_attendance_is_for_confirmed_places_after_the_session_starts(world, need, session,
                                                                      running):
    early = book(world, need, session, 2)
    services.placement_approve(actor=world.manager, placement=early)
    services.placement_confirm(actor=world.provider_user, placement=early)
    with pytest.raises(InvalidTransition, match="once the session has started"):
        services.placement_record_attendance(actor=world.provider_user, placement=early,
                                             places_attended=2, places_completed=2)

    placement = book(world, need, running, 4)
    services.placement_approve(actor=world.manager, placement=placement)
    with pytest.raises(InvalidTransition, match="confirmed places"):
        services.placement_record_attendance(actor=world.provider_user, placement=placement,
                                             places_attended=4, places_completed=4)
    services.placement_confirm(actor=world.provider_user, placement=placement)
    with pytest.raises(DomainError) as too_many:
        services.placement_record_attendance(actor=world.provider_user, placement=placement,
                                             places_attended=5, places_completed=3)
    assert too_many.value.field == "places_attended"
    with pytest.raises(DomainError) as more_completed:
        services.placement_record_attendance(actor=world.provider_user, placement=placement,
                                             places_attended=2, places_completed=3)
    assert more_completed.value.field == "places_completed"
    assert fresh(placement).places_attended is None

    services.placement_record_attendance(actor=world.provider_user, placement=placement,
                                         places_attended=4, places_completed=3)
    assert (fresh(placement).places_attended, fresh(placement).places_completed) == (4, 3)
    assert fresh(need).workers_trained == 3
    # a correction replaces the figure, it does not add to it
    services.placement_record_attendance(actor=world.provider_user, placement=placement,
                                         places_attended=4, places_completed=2)
    assert fresh(need).workers_trained == 2


def test_api_attendance_refuses_bad_figures_with_a_400_and_a_provider_only(api, world, need,
                                                                            running):
    placement = book(world, need, running, 3)
    services.placement_approve(actor=world.manager, placement=placement)
    services.placement_confirm(actor=world.provider_user, placement=placement)
    url = f"/api/v1/placements/{placement.pk}/attendance/"

    lead = api.as_user(world.lead_a).post(url, {"places_attended": 3, "places_completed": 3},
                                          format="json")
    assert lead.status_code == 403, lead.content
    bad = api.as_user(world.provider_user).post(url, {"places_attended": 2,
                                                      "places_completed": 3}, format="json")
    assert bad.status_code == 400, bad.content
    assert "places_completed" in bad.json()
    ok = api.as_user(world.provider_user).post(url, {"places_attended": 3,
                                                     "places_completed": 3}, format="json")
    assert ok.status_code == 200, ok.content
    assert (ok.json()["places_attended"], ok.json()["places_completed"]) == (3, 3)


def test_twelve_completed_places_meet_a_need_of_twelve_and_progress_counts_it(api, world, need,
                                                                              running):
    client = api.as_user(world.manager)
    url = f"/api/v1/programmes/{world.programme.pk}/progress/"
    assert client.get(url).json()["overall"]["learning_needs_met"] == 0
    placement = book(world, need, running, 12)
    services.placement_approve(actor=world.manager, placement=placement)
    services.placement_confirm(actor=world.provider_user, placement=placement)
    told = Told()

    services.placement_record_attendance(actor=world.provider_user, placement=placement,
                                         places_attended=12, places_completed=12)

    need = fresh(need)
    assert (need.status, need.workers_trained) == (LearningNeed.Status.MET, 12)
    assert need.history.first().history_user == world.provider_user
    assert told() == [("lead_a", telling.NEED_MET), ("manager", telling.NEED_MET)]
    progress = client.get(url).json()
    assert progress["overall"]["learning_needs_met"] == 1
    first = next(p for p in progress["principles"] if p["number"] == 1)
    assert first["learning_needs_met"] == 1
    # a need of fewer workers than have completed is met too
    other = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                                  workers_count=5)
    LearningNeed.objects.filter(pk=other.pk).update(workers_trained=4, status="in_training")
    assert services.need_update(actor=world.lead_a, need=other, workers_count=4).status == "met"
    # a met need takes no more bookings
    with pytest.raises(InvalidTransition):
        book(world, need, running, 1)


# Withdrawing an offer ------------------------------------------------------------------


def test_withdrawing_an_offer_cancels_its_bookings_releases_their_money_and_tells_each_partner(
        world, need):
    offer = services.offer_create(
        actor=world.provider_user, provider=world.provider, title="Safeguarding adults",
        format="workshop", status="published",
        sessions=[{"capacity": 5, "starts_at": NOW + datetime.timedelta(days=20)},
                  {"capacity": 5, "starts_at": NOW + datetime.timedelta(days=40)}])
    first, second = offer.sessions.order_by("pk")
    need_b = f.LearningNeedFactory(programme=world.programme, partner=world.partner_b)
    a1 = book(world, need, first, 3)
    a2 = book(world, need, second, 5)
    waiting = book(world, need, second, 2)
    b1 = services.placement_book(actor=world.lead_b, learning_need=need_b, session=first,
                                 places=2)
    services.placement_approve(actor=world.manager, placement=a1)
    services.placement_confirm(actor=world.provider_user, placement=a1)
    stream = f.FundingStreamFactory(programme=world.programme, funder=world.partner_b,
                                    amount=Decimal("1000.00"))
    held = [("planned", a1, need, Decimal("150.00")), ("committed", b1, need_b,
                                                        Decimal("100.00")),
            ("claimed", a2, need, Decimal("250.00"))]
    allocations = [FundingAllocation.objects.create(
        stream=stream, learning_need=n, placement=p, amount=amount, status=status,
        partner_id=n.partner_id) for status, p, n, amount in held]
    FundingStream.objects.filter(pk=stream.pk).update(allocated=Decimal("500.00"))
    told = Told()

    services.offer_withdraw(actor=world.provider_user, offer=offer, reason="The venue closed.")

    assert fresh(offer).status == TrainingOffer.Status.WITHDRAWN
    assert {fresh(p).status for p in (a1, a2, waiting, b1)} == {"cancelled"}
    assert fresh(a1).decided_reason == "The venue closed."
    assert counts(first) == (5, 0, 0) and counts(second) == (5, 0, 0)
    # planned and committed money goes back; claimed money was spent and stays
    assert [fresh(a).status for a in allocations] == ["cancelled", "cancelled", "claimed"]
    assert fresh(stream).allocated == Decimal("250.00")
    # one notice per booking partner's lead, none to the provider who withdrew
    assert told() == [("lead_a", telling.OFFER_WITHDRAWN), ("lead_b", telling.OFFER_WITHDRAWN)]
    assert fresh(need).status == LearningNeed.Status.IDENTIFIED
    withdrawn = offer.history.first()
    assert (withdrawn.status, withdrawn.history_user) == ("withdrawn", world.provider_user)


def test_a_booked_offer_does_not_go_back_to_draft(world, need, offer, session):
    book(world, need, session, 2)
    with pytest.raises(InvalidTransition, match="withdraw it"):
        services.offer_update(actor=world.provider_user, offer=offer, status="draft")
    assert fresh(offer).status == TrainingOffer.Status.PUBLISHED


# Sessions -------------------------------------------------------------------------------


def test_an_offers_capacity_is_the_sum_of_its_sessions(api, world, offer, session):
    client = api.as_user(world.provider_user)
    added = client.post("/api/v1/training-sessions/", {
        "offer": offer.pk, "capacity": 6, "starts_at": "2027-02-10T09:30:00Z",
        "ends_at": "2027-02-10T16:30:00Z", "location": "Mill Lane"}, format="json")
    assert added.status_code == 201, added.content
    offer = fresh(offer)
    assert offer.capacity == 16
    assert (offer.start_date, offer.end_date) == (datetime.date(2027, 1, 10),
                                                  datetime.date(2027, 2, 10))
    shown = client.get(f"/api/v1/training-offers/{offer.pk}/").json()
    assert (shown["capacity"], shown["places_free"]) == (16, 16)
    lead = api.as_user(world.lead_a).post("/api/v1/training-sessions/", {
        "offer": offer.pk, "capacity": 6}, format="json")
    assert lead.status_code == 403, lead.content
    # an offer of two sessions is booked on one of them
    with pytest.raises(DomainError) as which:
        services.placement_book(actor=world.manager, learning_need=f.LearningNeedFactory(
            programme=world.programme, partner=world.partner_a), training_offer=offer, places=1)
    assert which.value.field == "session"


def test_session_capacity_cannot_go_below_booked_and_raising_it_promotes(world, need, session):
    book(world, need, session, 7)
    waiting = book(world, need, session, 5)
    told = Told()
    with pytest.raises(LimitExceeded) as refused:
        services.session_update(actor=world.provider_user, session=session, capacity=6)
    assert refused.value.field == "capacity"
    assert counts(session) == (10, 7, 5)

    services.session_update(actor=world.provider_user, session=session, capacity=12)

    assert fresh(waiting).status == "requested"
    assert counts(session) == (12, 12, 0)
    assert told() == [("lead_a", telling.PROMOTED), ("lead_a", telling.REQUESTED),
                      ("manager", telling.REQUESTED)]


def test_the_last_session_stays_and_a_booked_one_is_kept(world, need, offer, session):
    with pytest.raises(InvalidTransition, match="at least one session"):
        services.session_delete(actor=world.provider_user, session=session)
    extra = services.session_create(actor=world.provider_user, offer=offer, capacity=4)
    services.placement_book(actor=world.lead_a, learning_need=need, session=extra, places=1)
    with pytest.raises(InvalidTransition, match="kept for the record"):
        services.session_delete(actor=world.provider_user, session=extra)
    spare = services.session_create(actor=world.provider_user, offer=offer, capacity=3)
    assert fresh(offer).capacity == 17
    services.session_delete(actor=world.provider_user, session=spare)
    assert fresh(offer).capacity == 14
    assert not TrainingSession.objects.filter(pk=spare.pk).exists()


# The data migration: each offer runs one session ----------------------------------------


def test_the_migration_makes_each_offer_one_session_and_books_its_placements_on_it(world, need):
    from importlib import import_module

    migration = import_module("learning.migrations.0005_one_session_per_offer")
    old = TrainingOffer.objects.create(
        provider=world.provider, title="Old course", format="workshop", capacity=15,
        places_booked=4, start_date=datetime.date(2026, 3, 2),
        end_date=datetime.date(2026, 3, 4), location="Town hall", status="published")
    modern = f.TrainingOfferFactory(provider=world.provider, capacity=8)
    scratch = modern.sessions.get()
    placement = Placement.objects.create(learning_need=need, training_offer=old,
                                         session=scratch, places=4)

    migration.forwards(apps, None)

    made = old.sessions.get()
    local = timezone.localtime
    assert (made.capacity, made.places_booked, made.location) == (15, 4, "Town hall")
    assert (local(made.starts_at).date(), local(made.ends_at).date()) == (
        datetime.date(2026, 3, 2), datetime.date(2026, 3, 4))
    assert fresh(placement).session == made
    # an offer that runs sessions already is left as it is, so running it again adds none
    assert list(modern.sessions.all()) == [scratch]
    migration.forwards(apps, None)
    assert TrainingSession.objects.filter(offer__in=[old, modern]).count() == 2


# Concurrent bookings and cancellations on PostgreSQL -------------------------------------


def run_together(count, work):
    """Run ``work(i)`` in ``count`` threads released at once; return their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as exc:  # noqa: B036 - reported below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(t.is_alive() for t in threads), "a request hung"
    crashed = [r for r in results if isinstance(r, BaseException)]
    assert crashed == [], crashed
    return results


def clients_for(users):
    clients = []
    for user in users:
        client = APIClient()
        client.force_authenticate(user=get_user_model().objects.get(pk=user.pk))
        clients.append(client)
    return clients


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixty_concurrent_bookings_fill_twenty_places_and_queue_the_rest(world):
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                                 workers_count=60)
    offer = f.TrainingOfferFactory(provider=world.provider, capacity=20, status="published")
    session = offer.sessions.get()
    clients = clients_for([world.lead_a] * 60)

    def post(i):
        answer = clients[i].post("/api/v1/placements/", {
            "learning_need": need.pk, "session": session.pk, "places": 1}, format="json")
        return answer.status_code, answer.json()

    results = run_together(60, post)

    assert [code for code, _ in results] == [201] * 60
    statuses = sorted(body["status"] for _, body in results)
    assert (statuses.count("requested"), statuses.count("waitlisted")) == (20, 40)
    assert counts(session) == (20, 20, 40)
    assert Placement.objects.filter(session=session).count() == 60


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_cancellations_promote_the_first_ten_waiting_each_told_once(world):
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                                 workers_count=60)
    offer = f.TrainingOfferFactory(provider=world.provider, capacity=20, status="published")
    session = offer.sessions.get()
    bookers = [f.UserFactory(username=f"booker{i}") for i in range(30)]
    for user in bookers:
        f.MembershipFactory(programme=world.programme, user=user, role="partner_lead",
                            partner=world.partner_a)
    placements = [services.placement_book(actor=bookers[i], learning_need=need,
                                          session=session, places=1) for i in range(30)]
    held, waiting = placements[:20], placements[20:]
    assert {p.status for p in waiting} == {"waitlisted"}
    told = Told()
    clients = clients_for([world.manager] * 10)

    def cancel(i):
        answer = clients[i].post(f"/api/v1/placements/{held[i].pk}/cancel/",
                                 {"reason": "Rota change"}, format="json")
        return answer.status_code

    assert run_together(10, cancel) == [200] * 10

    assert [fresh(p).status for p in waiting] == ["requested"] * 10
    assert counts(session) == (20, 20, 0)
    f.deliver_events()
    promoted = Notification.objects.filter(kind=telling.PROMOTED, pk__gt=told.seen)
    # each promoted placement's booker is told once (and the need's other leads with them)
    for placement in waiting:
        rows = promoted.filter(subject_id=placement.pk)
        assert rows.filter(recipient=placement.requested_by).count() == 1
        assert rows.count() == rows.values("recipient").distinct().count()
    assert set(promoted.values_list("subject_id", flat=True)) == {p.pk for p in waiting}
