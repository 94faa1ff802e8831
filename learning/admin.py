from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import FundingAllocation, FundingStream, LearningNeed, Placement, TrainingOffer


@admin.register(LearningNeed)
class LearningNeedAdmin(SimpleHistoryAdmin):
    list_display = ["topic", "staff_group", "partner", "workers_count", "needed_by", "status"]
    list_filter = ["status", "programme", "principle"]
    search_fields = ["topic", "staff_group"]
    raw_id_fields = ["gap"]
    readonly_fields = ["version"]


@admin.register(TrainingOffer)
class TrainingOfferAdmin(SimpleHistoryAdmin):
    list_display = ["title", "provider", "format", "start_date", "capacity", "places_booked",
                    "status"]
    list_filter = ["status", "format", "provider"]
    search_fields = ["title", "topics"]
    filter_horizontal = ["principles"]
    readonly_fields = ["places_booked"]


@admin.register(Placement)
class PlacementAdmin(SimpleHistoryAdmin):
    list_display = ["training_offer", "learning_need", "places", "status"]
    list_filter = ["status"]
    raw_id_fields = ["learning_need", "training_offer", "requested_by"]

    def has_change_permission(self, request, obj=None):
        # Places are counted against capacity by the service; change them in the app or API.
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting gives places back through the service (placement_delete), not here.
        return False


class FundingAllocationInline(admin.TabularInline):
    model = FundingAllocation
    extra = 0
    raw_id_fields = ["learning_need", "action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FundingStream)
class FundingStreamAdmin(SimpleHistoryAdmin):
    list_display = ["name", "programme", "funder", "amount", "allocated"]
    list_filter = ["programme"]
    readonly_fields = ["allocated"]
    inlines = [FundingAllocationInline]


@admin.register(FundingAllocation)
class FundingAllocationAdmin(SimpleHistoryAdmin):
    list_display = ["stream", "learning_need", "action", "amount", "status"]
    list_filter = ["status", "stream"]

    def has_change_permission(self, request, obj=None):
        # Amounts are held against the stream by the service; change them in the app or API.
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting gives money back through the service (allocation_delete), not here.
        return False
