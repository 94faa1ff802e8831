"""Reads of learning that need more than a filter: offers that could meet a need, the
needs a provider's offers could meet, and what a funding stream's money is doing."""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    DecimalField,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from programmes.models import Membership, Partner, Programme

from . import access
from .matching import OfferMatch, rank, words
from .models import FundingAllocation, FundingStream, LearningNeed, TrainingOffer, TrainingSession

__all__ = ["OfferMatch", "NeedMatch", "keywords", "matching_offers", "needs_we_could_meet"]

OLD_STOP_WORDS = {
    "a", "an", "and", "the", "of", "for", "in", "on", "to", "with", "at", "by", "or", "all",
    "staff", "workers", "team", "teams", "training", "course", "skills",
}


def keywords(text: str) -> set[str]:
    """Lower-case word stems of three letters or more, without filler words: what joint
    commissioning (``reports``) groups similar needs by."""
    found = re.findall(r"[a-z0-9]+", (text or "").lower())
    return {w.rstrip("s") for w in found if len(w) >= 3 and w not in OLD_STOP_WORDS}

OPEN_NEEDS = (LearningNeed.Status.IDENTIFIED, LearningNeed.Status.PLANNED)


def _bookable(offers, now):
    """Published offers with a session ahead (or any time) that has free places, read
    with what the matching needs, in a fixed number of queries."""
    ahead = TrainingSession.objects.filter(
        offer_id=OuterRef("pk"), places_booked__lt=F("capacity")
    ).filter(Q(starts_at__isnull=True) | Q(starts_at__gte=now))
    sessions = TrainingSession.objects.order_by(F("starts_at").asc(nulls_first=True), "id")
    return (
        offers.published()
        .filter(Exists(ahead))
        .select_related("provider")
        .prefetch_related("principles", Prefetch("sessions", queryset=sessions))
    )


def _no_hyphens(column: str) -> Func:
    return Func(F(column), Value("-"), Value(""), function="replace",
                output_field=TextField())


def _text_prefilter(offers, topic: str):
    """On PostgreSQL, only the offers whose title, topics or description share a word
    with the topic (full-text search, any word by its stem as a prefix, so it keeps every
    offer the matching would score); elsewhere, all of them."""
    if connection.vendor != "postgresql":
        return offers
    from django.contrib.postgres.search import SearchQuery, SearchVector

    prefixes = set()
    for w in words(topic):
        for stem in {w.whole, *w.parts}:
            cut = stem[: max(3, len(stem) - 1)]
            if cut.isalnum():
                prefixes.add(cut.lower())
    if not prefixes:
        return offers.none()
    query = SearchQuery(" | ".join(f"{p}:*" for p in sorted(prefixes)),
                        search_type="raw", config="simple")
    vector = SearchVector("title", "topics", "description", _no_hyphens("title"),
                          _no_hyphens("topics"), _no_hyphens("description"), config="simple")
    return offers.annotate(match_text=vector).filter(match_text=query)


def _candidates(need: LearningNeed, offers):
    text = _text_prefilter(offers, need.topic)
    if need.principle_id:
        shared = offers.filter(principles=need.principle_id).values("pk")
        return offers.filter(Q(pk__in=text.values("pk")) | Q(pk__in=shared))
    return text


def matching_offers(*, need: LearningNeed, limit: int = 20) -> list[OfferMatch]:
    """Published offers with a session ahead with free places, ranked for the need, each
    with its reasons (``learning.matching``): the topic and staff group first, then the
    principle, then a session before ``needed_by``, then enough free places. An offer
    whose sessions all start after ``needed_by`` is still shown, lower; one that shares
    neither the topic nor the principle is left out."""
    now = timezone.now()
    offers = _candidates(need, _bookable(TrainingOffer.objects.all(), now))
    return rank(need, offers, limit=limit, now=now)


@dataclass
class NeedMatch:
    """An open need a provider could meet, with its best-matching offers of the provider."""

    need: LearningNeed
    matches: list[OfferMatch] = field(default_factory=list)

    @property
    def score(self) -> int:
        return self.matches[0].score if self.matches else 0


def demand_programme_ids(*, user, provider: Partner):
    """The programmes whose needs ``user`` sees for ``provider``: for the provider's own
    people, every programme they share with the provider; for a manager, the programmes
    they manage that the provider is in."""
    with_provider = Programme.partners.through.objects.filter(
        partner_id=provider.pk).values("programme_id")
    if user.is_staff:
        return with_provider
    role = (Membership.Role.LEARNING_PROVIDER if access.provides_for(user, provider.pk)
            else Membership.Role.MANAGER)
    mine = Membership.objects.active().filter(user_id=user.pk, role=role)
    if role == Membership.Role.LEARNING_PROVIDER:
        mine = mine.filter(partner_id=provider.pk)
    return mine.filter(programme_id__in=with_provider).values("programme_id")


def needs_we_could_meet(*, user, provider: Partner, offers_per_need: int = 3,
                        limit: int | None = None) -> list[NeedMatch]:
    """Open learning needs (identified or planned) of the programmes ``user`` sees for
    ``provider`` (``demand_programme_ids``) that the provider's published offers could
    meet, best match first (then the earliest ``needed_by``), each with its partner and
    programme and the provider's best offers for it. Reads in a fixed number of queries
    whatever the number of needs and offers."""
    now = timezone.now()
    offers = list(_bookable(TrainingOffer.objects.filter(provider_id=provider.pk), now))
    if not offers:
        return []
    needs = (
        LearningNeed.objects.visible_to(user)
        .filter(status__in=OPEN_NEEDS,
                programme_id__in=demand_programme_ids(user=user, provider=provider))
        .exclude(partner_id=provider.pk)
        .select_related("programme", "partner", "principle")
        .order_by(F("needed_by").asc(nulls_last=True), "id")
    )
    found = []
    for need in needs:
        matches = rank(need, offers, limit=offers_per_need, now=now)
        if matches:
            found.append(NeedMatch(need=need, matches=matches))
    found.sort(key=lambda n: (-n.score, n.need.needed_by is None,
                              n.need.needed_by or now.date(), n.need.pk))
    return found[:limit] if limit else found


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
