"""``/api/v1/webhooks/``: who may add, see and change webhooks, the secret shown once,
the delivery log and the test event."""

import pytest

from webhooks import delivery
from webhooks.models import Webhook, WebhookDelivery

from .. import factories as f
from .conftest import make_webhook

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhooks/"


def body(world, **fields):
    return {"programme": world.programme.pk, "url": "https://203.0.113.10/tracker",
            "events": ["gap.opened", "action.done"], **fields}


@pytest.mark.parametrize("who", ["manager", "lead_a", "provider_user", "reviewer"])
def test_any_member_adds_a_webhook_and_owns_it_and_sees_its_secret_once(api, world, who):
    user = getattr(world, who)
    client = api.as_user(user)
    answer = client.post(URL, body(world), format="json")
    assert answer.status_code == 201, answer.json()
    created = answer.json()
    hook = Webhook.objects.get()
    assert created["secret"] == hook.secret and len(hook.secret) == 64
    assert (hook.owner, hook.events, hook.active) == (user, ["gap.opened", "action.done"],
                                                      True)
    assert created["owner"] == user.pk
    # the secret is never shown again
    assert "secret" not in client.get(f"{URL}{hook.pk}/").json()
    assert "secret" not in client.get(URL).json()["results"][0]


def test_a_secret_may_be_given(api, world):
    answer = api.as_user(world.lead_a).post(URL, body(world, secret="k" * 32), format="json")
    assert answer.status_code == 201
    assert Webhook.objects.get().secret == "k" * 32


def test_an_outsider_cannot_add_one(api, world):
    answer = api.as_user(world.outsider).post(URL, body(world), format="json")
    assert answer.status_code == 400
    assert "programme" in answer.json()
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("events, message", [
    ([], "events"),
    (["gap.reopened"], "events"),
    ("gap.opened", "events"),
])
def test_unknown_events_are_refused(api, world, events, message):
    answer = api.as_user(world.lead_a).post(URL, body(world, events=events), format="json")
    assert answer.status_code == 400
    assert message in answer.json()
    assert not Webhook.objects.exists()


def test_nobody_sees_another_programmes_webhooks(api, world):
    hook = make_webhook(world, "https://203.0.113.10/")
    other = f.UserFactory()
    elsewhere = f.ProgrammeFactory(framework=world.framework)
    f.MembershipFactory(programme=elsewhere, user=other, role="manager")
    client = api.as_user(other)
    assert client.get(URL).json()["results"] == []
    for path in ("", "deliveries/"):
        assert client.get(f"{URL}{hook.pk}/{path}").status_code == 404
    assert client.patch(f"{URL}{hook.pk}/", {"active": False}, format="json").status_code == 404
    assert client.post(f"{URL}{hook.pk}/test/").status_code == 404
    assert client.delete(f"{URL}{hook.pk}/").status_code == 404
    assert Webhook.objects.filter(pk=hook.pk, active=True).exists()


@pytest.mark.parametrize("who, status", [
    ("lead_a", 200), ("manager", 200), ("staff", 200),
    ("lead_b", 403), ("reviewer", 403), ("provider_user", 403),
])
def test_managers_change_any_webhook_others_only_their_own(api, world, who, status):
    hook = make_webhook(world, "https://203.0.113.10/", owner=world.lead_a)
    client = api.as_user(getattr(world, who))
    answer = client.patch(f"{URL}{hook.pk}/", {"events": ["need.met"]}, format="json")
    assert answer.status_code == status
    hook.refresh_from_db()
    assert hook.events == (["need.met"] if status == 200 else ["gap.opened"])
    assert client.post(f"{URL}{hook.pk}/test/").status_code == (202 if status == 200 else 403)


@pytest.mark.parametrize("who, status", [("lead_a", 204), ("manager", 204), ("lead_b", 403)])
def test_delete(api, world, who, status):
    hook = make_webhook(world, "https://203.0.113.10/", owner=world.lead_a)
    answer = api.as_user(getattr(world, who)).delete(f"{URL}{hook.pk}/")
    assert answer.status_code == status
    assert Webhook.objects.filter(pk=hook.pk).exists() == (status != 204)


def test_the_programme_of_a_webhook_does_not_change(api, world):
    hook = make_webhook(world, "https://203.0.113.10/")
    elsewhere = f.ProgrammeFactory(framework=world.framework)
    f.MembershipFactory(programme=elsewhere, user=world.lead_a, role="manager")
    answer = api.as_user(world.lead_a).patch(f"{URL}{hook.pk}/", {"programme": elsewhere.pk},
                                             format="json")
    assert answer.status_code == 200
    hook.refresh_from_db()
    assert hook.programme == world.programme


def test_the_test_event_is_queued_and_logged(api, world, receiver, development,
                                             django_assert_max_num_queries):
    hook = make_webhook(world, receiver.url)
    client = api.as_user(world.lead_a)
    answer = client.post(f"{URL}{hook.pk}/test/")
    assert answer.status_code == 202
    queued = WebhookDelivery.objects.get()
    assert (queued.kind, queued.status, answer.json()["id"]) == ("webhook.test", "waiting",
                                                                  queued.pk)
    delivery.send_due()
    [got] = receiver.received
    assert got.headers["X-Tracker-Event"] == "webhook.test" and got.signed_with(hook.secret)
    for _ in range(5):
        client.post(f"{URL}{hook.pk}/test/")
    delivery.send_due()
    # the log lists every delivery and every try, in a fixed number of queries
    with django_assert_max_num_queries(8):
        log = client.get(f"{URL}{hook.pk}/deliveries/")
    assert log.status_code == 200
    rows = log.json()["results"]
    assert log.json()["count"] == 6 and len(rows) == 6
    oldest = rows[-1]
    assert oldest["status"] == "sent" and oldest["payload"]["id"] == queued.pk
    assert oldest["attempts_log"][0]["status_code"] == 200


def test_a_webhook_turned_off_sends_no_test_event(api, world):
    hook = make_webhook(world, "https://203.0.113.10/", active=False)
    answer = api.as_user(world.lead_a).post(f"{URL}{hook.pk}/test/")
    assert answer.status_code == 409
    assert "Turn it on" in answer.json()["detail"]
    assert not WebhookDelivery.objects.exists()
