"""Domain events: what happened, written in the transaction that made it happen.

A service that changes something worth telling calls ``publish`` (or ``publish_many``)
inside its own transaction. The event row carries the kind (``gap.opened``), the
programme, the subject, the acting person, a JSON payload and the notices it wants told
(who hears of it, in what words). Once the transaction commits, one outbox row per
transaction hands ``notifications.tasks.deliver_events`` to a worker; beat also runs it
every minute, so an event whose task was lost is delivered all the same.

``deliver`` claims waiting events (``SKIP LOCKED``, so two workers never take the same
one), gives them to every registered consumer and marks them delivered, all in one
transaction: a worker that dies half way leaves them waiting for the next run, and a
second run finds nothing to do. Consumers (in-app notifications with their e-mails,
webhooks) register themselves with ``register_consumer``; a new one needs no change to
the services that publish. Each consumer must be safe to run twice on the same events.
"""

import datetime
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.utils import timezone

from . import outbox
from .models import Event

log = logging.getLogger("tracker.events")

DELIVER_TASK = "notifications.tasks.deliver_events"
BATCH = 500

Consumer = Callable[[list[Event]], object]
_consumers: dict[str, Consumer] = {}


@dataclass(frozen=True)
class Notice:
    """Who is told of an event, and what they read. Nobody is told of their own change:
    the event's actor is left out when the notice is delivered."""

    kind: str
    recipients: Sequence[int]
    message: str
    link: str = ""
    due_date: datetime.date | None = None
    # The once-only key is (recipient, kind, subject, day); a notice may name its own
    # subject (a gap's closure told about the gap, not the assessment) and day.
    subject_type: str = ""
    subject_id: int | None = None
    occurrence: datetime.date | None = None
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        data = asdict(self)
        data["recipients"] = sorted(set(self.recipients))
        for key in ("due_date", "occurrence"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


def register_consumer(name: str, consumer: Consumer) -> Consumer:
    """Register ``consumer(events)``, called with each batch of delivered events."""
    _consumers[name] = consumer
    return consumer


def consumers() -> dict[str, Consumer]:
    return dict(_consumers)


def event(kind: str, *, programme=None, subject_type: str, subject_id: int, actor=None,
          data: dict | None = None, notices: Iterable[Notice] = ()) -> Event:
    """An unsaved event (``publish_many`` saves several at once)."""
    return Event(
        kind=kind,
        programme_id=getattr(programme, "pk", programme),
        programme_name=getattr(programme, "name", "") or "",
        subject_type=subject_type,
        subject_id=subject_id,
        actor_id=getattr(actor, "pk", None),
        data=data or {},
        notices=[n.as_json() for n in notices if n.recipients],
    )


def publish_many(events: Iterable[Event]) -> list[Event]:
    events = list(events)
    if not events:
        return []
    now = timezone.now()
    for item in events:
        item.created_at = now
    # Inside a service's transaction no savepoint of its own: nothing here is caught and
    # carried on from, so a failure undoes the service's writes with it.
    with transaction.atomic(savepoint=False):
        saved = Event.objects.bulk_create(events)
        outbox.enqueue_once(DELIVER_TASK)  # one outbox row per transaction
    return saved


def publish(kind: str, **fields) -> Event:
    return publish_many([event(kind, **fields)])[0]


def deliver(*, limit: int = BATCH) -> int:
    """Deliver up to ``limit`` waiting events to every consumer; returns how many."""
    with transaction.atomic():
        waiting = list(
            Event.objects.select_for_update(skip_locked=True)
            .filter(delivered_at__isnull=True)
            .order_by("id")[:limit]
        )
        if not waiting:
            return 0
        for name, consumer in _consumers.items():
            log.debug("delivering %s events to %s", len(waiting), name)
            consumer(waiting)
        Event.objects.filter(pk__in=[e.pk for e in waiting]).update(delivered_at=timezone.now())
    return len(waiting)


def waiting() -> bool:
    return Event.objects.filter(delivered_at__isnull=True).exists()


def notices_of(item: Event) -> list[Notice]:
    notices = []
    for data in item.notices:
        data = dict(data)
        for key in ("due_date", "occurrence"):
            if data.get(key):
                data[key] = datetime.date.fromisoformat(data[key])
        notices.append(Notice(**data))
    return notices


def _notify(events: list[Event]) -> None:
    """The in-app notifications (and their e-mails) of the events' notices."""
    from .services import Reminder, notify_many

    def reminders():
        for item in events:
            day = timezone.localdate(item.created_at)
            for notice in notices_of(item):
                for recipient in notice.recipients:
                    if recipient == item.actor_id:
                        continue
                    yield Reminder(
                        recipient_id=recipient,
                        kind=notice.kind,
                        subject_type=notice.subject_type or item.subject_type,
                        subject_id=(notice.subject_id if notice.subject_id is not None
                                    else item.subject_id),
                        occurrence=notice.occurrence or day,
                        message=notice.message,
                        link=notice.link,
                        due_date=notice.due_date,
                        programme_name=item.programme_name,
                    )

    notify_many(reminders())


register_consumer("notifications", _notify)
