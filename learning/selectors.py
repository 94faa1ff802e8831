"""Reads of learning that need more than a filter: offers that could meet a need."""

import re
from dataclasses import dataclass, field

from django.db.models import F

from .models import LearningNeed, TrainingOffer

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
