"""Reminders and e-mails with real Celery workers, Redis and PostgreSQL.

These tests start worker processes (``python -m celery -A config worker``) against the
test database and Redis, run them side by side and take the broker away:

1. two runs of the reminder job for the same day at the same time (two threads, and
   two worker processes) make each notification and each e-mail once;
2. with the broker down, the API still answers quickly; the outbox keeps the work,
   which runs once the broker is back.

A worker SIGKILLed half way through the reminder run, beat and a worker running the
schedule, and a Redis outage with the worker left running are in
``test_beat_integration.py``.

They run only in the PostgreSQL + Redis pass (``DATABASE_URL`` and ``REDIS_URL`` set):
a worker process needs a database it can share with the test, and Redis. Each test is
``django_db(transaction=True)``, so what it writes is committed and the workers see it.
"""

import datetime
import shutil
import threading
import time

import pytest
from django.conf import settings
from django.db import connections
from django.db.models import Count

from actions.models import Action
from actions.reminders import DUE_TOMORROW, due_action_reminders
from config.celery import app
from notifications.models import EmailDelivery, Event, Notification, OutboxMessage
from notifications.services import notify_many

from .. import factories as f
from .processes import (
    SENT,
    ThrowawayRedis,
    action_ids_mailed,
    all_work_done,
    celery_broker,
    sent_mails,
    wait_until,
)
from .processes import celery_processes as worker_processes

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="needs Redis and real Celery workers (REDIS_URL is not set; runs in the "
        "PostgreSQL + Redis pass)",
    ),
    pytest.mark.django_db(transaction=True),
]

DAY = datetime.date(2026, 11, 23)  # the reminder run's "today"
DUE = DAY + datetime.timedelta(days=1)  # due tomorrow: one action_due_tomorrow reminder each
REMINDER_TASK = "actions.tasks.send_action_reminders"


# Helpers ---------------------------------------------------------------------------


def make_due_actions(count: int, *, owners: int = 25) -> list[int]:
    """``count`` open actions, all due on ``DUE``, spread over a few owners."""
    programme = f.ProgrammeFactory()
    people = [f.UserFactory(username=f"owner{i}") for i in range(owners)]
    for person in people:  # an owner is a member of the action's programme
        f.MembershipFactory(programme=programme, user=person, role="reviewer")
    Action.objects.bulk_create(
        [
            Action(programme=programme, owner=people[i % owners], title=f"Due action {i}",
                   due_date=DUE)
            for i in range(count)
        ],
        batch_size=2000,
    )
    return sorted(Action.objects.values_list("pk", flat=True))


def purge_default_queue():
    """Drop tasks left in the test Redis database by an earlier, interrupted run."""
    app.control.purge()


def assert_each_action_notified_and_mailed_once(action_ids, mail_dir):
    notifications = Notification.objects.all()
    assert notifications.count() == len(action_ids)
    assert sorted(notifications.values_list("subject_id", flat=True)) == action_ids
    assert set(notifications.values_list("kind", "subject_type", "occurrence")) == {
        (DUE_TOMORROW, "action", DAY)
    }
    deliveries = EmailDelivery.objects.all()
    assert deliveries.count() == len(action_ids)
    assert not deliveries.filter(notification__isnull=True).exists()
    assert list(deliveries.order_by().values_list("status", "attempts").distinct()) == [(SENT, 1)]
    mailed = action_ids_mailed(sent_mails(mail_dir))
    assert sorted(mailed) == action_ids, "some actions were never e-mailed"
    twice = {pk: n for pk, n in mailed.items() if n > 1}
    assert not twice, f"{len(twice)} actions e-mailed twice or more: {list(twice.items())[:5]}"


# 1. Two runs at the same time ----------------------------------------------------------


