"""Notify people: one in-app notification and one e-mail per reminder key, at most once.

``notify_many`` is the one way in. It inserts notifications in batches, letting the
database's unique key drop the ones that exist already, then gives each new
notification its e-mail delivery according to the recipient's preferences, and asks
for the e-mails to be sent after commit. Running it twice, or on two workers at
once, creates nothing twice.

Which reminders fall due is decided in Python (``actions/reminders.py``,
``programmes/reminders.py``), and the e-mail status by ``_email_status_by_user`` (per
person and kind); only the writing differs by database. On PostgreSQL a batch is one
statement: the columns go over as arrays (``unnest``), ``INSERT ... ON CONFLICT DO
NOTHING RETURNING`` gives exactly the notifications this batch created, and the same
statement inserts their e-mails. Elsewhere (SQLite) ``bulk_create`` does the same in
three queries. Both write the same rows (tests/notifications/test_fast_path.py).
"""

import datetime
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from . import audience, digest, kinds, mail, outbox
from .models import EmailDelivery, Notification, NotificationPreference

log = logging.getLogger("tracker.notifications")

MAX_EMAIL_ATTEMPTS = 8
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 600  # well below the broker's visibility timeout
SEND_EMAILS_TASK = "notifications.tasks.send_pending_emails"


@dataclass(frozen=True)
class Reminder:
    recipient_id: int
    kind: str
    subject_type: str
    subject_id: int
    occurrence: datetime.date
    message: str
    link: str = ""
    due_date: datetime.date | None = None
    programme_name: str = ""


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


_STATUS_OF_CHOICE = {
    kinds.IMMEDIATE: EmailDelivery.Status.PENDING,
    kinds.DIGEST: EmailDelivery.Status.DIGEST,
    kinds.OFF: EmailDelivery.Status.SKIPPED,
}


def _email_status_by_user(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """The delivery status a new e-mail gets for each (user, kind), from the user's
    preferences: the kind's own choice, else their general settings (one query)."""
    statuses: dict[tuple[int, str], str] = dict.fromkeys(pairs, EmailDelivery.Status.PENDING)
    preferences = {
        p.user_id: p for p in NotificationPreference.objects.filter(
            user_id__in={user_id for user_id, _ in pairs})
    }
    for user_id, kind in pairs:
        preference = preferences.get(user_id)
        if preference is not None:
            statuses[user_id, kind] = _STATUS_OF_CHOICE[preference.choice_for(kind)]
    return statuses


def _insert_batch_portable(batch: list[Reminder], statuses: dict[tuple[int, str], str]
                           ) -> int:
    """Any database: ``bulk_create`` skipping conflicts, then find the new rows.

    A notification without an e-mail can only be one this transaction created (each
    batch creates both in one transaction), so those are the new ones.
    """
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=r.recipient_id,
                kind=r.kind,
                subject_type=r.subject_type,
                subject_id=r.subject_id,
                occurrence=r.occurrence,
                due_date=r.due_date,
                message=r.message,
                link=r.link,
                programme_name=r.programme_name,
            )
            for r in batch
        ],
        ignore_conflicts=True,
    )
    keys = Q()
    for (kind, subject_type, occurrence), ids in _group_keys(batch).items():
        keys |= Q(kind=kind, subject_type=subject_type, occurrence=occurrence, subject_id__in=ids)
    without_email = list(
        Notification.objects.filter(keys, email__isnull=True).values_list(
            "pk", "recipient_id", "kind")
    )
    if not without_email:
        return 0
    EmailDelivery.objects.bulk_create(
        [
            EmailDelivery(notification_id=pk, recipient_id=user_id,
                          status=statuses[user_id, kind])
            for pk, user_id, kind in without_email
        ],
        ignore_conflicts=True,
    )
    return len(without_email)


