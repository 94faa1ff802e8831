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
