"""The reminder runs in batches, and the outbox handing out again a task whose worker died.

Tasks are called directly here (their bodies); tests/notifications/test_beat_integration.py
runs them with beat and worker processes on Redis and PostgreSQL.
"""

import datetime

import pytest
from django.utils import timezone

from actions.reminders import due_action_batches
from actions.tasks import send_action_reminders, send_action_reminders_batch
from notifications import outbox
from notifications.models import EmailDelivery, Notification, OutboxMessage
from programmes.tasks import send_assessment_reminders, send_assessment_reminders_batch

from .. import factories as f

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 23)
ACTION_BATCH = "actions.tasks.send_action_reminders_batch"
ASSESSMENT_BATCH = "programmes.tasks.send_assessment_reminders_batch"


@pytest.fixture
def published(monkeypatch):
    """What the outbox hands to the broker: (task, args, headers)."""
    sent = []

    def send_task(name, args=None, headers=None, **kwargs):
        sent.append((name, args, headers))

    monkeypatch.setattr("celery.current_app.send_task", send_task)
    return sent


@pytest.fixture
def due_actions(world):
    make = lambda due: f.ActionFactory(programme=world.programme, owner=world.lead_a,  # noqa: E731
                                       due_date=due)
    actions = [make(DAY + datetime.timedelta(days=1)) for _ in range(5)]
    make(DAY + datetime.timedelta(days=30))  # not due: in no batch
    return actions


def test_the_action_run_is_cut_into_batches_that_cover_every_due_action(
    due_actions, settings, published, django_capture_on_commit_callbacks
):
    settings.NOTIFY_BATCH_SIZE = 2
    pks = [a.pk for a in due_actions]
    assert due_action_batches(DAY, size=2) == [(pks[0], pks[1]), (pks[2], pks[3]), (pks[4], pks[4])]

    with django_capture_on_commit_callbacks(execute=True):
        assert send_action_reminders(DAY.isoformat()) == 3
    rows = list(OutboxMessage.objects.filter(task=ACTION_BATCH).order_by("id"))
    assert [row.args for row in rows] == [
        [DAY.isoformat(), pks[0], pks[1]],
        [DAY.isoformat(), pks[2], pks[3]],
        [DAY.isoformat(), pks[4], pks[4]],
    ]
    assert [(name, headers) for name, _, headers in published] == [
        (ACTION_BATCH, {"outbox_id": row.pk}) for row in rows
    ]
    assert all(row.dispatched_at for row in rows)
    assert Notification.objects.count() == 0  # the planner only plans

    for row in rows:
        send_action_reminders_batch(*row.args)
    send_action_reminders_batch(*rows[1].args)  # a batch run twice
    assert sorted(Notification.objects.values_list("subject_id", flat=True)) == pks
    assert EmailDelivery.objects.count() == 5


def test_the_assessment_run_is_one_batch_per_cycle_closing_soon(
    world, published, django_capture_on_commit_callbacks
):
    soon = f.CycleFactory(programme=world.programme, period_start=DAY - datetime.timedelta(30),
                          period_end=DAY + datetime.timedelta(days=2))
    f.CycleFactory(programme=world.programme, period_end=DAY + datetime.timedelta(days=40))

    with django_capture_on_commit_callbacks(execute=True):
        assert send_assessment_reminders(DAY.isoformat()) == 1
    row = OutboxMessage.objects.get(task=ASSESSMENT_BATCH)
    assert row.args == [DAY.isoformat(), soon.pk]

    assert send_assessment_reminders_batch(*row.args) == 2  # both partner leads
    assert send_assessment_reminders_batch(*row.args) == 0
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "lead_a", "lead_b"}


def running_row(task, started_seconds_ago, **fields):
    now = timezone.now()
    return OutboxMessage.objects.create(
        task=task, args=[], dispatched_at=now - datetime.timedelta(seconds=started_seconds_ago),
        started_at=now - datetime.timedelta(seconds=started_seconds_ago), **fields)


def test_a_task_started_longer_ago_than_its_time_limit_is_handed_out_again(published):
    lost = running_row(ACTION_BATCH, 121)  # the batch's time limit is 120 s
    busy = running_row(ACTION_BATCH, 30)
    long_job = running_row("programmes.tasks.take_progress_snapshots", 600)  # limit 1800 s
    done = running_row(ACTION_BATCH, 500, finished_at=timezone.now())

    assert outbox.flush() == 1
    assert published == [(ACTION_BATCH, [], {"outbox_id": lost.pk})]
    lost.refresh_from_db()
    assert lost.restarts == 1 and lost.dispatched_at and lost.started_at is None
    for row in (busy, long_job, done):
        before = row.dispatched_at
        row.refresh_from_db()
        assert row.restarts == 0 and row.dispatched_at == before

    outbox.task_started(lost.pk)
    outbox.task_finished(lost.pk)
    assert outbox.flush() == 0
    lost.refresh_from_db()
    assert lost.finished_at is not None


def test_a_task_that_keeps_losing_its_worker_is_given_up(published, caplog):
    doomed = running_row(ACTION_BATCH, 500, restarts=outbox.MAX_RESTARTS)
    assert outbox.flush() == 0
    assert published == []
    doomed.refresh_from_db()
    assert doomed.finished_at is not None and "Given up" in doomed.last_error
    assert "giving up" in caplog.text


def test_a_finished_row_is_not_marked_started_again():
    row = running_row(ACTION_BATCH, 10, finished_at=timezone.now())
    started = row.started_at
    outbox.task_started(row.pk)
    row.refresh_from_db()
    assert row.started_at == started
