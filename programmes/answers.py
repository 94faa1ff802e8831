"""Reading partners' answers: where a gap came from, and each partner's latest assessment.

Selectors only (nothing here writes). Submitted answers never change, so what a gap
page shows as "the answer that opened or kept it" stays true.
"""

from django.db.models import QuerySet

from .models import Assessment, Gap, Response
from .progress import latest_submitted_assessments


def gap_answers(*, gap: Gap) -> list[Response]:
    """The partner's submitted answers to the gap's item in the programme, latest first.

    The first is the answer that opened the gap or kept it open (or, for a gap closed
    by reassessment, the one that closed it). Two queries: the answers with their
    assessment and cycle, and their evidence.
    """
    return list(
        Response.objects.filter(
            assessment__cycle__programme_id=gap.programme_id,
            assessment__partner_id=gap.partner_id,
            assessment__status=Assessment.Status.SUBMITTED,
            checklist_item_id=gap.checklist_item_id,
        )
        .select_related("assessment__cycle")
        .prefetch_related("evidence_items")
        .order_by("-assessment__cycle__period_end", "-assessment__submitted_at", "-pk")
    )


def latest_assessment_ids(*, programme_id: int, partner_id: int | None = None) -> dict[int, int]:
    """{partner id: id of its latest submitted assessment in the programme}, one query."""
    rows: QuerySet = Assessment.objects.filter(
        pk__in=latest_submitted_assessments(programme_id, partner_id)
    ).values_list("partner_id", "pk")
    return dict(rows)
