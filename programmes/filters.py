"""FilterSets, shared by the API lists and the web pages."""

import django_filters as filters

from core.api.filters import IdFilter

from .models import (
    Assessment,
    AssessmentCycle,
    Champion,
    ChecklistItem,
    Contribution,
    Contributor,
    Gap,
    Membership,
    Partner,
    Principle,
    Programme,
    Response,
)


class PrincipleFilter(filters.FilterSet):
    framework_slug = filters.CharFilter(field_name="framework__slug")

    class Meta:
        model = Principle
        fields = ["framework", "number"]


class ChecklistItemFilter(filters.FilterSet):
    framework = filters.NumberFilter(field_name="principle__framework")
    framework_slug = filters.CharFilter(field_name="principle__framework__slug")

    class Meta:
        model = ChecklistItem
        fields = ["principle", "code", "is_active"]


class PartnerFilter(filters.FilterSet):
    programme = filters.NumberFilter(field_name="programmes", distinct=True)

    class Meta:
        model = Partner
        fields = ["sector", "provides_learning"]


class ProgrammeFilter(filters.FilterSet):
    class Meta:
        model = Programme
        fields = ["status", "framework"]


class MembershipFilter(filters.FilterSet):
    class Meta:
        model = Membership
        fields = ["programme", "user", "role", "partner"]


class CycleFilter(filters.FilterSet):
    class Meta:
        model = AssessmentCycle
        fields = ["programme"]


class AssessmentFilter(filters.FilterSet):
    programme = filters.NumberFilter(field_name="cycle__programme")

    class Meta:
        model = Assessment
        fields = ["cycle", "partner", "status", "includes_people_supported"]


class ResponseFilter(filters.FilterSet):
    principle = filters.NumberFilter(field_name="checklist_item__principle")

    class Meta:
        model = Response
        fields = ["assessment", "checklist_item", "rating"]


class ContributorFilter(filters.FilterSet):
    class Meta:
        model = Contributor
        fields = ["assessment", "perspective", "user"]


class ContributionFilter(filters.FilterSet):
    class Meta:
        model = Contribution
        fields = ["assessment", "checklist_item", "perspective", "contributor"]


class GapFilter(filters.FilterSet):
    # Ids are compared with their columns, not looked up first (core.api.filters).
    programme = IdFilter(field_name="programme")
    partner = IdFilter(field_name="partner")
    principle = IdFilter(field_name="principle")
    checklist_item = IdFilter(field_name="checklist_item")
    principle_number = filters.NumberFilter(field_name="principle__number")

    class Meta:
        model = Gap
        fields = ["programme", "partner", "principle", "checklist_item", "status", "severity"]


class ChampionFilter(filters.FilterSet):
    principle_number = filters.NumberFilter(field_name="principle__number")

    class Meta:
        model = Champion
        fields = ["programme", "partner", "principle", "user"]
