"""In production a webhook may point only at https on a public address: through the
API and the page alike."""

import pytest
from django.urls import reverse

from webhooks import addresses
from webhooks.models import Webhook

from .conftest import make_webhook

pytestmark = pytest.mark.django_db

REFUSED = {
    "http://93.184.215.14/hook": "must start with https://",
    "https://203.0.113.10/hook": "a private network",
    "https://127.0.0.1/hook": "not on this service's own machine",
    "https://127.1.2.3:8443/hook": "not on this service's own machine",
    "https://10.1.2.3/hook": "a private network",
    "https://172.16.0.1/hook": "a private network",
    "https://192.168.1.20/hook": "a private network",
    "https://169.254.169.254/latest/meta-data": "a private network",
    "https://localhost/hook": "not on this service's own machine",
    "https://[::1]/hook": "a private network",
    "https://[fd00::1]/hook": "a private network",
    "https://[fe80::1]/hook": "a private network",
    "https://[::ffff:10.0.0.1]/hook": "a private network",
    "https://0.0.0.0/hook": "a private network",
    "https://224.0.0.1/hook": "a private network",
}


@pytest.mark.parametrize("url", sorted(REFUSED))
def test_the_api_refuses_private_and_plain_addresses_in_production(api, world, production,
                                                                   url):
    answer = api.as_user(world.lead_a).post("/api/v1/webhooks/", {
        "programme": world.programme.pk, "url": url, "events": ["gap.opened"]},
        format="json")
    assert answer.status_code == 400, answer.json()
    message = answer.json()["url"][0] if "url" in answer.json() else answer.json()["detail"]
    assert REFUSED[url] in message
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook", "https://10.1.2.3/hook",
                                 "https://localhost/hook"])
def test_the_page_refuses_them_too(client, world, production, url):
    client.force_login(world.lead_a)
    page = client.post(reverse("web:webhooks", args=[world.programme.pk]),
                       {"url": url, "events": ["gap.opened"], "active": "on"})
    assert page.status_code == 400
    assert "There is a problem" in page.text
    assert not Webhook.objects.exists()


def test_a_change_to_a_private_address_is_refused(api, world, production):
    hook = make_webhook(world, "https://203.0.113.10/")
    answer = api.as_user(world.lead_a).patch(f"/api/v1/webhooks/{hook.pk}/",
                                             {"url": "https://10.0.0.5/"}, format="json")
    assert answer.status_code == 400
    hook.refresh_from_db()
    assert hook.url == "https://203.0.113.10/"


def test_a_public_https_address_is_allowed(api, world, production):
    answer = api.as_user(world.lead_a).post("/api/v1/webhooks/", {
        "programme": world.programme.pk, "url": "https://93.184.215.14/hook",
        "events": ["gap.opened"]}, format="json")
    assert answer.status_code == 201


def test_a_name_that_resolves_to_a_private_address_is_refused(production, monkeypatch):
    monkeypatch.setattr(addresses, "_resolve", lambda host, port: ["93.184.215.14",
                                                                   "10.0.0.8"])
    with pytest.raises(addresses.AddressRefused):
        addresses.check("https://rebinding.example.org/")


def test_development_allows_this_machine(development):
    target = addresses.check("http://127.0.0.1:9000/in?x=1")
    assert (target.scheme, target.host, target.port, target.path, target.ip) == (
        "http", "127.0.0.1", 9000, "/in?x=1", "127.0.0.1")
