"""The funding pages: a stream's rules on its form, the stream's own page (money at each
step, each partner against the cap, its allocations), and an allocation's steps
(commit, claim with evidence and a date, mark paid, cancel), each through the service
the API uses, with the service's sentence on the page when it refuses."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from learning import access as learning_access
from learning import services
from learning.models import FundingAllocation, FundingStream

from .. import factories as f
from .conftest import outline

pytestmark = pytest.mark.django_db

S = FundingAllocation.Status


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2026, 6, 15, 11, 0, tzinfo=datetime.UTC),
                             tick=False):
        yield


@pytest.fixture
def scheme(world):
    return services.stream_create(
        actor=world.manager, programme=world.programme,
        name="Learning and development support scheme", funder=world.partner_b,
        amount=Decimal("20000.00"), eligible_staff_groups=["Care workers"],
        cap_per_partner=Decimal("1500.00"), claims_open=datetime.date(2026, 4, 1),
        claims_close=datetime.date(2026, 12, 31))


@pytest.fixture
def need(world):
    return f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                                 staff_group="Care workers", topic="Moving and handling",
                                 workers_count=12)


def text(answer) -> str:
    return answer.content.decode()


def test_a_manager_sets_a_streams_rules_on_its_form(world, as_user):
    client = as_user(world.manager)
    form = text(client.get(reverse("web:stream-new", args=[world.programme.pk])))
    assert 'type="checkbox"' in form and world.principles[0].title in form
    assert "One staff group a line" in form

    # when they add a stream with every rule
    answer = client.post(reverse("web:stream-new", args=[world.programme.pk]), {
        "name": "Learning and development support scheme", "funder": world.partner_b.pk,
        "amount": "20000.00", "description": "",
        "eligible_principles": [world.principles[1].pk],
        "eligible_staff_groups": "Care workers\r\n  registered NURSES \r\n\r\n",
        "cap_per_partner": "1500.00", "claims_open": "2026-04-01",
        "claims_close": "2026-12-31"})

    # then the stream keeps them and its page shows them
    stream = FundingStream.objects.get(name="Learning and development support scheme")
    assert answer.status_code == 302 and answer["Location"] == reverse("web:stream",
                                                                       args=[stream.pk])
    assert list(stream.eligible_principles.all()) == [world.principles[1]]
    assert stream.eligible_staff_groups == ["Care workers", "registered NURSES"]
    assert stream.cap_per_partner == Decimal("1500.00")
    page = text(client.get(answer["Location"]))
    for shown in (f"2. {world.principles[1].title}", "Care workers", "registered NURSES",
                  "£1,500.00", "From 1 April 2026 to 31 December 2026"):
        assert escape(shown) in page, shown

    # and the change form shows the rules as they are
    edit = text(client.get(reverse("web:stream-edit", args=[stream.pk])))
    assert "Care workers\nregistered NURSES" in edit
    assert 'id="id_claims_close-year" name="claims_close-year"' in edit
    assert 'value="31"' in edit and 'value="1500.00"' in edit


def test_claims_closing_before_they_open_is_shown_on_the_field(world, as_user, scheme):
    answer = as_user(world.manager).post(reverse("web:stream-edit", args=[scheme.pk]), {
        "name": scheme.name, "funder": scheme.funder_id, "amount": "20000.00",
        "eligible_staff_groups": "Care workers", "cap_per_partner": "1500.00",
        "claims_open": "2026-04-01", "claims_close": "2026-03-01"})
    assert answer.status_code == 400
    page = text(answer)
    assert "Claims must not close before they open" in page
    assert 'href="#id_claims_close-day"' in page  # the error summary links to the field
    scheme.refresh_from_db()
    assert scheme.claims_close == datetime.date(2026, 12, 31)


def test_lowering_the_cap_below_a_partners_money_is_refused_on_the_page(world, as_user, scheme,
                                                                        need):
    services.allocation_create(actor=world.manager, stream=scheme, learning_need=need,
                               amount=Decimal("1200.00"))
    answer = as_user(world.manager).post(reverse("web:stream-edit", args=[scheme.pk]), {
        "name": scheme.name, "funder": scheme.funder_id, "amount": "20000.00",
        "eligible_staff_groups": "Care workers", "cap_per_partner": "1000.00",
        "claims_open": "2026-04-01", "claims_close": "2026-12-31"})
    assert answer.status_code == 400
    assert escape("Alpha Council already holds £1,200.00 from this stream") in text(answer)
    scheme.refresh_from_db()
    assert scheme.cap_per_partner == Decimal("1500.00")


def test_an_allocation_the_rules_refuse_shows_the_rule_and_writes_nothing(world, as_user,
                                                                         scheme):
    nurses = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                                   staff_group="Nurses")
    client = as_user(world.manager)
    url = reverse("web:allocation-new", args=[nurses.pk])
    answer = client.post(url, {"stream": scheme.pk, "amount": "100.00"})
    assert answer.status_code == 400
    assert escape("This stream pays only for learning for Care workers, not for Nurses.") in text(
        answer)
    assert not FundingAllocation.objects.exists()


def test_money_beyond_the_cap_is_refused_on_the_amount(world, as_user, scheme, need):
    services.allocation_create(actor=world.manager, stream=scheme, learning_need=need,
                               amount=Decimal("1000.00"))
    answer = as_user(world.manager).post(reverse("web:allocation-new", args=[need.pk]),
                                         {"stream": scheme.pk, "amount": "600.00"})
    assert answer.status_code == 400
    page = text(answer)
    assert escape("£500.00 is left under the cap and £600.00 was asked for.") in page
    assert 'href="#id_amount"' in page
    assert FundingAllocation.objects.count() == 1


def test_a_manager_takes_money_from_planned_to_paid_on_the_pages(world, as_user, scheme, need):
    client = as_user(world.manager)
    client.post(reverse("web:allocation-new", args=[need.pk]),
                {"stream": scheme.pk, "amount": "1020.00"})
    allocation = FundingAllocation.objects.get()
    stream_page = reverse("web:stream", args=[scheme.pk])
    forms = {form.get("action") for form in outline(text(client.get(stream_page))).forms}
    assert reverse("web:allocation-status", args=[allocation.pk, "commit"]) in forms

    # commit
    answer = client.post(reverse("web:allocation-status", args=[allocation.pk, "commit"]))
    assert answer["Location"] == stream_page
    page = text(client.get(stream_page))
    assert reverse("web:allocation-claim", args=[allocation.pk]) in page

    # claim, with its evidence and day
    claim = reverse("web:allocation-claim", args=[allocation.pk])
    assert "Claims on this stream are made from 1 April 2026 to 31 December 2026" in text(
        client.get(claim))
    answer = client.post(claim, {"evidence": "Invoice 42 and the register",
                                 "claimed_on": "2026-06-01"})
    assert answer.status_code == 302
    allocation.refresh_from_db()
    assert (allocation.status, allocation.claimed_on, allocation.evidence) == (
        S.CLAIMED, datetime.date(2026, 6, 1), "Invoice 42 and the register")
    page = text(client.get(stream_page))
    assert reverse("web:allocation-pay", args=[allocation.pk]) in page
    assert reverse("web:allocation-status", args=[allocation.pk, "cancel"]) not in page
    assert "Claimed on 1 June 2026" in page

    # mark paid, today
    answer = client.post(reverse("web:allocation-pay", args=[allocation.pk]), {"paid_on": ""})
    assert answer.status_code == 302
    allocation.refresh_from_db()
    assert (allocation.status, allocation.paid_on) == (S.PAID, datetime.date(2026, 6, 15))

    # then the stream shows the money at each step, and the partner against the cap
    page = text(client.get(stream_page))
    for figure in ("£1,020.00", "£18,980.00", "Paid on 15 June 2026"):
        assert escape(figure) in page, figure
    partners = page[page.index('data-testid="stream-partners"'):]
    assert "Alpha Council" in partners
    assert "£480.00" in partners  # left under the £1,500.00 cap


def test_a_claim_needs_evidence_and_a_day_in_the_window(world, as_user, scheme, need):
    allocation = services.allocation_commit(actor=world.manager, allocation=services
                                            .allocation_create(actor=world.manager,
                                                               stream=scheme,
                                                               learning_need=need,
                                                               amount=Decimal("100.00")))
    client = as_user(world.manager)
    claim = reverse("web:allocation-claim", args=[allocation.pk])

    missing = client.post(claim, {"evidence": "", "claimed_on": ""})
    assert missing.status_code == 400
    assert "Enter the evidence" in text(missing)

    late = client.post(claim, {"evidence": "Invoice", "claimed_on": "2027-01-04"})
    assert late.status_code == 400
    assert ("Claims on this stream are made from 1 April 2026 to 31 December 2026; "
            "4 January 2027 is outside that window.") in text(late)
    allocation.refresh_from_db()
    assert (allocation.status, allocation.claimed_on, allocation.evidence) == (
        S.COMMITTED, None, "")


def test_cancelling_gives_the_money_back_and_claimed_money_is_not_cancelled(world, as_user,
                                                                            scheme, need):
    client = as_user(world.manager)
    planned = services.allocation_create(actor=world.manager, stream=scheme, learning_need=need,
                                         amount=Decimal("300.00"))
    claimed = services.allocation_claim(
        actor=world.manager, evidence="Invoice",
        allocation=services.allocation_commit(actor=world.manager, allocation=services
                                              .allocation_create(actor=world.manager,
                                                                 stream=scheme,
                                                                 learning_need=need,
                                                                 amount=Decimal("200.00"))))

    client.post(reverse("web:allocation-status", args=[planned.pk, "cancel"]))
    scheme.refresh_from_db()
    assert scheme.allocated == Decimal("200.00")

    answer = client.post(reverse("web:allocation-status", args=[claimed.pk, "cancel"]),
                         follow=True)
    assert ("This money has been claimed from the funder, so it cannot be cancelled; a claim "
            "stays on the record.") in text(answer)
    claimed.refresh_from_db()
    assert claimed.status == S.CLAIMED


@pytest.mark.parametrize("role", ["lead_a", "lead_b", "provider_user", "reviewer"])
def test_others_see_the_stream_but_none_of_its_steps(world, as_user, scheme, need, role):
    allocation = services.allocation_commit(actor=world.manager, allocation=services
                                            .allocation_create(actor=world.manager,
                                                               stream=scheme,
                                                               learning_need=need,
                                                               amount=Decimal("100.00")))
    client = as_user(getattr(world, role))
    page = client.get(reverse("web:stream", args=[scheme.pk]))
    assert page.status_code == 200
    html = text(page)
    assert "Moving and handling" in html and "£100.00" in html
    assert reverse("web:allocation-claim", args=[allocation.pk]) not in html
    assert not outline(html).forms or all(
        "funding-allocations" not in (form.get("action") or "") for form in outline(html).forms)

    claim = client.post(reverse("web:allocation-claim", args=[allocation.pk]),
                        {"evidence": "Mine"})
    assert claim.status_code == 403
    assert escape(learning_access.ALLOCATION_REFUSED) in text(claim)
    allocation.refresh_from_db()
    assert allocation.status == S.COMMITTED


def test_an_outsider_cannot_find_the_stream(world, as_user, scheme):
    assert as_user(world.outsider).get(reverse("web:stream", args=[scheme.pk])
                                       ).status_code == 404


def test_the_funding_page_shows_each_streams_money_and_links_its_page(world, as_user, scheme,
                                                                      need):
    services.allocation_create(actor=world.manager, stream=scheme, learning_need=need,
                               amount=Decimal("1020.00"))
    page = text(as_user(world.reviewer).get(reverse("web:funding", args=[world.programme.pk])))
    assert reverse("web:stream", args=[scheme.pk]) in page
    assert escape("Planned £1,020.00 · committed £0.00 · claimed £0.00 · paid £0.00") in page
