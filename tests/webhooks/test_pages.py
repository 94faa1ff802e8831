"""The webhook pages: each role sees what it may do, and only that; the same services."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from webhooks.models import Webhook, WebhookDelivery

from .conftest import make_webhook

pytestmark = pytest.mark.django_db


def page(client, user, name, *args, **kwargs):
    client.force_login(user)
    return client.get(reverse(f"web:{name}", args=args), **kwargs)


@pytest.mark.parametrize("who", ["manager", "lead_a", "lead_b", "provider_user", "reviewer",
                                 "staff"])
def test_every_member_sees_the_webhooks_and_the_add_form(client, world, who):
    make_webhook(world, "https://203.0.113.10/mine", owner=world.lead_a)
    answer = page(client, getattr(world, who), "webhooks", world.programme.pk)
    assert answer.status_code == 200
    assert "https://203.0.113.10/mine" in answer.text
    assert "Add the webhook" in answer.text
    may_change = who in ("manager", "lead_a", "staff")
    assert ("Change<span" in answer.text) == may_change
    assert ("Delete<span" in answer.text) == may_change


def test_the_programme_page_links_to_the_webhooks(client, world):
    answer = page(client, world.reviewer, "dashboard", world.programme.pk)
    assert reverse("web:webhooks", args=[world.programme.pk]) in answer.text


def test_an_outsider_gets_404(client, world):
    hook = make_webhook(world, "https://203.0.113.10/")
    assert page(client, world.outsider, "webhooks", world.programme.pk).status_code == 404
    for name in ("webhook-edit", "webhook-delete", "webhook-deliveries"):
        assert page(client, world.outsider, name, hook.pk).status_code == 404


def test_adding_one_shows_its_secret_once(client, world):
    client.force_login(world.lead_b)
    url = reverse("web:webhooks", args=[world.programme.pk])
    answer = client.post(url, {"url": "https://203.0.113.10/in",
                               "events": ["gap.opened", "need.met"], "active": "on"})
    assert answer.status_code == 302
    hook = Webhook.objects.get()
    assert (hook.owner, hook.events, hook.active) == (world.lead_b,
                                                      ["gap.opened", "need.met"], True)
    shown = client.get(url)
    assert hook.secret in shown.text and "Copy its secret now" in shown.text
    assert hook.secret not in client.get(url).text


def test_a_form_with_no_events_says_what_to_do(client, world):
    client.force_login(world.lead_a)
    answer = client.post(reverse("web:webhooks", args=[world.programme.pk]),
                         {"url": "https://203.0.113.10/in"})
    assert answer.status_code == 400
    assert "There is a problem" in answer.text
    assert "Choose at least one event to send." in answer.text
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("who, status", [("lead_a", 302), ("manager", 302), ("lead_b", 403),
                                         ("reviewer", 403)])
def test_change_and_turn_off(client, world, who, status):
    hook = make_webhook(world, "https://203.0.113.10/", owner=world.lead_a)
    client.force_login(getattr(world, who))
    url = reverse("web:webhook-edit", args=[hook.pk])
    assert client.get(url).status_code == (200 if status == 302 else 403)
    answer = client.post(url, {"url": "https://203.0.113.11/", "events": ["action.done"]})
    assert answer.status_code == status
    hook.refresh_from_db()
    if status == 302:
        assert (hook.url, hook.events, hook.active) == ("https://203.0.113.11/",
                                                        ["action.done"], False)
    else:
        assert hook.active and hook.url == "https://203.0.113.10/"


@pytest.mark.parametrize("who, status", [("lead_a", 302), ("lead_b", 403)])
def test_delete_asks_first(client, world, who, status):
    hook = make_webhook(world, "https://203.0.113.10/", owner=world.lead_a)
    client.force_login(getattr(world, who))
    url = reverse("web:webhook-delete", args=[hook.pk])
    confirm = client.get(url)
    assert confirm.status_code == (200 if status == 302 else 403)
    if status == 302:
        assert "Are you sure you want to delete the webhook" in confirm.text
    assert client.post(url).status_code == status
    assert Webhook.objects.filter(pk=hook.pk).exists() == (status == 403)


def test_the_deliveries_page_and_the_test_button(client, world):
    hook = make_webhook(world, "https://203.0.113.10/", owner=world.lead_a)
    answer = page(client, world.lead_a, "webhook-deliveries", hook.pk)
    assert answer.status_code == 200 and "Send a test event" in answer.text
    sent = client.post(reverse("web:webhook-test", args=[hook.pk]), follow=True)
    assert sent.status_code == 200
    assert "A test event is on its way" in sent.text
    assert WebhookDelivery.objects.get().kind == "webhook.test"
    assert "webhook.test" in sent.text and "Not tried yet" in sent.text
    # someone who may not change it sees the log but no button, and a POST is refused
    other = page(client, world.reviewer, "webhook-deliveries", hook.pk)
    assert other.status_code == 200 and "Send a test event" not in other.text
    assert client.post(reverse("web:webhook-test", args=[hook.pk])).status_code == 403
    assert WebhookDelivery.objects.count() == 1


def test_the_list_and_the_log_run_the_same_queries_for_one_row_as_for_many(client, world):
    def count(url):
        client.get(url)  # warm up what is read once per session
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.force_login(world.manager)
    hook = make_webhook(world, "https://203.0.113.10/0")
    WebhookDelivery.objects.create(webhook=hook, kind="gap.opened")
    listing = reverse("web:webhooks", args=[world.programme.pk])
    log = reverse("web:webhook-deliveries", args=[hook.pk])
    few = count(listing), count(log)
    for n in range(1, 12):
        make_webhook(world, f"https://203.0.113.10/{n}", owner=world.lead_b)
        WebhookDelivery.objects.create(webhook=hook, kind="gap.opened")
    assert (count(listing), count(log)) == few
