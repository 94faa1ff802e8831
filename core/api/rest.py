"""Pieces every API of the project shares: pagination and the error mapping."""

import logging

from django.core.exceptions import ObjectDoesNotExist, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.views import defaults
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, status
from rest_framework.metadata import SimpleMetadata
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core import integrity
from core.errors import DomainError

from .messages import plain_detail

log = logging.getLogger("tracker.api")


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _has_format_filter(view) -> bool:
    filterset = getattr(view, "filterset_class", None)
    return filterset is not None and "format" in filterset.base_filters


class Negotiation(DefaultContentNegotiation):
    """DRF's negotiation, except where a list has a filter named ``format``.

    DESIGN names a training offer filter ``format`` (``?format=workshop``), the word DRF
    reads to choose a renderer; DRF would answer 404 to a value no renderer has. On such
    a view that value chooses no renderer (the ``Accept`` header does) and is left to the
    filterset, which refuses a value it does not know with a 400. Elsewhere, and for a
    ``.json`` style suffix in the path, an unknown format is still a 404.
    """

    # One instance per request (DRF's APIView makes it), so the flag is not shared.
    _lenient = False

    def select_renderer(self, request, renderers, format_suffix=None):
        view = (getattr(request, "parser_context", None) or {}).get("view")
        self._lenient = not format_suffix and _has_format_filter(view)
        return super().select_renderer(request, renderers, format_suffix)

    def filter_renderers(self, renderers, format):
        if self._lenient and not any(r.format == format for r in renderers):
            return renderers
        return super().filter_renderers(renderers, format)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend; a ``?format=`` that chose a renderer is not a filter value."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        data = kwargs["data"]
        fmt = data.get(api_settings.URL_FORMAT_OVERRIDE)
        if fmt is not None and any(r.format == fmt for r in view.get_renderers()):
            data = data.copy()
            data.pop(api_settings.URL_FORMAT_OVERRIDE)
            kwargs["data"] = data
        return kwargs


class SafeJSONParser(JSONParser):
    """JSON bodies nested too deeply to parse are bad input, not a server fault."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                "JSON parse error - the body is nested too deeply."
            ) from None


def _validation_body(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if name == "__all__" else name): [
                m for e in errs for m in e.messages
            ]
            for name, errs in error.error_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    """Map domain and model errors to 4xx answers; everything else as DRF does."""
    if isinstance(exc, IntegrityError):
        # A constraint refused a write that raced with another one: the constraint's
        # own message, as its domain error. An IntegrityError no constraint explains is
        # a fault of the code: DRF re-raises it (None), Django logs it and answers 500.
        error = integrity.domain_error(exc)
        if error is None:
            return None
        log.info("constraint refused a write: %s", exc)
        exc = error
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code, **exc.extra()}
        if exc.field:
            body[exc.field] = [exc.message]
        return Response(body, status=exc.status_code)
    if isinstance(exc, SuspiciousOperation):
        # Too many fields, or a body over the size limit: say so in JSON.
        logging.getLogger("django.security").warning("refused request body: %s", exc)
        exc = exceptions.ParseError(str(exc))
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ObjectDoesNotExist):
        # A row the view had found was deleted by another request before the service
        # locked it: gone, not a server fault.
        log.info("gone while being changed: %s", exc)
        return Response(
            {"detail": "This record no longer exists; it may just have been deleted.",
             "code": "not_found"},
            status=status.HTTP_404_NOT_FOUND,
        )
    if isinstance(exc, exceptions.AuthenticationFailed):
        # A token that does not exist, or a disabled user's token.
        request = context.get("request")
        logging.getLogger("tracker.security").warning(
            "refused credentials: %s from %s %s %s",
            exc.detail,
            getattr(request, "META", {}).get("REMOTE_ADDR", "?"),
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
        )
    if isinstance(exc, (DjangoPermissionDenied, exceptions.PermissionDenied)):
        request = context.get("request")
        log.warning(
            "refused: user=%s %s %s",
            getattr(getattr(request, "user", None), "pk", None),
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)  # as DRF would, to reword it below
    if isinstance(exc, exceptions.APIException):
        plain_detail(exc)
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES (this module)
    # when it is first imported, so importing it at the top is circular.
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)


SERVER_ERROR_DETAIL = (
    "Something went wrong on our side. Try again in a few minutes; if it keeps "
    "happening, tell the service's administrators."
)


def server_error(request):
    """handler500: an API client gets JSON it can read, a person gets the service's page
    (templates/500.html, which Django renders with no request context or database).

    Django has already logged the exception (logger ``django.request``, with its
    traceback) before it calls this view; only the answer is chosen here.
    """
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": SERVER_ERROR_DETAIL, "code": "server_error"}, status=500)
    return defaults.server_error(request)


# OpenAPI: the error answers every operation can give -------------------------------

_ERROR_DESCRIPTIONS = {
    "400": "Bad input: a message per field, or in `detail`.",
    "401": "No credentials, or a token that is not valid.",
    "403": "Signed in, but this role may not do this here.",
    "404": "Not found, or not in a programme you belong to.",
    "409": "Conflicts with the object's state or with another record.",
    "429": "Too many requests; try again after the time in `Retry-After`.",
}
_ERROR_SCHEMA = {"type": "object", "additionalProperties": True}
_WRITE_METHODS = {"post", "put", "patch", "delete"}


def document_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the 4xx answers each operation can give.

    Every operation that needs a user answers 401 and 403; one with an ``{id}`` in its
    path, or a page number, answers 404; one with a body or query parameters answers
    400; every write can meet a conflict (409) and the write throttle (429). Answers
    an operation already documents are kept as they are.
    """
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            params = operation.get("parameters", [])
            codes = []
            if operation.get("requestBody") or any(p.get("in") == "query" for p in params):
                codes.append("400")
            if operation.get("security") != [{}]:
                codes += ["401", "403"]
            if "{" in path or any(p.get("name") == "page" for p in params):
                codes.append("404")  # no such object, or no such page of a list
            if method in _WRITE_METHODS:
                codes += ["409", "429"]
            for code in codes:
                responses.setdefault(code, {
                    "description": _ERROR_DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": _ERROR_SCHEMA}},
                })
    return result


class Metadata(SimpleMetadata):
    """OPTIONS answers; a collection-level PUT (like notifications/preferences/) has no
    object to describe, where DRF's own class would fail looking for one."""

    def determine_actions(self, request, view):
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
        if lookup and lookup not in getattr(view, "kwargs", {}) and "PUT" in view.allowed_methods:
            return {}
        return super().determine_actions(request, view)
