"""Hardening: the write throttle, the failed sign-in log,
password rules, and the security headers of production mode."""

import json
import logging

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from core.security import WriteRateThrottle
from programmes.models import Partner

from .test_settings import PRODUCTION, run_manage

pytestmark = pytest.mark.django_db


def test_writes_are_throttled_per_user_and_reads_are_not(world, monkeypatch):
    monkeypatch.setattr(WriteRateThrottle, "THROTTLE_RATES", {"write": "3/min"})
    manager = APIClient()
    manager.force_authenticate(world.manager)
    codes = [
        manager.post("/api/v1/partners/", {"name": f"Partner {n}", "sector": "housing"},
                     format="json").status_code
        for n in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    assert not Partner.objects.filter(name="Partner 3").exists()
    assert manager.get("/api/v1/partners/").status_code == 200
    # another user's writes are counted apart: theirs is written, not throttled
    other = APIClient()
    other.force_authenticate(world.staff)
    assert other.post("/api/v1/partners/", {"name": "Staff's partner", "sector": "housing"},
                      format="json").status_code == 201
    assert Partner.objects.filter(name="Staff's partner").exists()


def test_failed_sign_ins_and_bad_tokens_are_logged_without_the_password(world, caplog):
    caplog.set_level(logging.WARNING, logger="tracker.security")
    APIClient().post("/api/v1/auth/token/", {"username": "manager", "password": "wrong-secret"},
                     format="json")
    response = APIClient().get("/api/v1/programmes/", HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 401
    messages = [r.getMessage() for r in caplog.records if r.name == "tracker.security"]
    assert any("failed sign-in" in m and "'manager'" in m for m in messages)
    assert any("refused credentials" in m and "/api/v1/programmes/" in m for m in messages)
    assert not any("wrong-secret" in m for m in messages)


def test_the_web_sign_in_form_logs_a_failed_attempt(world, client, caplog):
    caplog.set_level(logging.WARNING, logger="tracker.security")
    response = client.post("/login/", {"username": "lead_a", "password": "nope"})
    assert response.status_code == 200  # the form again, with its error
    assert any("failed sign-in" in r.getMessage() and "'lead_a'" in r.getMessage()
               for r in caplog.records)


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901234", "lead_a_2026"])
def test_weak_passwords_are_refused(world, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=world.lead_a)


PROBE = """
from django.test import Client
c = Client(HTTP_HOST="tracker.example.nhs.uk")
plain = c.get("/api/v1/programmes/")
secure = c.get("/api/v1/programmes/", secure=True)
import json
print(json.dumps({"plain": [plain.status_code, plain.headers.get("Location", "")],
                  "secure": [secure.status_code, dict(secure.headers)]}))
"""


def test_production_mode_redirects_to_https_and_sends_the_security_headers():
    result = run_manage("shell", "-c", PROBE, env={**PRODUCTION, "LOG_LEVEL": "ERROR"})
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    status, location = answer["plain"]
    assert status == 301 and location.startswith("https://")
    status, headers = answer["secure"]
    assert status == 401
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
