"""Nightly snapshots of progress, the trend behind the dashboard."""

import datetime

from django.db import transaction

from .models import Programme, ProgressSnapshot
from .progress import partners_progress, programme_progress

FIGURE_FIELDS = ("number", "title", "id")


def _rows(programme: Programme, day: datetime.date, partner_id: int | None,
          figures: dict | None = None) -> list[ProgressSnapshot]:
    if figures is None:
        figures = programme_progress(programme=programme, partner_id=partner_id, today=day)
    who = "all" if partner_id is None else str(partner_id)
    rows = []
    for principle in figures["principles"]:
        values = {k: v for k, v in principle.items() if k not in FIGURE_FIELDS}
        rows.append(ProgressSnapshot(
            programme=programme, partner_id=partner_id, principle_id=principle["id"], date=day,
            scope=f"{who}:{principle['id']}", score=values["score"], figures=values,
        ))
    overall = figures["overall"]
    rows.append(ProgressSnapshot(
        programme=programme, partner_id=partner_id, principle_id=None, date=day,
        scope=f"{who}:overall", score=overall["score"], figures=overall,
    ))
    return rows


@transaction.atomic
def snapshot_take(*, programme: Programme, day: datetime.date) -> int:
    """Store (or replace) the day's snapshot for the programme and each of its partners."""
    rows = _rows(programme, day, None)
    for partner_id, figures in partners_progress(programme=programme, today=day).items():
        rows.extend(_rows(programme, day, partner_id, figures))
    ProgressSnapshot.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["programme", "date", "scope"],
        update_fields=["score", "figures", "taken_at"],
    )
    return len(rows)


def snapshots_take_all(*, day: datetime.date) -> int:
    total = 0
    for programme in Programme.objects.exclude(status=Programme.Status.CLOSED):
        total += snapshot_take(programme=programme, day=day)
    return total


def snapshot_history(*, programme: Programme, partner_id: int | None = None,
                     since: datetime.date | None = None):
    snapshots = ProgressSnapshot.objects.filter(
        programme=programme, partner_id=partner_id
    ).select_related("principle")
    if since:
        snapshots = snapshots.filter(date__gte=since)
    return snapshots.order_by("date", "principle__number")
