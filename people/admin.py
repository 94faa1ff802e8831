from django.contrib import admin

from .models import Invitation


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are made, resent and withdrawn through the service's pages (so the
    e-mail and the link follow the rules); the admin only shows them."""

    list_display = ["email", "programme", "role", "partner", "status", "expires_at",
                    "invited_by", "created_at"]
    list_filter = ["status", "role"]
    search_fields = ["email"]
    readonly_fields = [f.name for f in Invitation._meta.fields]

    def has_add_permission(self, request):
        return False
