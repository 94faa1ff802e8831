"""The API's sign-in: ask for a token, revoke it, and sign out everywhere."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.security import lockout_response

from . import services
from .authentication import TokenAuthentication
from .models import ApiToken

WRONG_DETAILS = "The username or password is not right. Check them and try again."


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField(
        help_text="When the token stops working; ask for a new one before then.")


class LockedOutSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    locked_until = serializers.DateTimeField()
    retry_after = serializers.IntegerField(help_text="Seconds until the lock-out ends.")


LOCKED = OpenApiResponse(
    response=LockedOutSerializer,
    description="Too many wrong passwords for this account or from this address: `detail` "
                "says when to try again (also in `Retry-After`).")


class SignedOutSerializer(serializers.Serializer):
    tokens_ended = serializers.IntegerField()
    sessions_ended = serializers.IntegerField()


class TokenView(APIView):
    """``POST``: exchange a username and password for an API token that expires.
    ``DELETE``: revoke the token this request is signed with."""

    def get_authenticators(self):
        # Asking for a token needs no credentials; an out-of-date token in the header
        # must not stop a client from getting a new one.
        if getattr(self.request, "method", None) == "POST":
            return []
        return [TokenAuthentication()]

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(request=TokenRequestSerializer,
                   responses={200: TokenSerializer, 429: LOCKED}, auth=[])
    def post(self, request):
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        credentials = {"username": body.validated_data["username"],
                       "password": body.validated_data["password"]}
        # The request goes to authenticate() so that django-axes counts the failure and
        # refuses a locked-out account or address before the password is checked.
        user = authenticate(request, **credentials)
        if user is None:
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request, credentials=credentials)
            raise ValidationError({"non_field_errors": [WRONG_DETAILS]})
        token, key = services.token_issue(actor=user)
        return Response(TokenSerializer({"token": key, "expires_at": token.expiry}).data)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Revoked.")})
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):  # signed in some other way
            raise ValidationError({"non_field_errors": [
                "Send the token to revoke in the Authorization header: Token <token>."]})
        services.token_revoke(actor=request.user, token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignOutEverywhereView(APIView):
    """End every API token and web session of the signed-in user, this one included."""

    @extend_schema(request=None, responses={200: SignedOutSerializer})
    def post(self, request):
        return Response(services.sign_out_everywhere(actor=request.user))
