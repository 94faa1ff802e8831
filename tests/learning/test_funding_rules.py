"""A funding stream's rules and an allocation's life (DESIGN.md, "Funding rules").

A stream may pay only for some principles and staff groups, cap what one partner draws,
and take claims in a window. An allocation outside the rules is refused with a 400 that
names the rule, and nothing is written. An allocation goes planned → committed →
claimed → paid, or is cancelled (planned or committed), which gives its money back. The
stream shows its money at each step and each partner's against the cap; the cap holds
under concurrent requests (PostgreSQL).
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from core.errors import DomainError, InvalidTransition, LimitExceeded
from learning import services
from learning.models import FundingAllocation, FundingStream
from programmes import services as programme_services

from .. import factories as f
from .test_limits import assert_money, clients_for, fresh, held, run_together

pytestmark = pytest.mark.django_db

S = FundingAllocation.Status
TODAY = datetime.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def today():
    """Today is 15 June 2026 in Europe/London (noon, far from midnight)."""
    with time_machine.travel(datetime.datetime(2026, 6, 15, 11, 0, tzinfo=datetime.UTC),
                             tick=False):
        yield


@pytest.fixture
def scheme(world):
    """A stream for principle 1, care workers and nurses, £500 a partner, claims in 2026."""
    stream = services.stream_create(
        actor=world.manager, programme=world.programme,
        name="Learning and development support scheme", funder=world.partner_b,
        amount=Decimal("2000.00"), eligible_principles=[world.principles[0]],
        eligible_staff_groups=["Care workers", " Registered nurses "],
        cap_per_partner=Decimal("500.00"), claims_open=datetime.date(2026, 4, 1),
        claims_close=datetime.date(2026, 12, 31))
    return stream


def need_for(world, partner=None, *, principle=0, staff_group="Care workers"):
    return f.LearningNeedFactory(
        programme=world.programme, partner=partner or world.partner_a,
        principle=world.principles[principle] if principle is not None else None,
        staff_group=staff_group)


def allocate(world, stream, amount, **target):
    return services.allocation_create(actor=world.manager, stream=stream,
                                      amount=Decimal(amount), **target)


def snapshot(stream):
    stream = fresh(stream)
    return (stream.allocated, FundingAllocation.objects.count(), stream.history.count(),
            FundingAllocation.history.count())


# The stream takes its rules ----------------------------------------------------------


def test_a_stream_keeps_its_rules_with_staff_groups_tidied(world, scheme):
    scheme = fresh(scheme)
    assert list(scheme.eligible_principles.all()) == [world.principles[0]]
    assert scheme.eligible_staff_groups == ["Care workers", "Registered nurses"]
    assert_money(scheme.cap_per_partner, "500.00")
    assert (scheme.claims_open, scheme.claims_close) == (datetime.date(2026, 4, 1),
                                                         datetime.date(2026, 12, 31))


def test_staff_groups_drop_blanks_and_repeats_whatever_their_case(world):
    stream = services.stream_create(
        actor=world.manager, programme=world.programme, name="Fund", funder=world.partner_b,
        amount=Decimal("10.00"),
        eligible_staff_groups=["Care  workers", "", "care workers ", "Nurses"])
    assert fresh(stream).eligible_staff_groups == ["Care workers", "Nurses"]


def test_claims_cannot_close_before_they_open(world, scheme):
    with pytest.raises(DomainError) as refused:
        services.stream_update(actor=world.manager, stream=scheme,
                               claims_close=datetime.date(2026, 3, 31))
    assert refused.value.field == "claims_close"
    assert refused.value.message.startswith("Claims must not close before they open")
    assert "1 April 2026" in refused.value.message
    assert fresh(scheme).claims_close == datetime.date(2026, 12, 31)


def test_a_principle_of_another_framework_is_refused(world):
    other = f.PrincipleFactory(framework=f.FrameworkFactory(slug="other"), number=9,
                               title="Elsewhere")
    with pytest.raises(DomainError) as refused:
        services.stream_create(actor=world.manager, programme=world.programme, name="Fund",
                               funder=world.partner_b, amount=Decimal("10.00"),
                               eligible_principles=[other])
    assert refused.value.field == "eligible_principles"
    assert not FundingStream.objects.exists()


def test_the_cap_cannot_fall_below_what_a_partner_holds(world, scheme):
    allocate(world, scheme, "450.00", learning_need=need_for(world))
    allocate(world, scheme, "200.00", learning_need=need_for(world, world.partner_b))

    with pytest.raises(LimitExceeded) as refused:
        services.stream_update(actor=world.manager, stream=scheme,
                               cap_per_partner=Decimal("449.99"))

    assert refused.value.field == "cap_per_partner"
    assert refused.value.message == (
        "Alpha Council already holds £450.00 from this stream, so the cap per partner "
        "cannot be lower than that.")
    assert_money(fresh(scheme).cap_per_partner, "500.00")
    services.stream_update(actor=world.manager, stream=scheme, cap_per_partner=Decimal("450.00"))
    assert_money(fresh(scheme).cap_per_partner, "450.00")


def test_only_managers_set_the_rules(world, scheme):
    with pytest.raises(PermissionDenied):
        services.stream_update(actor=world.lead_b, stream=scheme, cap_per_partner=None)
    assert_money(fresh(scheme).cap_per_partner, "500.00")


# Each rule refuses an allocation, by name, writing nothing ---------------------------


def test_an_eligible_need_within_the_cap_is_allocated_to_its_partner(world, scheme):
    allocation = allocate(world, scheme, "500.00",
                          learning_need=need_for(world, staff_group="  care WORKERS "))
    assert allocation.partner_id == world.partner_a.pk
    assert_money(fresh(scheme).allocated, "500.00")


@pytest.mark.parametrize("principle, why", [(1, "is for another principle"),
                                            (None, "has no principle")])
def test_a_need_for_a_principle_the_stream_does_not_pay_for_is_refused(world, scheme,
                                                                       principle, why):
    need = need_for(world, principle=principle)
    before = snapshot(scheme)
    with pytest.raises(DomainError) as refused:
        allocate(world, scheme, "10.00", learning_need=need)
    assert (refused.value.status_code, refused.value.rule) == (400, "eligible_principles")
    assert refused.value.field == "learning_need"
    assert refused.value.message == (
        f"This stream pays only for principle 1. {world.principles[0].title}; "
        f"this learning need {why}.")
    assert snapshot(scheme) == before


def test_an_action_is_judged_by_its_gaps_principle(world):
    stream = services.stream_create(actor=world.manager, programme=world.programme,
                                    name="Principle fund", funder=world.partner_b,
                                    amount=Decimal("100.00"),
                                    eligible_principles=[world.principles[1]])
    gap = programme_services.gap_create(actor=world.manager, programme=world.programme,
                                        partner=world.partner_a, checklist_item=world.items[2],
                                        severity="medium")
    on_gap = f.ActionFactory(programme=world.programme, gap=gap, owner_partner=world.partner_a)
    no_gap = f.ActionFactory(programme=world.programme)

    assert allocate(world, stream, "10.00", action=on_gap).partner_id == world.partner_a.pk
    with pytest.raises(DomainError) as refused:
        allocate(world, stream, "10.00", action=no_gap)
    assert refused.value.rule == "eligible_principles"
    assert "this action has no principle" in refused.value.message
    assert FundingAllocation.objects.count() == 1


def test_a_need_for_another_staff_group_is_refused(world, scheme):
    need = need_for(world, staff_group="Social workers")
    before = snapshot(scheme)
    with pytest.raises(DomainError) as refused:
        allocate(world, scheme, "10.00", learning_need=need)
    assert (refused.value.status_code, refused.value.rule) == (400, "eligible_staff_groups")
    assert refused.value.message == ("This stream pays only for learning for Care workers or "
                                     "Registered nurses, not for Social workers.")
    assert snapshot(scheme) == before


def test_a_stream_for_staff_groups_pays_for_no_action(world):
    stream = services.stream_create(actor=world.manager, programme=world.programme,
                                    name="Carers' fund", funder=world.partner_b,
                                    amount=Decimal("100.00"),
                                    eligible_staff_groups=["Care workers"])
    action = f.ActionFactory(programme=world.programme, owner_partner=world.partner_a)
    with pytest.raises(DomainError) as refused:
        allocate(world, stream, "10.00", action=action)
    assert refused.value.rule == "eligible_staff_groups"
    assert refused.value.message == ("This stream pays only for learning for Care workers; an "
                                     "action has no staff group, so fund a learning need "
                                     "instead.")
    assert not FundingAllocation.objects.exists()


def test_money_beyond_the_cap_is_refused_saying_what_is_left(world, scheme):
    allocate(world, scheme, "320.00", learning_need=need_for(world))
    before = snapshot(scheme)

    with pytest.raises(DomainError) as refused:
        allocate(world, scheme, "180.01", learning_need=need_for(world))

    assert (refused.value.status_code, refused.value.rule) == (400, "cap_per_partner")
    assert refused.value.field == "amount"
    assert refused.value.message == (
        "This stream's cap per partner is £500.00: Alpha Council has £320.00 from it already, "
        "so £180.00 is left under the cap and £180.01 was asked for.")
    assert snapshot(scheme) == before
    # the other partner has its own cap, and the first can still take what is left
    allocate(world, scheme, "500.00", learning_need=need_for(world, world.partner_b))
    allocate(world, scheme, "180.00", learning_need=need_for(world))
    assert_money(fresh(scheme).allocated, "1000.00")


def test_cancelled_money_is_no_longer_under_the_cap(world, scheme):
    first = allocate(world, scheme, "500.00", learning_need=need_for(world))
    services.allocation_cancel(actor=world.manager, allocation=first)
    allocate(world, scheme, "500.00", learning_need=need_for(world))
    assert_money(fresh(scheme).allocated, "500.00")


def test_an_action_no_partner_owns_draws_on_no_cap(world):
    stream = services.stream_create(actor=world.manager, programme=world.programme,
                                    name="Open fund", funder=world.partner_b,
                                    amount=Decimal("1000.00"), cap_per_partner=Decimal("100.00"))
    action = f.ActionFactory(programme=world.programme, owner_partner=None)
    allocation = allocate(world, stream, "900.00", action=action)
    assert allocation.partner_id is None


def test_raising_an_amount_beyond_the_cap_is_refused(world, scheme):
    allocation = allocate(world, scheme, "300.00", learning_need=need_for(world))
    allocate(world, scheme, "100.00", learning_need=need_for(world))
    with pytest.raises(DomainError) as refused:
        services.allocation_update(actor=world.manager, allocation=allocation,
                                   amount=Decimal("400.01"))
    assert refused.value.rule == "cap_per_partner"
    assert "£400.00 is left under the cap" in refused.value.message
    assert_money(fresh(allocation).amount, "300.00")
    services.allocation_update(actor=world.manager, allocation=allocation,
                               amount=Decimal("400.00"))
    assert_money(fresh(scheme).allocated, "500.00")


def test_no_new_allocation_once_the_claim_window_has_closed(world, scheme):
    services.stream_update(actor=world.manager, stream=scheme,
                           claims_open=datetime.date(2026, 1, 1),
                           claims_close=datetime.date(2026, 6, 14))
    before = snapshot(scheme)
    with pytest.raises(DomainError) as refused:
        allocate(world, scheme, "10.00", learning_need=need_for(world))
    assert (refused.value.status_code, refused.value.rule) == (400, "claims_close")
    assert refused.value.message == ("Claims on this stream closed on 14 June 2026, so no new "
                                     "money can be allocated from it.")
    assert snapshot(scheme) == before


def test_the_last_day_of_the_window_is_still_open_in_london(world, scheme):
    services.stream_update(actor=world.manager, stream=scheme,
                           claims_close=datetime.date(2026, 6, 15))
    # 23:30 UTC on 14 June is 00:30 on 15 June in London (summer time)
    with time_machine.travel(datetime.datetime(2026, 6, 14, 23, 30, tzinfo=datetime.UTC),
                             tick=False):
        allocate(world, scheme, "10.00", learning_need=need_for(world))
    # 23:30 UTC on 15 June is already 16 June in London
    with time_machine.travel(datetime.datetime(2026, 6, 15, 23, 30, tzinfo=datetime.UTC),
                             tick=False), pytest.raises(DomainError):
        allocate(world, scheme, "10.00", learning_need=need_for(world))
    assert FundingAllocation.objects.count() == 1


def test_a_placement_implies_its_need_and_must_belong_to_it(world, scheme):
    need = need_for(world)
    placement = f.PlacementFactory(learning_need=need)
    allocation = allocate(world, scheme, "50.00", placement=placement)
    assert (allocation.learning_need_id, allocation.placement_id) == (need.pk, placement.pk)

    with pytest.raises(DomainError) as refused:
        allocate(world, scheme, "50.00", learning_need=need_for(world), placement=placement)
    assert refused.value.field == "placement"
    assert refused.value.message == "The placement must be one of this learning need's bookings."
    assert FundingAllocation.objects.count() == 1


def test_a_new_allocation_cannot_start_claimed(world, scheme):
    with pytest.raises(DomainError) as refused:
        allocate(world, scheme, "10.00", learning_need=need_for(world), status="claimed")
    assert refused.value.field == "status"
    assert not FundingAllocation.objects.exists()


# The life of an allocation ------------------------------------------------------------


def test_an_allocation_is_committed_claimed_and_paid(world, scheme):
    allocation = allocate(world, scheme, "200.00", learning_need=need_for(world))
    assert allocation.status == S.PLANNED

    allocation = services.allocation_commit(actor=world.manager, allocation=allocation)
    assert allocation.status == S.COMMITTED
    allocation = services.allocation_claim(actor=world.manager, allocation=allocation,
                                           evidence="Invoice 42 and the attendance register")
    assert (allocation.status, allocation.claimed_on) == (S.CLAIMED, TODAY)
    assert allocation.evidence == "Invoice 42 and the attendance register"
    allocation = services.allocation_pay(actor=world.manager, allocation=allocation,
                                         paid_on=datetime.date(2026, 6, 20))
    assert (allocation.status, allocation.paid_on) == (S.PAID, datetime.date(2026, 6, 20))

    # the money stays held on the stream at every step
    assert_money(fresh(scheme).allocated, "200.00")
    assert held(scheme) == Decimal("200.00")
    assert [h.status for h in fresh(allocation).history.order_by("history_date")] == [
        "planned", "committed", "claimed", "paid"]


def test_a_claim_needs_evidence(world, scheme):
    allocation = services.allocation_commit(
        actor=world.manager, allocation=allocate(world, scheme, "20.00",
                                                 learning_need=need_for(world)))
    with pytest.raises(DomainError) as refused:
        services.allocation_claim(actor=world.manager, allocation=allocation, evidence="  ")
    assert refused.value.field == "evidence"
    assert refused.value.message.endswith("a claim needs its evidence.")
    assert (fresh(allocation).status, fresh(allocation).claimed_on) == (S.COMMITTED, None)


@pytest.mark.parametrize("day", [datetime.date(2026, 3, 31), datetime.date(2027, 1, 1)])
def test_a_claim_falls_inside_the_window(world, scheme, day):
    allocation = services.allocation_commit(
        actor=world.manager, allocation=allocate(world, scheme, "20.00",
                                                 learning_need=need_for(world)))
    with pytest.raises(DomainError) as refused:
        services.allocation_claim(actor=world.manager, allocation=allocation,
                                  evidence="Invoice", claimed_on=day)
    assert (refused.value.status_code, refused.value.rule) == (400, "claim_window")
    assert refused.value.field == "claimed_on"
    assert refused.value.message == (
        f"Claims on this stream are made from 1 April 2026 to 31 December 2026; "
        f"{day:%-d %B %Y} is outside that window.")
    assert fresh(allocation).status == S.COMMITTED
    services.allocation_claim(actor=world.manager, allocation=allocation, evidence="Invoice",
                              claimed_on=datetime.date(2026, 12, 31))
    assert fresh(allocation).claimed_on == datetime.date(2026, 12, 31)


@pytest.mark.parametrize("start, step, sentence", [
    ("planned", "claim", "Commit the money before it is claimed."),
    ("planned", "pay", "The money must be claimed, with its evidence, before it is paid."),
    ("committed", "pay", "The money must be claimed, with its evidence, before it is paid."),
    ("claimed", "cancel", "This money has been claimed from the funder, so it cannot be "
                          "cancelled; a claim stays on the record."),
    ("paid", "cancel", "This money has been paid, so it cannot be cancelled; a payment stays "
                       "on the record."),
    ("cancelled", "commit", "This allocation was cancelled and its money given back; make a "
                            "new allocation instead."),
])
def test_steps_out_of_order_are_refused(world, scheme, start, step, sentence):
    allocation = at_step(world, scheme, start)
    before = snapshot(scheme)
    calls = {
        "commit": lambda: services.allocation_commit(actor=world.manager, allocation=allocation),
        "claim": lambda: services.allocation_claim(actor=world.manager, allocation=allocation,
                                                   evidence="Invoice"),
        "pay": lambda: services.allocation_pay(actor=world.manager, allocation=allocation),
        "cancel": lambda: services.allocation_cancel(actor=world.manager, allocation=allocation),
    }
    with pytest.raises(InvalidTransition) as refused:
        calls[step]()
    assert refused.value.status_code == 409
    assert refused.value.message == sentence
    assert fresh(allocation).status == start
    assert snapshot(scheme) == before


def at_step(world, stream, status, amount="100.00"):
    allocation = allocate(world, stream, amount, learning_need=need_for(world))
    if status == "cancelled":
        return services.allocation_cancel(actor=world.manager, allocation=allocation)
    if status in ("committed", "claimed", "paid"):
        allocation = services.allocation_commit(actor=world.manager, allocation=allocation)
    if status in ("claimed", "paid"):
        allocation = services.allocation_claim(actor=world.manager, allocation=allocation,
                                               evidence="Invoice 7")
    if status == "paid":
        allocation = services.allocation_pay(actor=world.manager, allocation=allocation)
    return allocation


@pytest.mark.parametrize("status", ["planned", "committed"])
def test_cancelling_gives_the_money_back_under_the_cap_too(world, scheme, status):
    allocation = at_step(world, scheme, status, amount="500.00")
    services.allocation_cancel(actor=world.manager, allocation=allocation)
    assert fresh(allocation).status == S.CANCELLED
    assert_money(fresh(scheme).allocated, "0.00")
    allocate(world, scheme, "500.00", learning_need=need_for(world))


def test_claimed_money_keeps_its_amount_and_cannot_be_removed(world, scheme):
    allocation = at_step(world, scheme, "claimed")
    with pytest.raises(InvalidTransition) as refused:
        services.allocation_update(actor=world.manager, allocation=allocation,
                                   amount=Decimal("90.00"))
    assert refused.value.message == ("This money has been claimed, so its amount and what it "
                                     "pays for stay as they are.")
    with pytest.raises(InvalidTransition) as refused:
        services.allocation_delete(actor=world.manager, allocation=allocation)
    assert refused.value.message == ("This money has been claimed, so the allocation is kept "
                                     "for the record.")
    assert_money(fresh(allocation).amount, "100.00")


def test_a_payment_is_not_before_its_claim(world, scheme):
    allocation = at_step(world, scheme, "claimed")
    with pytest.raises(DomainError) as refused:
        services.allocation_pay(actor=world.manager, allocation=allocation,
                                paid_on=datetime.date(2026, 6, 14))
    assert refused.value.field == "paid_on"
    assert refused.value.message == ("The money cannot be paid before it was claimed "
                                     "(15 June 2026).")
    assert fresh(allocation).status == S.CLAIMED


def test_update_takes_the_same_steps(world, scheme):
    allocation = at_step(world, scheme, "committed")
    with pytest.raises(DomainError) as refused:
        services.allocation_update(actor=world.manager, allocation=allocation, status="claimed")
    assert refused.value.field == "evidence"
    services.allocation_update(actor=world.manager, allocation=allocation, status="claimed",
                               evidence="Receipts", claimed_on=datetime.date(2026, 5, 1))
    allocation = fresh(allocation)
    assert (allocation.status, allocation.claimed_on) == (S.CLAIMED, datetime.date(2026, 5, 1))
    with pytest.raises(DomainError) as refused:
        services.allocation_update(actor=world.manager, allocation=at_step(world, scheme,
                                                                           "planned"),
                                   evidence="Too soon")
    assert refused.value.message == ("The evidence and the claim date are recorded when the "
                                     "money is claimed.")


@pytest.mark.parametrize("step", ["allocation_commit", "allocation_cancel"])
def test_only_managers_move_an_allocation_along(world, scheme, step):
    allocation = at_step(world, scheme, "planned")
    for who in (world.lead_a, world.lead_b, world.reviewer, world.provider_user):
        with pytest.raises(PermissionDenied):
            getattr(services, step)(actor=who, allocation=allocation)
    assert fresh(allocation).status == S.PLANNED


# The stream's figures, and each partner's --------------------------------------------


def _the_books(world, scheme):
    """Planned £50 (A), committed £120 (B), claimed £100 (A), paid £30.50 (B), and a
    cancelled £300 (A)."""
    allocate(world, scheme, "50.00", learning_need=need_for(world))
    services.allocation_commit(actor=world.manager, allocation=allocate(
        world, scheme, "120.00", learning_need=need_for(world, world.partner_b)))
    at_step(world, scheme, "claimed")
    paid = allocate(world, scheme, "30.50", learning_need=need_for(world, world.partner_b))
    paid = services.allocation_commit(actor=world.manager, allocation=paid)
    paid = services.allocation_claim(actor=world.manager, allocation=paid, evidence="Invoice")
    services.allocation_pay(actor=world.manager, allocation=paid)
    at_step(world, scheme, "cancelled", amount="300.00")


def test_the_stream_shows_its_money_at_each_step(api, world, scheme):
    _the_books(world, scheme)
    body = api.as_user(world.reviewer).get(f"/api/v1/funding-streams/{scheme.pk}/").json()
    assert {k: body[k] for k in ("amount", "allocated", "planned", "committed", "claimed",
                                 "paid", "available")} == {
        "amount": "2000.00", "allocated": "300.50", "planned": "50.00", "committed": "120.00",
        "claimed": "100.00", "paid": "30.50", "available": "1699.50"}
    assert body["eligible_principles"] == [world.principles[0].pk]
    assert body["eligible_staff_groups"] == ["Care workers", "Registered nurses"]
    assert (body["cap_per_partner"], body["claims_open"], body["claims_close"]) == (
        "500.00", "2026-04-01", "2026-12-31")
    listed = api.as_user(world.reviewer).get("/api/v1/funding-streams/").json()["results"]
    assert [(s["id"], s["paid"], s["available"]) for s in listed] == [
        (scheme.pk, "30.50", "1699.50")]


def test_each_partner_against_the_cap(api, world, scheme):
    _the_books(world, scheme)
    f.FundingAllocationFactory(stream=scheme, action=f.ActionFactory(programme=world.programme),
                               amount=Decimal("5.00"))  # on no partner's cap
    reply = api.as_user(world.lead_a).get(f"/api/v1/funding-streams/{scheme.pk}/partners/")
    assert reply.status_code == 200
    assert reply.json() == [
        {"partner": world.partner_a.pk, "partner_name": "Alpha Council", "planned": "50.00",
         "committed": "0.00", "claimed": "100.00", "paid": "0.00", "held": "150.00",
         "cap": "500.00", "left_under_cap": "350.00"},
        {"partner": world.partner_b.pk, "partner_name": "Beta Trust", "planned": "0.00",
         "committed": "120.00", "claimed": "0.00", "paid": "30.50", "held": "150.50",
         "cap": "500.00", "left_under_cap": "349.50"},
        {"partner": None, "partner_name": "No partner (actions no partner owns)",
         "planned": "5.00", "committed": "0.00", "claimed": "0.00", "paid": "0.00",
         "held": "5.00", "cap": None, "left_under_cap": None},
    ]
    assert api.as_user(world.outsider).get(
        f"/api/v1/funding-streams/{scheme.pk}/partners/").status_code == 404


# Through the API ----------------------------------------------------------------------


def test_the_api_takes_and_shows_the_rules(api, world):
    reply = api.as_user(world.manager).post("/api/v1/funding-streams/", {
        "programme": world.programme.pk, "name": "Scheme", "funder": world.partner_b.pk,
        "amount": "1000.00", "eligible_principles": [world.principles[1].pk],
        "eligible_staff_groups": ["Care workers"], "cap_per_partner": "250.00",
        "claims_open": "2026-04-01", "claims_close": "2027-03-31"}, format="json")
    assert reply.status_code == 201, reply.json()
    body = reply.json()
    assert (body["eligible_principles"], body["cap_per_partner"], body["planned"],
            body["available"]) == ([world.principles[1].pk], "250.00", "0.00", "1000.00")

    reply = api.as_user(world.manager).patch(f"/api/v1/funding-streams/{body['id']}/", {
        "claims_close": "2026-03-31"}, format="json")
    assert reply.status_code == 400
    assert reply.json()["claims_close"][0].startswith("Claims must not close before they open")
    assert fresh(FundingStream.objects.get(pk=body["id"])).claims_close == datetime.date(
        2027, 3, 31)


def test_the_api_refuses_a_broken_rule_with_400_naming_it(api, world, scheme):
    need = need_for(world, staff_group="Social workers")
    reply = api.as_user(world.manager).post("/api/v1/funding-allocations/", {
        "stream": scheme.pk, "learning_need": need.pk, "amount": "10.00"}, format="json")
    assert reply.status_code == 400
    assert (reply.json()["code"], reply.json()["rule"]) == ("funding_rule",
                                                            "eligible_staff_groups")
    assert "Social workers" in reply.json()["detail"]
    assert not FundingAllocation.objects.exists()

    reply = api.as_user(world.manager).post("/api/v1/funding-allocations/", {
        "stream": scheme.pk, "learning_need": need_for(world).pk, "amount": "500.01"},
        format="json")
    assert reply.status_code == 400
    assert reply.json()["rule"] == "cap_per_partner"
    assert reply.json()["amount"] == [reply.json()["detail"]]


def test_the_api_moves_an_allocation_along(api, world, scheme):
    client = api.as_user(world.manager)
    allocation = allocate(world, scheme, "80.00", learning_need=need_for(world))
    url = f"/api/v1/funding-allocations/{allocation.pk}/"

    assert client.post(url + "commit/").json()["status"] == "committed"
    reply = client.post(url + "claim/", {}, format="json")
    assert reply.status_code == 400 and "evidence" in reply.json()
    reply = client.post(url + "claim/", {"evidence": "Invoice 9", "claimed_on": "2026-06-01"},
                        format="json")
    assert reply.status_code == 200, reply.json()
    assert (reply.json()["status"], reply.json()["claimed_on"]) == ("claimed", "2026-06-01")
    reply = client.post(url + "cancel/")
    assert reply.status_code == 409
    assert reply.json()["code"] == "invalid_state"
    reply = client.patch(url, {"status": "paid", "paid_on": "2026-06-10"}, format="json")
    assert reply.status_code == 200, reply.json()
    assert (reply.json()["status"], reply.json()["paid_on"], reply.json()["partner"]) == (
        "paid", "2026-06-10", world.partner_a.pk)

    other = allocate(world, scheme, "5.00", learning_need=need_for(world))
    refused = api.as_user(world.lead_a).post(f"/api/v1/funding-allocations/{other.pk}/commit/")
    assert refused.status_code == 403
    assert fresh(other).status == S.PLANNED


# The cap under concurrent requests ----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_exceed_the_cap_per_partner(world):
    # given a stream with money for everyone but a cap of £500 a partner
    stream = services.stream_create(actor=world.manager, programme=world.programme,
                                    name="Capped fund", funder=world.partner_b,
                                    amount=Decimal("100000.00"),
                                    cap_per_partner=Decimal("500.00"))
    needs = [need_for(world, principle=None) for _ in range(3)]
    other = need_for(world, world.partner_b, principle=None)
    count = 30
    clients = clients_for(world.manager, count)

    # when 30 requests of £50 for partner A's needs arrive at once (and one for B)
    def allocate_at_once(i):
        response = clients[i].post("/api/v1/funding-allocations/", {
            "stream": stream.pk, "learning_need": needs[i % 3].pk, "amount": "50.00"},
            format="json")
        return response.status_code, response.json()

    results = run_together(count, allocate_at_once)

    # then exactly ten fit under the cap and the rest are told how much is left
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 10, statuses
    assert statuses.count(400) == 20, statuses
    for status, body in results:
        if status == 400:
            assert body["rule"] == "cap_per_partner", body
            assert "Alpha Council has £500.00 from it already, so £0.00 is left" in body[
                "detail"], body
    held_by_a = FundingAllocation.objects.filter(stream=stream, partner=world.partner_a)
    assert held_by_a.count() == 10
    assert held(stream) == Decimal("500.00")
    assert_money(FundingStream.objects.get(pk=stream.pk).allocated, "500.00")
    # and the other partner's cap is untouched
    allocate(world, stream, "500.00", learning_need=other)
