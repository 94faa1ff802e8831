"""Sending deliveries: signed POSTs, retried with backoff, every try logged.

``send_due`` claims one due delivery at a time (``SELECT ... FOR UPDATE SKIP LOCKED``,
so two workers never send the same one), sends it and records the answer in the same
transaction: a worker that dies half way leaves the delivery waiting, and a second run
finds nothing left to send.

A try succeeds on a 2xx answer. Anything else (another status, a redirect, which is
never followed, no connection, no answer within the read timeout, an address refused)
is a failure: the delivery is tried again after 60 s, then 120 s, doubling up to an
hour, and after ``MAX_ATTEMPTS`` tries it has failed. ``DISABLE_AFTER`` failed tries
in a row turn the webhook off, cancel what waits for it and tell its owner once.
"""

import datetime
import hashlib
import hmac
import http.client
import json
import logging
import socket
import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from notifications import events
from notifications.events import Notice

from . import addresses
from .models import Webhook, WebhookAttempt, WebhookDelivery

log = logging.getLogger("tracker.webhooks")

SEND_TASK = "webhooks.tasks.send_due_deliveries"
FIRST_DELAY = 60  # seconds
MAX_DELAY = 3600
MAX_ATTEMPTS = 8
DISABLE_AFTER = 20
BATCH = 30  # deliveries a task run sends, at most (each try takes 13 s at worst)
EXCERPT = 1000  # characters of the receiver's answer kept in the log
USER_AGENT = "WorkforceTracker-Webhooks/1.0"

Status = WebhookDelivery.Status


def delay_after(attempts: int) -> int:
    """Seconds before the next try, after ``attempts`` failed tries (60, 120, ... 3600)."""
    return min(FIRST_DELAY * 2 ** (attempts - 1), MAX_DELAY)


