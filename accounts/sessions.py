"""Web sessions that end: after a spell of inactivity and after an absolute lifetime.

Django's session expiry gives the idle timeout: a session expires ``SESSION_COOKIE_AGE``
seconds after it was last saved. Saving it on every request
(``SESSION_SAVE_EVERY_REQUEST``) would write the session row on every page; the
middleware here saves it at most once a minute (``SESSION_REFRESH_SECONDS``), which
moves the expiry on just the same, and signs the user out once ``SESSION_MAX_AGE`` has
passed since they signed in, however active they were.
"""

import logging
import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from . import services

log = logging.getLogger("tracker.security")

SIGNED_IN_AT = "tracker_signed_in_at"
LAST_SEEN = "tracker_last_seen"


@receiver(user_logged_in, dispatch_uid="accounts.sessions.signed_in")
def _signed_in(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    now = time.time()
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now
    if session.session_key is None:
        session.save()
    services.session_record(actor=user, session_key=session.session_key)


@receiver(user_logged_out, dispatch_uid="accounts.sessions.signed_out")
def _signed_out(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    services.session_forget(session_key=getattr(session, "session_key", None))


class SessionLifetimeMiddleware:
    """Signs out a session older than ``SESSION_MAX_AGE``; keeps an active one alive."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if session.get(SESSION_KEY) is not None:
            now = time.time()
            started = session.setdefault(SIGNED_IN_AT, now)  # a session from before this
            if now - started > settings.SESSION_MAX_AGE.total_seconds():
                log.info("session ended after its absolute lifetime: user=%s",
                         session.get(SESSION_KEY))
                logout(request)
            elif now - session.get(LAST_SEEN, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[LAST_SEEN] = now  # saved at the end: a new expiry from now
        return self.get_response(request)
