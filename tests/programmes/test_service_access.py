"""The programmes services check their own role rule (DESIGN.md, "Who may do what";
"Setting up a programme and its people"), whatever calls them: each is called here
directly as every role it refuses, which gets PermissionDenied and changes nothing."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.errors import Conflict, InvalidTransition
from programmes import services
from programmes.models import (
    Assessment,
    AssessmentCycle,
    Gap,
    Membership,
    Partner,
    Programme,
    Response,
)

from .. import factories as f

pytestmark = pytest.mark.django_db

NOT_MEMBERS = ["outsider", "other_manager"]
NOT_MANAGERS = ["lead_a", "provider_user", "reviewer", *NOT_MEMBERS]
NOT_ANSWERERS = ["lead_b", "provider_user", "reviewer", *NOT_MEMBERS]


def everything():
    """Every row these services write, with the fields they change."""
    return (
        list(Programme.objects.values_list("pk", "name", "framework_id", "end_date")),
        list(Programme.partners.through.objects.values_list("programme_id", "partner_id")),
        list(Partner.objects.values_list("pk", "name", "sector", "contact_email")),
        list(Membership.objects.values_list("pk", "programme_id", "user_id", "role",
                                            "partner_id")),
        list(AssessmentCycle.objects.values_list("pk", "name", "period_end")),
        list(Assessment.objects.values_list("pk", "status", "participants")),
        list(Response.objects.values_list("pk", "checklist_item_id", "rating", "evidence")),
    )


@pytest.fixture
def w(world):
    """The world, with a manager of another programme and a draft of partner A's."""
    other = f.ProgrammeFactory(framework=world.framework)
    world.other_manager = f.UserFactory(username="other_manager")
    f.MembershipFactory(programme=other, user=world.other_manager, role="manager")
    world.draft = f.AssessmentFactory(cycle=world.cycle, partner=world.partner_a)
    world.answer = f.ResponseFactory(assessment=world.draft, checklist_item=world.items[0],
                                     rating="met")
    f.answer_the_rest(world.draft)
    return world


def refused(call, *, match=None):
    before = everything()
    with pytest.raises(PermissionDenied, match=match):
        call()
    assert everything() == before


# Programmes --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", *NOT_MANAGERS])
def test_programme_create_is_for_programme_creators(w, role):
    refused(lambda: services.programme_create(actor=getattr(w, role), name="New",
                                              framework=w.framework),
            match="Only programme creators")


def test_a_programme_creator_becomes_the_first_manager_and_staff_do_not(w):
    creator = f.UserFactory(username="creator")
    creator.groups.add(Group.objects.get(name="Programme creators"))
    mine = services.programme_create(actor=creator, name="Mine", framework=w.framework,
                                     partners=[w.partner_a])
    theirs = services.programme_create(actor=w.staff, name="Theirs", framework=w.framework)
    assert list(mine.memberships.values_list("user__username", "role")) == [
        ("creator", "manager")]
    assert list(mine.partners.all()) == [w.partner_a]
    assert not theirs.memberships.exists()
    # and the new manager may change it at once (their roles are read afresh)
    services.programme_update(actor=creator, programme=mine, name="Mine, renamed")


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_programme_update_is_for_its_managers(w, role):
    refused(lambda: services.programme_update(actor=getattr(w, role), programme=w.programme,
                                              name="Renamed"))


# Partners ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["lead_a", "provider_user", "reviewer", "outsider"])
def test_partner_create_is_for_managers(w, role):
    refused(lambda: services.partner_create(actor=getattr(w, role), name="Delta",
                                            sector="housing"))


def test_partner_create_into_a_programme_is_for_its_managers(w):
    refused(lambda: services.partner_create(actor=w.other_manager, programme=w.programme,
                                            name="Delta", sector="housing"))


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_partner_update_is_for_managers_of_its_programmes(w, role):
    refused(lambda: services.partner_update(actor=getattr(w, role), partner=w.partner_a,
                                            name="Renamed"))


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_programme_partner_add_is_for_managers(w, role):
    spare = f.PartnerFactory(name="Spare")
    refused(lambda: services.programme_partner_add(actor=getattr(w, role),
                                                   programme=w.programme, partner=spare))


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_programme_partner_remove_is_for_managers(w, role):
    refused(lambda: services.programme_partner_remove(
        actor=getattr(w, role), programme=w.programme, partner=w.partner_b))


def test_a_partner_with_work_in_the_programme_cannot_be_removed(w):
    # given partner A has an assessment, a gap, an action and members in the programme
    f.ActionFactory(programme=w.programme, owner_partner=w.partner_a)
    Gap.objects.create(programme=w.programme, partner=w.partner_a, checklist_item=w.items[1],
                       principle=w.items[1].principle, severity="high",
                       opened_at=timezone.now())
    before = everything()
    with pytest.raises(InvalidTransition) as refusal:
        services.programme_partner_remove(actor=w.manager, programme=w.programme,
                                          partner=w.partner_a)
    assert refusal.value.status_code == 409
    message = refusal.value.message
    assert message.startswith("Alpha Council cannot leave the programme: it has 1 assessment")
    assert "1 gap" in message and "1 member" in message and "1 action" in message
    assert everything() == before


