import django_filters as filters
from django.utils import timezone

from .models import CLOSED_STATUSES, Action


class ActionFilter(filters.FilterSet):
    principle = filters.NumberFilter(field_name="gap__principle")
    overdue = filters.BooleanFilter(method="filter_overdue",
                                    label="Overdue (due before today, still open)")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lt")
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gt")
    open = filters.BooleanFilter(method="filter_open", label="Still open (not done or cancelled)")

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
