"""The dashboard, the principle page, the gap register, the learning needs and the joint
commissioning page read a fixed number of queries, however many
partners the programme has (each partner with a submitted assessment, gaps, actions,
learning needs, funding and snapshots)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from learning.services import allocation_create
from programmes.models import Gap, Membership
from programmes.snapshots import snapshot_take

from .. import factories as f

pytestmark = pytest.mark.django_db

RATINGS = ["not_met", "partly_met", "met", "not_applicable", "met"]


def programme_of(partners: int, tag: str):
    """A programme of ``partners`` partners, each with work on every checklist item."""
    framework = f.FrameworkFactory(slug=f"framework-{tag}")
    principles = [f.PrincipleFactory(framework=framework, number=n) for n in (1, 2, 3)]
    items = [f.ChecklistItemFactory(principle=p, order=o) for p in principles for o in (1, 2, 3)]
    members = [f.PartnerFactory(name=f"Partner {tag} {n:02d}") for n in range(partners)]
    programme = f.ProgrammeFactory(framework=framework, partners=members)
    manager = f.UserFactory(username=f"manager-{tag}")
    f.MembershipFactory(programme=programme, user=manager, role=Membership.Role.MANAGER)
    stream = f.FundingStreamFactory(programme=programme, funder=members[0],
                                    amount=Decimal("1000000.00"))
    for cycle_end in (datetime.date(2025, 9, 30), datetime.date(2026, 3, 31)):
        cycle = f.CycleFactory(programme=programme, period_end=cycle_end,
                               period_start=cycle_end - datetime.timedelta(days=90))
        for n, partner in enumerate(members):
            assessment = f.AssessmentFactory(cycle=cycle, partner=partner, status="submitted",
                                             submitted_at=timezone.now())
            for i, item in enumerate(items):
                f.ResponseFactory(assessment=assessment, checklist_item=item,
                                  rating=RATINGS[(n + i) % len(RATINGS)])
    for partner in members:
        for item in items[:4]:
            gap = Gap.objects.create(programme=programme, partner=partner, checklist_item=item,
                                     principle=item.principle, severity="high",
                                     opened_at=timezone.now())
            f.ActionFactory(programme=programme, gap=gap, owner_partner=partner,
                            due_date=datetime.date(2020, 1, 1))
            need = f.LearningNeedFactory(programme=programme, partner=partner, gap=gap,
                                         principle=item.principle)
            allocation_create(actor=manager,
                              stream=stream, learning_need=need, amount=Decimal("10.00"))
    for day in range(3):
        snapshot_take(programme=programme, day=datetime.date(2026, 6, 1 + day))
    return programme, manager


def queries_for(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


@pytest.mark.parametrize("page", ["web:dashboard", "web:principle", "web:gaps",
                                  "web:learning-needs", "web:joint-commissioning"])
def test_page_queries_do_not_grow_with_the_number_of_partners(client, page,
                                                              django_assert_num_queries):
    # given a programme of 2 partners and one of 12
    small, small_manager = programme_of(2, "small")
    large, large_manager = programme_of(12, "large")

    def url(programme):
        args = [programme.pk, 1] if page == "web:principle" else [programme.pk]
        return reverse(page, args=args)

    # when the small one is read (once to warm caches that are not per request)
    client.force_login(small_manager)
    client.get(url(small))
    count, html = queries_for(client, url(small))
    assert "Partner small 01" in html or page == "web:dashboard"

    # then the large one takes exactly as many queries
    client.force_login(large_manager)
    client.get(url(large))
    with django_assert_num_queries(count):
        response = client.get(url(large))
    assert response.status_code == 200
    if page == "web:principle":
        assert response.content.decode().count('<th scope="row"') == 12
    if page == "web:gaps":  # each gap with its work counted, the page's gaps only
        assert 'of 1 done' in response.content.decode()
    print(f"{page}: {count} queries for 2 and for 12 partners")
    assert count < 25
