from rest_framework import serializers

from actions.models import Action
from core.api.fields import BaseModelSerializer, VisiblePrimaryKeyRelatedField
from programmes.models import Membership, Partner, Programme

from ..models import Invitation


class InvitationSerializer(BaseModelSerializer):
    programme = VisiblePrimaryKeyRelatedField(queryset=Programme.objects.all())
    partner = VisiblePrimaryKeyRelatedField(queryset=Partner.objects.all(), required=False,
                                            allow_null=True)
    status = serializers.CharField(source="effective_status", read_only=True)
    email = serializers.EmailField(max_length=254, error_messages={
        "invalid": "Enter an e-mail address in the right form, like name@example.org."})
    role = serializers.ChoiceField(choices=Membership.Role.choices)

    class Meta:
        model = Invitation
        fields = ["id", "programme", "email", "role", "partner", "status", "expires_at",
                  "invited_by", "created_at", "sent_at", "accepted_at", "revoked_at"]
        read_only_fields = ["expires_at", "invited_by", "created_at", "sent_at",
                            "accepted_at", "revoked_at"]


class OpenActionSerializer(serializers.ModelSerializer):
    link = serializers.SerializerMethodField()

    class Meta:
        model = Action
        fields = ["id", "title", "status", "due_date", "link"]

    def get_link(self, action) -> str:
        return f"/actions/{action.pk}/"


class MembershipEndedSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="membership.pk")
    programme = serializers.IntegerField(source="membership.programme_id")
    user = serializers.IntegerField(source="membership.user_id")
    role = serializers.CharField(source="membership.role")
    ended_at = serializers.DateTimeField(source="membership.ended_at")
    open_actions = OpenActionSerializer(many=True)
    reassign_link = serializers.SerializerMethodField()

    def get_reassign_link(self, ended) -> str:
        m = ended.membership
        return f"/programmes/{m.programme_id}/actions/?owner={m.user_id}"