def body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes POSTed (and signed): the same on every try."""
    return json.dumps({"id": delivery.pk, **delivery.payload}, separators=(",", ":"),
                      sort_keys=False, default=str).encode()


def signature(secret: str, data: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def headers(delivery: WebhookDelivery, data: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Tracker-Event": delivery.kind,
        "X-Tracker-Delivery": str(delivery.pk),
        "X-Tracker-Signature": signature(delivery.webhook.secret, data),
    }


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address checked, not to whatever the name resolves to now."""

    def __init__(self, target: addresses.Target, *, connect: float, read: float):
        super().__init__(target.host, target.port, timeout=connect)
        self._ip, self._read = target.ip, read

    def connect(self):
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock.settimeout(self._read)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the address checked; the certificate is checked against the host name."""

    def __init__(self, target: addresses.Target, *, connect: float, read: float):
        super().__init__(target.host, target.port, timeout=connect)
        self._ip, self._read = target.ip, read

    def connect(self):
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        sock.settimeout(self._read)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: addresses.Target, data: bytes, head: dict[str, str]) -> tuple[int, str, str]:
    """POST ``data``; returns (status, the answer's first characters, Location header)."""
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = kind(target, connect=settings.WEBHOOK_CONNECT_TIMEOUT,
                read=settings.WEBHOOK_READ_TIMEOUT)
    try:
        conn.request("POST", target.path, body=data, headers=head)
        response = conn.getresponse()
        excerpt = response.read(EXCERPT).decode("utf-8", "replace")
        return response.status, excerpt, response.getheader("Location") or ""
    finally:
        conn.close()


def _try(delivery: WebhookDelivery) -> tuple[bool, int | None, str, str]:
    """One try: (ok, status code, error in words, the answer's first characters)."""
    data = body(delivery)
    try:
        target = addresses.check(delivery.webhook.url)
        status, excerpt, location = post(target, data, headers(delivery, data))
    except addresses.AddressRefused as exc:
        return False, None, f"Not sent: {exc.message}", ""
    except TimeoutError:
        return False, None, "No answer in time (the connection or the answer timed out).", ""
    except ConnectionRefusedError:
        return False, None, "The receiver refused the connection.", ""
    except (OSError, http.client.HTTPException) as exc:
        return False, None, f"Could not deliver: {exc.__class__.__name__}: {exc}"[:500], ""
    if 200 <= status < 300:
        return True, status, "", excerpt
    if 300 <= status < 400:
        where = f" (to {location[:200]})" if location else ""
        return False, status, f"Redirect not followed{where}.", excerpt
    return False, status, f"The receiver answered {status}.", excerpt


def _disable(webhook: Webhook, now: datetime.datetime) -> None:
    """Turn the webhook off, cancel what waits for it and tell its owner, once."""
    turned_off = Webhook.objects.filter(pk=webhook.pk, active=True).update(
        active=False, disabled_at=now)
    if not turned_off:
        return
    WebhookDelivery.objects.filter(webhook=webhook, status=Status.WAITING).update(
        status=Status.CANCELLED, next_attempt_at=None)
    programme = webhook.programme
    events.publish(
        "webhook.disabled", programme=programme, subject_type="webhook",
        subject_id=webhook.pk, data={"id": webhook.pk, "url": webhook.url},
        notices=[Notice(
            kind="webhook_disabled", recipients=[webhook.owner_id],
            message=(f"Your webhook to {webhook.url} in {programme.name} was turned off "
                     f"after {DISABLE_AFTER} failed tries in a row. Check the receiver, "
                     "then turn the webhook back on."),
            link=reverse("web:webhook-deliveries", args=[webhook.pk]),
        )],
    )
    log.warning("webhook %s turned off after %s failures in a row", webhook.pk, DISABLE_AFTER)


def send_one(delivery: WebhookDelivery, *, now: datetime.datetime | None = None) -> bool:
    """Try a claimed delivery once and record the answer; True when it was sent."""
    webhook = delivery.webhook
    if not webhook.active:
        delivery.status, delivery.next_attempt_at = Status.CANCELLED, None
        delivery.save(update_fields=["status", "next_attempt_at"])
        return False
    started = time.monotonic()
    ok, code, error, excerpt = _try(delivery)
    now = now or timezone.now()
    delivery.attempts += 1
    WebhookAttempt.objects.create(
        delivery=delivery, number=delivery.attempts, at=now, ok=ok, status_code=code,
        error=error, response_excerpt=excerpt,
        duration_ms=int((time.monotonic() - started) * 1000))
    delivery.last_status_code, delivery.last_error = code, error
    delivery.response_excerpt = excerpt
    if ok:
        delivery.status, delivery.sent_at, delivery.next_attempt_at = Status.SENT, now, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = Status.FAILED, None
    else:
        delivery.next_attempt_at = now + datetime.timedelta(seconds=delay_after(
            delivery.attempts))
    delivery.save()
    if ok:
        Webhook.objects.filter(pk=webhook.pk).update(failures_in_a_row=0)
        return True
    Webhook.objects.filter(pk=webhook.pk).update(failures_in_a_row=F("failures_in_a_row") + 1)
    webhook.refresh_from_db(fields=["failures_in_a_row", "active"])
    if webhook.failures_in_a_row >= DISABLE_AFTER:
        _disable(webhook, now)
    return False


def _due(now: datetime.datetime):
    return WebhookDelivery.objects.filter(status=Status.WAITING, next_attempt_at__lte=now)


def send_due(*, limit: int = BATCH) -> int:
    """Send up to ``limit`` due deliveries, one transaction each; returns how many tried."""
    tried = 0
    while tried < limit:
        with transaction.atomic():
            delivery = (
                _due(timezone.now())
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("webhook", "webhook__programme")
                .order_by("next_attempt_at", "id")
                .first()
            )
            if delivery is None:
                break
            send_one(delivery)
        tried += 1
    return tried


def waiting_now() -> bool:
    return _due(timezone.now()).exists()
