from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import BaseModelSerializer

from ..kinds import EVENTS
from ..models import Webhook, WebhookAttempt, WebhookDelivery


class WebhookSerializer(BaseModelSerializer):
    url = serializers.URLField(max_length=500, help_text=(
        "Where events are POSTed. In production: https, on a public address."))
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENTS)), allow_empty=False,
        max_length=len(EVENTS), help_text="The events to send (at least one).")
    secret = serializers.CharField(
        write_only=True, required=False, min_length=16, max_length=128,
        help_text="The key the signature is made with. Leave it out to have one made; "
                  "it is shown once, in the answer that creates the webhook.")
    owner = serializers.IntegerField(source="owner_id", read_only=True,
                                     help_text="The member who added it (told if it is "
                                               "turned off).")

    class Meta:
        model = Webhook
        fields = ["id", "programme", "url", "events", "secret", "active", "owner",
                  "failures_in_a_row", "disabled_at", "created_at"]
        read_only_fields = ["owner", "failures_in_a_row", "disabled_at", "created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    """The answer to a create: the one time the secret is shown."""

    secret = serializers.CharField(read_only=True, help_text=(
        "The key the signature is made with. Keep it now: it is not shown again."))


class WebhookUpdateSerializer(WebhookSerializer):
    class Meta(WebhookSerializer.Meta):
        read_only_fields = ["programme", *WebhookSerializer.Meta.read_only_fields]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "at", "ok", "status_code", "error", "response_excerpt",
                  "duration_ms"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempts_log = WebhookAttemptSerializer(source="log", many=True, read_only=True)
    payload = serializers.SerializerMethodField()

    class Meta:
        model = WebhookDelivery
        fields = ["id", "kind", "event", "status", "attempts", "next_attempt_at",
                  "last_status_code", "last_error", "response_excerpt", "created_at",
                  "sent_at", "payload", "attempts_log"]

    @extend_schema_field(serializers.DictField())
    def get_payload(self, obj) -> dict:
        return {"id": obj.pk, **obj.payload}
