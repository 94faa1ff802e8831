"""Serializer pieces shared by every app's API."""

from django.db import models
from rest_framework import serializers

MAX_TEXT = 20_000
MAX_PK = 2**63 - 1


class VisiblePrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object written by id, chosen among those the user may see.

    An id the user may not see reads as one that does not exist, so nothing
    about other programmes leaks; ids that are not integers in range are refused
    before they reach the database.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is not None and hasattr(queryset, "visible_to"):
            queryset = queryset.visible_to(request.user)
        return queryset

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < pk <= MAX_PK:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(pk)


class BaseModelSerializer(serializers.ModelSerializer):
    """Related fields by visible id; free text capped so a huge body gets a 400."""

    serializer_related_field = VisiblePrimaryKeyRelatedField

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.TextField) and "max_length" not in kwargs:
            kwargs["max_length"] = MAX_TEXT
        return field_class, kwargs
