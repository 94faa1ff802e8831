"""The page queries of the work pages: the lists and the rows a gap page shows.

Each returns a queryset (or a list where the page needs the rows themselves), built
exactly as the page reads it, so that a page costs the same queries wherever it is shown.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from actions.models import Action
from learning.models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    Placement,
    TrainingOffer,
    TrainingSession,
)
from learning.selectors import streams_with_money
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
    return need.placements.select_related("training_offer__provider", "session",
                                          "requested_by")


def need_allocations(*, need: LearningNeed) -> QuerySet:
    return need.funding_allocations.select_related("stream")


# Funding ------------------------------------------------------------------------------


def programme_streams(*, user, programme: Programme) -> QuerySet:
    """The programme's funding streams the user may see, with their money at each step."""
    return (
        streams_with_money(FundingStream.objects.visible_to(user).filter(programme=programme))
        .select_related("funder")
        .prefetch_related("allocations__learning_need", "allocations__action")
    )


def stream_page(*, user, pk: int) -> FundingStream:
    """One stream the user may see, with its money at each step, funder and rules."""
    return (
        streams_with_money(FundingStream.objects.visible_to(user).filter(pk=pk))
        .select_related("funder", "programme")
        .prefetch_related("eligible_principles")
        .get()
    )


def stream_allocations(*, stream: FundingStream) -> QuerySet:
    """The stream's allocations, newest last, with what each pays for and whose cap."""
    return stream.allocations.select_related(
        "learning_need", "action", "partner", "placement__training_offer")


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
    """The offers of the given providers, drafts first, each with its bookings."""
    return (
        TrainingOffer.objects.filter(provider__in=providers)
        .select_related("provider")
        .prefetch_related(Prefetch(
            "placements",
            queryset=Placement.objects.select_related("learning_need__partner")
            .order_by("created_at", "id"),
        ), "sessions")
        .order_by("status", "start_date")
    )


def offer_sessions(*, offer: TrainingOffer) -> list[TrainingSession]:
    """The offer's sessions, soonest first (those that run at any time last)."""
    return sorted(TrainingSession.objects.filter(offer=offer),
                  key=lambda s: (s.starts_at is None, s.starts_at or 0, s.pk))


def bookable_needs(*, user, programme_ids=None) -> QuerySet:
    """The open learning needs the user may book places for: their partner's as a
    partner lead, every partner's in the programmes they manage (all for staff)."""
    needs = (LearningNeed.objects.exclude(status=LearningNeed.Status.MET)
             .select_related("partner").order_by("partner__name", "topic", "pk"))
    if user.is_staff:
        return needs if programme_ids is None else needs.filter(programme_id__in=programme_ids)
    mine = Membership.objects.active().filter(user_id=user.pk)
    lead = Q(programme_id__in=mine.filter(role=Membership.Role.MANAGER).values("programme_id"))
    for programme_id, partner_id in mine.filter(role=Membership.Role.PARTNER_LEAD).values_list(
            "programme_id", "partner_id"):
        lead |= Q(programme_id=programme_id, partner_id=partner_id)
    return needs.filter(lead)


def offer_bookings(*, offer: TrainingOffer) -> list[Placement]:
    """Every booking on the offer, oldest first, with who and what it is for."""
    return list(Placement.objects.filter(training_offer=offer)
                .select_related("learning_need__partner", "learning_need__programme",
                                "requested_by", "session")
                .order_by("created_at", "pk"))


def waiting_positions(*, session_ids) -> dict[int, int]:
    """Each waiting placement's place in its session's queue (1 is next)."""
    positions: dict[int, int] = {}
    counts: dict[int, int] = {}
    for pk, session_id in (Placement.objects
                           .filter(session_id__in=set(session_ids),
                                   status=Placement.Status.WAITLISTED)
                           .order_by("created_at", "pk").values_list("pk", "session_id")):
        counts[session_id] = counts.get(session_id, 0) + 1
        positions[pk] = counts[session_id]
    return positions


