"""``/api/v1/invitations/`` and ``POST /api/v1/memberships/{id}/end/`` by role."""

import pytest
from django.core import mail
from django.utils import timezone

from people.models import Invitation
from programmes.models import Membership
from tests import factories as f

from .conftest import link_in

pytestmark = pytest.mark.django_db
URL = "/api/v1/invitations/"
MEMBERS = ["lead_a", "provider_user", "reviewer"]


def body(world, **extra):
    return {"programme": world.programme.pk, "email": "new.person@example.org",
            "role": "partner_lead", "partner": world.partner_a.pk, **extra}


@pytest.fixture
def invitation(world, sent):
    from people import services

    sent(lambda: services.invitation_create(actor=world.manager, programme=world.programme,
                                            email="waiting@example.org", role="reviewer"))
    return sent.result


def test_a_manager_invites_and_the_email_goes(world, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.as_user(world.manager).post(URL, body(world), format="json")
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    assert data["status"] == "pending" and data["invited_by"] == world.manager.pk
    assert data["email"] == "new.person@example.org" and data["expires_at"]
    assert len(mail.outbox) == 1 and link_in(mail.outbox[0])


@pytest.mark.parametrize("role, status", [
    *[(r, 403) for r in MEMBERS], ("outsider", 400), ("staff", 201)])
def test_who_may_invite(world, api, role, status):
    answer = api.as_user(getattr(world, role)).post(URL, body(world), format="json")
    assert answer.status_code == status, answer.json()
    assert Invitation.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize("role", [*MEMBERS, "outsider"])
def test_only_managers_see_invitations(world, api, invitation, role):
    client = api.as_user(getattr(world, role))
    assert client.get(URL).json()["count"] == 0
    assert client.get(f"{URL}{invitation.pk}/").status_code == 404
    assert client.post(f"{URL}{invitation.pk}/resend/").status_code == 404
    assert client.post(f"{URL}{invitation.pk}/revoke/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_a_manager_lists_resends_and_revokes(world, api, invitation,
                                             django_capture_on_commit_callbacks):
    client = api.as_user(world.manager)
    listed = client.get(URL, {"programme": world.programme.pk, "status": "pending"}).json()
    assert [row["id"] for row in listed["results"]] == [invitation.pk]
    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(f"{URL}{invitation.pk}/resend/")
    assert resent.status_code == 200 and len(mail.outbox) == 2
    assert link_in(mail.outbox[0]) != link_in(mail.outbox[1])
    revoked = client.post(f"{URL}{invitation.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    again = client.post(f"{URL}{invitation.pk}/revoke/")
    assert again.status_code == 409 and "already withdrawn" in again.json()["detail"]
    assert client.post(f"{URL}{invitation.pk}/resend/").status_code == 409


@pytest.mark.parametrize("change, message", [
    ({"role": "learning_provider", "partner": None}, "must belong to a partner"),
    ({"email": "not an address"}, "in the right form"),
    ({"email": "lead_a@example.org"}, "already a member"),
])
def test_bad_invitations_are_refused_plainly(world, api, change, message):
    answer = api.as_user(world.manager).post(URL, body(world, **change), format="json")
    assert answer.status_code in (400, 409)
    assert message in str(answer.json())
    assert not Invitation.objects.exists()


# Ending a membership ---------------------------------------------------------------------


def end_url(membership) -> str:
    return f"/api/v1/memberships/{membership.pk}/end/"


def test_ending_a_membership_lists_open_actions_and_keeps_history(world, api):
    # given lead A owns an open action and a done one, and has written a gap note
    membership = Membership.objects.get(programme=world.programme, user=world.lead_a)
    open_action = f.ActionFactory(programme=world.programme, owner=world.lead_a,
                                  owner_partner=world.partner_a, title="Train the team")
    f.ActionFactory(programme=world.programme, owner=world.lead_a,
                    owner_partner=world.partner_a, status="done",
                    completed_at=timezone.now())
    # when a manager ends their membership
    answer = api.as_user(world.manager).post(end_url(membership))
    # then the answer lists the open action and the board filtered by them
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert [a["id"] for a in data["open_actions"]] == [open_action.pk]
    assert data["reassign_link"] == (
        f"/programmes/{world.programme.pk}/actions/?owner={world.lead_a.pk}")
    # and the membership and the actions are kept
    membership.refresh_from_db()
    assert membership.ended_at is not None and membership.ended_by == world.manager
    open_action.refresh_from_db()
    assert open_action.owner == world.lead_a
    # and the leaver no longer sees the programme, in the API or the pages
    leaver = api.as_user(world.lead_a)
    assert leaver.get(f"/api/v1/programmes/{world.programme.pk}/").status_code == 404
    assert leaver.get("/api/v1/actions/").json()["count"] == 0
    assert leaver.get("/api/v1/memberships/").json()["count"] == 0


def test_an_ended_person_gets_404_on_the_programme_pages(world, api, browser):
    membership = Membership.objects.get(programme=world.programme, user=world.reviewer)
    api.as_user(world.manager).post(end_url(membership))
    browser.force_login(world.reviewer)
    assert browser.get(f"/programmes/{world.programme.pk}/").status_code == 404
    assert browser.get(f"/programmes/{world.programme.pk}/gaps/").status_code == 404
    assert str(world.programme.name) not in browser.get("/").content.decode()


@pytest.mark.parametrize("role, status", [
    *[(r, 403) for r in MEMBERS], ("outsider", 404), ("staff", 200)])
def test_who_may_end_a_membership(world, api, role, status):
    membership = Membership.objects.get(programme=world.programme, user=world.lead_b)
    assert api.as_user(getattr(world, role)).post(end_url(membership)).status_code == status
    membership.refresh_from_db()
    assert (membership.ended_at is not None) == (status == 200)


def test_an_ended_membership_cannot_end_twice_and_the_last_manager_stays(world, api):
    client = api.as_user(world.manager)
    lead = Membership.objects.get(programme=world.programme, user=world.lead_b)
    assert client.post(end_url(lead)).status_code == 200
    assert client.post(end_url(lead)).status_code == 409
    own = Membership.objects.get(programme=world.programme, user=world.manager)
    answer = client.post(end_url(own))
    assert answer.status_code == 409 and "only manager" in answer.json()["detail"]


def test_reinviting_an_ended_member_reactivates_the_membership(world, api, sent, browser):
    from people import services

    membership = Membership.objects.get(programme=world.programme, user=world.lead_b)
    api.as_user(world.manager).post(end_url(membership))
    mails = sent(lambda: services.invitation_create(
        actor=world.manager, programme=world.programme, email="lead_b@example.org",
        role="partner_lead", partner=world.partner_a))
    browser.force_login(world.lead_b)
    assert browser.post(link_in(mails[0])).status_code == 302
    membership.refresh_from_db()
    assert membership.ended_at is None and membership.partner == world.partner_a
    assert Membership.objects.filter(user=world.lead_b).count() == 1
    assert browser.get(f"/programmes/{world.programme.pk}/").status_code == 200


def test_an_invitation_past_its_14_days_reads_as_expired_and_filters_so(world, api, sent):
    import datetime

    import time_machine

    from people import services

    with time_machine.travel(datetime.datetime(2026, 2, 1, 9, tzinfo=datetime.UTC)):
        sent(lambda: services.invitation_create(
            actor=world.manager, programme=world.programme, email="old@example.org",
            role="reviewer"))
    client = api.as_user(world.manager)
    row = client.get(f"{URL}{sent.result.pk}/").json()
    assert row["status"] == "expired"
    assert client.get(URL, {"status": "expired"}).json()["count"] == 1
    assert client.get(URL, {"status": "pending"}).json()["count"] == 0
    # and a resend brings it back to pending with a new expiry
    assert client.post(f"{URL}{sent.result.pk}/resend/").json()["status"] == "pending"
