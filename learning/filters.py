import django_filters as filters

from .models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
    TrainingSession,
)


class LearningNeedFilter(filters.FilterSet):
    needed_before = filters.DateFilter(field_name="needed_by", lookup_expr="lt")

    class Meta:
        model = LearningNeed
        fields = ["programme", "partner", "gap", "principle", "status"]


class TrainingOfferFilter(filters.FilterSet):
    principle = filters.NumberFilter(field_name="principles", distinct=True)
    starts_after = filters.DateFilter(field_name="start_date", lookup_expr="gte")
    starts_before = filters.DateFilter(field_name="start_date", lookup_expr="lte")

    class Meta:
        model = TrainingOffer
        fields = ["provider", "format", "status", "online"]


class TrainingSessionFilter(filters.FilterSet):
    starts_after = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lte")

    class Meta:
        model = TrainingSession
        fields = ["offer", "online"]


class PlacementFilter(filters.FilterSet):
    programme = filters.NumberFilter(field_name="learning_need__programme")
    partner = filters.NumberFilter(field_name="learning_need__partner")

    class Meta:
        model = Placement
        fields = ["learning_need", "training_offer", "session", "status"]


class FundingStreamFilter(filters.FilterSet):
    class Meta:
        model = FundingStream
        fields = ["programme", "funder"]


class FundingAllocationFilter(filters.FilterSet):
    programme = filters.NumberFilter(field_name="stream__programme")

    class Meta:
        model = FundingAllocation
        fields = ["stream", "learning_need", "action", "status"]
