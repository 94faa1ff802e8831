from rest_framework import serializers

from ..models import Notification, NotificationPreference


class NotificationSerializer(serializers.ModelSerializer):
    email_status = serializers.CharField(source="email.status", read_only=True, default=None)

    class Meta:
        model = Notification
        fields = [
            "id", "kind", "subject_type", "subject_id", "due_date", "message", "link",
            "created_at", "read_at", "email_status",
        ]
        read_only_fields = fields


class PreferenceSerializer(serializers.ModelSerializer):
    kinds = serializers.JSONField(
        required=False,
        help_text="How each kind of notification is e-mailed: {kind: 'immediate' | 'digest' | "
                  "'off'}. Replaces the whole mapping; a kind left out follows email_enabled "
                  "and email_frequency.")

    class Meta:
        model = NotificationPreference
        fields = ["email_enabled", "email_frequency", "kinds"]


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
