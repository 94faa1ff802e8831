"""Sign-in limiting: wrong passwords lock the account and the address out for a while.

Counted by django-axes in the database per account and per address (``REMOTE_ADDR``, or
through trusted proxies when ``NUM_PROXIES`` says so), for the web form, the admin login
and ``POST /api/v1/auth/token/`` alike. A client cannot reset the count by changing
``X-Forwarded-For``, and every server process sees the same count (the last test runs
gunicorn with three workers).
"""

import datetime
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import RequestFactory, override_settings
from rest_framework.test import APIClient

from accounts.models import ApiToken
from core.security import client_ip

from . import factories as f

pytestmark = pytest.mark.django_db

RIGHT = "pass-word-123"  # the factories' password
START = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
LIMIT = settings.AXES_FAILURE_LIMIT
COOL_OFF = settings.AXES_COOLOFF_TIME


def forwarded(n: int) -> str:
    """A different made-up client address each time, as an attacker would send."""
    return f"203.0.{n // 250}.{n % 250 + 1}"


def token_attempt(client, username, password, n=0, **extra):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password},
                       format="json", HTTP_X_FORWARDED_FOR=forwarded(n), **extra)


def form_attempt(client, username, password, n=0, path="/login/", **extra):
    return client.post(path, {"username": username, "password": password},
                       HTTP_X_FORWARDED_FOR=forwarded(n), **extra)


# The token endpoint ------------------------------------------------------------------


def test_thirty_wrong_passwords_lock_the_account_and_the_address_out_of_the_token_endpoint(
    world, caplog
):
    caplog.set_level(logging.WARNING, logger="tracker.security")
    client = APIClient()
    with time_machine.travel(START, tick=False) as clock:
        # when 30 wrong passwords arrive, each with another X-Forwarded-For
        codes = [token_attempt(client, "manager", f"guess-{n}", n).status_code
                 for n in range(30)]

        # then the limit'th one locks, and everything after is refused
        assert codes == [400] * (LIMIT - 1) + [429] * (30 - LIMIT + 1)
        # the right password is refused too, with a message saying when to come back
        right = token_attempt(client, "manager", RIGHT, 99)
        assert right.status_code == 429
        body = right.json()
        assert body["code"] == "locked_out"
        assert "try again after 9:15am on 30 November 2026" in body["detail"]
        assert "programme manager" in body["detail"]
        assert body["retry_after"] == COOL_OFF.total_seconds()
        assert right.headers["Retry-After"] == str(int(COOL_OFF.total_seconds()))
        assert not ApiToken.objects.exists()
        # the address is locked for other accounts, and the account from other addresses
        assert token_attempt(client, "lead_a", RIGHT).status_code == 429
        elsewhere = APIClient(REMOTE_ADDR="198.51.100.20")
        assert token_attempt(elsewhere, "manager", RIGHT).status_code == 429
        # an account nobody guessed, from another address, is not affected
        assert token_attempt(elsewhere, "lead_b", RIGHT).status_code == 200

        # and when the cool-off has passed, the right password works again
        clock.shift(COOL_OFF - datetime.timedelta(seconds=1))
        assert token_attempt(client, "manager", RIGHT).status_code == 429
        clock.shift(datetime.timedelta(seconds=2))
        answer = token_attempt(client, "manager", RIGHT)
        assert answer.status_code == 200, answer.content
        assert ApiToken.objects.filter(user=world.manager).count() == 1

    # One row per account and address: the rotating header made no new ones.
    assert AccessAttempt.objects.filter(username="manager").count() <= 1
    lines = [r.getMessage() for r in caplog.records if r.name == "tracker.security"]
    assert any("sign-in locked out: username='manager' from 127.0.0.1" in m for m in lines)
    assert not any("guess-" in m for m in lines)


def test_a_wrong_password_gets_a_plain_message_and_no_lockout_wording(world):
    answer = token_attempt(APIClient(), "manager", "nope")
    assert answer.status_code == 400
    assert answer.json() == {"non_field_errors": [
        "The username or password is not right. Check them and try again."]}


# The web form and the admin ----------------------------------------------------------


def test_thirty_wrong_passwords_lock_the_web_form_until_the_cool_off_ends(world, client):
    with time_machine.travel(START, tick=False) as clock:
        codes = [form_attempt(client, "lead_a", f"guess-{n}", n).status_code for n in range(30)]
        assert codes == [200] * (LIMIT - 1) + [429] * (30 - LIMIT + 1)

        right = form_attempt(client, "lead_a", RIGHT, 77)
        assert right.status_code == 429
        page = right.content.decode()
        assert "<h1>Signing in is paused</h1>" in page
        assert "You can try again after <strong>9:15am on 30 November 2026</strong>" in page
        assert "ask your programme manager" in page
        assert "Account locked" not in page  # django-axes' own wording is never shown
        assert "_auth_user_id" not in client.session
        # the address is locked for other people too
        assert form_attempt(client, "lead_b", RIGHT).status_code == 429

        clock.shift(COOL_OFF + datetime.timedelta(seconds=1))
        signed_in = form_attempt(client, "lead_a", RIGHT)
        assert signed_in.status_code == 302
        assert client.get("/").status_code == 200


def test_the_form_shows_a_plain_message_for_a_wrong_password(world, client):
    page = form_attempt(client, "lead_a", "nope")
    assert page.status_code == 200
    assert ("The username or password is not right. Check them and try again."
            in page.content.decode())