# PostgreSQL: the batch goes over as one array per column; the notifications the
# INSERT really created (RETURNING, after ON CONFLICT DO NOTHING) get their e-mails
# in the same statement, with the status computed above from the preferences.
_INSERT_BATCH_SQL = """
WITH batch AS (
    SELECT * FROM unnest(
        %s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::date[], %s::date[],
        %s::text[], %s::text[], %s::text[]
    ) AS b(recipient_id, kind, subject_type, subject_id, occurrence, due_date, message, link,
           programme_name)
), new AS (
    INSERT INTO notifications_notification
        (recipient_id, kind, subject_type, subject_id, occurrence, due_date, message, link,
         programme_name, created_at)
    SELECT recipient_id, kind, subject_type, subject_id, occurrence, due_date, message, link,
           programme_name, %s
    FROM batch
    ON CONFLICT DO NOTHING
    RETURNING id, recipient_id, kind
), status AS (
    SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS s(user_id, kind, status)
), emails AS (
    INSERT INTO notifications_emaildelivery
        (notification_id, recipient_id, status, attempts, last_error, created_at)
    SELECT new.id, new.recipient_id, status.status, 0, '', %s
    FROM new JOIN status ON status.user_id = new.recipient_id AND status.kind = new.kind
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM new), (SELECT count(*) FROM emails)
"""


def _insert_batch_postgresql(batch: list[Reminder], statuses: dict[tuple[int, str], str]
                             ) -> int:
    """PostgreSQL: one statement, server-side binding, no model instances."""
    import psycopg

    now = timezone.now()
    pairs = list(statuses)
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            _INSERT_BATCH_SQL,
            (
                [r.recipient_id for r in batch],
                [r.kind for r in batch],
                [r.subject_type for r in batch],
                [r.subject_id for r in batch],
                [r.occurrence for r in batch],
                [r.due_date for r in batch],
                [r.message for r in batch],
                [r.link for r in batch],
                [r.programme_name for r in batch],
                now,
                [user_id for user_id, _ in pairs],
                [kind for _, kind in pairs],
                [statuses[pair] for pair in pairs],
                now,
            ),
        )
        notifications, emails = cursor.fetchone()
    if notifications != emails:  # cannot happen: every recipient has a status
        raise RuntimeError(f"{notifications} notifications but {emails} e-mails")
    return notifications


def use_fast_path() -> bool:
    """Whether ``notify_many`` takes the PostgreSQL statement (else the portable one)."""
    return FAST_PATH and connection.vendor == "postgresql"


FAST_PATH = True  # off only to compare the two paths (tests/notifications/test_fast_path.py)


def _insert_batch(batch: list[Reminder]) -> int:
    """Insert one batch of notifications and the e-mails of those that are new."""
    statuses = _email_status_by_user({(r.recipient_id, r.kind) for r in batch})
    if use_fast_path():
        return _insert_batch_postgresql(batch, statuses)
    return _insert_batch_portable(batch, statuses)


def _group_keys(batch: list[Reminder]) -> dict:
    groups: dict = {}
    for r in batch:
        groups.setdefault((r.kind, r.subject_type, r.occurrence), set()).add(r.subject_id)
    return groups


def notify_many(reminders: Iterable[Reminder], *, batch_size: int | None = None) -> int:
    """Create what is new among ``reminders``; returns the number of new notifications.

    Each batch commits on its own, so a worker that dies half way keeps what it
    finished and the next run does the rest.
    """
    created = 0
    for batch in _batches(reminders, batch_size or settings.NOTIFY_BATCH_SIZE):
        with transaction.atomic():
            new = _insert_batch(batch)
            if new:
                outbox.enqueue_once(SEND_EMAILS_TASK)
        created += new
    return created


def notify(**fields) -> Notification | None:
    """One notification (e.g. "an action was assigned to you"); None when it existed."""
    reminder = Reminder(**fields)
    notify_many([reminder])
    return Notification.objects.filter(
        recipient_id=reminder.recipient_id,
        kind=reminder.kind,
        subject_type=reminder.subject_type,
        subject_id=reminder.subject_id,
        occurrence=reminder.occurrence,
    ).first()


