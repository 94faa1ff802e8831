"""Only the programme's managers and partner leads own actions (DESIGN.md, "Setting up a
programme and its people"): the same refusal from the API, a page, a bulk change and an
import, each with a plain sentence on the owner."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from openpyxl import Workbook

from actions import services as action_services
from actions.models import Action
from core.errors import DomainError
from programmes import services as programme_services

from .. import factories as f

pytestmark = pytest.mark.django_db

NOT_OWNERS = ["reviewer", "provider_user", "outsider"]


def expected_sentence(who):
    return {
        "reviewer": "reviewer is a reviewer in the programme: only its managers and partner "
                    "leads can own actions.",
        "provider_user": "provider is a learning provider in the programme: only its managers "
                         "and partner leads can own actions.",
        "outsider": "outsider is not a member of the programme: only its managers and "
                    "partner leads can own actions.",
    }[who]


@pytest.fixture
def gap(world):
    return programme_services.gap_create(actor=world.manager, programme=world.programme,
                                         partner=world.partner_a,
                                         checklist_item=world.items[0], severity="high")


@pytest.mark.parametrize("who", NOT_OWNERS)
def test_the_api_refuses_a_new_action_owned_by_someone_who_cannot_own_it(api, world, who):
    # when a manager adds an action owned by a reviewer, a provider or a non-member
    response = api.as_user(world.manager).post("/api/v1/actions/", {
        "programme": world.programme.pk, "title": "Run the induction",
        "owner": getattr(world, who).pk}, format="json")

    # then it is a 400 with the sentence on the owner, and nothing is written
    assert response.status_code == 400, response.content
    assert expected_sentence(who) in str(response.json()["owner"])
    assert not Action.objects.exists()


@pytest.mark.parametrize("who", ["reviewer", "provider_user"])
def test_the_api_refuses_handing_an_action_to_a_reviewer_or_provider(api, world, who):
    # given an action of partner A's lead
    action = f.ActionFactory(programme=world.programme, owner=world.lead_a,
                             owner_partner=world.partner_a)

    # when a manager gives it to someone who cannot own actions
    response = api.as_user(world.manager).patch(f"/api/v1/actions/{action.pk}/",
                                                {"owner": getattr(world, who).pk}, format="json")

    # then it is refused on the owner and the action is as it was
    assert response.status_code == 400
    assert expected_sentence(who) in str(response.json()["owner"])
    action.refresh_from_db()
    assert (action.owner_id, action.version) == (world.lead_a.pk, 1)


def test_managers_and_partner_leads_can_own_actions(api, world):
    for owner in (world.manager, world.lead_b):
        response = api.as_user(world.manager).post("/api/v1/actions/", {
            "programme": world.programme.pk, "title": f"For {owner.username}",
            "owner": owner.pk}, format="json")
        assert response.status_code == 201, response.content
    assert Action.objects.get(title="For lead_b").owner_partner_id == world.partner_b.pk


def test_the_owning_organisation_follows_a_new_owner_unless_a_manager_chooses_one(world):
    # given an action of partner A
    action = f.ActionFactory(programme=world.programme, owner=world.lead_a,
                             owner_partner=world.partner_a)

    # when a manager gives it to partner B's lead, then it is partner B's
    moved = action_services.action_update(actor=world.manager, action=action, owner=world.lead_b)
    assert moved.owner_partner_id == world.partner_b.pk

    # when a manager gives it back to A's lead but keeps it partner B's, it stays B's
    kept = action_services.action_update(actor=world.manager, action=moved, owner=world.lead_a,
                                         owner_partner=world.partner_b)
    assert (kept.owner_id, kept.owner_partner_id) == (world.lead_a.pk, world.partner_b.pk)


@pytest.mark.parametrize("who", ["reviewer", "provider_user"])
def test_the_page_refuses_an_owner_who_cannot_own_actions(client, world, gap, who):
    # when a manager posts the new action form with a reviewer or provider as owner
    client.force_login(world.manager)
    page = client.post(reverse("web:action-new", args=[gap.pk]), {
        "title": "Run the induction", "owner": getattr(world, who).pk, "priority": "medium"})

    # then the form says so on the owner field, in the API's sentence, and nothing is written
    assert page.status_code == 400
    assert page.context["form"].errors["owner"] == [expected_sentence(who)]
    assert escape(expected_sentence(who)) in page.content.decode()
    assert not Action.objects.exists()


def test_the_owner_list_shows_only_managers_and_partner_leads_with_organisation_and_role(
        client, world, gap):
    # when a manager opens the new action form
    client.force_login(world.manager)
    page = client.get(reverse("web:action-new", args=[gap.pk]))

    # then the owners offered are the manager and the partner leads, named with their
    # organisation and role, and the owning organisation is not preselected
    form = page.context["form"]
    labels = [label for value, label in form.fields["owner"].choices if value]
    assert labels == ["lead_a (Alpha Council, partner lead)", "lead_b (Beta Trust, partner lead)",
                      "manager (programme manager)"]
    assert form["owner_partner"].value() is None
    html = page.content.decode()
    assert "reviewer" not in html and "provider (" not in html


def test_a_bulk_change_refuses_a_reviewer_as_owner_and_changes_nothing(api, world):
    # given two actions
    actions = f.ActionFactory.create_batch(2, programme=world.programme, owner=world.lead_a,
                                           owner_partner=world.partner_a)

    # when a manager gives both to the reviewer in one go
    response = api.as_user(world.manager).post("/api/v1/actions/bulk/", {
        "ids": [a.pk for a in actions], "owner": world.reviewer.pk}, format="json")

    # then it is a 400 that says why, and neither changed
    assert response.status_code == 400
    assert "reviewer is a reviewer in the programme" in response.json()["detail"]
    assert set(Action.objects.values_list("owner_id", flat=True)) == {world.lead_a.pk}


def test_the_bulk_service_refuses_a_provider_as_owner(world):
    with pytest.raises(DomainError) as refused:
        action_services.actions_bulk_update(
            actor=world.manager, ids=[f.ActionFactory(programme=world.programme).pk],
            owner=world.provider_user)
    assert "provider is a learning provider in the programme" in str(refused.value)


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_import_refuses_a_row_owned_by_a_reviewer_and_writes_nothing(api, world):
    # given a file of two actions, the second owned by the reviewer
    content = xlsx([["Title", "Owner username"], ["Run the induction", "lead_a"],
                    ["Review the induction", "reviewer"]])

    # when a manager imports it
    response = api.as_user(world.manager).post("/api/v1/actions/import/", {
        "programme": world.programme.pk, "dry_run": "false",
        "file": SimpleUploadedFile("actions.xlsx", content)}, format="multipart")

    # then the file is refused, naming the row's problem, and no action is written
    assert response.status_code == 400, response.content
    assert "reviewer is a reviewer in the programme" in response.content.decode()
    assert not Action.objects.exists()


def test_the_batch_refuses_anyone_but_a_manager(world):
    for who in ("lead_a", "reviewer", "provider_user", "outsider"):
        with pytest.raises(PermissionDenied):
            action_services.ActionBatch(actor=getattr(world, who), programme=world.programme)
