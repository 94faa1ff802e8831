"""Invitations: made by managers, e-mailed with a one-time link that ends when it is used,
withdrawn, replaced by a resend or 14 days old."""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from core.errors import Conflict, DomainError
from people import services
from people.models import Invitation
from programmes.models import Membership

from .conftest import link_in

pytestmark = pytest.mark.django_db
User = get_user_model()
GOOD_PASSWORD = "violet-harbour-lantern-42"


def invite(world, sent, email="new.person@example.org", role="partner_lead", partner="a"):
    partner_obj = {"a": world.partner_a, "b": world.partner_b, None: None}[partner]
    mails = sent(lambda: services.invitation_create(
        actor=world.manager, programme=world.programme, email=email, role=role,
        partner=partner_obj))
    return sent.result, mails


def new_account(browser, path, password=GOOD_PASSWORD, **extra):
    return browser.post(path, {"first_name": "Nia", "last_name": "Jones",
                               "password1": password, "password2": password, **extra})


# The e-mail ------------------------------------------------------------------------------


def test_an_invitation_emails_a_link_that_makes_the_account_and_the_membership(world, sent,
                                                                               browser):
    # given a manager invites a new person as partner lead of Alpha Council
    invitation, mails = invite(world, sent)
    # then one e-mail goes to them, naming the programme and carrying the link
    assert len(mails) == 1 and mails[0].to == ["new.person@example.org"]
    assert world.programme.name in mails[0].subject
    path = link_in(mails[0])
    # when they open it, they are asked for their name and a password
    page = browser.get(path)
    assert page.status_code == 200
    assert "Make my account and join" in page.content.decode()
    # and when they send them
    answer = new_account(browser, path)
    # then they have an account and the role, are signed in, and land on the programme
    assert answer.status_code == 302
    assert answer["Location"] == f"/programmes/{world.programme.pk}/"
    user = User.objects.get(email="new.person@example.org")
    assert user.get_full_name() == "Nia Jones" and user.check_password(GOOD_PASSWORD)
    membership = Membership.objects.get(programme=world.programme, user=user)
    assert (membership.role, membership.partner) == ("partner_lead", world.partner_a)
    assert browser.get(f"/programmes/{world.programme.pk}/").status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.accepted_by == user


def test_the_link_works_once(world, sent, browser):
    # given an invitation accepted through its link
    _, mails = invite(world, sent)
    path = link_in(mails[0])
    new_account(browser, path)
    # when the link is opened again (signed out)
    browser.logout()
    page = browser.get(path)
    # then a plain page says it was used, and who to ask
    assert page.status_code == 410
    body = page.content.decode()
    assert "already been used" in body
    assert "manager@example.org" in body
    assert User.objects.filter(email="new.person@example.org").count() == 1


def test_the_link_is_dead_after_revocation(world, sent, browser):
    invitation, mails = invite(world, sent)
    services.invitation_revoke(actor=world.manager, invitation=invitation)
    page = browser.get(link_in(mails[0]))
    assert page.status_code == 410
    assert "withdrawn" in page.content.decode()
    # and posting to it makes no account
    new_account(browser, link_in(mails[0]))
    assert not User.objects.filter(email="new.person@example.org").exists()


def test_a_resend_kills_the_old_link_and_the_new_one_works(world, sent, browser):
    # given an invitation resent
    invitation, first = invite(world, sent)
    second = sent(lambda: services.invitation_resend(actor=world.manager,
                                                     invitation=invitation))
    old, new = link_in(first[0]), link_in(second[0])
    assert old != new
    # then the old link says a newer e-mail replaced it
    page = browser.get(old)
    assert page.status_code == 410 and "newer invitation" in page.content.decode()
    assert new_account(browser, old).status_code == 410
    # and the new one works
    assert new_account(browser, new).status_code == 302
    assert Membership.objects.filter(user__email="new.person@example.org").exists()


def test_a_resend_gives_fourteen_more_days(world, sent):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC), tick=False):
        invitation, _ = invite(world, sent)
    with time_machine.travel(datetime.datetime(2026, 3, 10, 9, tzinfo=datetime.UTC), tick=False):
        sent(lambda: services.invitation_resend(actor=world.manager, invitation=invitation))
    invitation.refresh_from_db()
    assert invitation.expires_at == datetime.datetime(2026, 3, 24, 9, tzinfo=datetime.UTC)


def test_the_link_is_dead_after_fourteen_days(world, sent, browser):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC), tick=False):
        invitation, mails = invite(world, sent)
    path = link_in(mails[0])
    # a minute before the 14 days are up it works
    with time_machine.travel(datetime.datetime(2026, 3, 15, 8, 59, tzinfo=datetime.UTC)):
        assert browser.get(path).status_code == 200
    # after them it does not, and the API says expired
    with time_machine.travel(datetime.datetime(2026, 3, 15, 9, 1, tzinfo=datetime.UTC)):
        page = browser.get(path)
        assert page.status_code == 410 and "expired" in page.content.decode()
        assert new_account(browser, path).status_code == 410
        assert Invitation.objects.with_status().get(pk=invitation.pk).current_status == "expired"
    assert not User.objects.filter(email="new.person@example.org").exists()


