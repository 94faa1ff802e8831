"""Several voices on one assessment: asking people, their ratings, agreement, consensus."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from core.errors import ConsensusNeeded, InvalidTransition
from people import services as people_services
from people.models import Invitation
from programmes import contributions, services
from programmes.models import Contribution, Perspective, Response
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("ratings", "expected"), [
    ([], None),
    (["not_applicable"], None),
    (["met", "met"], "agreed"),
    (["met", "partly_met"], "agreed"),
    (["partly_met", "not_met", "not_applicable"], "agreed"),
    (["met", "partly_met", "not_met"], "split"),
    (["met", "not_met"], "split"),
])
def test_agreement_is_one_step_on_the_scale(ratings, expected):
    assert contributions.agreement(ratings) == expected


def _draft(world):
    return f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)


def test_three_voices_split_and_the_lead_records_the_agreed_rating(world):
    assessment = _draft(world)
    item = world.items[0]
    voices = [f.UserFactory(username=n) for n in ("sam", "pat", "kim")]
    for user, perspective in zip(voices, ("staff", "person_supported", "carer"), strict=True):
        contributions.contributor_add(actor=world.lead_a, assessment=assessment, user=user,
                                      perspective=perspective, checklist_items=[item])
    for user, rating in zip(voices, ("met", "partly_met", "not_met"), strict=True):
        contributions.contribution_save(actor=user, assessment=assessment,
                                        checklist_item=item, rating=rating, comment="Because")
    spread = contributions.spreads(assessment.pk)[item.pk]
    assert spread.counts == {"met": 1, "partly_met": 1, "not_met": 1, "not_applicable": 0}
    assert spread.agreement == "split"
    assert Contribution.objects.get(contributor=voices[1]).perspective == "person_supported"

    f.answer_the_rest(assessment, "met")
    with pytest.raises(ConsensusNeeded) as refused:
        services.assessment_submit(actor=world.lead_a, assessment=assessment)
    assert refused.value.items == [item.code]

    response = Response.objects.get(assessment=assessment, checklist_item=item)
    services.response_update(actor=world.lead_a, response=response, rating="partly_met",
                             consensus_note="Staff agreed the people we support see it best.")
    services.assessment_submit(actor=world.lead_a, assessment=assessment)
    kept = response.history.order_by("history_date").last()
    assert (kept.rating, kept.consensus_note) == (
        "partly_met", "Staff agreed the people we support see it best.")
    with pytest.raises(InvalidTransition):
        contributions.contribution_save(actor=voices[0], assessment=assessment,
                                        checklist_item=item, rating="not_met")


def test_only_invited_people_rate_only_the_items_they_are_asked_about(world):
    assessment = _draft(world)
    person = f.UserFactory(username="person")
    with pytest.raises(PermissionDenied):
        contributions.contribution_save(actor=person, assessment=assessment,
                                        checklist_item=world.items[0], rating="met")
    with pytest.raises(PermissionDenied):
        contributions.contributor_add(actor=world.lead_b, assessment=assessment, user=person,
                                      perspective="carer")
    contributions.contributor_add(actor=world.lead_a, assessment=assessment, user=person,
                                  perspective="carer", checklist_items=[world.items[0]])
    with pytest.raises(PermissionDenied):
        contributions.contribution_save(actor=person, assessment=assessment,
                                        checklist_item=world.items[1], rating="met")
    saved = contributions.contribution_save(actor=person, assessment=assessment,
                                            checklist_item=world.items[0], rating="met")
    again = contributions.contribution_save(actor=person, assessment=assessment,
                                            checklist_item=world.items[0], rating="not_met")
    assert saved.pk == again.pk and again.perspective == "carer"
    f.deliver_events()
    assert person.notifications.filter(kind="contribution_requested").count() == 1


def test_asking_by_email_invites_a_person_without_an_account(
        world, django_capture_on_commit_callbacks):
    assessment = _draft(world)
    with django_capture_on_commit_callbacks(execute=True):
        contributor = people_services.contributor_invite(
            actor=world.lead_a, assessment=assessment, email="Carer@Example.org",
            perspective=Perspective.CARER, checklist_items=world.items[:3])
    assert contributor.user is None
    invitation = Invitation.objects.get(contributor=contributor)
    assert invitation.role == "" and invitation.email == "carer@example.org"
    assert mail.outbox[-1].subject == (
        f"{world.programme.name}: Your views are asked on Alpha Council's self-assessment")
    token = mail.outbox[-1].body.split("/invitations/")[1].split("/")[0]
    user = people_services.invitation_accept_new_account(
        token=token, first_name="Chris", last_name="Carer", password="a long pass phrase 2026")
    contributor.refresh_from_db()
    assert contributor.user == user
    assert not user.memberships.exists()
    assert [i.pk for i in contributions.asked_items(contributor)] == [
        i.pk for i in world.items[:3]]
