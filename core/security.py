"""Security pieces shared by the API and the pages: the client's address, the write
throttle, the lock-out after too many wrong passwords, and a log line for every failed
sign-in and every lock-out (web form, admin or API token), for the security team.

Failed sign-ins are counted by django-axes (settings ``AXES_*``) in the database, which
every server process shares, per account and per address.
"""

import ipaddress
import logging
import math
from datetime import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Sum
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework.throttling import UserRateThrottle

log = logging.getLogger("tracker.security")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class WriteRateThrottle(UserRateThrottle):
    """Caps each user's writes (POST, PUT, PATCH, DELETE); reads are not counted.

    The rate is ``WRITE_THROTTLE_RATE`` (scope ``write``); anonymous writes are keyed
    by address (``REMOTE_ADDR``, or through ``NUM_PROXIES`` trusted proxies, as
    :func:`client_ip`). Counters live in the default (per-process, in-memory) cache, so
    with several server processes each counts on its own.
    """

    scope = "write"

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


def client_ip(request) -> str | None:
    """The address a request came from, as sign-in limiting and the logs see it.

    ``REMOTE_ADDR``, unless ``NUM_PROXIES`` says that many proxies of ours stand in
    front: then the address the outermost of them saw, counted from the right of
    ``X-Forwarded-For`` (each proxy appends the address it was reached from). Entries a
    client wrote itself sit further left and are never used. This is the rule DRF's
    throttles follow with the same ``NUM_PROXIES``.
    """
    if request is None:
        return None
    meta = request.META
    remote = meta.get("REMOTE_ADDR") or None
    proxies = settings.NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if proxies <= 0 or not hops:
        return remote
    candidate = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_address(request) -> str:
    return client_ip(request) or "?"


# Lock-out after too many wrong passwords ----------------------------------------------


def lockout_ends_at(request, credentials=None) -> datetime:
    """When the lock-out that refused this request ends.

    The latest counted failure of each locked key (the account, or the address) plus the
    cool-off. Failures made while locked are not counted (``AXES_RESET_COOL_OFF_ON_
    FAILURE_DURING_LOCKOUT`` is off), so this time does not move.
    """
    cool_off = get_cool_off(request)
    limit = get_failure_limit(request, credentials)
    handler = AxesProxyHandler.get_implementation()
    AxesProxyHandler.update_request(request)
    ends = []
    for attempts in handler.get_user_attempts(request, credentials):
        counted = attempts.aggregate(total=Sum("failures_since_start"), last=Max("attempt_time"))
        if (counted["total"] or 0) >= limit and counted["last"] is not None:
            ends.append(counted["last"] + cool_off)
    return max(ends, default=timezone.now() + cool_off)


def _clock(moment: datetime) -> str:
    """2:35pm on 1 December 2026, in the service's time zone."""
    local = timezone.localtime(moment)
    hour = local.hour % 12 or 12
    half = "am" if local.hour < 12 else "pm"
    return f"{hour}:{local.minute:02d}{half} on {local.day} {local:%B %Y}"


def lockout_message(ends_at: datetime) -> str:
    return (
        "Signing in is paused for this account, or from your network, because the password "
        f"was wrong too many times in a row. You can try again after {_clock(ends_at)} "
        "(UK time). If you have forgotten your password, ask your programme manager or the "
        "service's administrator to set a new one. If these attempts were not yours, tell "
        "them: someone may be trying to guess the password."
    )


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a sign-in refused by the lock-out (django-axes' lockout callable):
    JSON under ``/api/``, otherwise a page of the service; 429 with ``Retry-After``."""
    ends_at = lockout_ends_at(request, credentials)
    retry_after = max(1, math.ceil((ends_at - timezone.now()).total_seconds()))
    message = lockout_message(ends_at)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": message, "code": "locked_out", "locked_until": ends_at.isoformat(),
             "retry_after": retry_after},
            status=429,
        )
    else:
        response = render(
            request, "web/locked_out.html",
            {"until": _clock(ends_at)}, status=429,
        )
    response["Retry-After"] = str(retry_after)
    return response


# Log lines ---------------------------------------------------------------------------


@receiver(user_login_failed, dispatch_uid="tracker.security.login_failed")
def log_failed_login(sender, credentials, request=None, **kwargs):
    """One warning per failed sign-in: the username tried and the address, never a password."""
    log.warning(
        "failed sign-in: username=%r from %s %s",
        (credentials or {}).get("username", ""),
        client_address(request),
        getattr(request, "path", "?"),
    )


@receiver(user_locked_out, dispatch_uid="tracker.security.locked_out")
def log_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    """One warning per sign-in refused by the lock-out, with the username and address."""
    log.warning(
        "sign-in locked out: username=%r from %s %s (after %s failures in %s)",
        username or "",
        ip_address or "?",
        getattr(request, "path", "?"),
        settings.AXES_FAILURE_LIMIT,
        settings.AXES_COOLOFF_TIME,
    )
