"""``/api/v1/champions/``: the champions partners name for the programme's principles.

Members of the programme see them; ``champion_create``, ``champion_update`` and
``champion_delete`` decide who may change them (managers; a partner's leads for their
own partner). The list is also a CSV or XLSX file (``?format=csv``).
"""

from rest_framework import serializers

from core.api.fields import BaseModelSerializer
from exchange.api import ExportMixin

from .. import services, sheets
from ..filters import ChampionFilter
from ..models import Champion
from .base import HistoryMixin, ScopedViewSet


class ChampionSerializer(BaseModelSerializer):
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True,
        help_text="Their name; with an account and no name, the account's full name.")
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    principle_number = serializers.IntegerField(source="principle.number", read_only=True)

    class Meta:
        model = Champion
        fields = ["id", "programme", "partner", "partner_name", "principle",
                  "principle_number", "user", "name", "job_title", "email", "added_by",
                  "created_at"]
        read_only_fields = ["added_by", "created_at"]
        validators: list = []  # a duplicate is champion_create's 409, not a 400


class ChampionUpdateSerializer(ChampionSerializer):
    class Meta(ChampionSerializer.Meta):
        read_only_fields = ["programme", "added_by", "created_at"]


class ChampionViewSet(ExportMixin, HistoryMixin, ScopedViewSet):
    serializer_class = ChampionSerializer
    export_columns, export_name = sheets.CHAMPION_COLUMNS, "champions"
    export_select_related = sheets.CHAMPION_SELECT
    filterset_class = ChampionFilter
    select_related = ("partner", "principle")
    search_fields = ["name", "job_title", "partner__name"]
    ordering_fields = ["name", "created_at"]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return ChampionUpdateSerializer
        return ChampionSerializer

    def check_create(self, data):
        pass  # champion_create checks the role itself

    def check_change(self, instance):
        pass  # champion_update checks the role itself

    def create_object(self, data):
        return services.champion_create(actor=self.request.user, **data)

    def update_object(self, instance, data):
        return services.champion_update(actor=self.request.user, champion=instance, **data)

    def delete_object(self, instance):
        services.champion_delete(actor=self.request.user, champion=instance)
