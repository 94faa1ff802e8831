"""``GET /api/v1/programmes/{id}/highlight-report/`` and ``.../joint-commissioning/``."""

from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from exchange.api import FileFormatMixin
from programmes import access
from programmes.models import Programme

from .. import documents, selectors
from . import serializers as s

NOT_FOUND = OpenApiResponse(description="Not found, or not in a programme you belong to.")


def _visible_programme(request, pk) -> Programme:
    access.forget_memberships(request.user)
    return get_object_or_404(Programme.objects.visible_to(request.user), pk=pk)


def _json_ready(value):
    """Money as text with two decimals, never a float."""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


class HighlightReportView(FileFormatMixin, APIView):
    """The programme's highlight report: JSON figures, an HTML page or a PDF file."""

    file_formats = {None: ("html", "pdf")}

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "html", "pdf"],
                                     description="html: a page to print; pdf: a file to send.")],
        responses={(200, "application/json"): OpenApiTypes.OBJECT,
                   (200, "text/html"): OpenApiTypes.STR,
                   (200, "application/pdf"): OpenApiTypes.BINARY, 404: NOT_FOUND},
    )
    def get(self, request, pk):
        programme = _visible_programme(request, pk)
        report = selectors.highlight_report(programme=programme)
        fmt = request.query_params.get(api_settings.URL_FORMAT_OVERRIDE)
        if fmt == "html":
            response = HttpResponse(documents.highlight_html(report),
                                    content_type="text/html; charset=utf-8")
        elif fmt == "pdf":
            response = HttpResponse(documents.highlight_pdf(report), content_type="application/pdf")
            response["Content-Disposition"] = (
                f'inline; filename="{documents.highlight_filename(report, "pdf")}"')
        else:
            return Response(_json_ready(report))
        response["Cache-Control"] = "private, no-store"
        return response


class JointCommissioningView(APIView):
    """Learning needs that two or more partners could meet together, with what they pool."""

    @extend_schema(responses={200: s.JointCommissioningSerializer, 404: NOT_FOUND})
    def get(self, request, pk):
        programme = _visible_programme(request, pk)
        proposals = selectors.joint_commissioning(programme=programme)
        return Response(s.JointCommissioningSerializer(
            {"programme": programme.pk, "proposals": proposals}).data)
