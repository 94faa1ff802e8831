from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.fields import MAX_TEXT, BaseModelSerializer, VisiblePrimaryKeyRelatedField

from .. import contributions as voices
from .. import selectors
from ..models import (
    Assessment,
    AssessmentCycle,
    ChecklistItem,
    Contribution,
    Contributor,
    Framework,
    Gap,
    Membership,
    Partner,
    Perspective,
    Principle,
    Programme,
    Rating,
    Response,
)


class FrameworkSerializer(BaseModelSerializer):
    class Meta:
        model = Framework
        fields = ["id", "slug", "title", "publisher", "version", "source"]


class PrincipleSerializer(BaseModelSerializer):
    class Meta:
        model = Principle
        fields = ["id", "framework", "number", "title", "summary"]


class ChecklistItemSerializer(BaseModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "principle", "code", "text", "order", "is_active"]


class PartnerSerializer(BaseModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", "name", "sector", "provides_learning", "contact_email", "created_at"]
        read_only_fields = ["created_at"]


class ProgrammeSerializer(BaseModelSerializer):
    partners = VisiblePrimaryKeyRelatedField(
        many=True, queryset=Partner.objects.all(), required=False
    )

    class Meta:
        model = Programme
        fields = [
            "id", "name", "description", "framework", "partners",
            "start_date", "end_date", "status", "escalation_days", "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {
            "escalation_days": {
                "help_text": "Days overdue at which an open action is escalated: first to "
                             "its partner's leads, then to the programme's managers, for "
                             "example [7, 21]; [] for no escalation.",
                "error_messages": {
                    "null": "Give the escalation days as a list, for example [7, 21], or [] "
                            "for no escalation.",
                    "invalid": "Give the escalation days as a list of up to two whole "
                               "numbers of days, for example [7, 21].",
                },
            },
        }

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_date": "The end date must not be before the start date."})
        return attrs


class MembershipSerializer(BaseModelSerializer):
    user = VisiblePrimaryKeyRelatedField(queryset=get_user_model().objects.all())
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "programme", "user", "username", "role", "partner", "created_at",
                  "ended_at", "ended_by"]
        read_only_fields = ["created_at", "ended_at", "ended_by"]


class CycleSerializer(BaseModelSerializer):
    is_open = serializers.SerializerMethodField(
        help_text="Open for submissions today: started, and not closed by a manager."
    )

    class Meta:
        model = AssessmentCycle
        fields = ["id", "programme", "name", "period_start", "period_end", "closed_at", "is_open"]
        read_only_fields = ["closed_at"]

    def get_is_open(self, cycle) -> bool:
        return cycle.is_open_on(timezone.localdate())

    def validate(self, attrs):
        start = attrs.get("period_start", getattr(self.instance, "period_start", None))
        end = attrs.get("period_end", getattr(self.instance, "period_end", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"period_end": "The end of the period must not be before its start."})
        return attrs


class AssessmentSerializer(BaseModelSerializer):
    programme = serializers.IntegerField(source="cycle.programme_id", read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id", "cycle", "programme", "partner", "status", "submitted_at", "submitted_by",
            "participants", "includes_people_supported", "late", "created_at",
        ]
        read_only_fields = ["status", "submitted_at", "submitted_by", "late", "created_at"]


class SpreadSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    partly_met = serializers.IntegerField()
    not_met = serializers.IntegerField()
    not_applicable = serializers.IntegerField()


class ResponseListSerializer(serializers.ListSerializer):
    """Reads the contributions to a page of responses in one query."""

    def to_representation(self, data):
        rows = list(data.all() if hasattr(data, "all") else data)
        known = voices.spreads_for(
            (r.assessment_id, r.checklist_item_id) for r in rows)
        self.child.context["spreads"] = known
        return [self.child.to_representation(row) for row in rows]


