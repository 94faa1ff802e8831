"""Settings from the environment: the default development mode and production mode."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-that-is-long-and-random-enough-0123456789abcdef",
    "ALLOWED_HOSTS": "tracker.example.nhs.uk",
    "DATABASE_URL": "sqlite:////tmp/tracker-deploy-check.sqlite3",
}


def run_manage(*args, env):
    clean = {k: v for k, v in os.environ.items()
             if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
                          "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120,
    )


def test_production_mode_passes_the_deploy_check_with_no_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_default_time_zone_is_london():
    assert settings.TIME_ZONE == "Europe/London"


def test_production_keeps_database_connections_open_and_checks_them():
    # given production settings with no CONN_MAX_AGE of their own
    code = ("from django.conf import settings; d = settings.DATABASES['default']; "
            "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])")

    # when the settings are read
    result = run_manage("shell", "--no-imports", "-c", code, env=PRODUCTION)

    # then connections live for a minute and are checked before reuse
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["60", "True"]
