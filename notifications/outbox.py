"""Hand background work to the broker after commit, without ever failing a request.

``enqueue`` writes an outbox row inside the caller's transaction and, once it
commits, publishes the task. A publish that fails (broker down) leaves the row for
``flush``, which the beat schedule and each worker start-up run, so nothing asked
for is lost. A task may therefore run more than once: every task is idempotent.
"""

import logging

from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger("tracker.outbox")


def enqueue(task: str, *args) -> OutboxMessage:
    message = OutboxMessage.objects.create(task=task, args=list(args))
    transaction.on_commit(lambda: dispatch(message.pk))
    return message


def _publish(message: OutboxMessage) -> bool:
    from config.celery import app

    try:
        app.send_task(message.task, args=message.args, retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure leaves the row for later
        log.warning("could not publish %s (outbox %s): %s", message.task, message.pk, exc)
        OutboxMessage.objects.filter(pk=message.pk).update(
            attempts=message.attempts + 1, last_error=f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(dispatched_at=timezone.now())
    return True


def dispatch(pk: int) -> bool:
    message = OutboxMessage.objects.filter(pk=pk, dispatched_at__isnull=True).first()
    return _publish(message) if message else True


def flush(limit: int = 500) -> int:
    """Publish what is still waiting; returns how many were handed over."""
    handed = 0
    with transaction.atomic():
        waiting = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True)
            .order_by("id")[:limit]
        )
        for message in waiting:
            if not _publish(message):
                break  # the broker is still down: try again on the next flush
            handed += 1
    return handed


def prune(days: int = 14) -> int:
    cutoff = timezone.now() - timezone.timedelta(days=days)
    deleted, _ = OutboxMessage.objects.filter(dispatched_at__lt=cutoff).delete()
    return deleted