def test_two_threads_running_the_reminder_job_at_once_create_each_notification_once():
    """Two runs on two database connections, released together by a barrier."""
    action_ids = make_due_actions(4500)  # three batches each
    barrier = threading.Barrier(2)
    created, errors, spans = [], [], []

    def run():
        try:
            barrier.wait(timeout=10)
            started = time.monotonic()
            created.append(notify_many(due_action_reminders(DAY)))
            spans.append((started, time.monotonic()))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors
    (start_a, end_a), (start_b, end_b) = spans
    assert max(start_a, start_b) < min(end_a, end_b), "the two runs did not overlap"

    assert sum(created) == len(action_ids), created  # each counted by exactly one run
    assert Notification.objects.count() == len(action_ids)
    assert sorted(Notification.objects.values_list("subject_id", flat=True)) == action_ids
    assert EmailDelivery.objects.count() == len(action_ids)
    assert not (
        EmailDelivery.objects.values("notification").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not EmailDelivery.objects.filter(notification__isnull=True).exists()


def test_two_workers_running_the_reminder_job_at_once_create_and_send_each_once(tmp_path):
    """Two worker processes each take one of two reminder tasks for the same day."""
    action_ids = make_due_actions(4000)
    mail_dir = tmp_path / "mail"
    purge_default_queue()

    with worker_processes(tmp_path, redis_url=settings.REDIS_URL, mail_dir=mail_dir) as start:
        workers = [start("twin-a"), start("twin-b")]
        for worker in workers:
            worker.wait_ready()
        time.sleep(1)  # both are waiting on the queue
        tasks = [app.send_task(REMINDER_TASK, args=[DAY.isoformat()]) for _ in workers]

        for task in tasks:
            wait_until(lambda task=task: any(w.succeeded(task.id) for w in workers),
                       timeout=60, what=f"task {task.id} to succeed")
        for worker in workers:
            taken = [task.id for task in tasks if worker.received(task.id)]
            assert len(taken) == 1, f"{worker.name} ran {taken}: the runs were not concurrent"
        wait_until(all_work_done, timeout=60, what="every e-mail to be sent")
        assert_each_action_notified_and_mailed_once(action_ids, mail_dir)


# 2. The broker goes away -----------------------------------------------------------------


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server to start one")
def test_api_keeps_working_with_the_broker_down_and_the_outbox_delivers_later(
    world, api, tmp_path
):
    """Redis (without persistence) dies, requests go on, and no e-mail is lost.

    Before the outage an action is made while the broker is up, so the web side holds a
    live pooled connection that then breaks; its task dies with Redis's memory, yet its
    e-mail still goes, because a later ``send_pending_emails`` sends every pending one.
    """
    broker = ThrowawayRedis(tmp_path)
    mail_dir = tmp_path / "mail"
    client = api.as_user(world.manager)
    # a third person who may own actions (a partner lead), for the action after the outage
    third_lead = f.UserFactory(username="lead_c", email="lead_c@example.org")
    f.MembershipFactory(programme=world.programme, user=third_lead, role="partner_lead",
                        partner=world.partner_a)

    def create_action(owner, title):
        return client.post("/api/v1/actions/", {
            "programme": world.programme.pk, "title": title, "owner": owner.pk,
            "due_date": "2027-01-31"}, format="json")

    try:
        broker.start()
        with celery_broker(broker.url):
            before, _ = timed(lambda: create_action(world.lead_a, "Before the outage"))
            assert before.status_code == 201, before.content
            assert not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()

            broker.stop()
            created, create_time = timed(lambda: create_action(world.lead_b, "During the outage"))
            assert created.status_code == 201, created.content
            done, done_time = timed(lambda: client.patch(
                f"/api/v1/actions/{created.json()['id']}/", {"status": "done"}, format="json"))
            assert done.status_code == 200, done.content
            assert create_time < 3 and done_time < 3, (create_time, done_time)
            print(f"\nbroker down: POST took {create_time:.2f} s, PATCH {done_time:.2f} s")

            # each request's events wait for a worker: one delivery task per request, kept
            # in the outbox while Redis is down (the first action's task died with Redis)
            waiting = OutboxMessage.objects.filter(dispatched_at__isnull=True)
            assert list(waiting.values_list("task", flat=True)) == [
                "notifications.tasks.deliver_events"] * 2
            assert all(row.attempts == 1 and row.last_error for row in waiting)
            assert Event.objects.filter(delivered_at__isnull=True).count() == 3
            held = waiting.first()

            broker.start()  # same port, empty: the task published before the outage is gone
            with worker_processes(tmp_path, redis_url=broker.url, mail_dir=mail_dir) as start:
                start("after-outage").wait_ready()
                # The worker's start-up flush of the outbox hands the waiting task over.
                wait_until(all_work_done, timeout=30, what="the outbox to drain and e-mails to go")
                held.refresh_from_db()
                assert held.dispatched_at is not None

                # The web side publishes again straight away on its broken pool.
                after, after_time = timed(lambda: create_action(third_lead, "After it"))
                assert after.status_code == 201, after.content
                assert after_time < 3, after_time
                assert not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()
                wait_until(all_work_done, timeout=30, what="the last e-mail to go")

                deliveries = EmailDelivery.objects.all()
                assert deliveries.count() == 3
                assert list(
                    deliveries.order_by().values_list("status", "attempts").distinct()
                ) == [(SENT, 1)]
                mails = sent_mails(mail_dir)
                assert sorted(action_ids_mailed(mails).items()) == sorted(
                    (pk, 1) for pk in Action.objects.values_list("pk", flat=True)
                )
                assert sorted(str(m["To"]) for m in mails) == sorted(
                    u.email for u in (world.lead_a, world.lead_b, third_lead)
                )
    finally:
        broker.stop()
