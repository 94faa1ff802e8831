"""Security pieces shared by the API and the pages: the write throttle, and a log line
for every failed sign-in (web form, admin or API token), for the security team."""

import logging

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from rest_framework.throttling import UserRateThrottle

log = logging.getLogger("tracker.security")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class WriteRateThrottle(UserRateThrottle):
    """Caps each user's writes (POST, PUT, PATCH, DELETE); reads are not counted.

    The rate is ``WRITE_THROTTLE_RATE`` (scope ``write``); anonymous writes are keyed
    by address. Counters live in the default (per-process, in-memory) cache, so with
    several server processes each counts on its own.
    """

    scope = "write"

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


def client_address(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "?") if request is not None else "?"


@receiver(user_login_failed, dispatch_uid="tracker.security.login_failed")
def log_failed_login(sender, credentials, request=None, **kwargs):
    """One warning per failed sign-in: the username tried and the address, never a password."""
    log.warning(
        "failed sign-in: username=%r from %s %s",
        (credentials or {}).get("username", ""),
        client_address(request),
        getattr(request, "path", "?"),
    )
