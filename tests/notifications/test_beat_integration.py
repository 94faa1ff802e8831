"""The schedule at work: beat and workers as separate processes, on Redis and PostgreSQL.

1. Beat (``celery -A config beat``, the stored schedule firing every few seconds with
   ``CELERY_BEAT_TEST_INTERVAL``) and a worker (``celery -A config worker``) hand the
   outbox over, send waiting e-mails and write assessment and action reminders; every
   task the schedule names runs, and beat logs no refusal.
2. A Redis of the test's own is stopped while work is asked for, then started again on
   the same port: the waiting work goes out without restarting the worker.
3. A worker SIGKILLed in the middle of the reminder run: another worker writes the
   rest within seconds (not after Redis's one-hour visibility timeout), each once.

They run only in the PostgreSQL + Redis pass. Every process is SIGKILLed when its test
ends, whatever happens.
"""

import datetime
import os
import re
import shutil
import signal
import time

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from actions.models import Action
from actions.reminders import DUE_TOMORROW
from config.celery import app
from notifications import outbox
from notifications.models import EmailDelivery, Notification, OutboxMessage
from notifications.services import SEND_EMAILS_TASK, Reminder, notify_many
from programmes.reminders import ASSESSMENT_DUE

from .. import factories as f
from .processes import (
    SENT,
    ThrowawayRedis,
    action_ids_mailed,
    all_work_done,
    celery_broker,
    celery_processes,
    ensure_default_schedule,
    links_mailed,
    purge_queue,
    sent_mails,
    wait_until,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="needs Redis and real Celery processes (REDIS_URL is not set; runs in the "
        "PostgreSQL + Redis pass)",
    ),
    pytest.mark.django_db(transaction=True),
]

needs_redis_server = pytest.mark.skipif(
    not shutil.which("redis-server"), reason="needs redis-server to start a Redis of its own"
)

INTERVAL = 2  # seconds between two firings of each schedule entry in these tests
ACTION_BATCH = "actions.tasks.send_action_reminders_batch"


def closing_cycle(world):
    """A cycle closing in two days: its partner leads are reminded today."""
    today = timezone.localdate()
    return f.CycleFactory(programme=world.programme, name="Winter review",
                          period_start=today - datetime.timedelta(days=60),
                          period_end=today + datetime.timedelta(days=2))


def waiting_emails(recipients, kind="message_waiting"):
    """E-mails written but never sent (their send task was lost with Redis's memory).

    Their subject is a plain message, about no programme, so whether the recipient still
    belongs to one (notifications.audience) does not decide whether they go.
    """
    reminders = [
        Reminder(recipient_id=user.pk, kind=kind, subject_type="message", subject_id=900 + i,
                 occurrence=timezone.localdate(), message=f"Waiting e-mail {i}",
                 link="/notifications/")
        for i, user in enumerate(recipients)
    ]
    return reminders


def no_refusals(beat_output: str):
    for marker in ("SchedulingError", "Couldn't apply scheduled task", "soft_time_limit"):
        assert marker not in beat_output, f"beat logged {marker!r}:\n{beat_output[-5000:]}"


# 1. Beat and a worker run the schedule ------------------------------------------------


