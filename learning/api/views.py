from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.base import VersionedMixin
from core.errors import DomainError
from exchange.api import ExportMixin, ImportMixin
from programmes import access
from programmes.api.base import HistoryMixin, ScopedViewSet, programme_id_of
from programmes.api.views import ERRORS
from programmes.models import Partner

from .. import access as learning_access
from .. import selectors, services, sheets
from ..filters import (
    FundingAllocationFilter,
    FundingStreamFilter,
    LearningNeedFilter,
    PlacementFilter,
    TrainingOfferFilter,
    TrainingSessionFilter,
)
from . import serializers as s


class LearningNeedViewSet(ImportMixin, ExportMixin, HistoryMixin, VersionedMixin, ScopedViewSet):
    serializer_class = s.LearningNeedSerializer
    export_columns, export_name = sheets.NEED_COLUMNS, "learning-needs"
    export_select_related = sheets.NEED_SELECT
    import_sheet = sheets.LearningNeedSheet()
    filterset_class = LearningNeedFilter
    select_related = ("partner",)
    search_fields = ["topic", "staff_group", "notes"]
    ordering_fields = ["needed_by", "workers_count", "status", "created_at"]

    # The services check who may write; ``check_change`` only refuses before the body
    # is read, with the service's sentence.

    def check_create(self, data):
        pass

    def check_change(self, instance):
        access.require(learning_access.can_change_need(
            self.request.user, instance.programme_id, instance.partner_id),
            learning_access.NEED_REFUSED)

    def create_object(self, data):
        data.pop("version", None)
        return services.need_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.need_update(actor=self.request.user, need=instance,
                                    if_match=self.if_match(), **data)

    def delete_object(self, instance):
        services.need_delete(actor=self.request.user, need=instance)

    @extend_schema(responses={200: s.OfferMatchSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], url_path="matching-offers", pagination_class=None,
            filter_backends=[])
    def matching_offers(self, request, pk=None):
        """Published offers ranked for this need, with the reasons for each rank."""
        need = self.get_object()
        matches = selectors.matching_offers(need=need)
        context = self.get_serializer_context()
        return Response([
            {"rank": rank, "score": m.score, "reasons": m.reasons,
             "offer": s.TrainingOfferSerializer(m.offer, context=context).data}
            for rank, m in enumerate(matches, start=1)
        ])

    @extend_schema(methods=["GET"], request=None,
                   responses={200: s.OfferProposalSerializer(many=True), 404: ERRORS[404]})
    @extend_schema(methods=["POST"], request=s.OfferProposalSerializer,
                   responses={201: s.OfferProposalSerializer, 400: ERRORS[400],
                              403: ERRORS[403], 404: ERRORS[404], 409: ERRORS[409]})
    @action(detail=True, methods=["get", "post"], url_path="proposals", pagination_class=None,
            filter_backends=[])
    def proposals(self, request, pk=None):
        """The offers providers proposed for this need; a provider's people propose one of
        its published offers (once per offer), and the need's partner leads are told."""
        need = self.get_object()
        if request.method == "GET":
            rows = need.proposals.select_related("offer__provider")
            return Response(s.OfferProposalSerializer(
                rows, many=True, context=self.get_serializer_context()).data)
        body = s.OfferProposalSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        proposal = services.offer_propose(
            actor=request.user, offer=body.validated_data["offer"], learning_need=need,
            message=body.validated_data.get("message", ""))
        return Response(s.OfferProposalSerializer(
            proposal, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED)


class TrainingOfferViewSet(ExportMixin, HistoryMixin, ScopedViewSet):
    serializer_class = s.TrainingOfferSerializer
    export_columns, export_name = sheets.OFFER_COLUMNS, "training-offers"
    export_prefetch_related = ("principles",)
    filterset_class = TrainingOfferFilter
    select_related = ("provider",)
    prefetch_related = ("principles",)
    search_fields = ["title", "description", "topics", "staff_groups", "location"]
    ordering_fields = ["start_date", "cost_per_place", "capacity", "title", "created_at"]

    def history_allowed(self, obj):
        return learning_access.provides_for(self.request.user, obj.provider_id)

    def check_create(self, data):
        pass  # offer_create checks the role

    def check_change(self, instance):
        # Refused before the body is read; offer_update checks the change itself.
        access.require(learning_access.provides_for(self.request.user, instance.provider_id),
                       learning_access.OFFER_REFUSED)

    def create_object(self, data):
        return services.offer_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.offer_update(actor=self.request.user, offer=instance, **data)

    def delete_object(self, instance):
        services.offer_delete(actor=self.request.user, offer=instance)

    @extend_schema(
        parameters=[OpenApiParameter("provider", int, required=True,
                                     description="The learning provider (a partner's id).")],
        responses={200: s.NeedMatchSerializer(many=True), 400: ERRORS[400],
                   403: OpenApiResponse(description=learning_access.DEMAND_REFUSED),
                   404: ERRORS[404]})
    @action(detail=False, methods=["get"], url_path="demand", pagination_class=None,
            filter_backends=[])
    def demand(self, request):
        """Needs we could meet: open learning needs of the provider's programmes that its
        published offers match, best first, each with the partner and programme behind it
        and the provider's best offers for it with their reasons. For the provider's own
        people, and for the managers of its programmes (their programmes' needs)."""
        raw = request.query_params.get("provider", "")
        if not raw.isdigit() or not 0 < int(raw) <= 2**31 - 1:
            raise ValidationError({"provider": ["Choose a learning provider."]})
        provider = get_object_or_404(Partner.objects.visible_to(request.user), pk=int(raw))
        access.require(learning_access.can_see_demand(request.user, provider.pk),
                       learning_access.DEMAND_REFUSED)
        context = self.get_serializer_context()
        found = selectors.needs_we_could_meet(user=request.user, provider=provider)
        return Response([
            {"rank": rank, "score": n.score, "need": s.LearningNeedSerializer(
                n.need, context=context).data,
             "programme": {"id": n.need.programme_id, "name": n.need.programme.name},
             "partner": {"id": n.need.partner_id, "name": n.need.partner.name},
             "offers": [{"rank": i, "score": m.score, "reasons": m.reasons,
                         "offer": s.TrainingOfferSerializer(m.offer, context=context).data}
                        for i, m in enumerate(n.matches, start=1)]}
            for rank, n in enumerate(found, start=1)
        ])


class TrainingSessionViewSet(HistoryMixin, ScopedViewSet):
    """The sessions of an offer: its dates, place and capacity, with the places booked and
    waiting. The provider's people add, change and remove them."""

    serializer_class = s.TrainingSessionSerializer
    filterset_class = TrainingSessionFilter
    select_related = ("offer",)
    ordering_fields = ["starts_at", "capacity", "created_at"]

    def history_allowed(self, obj):
        return learning_access.provides_for(self.request.user, obj.offer.provider_id)

    def check_create(self, data):
        pass  # session_create checks the role

    def check_change(self, instance):
        access.require(learning_access.provides_for(self.request.user,
                                                    instance.offer.provider_id),
                       learning_access.OFFER_REFUSED)

    def create_object(self, data):
        return services.session_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.session_update(actor=self.request.user, session=instance, **data)

    def delete_object(self, instance):
        services.session_delete(actor=self.request.user, session=instance)


def _step(name, service, *, body=None, doc=""):
    """A POST action that takes one step of a placement through its service. The
    function is named after the step before it is decorated: the router binds an action
    by the name it had when ``@action`` saw it."""

    def step(self, request, pk=None):
        placement = self.get_object()
        data = {}
        if body is not None:
            serializer = body(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
        placement = service(actor=request.user, placement=placement, **data)
        return Response(s.PlacementSerializer(placement,
                                              context=self.get_serializer_context()).data)

    step.__name__ = step.__qualname__ = name.replace("-", "_")
    step.__doc__ = doc
    step = action(detail=True, methods=["post"], url_path=name)(step)
    return extend_schema(request=body, responses={200: s.PlacementSerializer, 403: ERRORS[403],
                                                  404: ERRORS[404], 409: ERRORS[409]},
                         description=doc)(step)


class PlacementViewSet(HistoryMixin, ScopedViewSet):
    """Placements: requested by the need's partner, approved by its partner lead or a
    manager, confirmed by the provider; a request beyond the free places waits
    (``waitlisted``). Who may take each step is decided by the services."""

    serializer_class = s.PlacementSerializer
    filterset_class = PlacementFilter
    select_related = ("learning_need", "training_offer", "session")
    ordering_fields = ["created_at", "places", "status"]
    services_are_atomic = True  # placement_book and placement_update

    approve = _step("approve", services.placement_approve,
                    doc="Approve a request (the need's partner lead or a manager).")
    confirm = _step("confirm", services.placement_confirm,
                    doc="Confirm approved places (the provider's people).")
    decline = _step("decline", services.placement_decline, body=s.PlacementReasonSerializer,
                    doc="Decline a request or approved places, giving them back.")
    cancel = _step("cancel", services.placement_cancel, body=s.PlacementReasonSerializer,
                   doc="Cancel places, giving them back; the waiting list moves up.")
    attendance = _step("attendance", services.placement_record_attendance,
                       body=s.AttendanceSerializer,
                       doc="Record how many attended and completed (the provider's people).")

    def check_create(self, data):
        pass  # placement_book checks the role, and who may book as confirmed

    def check_change(self, instance):
        # Refused before the body is read; placement_update checks the change itself.
        access.require(learning_access.can_change_placement(self.request.user, instance),
                       learning_access.PLACEMENT_REFUSED)

    def create_object(self, data):
        for name in ("places_attended", "places_completed"):
            if data.pop(name, None) is not None:
                raise DomainError("Attendance is recorded by the provider once the session "
                                  "has started, not with the booking.", field=name)
        return services.placement_book(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.placement_update(actor=self.request.user, placement=instance, **data)

    def delete_object(self, instance):
        services.placement_delete(actor=self.request.user, placement=instance)


class FundingStreamViewSet(HistoryMixin, ScopedViewSet):
    """Funding streams with their rules, and the money at each step of its allocations
    (``planned``, ``committed``, ``claimed``, ``paid``, ``available``)."""

    serializer_class = s.FundingStreamSerializer
    filterset_class = FundingStreamFilter
    prefetch_related = ("eligible_principles",)
    ordering_fields = ["name", "amount", "allocated"]
    search_fields = ["name", "description"]

    def get_queryset(self):
        return selectors.streams_with_money(super().get_queryset())

    def check_create(self, data):
        pass  # stream_create checks the role

    def check_change(self, instance):
        # Refused before the body is read; stream_update checks the change itself.
        access.require(learning_access.can_manage_funding(self.request.user,
                                                          instance.programme_id),
                       learning_access.STREAM_REFUSED)

    def create_object(self, data):
        return services.stream_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.stream_update(actor=self.request.user, stream=instance, **data)

    def delete_object(self, instance):
        services.stream_delete(actor=self.request.user, stream=instance)

    @extend_schema(responses={200: s.StreamPartnerSerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def partners(self, request, pk=None):
        """Each partner's money on this stream at each step, against the cap per partner."""
        stream = self.get_object()
        return Response(s.StreamPartnerSerializer(
            selectors.stream_partners(stream=stream), many=True).data)


class FundingAllocationViewSet(HistoryMixin, ScopedViewSet):
    """Allocations of a stream's money. A PATCH of ``status`` takes the same steps as the
    actions ``commit``, ``claim``, ``pay`` and ``cancel``."""

    serializer_class = s.FundingAllocationSerializer
    filterset_class = FundingAllocationFilter
    select_related = ("stream",)
    ordering_fields = ["created_at", "amount", "status"]

    def check_create(self, data):
        pass  # allocation_create checks the role

    def check_change(self, instance):
        # Refused before the body is read; allocation_update checks the change itself.
        access.require(learning_access.can_manage_funding(self.request.user,
                                                          programme_id_of(instance)),
                       learning_access.ALLOCATION_REFUSED)

    def create_object(self, data):
        return services.allocation_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.allocation_update(actor=self.request.user, allocation=instance, **data)

    def delete_object(self, instance):
        services.allocation_delete(actor=self.request.user, allocation=instance)

    def _step(self, write, body_serializer=None):
        allocation = self.get_object()
        self.check_change(allocation)
        data = {}
        if body_serializer is not None:
            body = body_serializer(data=self.request.data)
            body.is_valid(raise_exception=True)
            data = body.validated_data
        with transaction.atomic():
            allocation = write(actor=self.request.user, allocation=allocation, **data)
        return Response(self.get_serializer(allocation).data)

    @extend_schema(request=None, responses={200: s.FundingAllocationSerializer})
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Commit planned money to what it pays for."""
        return self._step(services.allocation_commit)

    @extend_schema(request=s.AllocationClaimSerializer,
                   responses={200: s.FundingAllocationSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Claim committed money from the funder, with its evidence, inside the stream's
        claim window."""
        return self._step(services.allocation_claim, s.AllocationClaimSerializer)

    @extend_schema(request=s.AllocationPaySerializer,
                   responses={200: s.FundingAllocationSerializer})
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """Record that the funder paid a claim."""
        return self._step(services.allocation_pay, s.AllocationPaySerializer)

    @extend_schema(request=None, responses={200: s.FundingAllocationSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel planned or committed money, giving it back to the stream."""
        return self._step(services.allocation_cancel)