# Reading --------------------------------------------------------------------


# What a refused user reads, the same on the API and the pages.
OWN_NOTIFICATIONS_REFUSED = "You can only mark your own notifications as read."
SIGNED_IN_REFUSED = "Sign in to change your notifications and e-mail settings."


def _require_signed_in(actor) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied(SIGNED_IN_REFUSED)


def notification_mark_read(*, actor, notification: Notification) -> Notification:
    """``actor`` has read one of their own notifications."""
    _require_signed_in(actor)
    if notification.recipient_id != actor.pk:
        raise PermissionDenied(OWN_NOTIFICATIONS_REFUSED)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor) -> int:
    """``actor`` has read all their notifications; how many were unread."""
    _require_signed_in(actor)
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preference_for(user) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.get_or_create(user=user)
    return preference


@transaction.atomic
def preference_update(*, actor, **fields) -> NotificationPreference:
    """``actor`` changes their own e-mail settings (nobody changes another's); refused
    settings change nothing, not even the first, empty row."""
    _require_signed_in(actor)
    preference = preference_for(actor)
    for name, value in fields.items():
        setattr(preference, name, value)
    preference.full_clean()
    preference.save()
    return preference


# Sending e-mail -------------------------------------------------------------


def absolute(link: str) -> str:
    return f"{settings.SITE_URL}{link}" if link.startswith("/") else link


def _render(template: str, context: dict, recipient, *, subject: str, kind: str,
            programme_names: str | list[str]) -> EmailMultiAlternatives:
    """The e-mail of ``template``: its text part rendered without HTML escapes (the
    templates say ``autoescape off``), its HTML part escaped, the subject in plain text."""
    context = {**context, "recipient": recipient, "site_url": settings.SITE_URL,
               "settings_url": absolute(reverse("web:notification-settings"))}
    return mail.message(
        subject=subject,
        body=render_to_string(f"notifications/email/{template}.txt", context),
        html=render_to_string(f"notifications/email/{template}.html", context),
        to=[recipient.email], kind=kind, programme_names=programme_names,
    )


def _email_for(delivery: EmailDelivery) -> EmailMultiAlternatives:
    recipient = delivery.recipient
    if delivery.digest_week:
        items = list(
            Notification.objects.filter(
                recipient=recipient, email__status=EmailDelivery.Status.DIGEST
            ).order_by("programme_name", "created_at", "pk")
        )
        names = sorted(
            {n.programme_name for n in items if n.programme_name}
            | set(digest.programmes_for(recipient=recipient, week=delivery.digest_week)),
            key=str.casefold,
        )
        context = {
            "week": delivery.digest_week,
            "programme_names": names,
            "items": [(n, absolute(n.link)) for n in items],
            "sections": digest.sections_for(recipient=recipient, week=delivery.digest_week),
        }
        message = _render("digest", context, recipient,
                          subject=mail.digest_subject(names, len(items)),
                          kind="digest", programme_names=names)
        for filename, content, mimetype in digest.attachments_for(
            recipient=recipient, week=delivery.digest_week
        ):
            message.attach(filename, content, mimetype)
        return message
    notification = delivery.notification
    if notification is None:  # cannot happen: an e-mail is a digest or of one notification
        raise ValueError(f"e-mail {delivery.pk} has neither a digest week nor a notification")
    return _render(
        "notification",
        {"notification": notification, "url": absolute(notification.link)},
        recipient,
        subject=mail.subject_line(notification.programme_name, notification.message),
        kind=notification.kind,
        programme_names=notification.programme_name,
    )


def _retry_at(attempts: int) -> datetime.datetime:
    delay = min(RETRY_BASE_SECONDS * 2 ** (attempts - 1), RETRY_CAP_SECONDS)
    return timezone.now() + datetime.timedelta(seconds=delay)


