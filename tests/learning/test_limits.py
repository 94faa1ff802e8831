"""Limits on places and money: an offer's capacity and a funding stream's amount.

Service-level and API-level tests run on SQLite and PostgreSQL. The tests marked
``postgres`` send many requests at the same moment through the HTTP API, each from
its own thread with its own database connection, and check that the limits hold
(and that optimistic concurrency on actions lets exactly one stale writer win).
"""

import threading
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Sum
from rest_framework.test import APIClient

from actions.models import Action
from core.errors import DomainError, InvalidTransition, LimitExceeded
from learning import services
from learning.models import FundingAllocation, FundingStream, LearningNeed, Placement, TrainingOffer

from .. import factories as f

# Fixtures and helpers ----------------------------------------------------------


@pytest.fixture
def need(world):
    return f.LearningNeedFactory(programme=world.programme, partner=world.partner_a)


@pytest.fixture
def offer(world):
    return f.TrainingOfferFactory(provider=world.provider, capacity=10, status="published")


@pytest.fixture
def stream(world):
    return f.FundingStreamFactory(programme=world.programme, funder=world.partner_b,
                                  name="Workforce development fund", amount=Decimal("1000.00"))


@pytest.fixture
def action(world):
    return f.ActionFactory(programme=world.programme, title="Map the stakeholders")


def staff():
    """Someone who may do every change: these tests are about limits, not roles."""
    return get_user_model().objects.get_or_create(username="limits-staff", is_staff=True)[0]


def fresh(obj):
    obj.refresh_from_db()
    return obj


def booked(offer):
    """Places held by placements that hold places (requested or confirmed)."""
    total = Placement.objects.filter(
        training_offer=offer, status__in=Placement.HOLDING
    ).aggregate(total=Sum("places"))["total"]
    return total or 0


def held(stream):
    """Money held by allocations that hold money (planned or committed).

    A Decimal, compared by value: SQLite's SUM drops trailing zeros (1000 for 1000.00).
    """
    total = FundingAllocation.objects.filter(
        stream=stream, status__in=FundingAllocation.HOLDING
    ).aggregate(total=Sum("amount"))["total"]
    total = total if total is not None else Decimal("0.00")
    assert isinstance(total, Decimal)
    return total


def assert_money(value, expected: str):
    assert isinstance(value, Decimal), f"{value!r} is a {type(value).__name__}, not a Decimal"
    assert value == Decimal(expected)
    assert value.as_tuple().exponent == -2 or value == 0, f"{value!r} should have two places"


# Placements within an offer's capacity ----------------------------------------


def test_booking_within_capacity_takes_places_on_the_offer(need, offer):
    first = services.placement_book(
        actor=staff(), learning_need=need, training_offer=offer, places=4
    )
    second = services.placement_book(
        actor=staff(), learning_need=need, training_offer=offer, places=6
    )

    offer = fresh(offer)
    assert offer.places_booked == 10 == booked(offer)
    assert offer.places_free == 0
    assert (first.status, second.status) == ("requested", "requested")
    assert fresh(need).status == LearningNeed.Status.PLANNED


def test_booking_beyond_the_free_places_waits_and_never_over_books(need, offer):
    services.placement_book(actor=staff(), learning_need=need, training_offer=offer, places=8)

    waiting = services.placement_book(actor=staff(), learning_need=need, training_offer=offer,
                                      places=3)

    assert waiting.status == Placement.Status.WAITLISTED
    offer = fresh(offer)
    assert offer.places_booked == 8 == booked(offer)
    session = offer.sessions.get()
    assert (session.capacity, session.places_booked, session.places_waiting) == (10, 8, 3)


def test_booking_more_than_the_session_holds_is_refused_and_writes_nothing(need, offer):
    placements_before = Placement.objects.count()
    offer_history_before = offer.history.count()

    with pytest.raises(LimitExceeded) as refused:
        services.placement_book(actor=staff(), learning_need=need, training_offer=offer,
                                places=11)

    assert refused.value.field == "places"
    assert "This session has 10 places in all" in refused.value.message
    assert refused.value.status_code == 409
    assert Placement.objects.count() == placements_before
    assert offer.history.count() == offer_history_before
    assert fresh(need).status == LearningNeed.Status.IDENTIFIED


