"""Webhooks: a partner's own system told of the programme's events by signed POSTs.

A ``Webhook`` belongs to a programme and to the member who added it (its owner, told
when it is turned off). Each event it subscribes to becomes one ``WebhookDelivery``
(unique per webhook and event, so consuming an event twice writes nothing twice), and
each try at sending it one ``WebhookAttempt``: the delivery log.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from programmes.models import Programme
from programmes.querysets import ProgrammeScopedQuerySet


class Webhook(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="webhooks")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="webhooks")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=128)
    active = models.BooleanField(default=True)
    failures_in_a_row = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    programme_path = "programme"
    objects = ProgrammeScopedQuerySet.as_manager()

    class Meta:
        ordering = ["programme_id", "created_at", "id"]

    def __str__(self):
        return self.url


class DeliveryQuerySet(ProgrammeScopedQuerySet):
    pass


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    # No event for a test delivery ("Send a test event").
    event = models.ForeignKey("notifications.Event", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")
    kind = models.CharField(max_length=60)
    # What is POSTed, besides the delivery's own id (webhooks/delivery.py, ``body``).
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.WAITING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    programme_path = "webhook__programme"
    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "event"],
                name="%(app_label)s_%(class)s_once_per_event",
                violation_error_message="This event is already delivered to this webhook.",
                violation_error_code="conflict",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"],
                                name="webhooks_delivery_due")]

    def __str__(self):
        return f"{self.kind} to {self.webhook_id}"


class WebhookAttempt(models.Model):
    """One try at sending a delivery: what the receiver answered, or why there was none."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE,
                                 related_name="log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    ok = models.BooleanField(default=False)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"],
                                    name="%(app_label)s_%(class)s_one_per_number",
                                    violation_error_message="This try is already logged."),
        ]

    def __str__(self):
        return f"try {self.number} of delivery {self.delivery_id}"
