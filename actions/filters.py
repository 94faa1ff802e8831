import django_filters as filters
from django.db.models import Case, F, Value, When
from django.utils import timezone

from core.api.filters import IdFilter

from .models import CLOSED_STATUSES, Action


class ActionFilter(filters.FilterSet):
    # Ids are compared with their columns, not looked up first (core.api.filters).
    programme = IdFilter(field_name="programme")
    owner = IdFilter(field_name="owner")
    owner_partner = IdFilter(field_name="owner_partner")
    gap = IdFilter(field_name="gap")
    principle = IdFilter(field_name="gap__principle")
    overdue = filters.BooleanFilter(method="filter_overdue",
                                    label="Overdue (due before today, still open)")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lt")
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gt")
    open = filters.BooleanFilter(method="filter_open", label="Still open (not done or cancelled)")
    no_owner = filters.BooleanFilter(field_name="owner", lookup_expr="isnull",
                                     label="No owner")

    class Meta:
        model = Action
        fields = ["programme", "status", "owner", "owner_partner", "gap", "priority"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = {"due_date__lt": timezone.localdate()}
        if value:
            return queryset.exclude(status__in=CLOSED_STATUSES).filter(**overdue)
        return queryset.exclude(pk__in=queryset.model.objects.overdue().values("pk"))

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.exclude(status__in=CLOSED_STATUSES)
        return queryset.filter(status__in=CLOSED_STATUSES)


class ActionBoardFilter(ActionFilter):
    """The programme action board's filters: the API's, with a search of the title (the
    API's own ``search`` also reads the description) and the board's three sort orders."""

    search = filters.CharFilter(field_name="title", lookup_expr="icontains", label="Title")
    sort = filters.ChoiceFilter(
        choices=[("due_date", "Due date (soonest first)"), ("priority", "Priority (high first)"),
                 ("status", "Status (not started first)")],
        method="filter_sort", label="Sort by", empty_label=None,
    )

    def filter_sort(self, queryset, name, value):
        # Priority and status sort in their own order (high before low; not started
        # before done), not alphabetically; each ends with the due date and the id.
        ranks = {"priority": [Action.Priority.HIGH, Action.Priority.MEDIUM, Action.Priority.LOW],
                 "status": list(Action.Status.values)}
        keys = []
        if value in ranks:
            keys.append(Case(*[When(**{value: v}, then=Value(i))
                               for i, v in enumerate(ranks[value])], default=Value(99)))
        return queryset.order_by(*keys, F("due_date").asc(nulls_last=True), "pk")