def test_booking_exactly_the_free_places_fills_the_offer(need, offer):
    services.placement_book(actor=staff(), learning_need=need, training_offer=offer, places=7)
    services.placement_book(actor=staff(), learning_need=need, training_offer=offer, places=3)
    assert fresh(offer).places_booked == 10

    one_more = services.placement_book(actor=staff(), learning_need=need,
                                       training_offer=offer, places=1)
    assert one_more.status == Placement.Status.WAITLISTED
    assert fresh(offer).places_booked == 10 == booked(offer)


def test_booking_needs_at_least_one_place(need, offer):
    with pytest.raises(DomainError):
        services.placement_book(actor=staff(), learning_need=need, training_offer=offer, places=0)
    assert fresh(offer).places_booked == 0
    assert not Placement.objects.exists()


def test_cancelling_a_placement_gives_its_places_back(need, offer):
    placement = services.placement_book(
        actor=staff(), learning_need=need, training_offer=offer, places=10
    )
    assert fresh(offer).places_booked == 10

    services.placement_update(actor=staff(), placement=placement, status=Placement.Status.CANCELLED)

    assert fresh(offer).places_booked == 0 == booked(offer)
    # and the freed places can be booked again
    services.placement_book(actor=staff(), learning_need=need, training_offer=offer, places=10)
    assert fresh(offer).places_booked == 10 == booked(offer)


def test_confirming_a_placement_keeps_its_places(world, need, offer):
    placement = services.placement_book(
        actor=staff(), learning_need=need, training_offer=offer, places=4
    )
    services.placement_approve(actor=world.lead_a, placement=placement)
    services.placement_update(actor=world.provider_user, placement=placement,
                              status=Placement.Status.CONFIRMED)
    assert fresh(placement).status == Placement.Status.CONFIRMED
    assert fresh(offer).places_booked == 4 == booked(offer)


def test_deleting_a_placement_gives_its_places_back(need, offer):
    placement = services.placement_book(
        actor=staff(), learning_need=need, training_offer=offer, places=6
    )
    services.placement_delete(actor=staff(), placement=placement)
    assert fresh(offer).places_booked == 0
    assert not Placement.objects.exists()


def test_a_cancelled_placement_is_not_brought_back_and_booking_again_waits(need, offer):
    first = services.placement_book(
        actor=staff(), learning_need=need, training_offer=offer, places=6
    )
    services.placement_update(actor=staff(), placement=first, status=Placement.Status.CANCELLED)
    services.placement_book(actor=staff(), learning_need=need, training_offer=offer, places=6)
    assert fresh(offer).places_booked == 6

    # cancelled places are not brought back: they are booked again, and wait
    with pytest.raises(InvalidTransition):
        services.placement_update(actor=staff(), placement=first, status=Placement.Status.REQUESTED)
    assert fresh(first).status == Placement.Status.CANCELLED
    again = services.placement_book(actor=staff(), learning_need=need, training_offer=offer,
                                    places=6)
    assert again.status == Placement.Status.WAITLISTED
    assert fresh(offer).places_booked == 6 == booked(offer)


def test_changing_the_places_of_a_placement_stays_within_capacity(need, offer):
    placement = services.placement_book(
        actor=staff(), learning_need=need, training_offer=offer, places=4
    )

    services.placement_update(actor=staff(), placement=placement, places=10)
    assert fresh(offer).places_booked == 10

    with pytest.raises(LimitExceeded):
        services.placement_update(actor=staff(), placement=placement, places=11)
    assert fresh(placement).places == 10
    assert fresh(offer).places_booked == 10

    services.placement_update(actor=staff(), placement=placement, places=3)
    assert fresh(offer).places_booked == 3 == booked(offer)


