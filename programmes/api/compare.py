"""The compare endpoint's query and answer (``programmes/compare.py``)."""

from rest_framework import serializers

from ..models import Rating

ID_FIELD = {"min_value": 1, "max_value": 2**63 - 1}


class CompareQuerySerializer(serializers.Serializer):
    """``?from=<cycle>&to=<cycle>`` (``from`` is a Python keyword, hence ``get_fields``)."""

    def get_fields(self):
        return {
            "from": serializers.IntegerField(
                help_text="The earlier cycle (an id of one of the programme's cycles).",
                **ID_FIELD),
            "to": serializers.IntegerField(
                help_text="The later cycle (an id of one of the programme's cycles).",
                **ID_FIELD),
            "partner": serializers.IntegerField(
                required=False, help_text="One partner of the programme; all when absent.",
                **ID_FIELD),
        }


class CompareCycleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    submitted = serializers.IntegerField(help_text="Submitted assessments in scope.")


class CompareFiguresSerializer(serializers.Serializer):
    from_score = serializers.FloatField(allow_null=True, help_text="0 to 100, one decimal.")
    to_score = serializers.FloatField(allow_null=True, help_text="0 to 100, one decimal.")
    change = serializers.FloatField(
        allow_null=True, help_text="to_score less from_score, in points; null if either is.")
    improved = serializers.IntegerField(help_text="(partner, item) pairs rated higher.")
    worsened = serializers.IntegerField(help_text="(partner, item) pairs rated lower.")
    stayed = serializers.IntegerField(help_text="(partner, item) pairs rated the same.")


class ComparePrincipleSerializer(CompareFiguresSerializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()


RATING_OR_NULL = {"choices": Rating.choices, "allow_null": True}


class CompareItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    text = serializers.CharField()
    principle = serializers.IntegerField(help_text="The principle's number.")
    partners = serializers.IntegerField(help_text="Partners whose rating moved this way.")
    from_rating = serializers.ChoiceField(
        help_text="For one partner: its rating in the earlier cycle.", **RATING_OR_NULL)
    to_rating = serializers.ChoiceField(
        help_text="For one partner: its rating in the later cycle.", **RATING_OR_NULL)


class CompareItemsSerializer(serializers.Serializer):
    improved = CompareItemSerializer(many=True)
    worsened = CompareItemSerializer(many=True)
    stayed = CompareItemSerializer(many=True)


class CompareSerializer(serializers.Serializer):
    programme = serializers.IntegerField()
    partner = serializers.IntegerField(allow_null=True)
    partner_name = serializers.CharField(allow_null=True)
    from_cycle = CompareCycleSerializer()
    to_cycle = CompareCycleSerializer()
    principles = ComparePrincipleSerializer(many=True)
    overall = CompareFiguresSerializer()
    items = CompareItemsSerializer()
