"""The action reminder run: a planner that cuts the day's run into batches, one task each.

The scheduled task only plans: it writes one outbox row per batch of actions in one
transaction and returns. Each batch is a small task, safe to run twice (the
notifications' unique key), so a worker lost half way costs one batch, which the
outbox hands out again (notifications/outbox.py); the other batches go on meanwhile.
"""

import datetime

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications import outbox
from notifications.services import notify_many

from .escalation import due_escalations
from .reminders import due_action_batches, due_action_reminders

BATCH_TASK = "actions.tasks.send_action_reminders_batch"


def _day(date_iso: str | None) -> datetime.date:
    return datetime.date.fromisoformat(date_iso) if date_iso else timezone.localdate()


@shared_task(name="actions.tasks.send_action_reminders", acks_late=True, time_limit=300)
def send_action_reminders(date_iso: str | None = None) -> int:
    """Queue the day's action reminder batches (safe to run twice); returns how many."""
    day = _day(date_iso)
    batches = due_action_batches(day, size=settings.NOTIFY_BATCH_SIZE)
    with transaction.atomic():
        for first_pk, last_pk in batches:
            outbox.enqueue(BATCH_TASK, day.isoformat(), first_pk, last_pk)
    return len(batches)


@shared_task(name=BATCH_TASK, acks_late=True, time_limit=settings.REMINDER_BATCH_TIME_LIMIT)
def send_action_reminders_batch(date_iso: str, first_pk: int, last_pk: int) -> int:
    """Notify owners of the batch's actions due in 7 days, tomorrow, or overdue."""
    return notify_many(
        due_action_reminders(_day(date_iso), first_pk=first_pk, last_pk=last_pk)
    )


@shared_task(name="actions.tasks.escalate_overdue_actions", acks_late=True, time_limit=300)
def escalate_overdue_actions(date_iso: str | None = None) -> int:
    """Tell partner leads, then managers, of overdue actions (safe to run twice); returns
    how many were told."""
    return notify_many(due_escalations(_day(date_iso)))