class ResponseSerializer(BaseModelSerializer):
    contributions = serializers.SerializerMethodField(
        help_text="How many contributors gave each rating to this item.")
    agreement = serializers.SerializerMethodField(
        help_text="``agreed`` when every contributed rating is within one step of the "
        "others on met > partly met > not met, ``split`` when further apart, null with no "
        "contributed rating on that scale.")
    previous_rating = serializers.SerializerMethodField(
        help_text="The partner's rating of this item in its last submitted assessment before "
        "this one, or null."
    )

    class Meta:
        model = Response
        fields = [
            "id", "assessment", "checklist_item", "rating", "evidence", "notes",
            "consensus_note", "contributions", "agreement", "carried_forward",
            "previous_rating", "updated_at",
        ]
        read_only_fields = ["carried_forward", "updated_at"]
        list_serializer_class = ResponseListSerializer

    def _spread(self, response) -> voices.Spread:
        cached = getattr(response, "_contribution_spread", None)
        if cached is None:
            cached = voices.spread_of_response(response, self.context.get("spreads"))
            response._contribution_spread = cached
        return cached

    @extend_schema_field(SpreadSerializer)
    def get_contributions(self, response) -> dict:
        return self._spread(response).counts

    @extend_schema_field(serializers.ChoiceField(
        choices=[(voices.AGREED, "Agreed"), (voices.SPLIT, "Split")],
        allow_null=True))
    def get_agreement(self, response):
        return self._spread(response).agreement

    @extend_schema_field(
        serializers.ChoiceField(choices=Rating.choices, allow_null=True)
    )
    def get_previous_rating(self, response):
        if hasattr(response, "previous_rating"):  # annotated by the list's one query
            return response.previous_rating
        return selectors.previous_ratings(Response.objects.filter(pk=response.pk)).get(
            pk=response.pk).previous_rating


class GapSerializer(BaseModelSerializer):
    item_code = serializers.CharField(source="checklist_item.code", read_only=True)
    item_text = serializers.CharField(source="checklist_item.text", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    # Empty while the gap is open: the schema must allow "" beside the reasons.
    closed_reason = serializers.ChoiceField(
        choices=Gap.ClosedReason.choices, allow_blank=True, read_only=True
    )
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)

    class Meta:
        model = Gap
        fields = [
            "id", "programme", "partner", "partner_name", "checklist_item", "item_code",
            "item_text", "principle", "severity", "status", "description", "opened_at",
            "opened_by_assessment", "last_assessment", "closed_at", "closed_reason",
            "status_note", "version",
        ]
        read_only_fields = [
            "principle", "status", "opened_at", "opened_by_assessment", "last_assessment",
            "closed_at", "closed_reason", "status_note",
        ]


class GapUpdateSerializer(GapSerializer):
    class Meta(GapSerializer.Meta):
        read_only_fields = GapSerializer.Meta.read_only_fields + [
            "programme", "partner", "checklist_item",
        ]


class GapStatusSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, allow_blank=False, trim_whitespace=True)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


ACTION_OUTCOME_SCHEMA = {
    "oneOf": [
        {"type": "string", "enum": ["done", "cancelled", "kept"]},
        {"type": "object", "additionalProperties": {
            "type": "string", "enum": ["done", "cancelled", "kept"]}},
    ],
    "description": "What becomes of the gap's open actions: one word for all of them, or "
    "a mapping of action id to a word. Needed when the gap's closure was proposed and it "
    "has open actions; otherwise they are kept.",
}


@extend_schema_field(ACTION_OUTCOME_SCHEMA)
class ActionOutcomesField(serializers.Field):
    default_error_messages = {
        "invalid": "Give \u201cdone\u201d, \u201ccancelled\u201d or \u201ckept\u201d, "
                   "or a mapping of action id to one of those."
    }

    def to_internal_value(self, data):
        if isinstance(data, str) or (
            isinstance(data, dict) and all(isinstance(v, str) for v in data.values())
            and len(data) <= 1000
        ):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class GapCloseSerializer(GapStatusSerializer):
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, trim_whitespace=True,
        help_text="Why the gap is closed; may be left out when deciding a proposed closure.",
    )
    actions = ActionOutcomesField(required=False)


class GapKeepOpenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True,
                                   trim_whitespace=True)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class CarryForwardResultSerializer(serializers.Serializer):
    assessment = serializers.IntegerField()
    source_assessment = serializers.IntegerField()
    source_cycle = serializers.CharField()
    carried_forward = serializers.ListField(
        child=serializers.CharField(), help_text="The codes of the items filled."
    )


class SubmitResultSerializer(serializers.Serializer):
    assessment = AssessmentSerializer()
    gaps_opened = serializers.ListField(child=serializers.IntegerField())
    gaps_kept = serializers.ListField(child=serializers.IntegerField())
    gaps_closed = serializers.ListField(child=serializers.IntegerField())
    gaps_closure_proposed = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Gaps rated met that still have open work: a manager decides.",
    )


class ProgressQuerySerializer(serializers.Serializer):
    partner = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def validate_partner(self, value):
        if not self.context["programme"].partners.filter(pk=value).exists():
            raise serializers.ValidationError("This partner is not in the programme.")
        return value