def test_a_made_up_link_is_refused_plainly(world, browser):
    page = browser.get("/invitations/not-a-real-link/")
    assert page.status_code == 404
    assert "not right" in page.content.decode()


# Passwords --------------------------------------------------------------------------------


@pytest.mark.parametrize("password, words", [
    ("short1", "at least 8 characters"),
    ("password123", "too common"),
    ("83749261538", "only numbers"),
    ("new.person", "too like your name"),
])
def test_django_password_rules_are_enforced_in_plain_english(world, sent, browser,
                                                             password, words):
    _, mails = invite(world, sent)
    answer = new_account(browser, link_in(mails[0]), password=password)
    assert answer.status_code == 400
    body = answer.content.decode()
    assert words in body
    assert "There is a problem" in body
    assert not User.objects.filter(email="new.person@example.org").exists()


def test_the_two_passwords_must_match(world, sent, browser):
    _, mails = invite(world, sent)
    answer = browser.post(link_in(mails[0]), {
        "first_name": "Nia", "last_name": "Jones", "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD + "x"})
    assert answer.status_code == 400
    assert "do not match" in answer.content.decode()


# People who already have an account -----------------------------------------------------


def test_a_person_with_an_account_signs_in_and_accepts(world, sent, browser):
    # given the outsider (who has an account) is invited as reviewer
    _, mails = invite(world, sent, email="OUTSIDER@example.org", role="reviewer", partner=None)
    path = link_in(mails[0])
    # when they open the link signed out, they are asked to sign in (and come back)
    page = browser.get(path)
    assert page.status_code == 200
    assert f"/login/?next={path}" in page.content.decode()
    # when they have signed in, they accept
    browser.force_login(world.outsider)
    assert "Accept and join" in browser.get(path).content.decode()
    answer = browser.post(path)
    assert answer.status_code == 302
    assert Membership.objects.get(programme=world.programme, user=world.outsider).role == "reviewer"
    assert User.objects.filter(email__iexact="outsider@example.org").count() == 1


def test_someone_signed_in_as_another_person_is_told_so(world, sent, browser):
    _, mails = invite(world, sent)
    browser.force_login(world.lead_b)
    page = browser.get(link_in(mails[0]))
    assert page.status_code == 403
    body = page.content.decode()
    assert "new.person@example.org" in body and "lead_b" in body and "Sign out" in body
    assert browser.post(link_in(mails[0])).status_code == 403
    assert not Membership.objects.filter(user__email="new.person@example.org").exists()


def test_the_service_refuses_a_new_account_for_an_address_with_one(world, sent):
    invitation, mails = invite(world, sent, email="outsider@example.org", role="reviewer",
                               partner=None)
    token = link_in(mails[0]).split("/")[2]
    with pytest.raises(Conflict, match="already an account"):
        services.invitation_accept_new_account(token=token, first_name="A", last_name="B",
                                               password=GOOD_PASSWORD)


# The rules of making invitations ---------------------------------------------------------


@pytest.mark.parametrize("role", ["lead_a", "provider_user", "reviewer", "outsider"])
def test_only_managers_invite(world, role):
    with pytest.raises(PermissionDenied):
        services.invitation_create(actor=getattr(world, role), programme=world.programme,
                                   email="x@example.org", role="reviewer")
    assert not Invitation.objects.exists()


def test_a_member_cannot_be_invited_again(world):
    with pytest.raises(Conflict, match="already a member"):
        services.invitation_create(actor=world.manager, programme=world.programme,
                                   email="lead_a@example.org", role="reviewer")


def test_a_second_invitation_while_one_waits_is_refused(world, sent):
    invite(world, sent)
    with pytest.raises(Conflict, match="resend"):
        services.invitation_create(actor=world.manager, programme=world.programme,
                                   email="New.Person@example.org", role="reviewer")


def test_an_expired_invitation_can_be_replaced(world, sent):
    with time_machine.travel(datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC)):
        first, _ = invite(world, sent)
    second, _ = invite(world, sent)
    first.refresh_from_db()
    assert first.status == "expired" and second.status == "pending"


@pytest.mark.parametrize("role, partner, field", [
    ("partner_lead", None, "partner"),
    ("reviewer", "a", "partner"),
    ("chief", None, "role"),
])
def test_role_and_partner_must_fit(world, role, partner, field):
    with pytest.raises(DomainError) as caught:
        services.invitation_create(
            actor=world.manager, programme=world.programme, email="x@example.org", role=role,
            partner=world.partner_a if partner else None)
    assert caught.value.field == field


def test_a_partner_outside_the_programme_is_refused(world):
    from tests import factories as f

    elsewhere = f.PartnerFactory(name="Elsewhere")
    with pytest.raises(DomainError, match="not in the programme"):
        services.invitation_create(actor=world.manager, programme=world.programme,
                                   email="x@example.org", role="partner_lead", partner=elsewhere)


def test_a_learning_provider_must_belong_to_a_partner_that_provides_learning(world):
    with pytest.raises(DomainError, match="does not provide learning"):
        services.invitation_create(actor=world.manager, programme=world.programme,
                                   email="x@example.org", role="learning_provider",
                                   partner=world.partner_a)
    invitation = services.invitation_create(
        actor=world.manager, programme=world.programme, email="x@example.org",
        role="learning_provider", partner=world.provider)
    assert invitation.partner == world.provider