def test_lowering_capacity_below_the_places_booked_is_refused(world, need, offer):
    services.placement_book(actor=staff(), learning_need=need, training_offer=offer, places=7)

    with pytest.raises(LimitExceeded) as refused:
        services.offer_update(actor=world.provider_user, offer=offer, capacity=6)

    assert refused.value.field == "capacity"
    offer = fresh(offer)
    assert (offer.capacity, offer.places_booked) == (10, 7)
    # down to exactly the places booked is fine
    services.offer_update(actor=world.provider_user, offer=offer, capacity=7)
    assert fresh(offer).capacity == 7


@pytest.mark.parametrize("status", ["draft", "withdrawn"])
def test_booking_on_an_offer_that_is_not_published_is_refused(world, need, status):
    offer = f.TrainingOfferFactory(provider=world.provider, capacity=10, status=status)

    with pytest.raises(InvalidTransition):
        services.placement_book(actor=staff(), learning_need=need, training_offer=offer, places=1)

    assert fresh(offer).places_booked == 0
    assert not Placement.objects.exists()
    assert fresh(need).status == LearningNeed.Status.IDENTIFIED


def test_booking_again_on_a_withdrawn_offer_is_refused(world, need, offer):
    placement = services.placement_book(
        actor=staff(), learning_need=need, training_offer=offer, places=2
    )
    services.offer_withdraw(actor=world.provider_user, offer=offer)
    assert fresh(placement).status == Placement.Status.CANCELLED

    with pytest.raises(InvalidTransition):
        services.placement_book(actor=staff(), learning_need=need, training_offer=offer,
                                places=2)
    assert Placement.objects.count() == 1
    assert fresh(offer).places_booked == 0


# Funding within a stream's amount ------------------------------------------------


def test_allocations_within_the_amount_are_held_on_the_stream(world, need, action, stream):
    first = services.allocation_create(actor=world.manager,
                                       stream=stream, learning_need=need, amount=Decimal("400.00"))
    second = services.allocation_create(actor=world.manager,
                                        stream=stream, action=action, amount=Decimal("600.00"))

    stream = fresh(stream)
    assert_money(stream.amount, "1000.00")
    assert_money(stream.allocated, "1000.00")
    assert_money(stream.available, "0.00")
    assert_money(fresh(first).amount, "400.00")
    assert_money(fresh(second).amount, "600.00")
    assert held(stream) == Decimal("1000.00")


def test_money_adds_up_exactly_to_the_penny(world, need, stream):
    for _ in range(3):
        services.allocation_create(actor=world.manager,
                                   stream=stream, learning_need=need, amount=Decimal("333.33"))
    assert_money(fresh(stream).allocated, "999.99")

    services.allocation_create(actor=world.manager,
                               stream=stream, learning_need=need, amount=Decimal("0.01"))
    assert_money(fresh(stream).allocated, "1000.00")

    with pytest.raises(LimitExceeded):
        services.allocation_create(actor=world.manager,
                                   stream=stream, learning_need=need, amount=Decimal("0.01"))
    assert_money(fresh(stream).allocated, "1000.00")
    assert FundingAllocation.objects.count() == 4


def test_an_allocation_over_the_amount_is_refused_and_writes_nothing(world, need, stream):
    services.allocation_create(actor=world.manager,
                               stream=stream, learning_need=need, amount=Decimal("750.00"))
    history_before = stream.history.count()

    with pytest.raises(LimitExceeded) as refused:
        services.allocation_create(actor=world.manager,
                                   stream=stream, learning_need=need, amount=Decimal("250.01"))

    assert refused.value.field == "amount"
    assert refused.value.status_code == 409
    assert "£250.00" in refused.value.message  # what is left
    stream = fresh(stream)
    assert_money(stream.allocated, "750.00")
    assert FundingAllocation.objects.count() == 1
    assert stream.history.count() == history_before


