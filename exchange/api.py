"""``?format=csv|xlsx`` on list endpoints, and ``POST <collection>/import/``.

A viewset mixes in :class:`ExportMixin` and names its ``export_columns``; the file
has the rows the list would show with the same filters, search and ordering (all
pages), and only rows the user may see, since it starts from the view's own
queryset, read as plain values (``tabular.cells``). Both formats are built whole in a
temporary file before the answer starts, and sent with their ``Content-Length``: a row
that fails is an error, never a 200, and a file cut off on the way (a worker killed, a
connection dropped) is shorter than it says, which every client notices
(docs/decisions.md, "Exports that are whole or refused"). They are bounded by
``EXPORT_CSV_MAX_ROWS`` and ``EXPORT_XLSX_MAX_ROWS``, which the server's timeout
(gunicorn.conf.py) leaves time for.

:class:`ImportMixin` adds ``POST <collection>/import/`` (multipart: ``file``,
``programme``, ``dry_run``) and hands the rows to the viewset's ``import_sheet``.
"""

from django.conf import settings
from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from . import importing, tabular

FORMAT_PARAMETER = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["json", "csv", "xlsx"],
    description="csv or xlsx: the whole filtered list as a file (every page).",
)


def requested_format(view, request, formats=tabular.FORMATS) -> str | None:
    """The file format asked for with ``?format=`` (or a ``.csv`` suffix), if it is one of
    ``formats``."""
    fmt = request.query_params.get(api_settings.URL_FORMAT_OVERRIDE) or view.kwargs.get("format")
    return fmt if fmt in formats else None


def file_response(fmt: str, columns: list[tabular.Column], rows, *, name: str, count=None):
    """The whole file of ``rows`` (a queryset is read as plain values), built in a
    temporary file before anything is sent, with its length; more rows than the
    format's limit (``count``, a function) are refused."""
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == tabular.CSV:
        limit, other = settings.EXPORT_CSV_MAX_ROWS, "narrow the list with filters"
    else:
        limit, other = settings.EXPORT_XLSX_MAX_ROWS, (
            "narrow the list with filters or export it as CSV")
    if count is not None and count() > limit:
        raise importing.FileRefused(
            f"{'A CSV' if fmt == tabular.CSV else 'An XLSX'} file holds up to {limit} rows "
            f"here; {other}.", field="format")
    if fmt == tabular.CSV:
        content = tabular.csv_file(columns, rows)
    else:
        content = tabular.xlsx_file(columns, rows, title=name)
    # FileResponse sets Content-Length from the file's size.
    response = FileResponse(content, as_attachment=True, filename=filename,
                            content_type=tabular.CONTENT_TYPES[fmt])
    response["Cache-Control"] = "private, no-store"
    return response


def import_upload(sheet, *, user, programme_id: int, upload, dry_run: bool) -> importing.Report:
    """Check (and unless ``dry_run``, write) every row of an uploaded file with ``sheet``.

    The one import path of the API and the pages. A file that cannot be read, lacks a
    required column or has no rows is an ``importing.FileRefused`` on ``file``; the sheet's
    ``prepare`` refuses a programme the user cannot see (``programme``) or may not
    import into (``PermissionDenied``).
    """
    context = sheet.prepare(user=user, programme_id=programme_id)
    try:
        table = tabular.read_table(
            upload, max_rows=settings.IMPORT_MAX_ROWS, max_bytes=settings.IMPORT_MAX_BYTES)
    except tabular.BadFile as exc:
        raise importing.FileRefused(str(exc), field="file") from None
    missing = [h for h in sheet.required_headers if tabular._norm(h) not in
               {tabular._norm(x) for x in table.headers}]
    if missing:
        raise importing.FileRefused(
            "The file has no column " + ", ".join(f"\u201c{h}\u201d" for h in missing)
            + ". Start from an export of this list to get the columns right.", field="file")
    if not table.rows:
        raise importing.FileRefused("The file has headers but no rows.", field="file")
    if hasattr(sheet, "write_rows"):
        # The sheet checks each row with what the whole file needs, read once, and writes
        # all rows together (exchange.importing explains the two ways).
        sheet.preload(context, table)
        handle, write = (lambda row: sheet.check_row(context, row),
                         lambda objs: sheet.write_rows(context, objs))
    else:
        handle, write = lambda row: sheet.import_row(context, row), None
    try:
        return importing.run(table, handle, dry_run=dry_run, expected=sheet.errors,
                             field_headers=sheet.field_headers, write=write)
    except importing.WriteRefused as exc:
        raise importing.FileRefused(str(exc), field="file") from None


# Mixins keep their notes in comments: a docstring would become the API description of
# every view that mixes them in.


