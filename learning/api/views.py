from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.base import VersionedMixin
from exchange.api import ExportMixin, ImportMixin
from programmes import access
from programmes.api.base import HistoryMixin, ScopedViewSet, programme_id_of
from programmes.api.views import ERRORS

from .. import access as learning_access
from .. import selectors, services, sheets
from ..filters import (
    FundingAllocationFilter,
    FundingStreamFilter,
    LearningNeedFilter,
    PlacementFilter,
    TrainingOfferFilter,
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


class PlacementViewSet(HistoryMixin, ScopedViewSet):
    """Placements: who may book, change, confirm or delete is decided by the services."""

    serializer_class = s.PlacementSerializer
    filterset_class = PlacementFilter
    select_related = ("learning_need", "training_offer")
    ordering_fields = ["created_at", "places", "status"]

    def check_create(self, data):
        pass  # placement_book checks the role, and who may book as confirmed

    def check_change(self, instance):
        # Refused before the body is read; placement_update checks the change itself.
        access.require(learning_access.can_change_placement(self.request.user, instance),
                       learning_access.PLACEMENT_REFUSED)

    def create_object(self, data):
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
