from decimal import Decimal

from rest_framework import serializers

from core.api.fields import BaseModelSerializer, VisiblePrimaryKeyRelatedField
from programmes.models import Principle

from ..models import (
    OFFER_DATES_OUT_OF_ORDER,
    SESSION_TIMES_OUT_OF_ORDER,
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
    TrainingSession,
)


class LearningNeedSerializer(BaseModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    class Meta:
        model = LearningNeed
        fields = [
            "id", "programme", "partner", "partner_name", "gap", "principle", "staff_group",
            "topic", "workers_count", "needed_by", "status", "notes", "created_at", "updated_at",
            "version", "workers_trained", "met_reason",
        ]
        read_only_fields = ["created_at", "updated_at", "workers_trained"]
        extra_kwargs = {"workers_count": {"min_value": 1, "max_value": 1_000_000}}


class TrainingOfferSerializer(BaseModelSerializer):
    principles = VisiblePrimaryKeyRelatedField(
        many=True, queryset=Principle.objects.all(), required=False
    )
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    places_free = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingOffer
        fields = [
            "id", "provider", "provider_name", "title", "description", "topics", "staff_groups",
            "format", "principles", "start_date", "end_date", "capacity", "places_booked",
            "places_free", "cost_per_place", "location", "online", "status", "created_at",
        ]
        read_only_fields = ["places_booked", "created_at"]
        extra_kwargs = {
            "capacity": {"min_value": 1, "max_value": 1_000_000},
            "cost_per_place": {"min_value": 0},
        }

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": OFFER_DATES_OUT_OF_ORDER})
        return attrs


class TrainingSessionSerializer(BaseModelSerializer):
    places_free = serializers.IntegerField(read_only=True)

    class Meta:
        model = TrainingSession
        fields = ["id", "offer", "starts_at", "ends_at", "location", "online", "capacity",
                  "places_booked", "places_waiting", "places_free", "created_at"]
        read_only_fields = ["places_booked", "places_waiting", "created_at"]
        extra_kwargs = {"capacity": {"min_value": 1, "max_value": 1_000_000}}

    def validate(self, attrs):
        start = attrs.get("starts_at", getattr(self.instance, "starts_at", None))
        end = attrs.get("ends_at", getattr(self.instance, "ends_at", None))
        if start and end and end < start:
            raise serializers.ValidationError({"ends_at": SESSION_TIMES_OUT_OF_ORDER})
        return attrs


class LearnersField(serializers.ListField):
    child = serializers.CharField(max_length=200, allow_blank=False)


class PlacementSerializer(BaseModelSerializer):
    training_offer = VisiblePrimaryKeyRelatedField(
        queryset=TrainingOffer.objects.all(), required=False,
        help_text="The offer; optional when `session` is given.")
    session = VisiblePrimaryKeyRelatedField(
        queryset=TrainingSession.objects.all(), required=False,
        help_text="The session booked; optional when the offer runs one session.")
    learners = LearnersField(required=False, max_length=100_000,
                             help_text="The learners' names, if the booker gives them.")

    class Meta:
        model = Placement
        fields = ["id", "learning_need", "training_offer", "session", "places", "status",
                  "learners", "places_attended", "places_completed", "requested_by",
                  "approved_at", "confirmed_at", "decided_reason", "created_at"]
        read_only_fields = ["requested_by", "approved_at", "confirmed_at", "decided_reason",
                            "created_at"]
        extra_kwargs = {"places": {"min_value": 1, "max_value": 100_000},
                        "places_attended": {"min_value": 0, "max_value": 100_000},
                        "places_completed": {"min_value": 0, "max_value": 100_000}}


class PlacementReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                   help_text="Why, in a sentence the bookers will read.")


class AttendanceSerializer(serializers.Serializer):
    places_attended = serializers.IntegerField(min_value=0, max_value=100_000)
    places_completed = serializers.IntegerField(min_value=0, max_value=100_000)
    learners = LearnersField(required=False, max_length=100_000)


class FundingStreamSerializer(BaseModelSerializer):
    available = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = FundingStream
        fields = ["id", "programme", "name", "funder", "amount", "allocated", "available",
                  "description", "created_at"]
        read_only_fields = ["allocated", "created_at"]
        extra_kwargs = {"amount": {"min_value": Decimal("0.01")}}


class FundingAllocationSerializer(BaseModelSerializer):
    class Meta:
        model = FundingAllocation
        fields = ["id", "stream", "learning_need", "action", "amount", "status", "note",
                  "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"amount": {"min_value": Decimal("0.01")}}


class OfferMatchSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    score = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    offer = TrainingOfferSerializer()
