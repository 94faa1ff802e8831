"""Scheduled work of programmes: assessment reminders (planned in batches) and snapshots.

The assessment reminder run is planned as the action one is (actions/tasks.py): the
scheduled task writes one outbox row per cycle with reminders due, and each cycle's
reminders are a small task of their own, safe to run twice.
"""

import datetime

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications import outbox
from notifications.services import notify_many

from . import snapshots
from .reminders import due_assessment_batches, due_assessment_reminders

BATCH_TASK = "programmes.tasks.send_assessment_reminders_batch"


def _day(date_iso: str | None) -> datetime.date:
    return datetime.date.fromisoformat(date_iso) if date_iso else timezone.localdate()


@shared_task(name="programmes.tasks.send_assessment_reminders", acks_late=True, time_limit=300)
def send_assessment_reminders(date_iso: str | None = None) -> int:
    """Queue one reminder batch per cycle closing soon (safe to run twice); returns how many."""
    day = _day(date_iso)
    cycles = due_assessment_batches(day)
    with transaction.atomic():
        for cycle_id in cycles:
            outbox.enqueue(BATCH_TASK, day.isoformat(), cycle_id)
    return len(cycles)


@shared_task(name=BATCH_TASK, acks_late=True, time_limit=settings.REMINDER_BATCH_TIME_LIMIT)
def send_assessment_reminders_batch(date_iso: str, cycle_id: int) -> int:
    """Remind the partner leads of one cycle whose assessment is not yet submitted."""
    return notify_many(due_assessment_reminders(_day(date_iso), cycle_id=cycle_id))


@shared_task(name="programmes.tasks.take_progress_snapshots", acks_late=True, time_limit=1800)
def take_progress_snapshots(date_iso: str | None = None) -> int:
    """Store today's progress per programme, partner and principle (replaces a rerun's rows)."""
    return snapshots.snapshots_take_all(day=_day(date_iso))
