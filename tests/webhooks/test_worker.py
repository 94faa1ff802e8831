"""A real Celery worker, Redis and PostgreSQL: a published event reaches the receiver.

The test publishes an event in a committed transaction; the outbox hands
``deliver_events`` to Redis, the worker process gives the event to the webhooks consumer,
which asks for the send task, and the worker POSTs it to the receiver in this process.
"""

import pytest
from django.conf import settings
from django.db import transaction

from config.celery import app
from notifications import events
from webhooks.models import WebhookDelivery

from ..notifications.processes import celery_processes, wait_until
from .conftest import make_webhook

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis and a real Celery worker "
                       "(REDIS_URL is not set; runs in the PostgreSQL + Redis pass)"),
    pytest.mark.django_db(transaction=True),
]


def test_a_worker_delivers_a_published_event_to_the_receiver(world, receiver, tmp_path):
    # given a webhook for gap.opened and a worker started with development's address rules
    hook = make_webhook(world, receiver.url)
    app.control.purge()
    with celery_processes(tmp_path, redis_url=settings.REDIS_URL, mail_dir=tmp_path / "mail",
                          WEBHOOKS_ALLOW_HTTP="1", WEBHOOKS_ALLOW_PRIVATE="1") as start:
        worker = start("webhooks")
        worker.wait_ready()
        # when an event is published and its transaction commits
        with transaction.atomic():
            events.publish("gap.opened", programme=world.programme, subject_type="gap",
                           subject_id=3, data={"id": 3})
        # then the worker sends it to the receiver, signed, once
        wait_until(lambda: receiver.received, timeout=25, what="the receiver to be sent it")
        wait_until(lambda: WebhookDelivery.objects.filter(status="sent").exists(), timeout=10,
                   what="the delivery to be marked sent")
    [got] = receiver.received
    assert got.headers["X-Tracker-Event"] == "gap.opened"
    assert got.signed_with(hook.secret)
    assert got.json["data"] == {"id": 3}
