"""Reads of the programmes app that more than one surface uses."""

import datetime

from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Assessment, Response

# A draft has no submission time: every submitted assessment counts as before it.
_NEVER = datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC)


def previous_ratings(responses: QuerySet) -> QuerySet:
    """Annotate ``previous_rating``: the partner's rating of the same item in its latest
    submitted assessment before the response's own (any earlier one, for a draft).

    One correlated subquery in the same statement, so a list costs no more queries.
    An item belongs to one framework, so the same item means the same framework.
    """
    earlier = (
        Response.objects.filter(
            checklist_item_id=OuterRef("checklist_item_id"),
            assessment__partner_id=OuterRef("assessment__partner_id"),
            assessment__status=Assessment.Status.SUBMITTED,
            assessment__submitted_at__lt=Coalesce(
                OuterRef("assessment__submitted_at"), Value(_NEVER)
            ),
        )
        .exclude(assessment_id=OuterRef("assessment_id"))
        .order_by("-assessment__submitted_at", "-assessment_id")
        .values("rating")[:1]
    )
    return responses.annotate(previous_rating=Subquery(earlier))