def test_cancelling_an_allocation_gives_the_money_back(world, need, stream):
    allocation = services.allocation_create(actor=world.manager, stream=stream, learning_need=need,
                                            amount=Decimal("1000.00"))
    services.allocation_update(actor=world.manager,
                               allocation=allocation, status=FundingAllocation.Status.CANCELLED)

    assert_money(fresh(stream).allocated, "0.00")
    # the money can be allocated again
    services.allocation_create(actor=world.manager,
                               stream=stream, learning_need=need, amount=Decimal("1000.00"))
    assert_money(fresh(stream).allocated, "1000.00")


def test_reactivating_a_cancelled_allocation_needs_the_money_to_be_free(world, need, stream):
    first = services.allocation_create(actor=world.manager,
                                       stream=stream, learning_need=need, amount=Decimal("600.00"))
    services.allocation_update(actor=world.manager,
                               allocation=first, status=FundingAllocation.Status.CANCELLED)
    services.allocation_create(actor=world.manager,
                               stream=stream, learning_need=need, amount=Decimal("500.00"))

    with pytest.raises(LimitExceeded):
        services.allocation_update(actor=world.manager,
                                   allocation=first, status=FundingAllocation.Status.COMMITTED)
    assert fresh(first).status == FundingAllocation.Status.CANCELLED
    assert_money(fresh(stream).allocated, "500.00")


def test_deleting_an_allocation_gives_the_money_back(world, need, stream):
    allocation = services.allocation_create(actor=world.manager, stream=stream, learning_need=need,
                                            amount=Decimal("120.50"))
    services.allocation_delete(actor=staff(), allocation=allocation)
    assert_money(fresh(stream).allocated, "0.00")


def test_changing_an_allocations_amount_adjusts_the_stream(world, need, action, stream):
    allocation = services.allocation_create(actor=world.manager, stream=stream, learning_need=need,
                                            amount=Decimal("400.00"))
    services.allocation_create(actor=world.manager,
                               stream=stream, action=action, amount=Decimal("500.00"))

    services.allocation_update(actor=world.manager, allocation=allocation, amount=Decimal("250.00"))
    assert_money(fresh(stream).allocated, "750.00")

    services.allocation_update(actor=world.manager, allocation=allocation, amount=Decimal("500.00"))
    assert_money(fresh(stream).allocated, "1000.00")

    with pytest.raises(LimitExceeded):
        services.allocation_update(actor=world.manager,
                                   allocation=allocation, amount=Decimal("500.01"))
    assert_money(fresh(allocation).amount, "500.00")
    assert_money(fresh(stream).allocated, "1000.00")
    assert held(stream) == Decimal("1000.00")


def test_lowering_a_streams_amount_below_the_allocated_money_is_refused(world, need, stream):
    services.allocation_create(actor=world.manager,
                               stream=stream, learning_need=need, amount=Decimal("640.00"))

    with pytest.raises(LimitExceeded) as refused:
        services.stream_update(actor=world.manager, stream=stream, amount=Decimal("639.99"))

    assert refused.value.field == "amount"
    stream = fresh(stream)
    assert_money(stream.amount, "1000.00")
    assert_money(stream.allocated, "640.00")
    services.stream_update(actor=world.manager, stream=stream, amount=Decimal("640.00"))
    assert_money(fresh(stream).amount, "640.00")


def test_an_allocation_targets_one_need_or_one_action(world, need, action, stream):
    with pytest.raises(DomainError):
        services.allocation_create(actor=world.manager, stream=stream, amount=Decimal("10.00"))
    with pytest.raises(DomainError):
        services.allocation_create(actor=world.manager,
                                   stream=stream, learning_need=need, action=action,
                                   amount=Decimal("10.00"))
    assert not FundingAllocation.objects.exists()
    assert_money(fresh(stream).allocated, "0.00")

    # an existing allocation cannot be pointed at both
    allocation = services.allocation_create(actor=world.manager, stream=stream, learning_need=need,
                                            amount=Decimal("10.00"))
    with pytest.raises(DomainError):
        services.allocation_update(actor=world.manager, allocation=allocation, action=action)
    allocation = fresh(allocation)
    assert (allocation.learning_need_id, allocation.action_id) == (need.pk, None)


