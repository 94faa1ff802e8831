"""Sending: signed POSTs to a receiver on 127.0.0.1, retries, the log, turning off."""

import datetime
import socket
import time

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from notifications import events
from notifications.models import Notification
from notifications.services import send_pending_emails
from webhooks import delivery, services
from webhooks.consumer import consume
from webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from webhooks.tasks import send_due_deliveries

from .. import factories as f
from .conftest import make_webhook

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)


def publish_gap(world, **data):
    return events.publish("gap.opened", programme=world.programme, subject_type="gap",
                          subject_id=7, actor=world.manager,
                          data={"id": 7, "partner_name": "Alpha Council", **data})


def test_a_published_event_reaches_the_receiver_signed(world, receiver, development):
    # given a webhook of partner A's lead, subscribed to gap.opened
    hook = make_webhook(world, receiver.url)
    # when a gap.opened event is published, delivered to consumers and the send task runs
    item = publish_gap(world, severity="high")
    events.deliver()
    assert send_due_deliveries() == 1
    # then the receiver got it once, signed with the webhook's secret
    [got] = receiver.received
    assert got.signed_with(hook.secret)
    assert not got.signed_with("another secret of forty characters......")
    sent = WebhookDelivery.objects.get()
    assert got.headers["X-Tracker-Event"] == "gap.opened"
    assert got.headers["X-Tracker-Delivery"] == str(sent.pk)
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"].startswith("WorkforceTracker-Webhooks/")
    assert got.json == {
        "id": sent.pk, "event": "gap.opened", "created_at": item.created_at.isoformat(),
        "programme": {"id": world.programme.pk, "name": world.programme.name},
        "data": {"id": 7, "partner_name": "Alpha Council", "severity": "high"},
    }
    # and the delivery is logged as sent
    assert (sent.status, sent.attempts, sent.last_status_code) == ("sent", 1, 200)
    assert list(sent.log.values_list("number", "ok", "status_code")) == [(1, True, 200)]


def test_only_subscribed_active_webhooks_of_the_programme_get_the_event(world, receiver,
                                                                         development):
    make_webhook(world, receiver.url, events=["action.done"])
    make_webhook(world, receiver.url, active=False)
    other = make_webhook(world, receiver.url)
    other.programme = f.ProgrammeFactory(framework=world.framework)
    other.save()
    publish_gap(world)
    events.publish("gap.reopened", programme=world.programme, subject_type="gap",
                   subject_id=7)  # not a webhook event
    events.deliver()
    assert WebhookDelivery.objects.count() == 0


def test_a_new_webhook_gets_only_what_happens_after_it_is_added(world, receiver, development):
    with time_machine.travel(START, tick=False) as traveller:
        publish_gap(world)
        traveller.shift(datetime.timedelta(minutes=1))
        make_webhook(world, receiver.url)
        events.deliver()
        assert WebhookDelivery.objects.count() == 0
        later = publish_gap(world)
        events.deliver()
        assert list(WebhookDelivery.objects.values_list("event_id", flat=True)) == [later.pk]


def test_consuming_the_same_events_twice_writes_each_delivery_once(world, receiver,
                                                                   development):
    make_webhook(world, receiver.url)
    item = publish_gap(world)
    assert consume([item]) == 1
    consume([item])
    assert WebhookDelivery.objects.count() == 1


def test_running_the_send_task_twice_sends_once(world, receiver, development):
    make_webhook(world, receiver.url)
    publish_gap(world)
    events.deliver()
    assert send_due_deliveries() == 1
    assert send_due_deliveries() == 0
    assert len(receiver.received) == 1
    assert WebhookAttempt.objects.count() == 1


def test_a_500_is_retried_with_growing_delays_and_each_try_logged(world, receiver,
                                                                  development):
    # given a receiver that answers 500
    receiver.status = 500
    with time_machine.travel(START, tick=False) as traveller:
        hook = make_webhook(world, receiver.url)
        publish_gap(world)
        events.deliver()
        sent = WebhookDelivery.objects.get()
        delays = []
        # when the send task runs each time the delivery falls due
        for _ in range(delivery.MAX_ATTEMPTS):
            assert delivery.send_due() == 1
            sent.refresh_from_db()
            if sent.next_attempt_at is None:
                break
            delays.append((sent.next_attempt_at - timezone.now()).total_seconds())
            assert delivery.send_due() == 0  # not due before its time
            traveller.move_to(sent.next_attempt_at)
    # then it was tried 8 times, 60 s apart at first, doubling up to an hour, then failed
    assert delays == [60, 120, 240, 480, 960, 1920, 3600]
    assert (sent.status, sent.attempts, sent.last_status_code) == ("failed", 8, 500)
    assert sent.last_error == "The receiver answered 500."
    assert list(sent.log.values_list("number", "status_code", "ok")) == [
        (n, 500, False) for n in range(1, 9)]
    assert len(receiver.received) == 8
    assert len({r.headers["X-Tracker-Signature"] for r in receiver.received}) == 1
    hook.refresh_from_db()
    assert hook.failures_in_a_row == 8 and hook.active


