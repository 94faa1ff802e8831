"""Actions: owned, dated pieces of work that close gaps."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from programmes.models import Gap, Partner, Programme
from programmes.querysets import ProgrammeScopedQuerySet

CLOSED_STATUSES = ("done", "cancelled")


class ActionQuerySet(ProgrammeScopedQuerySet):
    def open(self):
        return self.exclude(status__in=CLOSED_STATUSES)

    def overdue(self, today=None):
        """Open actions whose due date is before today in the service's time zone."""
        return self.open().filter(due_date__lt=today or timezone.localdate())


class Action(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        BLOCKED = "blocked", "Blocked"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="actions")
    # RESTRICT: a gap with actions cannot be deleted on its own (close it instead); a
    # programme's deletion still takes both.
    gap = models.ForeignKey(
        Gap, on_delete=models.RESTRICT, null=True, blank=True, related_name="actions"
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_actions",
    )
    owner_partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    programme_path = "programme"
    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", completed_at__isnull=False)
                | (~Q(status="done") & Q(completed_at__isnull=True)),
                name="%(app_label)s_%(class)s_completed_when_done",
                violation_error_message="An action has a completion date exactly when it is done.",
                violation_error_code="invalid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_date"],
                condition=~Q(status__in=CLOSED_STATUSES),
                name="action_open_due",
            ),
            models.Index(fields=["programme", "status"], name="action_programme_status"),
            # A programme's actions in the list's order (due date, then id): the first page
            # is read from the index instead of sorting every action of the programme.
            models.Index(fields=["programme", "due_date", "id"], name="action_programme_due"),
            models.Index(fields=["owner", "status"], name="action_owner_status"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_overdue(self) -> bool:
        return is_overdue(self.status, self.due_date)


def is_overdue(status: str, due_date) -> bool:
    """Still open and due before today in the service's time zone (``Action.is_overdue``
    from the two plain values)."""
    return status not in CLOSED_STATUSES and due_date is not None and (
        due_date < timezone.localdate())


class ActionNote(models.Model):
    """A dated progress note on an action, by its owner or a manager."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Notes are never edited; the history keeps them when their action is deleted.
    history = HistoricalRecords()

    programme_path = "action__programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.text[:60]


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A secret address where a person's calendar app reads their actions' due dates."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"calendar of {self.user}"
