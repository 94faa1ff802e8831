"""The API's own documentation: served by the service from its static files (it works
with no internet), to signed-in users only; the browsable API only in development; and
an API fault answered as JSON while a page's fault keeps its HTML page."""

import json
import logging
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from programmes.api.views import ProgrammeViewSet

from .test_settings import PRODUCTION, run_manage

pytestmark = pytest.mark.django_db

# What a page loads (scripts, styles, icons, images), not the links a person follows.
ASSET = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]*)"')


def _local_asset(url: str) -> bool:
    """A URL on this service whose file is among its static files."""
    if not url.startswith(settings.STATIC_URL if settings.STATIC_URL.startswith("/")
                          else "/" + settings.STATIC_URL):
        return False
    name = url.split("?")[0].split(settings.STATIC_URL, 1)[1]
    return finders.find(name) is not None


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_only_the_services_own_files(client, world, path):
    # given a signed-in user
    client.force_login(world.lead_a)
    # when they open the docs
    page = client.get(path)
    # then the page is there, and every script, style and icon it loads is a static file
    # of this service: no CDN, no font service, nothing that needs the internet
    assert page.status_code == 200
    html = page.content.decode()
    assets = [url for url in ASSET.findall(html) if "?script" not in url]
    assert assets, html
    assert all(_local_asset(url) for url in assets), assets
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline script"


def test_swagger_ui_starts_from_a_script_of_its_own_pointing_at_the_local_schema(client, world):
    client.force_login(world.manager)
    html = client.get("/api/docs/").content.decode()
    (script_url,) = [url for url in ASSET.findall(html) if "script" in url.split("?")[-1]]
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert 'url: "/api/schema/"' in script.content.decode()
    assert "https://" not in script.content.decode()


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_send_people_who_are_not_signed_in_to_the_sign_in_page(client, db, path):
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer["Location"] == f"/login/?next={path}"


def test_the_schema_is_for_signed_in_users_and_refuses_others_in_json(client, world):
    # given nobody signed in, or a bad token
    anonymous = client.get("/api/schema/")
    bad_token = client.get("/api/schema/", HTTP_AUTHORIZATION="Token not-a-token")
    # then both are refused with a JSON answer
    for answer in (anonymous, bad_token):
        assert answer.status_code == 401
        assert answer["Content-Type"] == "application/json"
        assert answer.json()["detail"]
    # and a signed-in user of any role reads it
    client.force_login(world.reviewer)
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/assessments/{id}/submit/" in json.loads(schema.content)["paths"]


BROWSER_VISIT = """
from django.test import Client
client = Client(HTTP_HOST="tracker.example.nhs.uk", HTTP_X_FORWARDED_PROTO="https")
answer = client.get("/api/v1/programmes/", HTTP_ACCEPT="text/html,*/*;q=0.8")
print(answer.status_code, answer["Content-Type"])
"""


def test_production_settings_answer_a_browser_in_json_with_no_browsable_api():
    # given the service in production mode, and in development mode
    production = run_manage("shell", "-c", BROWSER_VISIT, env=PRODUCTION)
    development = run_manage("shell", "-c", BROWSER_VISIT,
                             env={"DEBUG": "true", "ALLOWED_HOSTS": "tracker.example.nhs.uk"})
    # when a browser opens an API address (not signed in: refused either way)
    # then production answers JSON; only development draws the browsable API's page
    assert production.returncode == 0, production.stderr
    assert production.stdout.splitlines()[-1].split() == ["401", "application/json"]
    assert development.returncode == 0, development.stderr
    assert development.stdout.splitlines()[-1].split()[:2] == ["401", "text/html;"]


def _break_programme_list(monkeypatch):
    def broken(self, request, *args, **kwargs):
        raise RuntimeError("the programme list broke")

    monkeypatch.setattr(ProgrammeViewSet, "list", broken)


def test_a_fault_under_the_api_answers_json_in_plain_english_and_is_logged(
        world, monkeypatch, caplog):
    # given an API view that fails with an error nobody expected
    _break_programme_list(monkeypatch)
    client = Client(raise_request_exception=False)
    client.force_login(world.manager)
    caplog.set_level(logging.ERROR, logger="django.request")
    # when a client calls it
    answer = client.get("/api/v1/programmes/", HTTP_ACCEPT="application/json")
    # then it gets a 500 in JSON, with a sentence and no traceback
    assert answer.status_code == 500
    assert answer["Content-Type"] == "application/json"
    body = answer.json()
    assert body["code"] == "server_error"
    assert body["detail"].startswith("Something went wrong on our side.")
    assert "RuntimeError" not in answer.content.decode()
    # and the exception, with its traceback, is in the log
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR and "/api/v1/programmes/" in record.getMessage()
    assert record.exc_info and isinstance(record.exc_info[1], RuntimeError)


def test_a_fault_on_a_page_keeps_the_html_error_page(world, monkeypatch):
    import web.views.programmes as pages

    def broken(*args, **kwargs):
        raise RuntimeError("the home page broke")

    monkeypatch.setattr(pages, "render", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.manager)
    answer = client.get("/")
    assert answer.status_code == 500
    assert answer["Content-Type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in answer.content.decode()


@pytest.mark.parametrize(("path", "title"), [
    ("/api/docs/", "API documentation – Workforce integration tracker"),
    ("/api/redoc/", "API reference – Workforce integration tracker"),
])
def test_docs_pages_have_a_plain_title_and_a_way_back_to_the_service(client, world, path,
                                                                     title):
    client.force_login(world.reviewer)
    html = client.get(path).content.decode()
    assert f"<title>{title}</title>" in html
    assert '<html lang="en-GB">' in html
    assert '<a class="docs-service__back" href="/">Back to the service</a>' in html
    assert html.count("<main") == 1
