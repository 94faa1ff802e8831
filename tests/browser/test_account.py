"""The account pages in a real browser, each checked with axe: change the password, sign
out everywhere, and the page shown when signing in is paused."""

from django.conf import settings

from accounts.models import SignedInSession

from .conftest import PASSWORD


def test_a_lead_changes_their_password_and_signs_out_everywhere(visitor):
    page = visitor.page
    # given a partner lead signed in
    visitor.log_in("lead")

    # when they open their account from the header and change their password
    visitor.click("link", name="your account")
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"
    visitor.click("link", name="Change your password")
    page.get_by_label("Current password").fill("wrong-password")
    page.get_by_label("New password", exact=True).fill("a-brand-new-phrase-26")
    page.get_by_label("Type the new password again").fill("a-brand-new-phrase-26")
    visitor.click("button", name="Change password")
    assert "Your current password is not right" in page.get_by_role("alert").inner_text()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a-brand-new-phrase-26")
    page.get_by_label("Type the new password again").fill("a-brand-new-phrase-26")
    visitor.click("button", name="Change password")

    # then they are still signed in, and told what ended
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"
    assert "Your password is changed" in page.get_by_role("status").inner_text()

    # and signing out everywhere brings them back to the login page
    visitor.click("button", name="Sign out everywhere")
    assert page.get_by_role("heading", level=1).inner_text() == "Log in"
    assert "You are signed out everywhere" in page.get_by_role("status").inner_text()
    assert not SignedInSession.objects.filter(user__username="lead").exists()


def test_the_paused_sign_in_page_reads_well(visitor):
    page = visitor.page
    for n in range(settings.AXES_FAILURE_LIMIT):
        visitor.goto("/login/")
        page.get_by_label("Username").fill("lead")
        page.get_by_label("Password").fill(f"guess-{n}")
        visitor.click("button", name="Log in")
    assert page.get_by_role("heading", level=1).inner_text() == "Signing in is paused"
    assert "You can try again after" in page.inner_text("main")
