"""The page queries of the work pages: the lists and the rows a gap page shows.

Each returns a queryset (or a list where the page needs the rows themselves), built
exactly as the page reads it, so that a page costs the same queries wherever it is shown.
"""

from django.db.models import Q, QuerySet

from actions.models import Action
from learning.models import FundingStream, LearningNeed, TrainingOffer
from programmes.models import Gap, Membership, Partner, Principle, Programme

# Gaps ---------------------------------------------------------------------------------


def gap_needs(*, gap: Gap) -> list[LearningNeed]:
    """The gap's learning needs, with their placements and funding."""
    return list(
        LearningNeed.objects.filter(gap=gap)
        .select_related("partner")
        .prefetch_related("placements__training_offer", "funding_allocations__stream")
    )


def gap_actions(*, gap: Gap) -> list[Action]:
    """The gap's actions, with their owners and funding."""
    return list(
        Action.objects.filter(gap=gap)
        .select_related("owner", "owner_partner")
        .prefetch_related("funding_allocations__stream")
    )


# Actions ------------------------------------------------------------------------------


def my_open_actions(*, user) -> QuerySet:
    """The user's own open actions, soonest due first."""
    return (
        Action.objects.visible_to(user)
        .filter(Q(owner=user))
        .open()
        .select_related("programme", "gap__checklist_item", "owner_partner")
        .order_by("due_date", "pk")
    )


def my_done_actions(*, user, limit: int = 10) -> QuerySet:
    """The user's own most recently completed actions."""
    return (
        Action.objects.visible_to(user)
        .filter(owner=user, status="done")
        .select_related("programme")
        .order_by("-completed_at")[:limit]
    )


def action_notes(*, action: Action) -> QuerySet:
    return action.notes.select_related("author")


def action_allocations(*, action: Action) -> QuerySet:
    return action.funding_allocations.select_related("stream")


# Learning needs -----------------------------------------------------------------------


def programme_needs(*, user, programme: Programme) -> QuerySet:
    """The programme's learning needs the user may see, soonest needed first."""
    return (
        LearningNeed.objects.visible_to(user)
        .filter(programme=programme)
        .select_related("partner", "principle")
        .order_by("needed_by", "pk")
    )


def need_placements(*, need: LearningNeed) -> QuerySet:
    return need.placements.select_related("training_offer__provider")


def need_allocations(*, need: LearningNeed) -> QuerySet:
    return need.funding_allocations.select_related("stream")


# Funding ------------------------------------------------------------------------------


def programme_streams(*, user, programme: Programme) -> QuerySet:
    """The programme's funding streams the user may see, with what each has allocated."""
    return (
        FundingStream.objects.visible_to(user)
        .filter(programme=programme)
        .select_related("funder")
        .prefetch_related("allocations__learning_need", "allocations__action")
    )


# Training offers ----------------------------------------------------------------------


def published_offers() -> QuerySet:
    """The catalogue: published offers, soonest starting first."""
    return (
        TrainingOffer.objects.published()
        .select_related("provider")
        .prefetch_related("principles")
        .order_by("start_date", "pk")
    )


def provider_partners(*, user) -> QuerySet:
    """The learning providers the user publishes offers for (every provider for staff)."""
    if user.is_staff:
        return Partner.objects.filter(provides_learning=True)
    return Partner.objects.filter(
        pk__in=Membership.objects.active()
        .filter(user=user, role="learning_provider").values("partner_id")
    )


def provider_offers(*, providers) -> QuerySet:
    """The offers of the given providers, drafts first."""
    return (
        TrainingOffer.objects.filter(provider__in=providers)
        .select_related("provider")
        .order_by("status", "start_date")
    )


def offer_principles() -> QuerySet:
    """Every principle an offer may address, grouped by framework."""
    return Principle.objects.select_related("framework").order_by("framework__slug", "number")