def withdrawal_money(*, offer: TrainingOffer) -> list[FundingAllocation]:
    """The money planned or committed for the offer's open bookings: what a withdrawal
    gives back to its streams."""
    return list(FundingAllocation.objects
                .filter(placement__training_offer=offer, placement__status__in=Placement.OPEN,
                        status__in=FundingAllocation.RELEASABLE)
                .select_related("stream", "placement__learning_need__partner")
                .order_by("stream__name", "pk"))


def offer_principles() -> QuerySet:
    """Every principle an offer may address, grouped by framework."""
    return Principle.objects.select_related("framework").order_by("framework__slug", "number")


# Setting up a programme ----------------------------------------------------------------


def partners_to_add(*, user, programme: Programme) -> QuerySet:
    """Organisations in the directory that the user can see and the programme lacks."""
    return (Partner.objects.visible_to(user).exclude(programmes=programme).order_by("name"))


def programme_people(*, programme: Programme) -> list[Membership]:
    """The programme's memberships with each person and organisation, in one query:
    managers first, then partner leads, learning providers and reviewers, by name."""
    order = {role: index for index, role in enumerate(Membership.Role.values)}
    rows = list(
        Membership.objects.filter(programme=programme).select_related("user", "partner")
    )
    rows.sort(key=lambda m: (order.get(m.role, len(order)),
                             (m.user.get_full_name() or m.user.username).casefold()))
    return rows


# History ------------------------------------------------------------------------------

HISTORY_SKIPPED = {"id", "version", "created_at", "updated_at", "completed_at", "programme",
                   "created_by", "principle", "opened_by_assessment", "last_assessment",
                   "checklist_item", "partner", "opened_at", "closed_at"}


HISTORY_LABELS = {"owner_partner": "Owning organisation", "status_note": "Reason",
                  "closed_reason": "Closed because"}


@dataclass
class HistoryRow:
    date: object
    who: str
    what: str
    changes: list[tuple[str, str, str]]
    reason: str


def _shown(field, value, names) -> str:
    if value in (None, ""):
        return "none"
    if field.is_relation:
        return names.get((field.related_model, value), f"number {value}")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, date):
        return f"{value:%-d %B %Y}"
    return str(value)


def history_of(obj) -> list[HistoryRow]:
    """The row's history, newest first, in words: who, when, what changed from what to
    what, and the reason given (a moved due date). Names of people and organisations are
    read in one query each."""
    records = list(obj.history.select_related("history_user").order_by("history_date",
                                                                       "history_id"))
    model = type(obj)
    diffs = []
    previous = None
    for record in records:
        changes: list = (record.diff_against(previous, foreign_keys_are_objs=False).changes
                         if previous is not None else [])
        diffs.append((record, [c for c in changes if c.field not in HISTORY_SKIPPED]))
        previous = record
    wanted: dict = {}
    for _, changes in diffs:
        for c in changes:
            field = model._meta.get_field(c.field)
            if field.is_relation:
                wanted.setdefault(field.related_model, set()).update(
                    v for v in (c.old, c.new) if v is not None)
    names = {}
    for related, ids in wanted.items():
        for row in related.objects.filter(pk__in=ids):
            label = (row.get_full_name() or row.username) if hasattr(row, "get_full_name") \
                else str(row)
            names[(related, row.pk)] = label
    rows = []
    for record, changes in diffs:
        who = (record.history_user.get_full_name() or record.history_user.username
               if record.history_user else "The service")
        what = {"+": "Added", "~": "Changed", "-": "Deleted"}[record.history_type]
        shown = [
            (HISTORY_LABELS.get(c.field)
             or str(model._meta.get_field(c.field).verbose_name).capitalize(),
             _shown(model._meta.get_field(c.field), c.old, names),
             _shown(model._meta.get_field(c.field), c.new, names))
            for c in changes
        ]
        if record.history_type == "~" and not shown and not record.history_change_reason:
            continue  # nothing a person would notice (a version number, a timestamp)
        rows.append(HistoryRow(date=record.history_date, who=who, what=what, changes=shown,
                               reason=record.history_change_reason or ""))
    rows.reverse()
    return rows