class FileFormatMixin:
    # Views that answer some ``?format=`` values with a file they build themselves.
    # Content negotiation settles on JSON for those formats, so errors (400, 403, 404)
    # still come back as JSON; the view returns the file itself when all is well.

    file_formats: dict[str, tuple[str, ...]] = {}  # action name -> formats it builds

    def perform_content_negotiation(self, request, force=False):
        formats = self.file_formats.get(getattr(self, "action", None), ())
        if requested_format(self, request, formats) is not None:
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)


class ExportMixin(FileFormatMixin):
    export_columns: list[tabular.Column] = []
    export_name = "export"
    export_select_related: tuple[str, ...] = ()
    export_prefetch_related: tuple[str, ...] = ()
    file_formats = {"list": tabular.FORMATS}

    @extend_schema(parameters=[FORMAT_PARAMETER])
    def list(self, request, *args, **kwargs):
        fmt = requested_format(self, request)
        if fmt is None:
            return super().list(request, *args, **kwargs)
        # ``format`` chose the file; it is not a filter (training offers have a filter of
        # that name, for the offer's format).
        query = request._request.GET.copy()
        query.pop(api_settings.URL_FORMAT_OVERRIDE, None)
        request._request.GET = query
        queryset = self.filter_queryset(self.get_queryset())
        # Read as plain values when every column can be (the related objects below are
        # then not fetched), else as objects with them.
        if self.export_select_related:
            queryset = queryset.select_related(*self.export_select_related)
        if self.export_prefetch_related:
            queryset = queryset.prefetch_related(*self.export_prefetch_related)
        return file_response(fmt, self.export_columns, queryset,
                             name=self.export_name, count=queryset.count)


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or XLSX, with the columns of the export.")
    programme = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    dry_run = serializers.BooleanField(
        default=False, help_text="Check every row and report, changing nothing.")


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        help_text="The row number in the spreadsheet (headers are row 1).")
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    valid = serializers.BooleanField()
    committed = serializers.BooleanField()
    rows = serializers.IntegerField()
    imported = serializers.IntegerField()
    ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="Every row's record, in the file's order.")
    created = serializers.IntegerField(help_text="Rows that add a new record.")
    updated = serializers.IntegerField(
        help_text="Rows with the ID of a record already there that change it.")
    unchanged = serializers.IntegerField(
        help_text="Rows with the ID of a record already there that change nothing.")
    errors = ProblemSerializer(many=True)
    warnings = ProblemSerializer(many=True)


class ImportRequestErrorsSerializer(serializers.Serializer):
    """A 400 before any row is read: a message per field of the request (and, for a file
    refused as a whole, the same sentence as ``detail``)."""

    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    file = serializers.ListField(child=serializers.CharField(), required=False)
    programme = serializers.ListField(child=serializers.CharField(), required=False)
    dry_run = serializers.ListField(child=serializers.CharField(), required=False)


IMPORT_REFUSAL = PolymorphicProxySerializer(
    component_name="ImportRefusal",
    serializers=[ImportReportSerializer, ImportRequestErrorsSerializer],
    resource_type_field_name=None,
)


class ImportMixin:
    # ``POST <collection>/import/``: a dry run, or an all-or-nothing import.
    #
    # ``import_sheet`` is the domain's sheet: ``prepare(user=, programme_id=)`` finds the
    # programme and checks the role (a programme the user cannot see is a 400 on the
    # ``programme`` field, a role that may not import a 403); ``import_row(context, row)``
    # writes one row through the domain's services; ``errors`` are the domain's error
    # classes; ``field_headers`` map model fields to columns.

    import_sheet = None

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: ImportReportSerializer, 201: ImportReportSerializer,
            400: OpenApiResponse(IMPORT_REFUSAL,
                                 description="Bad file, or rows with errors: nothing changed."),
            403: OpenApiResponse(description="Only the programme's managers import."),
        },
    )
    @action(detail=False, methods=["post"], url_path="import", pagination_class=None,
            filter_backends=[], parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request, *args, **kwargs):
        """Add or change rows from a CSV or XLSX file with the export's columns (managers).

        A row with the `ID` of a record of this programme changes that record; a row
        without one (or from another programme's export) adds a new one."""
        body = ImportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = import_upload(
            self.import_sheet, user=request.user, programme_id=body.validated_data["programme"],
            upload=body.validated_data["file"], dry_run=body.validated_data["dry_run"],
        )
        if report.committed:
            code = status.HTTP_201_CREATED
        elif report.dry_run:
            code = status.HTTP_200_OK
        else:
            code = status.HTTP_400_BAD_REQUEST
        return Response(report.as_dict(), status=code)
