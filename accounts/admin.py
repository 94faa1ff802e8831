from django.contrib import admin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Administrators see who holds tokens and revoke one by deleting it; tokens are only
    made through ``POST /api/v1/auth/token/`` (the token itself is never stored)."""

    list_display = ("user", "token_key", "created", "expiry")
    list_select_related = ("user",)
    search_fields = ("user__username", "token_key")
    readonly_fields = ("user", "token_key", "created", "expiry")
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
