"""Issuing and ending API tokens and web sessions.

Each function is the one way the API and the pages make that change. A user ends only
their own tokens and sessions, and only a signed-in, active user gets or changes any.
"""

import logging
from importlib import import_module

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import ApiToken, SignedInSession

log = logging.getLogger("tracker.security")


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


SIGNED_IN_REFUSED = "Sign in with an active account to do this."


def _require_signed_in(actor) -> None:
    """The person acting is a real, active account (not anonymous, not switched off)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied(SIGNED_IN_REFUSED)


def _end_sessions(keys: list[str]) -> int:
    """Delete these web sessions from the session store; how many still existed."""
    store = _session_store()()
    ended = 0
    for key in keys:
        if store.exists(key):
            store.delete(key)
            ended += 1
    return ended


@transaction.atomic
def token_issue(*, actor: AbstractBaseUser) -> tuple[ApiToken, str]:
    """A new API token for ``actor``, and the token itself (only its digest is kept).

    The user's tokens that have expired or that were made before a password change are
    removed at the same time, so the table holds only tokens that still work.
    """
    _require_signed_in(actor)
    user = actor
    fingerprint = user.get_session_auth_hash()
    ApiToken.objects.filter(user=user).filter(
        Q(expiry__lte=timezone.now()) | ~Q(password_fingerprint=fingerprint)
    ).delete()
    token, key = ApiToken.objects.create(user, password_fingerprint=fingerprint)
    log.info("API token issued: user=%s token=%s… expires %s", user.pk, token.token_key,
             token.expiry.isoformat() if token.expiry else "never")
    return token, key


def token_revoke(*, actor: AbstractBaseUser, token: ApiToken) -> None:
    """End one token of ``actor`` (the one a client signed its request with)."""
    _require_signed_in(actor)
    if token.user_id != actor.pk:
        raise PermissionDenied("A token can only be revoked by its own user.")
    token.delete()
    log.info("API token revoked: user=%s token=%s…", actor.pk, token.token_key)


@transaction.atomic
def sign_out_everywhere(*, actor: AbstractBaseUser) -> dict[str, int]:
    """End every API token and every web session of ``actor``, this one included."""
    _require_signed_in(actor)
    tokens, _ = ApiToken.objects.filter(user=actor).delete()
    records = SignedInSession.objects.filter(user=actor)
    sessions = _end_sessions(list(records.values_list("session_key", flat=True)))
    records.delete()
    log.warning("signed out everywhere: user=%s tokens=%d sessions=%d", actor.pk, tokens,
                sessions)
    return {"tokens_ended": tokens, "sessions_ended": sessions}


@transaction.atomic
def password_changed(*, actor: AbstractBaseUser,
                     current_session_key: str | None) -> dict[str, int]:
    """After ``actor`` changed their password: end their tokens and their other sessions.

    Called by the password-change page once the new password is saved and the current
    session carries the new session hash. Django already refuses the other sessions
    (their hash no longer matches) and a token checks its ``password_fingerprint``; this
    removes them at once, whichever way the password was changed.
    """
    _require_signed_in(actor)
    user = actor
    tokens, _ = ApiToken.objects.filter(user=user).delete()
    others = SignedInSession.objects.filter(user=user).exclude(session_key=current_session_key)
    sessions = _end_sessions(list(others.values_list("session_key", flat=True)))
    others.delete()
    if current_session_key:
        SignedInSession.objects.update_or_create(
            session_key=current_session_key, defaults={"user": user})
    log.warning("password changed: user=%s tokens ended=%d other sessions ended=%d",
                user.pk, tokens, sessions)
    return {"tokens_ended": tokens, "sessions_ended": sessions}


def session_record(*, actor: AbstractBaseUser, session_key: str) -> None:
    """Note that ``actor`` signed in on this web session; forget their sessions that have
    passed the absolute lifetime (they cannot be alive any more)."""
    _require_signed_in(actor)
    user = actor
    now = timezone.now()
    SignedInSession.objects.filter(
        user=user, signed_in_at__lt=now - settings.SESSION_MAX_AGE).delete()
    SignedInSession.objects.update_or_create(
        session_key=session_key, defaults={"user": user, "signed_in_at": now})


def session_forget(*, session_key: str | None) -> None:
    """The session was ended by signing out."""
    if session_key:
        SignedInSession.objects.filter(session_key=session_key).delete()
