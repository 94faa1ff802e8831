"""API tokens that end, and the record of who is signed in on which web session."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from knox.models import AbstractAuthToken


class ApiToken(AbstractAuthToken):
    """A token for ``Authorization: Token <token>``.

    django-rest-knox keeps only a digest of the token, so a copy of the database gives
    no working tokens. A token ends at ``expiry``, when it is revoked (deleted), and when
    its user's password changes: ``password_fingerprint`` is the user's session hash
    (an HMAC of the password hash) when the token was made, checked on every use.
    """

    password_fingerprint = models.CharField(max_length=128, editable=False)

    class Meta:
        verbose_name = "API token"
        indexes = [models.Index(fields=["expiry"], name="accounts_apitoken_expiry")]

    def __str__(self) -> str:
        return f"API token of {self.user} ({self.token_key}…)"


class SignedInSession(models.Model):
    """A web session a user signed in on, so that "sign out everywhere" can find it.

    Django's session table does not say whose each session is without decoding every
    row; this small table does, written at sign-in.
    """

    session_key = models.CharField(max_length=40, primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    signed_in_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"session of {self.user} since {self.signed_in_at:%Y-%m-%d %H:%M}"
