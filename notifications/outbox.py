"""Hand background work to the broker after commit, and see that it runs.

``enqueue`` writes an outbox row inside the caller's transaction and, once it
commits, publishes the task. A publish that fails (broker down) leaves the row for
``flush``, which the beat schedule runs and each worker runs whenever its broker
connection comes up, so nothing asked for is lost.

Each published task carries its row's id in a message header; the worker notes on
the row when the task starts and when it finishes (``task_started``,
``task_finished``, connected in ``notifications/tasks.py``). A task that started but
has not finished within its own hard time limit died with its worker (SIGKILL, lost
machine): ``flush`` hands it out again at once, rather than leaving it to Redis, which
would give the unacknowledged message to another worker only after its visibility
timeout (an hour). A task may therefore run more than once: every task is idempotent.
"""

import datetime
import logging

from celery import current_app
from django.db import connection, transaction
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger("tracker.outbox")

HEADER = "outbox_id"  # the message header that names a task's outbox row
MAX_RESTARTS = 3  # a task that keeps killing its worker is given up after this


def enqueue(task: str, *args) -> OutboxMessage:
    message = OutboxMessage.objects.create(task=task, args=list(args))
    transaction.on_commit(lambda: dispatch(message.pk))
    return message


class _Asked:
    """Stands in a transaction's on-commit list: ``task`` is already asked for in it."""

    def __init__(self, task: str):
        self.task = task

    def __call__(self) -> None:
        pass


def enqueue_once(task: str) -> None:
    """``enqueue(task)`` at most once per transaction (a task without arguments that does
    all that waits, however many writes of the transaction asked for it)."""
    if connection.in_atomic_block and any(
        isinstance(callback, _Asked) and callback.task == task
        for _, callback, *_ in connection.run_on_commit
    ):
        return
    enqueue(task)
    if connection.in_atomic_block:
        transaction.on_commit(_Asked(task))


def _publish(message: OutboxMessage) -> bool:
    try:
        current_app.send_task(
            message.task, args=message.args, retry=False, headers={HEADER: message.pk}
        )
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


def lease_seconds(task: str) -> float:
    """How long a task may run: its hard time limit (the pool kills it by then)."""
    registered = current_app.tasks.get(task)
    limit = getattr(registered, "time_limit", None) or current_app.conf.task_time_limit
    return float(limit)


def reclaim_abandoned(*, now: datetime.datetime | None = None) -> int:
    """Put tasks whose worker was lost back in the queue of waiting rows.

    A row started longer ago than its task's time limit and not finished goes back
    to waiting (``flush`` then publishes it); after ``MAX_RESTARTS`` it is given up
    and logged as an error. Returns how many rows went back to waiting.
    """
    now = now or timezone.now()
    reclaimed = 0
    with transaction.atomic():
        running = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            started_at__isnull=False, finished_at__isnull=True
        )
        for message in running:
            if message.started_at + datetime.timedelta(seconds=lease_seconds(message.task)) > now:
                continue  # still within its time limit: its worker may be at it
            if message.restarts >= MAX_RESTARTS:
                log.error("giving up %s (outbox %s): its worker was lost %s times",
                          message.task, message.pk, message.restarts + 1)
                message.finished_at = now
                message.last_error = (
                    f"Given up: started {message.restarts + 1} times, never finished."
                )
                message.save(update_fields=["finished_at", "last_error"])
                continue
            log.warning("handing out %s (outbox %s) again: started %s and never finished",
                        message.task, message.pk, message.started_at.isoformat())
            message.dispatched_at = None
            message.started_at = None
            message.restarts += 1
            message.save(update_fields=["dispatched_at", "started_at", "restarts"])
            reclaimed += 1
    return reclaimed


def flush(limit: int = 500) -> int:
    """Publish what is still waiting (lost tasks included); returns how many were handed over."""
    reclaim_abandoned()
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


def task_started(pk: int) -> None:
    OutboxMessage.objects.filter(pk=pk, finished_at__isnull=True).update(
        started_at=timezone.now()
    )


def task_finished(pk: int) -> None:
    OutboxMessage.objects.filter(pk=pk, finished_at__isnull=True).update(
        finished_at=timezone.now()
    )


def prune(days: int = 14) -> int:
    cutoff = timezone.now() - timezone.timedelta(days=days)
    deleted, _ = OutboxMessage.objects.filter(dispatched_at__lt=cutoff).delete()
    return deleted
