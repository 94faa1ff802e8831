"""Celery tasks of delivery: thin wrappers over the services, each safe to run twice.

Each task declares only its hard ``time_limit``; the soft limit follows from it (the
app's task base class), so Celery never refuses one. The signal handlers at the end
note on the outbox row when a task handed over by the outbox starts and finishes.
"""

from celery import shared_task
from celery.signals import task_postrun, task_prerun

from . import events, outbox, services


@shared_task(name="notifications.tasks.send_pending_emails", acks_late=True, time_limit=600)
def send_pending_emails():
    sent = services.send_pending_emails()
    if sent and services.emails_waiting():
        outbox.enqueue(services.SEND_EMAILS_TASK)  # more than one batch: carry on
    return sent


@shared_task(name="notifications.tasks.deliver_events", acks_late=True, time_limit=600)
def deliver_events():
    """Give waiting events to their consumers; asks for another run while more wait."""
    delivered = events.deliver()
    if delivered and events.waiting():
        outbox.enqueue(events.DELIVER_TASK)
    return delivered


@shared_task(name="notifications.tasks.outbox_flush", acks_late=True, time_limit=300)
def outbox_flush():
    return outbox.flush()


@shared_task(name="notifications.tasks.queue_weekly_digests", acks_late=True, time_limit=600)
def queue_weekly_digests():
    return services.queue_weekly_digests()


@shared_task(name="notifications.tasks.prune_outbox", acks_late=True, time_limit=300)
def prune_outbox():
    return outbox.prune()


def _outbox_id(task) -> int | None:
    if task is None or task.request.is_eager:
        return None
    return task.request.get(outbox.HEADER)


@task_prerun.connect
def _note_outbox_task_started(sender=None, task=None, **kwargs):
    if (pk := _outbox_id(task)) is not None:
        outbox.task_started(pk)


@task_postrun.connect
def _note_outbox_task_finished(sender=None, task=None, **kwargs):
    if (pk := _outbox_id(task)) is not None:
        outbox.task_finished(pk)