class ContributionCountsSerializer(serializers.Serializer):
    """Contributions to the latest submitted assessments, by perspective."""

    staff = serializers.IntegerField()
    manager = serializers.IntegerField()
    person_supported = serializers.IntegerField()
    carer = serializers.IntegerField()
    partner_organisation = serializers.IntegerField()
    other = serializers.IntegerField()


class ProgressFiguresSerializer(serializers.Serializer):
    items = serializers.IntegerField()
    assessed = serializers.IntegerField()
    met = serializers.IntegerField()
    partly_met = serializers.IntegerField()
    not_met = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    gaps_open = serializers.IntegerField()
    gaps_closed = serializers.IntegerField()
    actions = serializers.IntegerField()
    actions_done = serializers.IntegerField()
    actions_overdue = serializers.IntegerField()
    learning_needs = serializers.IntegerField()
    learning_needs_met = serializers.IntegerField()
    funding_allocated = serializers.DecimalField(max_digits=14, decimal_places=2)
    score = serializers.FloatField(
        allow_null=True,
        help_text="0 to 100, one decimal; null when nothing applicable was assessed.",
    )
    coproduced_share = serializers.FloatField(
        allow_null=True,
        help_text="Share of the latest submitted assessments (one per partner, as the score "
                  "reads) with at least one contribution from a person supported or a carer "
                  "on an item of this principle (overall: on any item); 0 to 100, one "
                  "decimal; null when no assessment is submitted (and in snapshots taken "
                  "before the figure existed).",
    )
    contributions = ContributionCountsSerializer(
        allow_null=True,
        help_text="Contributions to those assessments by perspective (null in snapshots "
                  "taken before the figure existed).",
    )


class PrincipleProgressSerializer(ProgressFiguresSerializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()


class ProgressSerializer(serializers.Serializer):
    programme = serializers.IntegerField()
    partner = serializers.IntegerField(allow_null=True)
    as_of = serializers.DateTimeField()
    principles = PrincipleProgressSerializer(many=True)
    overall = ProgressFiguresSerializer()


class ProgressHistoryQuerySerializer(ProgressQuerySerializer):
    partner = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                       source="partner_id")
    since = serializers.DateField(required=False)


class SnapshotPrincipleSerializer(ProgressFiguresSerializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()


class SnapshotDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    principles = SnapshotPrincipleSerializer(many=True)
    overall = ProgressFiguresSerializer(allow_null=True)


RATING_CHOICE: dict[str, Any] = {
    "invalid_choice": "Choose a rating: met, partly met, not met or not applicable."}
PERSPECTIVE_CHOICE: dict[str, Any] = {
    "invalid_choice": "Choose whose point of view this is: member of staff, manager, person "
                      "who draws on care, carer, partner organisation or other."}


class ContributableAssessmentField(VisiblePrimaryKeyRelatedField):
    """An assessment the user may see as a member, or was asked to contribute to."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Assessment.objects.none()
        user = request.user
        asked = Contributor.objects.filter(
            user_id=user.pk, removed_at__isnull=True).values("assessment_id")
        return (Assessment.objects.filter(pk__in=asked)
                | Assessment.objects.visible_to(user)).select_related(
            "cycle__programme", "partner")


class ContributionSerializer(BaseModelSerializer):
    assessment: Any = ContributableAssessmentField(queryset=Assessment.objects.all())
    checklist_item: Any = VisiblePrimaryKeyRelatedField(
        queryset=ChecklistItem.objects.select_related("principle"))
    perspective = serializers.ChoiceField(
        choices=Perspective.choices, required=False, error_messages=PERSPECTIVE_CHOICE,
        help_text="Whose point of view: left out, an invited contributor speaks from the "
        "perspective they were asked for; a partner lead or manager from ``staff``.")
    rating = serializers.ChoiceField(choices=Rating.choices, error_messages=RATING_CHOICE)
    comment = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)

    class Meta:
        model = Contribution
        fields = ["id", "assessment", "checklist_item", "contributor", "perspective",
                  "rating", "comment", "created_at", "updated_at"]
        read_only_fields = ["contributor", "created_at", "updated_at"]


class ContributionUpdateSerializer(ContributionSerializer):
    assessment: Any = serializers.PrimaryKeyRelatedField(read_only=True)
    checklist_item: Any = serializers.PrimaryKeyRelatedField(read_only=True)
    rating = serializers.ChoiceField(choices=Rating.choices, error_messages=RATING_CHOICE,
                                     required=False)
