from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.base import VersionedMixin
from core.api.rows import ValuesListMixin
from exchange.api import (
    FORMAT_PARAMETER,
    ExportMixin,
    FileFormatMixin,
    ImportMixin,
    file_response,
    requested_format,
)
from exchange.tabular import FORMATS

from .. import access, compare, contributions, progress, selectors, services, sheets, snapshots
from ..filters import (
    AssessmentFilter,
    ChecklistItemFilter,
    ContributionFilter,
    CycleFilter,
    GapFilter,
    MembershipFilter,
    PartnerFilter,
    PrincipleFilter,
    ProgrammeFilter,
    ResponseFilter,
)
from ..models import ChecklistItem, Contribution, Framework, Principle
from . import compare as compare_api
from . import serializers as s
from .base import HistoryMixin, ScopedViewSet

ERRORS = {
    400: OpenApiResponse(description="Bad input: a message per field."),
    403: OpenApiResponse(description="You may see this but not change it."),
    404: OpenApiResponse(description="Not found, or not in a programme you belong to."),
    409: OpenApiResponse(description="The object's state does not allow this change."),
}


class FrameworkViewSet(viewsets.ReadOnlyModelViewSet):
    """Frameworks are reference data, loaded from the files the project ships."""

    queryset = Framework.objects.all()
    serializer_class = s.FrameworkSerializer
    search_fields = ["title", "slug"]


class PrincipleViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Principle.objects.all()
    serializer_class = s.PrincipleSerializer
    filterset_class = PrincipleFilter
    ordering_fields = ["number"]


class ChecklistItemViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ChecklistItem.objects.select_related("principle")
    serializer_class = s.ChecklistItemSerializer
    filterset_class = ChecklistItemFilter
    search_fields = ["text", "code"]


class PartnerViewSet(ImportMixin, ExportMixin, ScopedViewSet):
    serializer_class = s.PartnerSerializer
    export_columns, export_name = sheets.PARTNER_COLUMNS, "partners"
    import_sheet = sheets.PartnerSheet()
    filterset_class = PartnerFilter
    search_fields = ["name"]
    ordering_fields = ["name", "sector"]

    def check_create(self, data):
        pass  # partner_create / partner_update checks the role itself

    def check_change(self, instance):
        pass  # partner_create / partner_update checks the role itself

    def create_object(self, data):
        return services.partner_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.partner_update(actor=self.request.user, partner=instance, **data)

    def delete_object(self, instance):
        services.partner_delete(actor=self.request.user, partner=instance)


class ProgrammeViewSet(FileFormatMixin, ScopedViewSet):
    serializer_class = s.ProgrammeSerializer
    file_formats = {"progress": FORMATS}
    filterset_class = ProgrammeFilter
    prefetch_related = ("partners",)
    search_fields = ["name", "description"]
    ordering_fields = ["name", "start_date", "end_date"]

    def check_create(self, data):
        pass  # programme_create / programme_update checks the role itself

    def check_change(self, instance):
        pass  # programme_create / programme_update checks the role itself

    def create_object(self, data):
        return services.programme_create(actor=self.request.user, **data)

    @extend_schema(parameters=[s.ProgressQuerySerializer, FORMAT_PARAMETER],
                   responses={200: s.ProgressSerializer, 400: ERRORS[400], 404: ERRORS[404]})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def progress(self, request, pk=None):
        """Progress by principle, current to the last write (``?partner=`` for one partner)."""
        programme = self.get_object()
        query = s.ProgressQuerySerializer(data=request.query_params,
                                          context={"programme": programme})
        query.is_valid(raise_exception=True)
        partner = query.validated_data.get("partner")
        figures = progress.programme_progress(programme=programme, partner_id=partner)
        fmt = requested_format(self, request)
        if fmt is not None:
            return file_response(fmt, sheets.PROGRESS_COLUMNS, sheets.progress_rows(figures),
                                 name=f"progress-programme-{programme.pk}")
        return Response(s.ProgressSerializer(figures).data)

    @extend_schema(parameters=[s.ProgressHistoryQuerySerializer],
                   responses={200: s.SnapshotDaySerializer(many=True), 400: ERRORS[400],
                              404: ERRORS[404]})
    @action(detail=True, methods=["get"], url_path="progress/history", pagination_class=None,
            filter_backends=[])
    def progress_history(self, request, pk=None):
        """The nightly snapshots, oldest first: one entry a day with its principles and overall."""
        programme = self.get_object()
        query = s.ProgressHistoryQuerySerializer(data=request.query_params,
                                                 context={"programme": programme})
        query.is_valid(raise_exception=True)
        days: dict = {}
        for snap in snapshots.snapshot_history(programme=programme, **query.validated_data):
            day = days.setdefault(snap.date, {"date": snap.date, "principles": [], "overall": None})
            if snap.principle is None:
                day["overall"] = snap.figures
            else:
                day["principles"].append(
                    {"id": snap.principle_id, "number": snap.principle.number, **snap.figures})
        return Response(s.SnapshotDaySerializer(list(days.values()), many=True).data)

    @extend_schema(parameters=[compare_api.CompareQuerySerializer],
                   responses={200: compare_api.CompareSerializer, 400: ERRORS[400],
                              404: ERRORS[404]})
    @action(detail=True, methods=["get"], url_path="progress/compare", pagination_class=None,
            filter_backends=[])
    def progress_compare(self, request, pk=None):
        """Two cycles side by side: each principle's score in both, the change, and the
        items whose rating improved, worsened or stayed (``?partner=`` for one partner)."""
        programme = self.get_object()
        query = compare_api.CompareQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = compare.compare_scope(
            programme=programme, from_cycle_id=query.validated_data["from"],
            to_cycle_id=query.validated_data["to"],
            partner_id=query.validated_data.get("partner"))
        return Response(compare_api.CompareSerializer(compare.cycles_compare(scope=scope)).data)

    def update_object(self, instance, data):
        return services.programme_update(actor=self.request.user, programme=instance, **data)

    def delete_object(self, instance):
        services.programme_delete(actor=self.request.user, programme=instance)


