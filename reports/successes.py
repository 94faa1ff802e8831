"""Successes to celebrate: what was achieved in a period, by partner and by principle.

Gaps closed (``closed_at``), actions done (``completed_at``) and learning needs met
(``met_at``) in the period, from its first day to its last, both included (Europe/London
days). Four queries whatever the size of the programme or the period: the principles,
then one per kind of success, each with the names the listing shows.
"""

import datetime
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from actions.models import Action
from learning.models import LearningNeed
from programmes.models import Gap, Principle, Programme

KINDS = ("gaps_closed", "actions_done", "learning_needs_met")
DEFAULT_DAYS = 30


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last 30 days, today included."""
    return today - datetime.timedelta(days=DEFAULT_DAYS - 1), today


def _bounds(start: datetime.date, end: datetime.date):
    zone = ZoneInfo(settings.TIME_ZONE)
    first = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    after = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min,
                                      tzinfo=zone)
    return first, after


def _counts() -> dict:
    return dict.fromkeys(KINDS, 0)


def successes(*, programme: Programme, start: datetime.date, end: datetime.date,
              partner_id: int | None = None) -> dict:
    """The period's successes, as plain data for the API, the pages and the report.

    An action belongs to its gap's partner and principle, or without a gap to its owning
    partner and no principle (as in progress). Work linked to no principle counts in the
    partner's and the total figures only.
    """
    first, after = _bounds(start, end)
    principles = list(Principle.objects.filter(framework_id=programme.framework_id)
                      .order_by("number").values("id", "number", "title"))

    gaps = (Gap.objects.filter(programme=programme, status=Gap.Status.CLOSED,
                               closed_at__gte=first, closed_at__lt=after)
            .select_related("partner", "checklist_item").order_by("closed_at", "pk"))
    actions = (Action.objects.filter(programme=programme, status=Action.Status.DONE,
                                     completed_at__gte=first, completed_at__lt=after)
               .select_related("gap__partner", "owner_partner").order_by("completed_at", "pk"))
    needs = (LearningNeed.objects.filter(programme=programme, status=LearningNeed.Status.MET,
                                         met_at__gte=first, met_at__lt=after)
             .select_related("partner").order_by("met_at", "pk"))
    if partner_id is not None:
        gaps = gaps.filter(partner_id=partner_id)
        actions = actions.filter(Q(gap__partner_id=partner_id)
                                 | Q(gap__isnull=True, owner_partner_id=partner_id))
        needs = needs.filter(partner_id=partner_id)

    found: list[tuple[str, Any, int | None, dict[str, Any]]] = []  # kind, partner, principle, item
    for gap in gaps:
        found.append(("gaps_closed", gap.partner, gap.principle_id, {
            "id": gap.pk, "title": f"{gap.checklist_item.code} {gap.checklist_item.text}",
            "principle": gap.principle_id, "on": gap.closed_at}))
    for action in actions:
        its_gap = action.gap
        partner = its_gap.partner if its_gap is not None else action.owner_partner
        principle: int | None = its_gap.principle_id if its_gap is not None else None
        found.append(("actions_done", partner, principle, {
            "id": action.pk, "title": action.title, "principle": principle,
            "on": action.completed_at}))
    for need in needs:
        found.append(("learning_needs_met", need.partner, need.principle_id, {
            "id": need.pk, "title": f"{need.topic} ({need.staff_group})",
            "principle": need.principle_id, "on": need.met_at}))

    numbers: dict[int | None, int] = {p["id"]: p["number"] for p in principles}
    by_partner: dict = {}
    by_principle: dict = defaultdict(_counts)
    totals = _counts()
    for kind, partner, principle, item in found:
        item["principle_number"] = numbers.get(principle)
        key = partner.pk if partner else None
        row = by_partner.setdefault(key, {
            "id": key, "name": partner.name if partner else "No partner named",
            **_counts(), **{f"{kind}_items": [] for kind in KINDS}})
        row[kind] += 1
        row[f"{kind}_items"].append(item)
        totals[kind] += 1
        if principle is not None:
            by_principle[principle][kind] += 1

    return {
        "programme": programme.pk,
        "partner": partner_id,
        "from": start,
        "to": end,
        "total": sum(totals.values()),
        **totals,
        "partners": sorted(by_partner.values(),
                           key=lambda r: (r["id"] is None, r["name"].casefold())),
        "principles": [{**p, **by_principle[p["id"]]} for p in principles],
    }
