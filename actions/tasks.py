import datetime

from celery import shared_task
from django.utils import timezone

from notifications.services import notify_many

from .reminders import due_action_reminders


def _day(date_iso: str | None) -> datetime.date:
    return datetime.date.fromisoformat(date_iso) if date_iso else timezone.localdate()


@shared_task(name="actions.tasks.send_action_reminders", acks_late=True, time_limit=1800)
def send_action_reminders(date_iso: str | None = None) -> int:
    """Notify owners of actions due in 7 days, tomorrow, or overdue (safe to run twice)."""
    return notify_many(due_action_reminders(_day(date_iso)))
