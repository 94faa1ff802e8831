from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Action, ActionNote


class ActionNoteInline(admin.TabularInline):
    model = ActionNote
    extra = 0
    readonly_fields = ["author", "created_at"]
    can_delete = False  # progress notes are kept


@admin.register(Action)
class ActionAdmin(SimpleHistoryAdmin):
    list_display = ["title", "programme", "owner", "owner_partner", "due_date", "status",
                    "priority"]
    list_filter = ["status", "priority", "programme"]
    search_fields = ["title", "description"]
    raw_id_fields = ["gap", "owner", "created_by"]
    readonly_fields = ["completed_at", "version"]
    date_hierarchy = "due_date"
    inlines = [ActionNoteInline]
