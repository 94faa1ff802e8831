"""API base pieces every app shares: versioned answers (ETag, If-Match) and the history
of a row. The programme-scoped viewsets built on them are in ``programmes.api.base``."""

from rest_framework import serializers

from core.versioning import parse_if_match


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    date = serializers.DateTimeField()
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    user = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_null=True)
    changes = HistoryChangeSerializer(many=True)
    reason = serializers.CharField(allow_null=True, help_text="Why, when the change needed "
                                   "a reason (a moved due date).")


class VersionedMixin:
    """ETag on reads and writes; ``If-Match`` and ``version`` checked by the service."""

    def if_match(self):
        return parse_if_match(self.request.headers.get("If-Match"))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if (
            response.status_code in (200, 201)
            and isinstance(data, dict)
            and isinstance(data.get("version"), int)
        ):
            response["ETag"] = f'"{data["version"]}"'
        return response


def history_entries(obj) -> list[dict]:
    records = list(
        obj.history.select_related("history_user").order_by("history_date", "history_id")
    )
    fields = records[0].instance_type._meta.concrete_fields if records else []
    tracked = [(f.name, f.attname) for f in fields if not f.primary_key]
    entries, previous = [], None
    for record in records:
        if previous is None:
            changes = [
                {"field": name, "old": None, "new": getattr(record, attname)}
                for name, attname in tracked
            ]
        else:
            changes = [
                {"field": c.field, "old": c.old, "new": c.new}
                for c in record.diff_against(previous, foreign_keys_are_objs=False).changes
            ]
        entries.append({
            "history_id": record.history_id,
            "date": record.history_date,
            "type": {"+": "created", "~": "changed", "-": "deleted"}[record.history_type],
            "user": record.history_user_id,
            "username": record.history_user.username if record.history_user else None,
            "changes": changes,
            "reason": record.history_change_reason or None,
        })
        previous = record
    return entries