def test_a_partner_with_nothing_in_the_programme_is_removed_and_stays_in_the_directory(w):
    Membership.objects.filter(partner=w.partner_b).delete()
    services.programme_partner_remove(actor=w.manager, programme=w.programme,
                                      partner=w.partner_b)
    assert not w.programme.partners.filter(pk=w.partner_b.pk).exists()
    assert Partner.objects.filter(pk=w.partner_b.pk).exists()
    with pytest.raises(InvalidTransition, match="not a partner of this programme"):
        services.programme_partner_remove(actor=w.manager, programme=w.programme,
                                          partner=w.partner_b)


def test_programme_update_cannot_drop_a_partner_with_work_either(w):
    before = everything()
    with pytest.raises(Conflict, match="Alpha Council cannot leave the programme"):
        services.programme_update(actor=w.manager, programme=w.programme,
                                  partners=[w.partner_b, w.provider])
    assert everything() == before


# Memberships and cycles -------------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_membership_create_and_update_are_for_managers(w, role):
    newcomer = f.UserFactory(username="newcomer")
    actor = getattr(w, role)
    refused(lambda: services.membership_create(actor=actor, programme=w.programme,
                                               user=newcomer, role="reviewer"))
    membership = Membership.objects.get(user=w.reviewer)
    refused(lambda: services.membership_update(actor=actor, membership=membership,
                                               role="manager"))


def test_a_manager_cannot_move_a_membership_into_a_programme_they_do_not_manage(w):
    membership = Membership.objects.get(user=w.reviewer)
    other = Membership.objects.get(user=w.other_manager).programme
    refused(lambda: services.membership_update(actor=w.manager, membership=membership,
                                               programme=other))


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_cycle_create_and_update_are_for_managers(w, role):
    actor = getattr(w, role)
    refused(lambda: services.cycle_create(actor=actor, programme=w.programme, name="Review",
                                          period_start=datetime.date(2027, 1, 1),
                                          period_end=datetime.date(2027, 2, 1)))
    refused(lambda: services.cycle_update(actor=actor, cycle=w.cycle, name="Renamed"))


# Assessments and answers ------------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_ANSWERERS)
def test_assessment_writes_are_for_managers_and_the_partners_leads(w, role):
    actor = getattr(w, role)
    match = "managers and this partner's leads"
    refused(lambda: services.assessment_create(actor=actor, cycle=w.cycle, partner=w.partner_b
                                               if role != "lead_b" else w.partner_a),
            match=match)
    refused(lambda: services.assessment_update(actor=actor, assessment=w.draft,
                                               participants="Someone else"), match=match)
    refused(lambda: services.response_create(actor=actor, assessment=w.draft,
                                             checklist_item=w.items[0], rating="not_met"),
            match=match)
    refused(lambda: services.response_update(actor=actor, response=w.answer,
                                             rating="not_met"), match=match)
    refused(lambda: services.responses_save(actor=actor, assessment=w.draft, answers=[
        {"checklist_item": w.items[0], "rating": "not_met"}]), match=match)
    refused(lambda: services.assessment_submit(actor=actor, assessment=w.draft), match=match)


def test_a_lead_cannot_move_their_assessment_to_another_partner(w):
    refused(lambda: services.assessment_update(actor=w.lead_a, assessment=w.draft,
                                               partner=w.partner_b))


def test_the_partners_lead_answers_and_submits(w):
    services.response_update(actor=w.lead_a, response=w.answer, rating="partly_met")
    result = services.assessment_submit(actor=w.lead_a, assessment=w.draft)
    assert result.assessment.status == "submitted"
    assert result.assessment.submitted_by == w.lead_a
    assert len(result.opened) == 1


# Through the API, the same services ------------------------------------------------------


def test_a_programme_creator_sets_up_a_programme_through_the_api(w, api):
    creator = f.UserFactory(username="creator")
    creator.groups.add(Group.objects.get(name="Programme creators"))
    answer = api.as_user(creator).post("/api/v1/programmes/", {
        "name": "Made through the API", "framework": w.framework.pk}, format="json")
    assert answer.status_code == 201, answer.content
    assert Membership.objects.get(programme_id=answer.json()["id"]).user == creator

    refused_answer = api.as_user(w.manager).post("/api/v1/programmes/", {
        "name": "Not allowed", "framework": w.framework.pk}, format="json")
    assert refused_answer.status_code == 403
    assert "Programme creators" in refused_answer.json()["detail"]
    assert not Programme.objects.filter(name="Not allowed").exists()


def test_the_api_refuses_to_drop_a_partner_with_work_with_the_sentence(w, api):
    before = everything()
    answer = api.as_user(w.manager).patch(f"/api/v1/programmes/{w.programme.pk}/", {
        "partners": [w.partner_b.pk, w.provider.pk]}, format="json")
    assert answer.status_code == 409, answer.content
    assert "Alpha Council cannot leave the programme" in str(answer.json())
    assert everything() == before
