"""``GET /api/v1/programmes/{id}/highlight-report/``, ``.../joint-commissioning/`` and
``.../successes/``."""

from decimal import Decimal

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from actions.api import serializers as action_serializers
from actions.models import Action
from exchange.api import FileFormatMixin
from learning.api import serializers as learning_serializers
from learning.models import FundingAllocation, LearningNeed, Placement
from programmes import access
from programmes.api import serializers as programme_serializers
from programmes.models import Gap, Programme

from .. import documents, selectors, successes
from . import serializers as s

NOT_FOUND = OpenApiResponse(description="Not found, or not in a programme you belong to.")
BAD_INPUT = OpenApiResponse(description="Bad input: a message per field.")


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
            response = HttpResponse(documents.highlight_html(report, request=request),
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


class SuccessesView(APIView):
    """Successes to celebrate in a period: gaps closed, actions done and learning needs
    met, by partner (with the items) and by principle."""

    @extend_schema(parameters=[s.SuccessesQuerySerializer],
                   responses={200: s.SuccessesSerializer, 400: BAD_INPUT, 404: NOT_FOUND})
    def get(self, request, pk):
        programme = _visible_programme(request, pk)
        query = s.SuccessesQuerySerializer(data=request.query_params,
                                           context={"programme": programme})
        query.is_valid(raise_exception=True)
        start, end = successes.default_period(timezone.localdate())
        end = query.validated_data.get("to", end)
        start = query.validated_data.get("from", successes.default_period(end)[0])
        if start > end:
            raise drf_serializers.ValidationError(
                {"from": "The first day must be on or before the last day."})
        found = successes.successes(programme=programme, start=start, end=end,
                                    partner_id=query.validated_data.get("partner"))
        return Response(s.SuccessesSerializer(found).data)


class GapLinksSerializer(drf_serializers.Serializer):
    gap = programme_serializers.GapSerializer()
    actions = action_serializers.ActionSerializer(many=True)
    learning_needs = learning_serializers.LearningNeedSerializer(many=True)
    placements = learning_serializers.PlacementSerializer(many=True)
    funding_allocations = learning_serializers.FundingAllocationSerializer(many=True)


class GapLinksView(APIView):
    """A gap with everything that works it off: its actions, its learning needs, their
    placements, and the funding allocated to either, as far as the user may see them."""

    @extend_schema(responses={200: GapLinksSerializer, 404: NOT_FOUND})
    def get(self, request, pk):
        user = request.user
        gap = get_object_or_404(
            Gap.objects.visible_to(user).select_related("partner", "checklist_item"), pk=pk)
        links = {
            "gap": gap,
            "actions": Action.objects.visible_to(user).filter(gap=gap)
            .select_related("owner", "owner_partner", "gap").order_by("due_date", "pk"),
            "learning_needs": LearningNeed.objects.visible_to(user).filter(gap=gap)
            .select_related("partner").order_by("needed_by", "pk"),
            "placements": Placement.objects.visible_to(user).filter(learning_need__gap=gap)
            .select_related("learning_need", "training_offer").order_by("pk"),
            "funding_allocations": FundingAllocation.objects.visible_to(user)
            .filter(Q(learning_need__gap=gap) | Q(action__gap=gap))
            .select_related("stream").order_by("pk"),
        }
        return Response(GapLinksSerializer(links, context={"request": request}).data)
