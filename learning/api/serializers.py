from decimal import Decimal

from rest_framework import serializers

from core.api.fields import BaseModelSerializer, VisiblePrimaryKeyRelatedField
from programmes.models import Principle

from .. import selectors
from ..models import (
    OFFER_DATES_OUT_OF_ORDER,
    SESSION_TIMES_OUT_OF_ORDER,
    FundingAllocation,
    FundingStream,
    LearningNeed,
    OfferProposal,
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


def _money_field(help_text: str, **kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True,
                                    help_text=help_text, **kwargs)


class FundingStreamSerializer(BaseModelSerializer):
    eligible_principles = VisiblePrimaryKeyRelatedField(
        many=True, queryset=Principle.objects.all(), required=False,
        help_text="Ids of the principles the stream pays for (a need's principle, or an "
                  "action's gap's principle); empty: any principle.")
    eligible_staff_groups = serializers.ListField(
        child=serializers.CharField(max_length=200, allow_blank=True), required=False,
        max_length=200,
        help_text="The staff groups whose learning the stream pays for, compared without "
                  "regard to case or surrounding spaces; empty: any staff group. A stream "
                  "that names staff groups pays for learning needs only, not actions.")
    planned = _money_field("Money in planned allocations.", source="money_planned")
    committed = _money_field("Money in committed allocations.", source="money_committed")
    claimed = _money_field("Money claimed from the funder, not yet paid.",
                           source="money_claimed")
    paid = _money_field("Money the funder has paid.", source="money_paid")
    available = _money_field("Money left to allocate: the amount less what is planned, "
                             "committed, claimed and paid.")

    class Meta:
        model = FundingStream
        fields = ["id", "programme", "name", "funder", "amount", "allocated", "planned",
                  "committed", "claimed", "paid", "available", "description",
                  "eligible_principles", "eligible_staff_groups", "cap_per_partner",
                  "claims_open", "claims_close", "created_at"]
        read_only_fields = ["allocated", "created_at"]
        extra_kwargs = {
            "amount": {"min_value": Decimal("0.01")},
            "allocated": {"help_text": "Money held by allocations that are not cancelled."},
            "cap_per_partner": {
                "min_value": Decimal("0.01"),
                "help_text": "The most one partner may hold from this stream (its needs, and "
                             "actions it owns); empty: no cap."},
            "claims_open": {"help_text": "The first day claims may be made; empty: any day."},
            "claims_close": {"help_text": "The last day claims may be made; after it the "
                                          "stream takes no new allocations. Empty: no end."},
        }

    def to_representation(self, instance):
        if not hasattr(instance, "money_planned"):
            # A stream just written: read it again with its figures (one query).
            instance = (selectors.streams_with_money(FundingStream.objects.filter(pk=instance.pk))
                        .prefetch_related("eligible_principles").get())
        return super().to_representation(instance)


class StreamPartnerSerializer(serializers.Serializer):
    partner = serializers.IntegerField(source="partner_id", allow_null=True,
                                       help_text="The partner; null for money on actions no "
                                                 "partner owns (on no partner's cap).")
    partner_name = serializers.CharField()
    planned = _money_field("Planned money for the partner.")
    committed = _money_field("Committed money for the partner.")
    claimed = _money_field("Claimed money for the partner.")
    paid = _money_field("Paid money for the partner.")
    held = _money_field("All the partner holds from the stream (not cancelled).")
    cap = _money_field("The stream's cap per partner; null: no cap.", allow_null=True)
    left_under_cap = _money_field("What the partner may still draw under the cap; null when "
                                  "no cap applies.", allow_null=True)


class FundingAllocationSerializer(BaseModelSerializer):
    class Meta:
        model = FundingAllocation
        fields = ["id", "stream", "learning_need", "action", "placement", "partner", "amount",
                  "status", "note", "evidence", "claimed_on", "paid_on", "created_at"]
        read_only_fields = ["partner", "created_at"]
        extra_kwargs = {
            "amount": {"min_value": Decimal("0.01")},
            "learning_need": {"help_text": "The learning need it pays for (or give `action`); "
                                           "implied by `placement`."},
            "action": {"help_text": "The action it pays for (or give `learning_need`)."},
            "placement": {"help_text": "The booking of the learning need this money pays "
                                       "for, if any."},
            "partner": {"help_text": "Whose cap it draws on: the need's partner or the "
                                     "action's owner partner (set by the service)."},
            "status": {"help_text": "planned → committed → claimed → paid; planned or "
                                    "committed money may be cancelled, which gives it back. "
                                    "A claim needs `evidence`."},
            "evidence": {"help_text": "What shows the money was spent as agreed: required "
                                      "to claim."},
            "claimed_on": {"help_text": "The day the money was claimed (today unless given); "
                                        "inside the stream's claim window."},
            "paid_on": {"help_text": "The day the funder paid (today unless given)."},
        }


    def validate(self, attrs):
        if self.instance is None:
            # A new allocation starts planned or committed: what a claim or a payment
            # records comes with that step (PATCH, or POST .../claim/ and .../pay/).
            for name in ("evidence", "claimed_on", "paid_on"):
                if attrs.pop(name, None):
                    raise serializers.ValidationError({name: [
                        "This is recorded when the money is claimed or paid: make the "
                        "allocation first, then claim it."]})
        return attrs


class AllocationClaimSerializer(serializers.Serializer):
    evidence = serializers.CharField(max_length=20_000,
                                     help_text="What shows the money was spent as agreed.")
    claimed_on = serializers.DateField(required=False,
                                       help_text="The day of the claim; today unless given.")


class AllocationPaySerializer(serializers.Serializer):
    paid_on = serializers.DateField(required=False,
                                    help_text="The day the funder paid; today unless given.")


class OfferMatchSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    score = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    offer = TrainingOfferSerializer()


class OfferProposalSerializer(BaseModelSerializer):
    """A provider's offer proposed for a need: write ``offer`` (and a ``message``)."""

    offer = VisiblePrimaryKeyRelatedField(queryset=TrainingOffer.objects.all())
    offer_title = serializers.CharField(source="offer.title", read_only=True)
    provider = serializers.IntegerField(source="offer.provider_id", read_only=True)
    provider_name = serializers.CharField(source="offer.provider.name", read_only=True)
    message = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    class Meta:
        model = OfferProposal
        fields = ["id", "offer", "offer_title", "provider", "provider_name", "learning_need",
                  "proposed_by", "message", "created_at"]
        read_only_fields = ["learning_need", "proposed_by", "created_at"]


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class NeedMatchSerializer(serializers.Serializer):
    """An open need a provider could meet: who needs it, and the provider's best offers."""

    rank = serializers.IntegerField()
    score = serializers.IntegerField()
    need = LearningNeedSerializer()
    programme = NamedSerializer()
    partner = NamedSerializer()
    offers = OfferMatchSerializer(many=True)
