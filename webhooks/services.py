"""Every change to a webhook: one function each, taking the acting person.

Any active member of the programme may add a webhook and owns it; the programme's
managers may change or delete any of its webhooks, other members only their own.
"""

import secrets

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError, InvalidTransition
from notifications import outbox
from programmes import access

from . import addresses
from .access import can_add_webhook, can_change_webhook
from .delivery import SEND_TASK
from .kinds import EVENTS, TEST_EVENT
from .models import Webhook, WebhookDelivery

ADD_REFUSED = "Only members of the programme can add webhooks to it."
CHANGE_REFUSED = ("Only the programme's managers and the person who added a webhook can "
                  "change it.")


def _clean_events(kinds) -> list[str]:
    if not isinstance(kinds, (list, tuple)) or not kinds:
        raise DomainError("Choose at least one event to send.", field="events")
    unknown = [k for k in kinds if not isinstance(k, str) or k not in EVENTS]
    if unknown:
        raise DomainError(
            f"These are not events a webhook can send: {', '.join(map(str, unknown))}. "
            f"Choose from: {', '.join(EVENTS)}.", field="events")
    return [k for k in EVENTS if k in kinds]  # in the catalogue's order, once each


def _clean_secret(secret) -> str:
    if not isinstance(secret, str) or not 16 <= len(secret) <= 128:
        raise DomainError("The secret must be between 16 and 128 characters long.",
                          field="secret")
    return secret


@transaction.atomic
def webhook_create(*, actor, programme, url: str, events, active: bool = True,
                   secret: str | None = None) -> Webhook:
    """Add a webhook; its secret (made here unless given) is on the returned row, shown
    to its owner once."""
    access.require(can_add_webhook(actor, programme.pk), ADD_REFUSED)
    kinds = _clean_events(events)
    addresses.check(url, connecting=False)
    key = _clean_secret(secret) if secret else secrets.token_hex(32)
    return Webhook.objects.create(programme=programme, owner=actor, url=url, events=kinds,
                                  secret=key, active=bool(active))


@transaction.atomic
def webhook_update(*, actor, webhook: Webhook, **changes) -> Webhook:
    """Change the address, the events, the secret or whether it is on. Turning it on
    again starts its count of failures afresh."""
    access.require(can_change_webhook(actor, webhook), CHANGE_REFUSED)
    unknown = set(changes) - {"url", "events", "active", "secret"}
    if unknown:
        raise DomainError(f"These cannot be changed: {', '.join(sorted(unknown))}.")
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    if "events" in changes:
        webhook.events = _clean_events(changes["events"])
    if "url" in changes and changes["url"] != webhook.url:
        addresses.check(changes["url"], connecting=False)
        webhook.url = changes["url"]
    if changes.get("secret"):
        webhook.secret = _clean_secret(changes["secret"])
    if "active" in changes:
        active = bool(changes["active"])
        if active and not webhook.active:
            webhook.failures_in_a_row, webhook.disabled_at = 0, None
        if not active and webhook.active:
            webhook.disabled_at = timezone.now()
            webhook.deliveries.filter(status=WebhookDelivery.Status.WAITING).update(
                status=WebhookDelivery.Status.CANCELLED, next_attempt_at=None)
        webhook.active = active
    webhook.save()
    return webhook


@transaction.atomic
def webhook_delete(*, actor, webhook: Webhook) -> None:
    access.require(can_change_webhook(actor, webhook), CHANGE_REFUSED)
    webhook.delete()


@transaction.atomic
def webhook_send_test(*, actor, webhook: Webhook) -> WebhookDelivery:
    """Queue a test event to the webhook, sent as soon as a worker is free."""
    access.require(can_change_webhook(actor, webhook), CHANGE_REFUSED)
    if not webhook.active:
        raise InvalidTransition("The webhook is turned off. Turn it on before sending a "
                                "test event.")
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, kind=TEST_EVENT, next_attempt_at=now, created_at=now,
        payload={"event": TEST_EVENT, "created_at": now.isoformat(),
                 "programme": {"id": webhook.programme_id, "name": webhook.programme.name},
                 "data": {"webhook": webhook.pk,
                          "message": "A test event: your receiver is reached."}})
    outbox.enqueue(SEND_TASK)
    return delivery
