"""The invitations page, the end-membership page, the login page and password reset."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from people.models import Invitation
from programmes.models import Membership
from tests import factories as f

pytestmark = pytest.mark.django_db


def page_url(world) -> str:
    return f"/programmes/{world.programme.pk}/people/invitations/"


def test_a_manager_invites_from_the_page(world, browser, django_capture_on_commit_callbacks):
    browser.force_login(world.manager)
    assert "Send the invitation" in browser.get(page_url(world)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer = browser.post(page_url(world), {
            "email": "new@example.org", "role": "partner_lead",
            "partner": world.partner_b.pk}, follow=True)
    body = answer.content.decode()
    assert "Invitation sent to new@example.org" in body
    assert "Waiting for an answer" in body and "Beta Trust" in body
    assert len(mail.outbox) == 1


def test_the_page_shows_the_services_refusal_on_the_form(world, browser):
    browser.force_login(world.manager)
    answer = browser.post(page_url(world), {"email": "new@example.org", "role": "partner_lead"})
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "There is a problem" in body and "must belong to a partner" in body
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role, status", [
    ("lead_a", 403), ("provider_user", 403), ("reviewer", 403), ("outsider", 404)])
def test_only_managers_have_the_invitations_page(world, browser, role, status):
    browser.force_login(getattr(world, role))
    assert browser.get(page_url(world)).status_code == status
    browser.post(page_url(world), {"email": "new@example.org", "role": "reviewer"})
    assert not Invitation.objects.exists()


def test_resend_and_withdraw_from_the_page(world, browser, sent):
    from people import services

    sent(lambda: services.invitation_create(actor=world.manager, programme=world.programme,
                                            email="w@example.org", role="reviewer"))
    invitation = sent.result
    browser.force_login(world.manager)
    with_mail = sent(lambda: browser.post(f"{page_url(world)}{invitation.pk}/resend/",
                                          follow=True))
    assert len(with_mail) == 1
    assert "A new invitation is sent to w@example.org" in sent.result.content.decode()
    answer = browser.post(f"{page_url(world)}{invitation.pk}/revoke/", follow=True)
    body = answer.content.decode()
    assert "is withdrawn" in body and "Withdrawn" in body
    answer = browser.post(f"{page_url(world)}{invitation.pk}/revoke/", follow=True)
    assert "already withdrawn" in answer.content.decode()


def test_the_invitations_page_reads_a_fixed_number_of_queries(world, browser):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from people import services

    browser.force_login(world.manager)

    def queries_with(count: int) -> int:
        for n in range(Invitation.objects.count(), count):
            services.invitation_create(actor=world.manager, programme=world.programme,
                                       email=f"p{n}@example.org", role="reviewer")
        with CaptureQueriesContext(connection) as context:
            answer = browser.get(page_url(world))
        assert answer.content.decode().count("@example.org</td>") == count
        return len(context.captured_queries)

    # the same number of queries for 2 invitations as for 12
    assert queries_with(2) == queries_with(12)


# Ending a membership ---------------------------------------------------------------------


def test_the_end_membership_page_confirms_then_lists_the_open_actions(world, browser):
    action = f.ActionFactory(programme=world.programme, owner=world.lead_a,
                             owner_partner=world.partner_a, title="Agree the induction")
    membership = Membership.objects.get(programme=world.programme, user=world.lead_a)
    browser.force_login(world.manager)
    page = browser.get(f"/memberships/{membership.pk}/end/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "End the membership" in body and "Agree the induction" in body
    answer = browser.post(f"/memberships/{membership.pk}/end/")
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "has ended" in body and f"/actions/{action.pk}/" in body
    assert f"/programmes/{world.programme.pk}/actions/?owner={world.lead_a.pk}" in body
    membership.refresh_from_db()
    assert membership.ended_at is not None
    # the board filtered by the leaver shows their action, for reassignment
    board = browser.get(f"/programmes/{world.programme.pk}/actions/?owner={world.lead_a.pk}")
    assert board.status_code == 200 and "Agree the induction" in board.content.decode()


@pytest.mark.parametrize("role, status", [("lead_b", 403), ("reviewer", 403),
                                          ("outsider", 404)])
def test_only_managers_end_memberships_on_the_page(world, browser, role, status):
    membership = Membership.objects.get(programme=world.programme, user=world.lead_a)
    browser.force_login(getattr(world, role))
    assert browser.get(f"/memberships/{membership.pk}/end/").status_code == status
    assert browser.post(f"/memberships/{membership.pk}/end/").status_code == status
    membership.refresh_from_db()
    assert membership.ended_at is None


# Signing in and password reset ------------------------------------------------------------


def test_the_login_page_tells_the_truth_and_links_to_reset(browser):
    body = browser.get("/login/").content.decode()
    assert "the password your programme manager gave you" not in body
    assert "invitation" in body
    assert 'href="/password-reset/"' in body


def test_a_password_reset_by_email_works(world, browser):
    # given lead A forgot their password and asks for a reset
    answer = browser.post("/password-reset/", {"email": "LEAD_A@example.org"})
    assert answer.status_code == 302 and answer["Location"] == "/password-reset/sent/"
    # then one e-mail goes to them with a link
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lead_a@example.org"]
    link = re.search(r"https?://[^/\s]+(/password-reset/[^/\s]+/[^/\s]+/)",
                     mail.outbox[0].body).group(1)
    # when they open it, they are taken to a form for the new password
    form_page = browser.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    # a weak password is refused in plain English
    weak = browser.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "only numbers" in weak.content.decode()
    # a good one is set
    done = browser.post(set_url, {"new_password1": "quiet-meadow-copper-7",
                                  "new_password2": "quiet-meadow-copper-7"})
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"
    world.lead_a.refresh_from_db()
    assert world.lead_a.check_password("quiet-meadow-copper-7")
    # and the link is dead afterwards
    again = browser.get(link, follow=True)
    assert "This link cannot be used" in again.content.decode()


def test_a_reset_for_an_unknown_address_says_the_same_and_sends_nothing(db, browser):
    answer = browser.post("/password-reset/", {"email": "nobody@example.org"})
    assert answer.status_code == 302
    assert mail.outbox == []


# Bulk invitations from a spreadsheet ----------------------------------------------------


def upload(text: str):
    return SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")


def test_invitations_in_bulk_are_checked_then_sent_all_at_once(
        world, browser, django_capture_on_commit_callbacks):
    browser.force_login(world.manager)
    url = f"/programmes/{world.programme.pk}/import/"
    csv = ("Email,Role,Partner\n"
           "one@example.org,Partner lead,Alpha Council\n"
           "two@example.org,reviewer,\n")
    # the dry run sends nothing and writes nothing
    with django_capture_on_commit_callbacks(execute=True):
        check = browser.post(url, {"kind": "memberships", "file": upload(csv)})
    assert check.status_code == 200, check.content.decode()
    assert not Invitation.objects.exists() and mail.outbox == []
    token = re.search(r'name="confirm" value="([^"]+)"', check.content.decode()).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        done = browser.post(url, {"confirm": token}, follow=True)
    assert "2 invitations sent" in done.content.decode()
    assert sorted(Invitation.objects.values_list("email", flat=True)) == [
        "one@example.org", "two@example.org"]
    assert sorted(m.to[0] for m in mail.outbox) == ["one@example.org", "two@example.org"]


def test_one_bad_row_invites_nobody(world, browser, django_capture_on_commit_callbacks):
    browser.force_login(world.manager)
    csv = ("Email,Role,Partner\n"
           "one@example.org,Partner lead,Alpha Council\n"
           "lead_b@example.org,reviewer,\n"
           "three@example.org,partner lead,\n")
    with django_capture_on_commit_callbacks(execute=True):
        check = browser.post(f"/programmes/{world.programme.pk}/import/",
                             {"kind": "memberships", "file": upload(csv)})
    assert check.status_code == 400
    body = check.content.decode()
    assert "already a member" in body and "Partner is needed" in body
    assert not Invitation.objects.exists() and mail.outbox == []