def test_beat_and_a_worker_hand_over_the_outbox_send_waiting_emails_and_write_reminders(
    world, tmp_path
):
    ensure_default_schedule()
    scheduled = set(PeriodicTask.objects.filter(enabled=True).values_list("task", flat=True))
    cycle = closing_cycle(world)
    due = timezone.localdate() + datetime.timedelta(days=1)
    actions = [f.ActionFactory(programme=world.programme, owner=world.lead_b, due_date=due)
               for _ in range(3)]
    mail_dir = tmp_path / "mail"
    purge_queue(settings.REDIS_URL)

    with celery_processes(tmp_path, redis_url=settings.REDIS_URL, mail_dir=mail_dir,
                          CELERY_BEAT_TEST_INTERVAL=INTERVAL) as start:
        worker = start("schedule-worker")
        worker.wait_ready()
        # Work that waited while the broker was away: an outbox row nobody has handed
        # over, and e-mails whose send task was lost. Only the schedule can move them
        # now (the worker's start-up flush has run).
        with transaction.atomic():
            OutboxMessage.objects.filter(dispatched_at__isnull=True).delete()
        held = OutboxMessage.objects.create(task=SEND_EMAILS_TASK, args=[])
        with celery_broker("redis://127.0.0.1:1/0"):  # the outbox cannot publish these
            notify_many(waiting_emails([world.manager, world.reviewer, world.provider_user]))
        assert EmailDelivery.objects.filter(status=EmailDelivery.Status.PENDING).count() == 3

        beat = start("schedule-beat", kind="beat")
        beat.wait_ready()

        def done():
            held.refresh_from_db()
            leads_reminded = Notification.objects.filter(
                kind=ASSESSMENT_DUE, subject_id=cycle.pk).count() == 2
            actions_reminded = Notification.objects.filter(kind=DUE_TOMORROW).count() == 3
            return (held.finished_at and leads_reminded and actions_reminded
                    and not EmailDelivery.objects.exclude(status=SENT).exists()
                    and scheduled <= worker.tasks_succeeded())

        started = time.monotonic()
        wait_until(done, timeout=90, interval=0.5,
                   what="the outbox, waiting e-mails, reminders and every scheduled task")
        print(f"\nthe schedule did everything within {time.monotonic() - started:.1f} s")
        no_refusals(beat.output())

        assert held.dispatched_at is not None
        reminded = Notification.objects.filter(kind=ASSESSMENT_DUE, subject_id=cycle.pk)
        assert set(reminded.values_list("recipient__username", flat=True)) == {"lead_a", "lead_b"}
        # Beat fired each reminder run several times; each reminder exists, and went, once.
        wait_until(all_work_done, timeout=30, what="the last e-mails")
        everything = sent_mails(mail_dir)
        # the weekly digest task ran too: the programme's manager gets theirs, once
        digests = [str(m["To"]) for m in everything if m["X-Tracker-Kind"] == "digest"]
        assert digests == ["manager@example.org"], digests
        mails = [m for m in everything if m["X-Tracker-Kind"] != "digest"]
        to = sorted(str(m["To"]) for m in mails)
        assert to == sorted(["manager@example.org", "reviewer@example.org",
                             "provider@example.org", "lead_a@example.org",
                             "lead_b@example.org", *["lead_b@example.org"] * 3]), to
        cycle_links = links_mailed(
            [m for m in mails if "/cycles/" in m.get_body(("plain",)).get_content()],
            r"/cycles/(\d+)/")
        assert cycle_links == {cycle.pk: 2}
        mailed_actions = action_ids_mailed(
            [m for m in mails if str(m["To"]) == "lead_b@example.org"
             and "/cycles/" not in m.get_body(("plain",)).get_content()])
        assert mailed_actions == {a.pk: 1 for a in actions}


# 2. Redis goes away and comes back ---------------------------------------------------


@needs_redis_server
def test_work_waiting_through_a_redis_outage_goes_out_without_restarting_the_worker(
    world, tmp_path
):
    ensure_default_schedule()
    cycle = closing_cycle(world)
    people = [f.UserFactory(username=f"waiting{i}") for i in range(10)]
    broker = ThrowawayRedis(tmp_path)
    mail_dir = tmp_path / "mail"
    try:
        broker.start()
        with celery_processes(tmp_path, redis_url=broker.url, mail_dir=mail_dir,
                              CELERY_BEAT_TEST_INTERVAL=INTERVAL) as start:
            worker = start("outage-worker")
            worker.wait_ready()
            beat = start("outage-beat", kind="beat")
            beat.wait_ready()

            broker.stop()
            time.sleep(INTERVAL + 1)  # beat fires into the void; the worker loses Redis
            with celery_broker(broker.url):  # the web side, publishing to the dead Redis
                notify_many(waiting_emails(people))
                with transaction.atomic():
                    outbox.enqueue("programmes.tasks.send_assessment_reminders")
            waiting = OutboxMessage.objects.filter(dispatched_at__isnull=True)
            # the two held above; beside them, at most the batch of a reminders run that
            # beat started just before Redis went (its hand-off was held the same way)
            held = set(waiting.values_list("task", flat=True))
            assert held >= {SEND_EMAILS_TASK, "programmes.tasks.send_assessment_reminders"}
            assert held <= {SEND_EMAILS_TASK, "programmes.tasks.send_assessment_reminders",
                            "programmes.tasks.send_assessment_reminders_batch"}
            assert all(row.attempts == 1 and row.last_error for row in waiting)
            assert EmailDelivery.objects.filter(status=EmailDelivery.Status.PENDING).count() == 10
            time.sleep(INTERVAL)

            broker.start()  # same port, empty: what was queued before the outage is gone
            back = time.monotonic()

            def delivered():
                return (
                    not OutboxMessage.objects.filter(dispatched_at__isnull=True).exists()
                    and Notification.objects.filter(kind=ASSESSMENT_DUE,
                                                    subject_id=cycle.pk).count() == 2
                    and all_work_done()
                )

            wait_until(delivered, timeout=60, interval=0.5,
                       what="the waiting work to go out after Redis came back")
            print(f"\nwaiting work went out {time.monotonic() - back:.1f} s after Redis was back")

            assert worker.process.poll() is None and beat.process.poll() is None
            output = worker.output()
            assert output.count(" ready.") == 1, "the worker started more than once"
            connected = re.findall(rf"Connected to redis://\S*127\.0\.0\.1:{broker.port}/0", output)
            assert len(connected) >= 2, "no reconnection logged"
            assert "Connection to broker lost" in output
            # (beat's weekly digest, if it fired, is the manager's; it is not this work)
            mailed = sorted(str(m["To"]) for m in sent_mails(mail_dir)
                            if m["X-Tracker-Kind"] != "digest")
            assert mailed == sorted([*(p.email for p in people),
                                     "lead_a@example.org", "lead_b@example.org"])
    finally:
        broker.stop()


