"""Celery tasks of delivery: thin wrappers over the services, each safe to run twice."""

from celery import shared_task

from . import outbox, services


@shared_task(name="notifications.tasks.send_pending_emails", acks_late=True, time_limit=600)
def send_pending_emails():
    sent = services.send_pending_emails()
    if sent and services.emails_waiting():
        outbox.enqueue(services.SEND_EMAILS_TASK)  # more than one batch: carry on
    return sent


@shared_task(name="notifications.tasks.outbox_flush", acks_late=True, time_limit=300)
def outbox_flush():
    return outbox.flush()


@shared_task(name="notifications.tasks.queue_weekly_digests", acks_late=True, time_limit=600)
def queue_weekly_digests():
    return services.queue_weekly_digests()


@shared_task(name="notifications.tasks.prune_outbox", acks_late=True, time_limit=300)
def prune_outbox():
    return outbox.prune()
