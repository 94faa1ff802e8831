"""Joint commissioning: needs of several partners that could be met together."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from learning.models import LearningNeed
from programmes.models import Programme
from reports.selectors import joint_commissioning

from .. import factories as f

pytestmark = pytest.mark.django_db

DAY = datetime.date(2027, 3, 1)


def need(world, partner, topic="Dementia awareness", group="Home care workers", principle=0,
         days=0, workers=5, status="identified"):
    return f.LearningNeedFactory(
        programme=world.programme, partner=partner, topic=topic, staff_group=group,
        principle=world.principles[principle], needed_by=DAY + datetime.timedelta(days=days),
        workers_count=workers, status=status)


def test_needs_of_two_partners_on_one_topic_are_pooled_with_an_offer(api, world):
    a = need(world, world.partner_a, workers=8)
    b = need(world, world.partner_b, topic="Dementia awareness and care",
             group="Community care workers", days=30, workers=6)
    offer = f.TrainingOfferFactory(provider=world.provider, title="Dementia awareness",
                                   principles=[world.principles[0]], capacity=20,
                                   cost_per_place=Decimal("85.00"), start_date=DAY)
    f.TrainingOfferFactory(provider=world.provider, title="Dementia awareness elsewhere",
                           principles=[world.principles[1]])  # another principle: not listed

    response = api.as_user(world.reviewer).get(
        f"/api/v1/programmes/{world.programme.pk}/joint-commissioning/")

    assert response.status_code == 200
    (proposal,) = response.json()["proposals"]
    assert {n["id"] for n in proposal["needs"]} == {a.pk, b.pk}
    assert {p["id"] for p in proposal["partners"]} == {world.partner_a.pk, world.partner_b.pk}
    assert proposal["workers"] == 14
    assert proposal["kind"] == "offer"
    assert proposal["offer"]["id"] == offer.pk and proposal["other_offers"] == []
    assert proposal["estimated_cost"] == "1190.00"
    assert proposal["principle"]["number"] == world.principles[0].number


@pytest.mark.parametrize("other", [
    {"principle": 1},                          # another principle
    {"group": "Social workers"},               # another staff group
    {"topic": "Autism awareness"},             # another topic
    {"days": 400},                             # needed far apart
    {"status": "met"},                         # already met
])
def test_needs_that_differ_are_not_pooled(world, other):
    need(world, world.partner_a)
    need(world, world.partner_b, **other)
    assert joint_commissioning(programme=world.programme) == []


def test_one_partners_needs_alone_are_not_a_joint_proposal(world):
    need(world, world.partner_a)
    need(world, world.partner_a, days=10)
    assert joint_commissioning(programme=world.programme) == []


def test_without_an_offer_the_partners_commission_one_together(world):
    need(world, world.partner_a)
    need(world, world.partner_b)
    (proposal,) = joint_commissioning(programme=world.programme)
    assert proposal.kind == "commission" and proposal.estimated_cost is None


def test_members_only(api, world):
    url = f"/api/v1/programmes/{world.programme.pk}/joint-commissioning/"
    assert api.as_user(world.outsider).get(url).status_code == 404


def test_demo_data_proposes_pooling_across_partners_and_never_across_principles(
        api, django_assert_max_num_queries):
    call_command("seed_demo", verbosity=0)
    programme = Programme.objects.get()
    needs_by_id = {n.pk: n for n in LearningNeed.objects.filter(programme=programme)}

    with django_assert_max_num_queries(12):
        proposals = joint_commissioning(programme=programme)

    assert proposals, "the demo should propose at least one pooling"
    assert any(len(p.partners) >= 2 for p in proposals)
    for proposal in proposals:
        assert len(proposal.partners) >= 2
        principles = {needs_by_id[n.pk].principle_id for n in proposal.needs}
        assert principles == {proposal.principle.pk}
    manager = programme.memberships.get(role="manager").user
    body = api.as_user(manager).get(
        f"/api/v1/programmes/{programme.pk}/joint-commissioning/").json()
    first = body["proposals"][0]
    assert first["workers"] == sum(n["workers_count"] for n in first["needs"]) > 0