class _Connection:
    """The mail server connection of one batch: ``opened()`` gives the backend, open
    (a backend that is open sends each message without opening and closing again);
    ``reset()`` drops it after a failure, so the next message opens a new one."""

    def __init__(self):
        self.backend = get_connection()
        self.open = False

    def __enter__(self):
        return self

    def opened(self):
        if not self.open:
            self.backend.open()
            self.open = True
        return self.backend

    def reset(self):
        if self.open:
            self.open = False
            try:
                self.backend.close()
            except Exception as exc:  # noqa: BLE001 - the send's own error is the one kept
                log.info("closing the mail connection after a failure: %s", exc)

    def __exit__(self, *exc_info):
        self.reset()
        return False


def send_pending_emails(*, limit: int = 200) -> int:
    """Send e-mails that are due, each at most once; returns how many were sent.

    A delivery is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and marked sent in
    the same transaction as the send, so two workers never take the same e-mail. A
    failed send is tried again later with a growing delay, then given up.

    The batch goes over one connection to the mail server (:class:`_Connection`),
    opened for the first e-mail and closed at the end, not one a message; after a
    failed send it is opened afresh for the next.
    """
    sent = 0
    now = timezone.now()
    with transaction.atomic(), _Connection() as smtp:
        due = list(
            EmailDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "notification")
            .filter(status=EmailDelivery.Status.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("id")[:limit]
        )
        withdrawn = audience.withdraw(due)  # about programmes the recipient has left
        due = [delivery for delivery in due if delivery.pk not in withdrawn]
        for delivery in due:
            if not delivery.recipient.email:
                delivery.status = EmailDelivery.Status.SKIPPED
                delivery.last_error = "The recipient has no e-mail address."
                delivery.save(update_fields=["status", "last_error"])
                continue
            try:
                message = _email_for(delivery)
                message.connection = smtp.opened()
                message.send()
            except Exception as exc:  # noqa: BLE001 - recorded on the row and retried later
                smtp.reset()
                delivery.attempts += 1
                delivery.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
                if delivery.attempts >= MAX_EMAIL_ATTEMPTS:
                    delivery.status = EmailDelivery.Status.FAILED
                else:
                    delivery.next_attempt_at = _retry_at(delivery.attempts)
                delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
                log.warning(
                    "e-mail %s failed (attempt %s): %s", delivery.pk, delivery.attempts, exc
                )
                continue
            delivery.status = EmailDelivery.Status.SENT
            delivery.sent_at = timezone.now()
            delivery.attempts += 1
            delivery.save(update_fields=["status", "sent_at", "attempts"])
            if delivery.digest_week:
                EmailDelivery.objects.filter(
                    recipient=delivery.recipient, status=EmailDelivery.Status.DIGEST
                ).update(status=EmailDelivery.Status.DIGESTED, sent_at=delivery.sent_at)
            sent += 1
    return sent


def emails_waiting() -> bool:
    return EmailDelivery.objects.filter(status=EmailDelivery.Status.PENDING).exists()


def queue_weekly_digests(*, today: datetime.date | None = None) -> int:
    """One digest e-mail per person for the week, once: to everyone with notifications
    waiting for it, and to everyone with a standing digest (the managers of active
    programmes, through ``digest.register_recipients``) even with none waiting.
    Returns how many digests this run queued (a second run in the week queues none)."""
    today = today or timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    waiting = set(
        EmailDelivery.objects.filter(status=EmailDelivery.Status.DIGEST, digest_week__isnull=True)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    users = waiting | digest.standing_recipients(week=monday)
    with transaction.atomic():
        users -= set(
            EmailDelivery.objects.filter(digest_week=monday, recipient_id__in=users)
            .values_list("recipient_id", flat=True)
        )
        digests = [EmailDelivery(recipient_id=user_id, digest_week=monday)
                   for user_id in sorted(users)]
        EmailDelivery.objects.bulk_create(digests, ignore_conflicts=True)
        if digests:
            outbox.enqueue(SEND_EMAILS_TASK)
    return len(digests)
