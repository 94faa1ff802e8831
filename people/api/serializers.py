from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from actions.models import Action
from core.api.fields import BaseModelSerializer, VisiblePrimaryKeyRelatedField
from programmes.models import (
    Assessment,
    ChecklistItem,
    Contributor,
    Membership,
    Partner,
    Perspective,
    Programme,
)

from ..models import Invitation


class InvitationSerializer(BaseModelSerializer):
    programme = VisiblePrimaryKeyRelatedField(queryset=Programme.objects.all())
    partner = VisiblePrimaryKeyRelatedField(queryset=Partner.objects.all(), required=False,
                                            allow_null=True)
    status = serializers.CharField(source="effective_status", read_only=True)
    email = serializers.EmailField(max_length=254, error_messages={
        "invalid": "Enter an e-mail address in the right form, like name@example.org."})
    role = serializers.ChoiceField(
        choices=Membership.Role.choices, allow_blank=True,
        help_text="The role the person joins with; blank for an invitation to contribute "
        "to one assessment, which gives no role.")
    kind = serializers.SerializerMethodField(
        help_text="``membership`` (to join the programme) or ``contribution`` (to rate "
        "items of one assessment; see ``contributor``).")
    contributor: Any = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "programme", "email", "kind", "role", "partner", "contributor",
                  "status", "expires_at", "invited_by", "created_at", "sent_at",
                  "accepted_at", "revoked_at"]
        read_only_fields = ["expires_at", "invited_by", "created_at", "sent_at",
                            "accepted_at", "revoked_at"]

    def validate_role(self, value):
        if not value:
            raise serializers.ValidationError(
                "Choose the role the person joins with. To ask someone to contribute to "
                "an assessment, use the contributors collection.")
        return value

    @extend_schema_field(serializers.ChoiceField(choices=["membership", "contribution"]))
    def get_kind(self, invitation) -> str:
        return invitation.kind


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


PERSPECTIVE_CHOICE: dict[str, Any] = {
    "invalid_choice": "Choose whose point of view this person gives: member of staff, "
                      "manager, person who draws on care, carer, partner organisation or "
                      "other."}


class AskedItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    text = serializers.CharField()
    principle_number = serializers.IntegerField(source="principle.number")
    principle_title = serializers.CharField(source="principle.title")


class ContributorSerializer(BaseModelSerializer):
    assessment = VisiblePrimaryKeyRelatedField(queryset=Assessment.objects.all())
    user = VisiblePrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), required=False, allow_null=True,
        help_text="An existing account to ask at once; or give ``email``.")
    email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True,
        help_text="Ask by e-mail: an account with this address is asked at once, anyone "
        "else gets an invitation to make one.",
        error_messages={"invalid": "Enter an e-mail address in the right form, like "
                                   "name@example.org."})
    perspective = serializers.ChoiceField(choices=Perspective.choices,
                                          error_messages=PERSPECTIVE_CHOICE)
    checklist_items = VisiblePrimaryKeyRelatedField(
        many=True, queryset=ChecklistItem.objects.all(), required=False,
        help_text="The items this person is asked about; empty means every item.")
    status = serializers.SerializerMethodField(
        help_text="``asked`` (they can rate), ``invited`` (waiting for them to accept the "
        "e-mailed invitation) or ``removed`` (no longer asked).")
    invitation_status = serializers.SerializerMethodField(
        help_text="The e-mailed invitation's status, or null when asked by account.")
    assessment_title = serializers.SerializerMethodField()
    partner_name = serializers.CharField(source="assessment.partner.name", read_only=True)
    items = serializers.SerializerMethodField(
        help_text="The items this person is asked about, to build the rating screen.")

    class Meta:
        model = Contributor
        fields = ["id", "assessment", "assessment_title", "partner_name", "user", "email",
                  "perspective", "checklist_items", "items", "invited_by", "created_at",
                  "removed_at", "status", "invitation_status"]
        read_only_fields = ["invited_by", "created_at", "removed_at"]
        validators: list = []  # the services answer "already asked" (409)

    def validate(self, attrs):
        if bool(attrs.get("user")) == bool(attrs.get("email")):
            raise serializers.ValidationError(
                {"email": "Give either an account (user) or an e-mail address, not both."})
        return attrs

    @extend_schema_field(serializers.ChoiceField(choices=["asked", "invited", "removed"]))
    def get_status(self, contributor) -> str:
        if contributor.removed_at is not None:
            return "removed"
        return "invited" if contributor.user_id is None else "asked"

    @extend_schema_field(serializers.ChoiceField(choices=Invitation.Status.choices,
                                                 allow_null=True))
    def get_invitation_status(self, contributor):
        try:
            invitation = contributor.invitation
        except Invitation.DoesNotExist:
            return None
        return invitation.effective_status

    def get_assessment_title(self, contributor) -> str:
        assessment = contributor.assessment
        return (f"{assessment.partner.name}'s self-assessment, {assessment.cycle.name}, "
                f"{assessment.cycle.programme.name}")

    @extend_schema_field(AskedItemSerializer(many=True))
    def get_items(self, contributor):
        chosen = [i for i in contributor.checklist_items.all() if i.is_active]
        if not contributor.checklist_items.all():
            framework_id = contributor.assessment.cycle.programme.framework_id
            every = self.context.setdefault("framework_items", {})
            if framework_id not in every:
                every[framework_id] = list(
                    ChecklistItem.objects.filter(is_active=True,
                                                 principle__framework_id=framework_id)
                    .select_related("principle").order_by("principle__number", "order"))
            chosen = every[framework_id]
        else:
            chosen.sort(key=lambda i: (i.principle.number, i.order))
        return AskedItemSerializer(chosen, many=True).data