# 3. A worker killed in the middle of the reminder run -----------------------------------


KILL_TEST_ACTIONS = 4500
KILL_TEST_BATCH = 1500  # three batch tasks
LEASE = 3  # seconds: the batch tasks' time limit for these workers (production: 120)


def test_a_worker_killed_mid_run_leaves_the_rest_to_another_worker_within_seconds(
    tmp_path
):
    """SIGKILL the worker inside a batch; a second worker finishes the run, each once.

    Redis keeps the production visibility timeout (an hour), so the killed batch's
    message stays unacknowledged there. The batch's outbox row says it started and
    never finished: once its time limit has passed, beat's outbox flush hands it out
    again and the second worker runs it, together with the batches still queued.
    """
    ensure_default_schedule()
    # Beat runs only the outbox flush and e-mails here: a second reminder run would
    # redo the killed batch and hide whether the outbox recovered it.
    PeriodicTask.objects.exclude(task__in=[
        "notifications.tasks.outbox_flush", "notifications.tasks.send_pending_emails",
    ]).update(enabled=False)
    day = timezone.localdate()
    programme = f.ProgrammeFactory()
    owners = [f.UserFactory(username=f"owner{i}") for i in range(25)]
    for owner in owners:  # reminders go only to people who belong to the programme
        f.MembershipFactory(programme=programme, user=owner, role="manager")
    Action.objects.bulk_create([
        Action(programme=programme, owner=owners[i % 25], title=f"Due action {i}",
               due_date=day + datetime.timedelta(days=1))
        for i in range(KILL_TEST_ACTIONS)
    ], batch_size=2000)
    action_ids = sorted(Action.objects.values_list("pk", flat=True))
    mail_dir = tmp_path / "mail"
    purge_queue(settings.REDIS_URL)

    with celery_processes(tmp_path, redis_url=settings.REDIS_URL, mail_dir=mail_dir,
                          CELERY_BEAT_TEST_INTERVAL=1, NOTIFY_BATCH_SIZE=KILL_TEST_BATCH,
                          REMINDER_BATCH_TIME_LIMIT=LEASE) as start:
        first = start("kill-first")
        first.wait_ready()
        start("kill-beat", kind="beat").wait_ready()
        app.send_task("actions.tasks.send_action_reminders", args=[day.isoformat()])

        batches = OutboxMessage.objects.filter(task=ACTION_BATCH)
        running = batches.filter(started_at__isnull=False, finished_at__isnull=True)
        wait_until(running.exists, timeout=60, interval=0.005, what="a batch to start")
        os.kill(first.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        first.kill()  # reap it
        interrupted = list(running.values_list("pk", flat=True))
        assert len(interrupted) == 1, "the worker was not killed inside a batch"
        partial = Notification.objects.count()
        assert partial < len(action_ids)
        print(f"\nkilled the worker inside a batch, {partial} of {len(action_ids)} written")

        second = start("kill-second")
        second.wait_ready()
        wait_until(lambda: Notification.objects.count() == len(action_ids), timeout=60,
                   interval=0.2, what="the rest of the run")
        recovered = time.monotonic() - killed_at
        print(f"the rest of the run was written {recovered:.1f} s after the kill")
        wait_until(all_work_done, timeout=120, what="every batch to finish and e-mail to go")

        row = OutboxMessage.objects.get(pk=interrupted[0])
        assert row.restarts == 1 and row.finished_at is not None
        # Redis still holds the killed batch's message, unacknowledged: the rerun came
        # from the outbox, not from the broker.
        killed_id = re.findall(rf"Task {ACTION_BATCH}\[([\w-]+)\] received", first.output())[-1]
        client = redis.Redis.from_url(settings.REDIS_URL)
        held_by_redis = b"".join(client.hvals("unacked"))
        client.close()
        assert killed_id.encode() in held_by_redis
        assert batches.count() == KILL_TEST_ACTIONS // KILL_TEST_BATCH
        assert ACTION_BATCH in second.tasks_succeeded()

        notifications = Notification.objects.all()
        assert sorted(notifications.values_list("subject_id", flat=True)) == action_ids
        assert set(notifications.values_list("kind", "occurrence")) == {(DUE_TOMORROW, day)}
        deliveries = EmailDelivery.objects.all()
        assert deliveries.count() == len(action_ids)
        assert list(deliveries.order_by().values_list("status", "attempts").distinct()) == [
            (SENT, 1)]
        mailed = action_ids_mailed(sent_mails(mail_dir))
        assert sorted(mailed) == action_ids
        assert set(mailed.values()) == {1}, "an action was e-mailed twice"