def test_an_allocation_targets_the_streams_programme(world, stream):
    other = f.ProgrammeFactory(framework=world.framework, partners=[world.partner_a])
    foreign_need = f.LearningNeedFactory(programme=other, partner=world.partner_a)
    foreign_action = f.ActionFactory(programme=other)

    with pytest.raises(DomainError) as refused:
        services.allocation_create(actor=world.manager, stream=stream, learning_need=foreign_need,
                                   amount=Decimal("10.00"))
    assert refused.value.field == "learning_need"
    with pytest.raises(DomainError) as refused:
        services.allocation_create(actor=world.manager,
                                   stream=stream, action=foreign_action, amount=Decimal("10.00"))
    assert refused.value.field == "action"
    assert not FundingAllocation.objects.exists()
    assert_money(fresh(stream).allocated, "0.00")


# The API answers 409 over a limit --------------------------------------------------


def test_api_placement_beyond_the_free_places_is_a_201_on_the_waiting_list(api, world, need,
                                                                          offer):
    client = api.as_user(world.manager)
    url = "/api/v1/placements/"
    ok = client.post(url, {"learning_need": need.pk, "training_offer": offer.pk, "places": 8},
                     format="json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["status"] == "requested"

    waiting = client.post(url, {"learning_need": need.pk, "training_offer": offer.pk,
                                "places": 3}, format="json")

    assert waiting.status_code == 201, waiting.content
    assert waiting.json()["status"] == "waitlisted"
    offer = fresh(offer)
    assert offer.places_booked == 8 == booked(offer)
    assert client.get(f"/api/v1/training-offers/{offer.pk}/").json()["places_booked"] == 8
    session = client.get(f"/api/v1/training-sessions/{waiting.json()['session']}/").json()
    assert (session["places_booked"], session["places_waiting"]) == (8, 3)


def test_api_placement_beyond_the_session_is_a_409_and_writes_nothing(api, world, need, offer):
    refused = api.as_user(world.manager).post(
        "/api/v1/placements/",
        {"learning_need": need.pk, "training_offer": offer.pk, "places": 11}, format="json")

    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert body["code"] == "limit_exceeded"
    assert body["places"] == [body["detail"]]
    assert not Placement.objects.exists()


def test_api_placement_on_a_withdrawn_offer_is_a_409(api, world, need):
    offer = f.TrainingOfferFactory(provider=world.provider, capacity=10, status="withdrawn")
    response = api.as_user(world.manager).post(
        "/api/v1/placements/",
        {"learning_need": need.pk, "training_offer": offer.pk, "places": 1}, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "invalid_state"
    assert not Placement.objects.exists()


def test_api_allocation_over_the_amount_is_a_409_and_writes_nothing(api, world, need, stream):
    client = api.as_user(world.manager)
    url = "/api/v1/funding-allocations/"
    ok = client.post(url, {"stream": stream.pk, "learning_need": need.pk, "amount": "600.00"},
                     format="json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["amount"] == "600.00"  # money goes out as a decimal string, never a float

    refused = client.post(url, {"stream": stream.pk, "learning_need": need.pk,
                                "amount": "400.01"}, format="json")

    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert body["code"] == "limit_exceeded"
    assert "£400.00" in body["detail"]
    assert body["amount"] == [body["detail"]]
    assert_money(fresh(stream).allocated, "600.00")
    assert FundingAllocation.objects.count() == 1
    shown = client.get(f"/api/v1/funding-streams/{stream.pk}/").json()
    assert (shown["amount"], shown["allocated"], shown["available"]) == (
        "1000.00", "600.00", "400.00")


def test_api_allocation_to_both_a_need_and_an_action_is_a_400(api, world, need, action, stream):
    response = api.as_user(world.manager).post(
        "/api/v1/funding-allocations/",
        {"stream": stream.pk, "learning_need": need.pk, "action": action.pk, "amount": "5.00"},
        format="json")
    assert response.status_code == 400, response.content
    assert not FundingAllocation.objects.exists()


# Concurrent requests on PostgreSQL ---------------------------------------------------

THREADS = 50


def run_together(count, work):
    """Run ``work(i)`` in ``count`` threads released at once; return results or exceptions."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def runner(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as exc:  # noqa: B036 - reported by the test below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a request hung"
    crashed = [r for r in results if isinstance(r, BaseException)]
    assert crashed == [], crashed
    return results


def clients_for(user, count):
    """One API client per thread, each with its own copy of the user."""
    clients = []
    for _ in range(count):
        client = APIClient()
        client.force_authenticate(user=get_user_model().objects.get(pk=user.pk))
        clients.append(client)
    return clients


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_never_exceed_capacity(world):
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a)
    offer = f.TrainingOfferFactory(provider=world.provider, capacity=20, status="published")
    clients = clients_for(world.manager, THREADS)

    def book(i):
        response = clients[i].post(
            "/api/v1/placements/",
            {"learning_need": need.pk, "training_offer": offer.pk, "places": 1}, format="json")
        return response.status_code, response.json()

    results = run_together(THREADS, book)

    assert sorted(status for status, _ in results) == [201] * THREADS
    told = sorted(body["status"] for _, body in results)
    assert told.count("requested") == 20, told
    assert told.count("waitlisted") == 30, told
    offer = TrainingOffer.objects.get(pk=offer.pk)
    assert offer.places_booked == 20 == booked(offer)
    session = offer.sessions.get()
    assert (session.places_booked, session.places_waiting) == (20, 30)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_exceed_the_amount(world):
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a)
    action = f.ActionFactory(programme=world.programme)
    stream = f.FundingStreamFactory(programme=world.programme, funder=world.partner_b,
                                    amount=Decimal("1000.00"))
    clients = clients_for(world.manager, THREADS)

    def allocate(i):
        target = {"learning_need": need.pk} if i % 2 else {"action": action.pk}
        response = clients[i].post(
            "/api/v1/funding-allocations/",
            {"stream": stream.pk, "amount": "50.00", **target}, format="json")
        return response.status_code, response.json()

    results = run_together(THREADS, allocate)

    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 20, statuses
    assert statuses.count(409) == 30, statuses
    for status, body in results:
        if status == 201:
            assert body["amount"] == "50.00"
        else:
            assert body["code"] == "limit_exceeded", body
            assert "Only £0.00 of this stream's £1,000.00 is unallocated" in body["detail"], body
    stream = FundingStream.objects.get(pk=stream.pk)
    assert_money(stream.allocated, "1000.00")
    assert held(stream) == Decimal("1000.00")
    assert FundingAllocation.objects.filter(stream=stream).count() == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_of_one_action_version_let_exactly_one_win(world):
    action = f.ActionFactory(programme=world.programme, title="Original title")
    assert action.version == 1
    count = 20
    clients = clients_for(world.manager, count)

    def edit(i):
        response = clients[i].patch(f"/api/v1/actions/{action.pk}/",
                                    {"title": f"Title from writer {i}", "version": 1},
                                    format="json")
        return i, response.status_code, response.json()

    results = run_together(count, edit)

    winners = [(i, body) for i, status, body in results if status == 200]
    losers = [(status, body) for _, status, body in results if status != 200]
    assert len(winners) == 1, [status for _, status, _ in results]
    assert [status for status, _ in losers] == [409] * (count - 1)
    for _, body in losers:
        assert body["code"] == "stale_version", body
        assert "version 2, you sent 1" in body["detail"], body
    winner, body = winners[0]
    assert body["version"] == 2 and body["title"] == f"Title from writer {winner}"
    stored = Action.objects.get(pk=action.pk)
    assert stored.version == 2
    assert stored.title == f"Title from writer {winner}"
