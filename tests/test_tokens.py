"""API tokens that end, web sessions that end, sign out everywhere and password change."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import ApiToken, SignedInSession

pytestmark = pytest.mark.django_db

RIGHT = "pass-word-123"  # the factories' password
START = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
TTL = settings.REST_KNOX["TOKEN_TTL"]
IDLE = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
SECOND = datetime.timedelta(seconds=1)


def new_token(username="manager", password=RIGHT) -> str:
    answer = APIClient().post("/api/v1/auth/token/",
                              {"username": username, "password": password}, format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def signed_in(username="manager", password=RIGHT) -> Client:
    """A browser that signed in through the login form."""
    client = Client()
    answer = client.post("/login/", {"username": username, "password": password})
    assert answer.status_code == 302, answer.content
    return client


def can_see_programmes(client) -> int:
    return client.get("/api/v1/programmes/").status_code


# Tokens ------------------------------------------------------------------------------


def test_a_token_is_given_for_a_username_and_password_and_works(world):
    answer = APIClient().post("/api/v1/auth/token/",
                              {"username": "reviewer", "password": RIGHT}, format="json")
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"token", "expires_at"}
    listing = with_token(body["token"]).get("/api/v1/programmes/")
    assert listing.status_code == 200
    assert [p["id"] for p in listing.json()["results"]] == [world.programme.pk]
    # only a digest is kept: the token itself is in no column
    stored = ApiToken.objects.get(user=world.reviewer)
    assert body["token"] not in (stored.digest, stored.token_key)


def test_a_wrong_password_gets_no_token(world):
    answer = APIClient().post("/api/v1/auth/token/",
                              {"username": "manager", "password": "nope"}, format="json")
    assert answer.status_code == 400
    assert "non_field_errors" in answer.json()
    assert not ApiToken.objects.exists()


def test_a_token_expires_after_its_lifetime(world):
    with time_machine.travel(START, tick=False) as clock:
        token = new_token()
        expires = ApiToken.objects.get(user=world.manager).expiry
        assert expires == START + TTL
        clock.shift(TTL - SECOND)
        assert can_see_programmes(with_token(token)) == 200
        clock.shift(SECOND)
        refused = with_token(token).get("/api/v1/programmes/")
        assert refused.status_code == 401
        assert "expired" in refused.json()["detail"]
        assert not ApiToken.objects.exists()  # removed once seen expired


def test_delete_revokes_the_token_used_and_only_that_one(world):
    first, second = new_token(), new_token()
    revoked = with_token(first).delete("/api/v1/auth/token/")
    assert revoked.status_code == 204
    assert can_see_programmes(with_token(first)) == 401
    assert can_see_programmes(with_token(second)) == 200
    assert ApiToken.objects.filter(user=world.manager).count() == 1


def test_delete_without_a_token_is_refused(world):
    assert APIClient().delete("/api/v1/auth/token/").status_code == 401
    browser = signed_in()
    assert browser.delete("/api/v1/auth/token/").status_code == 401


def test_a_token_of_a_switched_off_account_is_refused(world):
    token = new_token()
    world.manager.is_active = False
    world.manager.save()
    assert can_see_programmes(with_token(token)) == 401


def test_a_password_changed_anywhere_ends_the_tokens(world):
    # given a token, and a password changed by an administrator (not on our page)
    token = new_token()
    world.manager.set_password("another-long-pass-phrase")
    world.manager.save()
    # then the token no longer works, and says why
    refused = with_token(token).get("/api/v1/programmes/")
    assert refused.status_code == 401
    assert "password" in refused.json()["detail"]
    assert can_see_programmes(with_token(new_token(password="another-long-pass-phrase"))) == 200


def test_logging_out_of_the_web_leaves_api_tokens_alone(world):
    token = new_token()
    browser = signed_in()
    browser.post("/logout/")
    assert can_see_programmes(with_token(token)) == 200


# Sign out everywhere -----------------------------------------------------------------


def test_sign_out_everywhere_through_the_api_ends_every_token_and_session(world):
    tokens = [new_token(), new_token()]
    browsers = [signed_in(), signed_in()]
    others_token, other_browser = new_token("lead_a"), signed_in("lead_a")

    answer = with_token(tokens[0]).post("/api/v1/auth/sign-out-everywhere/")

    assert answer.status_code == 200
    assert answer.json() == {"tokens_ended": 2, "sessions_ended": 2}
    assert [can_see_programmes(with_token(t)) for t in tokens] == [401, 401]
    assert [b.get("/").status_code for b in browsers] == [302, 302]
    assert browsers[0].get("/").url.startswith("/login/")
    # someone else's are untouched
    assert can_see_programmes(with_token(others_token)) == 200
    assert other_browser.get("/").status_code == 200


def test_the_account_page_signs_out_everywhere(world):
    token = new_token()
    here, elsewhere = signed_in(), signed_in()
    page = here.get("/account/")
    assert page.status_code == 200
    assert "2 sessions on the web, 1 API token" in page.content.decode()

    answer = here.post("/account/sign-out-everywhere/", follow=True)

    assert answer.redirect_chain[-1][0] == "/login/"
    assert "You are signed out everywhere: 2 signed-in sessions and 1 API token ended." in (
        answer.content.decode())
    assert here.get("/").status_code == 302
    assert elsewhere.get("/").status_code == 302
    assert can_see_programmes(with_token(token)) == 401
    assert not SignedInSession.objects.filter(user=world.manager).exists()


def test_signing_out_everywhere_needs_a_post(world):
    browser = signed_in()
    assert browser.get("/account/sign-out-everywhere/").status_code == 405
    assert browser.get("/").status_code == 200


# Password change ---------------------------------------------------------------------


def test_the_password_change_page_is_in_plain_english(world):
    browser = signed_in()
    page = browser.get("/account/password/").content.decode()
    assert "<h1>Change your password</h1>" in page
    assert "Current password" in page and "Type the new password again" in page
    wrong = browser.post("/account/password/", {
        "old_password": "not-it", "new_password1": "a-brand-new-phrase-26",
        "new_password2": "a-brand-new-phrase-26"})
    assert wrong.status_code == 200
    text = wrong.content.decode()
    assert "There is a problem" in text
    assert "Your current password is not right." in text
    mismatch = browser.post("/account/password/", {
        "old_password": RIGHT, "new_password1": "a-brand-new-phrase-26",
        "new_password2": "a-different-phrase-26"})
    assert "The new passwords do not match." in mismatch.content.decode()
    assert browser.get("/").status_code == 200  # nothing changed


def test_changing_the_password_ends_tokens_and_other_sessions_and_keeps_this_one(world):
    token = new_token()
    here, elsewhere = signed_in(), signed_in()

    answer = here.post("/account/password/", {
        "old_password": RIGHT, "new_password1": "a-brand-new-phrase-26",
        "new_password2": "a-brand-new-phrase-26"}, follow=True)

    assert answer.redirect_chain[-1][0] == "/account/"
    assert "Your password is changed." in answer.content.decode()
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert can_see_programmes(with_token(token)) == 401
    assert not ApiToken.objects.filter(user=world.manager).exists()
    keys = set(SignedInSession.objects.filter(user=world.manager)
               .values_list("session_key", flat=True))
    assert keys == {here.session.session_key}
    assert Session.objects.filter(session_key__in=keys).count() == 1
    assert signed_in(password="a-brand-new-phrase-26").get("/").status_code == 200


# Web sessions ------------------------------------------------------------------------


def test_a_web_session_ends_after_the_idle_timeout(world):
    with time_machine.travel(START, tick=False) as clock:
        browser = signed_in()
        # kept alive by use: each visit moves the end on
        for _ in range(3):
            clock.shift(IDLE - datetime.timedelta(minutes=1))
            assert browser.get("/").status_code == 200
        # and ended by a spell without any
        clock.shift(IDLE + SECOND)
        answer = browser.get("/")
        assert answer.status_code == 302
        assert answer.url.startswith("/login/")


def test_a_web_session_ends_after_its_absolute_lifetime_however_active(world):
    step = IDLE / 2
    with time_machine.travel(START, tick=False) as clock:
        browser = signed_in()
        visits = int(settings.SESSION_MAX_AGE / step)
        for _ in range(visits):  # a visit every half idle timeout, up to the lifetime
            clock.shift(step)
            assert browser.get("/").status_code == 200
        clock.shift(SECOND)
        assert browser.get("/").status_code == 302


def test_the_session_settings_come_from_the_environment():
    from .test_settings import PRODUCTION, run_manage

    result = run_manage(
        "shell", "-c",
        "from django.conf import settings as s; print(s.SESSION_COOKIE_AGE, "
        "s.SESSION_MAX_AGE.total_seconds(), s.REST_KNOX['TOKEN_TTL'].total_seconds(), "
        "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(), s.AXES_LOCKOUT_PARAMETERS, "
        "s.NUM_PROXIES, s.REST_FRAMEWORK['NUM_PROXIES'])",
        env={**PRODUCTION, "LOG_LEVEL": "ERROR", "SESSION_IDLE_MINUTES": "15",
             "SESSION_MAX_HOURS": "8", "API_TOKEN_TTL_HOURS": "2", "AXES_FAILURE_LIMIT": "5",
             "AXES_COOLOFF_MINUTES": "30", "AXES_LOCKOUT_PARAMETERS": "username+ip_address",
             "NUM_PROXIES": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-9:] == [
        "900", "28800.0", "7200.0", "5", "1800.0", "[['username',", "'ip_address']]", "1", "1"]


def test_a_token_costs_one_query_per_request(world, django_assert_num_queries):
    token = new_token()
    signed = with_token(token)
    forced = APIClient()
    forced.force_authenticate(world.manager)
    with CaptureQueriesContext(connection) as plain:
        assert forced.get("/api/v1/notifications/unread-count/").status_code == 200
    # the token's lookup, with its user, is the one query more
    with django_assert_num_queries(len(plain) + 1):
        assert signed.get("/api/v1/notifications/unread-count/").status_code == 200
