"""``Authorization: Token <token>`` for the API, with tokens that end."""

from hmac import compare_digest

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework.exceptions import AuthenticationFailed

from .models import ApiToken

NEW_TOKEN = "Ask for a new one with POST /api/v1/auth/token/."


class TokenAuthentication(KnoxTokenAuthentication):
    """django-rest-knox's token check, looking up one token by its first characters.

    A token is refused once it has expired, once its user's password has changed, when
    it was revoked (deleted) and when the user is switched off. An expired or outdated
    token is deleted when it is next shown; the user's other tokens are left alone, so
    that a request costs one query.
    """

    def authenticate_credentials(self, token):
        text = token.decode("utf-8", errors="replace")
        digest = hash_token(text)
        candidates = ApiToken.objects.filter(
            token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH]).select_related("user")
        for candidate in candidates:
            if not compare_digest(digest, candidate.digest):
                continue
            user = candidate.user
            if candidate.expiry is not None and candidate.expiry <= timezone.now():
                candidate.delete()
                raise AuthenticationFailed(f"This token has expired. {NEW_TOKEN}")
            if not compare_digest(candidate.password_fingerprint, user.get_session_auth_hash()):
                candidate.delete()
                raise AuthenticationFailed(
                    f"This token ended when the account's password was changed. {NEW_TOKEN}")
            if not user.is_active:
                raise AuthenticationFailed("This account is switched off.")
            return user, candidate
        raise AuthenticationFailed(
            f"This token is not valid: it may have been revoked or mistyped. {NEW_TOKEN}")


class TokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme of these tokens (as for DRF's own token class)."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization",
                                                   token_prefix="Token")
