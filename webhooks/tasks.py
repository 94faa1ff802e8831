"""The send task: a thin wrapper over ``delivery.send_due``, safe to run twice."""

from celery import shared_task

from notifications import outbox

from . import delivery


@shared_task(name=delivery.SEND_TASK, acks_late=True, time_limit=600)
def send_due_deliveries():
    """Send what is due; asks for another run while more is due (beat runs it each minute)."""
    tried = delivery.send_due()
    if tried >= delivery.BATCH and delivery.waiting_now():
        outbox.enqueue(delivery.SEND_TASK)
    return tried
