"""Reads of the reports app: the highlight report's figures and joint commissioning.

Each is a fixed number of grouped queries whatever the size of the programme.
"""

import datetime
import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from actions.models import Action
from learning.models import FundingStream, LearningNeed, Placement, TrainingOffer
from learning.selectors import keywords
from programmes.models import Gap, Programme, ProgressSnapshot
from programmes.progress import programme_progress

from . import successes as successes_module

CHANGE_FIGURES = ("score", "met", "gaps_open", "actions_done", "actions_overdue",
                  "learning_needs_met", "funding_allocated")


# Highlight report ----------------------------------------------------------------------


def _delta(now, before):
    if now is None or before is None:
        return None
    if isinstance(now, str) or isinstance(before, str):  # money is written as text
        return Decimal(str(now)) - Decimal(str(before))
    return round(now - before, 1) if isinstance(now, float) or isinstance(before, float) \
        else now - before


def highlight_report(*, programme: Programme, today: datetime.date | None = None,
                     successes_from: datetime.date | None = None) -> dict:
    """Everything a programme board's highlight report shows, as plain data.

    - progress by principle now, and the change since the last nightly snapshot
      before today (the whole programme's figures);
    - gaps opened and closed since that snapshot (or in the last 7 days without one);
    - open actions past their due date, by owning partner;
    - each funding stream's amount, allocation and what is left;
    - placements booked on training offers, by offer;
    - successes to celebrate from ``successes_from`` (default: the last 30 days) to today,
      and each principle's co-produced share (in the progress figures).
    """
    today = today or timezone.localdate()
    start = successes_from or successes_module.default_period(today)[0]
    progress = programme_progress(programme=programme, today=today)

    snapshots = ProgressSnapshot.objects.filter(programme=programme, partner__isnull=True,
                                                date__lt=today)
    previous_date = snapshots.aggregate(latest=Max("date"))["latest"]
    previous = {}
    if previous_date:
        for snap in snapshots.filter(date=previous_date):
            previous[snap.principle_id] = snap.figures  # None: overall
    since = previous_date or today - datetime.timedelta(days=7)

    def with_change(figures, before):
        change = {name: _delta(figures.get(name), before.get(name)) if before else None
                  for name in CHANGE_FIGURES}
        return {**figures, "previous_score": before.get("score") if before else None,
                "change": change}

    principles = [with_change(p, previous.get(p["id"])) for p in progress["principles"]]
    overall = with_change(progress["overall"], previous.get(None))

    gap_counts = (
        Gap.objects.filter(programme=programme)
        .values("principle__number")
        .annotate(
            opened=Count("pk", filter=Q(opened_at__date__gt=since)),
            closed=Count("pk", filter=Q(closed_at__date__gt=since)),
        )
        .order_by("principle__number")
    )
    gaps = {row["principle__number"]: row for row in gap_counts}
    gap_rows = [
        {"number": p["number"], "title": p["title"],
         "opened": gaps.get(p["number"], {}).get("opened", 0),
         "closed": gaps.get(p["number"], {}).get("closed", 0)}
        for p in principles
    ]

    overdue = list(
        Action.objects.filter(programme=programme).overdue(today)
        .values("owner_partner_id", "owner_partner__name")
        .annotate(count=Count("pk"), oldest_due=Min("due_date"))
        .order_by("-count", "owner_partner__name")
    )
    for row in overdue:
        row["partner"] = row.pop("owner_partner__name") or "No partner named"
        row["partner_id"] = row.pop("owner_partner_id")
        row["days_late"] = (today - row["oldest_due"]).days

    streams = list(
        FundingStream.objects.filter(programme=programme)
        .select_related("funder").order_by("name")
    )
    funding = {
        "streams": [{"id": s.pk, "name": s.name, "funder": s.funder.name, "amount": s.amount,
                     "allocated": s.allocated, "available": s.available} for s in streams],
        "amount": sum((s.amount for s in streams), Decimal("0.00")),
        "allocated": sum((s.allocated for s in streams), Decimal("0.00")),
    }
    funding["available"] = funding["amount"] - funding["allocated"]

    booked = list(
        Placement.objects.filter(learning_need__programme=programme)
        .values("training_offer_id", "training_offer__title", "training_offer__provider__name")
        .annotate(
            needs=Count("learning_need", distinct=True),
            requested=Sum("places", filter=Q(status=Placement.Status.REQUESTED), default=0),
            waiting=Sum("places", filter=Q(status=Placement.Status.WAITLISTED), default=0),
            approved=Sum("places", filter=Q(status=Placement.Status.APPROVED), default=0),
            confirmed=Sum("places", filter=Q(status=Placement.Status.CONFIRMED), default=0),
            completed=Sum("places_completed", default=0),
            cancelled=Sum("places", filter=Q(status=Placement.Status.CANCELLED), default=0),
        )
        .order_by("training_offer__title")
    )
    placements = [
        {"offer_id": r["training_offer_id"], "offer": r["training_offer__title"],
         "provider": r["training_offer__provider__name"], "needs": r["needs"],
         "requested": r["requested"], "waiting": r["waiting"], "approved": r["approved"],
         "confirmed": r["confirmed"], "completed": r["completed"], "cancelled": r["cancelled"]}
        for r in booked
    ]

    return {
        "programme": {"id": programme.pk, "name": programme.name},
        "as_of": timezone.now(),
        "today": today,
        "previous_snapshot": previous_date,
        "since": since,
        "principles": principles,
        "overall": overall,
        "gaps": {"rows": gap_rows, "opened": sum(r["opened"] for r in gap_rows),
                 "closed": sum(r["closed"] for r in gap_rows)},
        "overdue_actions": {"partners": overdue, "total": sum(r["count"] for r in overdue)},
        "funding": funding,
        "placements": {
            "offers": placements,
            "requested": sum(r["requested"] for r in placements),
            "waiting": sum(r["waiting"] for r in placements),
            "approved": sum(r["approved"] for r in placements),
            "confirmed": sum(r["confirmed"] for r in placements),
            "completed": sum(r["completed"] for r in placements),
        },
        "successes": successes_module.successes(programme=programme, start=start, end=today),
    }