class MembershipViewSet(ImportMixin, ExportMixin, ScopedViewSet):
    serializer_class = s.MembershipSerializer
    export_columns, export_name = sheets.MEMBERSHIP_COLUMNS, "memberships"
    export_select_related = ("user", "partner")
    import_sheet = sheets.MembershipSheet()
    filterset_class = MembershipFilter
    select_related = ("user",)
    ordering_fields = ["role", "created_at"]

    def check_create(self, data):
        pass  # membership_create / membership_update checks the role itself

    def check_change(self, instance):
        pass  # membership_create / membership_update checks the role itself

    def create_object(self, data):
        return services.membership_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.membership_update(actor=self.request.user, membership=instance, **data)

    def delete_object(self, instance):
        services.membership_delete(actor=self.request.user, membership=instance)


class CycleViewSet(ScopedViewSet):
    serializer_class = s.CycleSerializer
    filterset_class = CycleFilter
    ordering_fields = ["period_start", "period_end", "name"]

    def check_create(self, data):
        pass  # cycle_create / cycle_update checks the role itself

    def check_change(self, instance):
        pass  # cycle_create / cycle_update checks the role itself

    def create_object(self, data):
        return services.cycle_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.cycle_update(actor=self.request.user, cycle=instance, **data)

    def delete_object(self, instance):
        services.cycle_delete(actor=self.request.user, cycle=instance)

    @extend_schema(request=None, responses={200: s.CycleSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the cycle (managers): its assessments can no longer start, change or be
        submitted (409 ``cycle_closed``)."""
        cycle = services.cycle_close(actor=request.user, cycle=self.get_object())
        return Response(s.CycleSerializer(cycle, context=self.get_serializer_context()).data)


class AssessmentViewSet(HistoryMixin, ScopedViewSet):
    serializer_class = s.AssessmentSerializer
    filterset_class = AssessmentFilter
    select_related = ("cycle",)
    ordering_fields = ["created_at", "submitted_at"]

    def check_create(self, data):
        pass  # assessment_create / assessment_update checks the role itself

    def check_change(self, instance):
        pass  # assessment_create / assessment_update checks the role itself

    def create_object(self, data):
        return services.assessment_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.assessment_update(actor=self.request.user, assessment=instance, **data)

    def delete_object(self, instance):
        services.assessment_delete(actor=self.request.user, assessment=instance)

    @extend_schema(request=None, responses={200: s.SubmitResultSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit a draft: partly or not met items open gaps, met items close them."""
        result = services.assessment_submit(actor=request.user, assessment=self.get_object())
        context = self.get_serializer_context()
        return Response({
            "assessment": s.AssessmentSerializer(result.assessment, context=context).data,
            "gaps_opened": [g.pk for g in result.opened],
            "gaps_kept": [g.pk for g in result.kept],
            "gaps_closed": [g.pk for g in result.closed],
            "gaps_closure_proposed": [g.pk for g in result.proposed],
        })

    @extend_schema(request=None, responses={200: s.CarryForwardResultSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="carry-forward")
    def carry_forward(self, request, pk=None):
        """Fill the draft's unanswered items from the partner's last submitted assessment
        of the same framework; the copies are ``carried_forward`` until changed."""
        result = services.assessment_carry_forward(actor=request.user,
                                                   assessment=self.get_object())
        codes = dict(ChecklistItem.objects.filter(
            pk__in=[r.checklist_item_id for r in result.created]).values_list("pk", "code"))
        return Response({
            "assessment": result.assessment.pk,
            "source_assessment": result.source.pk,
            "source_cycle": result.source.cycle.name,
            "carried_forward": [codes[r.checklist_item_id] for r in result.created],
        })


class ResponseViewSet(HistoryMixin, ScopedViewSet):
    serializer_class = s.ResponseSerializer
    filterset_class = ResponseFilter
    select_related = ("assessment__cycle", "checklist_item")
    ordering_fields = ["updated_at"]

    def get_queryset(self):
        return selectors.previous_ratings(super().get_queryset())

    def check_create(self, data):
        pass  # response_create / response_update checks the role itself

    def check_change(self, instance):
        pass  # response_create / response_update checks the role itself

    def create_object(self, data):
        return services.response_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.response_update(actor=self.request.user, response=instance, **data)

    def delete_object(self, instance):
        services.response_delete(actor=self.request.user, response=instance)


class ContributionViewSet(ScopedViewSet):
    """Ratings given by the people asked to contribute to a draft (and by its partner's
    leads and the managers). A person sees their own; the programme's members see all.

    POST on an item the person already rated changes that rating (200, same id) instead
    of refusing: a contributor who rates again from a second screen means their latest
    view. Only the person who gave a rating changes or takes it back.
    """

    serializer_class = s.ContributionSerializer
    filterset_class = ContributionFilter
    ordering_fields = ["created_at", "updated_at"]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return s.ContributionUpdateSerializer
        return s.ContributionSerializer

    def check_create(self, data):
        pass  # contribution_save checks who may rate which item

    def check_change(self, instance):
        access.require(instance.contributor_id == self.request.user.pk,
                       "Only the person who gave a rating can change it.")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        had = Contribution.objects.filter(
            assessment=data["assessment"], checklist_item=data["checklist_item"],
            contributor_id=request.user.pk).exists()
        self.perform_create(serializer)
        return Response(serializer.data,
                        status=status.HTTP_200_OK if had else status.HTTP_201_CREATED)

    def create_object(self, data):
        return contributions.contribution_save(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return contributions.contribution_save(
            actor=self.request.user, assessment=instance.assessment,
            checklist_item=instance.checklist_item,
            rating=data.get("rating", instance.rating),
            comment=data.get("comment", instance.comment),
            perspective=data.get("perspective", instance.perspective))

    def delete_object(self, instance):
        contributions.contribution_delete(actor=self.request.user, contribution=instance)


class GapViewSet(ExportMixin, HistoryMixin, VersionedMixin, ValuesListMixin, ScopedViewSet):
    serializer_class = s.GapSerializer
    export_columns, export_name = sheets.GAP_COLUMNS, "gaps"
    export_select_related = sheets.GAP_SELECT
    filterset_class = GapFilter
    select_related = ("partner", "checklist_item")
    search_fields = ["checklist_item__text", "description", "partner__name"]
    ordering_fields = ["opened_at", "closed_at", "severity", "status"]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return s.GapUpdateSerializer
        return s.GapSerializer

    def check_create(self, data):
        pass  # gap_create checks the role

    def check_change(self, instance):
        pass  # gap_update checks the role

    def create_object(self, data):
        data.pop("version", None)
        return services.gap_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.gap_update(actor=self.request.user, gap=instance,
                                   if_match=self.if_match(), **data)

    def delete_object(self, instance):
        services.gap_delete(actor=self.request.user, gap=instance)

    def _set_status(self, request, change):
        gap = self.get_object()  # the service checks the role
        body = s.GapStatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        gap = change(actor=request.user, gap=gap, note=body.validated_data["reason"],
                     version=body.validated_data.get("version"), if_match=self.if_match())
        return Response(s.GapSerializer(gap, context=self.get_serializer_context()).data)

    @extend_schema(request=s.GapCloseSerializer, responses={200: s.GapSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close an open gap by hand, with a reason, or decide a proposed closure.

        ``actions`` says what becomes of its open actions (``done``, ``cancelled`` or
        ``kept``, for all or per action id); a proposed closure with open actions needs it.
        """
        gap = self.get_object()  # gap_close checks the role
        body = s.GapCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        gap = services.gap_close(gap=gap, note=data.get("reason", ""), version=data.get("version"),
                                 if_match=self.if_match(), actions=data.get("actions"),
                                 actor=request.user)
        return Response(s.GapSerializer(gap, context=self.get_serializer_context()).data)

    @extend_schema(request=s.GapKeepOpenSerializer, responses={200: s.GapSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="keep-open")
    def keep_open(self, request, pk=None):
        """Turn down a proposed closure (managers): the gap is open again."""
        gap = self.get_object()  # an unseen gap is a 404; gap_keep_open checks the role
        body = s.GapKeepOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        gap = services.gap_keep_open(actor=request.user, gap=gap,
                                     note=body.validated_data.get("reason", ""),
                                     version=body.validated_data.get("version"),
                                     if_match=self.if_match())
        return Response(s.GapSerializer(gap, context=self.get_serializer_context()).data)

    @extend_schema(request=s.GapStatusSerializer, responses={200: s.GapSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a closed gap, with a reason."""
        return self._set_status(request, services.gap_reopen)
