from django.contrib import admin

from .models import EmailDelivery, Notification, NotificationPreference, OutboxMessage


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "subject_type", "subject_id", "occurrence", "created_at",
                    "read_at"]
    list_filter = ["kind", "subject_type"]
    raw_id_fields = ["recipient"]


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["recipient", "status", "attempts", "created_at", "sent_at", "digest_week"]
    list_filter = ["status"]
    raw_id_fields = ["recipient", "notification"]
    readonly_fields = ["attempts", "sent_at", "last_error"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_enabled", "email_frequency"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["task", "args", "created_at", "dispatched_at", "attempts"]
    list_filter = ["task"]
