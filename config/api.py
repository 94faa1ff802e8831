"""Pieces every API of the project shares: pagination and the error mapping."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from programmes.errors import DomainError

log = logging.getLogger("tracker.api")


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class SafeJSONParser(JSONParser):
    """JSON bodies nested too deeply to parse are bad input, not a server fault."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None


def _validation_body(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if name == "__all__" else name): [m for e in errs for m in e.messages]
            for name, errs in error.error_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    """Map domain and model errors to 4xx answers; everything else as DRF does."""
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body[exc.field] = [exc.message]
        return Response(body, status=exc.status_code)
    if isinstance(exc, SuspiciousOperation):
        # Too many fields, or a body over the size limit: say so in JSON.
        logging.getLogger("django.security").warning("refused request body: %s", exc)
        exc = exceptions.ParseError(str(exc))
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        # A constraint refused a write that raced with another one: a conflict,
        # not a server fault. The transaction was rolled back, nothing changed.
        log.info("integrity conflict: %s", exc)
        return Response(
            {"detail": "This change conflicts with another record.", "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, (DjangoPermissionDenied, exceptions.PermissionDenied)):
        request = context.get("request")
        log.warning(
            "refused: user=%s %s %s",
            getattr(getattr(request, "user", None), "pk", None),
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
        )
    return drf_exception_handler(exc, context)