def test_twenty_failures_in_a_row_turn_the_webhook_off_and_tell_its_owner_once(
        world, receiver, development):
    # given a webhook whose receiver answers 500, with 22 deliveries due
    receiver.status = 500
    hook = make_webhook(world, receiver.url)
    for n in range(22):
        events.publish("gap.opened", programme=world.programme, subject_type="gap",
                       subject_id=n + 1)
    events.deliver()
    # when the send task runs (twice)
    assert send_due_deliveries() == delivery.DISABLE_AFTER
    assert send_due_deliveries() == 0
    events.deliver()
    events.deliver()
    send_pending_emails()
    # then after 20 failed tries it is off, what waited is cancelled, nothing more is sent
    hook.refresh_from_db()
    assert not hook.active and hook.disabled_at is not None
    assert hook.failures_in_a_row == 20
    assert len(receiver.received) == 20
    assert WebhookDelivery.objects.filter(status="cancelled").count() == 22
    assert WebhookDelivery.objects.filter(attempts=1).count() == 20
    # and its owner is told once, in the app and by an e-mail naming the programme
    told = Notification.objects.filter(kind="webhook_disabled")
    assert list(told.values_list("recipient_id", flat=True)) == [world.lead_a.pk]
    [sent] = [m for m in mail.outbox if world.lead_a.email in m.to]
    assert world.programme.name in sent.subject
    assert receiver.url in sent.body
    # when its owner turns it on again, its count starts afresh
    services.webhook_update(actor=world.lead_a, webhook=hook, active=True)
    hook.refresh_from_db()
    assert hook.active and hook.failures_in_a_row == 0 and hook.disabled_at is None


def test_a_success_resets_the_count_of_failures(world, receiver, development):
    hook = make_webhook(world, receiver.url, failures_in_a_row=19)
    publish_gap(world)
    events.deliver()
    delivery.send_due()
    hook.refresh_from_db()
    assert hook.failures_in_a_row == 0 and hook.active


def test_a_redirect_is_not_followed(world, receiver, development):
    receiver.status, receiver.location = 302, "http://127.0.0.1:1/elsewhere"
    make_webhook(world, receiver.url)
    publish_gap(world)
    events.deliver()
    delivery.send_due()
    sent = WebhookDelivery.objects.get()
    assert len(receiver.received) == 1
    assert sent.status == "waiting" and sent.attempts == 1 and sent.last_status_code == 302
    assert sent.last_error == "Redirect not followed (to http://127.0.0.1:1/elsewhere)."


@override_settings(WEBHOOK_READ_TIMEOUT=0.3)
def test_the_read_timeout_is_honoured(world, receiver, development):
    receiver.pause = 2
    make_webhook(world, receiver.url)
    publish_gap(world)
    events.deliver()
    started = time.monotonic()
    delivery.send_due()
    assert time.monotonic() - started < 1.5
    sent = WebhookDelivery.objects.get()
    assert sent.status == "waiting" and sent.attempts == 1
    assert sent.last_error.startswith("No answer in time")


def test_a_receiver_that_is_not_listening_is_a_logged_failure(world, development):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_webhook(world, f"http://127.0.0.1:{port}/")
    publish_gap(world)
    events.deliver()
    delivery.send_due()
    sent = WebhookDelivery.objects.get()
    assert sent.last_error == "The receiver refused the connection."
    assert sent.log.count() == 1


def test_the_send_connects_to_the_address_checked_and_names_the_host(world, receiver,
                                                                     development,
                                                                     monkeypatch):
    # given a host name that resolves to the receiver's address when it is checked
    port = receiver.server.server_port
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "hooks.example.org":
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    make_webhook(world, f"http://hooks.example.org:{port}/in")
    publish_gap(world)
    events.deliver()
    delivery.send_due()
    # then the request went to that address, with the host name in the Host header
    [got] = receiver.received
    assert got.headers["Host"] == f"hooks.example.org:{port}"
    assert got.path == "/in"


def test_a_webhook_to_a_private_address_is_not_sent_in_production(world, receiver,
                                                                  development):
    hook = make_webhook(world, receiver.url)
    publish_gap(world)
    events.deliver()
    with override_settings(WEBHOOKS_ALLOW_HTTP=True, WEBHOOKS_ALLOW_PRIVATE=False):
        delivery.send_due()
    sent = WebhookDelivery.objects.get()
    assert receiver.received == []
    assert sent.last_error.startswith("Not sent: The address must be on the internet")
    assert Webhook.objects.get(pk=hook.pk).failures_in_a_row == 1
