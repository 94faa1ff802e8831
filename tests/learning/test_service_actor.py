"""Every learning write checks who acts, whatever calls it (DESIGN.md, "Who may do what").

Each service is called directly, without a page or the API in front of it: the roles
DESIGN.md does not allow get ``PermissionDenied`` with a plain sentence and nothing is
written; an allowed role's write is recorded as theirs in the history.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from learning import access, services
from learning.models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
)

from .. import factories as f

pytestmark = pytest.mark.django_db

ROLES = ["manager", "lead_a", "lead_b", "provider_user", "reviewer", "outsider", "staff"]


@pytest.fixture
def rows(world):
    """A need of partner A, a draft and a published offer, a stream with an allocation."""
    need = f.LearningNeedFactory(programme=world.programme, partner=world.partner_a)
    draft = f.TrainingOfferFactory(provider=world.provider, status="draft")
    published = f.TrainingOfferFactory(provider=world.provider, status="published")
    stream = f.FundingStreamFactory(programme=world.programme, funder=world.partner_b,
                                    amount=Decimal("1000.00"))
    allocation = services.allocation_create(actor=world.manager, stream=stream,
                                            learning_need=need, amount=Decimal("100.00"))
    return {"need": need, "draft": draft, "published": published, "stream": stream,
            "allocation": allocation}


def _everything():
    return (
        list(LearningNeed.objects.order_by("pk").values()),
        list(TrainingOffer.objects.order_by("pk").values()),
        list(Placement.objects.order_by("pk").values()),
        list(FundingStream.objects.order_by("pk").values()),
        list(FundingAllocation.objects.order_by("pk").values()),
        LearningNeed.history.count(), TrainingOffer.history.count(),
        FundingStream.history.count(), FundingAllocation.history.count(),
    )


# name: (who may, the call, the sentence a refusal reads)
WRITES = {
    "need_create": ({"manager", "lead_a", "staff"}, lambda w, r, actor: services.need_create(
        actor=actor, programme=w.programme, partner=w.partner_a, staff_group="Care workers",
        topic="Dementia", workers_count=3), access.NEED_REFUSED),
    "need_update": ({"manager", "lead_a", "staff"}, lambda w, r, actor: services.need_update(
        actor=actor, need=r["need"], status="planned"), access.NEED_REFUSED),
    "offer_create": ({"provider_user", "staff"}, lambda w, r, actor: services.offer_create(
        actor=actor, provider=w.provider, title="Moving and handling", format="workshop",
        capacity=8), access.OFFER_REFUSED),
    "offer_update": ({"provider_user", "staff"}, lambda w, r, actor: services.offer_update(
        actor=actor, offer=r["draft"], capacity=30), access.OFFER_REFUSED),
    "offer_publish": ({"provider_user", "staff"}, lambda w, r, actor: services.offer_publish(
        actor=actor, offer=r["draft"]), access.OFFER_REFUSED),
    "offer_withdraw": ({"provider_user", "staff"}, lambda w, r, actor: services.offer_withdraw(
        actor=actor, offer=r["published"]), access.OFFER_REFUSED),
    "stream_create": ({"manager", "staff"}, lambda w, r, actor: services.stream_create(
        actor=actor, programme=w.programme, name="New fund", funder=w.partner_a,
        amount=Decimal("50.00")), access.STREAM_REFUSED),
    "stream_update": ({"manager", "staff"}, lambda w, r, actor: services.stream_update(
        actor=actor, stream=r["stream"], amount=Decimal("2000.00")), access.STREAM_REFUSED),
    "allocation_create": ({"manager", "staff"},
                          lambda w, r, actor: services.allocation_create(
                              actor=actor, stream=r["stream"], learning_need=r["need"],
                              amount=Decimal("10.00")), access.ALLOCATION_REFUSED),
    "allocation_update": ({"manager", "staff"},
                          lambda w, r, actor: services.allocation_update(
                              actor=actor, allocation=r["allocation"], status="committed"),
                          access.ALLOCATION_REFUSED),
}


@pytest.mark.parametrize("name", list(WRITES))
@pytest.mark.parametrize("role", ROLES)
def test_each_write_is_refused_to_roles_design_does_not_allow(world, rows, name, role):
    allowed, write, sentence = WRITES[name]
    actor = getattr(world, role)
    before = _everything()
    if role in allowed:
        # when an allowed role writes, then it is written and the history names them
        written = write(world, rows, actor)
        assert _everything() != before
        assert written.history.first().history_user == actor
    else:
        # when anyone else calls the service, then it refuses in words and writes nothing
        with pytest.raises(PermissionDenied) as refused:
            write(world, rows, actor)
        assert str(refused.value) == sentence
        assert _everything() == before


def test_only_a_manager_marks_a_need_met_by_hand_and_says_why(world, rows):
    need = rows["need"]
    # a partner lead may change the need, but not mark it met before its workers trained
    with pytest.raises(PermissionDenied) as refused:
        services.need_update(actor=world.lead_a, need=need, status="met",
                             met_reason="They learnt it on the job.")
    assert str(refused.value) == services.MET_BY_HAND_REFUSED
    # a manager must say why
    with pytest.raises(DomainError) as no_reason:
        services.need_update(actor=world.manager, need=need, status="met")
    assert no_reason.value.field == "met_reason"
    assert LearningNeed.objects.get(pk=need.pk).status == "identified"

    met = services.need_update(actor=world.manager, need=need, status="met",
                               met_reason="The team trained with another provider.")

    assert (met.status, met.met_reason) == ("met", "The team trained with another provider.")
    assert met.history.first().history_user == world.manager


def test_a_lead_may_mark_met_a_need_whose_workers_have_all_completed(world, rows):
    need = rows["need"]
    LearningNeed.objects.filter(pk=need.pk).update(workers_trained=need.workers_count)
    met = services.need_update(actor=world.lead_a, need=need, status="met")
    assert met.status == "met"


def test_a_lead_cannot_move_their_need_to_another_partner(world, rows):
    with pytest.raises(PermissionDenied, match="this partner's leads"):
        services.need_update(actor=world.lead_a, need=rows["need"], partner=world.partner_b)
    assert LearningNeed.objects.get(pk=rows["need"].pk).partner_id == world.partner_a.pk


def test_a_provider_cannot_change_another_providers_offer(world, rows):
    other = f.PartnerFactory(name="Delta Academy", sector="learning_provider",
                             provides_learning=True)
    world.programme.partners.add(other)
    offer = f.TrainingOfferFactory(provider=other, status="draft", title="Their course")
    with pytest.raises(PermissionDenied):
        services.offer_update(actor=world.provider_user, offer=offer, title="Ours now")
    with pytest.raises(PermissionDenied):
        services.offer_publish(actor=world.provider_user, offer=offer)
    offer.refresh_from_db()
    assert (offer.title, offer.status) == ("Their course", "draft")


def test_a_manager_of_another_programme_cannot_fund_this_one(world, rows):
    elsewhere = f.ProgrammeFactory(framework=world.framework, partners=[world.partner_a])
    other_manager = f.UserFactory(username="other-manager")
    f.MembershipFactory(programme=elsewhere, user=other_manager, role="manager")
    with pytest.raises(PermissionDenied):
        services.allocation_create(actor=other_manager, stream=rows["stream"],
                                   learning_need=rows["need"], amount=Decimal("5.00"))
    with pytest.raises(PermissionDenied):
        services.stream_update(actor=other_manager, stream=rows["stream"], name="Taken")
    assert rows["stream"].allocations.count() == 1


def test_the_import_batch_refuses_a_lead_adding_another_partners_needs(world):
    batch = services.NeedBatch(actor=world.lead_a, programme=world.programme)
    batch.add(partner=world.partner_a, staff_group="Care workers", topic="Falls",
              workers_count=2)
    with pytest.raises(PermissionDenied, match="this partner's leads"):
        batch.add(partner=world.partner_b, staff_group="Nurses", topic="Falls",
                  workers_count=2)
    saved = batch.save()
    assert [n.partner_id for n in saved] == [world.partner_a.pk]
    assert saved[0].history.first().history_user == world.lead_a
