from django.contrib.auth import get_user_model
from rest_framework import serializers

from core.api.fields import BaseModelSerializer, VisiblePrimaryKeyRelatedField
from programmes.sheets import full_name

from ..models import Action, ActionNote, is_overdue


def name_of_owner(first_name, last_name, username) -> str | None:
    """The owner's full name, or their username when they gave none; None without one."""
    if username is None:
        return None
    return full_name(first_name, last_name) or username


class ActionSerializer(BaseModelSerializer):
    owner = VisiblePrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), required=False, allow_null=True
    )
    owner_name = serializers.SerializerMethodField()
    owner_partner_name = serializers.CharField(source="owner_partner.name", read_only=True,
                                               default=None)
    principle = serializers.IntegerField(source="gap.principle_id", read_only=True, default=None)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    due_date_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True,
        help_text="Why the due date moves: needed when a set due date changes, and kept "
        "in the history.")

    class Meta:
        model = Action
        fields = [
            "id", "programme", "gap", "principle", "title", "description", "owner", "owner_name",
            "owner_partner", "owner_partner_name", "due_date", "status", "priority", "overdue",
            "completed_at", "created_by", "created_at", "updated_at", "version", "due_date_reason",
        ]
        read_only_fields = ["completed_at", "created_by", "created_at", "updated_at"]

    # The list reads its rows as values() (core.api.rows): the fields that are no column.
    row_fields = {
        "owner_name": (("owner__first_name", "owner__last_name", "owner__username"),
                       name_of_owner),
        "overdue": (("status", "due_date"), is_overdue),
    }

    def get_owner_name(self, action) -> str | None:
        if action.owner is None:
            return None
        return action.owner.get_full_name() or action.owner.username


class ActionNoteSerializer(BaseModelSerializer):
    author_name = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = ActionNote
        fields = ["id", "action", "author", "author_name", "text", "created_at"]
        read_only_fields = ["author", "created_at"]


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Paste this address into your calendar app.")


class ActionBulkSerializer(serializers.Serializer):
    """Many actions, one change: a new owner (``null`` to leave them unowned), a new
    status, or both."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        min_length=1, max_length=1000, help_text="The actions to change.")
    owner = VisiblePrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), required=False, allow_null=True,
        help_text="The new owner of every action.")
    status = serializers.ChoiceField(choices=Action.Status.choices, required=False)

    def validate(self, attrs):
        if "owner" not in attrs and "status" not in attrs:
            raise serializers.ValidationError("Choose a new owner or a new status.")
        return attrs


class ActionBulkResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="How many actions changed.")
