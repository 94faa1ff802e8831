"""The events consumer: one delivery per event for each webhook that wants it.

A webhook gets the events of its programme whose kind it subscribes to and that
happened once it was there (a new webhook gets only what happens after it is added),
while it is on and its owner still belongs to the programme. Consuming the same events
twice writes nothing twice (a delivery is unique per webhook and event).
"""

from collections import defaultdict

from django.utils import timezone

from notifications import outbox
from notifications.models import Event
from programmes.querysets import belongs

from .delivery import SEND_TASK
from .kinds import EVENTS
from .models import Webhook, WebhookDelivery


def payload_of(event: Event) -> dict:
    """What a delivery of ``event`` POSTs, besides its own id."""
    return {
        "event": event.kind,
        "created_at": event.created_at.isoformat(),
        "programme": {"id": event.programme_id, "name": event.programme_name},
        "data": event.data,
    }


def consume(batch: list[Event]) -> int:
    wanted = [e for e in batch if e.kind in EVENTS and e.programme_id]
    if not wanted:
        return 0
    hooks: dict[int, list[Webhook]] = defaultdict(list)
    for hook in Webhook.objects.filter(
        active=True, programme_id__in={e.programme_id for e in wanted}
    ).filter(belongs("owner_id", "programme_id"), owner__is_active=True):
        hooks[hook.programme_id].append(hook)
    now = timezone.now()
    rows = [
        WebhookDelivery(webhook=hook, event=item, kind=item.kind, payload=payload_of(item),
                        next_attempt_at=now, created_at=now)
        for item in wanted
        for hook in hooks.get(item.programme_id or 0, ())
        if item.kind in hook.events and hook.created_at <= item.created_at
    ]
    if not rows:
        return 0
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    outbox.enqueue(SEND_TASK)
    return len(rows)
