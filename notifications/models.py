"""Delivery of what the service has to tell people: in-app notifications, e-mails,
preferences, and the outbox of background work. It knows nothing of actions or gaps:
the apps above hand it a kind, a subject and a message."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .kinds import CHOICES, DIGEST, IMMEDIATE, KINDS, OFF

CHOICE_VALUES = {value for value, _ in CHOICES}


class NotificationPreference(models.Model):
    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", "Straight away"
        WEEKLY_DIGEST = "weekly_digest", "In a weekly digest"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_enabled = models.BooleanField(default=True)
    email_frequency = models.CharField(
        max_length=20, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    kinds = models.JSONField(
        default=dict, blank=True,
        help_text="Per kind of notification (notifications/kinds.py): 'immediate', 'digest' "
                  "or 'off'. A kind not set follows email_enabled and email_frequency.",
    )

    def __str__(self):
        return f"{self.user}: {self.email_frequency if self.email_enabled else 'no e-mail'}"

    def clean(self):
        super().clean()
        self.kinds = self.kinds or {}
        if not isinstance(self.kinds, dict):
            raise ValidationError({"kinds": "Give a choice for each kind of notification, "
                                            "like {\"action_assigned\": \"digest\"}."})
        problems = []
        for kind, choice in self.kinds.items():
            if kind not in KINDS:
                problems.append(f"\u201c{kind}\u201d is not a kind of notification we send.")
            elif not isinstance(choice, str) or choice not in CHOICE_VALUES:
                problems.append(f"Choose straight away, in the weekly digest or do not e-mail "
                                f"for \u201c{KINDS[kind]}\u201d (\u201c{choice}\u201d is "
                                "not one of them).")
        if problems:
            raise ValidationError({"kinds": problems})

    def choice_for(self, kind: str) -> str:
        """How ``kind`` is e-mailed: its own choice, else the general settings."""
        choice = (self.kinds or {}).get(kind)
        if isinstance(choice, str) and choice in CHOICE_VALUES:
            return choice
        if not self.email_enabled:
            return OFF
        if self.email_frequency == self.Frequency.WEEKLY_DIGEST:
            return DIGEST
        return IMMEDIATE



class Notification(models.Model):
    """One message to one person, at most once per reminder key.

    The unique key (recipient, kind, subject, occurrence) is what makes the reminder
    job safe to run twice, on two workers, or after a worker died half way: the second
    insert of the same key is refused by the database. ``occurrence`` is the day the
    reminder fell due, computed from the due date (7 days before, the day before, the
    day after and each week after), so a changed due date makes new reminders and an
    unchanged one never repeats them.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    subject_type = models.CharField(max_length=40)
    subject_id = models.BigIntegerField()
    due_date = models.DateField(
        null=True, blank=True, help_text="The subject's due date when the message was made."
    )
    occurrence = models.DateField(
        help_text="The day this reminder fell due (for weekly overdue reminders, its week)."
    )
    message = models.TextField()
    link = models.CharField(max_length=500, blank=True)
    programme_name = models.CharField(
        max_length=200, blank=True, help_text="The programme it is about, named in the e-mail."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_type", "subject_id", "occurrence"],
                name="%(app_label)s_%(class)s_once_per_key",
                violation_error_message="This notification was already sent.",
                violation_error_code="conflict",
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self):
        return f"{self.kind} for {self.recipient}"


class EmailDelivery(models.Model):
    """The e-mail of a notification (or of a weekly digest), sent at most once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DIGEST = "digest", "Waiting for the weekly digest"
        SENT = "sent", "Sent"
        DIGESTED = "digested", "Sent in a weekly digest"
        FAILED = "failed", "Gave up"
        SKIPPED = "skipped", "Not sent (e-mail turned off)"

    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, null=True, blank=True, related_name="email"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_deliveries"
    )
    digest_week = models.DateField(
        null=True, blank=True, help_text="Monday of the week a digest e-mail covers."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "digest_week"],
                condition=Q(digest_week__isnull=False),
                name="%(app_label)s_%(class)s_one_digest_a_week",
                violation_error_message="This person already has a digest for this week.",
                violation_error_code="conflict",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="pending"), name="email_pending"
            ),
        ]

    def __str__(self):
        return f"e-mail to {self.recipient} ({self.status})"


class OutboxMessage(models.Model):
    """Background work asked for by a request or a task, kept until it has run.

    Written in the caller's transaction; handed to the broker after commit. When
    the broker is down the row stays, and ``outbox_flush`` hands it over later. The
    worker notes when the task starts and finishes; one started but not finished
    within its time limit died with its worker and is handed out again.
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    restarts = models.PositiveSmallIntegerField(
        default=0, help_text="Times handed out again after its worker was lost."
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(dispatched_at__isnull=True), name="outbox_waiting"
            ),
            models.Index(
                fields=["started_at"],
                condition=Q(started_at__isnull=False, finished_at__isnull=True),
                name="outbox_running",
            ),
        ]

    def __str__(self):
        return f"{self.task}{tuple(self.args)}"


class Event(models.Model):
    """Something that happened, written in the transaction that made it happen.

    Consumers (notifications, webhooks) read it after commit (``notifications/events.py``).
    ``notices`` holds who is to be told and in what words, decided by the service when
    it published; ``data`` is the payload webhooks send. Kept after delivery: the weekly
    digest counts the week's changes from it.
    """

    kind = models.CharField(max_length=60)
    programme_id = models.BigIntegerField(null=True, blank=True)
    programme_name = models.CharField(max_length=200, blank=True)
    subject_type = models.CharField(max_length=40)
    subject_id = models.BigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    data = models.JSONField(default=dict, blank=True)
    notices = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(delivered_at__isnull=True), name="event_waiting"
            ),
            models.Index(fields=["programme_id", "created_at"], name="event_programme_time"),
        ]

    def __str__(self):
        return f"{self.kind} {self.subject_type} {self.subject_id}"