def test_the_admin_login_is_locked_out_too(world, client):
    with time_machine.travel(START, tick=False):
        codes = [form_attempt(client, "staff", f"guess-{n}", n, path="/admin/login/").status_code
                 for n in range(LIMIT)]
        assert codes == [200] * (LIMIT - 1) + [429]
        right = form_attempt(client, "staff", RIGHT, path="/admin/login/")
        assert right.status_code == 429
        assert "Signing in is paused" in right.content.decode()
        assert client.get("/admin/").status_code == 302  # still not signed in


# Whose address counts ----------------------------------------------------------------


@pytest.mark.parametrize(("proxies", "header", "expected"), [
    (0, "203.0.113.9", "10.0.0.5"),  # no proxy of ours: the header is the client's own
    (0, None, "10.0.0.5"),
    (1, "203.0.113.9, 198.51.100.7", "198.51.100.7"),  # our proxy appended the real one
    (1, "198.51.100.7", "198.51.100.7"),
    (2, "203.0.113.9, 198.51.100.7, 10.0.0.4", "198.51.100.7"),
    (1, "203.0.113.9, not-an-address", "10.0.0.5"),
])
def test_the_address_is_remote_addr_unless_trusted_proxies_are_configured(
    proxies, header, expected
):
    extra = {"HTTP_X_FORWARDED_FOR": header} if header else {}
    request = RequestFactory().post("/login/", REMOTE_ADDR="10.0.0.5", **extra)
    with override_settings(NUM_PROXIES=proxies):
        assert client_ip(request) == expected


@override_settings(NUM_PROXIES=1)
def test_behind_one_proxy_a_client_cannot_pick_its_address(world):
    # given a proxy that appends the address it was reached from to what the client sent
    client = APIClient(REMOTE_ADDR="10.0.0.5")  # the proxy
    codes = [
        client.post("/api/v1/auth/token/", {"username": f"nobody{n}", "password": "x"},
                    format="json",
                    HTTP_X_FORWARDED_FOR=f"{forwarded(n)}, 198.51.100.7").status_code
        for n in range(LIMIT + 1)
    ]
    # then the guesses at many accounts from one real address lock that address
    assert codes[-1] == 429
    assert AccessAttempt.objects.filter(ip_address="198.51.100.7").count() == LIMIT
    # and someone else behind the same proxy is not affected
    other = client.post("/api/v1/auth/token/", {"username": "lead_a", "password": RIGHT},
                        format="json", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other.status_code == 200


@override_settings(AXES_LOCKOUT_PARAMETERS=[["username", "ip_address"]])
def test_locking_only_the_account_from_that_address_can_be_chosen(world):
    client = APIClient()
    for n in range(LIMIT):
        token_attempt(client, "manager", f"guess-{n}", n)
    assert token_attempt(client, "manager", RIGHT).status_code == 429
    assert token_attempt(client, "lead_a", RIGHT).status_code == 200
    assert token_attempt(APIClient(REMOTE_ADDR="198.51.100.20"), "manager",
                         RIGHT).status_code == 200


# Several server processes ------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _test_database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return (f"postgres://{s['USER'] or ''}{password}@{s['HOST'] or '127.0.0.1'}:"
            f"{s['PORT'] or 5432}/{s['NAME']}")


def _post_json(url: str, body: dict, headers: dict) -> tuple[int, dict, dict]:
    """POST over a new connection; (status, JSON body, headers)."""
    request = urllib.request.Request(  # noqa: S310 - http to our own test server
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Connection": "close", **headers})
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read()), dict(answer.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read()), dict(refused.headers)


def _wait_for_server(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise AssertionError("gunicorn did not start") from None
            time.sleep(0.2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_lock_holds_across_gunicorn_workers():
    # given the service in production mode under gunicorn with three workers, on the test
    # database, and a user whose password the server's own hasher can check
    user = f.UserFactory(username="manager")
    user.password = PBKDF2PasswordHasher().encode(RIGHT, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({
        "DATABASE_URL": _test_database_url(),
        "DEBUG": "false",
        "SECRET_KEY": "a-test-secret-that-is-long-and-random-enough-0123456789abcdef",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "ERROR",
    })
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", "3",
         "--bind", f"127.0.0.1:{port}", "--timeout", "60",
         "--access-logfile", "-", "--access-logformat", "worker=%(p)s status=%(s)s"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}/api/v1/auth/token/"
    try:
        _wait_for_server(port, server)
        time.sleep(1)  # let all three workers boot, so that each takes connections

        # when 30 wrong passwords arrive, each over a new connection and with another
        # X-Forwarded-For
        codes = [
            _post_json(url, {"username": "manager", "password": f"guess-{n}"},
                       {"X-Forwarded-For": forwarded(n)})[0]
            for n in range(30)
        ]
        # then the limit holds exactly, whichever worker answered each one
        assert codes == [400] * (LIMIT - 1) + [429] * (30 - LIMIT + 1)
        # and the right password is refused by every worker until the cool-off ends (sent
        # four at a time, so that several workers are busy answering at once)
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(
                lambda _: _post_json(url, {"username": "manager", "password": RIGHT}, {}),
                range(12)))
        for status, body, headers in answers:
            assert status == 429, body
            assert "try again after" in body["detail"]
            assert int(headers["Retry-After"]) > 0
        assert AccessAttempt.objects.get(username="manager").failures_since_start == LIMIT
    finally:
        server.terminate()
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    workers = set(re.findall(r"worker=<?(\d+)>? status=", output))
    assert len(workers) >= 2, f"the answers all came from one worker: {output[-2000:]}"
