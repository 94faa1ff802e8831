import datetime

from celery import shared_task
from django.utils import timezone

from notifications.services import notify_many

from . import snapshots
from .reminders import due_assessment_reminders


def _day(date_iso: str | None) -> datetime.date:
    return datetime.date.fromisoformat(date_iso) if date_iso else timezone.localdate()


@shared_task(name="programmes.tasks.send_assessment_reminders", acks_late=True, time_limit=900)
def send_assessment_reminders(date_iso: str | None = None) -> int:
    """Remind partner leads whose assessment is not yet submitted (safe to run twice)."""
    return notify_many(due_assessment_reminders(_day(date_iso)))


@shared_task(name="programmes.tasks.take_progress_snapshots", acks_late=True, time_limit=1800)
def take_progress_snapshots(date_iso: str | None = None) -> int:
    """Store today's progress per programme, partner and principle (replaces a rerun's rows)."""
    return snapshots.snapshots_take_all(day=_day(date_iso))
