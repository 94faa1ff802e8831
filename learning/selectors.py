"""Reads of learning that need more than a filter: offers that could meet a need, and
what a funding stream's money is doing."""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from .models import FundingAllocation, FundingStream, LearningNeed, TrainingOffer

STOP_WORDS = {
    "a", "an", "and", "the", "of", "for", "in", "on", "to", "with", "at", "by", "or", "all",
    "staff", "workers", "team", "teams", "training", "course", "skills",
}


def keywords(text: str) -> set[str]:
    """Lower-case words of three letters or more, without common filler words."""
    words = re.findall(r"[a-z0-9]+", (text or "").lower())
    return {w.rstrip("s") for w in words if len(w) >= 3 and w not in STOP_WORDS}


@dataclass
class OfferMatch:
    offer: TrainingOffer
    score: int = 0
    reasons: list[str] = field(default_factory=list)


def matching_offers(*, need: LearningNeed, limit: int = 20) -> list[OfferMatch]:
    """Published offers with free places, ranked for the need, each with its reasons.

    Points: the need's principle (3), words of its topic (2, or 1 for a partial
    match), its staff group (1), a start before ``needed_by`` (1), and enough free
    places for every worker (1). Offers that start after ``needed_by`` or match
    neither principle nor topic are left out.
    """
    offers = (
        TrainingOffer.objects.published()
        .filter(places_booked__lt=F("capacity"))
        .select_related("provider")
        .prefetch_related("principles")
    )
    topic_words = keywords(need.topic)
    group_words = keywords(need.staff_group)
    matches = []
    for offer in offers:
        match = OfferMatch(offer=offer)
        principle_ids = {p.pk for p in offer.principles.all()}
        if need.principle_id and need.principle_id in principle_ids:
            match.score += 3
            match.reasons.append("addresses the need's principle")
        offer_words = keywords(f"{offer.title} {offer.topics} {offer.description}")
        shared = topic_words & offer_words
        if topic_words and shared == topic_words:
            match.score += 2
            match.reasons.append(f"covers the topic ({', '.join(sorted(shared))})")
        elif shared:
            match.score += 1
            match.reasons.append(f"covers part of the topic ({', '.join(sorted(shared))})")
        if match.score == 0:
            continue
        if group_words & keywords(offer.staff_groups):
            match.score += 1
            match.reasons.append(f"is meant for {need.staff_group}")
        if need.needed_by and offer.start_date:
            if offer.start_date > need.needed_by:
                continue
            match.score += 1
            match.reasons.append(f"starts on {offer.start_date:%-d %B %Y}, before it is needed")
        if offer.places_free >= need.workers_count:
            match.score += 1
            match.reasons.append(f"has {offer.places_free} free places, enough for every worker")
        else:
            match.reasons.append(f"has {offer.places_free} free places, fewer than the workers")
        matches.append(match)
    matches.sort(key=lambda m: (
        -m.score, m.offer.start_date or need.needed_by or m.offer.created_at.date(), m.offer.pk))
    return matches[:limit]


# Funding: what a stream's money is doing ------------------------------------------------

MONEY_STEPS = ("planned", "committed", "claimed", "paid")


def _money_sum(path: str, status: str):
    return Coalesce(
        Sum(f"{path}amount", filter=Q(**{f"{path}status": status})),
        Value(Decimal("0.00")), output_field=DecimalField(max_digits=14, decimal_places=2))


def streams_with_money(queryset: QuerySet) -> QuerySet:
    """Streams with ``money_planned``, ``money_committed``, ``money_claimed`` and
    ``money_paid``: the sums of their allocations at each step, in the one query that
    reads the streams."""
    # A grouped query drops the model's ordering: keep it (an ``order_by`` after wins).
    return queryset.annotate(**{
        f"money_{step}": _money_sum("allocations__", step) for step in MONEY_STEPS
    }).order_by(*(list(queryset.query.order_by) or ["programme_id", "name", "pk"]))


@dataclass
class PartnerMoney:
    """What one partner draws on a stream, at each step, against the stream's cap."""

    partner_id: int | None
    partner_name: str
    planned: Decimal
    committed: Decimal
    claimed: Decimal
    paid: Decimal
    cap: Decimal | None

    @property
    def held(self) -> Decimal:
        return self.planned + self.committed + self.claimed + self.paid

    @property
    def left_under_cap(self) -> Decimal | None:
        """What the partner may still draw; None when no cap applies (no cap, or money
        for actions no partner owns)."""
        if self.cap is None:
            return None
        return max(self.cap - self.held, Decimal("0.00"))


def stream_partners(*, stream: FundingStream) -> list[PartnerMoney]:
    """Each partner with money on the stream (one query), by name; money for actions no
    partner owns comes last, on no partner's cap."""
    rows = (FundingAllocation.objects.filter(stream=stream)
            .values("partner_id", "partner__name")
            .annotate(**{step: _money_sum("", step) for step in MONEY_STEPS})
            .order_by("partner__name", "partner_id"))
    found = []
    for values in rows:
        row: dict[str, Any] = dict(values)
        found.append(PartnerMoney(
            partner_id=row["partner_id"],
            partner_name=row["partner__name"] or "No partner (actions no partner owns)",
            cap=stream.cap_per_partner if row["partner_id"] else None,
            **{step: Decimal(row[step]).quantize(Decimal("0.01")) for step in MONEY_STEPS}))
    return sorted(found, key=lambda p: p.partner_id is None)
