from rest_framework import serializers


class PrincipleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.IntegerField()
    title = serializers.CharField()


class PartnerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class PooledNeedSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    partner = serializers.IntegerField(source="partner_id")
    partner_name = serializers.CharField(source="partner.name")
    topic = serializers.CharField()
    staff_group = serializers.CharField()
    workers_count = serializers.IntegerField()
    needed_by = serializers.DateField(allow_null=True)
    status = serializers.CharField()


class CandidateOfferSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    provider = serializers.IntegerField(source="provider_id")
    provider_name = serializers.CharField(source="provider.name")
    format = serializers.CharField()
    start_date = serializers.DateField(allow_null=True)
    places_free = serializers.IntegerField()
    cost_per_place = serializers.DecimalField(max_digits=12, decimal_places=2)


class ProposalSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["offer", "commission"],
        help_text="offer: one published offer has room for all the workers; "
                  "commission: commission one course together.")
    principle = PrincipleRefSerializer()
    topic = serializers.CharField()
    staff_group = serializers.CharField()
    partners = PartnerRefSerializer(many=True)
    needs = PooledNeedSerializer(many=True)
    workers = serializers.IntegerField(help_text="Workers the partners would pool.")
    needed_by = serializers.DateField(allow_null=True, help_text="The earliest needed-by date.")
    offer = CandidateOfferSerializer(source="best_offer", allow_null=True)
    other_offers = serializers.SerializerMethodField()
    estimated_cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True,
        help_text="Workers × the offer's cost per place; null without a matching offer.")

    def get_other_offers(self, proposal) -> list[dict]:
        return CandidateOfferSerializer(proposal.offers[1:4], many=True).data


class JointCommissioningSerializer(serializers.Serializer):
    programme = serializers.IntegerField()
    proposals = ProposalSerializer(many=True)


# Successes to celebrate ----------------------------------------------------------------

DATE_MESSAGES = {
    "invalid": "Write the date as year-month-day, for example 2026-11-30.",
    "datetime": "Write the date as year-month-day, for example 2026-11-30.",
}


class SuccessesQuerySerializer(serializers.Serializer):
    """``from`` and ``to`` (both included; default: the last 30 days) and ``partner``."""

    partner = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1,
        error_messages={"invalid": "Give the partner as a number.",
                        "min_value": "Give the partner as a number.",
                        "max_value": "Give the partner as a number."})

    def get_fields(self):
        # ``from`` is a Python keyword, so the two dates are added here, not as attributes.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, error_messages=DATE_MESSAGES,
            help_text="The first day of the period (default: 29 days before 'to').")
        fields["to"] = serializers.DateField(
            required=False, error_messages=DATE_MESSAGES,
            help_text="The last day of the period (default: today).")
        return fields

    def validate_partner(self, value):
        if not self.context["programme"].partners.filter(pk=value).exists():
            raise serializers.ValidationError("This partner is not in the programme.")
        return value

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and start > end:
            raise serializers.ValidationError(
                {"from": "The first day must be on or before the last day."})
        return attrs


class SuccessItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    principle = serializers.IntegerField(allow_null=True)
    principle_number = serializers.IntegerField(allow_null=True)
    on = serializers.DateTimeField(help_text="When it was closed, done or met.")


class SuccessCountsSerializer(serializers.Serializer):
    gaps_closed = serializers.IntegerField()
    actions_done = serializers.IntegerField()
    learning_needs_met = serializers.IntegerField()


class PartnerSuccessesSerializer(SuccessCountsSerializer):
    id = serializers.IntegerField(allow_null=True,
                                  help_text="Null for actions with no gap and no partner.")
    name = serializers.CharField()
    gaps_closed_items = SuccessItemSerializer(many=True)
    actions_done_items = SuccessItemSerializer(many=True)
    learning_needs_met_items = SuccessItemSerializer(many=True)


class PrincipleSuccessesSerializer(SuccessCountsSerializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()


class SuccessesSerializer(SuccessCountsSerializer):
    programme = serializers.IntegerField()
    partner = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField(help_text="Gaps closed, actions done and needs met.")
    partners = PartnerSuccessesSerializer(
        many=True, help_text="Partners with at least one success, with the items.")
    principles = PrincipleSuccessesSerializer(
        many=True, help_text="Every principle; work linked to none counts in the totals only.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields
