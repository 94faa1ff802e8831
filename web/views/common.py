"""Helpers shared by the page views: access in the same terms as the API."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from core.errors import DomainError
from exchange import importing, tabular
from exchange.api import file_response
from programmes import access
from programmes.models import Principle


def visible_or_404(model, user, **lookup):
    """An object the user may see, or a 404 (the API's rule, on the pages). The user's
    memberships are read first: the page's role checks and its header read them anyway,
    and the page's lists then filter by the programme ids themselves."""
    if user.is_authenticated and not user.is_staff:
        access.memberships_of(user)
    return get_object_or_404(model.objects.visible_to(user), **lookup)


def require(allowed: bool, message: str = "You do not have permission to do this.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def partner_choices(field, programme) -> None:
    """Fill a filter's partner drop-down with (id, name) pairs read in one ``values_list``.

    Hundreds of partners as model objects, one per option, cost more than the rest of a
    page. A model choice field still checks the chosen value against its queryset; an id
    filter's field (``core.api.filters``) reads nothing, and the page's queryset keeps
    its scope.
    """
    partners = programme.partners.order_by("name")
    if hasattr(field, "queryset"):
        field.queryset = partners
    # Read by the ``select_options`` template tag in place of the field's own choices.
    field.option_pairs = [("", ""), *partners.values_list("pk", "name")]


def principle_choices(field, programme) -> None:
    """A filter's principle drop-down: the programme's framework's principles, in order,
    labelled "1. Title" like ``Principle.__str__``, read as plain pairs."""
    principles = Principle.objects.filter(framework_id=programme.framework_id)
    if hasattr(field, "queryset"):
        field.queryset = principles
    field.option_pairs = [("", "")] + [
        (pk, f"{number}. {title}")
        for pk, number, title in principles.order_by("number").values_list(
            "pk", "number", "title")
    ]


_MARKER = 918_273_645


def address_of(name: str):
    """``reverse(name, args=[pk])`` for the many rows of a list: the address is reversed
    once and each id put in its place (``reverse`` costs tens of microseconds a call,
    a millisecond or more for a page of rows). For addresses with one ``<int:...>``."""
    before, marker, after = reverse(name, args=[_MARKER]).rpartition(str(_MARKER))
    if not marker:
        raise ValueError(f"{name} does not take one number")
    return lambda pk: f"{before}{int(pk)}{after}"


def role_context(user, programme_id) -> dict:
    """What the templates need to show or hide buttons."""
    return {
        "role": access.role_in(user, programme_id),
        "is_manager": access.is_manager(user, programme_id),
        "my_partner_id": access.partner_in(user, programme_id),
    }


# Downloads: the rows of a list page as a CSV or XLSX file -------------------------------

DOWNLOAD_PARAMETER = "download"


def download_format(request) -> str | None:
    """``csv`` or ``xlsx`` when the page is asked for as a file (``?download=csv``)."""
    fmt = request.GET.get(DOWNLOAD_PARAMETER)
    return fmt if fmt in tabular.FORMATS else None


def page_query(request, **defaults) -> str:
    """The page's filters as a query string, without the page number or the download."""
    query = request.GET.copy()
    for name, value in defaults.items():
        query.setdefault(name, value)
    query.pop("page", None)
    query.pop(DOWNLOAD_PARAMETER, None)
    return query.urlencode()


def download(fmt: str, *, columns, rows, name: str, count=None):
    """The file of ``rows`` through the API's own export code (``exchange``); an XLSX
    too large to build is a 400 page that says to filter or take CSV."""
    try:
        return file_response(fmt, columns, rows, name=name, count=count)
    except importing.FileRefused as exc:
        return HttpResponse(exc.message, status=400,
                            content_type="text/plain; charset=utf-8")


# Forms: a service's refusal shown on the form -------------------------------------------


def attempt(form, write):
    """Run a service write; put a refusal on the form instead. Returns the result or None."""
    try:
        return write()
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error.messages)
        else:
            form.add_error(None, exc.messages)
    return None


def invalid(request, template, context):
    return render(request, template, context, status=400)
