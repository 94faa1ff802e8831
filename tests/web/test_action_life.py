"""The life of an action on its pages: change it, move its due date with a reason,
give it to someone else, delete it. Each for those who may, refused for the others."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from actions import services as action_services
from actions.models import Action, ActionNote
from core.errors import DomainError

from .. import factories as f

pytestmark = pytest.mark.django_db

DUE = datetime.date(2027, 3, 1)


@pytest.fixture
def action(world):
    return f.ActionFactory(programme=world.programme, title="Agree a shared induction",
                           owner=world.lead_a, owner_partner=world.partner_a, due_date=DUE)


def edit_body(**changes):
    body = {"title": "Agree a shared induction", "description": "", "owner": "",
            "owner_partner": "", "due_date": "2027-03-01", "due_date_reason": "",
            "priority": "medium"}
    body.update(changes)
    return body


# Who sees which forms ------------------------------------------------------------------


@pytest.mark.parametrize("who, change, delete", [
    ("manager", True, True),
    ("lead_a", True, False),
    ("lead_b", False, False),
    ("reviewer", False, False),
    ("provider_user", False, False),
])
def test_the_action_page_offers_only_the_forms_the_person_may_use(client, world, action,
                                                                  who, change, delete):
    # when each role opens the action page
    client.force_login(getattr(world, who))
    html = client.get(reverse("web:action", args=[action.pk])).content.decode()

    # then the change, reassign and delete links are there only for those who may use them
    assert (reverse("web:action-edit", args=[action.pk]) in html) is change
    assert (reverse("web:action-reassign", args=[action.pk]) in html) is change
    assert (reverse("web:action-delete", args=[action.pk]) in html) is delete


@pytest.mark.parametrize("who", ["lead_b", "reviewer", "provider_user"])
@pytest.mark.parametrize("page", ["web:action-edit", "web:action-reassign", "web:action-delete"])
def test_the_forms_are_refused_to_those_who_may_not_use_them(client, world, action, who, page):
    # when someone who may not change the action opens or posts its forms directly
    client.force_login(getattr(world, who))
    url = reverse(page, args=[action.pk])
    shown = client.get(url)
    posted = client.post(url, edit_body(title="Not theirs", owner=world.lead_b.pk))

    # then both are refused and the action is as it was
    assert (shown.status_code, posted.status_code) == (403, 403)
    action.refresh_from_db()
    assert (action.title, action.owner_id, action.version) == (
        "Agree a shared induction", world.lead_a.pk, 1)


def test_a_partner_lead_may_not_delete_their_own_action(client, world, action):
    client.force_login(world.lead_a)
    assert client.get(reverse("web:action-delete", args=[action.pk])).status_code == 403
    assert client.post(reverse("web:action-delete", args=[action.pk])).status_code == 403
    assert Action.objects.filter(pk=action.pk).exists()


def test_an_outsider_gets_a_404(client, world, action):
    client.force_login(world.outsider)
    assert client.get(reverse("web:action-edit", args=[action.pk])).status_code == 404


# Changing ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "lead_a"])
def test_those_who_may_change_the_action_change_its_details(client, world, action, who):
    # when the manager or the owning lead changes the title, description and priority
    client.force_login(getattr(world, who))
    page = client.post(reverse("web:action-edit", args=[action.pk]), edit_body(
        title="Agree and run a shared induction", description="With the trust",
        owner=world.lead_a.pk, owner_partner=world.partner_a.pk, priority="high"))

    # then the row changed and the history has the change, by them
    assert page.status_code == 302, page.content.decode()
    action.refresh_from_db()
    assert (action.title, action.description, action.priority) == (
        "Agree and run a shared induction", "With the trust", "high")
    latest = action.history.latest()
    assert latest.history_user == getattr(world, who)
    assert latest.title == "Agree and run a shared induction"


def test_moving_the_due_date_needs_a_reason_and_keeps_it_in_the_history(client, world, action):
    client.force_login(world.lead_a)
    url = reverse("web:action-edit", args=[action.pk])
    moved = edit_body(owner=world.lead_a.pk, due_date="2027-04-15")

    # when the due date moves without a reason, then the form says so and nothing changes
    refused = client.post(url, moved)
    assert refused.status_code == 400
    assert "Say why the due date is moving." in refused.content.decode()
    action.refresh_from_db()
    assert (action.due_date, action.history.count()) == (DUE, 1)

    # when it moves with a reason, then the row and the history have it
    saved = client.post(url, {**moved, "due_date_reason": "The trainer is away in March"})
    assert saved.status_code == 302
    action.refresh_from_db()
    assert action.due_date == datetime.date(2027, 4, 15)
    assert action.history.latest().history_change_reason == "The trainer is away in March"

    # and a manager reading the action page sees the move and its reason
    client.force_login(world.manager)
    html = client.get(reverse("web:action", args=[action.pk])).content.decode()
    assert "Due date: 1 March 2027 → 15 April 2027" in html
    assert "Reason: The trainer is away in March" in html


def test_the_api_needs_a_reason_to_move_a_due_date_and_shows_it_in_the_history(api, world,
                                                                              action):
    client = api.as_user(world.manager)
    url = f"/api/v1/actions/{action.pk}/"
    refused = client.patch(url, {"due_date": "2027-05-01"}, format="json")
    assert refused.status_code == 400
    assert "Say why the due date is moving." in str(refused.json())
    saved = client.patch(url, {"due_date": "2027-05-01", "due_date_reason": "Board moved"},
                         format="json")
    assert saved.status_code == 200, saved.content
    history = client.get(url + "history/").json()
    assert history[-1]["reason"] == "Board moved"


def test_setting_a_first_due_date_needs_no_reason(world):
    action = f.ActionFactory(programme=world.programme, owner=world.lead_a, due_date=None)
    changed = action_services.action_update(actor=world.manager, action=action, due_date=DUE)
    assert changed.due_date == DUE


def test_reviewers_and_other_partners_see_no_history_managers_do(client, world, action):
    for who, shown in (("manager", True), ("lead_a", False), ("reviewer", False)):
        client.force_login(getattr(world, who))
        html = client.get(reverse("web:action", args=[action.pk])).content.decode()
        assert ('data-testid="history"' in html) is shown, who


# Reassigning ---------------------------------------------------------------------------


def test_a_manager_gives_the_action_to_another_partners_lead_and_the_organisation_follows(
        client, world, action):
    client.force_login(world.manager)
    page = client.post(reverse("web:action-reassign", args=[action.pk]), {
        "owner": world.lead_b.pk, "owner_partner": world.partner_a.pk})
    assert page.status_code == 302
    action.refresh_from_db()
    assert (action.owner_id, action.owner_partner_id) == (world.lead_b.pk, world.partner_b.pk)
    assert action.history.latest().owner_id == world.lead_b.pk


def test_a_partner_lead_cannot_give_their_action_to_another_partner(client, world, action):
    client.force_login(world.lead_a)
    page = client.post(reverse("web:action-reassign", args=[action.pk]),
                       {"owner": world.lead_b.pk})
    assert page.status_code == 403  # as on the new action form: the service's refusal
    action.refresh_from_db()
    assert (action.owner_id, action.version) == (world.lead_a.pk, 1)


def test_the_reassign_page_refuses_a_reviewer_as_owner(client, world, action):
    client.force_login(world.manager)
    page = client.post(reverse("web:action-reassign", args=[action.pk]),
                       {"owner": world.reviewer.pk, "owner_partner": ""})
    assert page.status_code == 400
    assert page.context["form"].errors["owner"]
    action.refresh_from_db()
    assert action.owner_id == world.lead_a.pk


# Deleting ------------------------------------------------------------------------------


def test_a_manager_deletes_an_action_after_confirming(client, world, action):
    action_services.action_add_note(actor=world.lead_a, action=action, text="Started")
    client.force_login(world.manager)
    url = reverse("web:action-delete", args=[action.pk])

    # when the manager opens the delete page, then it asks to confirm and deletes nothing
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Are you sure you want to delete" in confirm.content.decode()
    assert Action.objects.filter(pk=action.pk).exists()

    # when they confirm, then the action and its notes are gone, the history stays
    done = client.post(url)
    assert done.status_code == 302
    assert not Action.objects.filter(pk=action.pk).exists()
    assert not ActionNote.objects.exists()
    assert Action.history.filter(id=action.pk, history_type="-").exists()


def test_an_action_with_funding_is_not_deleted_and_the_page_says_why(client, world, action):
    stream = f.FundingStreamFactory(programme=world.programme, funder=world.partner_a)
    f.FundingAllocationFactory(stream=stream, action=action, learning_need=None)
    client.force_login(world.manager)
    page = client.post(reverse("web:action-delete", args=[action.pk]))
    assert page.status_code == 400
    assert "cancel the action instead" in page.content.decode()
    assert Action.objects.filter(pk=action.pk).exists()


# The services, called directly by roles they refuse --------------------------------------


@pytest.mark.parametrize("who", ["lead_b", "reviewer", "provider_user", "outsider"])
def test_the_services_refuse_those_who_may_not_change_the_action(world, action, who):
    user = getattr(world, who)
    with pytest.raises(PermissionDenied):
        action_services.action_update(actor=user, action=action, title="Mine now")
    with pytest.raises(PermissionDenied):
        action_services.action_delete(actor=user, action=action)
    with pytest.raises(PermissionDenied):
        action_services.action_add_note(actor=user, action=action, text="Mine")
    action.refresh_from_db()
    assert (action.title, action.version, action.notes.count()) == (
        "Agree a shared induction", 1, 0)


@pytest.mark.parametrize("who", ["reviewer", "provider_user", "outsider"])
def test_action_create_refuses_those_who_cannot_add_actions(world, who):
    with pytest.raises(PermissionDenied):
        action_services.action_create(actor=getattr(world, who), programme=world.programme,
                                      title="Not theirs to add")
    assert not Action.objects.exists()


def test_a_partner_lead_may_not_delete_through_the_service(world, action):
    with pytest.raises(PermissionDenied):
        action_services.action_delete(actor=world.lead_a, action=action)
    assert Action.objects.filter(pk=action.pk).exists()


def test_a_long_due_date_reason_is_refused_plainly(world, action):
    with pytest.raises(DomainError) as refused:
        action_services.action_update(actor=world.manager, action=action,
                                      due_date=datetime.date(2027, 6, 1),
                                      due_date_reason="x" * 101)
    assert refused.value.message == (
        "Keep the reason for moving the due date to 100 characters or fewer.")