# Joint commissioning -------------------------------------------------------------------

POOLABLE_STATUSES = (LearningNeed.Status.IDENTIFIED, LearningNeed.Status.PLANNED)
WINDOW_DAYS = 120  # needs due within four months of each other can share a cohort
TEXT_SIMILARITY = 0.8


def _similar(a: str, b: str, *, shared: float) -> bool:
    """Close text: the shorter text's key words are (more than ``shared``) in the other,
    or the wording is nearly the same (typos, word order)."""
    words_a, words_b = keywords(a), keywords(b)
    if words_a and words_b:
        overlap = len(words_a & words_b) / min(len(words_a), len(words_b))
        if overlap > shared:
            return True
    plain_a, plain_b = " ".join(a.casefold().split()), " ".join(b.casefold().split())
    return difflib.SequenceMatcher(None, plain_a, plain_b).ratio() >= TEXT_SIMILARITY


def _dates_overlap(a: LearningNeed, b: LearningNeed) -> bool:
    if a.needed_by is None or b.needed_by is None:
        return True
    return abs((a.needed_by - b.needed_by).days) <= WINDOW_DAYS


def _poolable(a: LearningNeed, b: LearningNeed) -> bool:
    return (
        a.principle_id == b.principle_id
        # Topics share more than half their key words ("dementia awareness" and
        # "dementia awareness and care", not "autism awareness"); staff groups at least
        # half ("home care workers" and "community care workers").
        and _similar(a.topic, b.topic, shared=0.5)
        and _similar(a.staff_group, b.staff_group, shared=0.49)
        and _dates_overlap(a, b)
    )


@dataclass
class Proposal:
    principle: object
    needs: list = field(default_factory=list)
    offers: list = field(default_factory=list)

    @property
    def partners(self):
        seen = {}
        for need in self.needs:
            seen.setdefault(need.partner_id, need.partner)
        return list(seen.values())

    @property
    def workers(self) -> int:
        return sum(n.workers_count for n in self.needs)

    @property
    def needed_by(self):
        dates = [n.needed_by for n in self.needs if n.needed_by]
        return min(dates) if dates else None

    @property
    def topic(self) -> str:
        return self.needs[0].topic

    @property
    def staff_group(self) -> str:
        return self.needs[0].staff_group

    @property
    def best_offer(self):
        return self.offers[0] if self.offers else None

    @property
    def kind(self) -> str:
        """``offer``: one published offer has room for everyone; else a ``commission``."""
        offer = self.best_offer
        return "offer" if offer is not None and offer.places_free >= self.workers else "commission"

    @property
    def estimated_cost(self) -> Decimal | None:
        offer = self.best_offer
        return offer.cost_per_place * self.workers if offer is not None else None


def _offer_fits(offer: TrainingOffer, principle_ids: set, topic_words: set, needed_by) -> bool:
    if not (principle_ids & {p.pk for p in offer.principles.all()}):
        return False
    offer_words = keywords(f"{offer.title} {offer.topics} {offer.description}")
    if not topic_words & offer_words:
        return False
    if needed_by and offer.start_date and offer.start_date > needed_by:
        return False
    return offer.places_free > 0


def joint_commissioning(*, programme: Programme) -> list[Proposal]:
    """Learning needs of two or more partners that could be met together.

    Needs still to be met (identified or planned) are grouped when, pair by pair, they
    have the same principle, close topics, close staff groups and needed-by dates within
    ``WINDOW_DAYS`` of each other. A group proposes pooling only when it spans two or more
    partners. Published offers with free places that address the principle and the topic
    are listed for each group, best first (meant for the staff group, room for more of
    the workers, then cheapest); the first prices the pooled cost.
    """
    needs = list(
        LearningNeed.objects.filter(programme=programme, status__in=POOLABLE_STATUSES,
                                    principle__isnull=False)
        .select_related("partner", "principle")
        .order_by("principle__number", "needed_by", "pk")
    )
    by_principle = defaultdict(list)
    for need in needs:
        by_principle[need.principle_id].append(need)

    groups: list[Proposal] = []
    for principle_needs in by_principle.values():
        clusters: list[Proposal] = []
        for need in principle_needs:
            home = next((c for c in clusters if all(_poolable(need, n) for n in c.needs)), None)
            if home is None:
                clusters.append(Proposal(principle=need.principle, needs=[need]))
            else:
                home.needs.append(need)
        groups += [c for c in clusters if len({n.partner_id for n in c.needs}) >= 2]
    if not groups:
        return []

    offers = list(
        TrainingOffer.objects.published().select_related("provider").prefetch_related("principles")
    )
    for group in groups:
        topic_words = set().union(*(keywords(n.topic) for n in group.needs))
        group_words = set().union(*(keywords(n.staff_group) for n in group.needs))
        group.offers = sorted(
            (o for o in offers
             if _offer_fits(o, {group.principle.pk}, topic_words, group.needed_by)),
            key=lambda o: (
                not (group_words & keywords(o.staff_groups)),  # meant for this staff group
                -min(o.places_free, group.workers),            # room for more of them
                o.cost_per_place, o.pk,
            ),
        )
    groups.sort(key=lambda g: (-len(g.partners), -g.workers, g.principle.number))
    return groups
