from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Assessment,
    AssessmentCycle,
    ChecklistItem,
    Contribution,
    Contributor,
    Framework,
    Gap,
    Membership,
    Partner,
    Principle,
    Programme,
    Response,
)


class PrincipleInline(admin.TabularInline):
    model = Principle
    extra = 0
    fields = ["number", "title"]


@admin.register(Framework)
class FrameworkAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "version", "publisher"]
    inlines = [PrincipleInline]


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = ["code", "order", "text", "is_active"]


@admin.register(Principle)
class PrincipleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "framework"]
    list_filter = ["framework"]
    inlines = [ChecklistItemInline]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["code", "text", "principle", "is_active"]
    list_filter = ["principle__framework", "is_active"]
    search_fields = ["code", "text"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "provides_learning"]
    list_filter = ["sector", "provides_learning"]
    search_fields = ["name"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "partner"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "framework", "status", "start_date", "end_date"]
    list_filter = ["status", "framework"]
    search_fields = ["name"]
    filter_horizontal = ["partners"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "programme", "role", "partner"]
    list_filter = ["role", "programme"]
    autocomplete_fields = ["user", "partner"]


@admin.register(AssessmentCycle)
class AssessmentCycleAdmin(admin.ModelAdmin):
    list_display = ["name", "programme", "period_start", "period_end"]
    list_filter = ["programme"]


class ResponseInline(admin.TabularInline):
    model = Response
    extra = 0
    fields = ["checklist_item", "rating", "evidence", "notes"]
    raw_id_fields = ["checklist_item"]


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    list_display = ["partner", "cycle", "status", "submitted_at", "includes_people_supported"]
    list_filter = ["status", "cycle__programme"]
    readonly_fields = ["status", "submitted_at", "submitted_by"]
    inlines = [ResponseInline]

    def has_change_permission(self, request, obj=None):
        # A submitted assessment is read-only, here as in the API.
        if obj is not None and obj.is_submitted:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # A submitted assessment is never deleted (its cycle and answers PROTECT it too).
        if obj is not None and obj.is_submitted:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Gap)
class GapAdmin(SimpleHistoryAdmin):
    list_display = ["partner", "checklist_item", "severity", "status", "opened_at", "closed_reason"]
    list_filter = ["status", "severity", "programme", "principle"]
    search_fields = ["partner__name", "checklist_item__text"]
    raw_id_fields = ["opened_by_assessment", "last_assessment", "checklist_item"]
    readonly_fields = ["version"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Seen here, changed only through the services (the pages and the API), which check
    who may ask and who may rate."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Contributor)
class ContributorAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "assessment", "user", "email", "perspective", "created_at",
                    "removed_at"]
    list_filter = ["perspective", "assessment__cycle__programme"]
    search_fields = ["email", "user__username", "assessment__partner__name"]
    raw_id_fields = ["assessment", "user", "invited_by"]


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["checklist_item", "assessment", "contributor", "perspective", "rating",
                    "updated_at"]
    list_filter = ["perspective", "rating", "assessment__cycle__programme"]
    search_fields = ["contributor__username", "comment", "assessment__partner__name"]
    raw_id_fields = ["assessment", "checklist_item", "contributor"]
