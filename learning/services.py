"""Writes of learning: needs, offers, placements (within capacity) and funding
(within the stream's amount). Limits hold under concurrent requests because the
offer or stream row is locked before it is checked and changed.

Rows are locked in one order everywhere (offers, then sessions, then streams, then the
need, then its placements and allocations), so two writers never wait for each other in a circle.
Every write takes the person acting (``actor``, keyword-only) and checks their role
here (``learning.access``), whichever page, API route, import or command calls it; a
refusal is ``PermissionDenied`` with the sentence the user reads. The actor is also
the ``history_user`` of the rows written.
"""

import datetime
from collections import defaultdict
from collections.abc import Container
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core import integrity
from core.errors import Conflict, DomainError, InvalidTransition, LimitExceeded
from core.money import format_money as _money
from core.versioning import lock_for_update
from notifications.events import Notice
from programmes.access import require
from programmes.models import Partner

from . import access, telling
from .models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    OfferProposal,
    Placement,
    TrainingOffer,
    TrainingSession,
)
from .selectors import OPEN_NEEDS, demand_programme_ids


def _by(actor, obj):
    """Record ``actor`` as who made this change in the row's history."""
    obj._history_user = actor if getattr(actor, "is_authenticated", False) else None
    return obj


# Learning needs -------------------------------------------------------------


def _partner_ids_for(need: LearningNeed) -> set[int]:
    """The need's partner's id if it is in the need's programme (one query): what
    ``_check_need_links`` looks up for a single need, where a batch reads all at once."""
    return set(need.programme.partners.filter(pk=need.partner_id).values_list("pk", flat=True))


def _check_need_links(need: LearningNeed, *, partner_ids: Container[int]) -> None:
    """The need's partner, gap and principle belong to its programme and to each other; a
    gap gives the need its principle. ``partner_ids`` are (at least) the programme's
    partners the need may name; a gap's principle comes with it without a query when the
    gap was read with ``select_related``."""
    if need.partner_id not in partner_ids:
        raise DomainError("This partner is not in the programme.", field="partner")
    if need.gap_id:
        gap = need.gap
        if gap.programme_id != need.programme_id:
            raise DomainError("This gap belongs to another programme.", field="gap")
        if gap.partner_id != need.partner_id:
            raise DomainError("This gap belongs to another partner.", field="gap")
        if need.principle_id and need.principle_id != gap.principle_id:
            raise DomainError("The principle must be the gap's principle.", field="principle")
        if need.principle_id != gap.principle_id:
            need.principle = gap.principle
    if need.principle_id and need.principle.framework_id != need.programme.framework_id:
        raise DomainError("This principle is not in the programme's framework.", field="principle")


NEED_FIELDS = {"gap", "principle", "staff_group", "topic", "workers_count", "needed_by",
               "status", "notes", "partner", "met_reason"}
MET_BY_HAND_REFUSED = ("A need is met when its workers have completed training; only the "
                       "programme's managers can mark it met sooner, with the reason.")


@transaction.atomic
def need_create(*, actor, programme, partner, **fields) -> LearningNeed:
    require(access.can_change_need(actor, programme.pk, partner.pk), access.NEED_REFUSED)
    need = LearningNeed(programme=programme, partner=partner, **fields)
    _check_need_links(need, partner_ids=_partner_ids_for(need))
    need.full_clean()
    with integrity.translated():
        _by(actor, need).save()
    return need


@transaction.atomic
def need_update(*, actor, need: LearningNeed, version=None, if_match=None,
                **fields) -> LearningNeed:
    """Change a need (its status too); moving it to another partner needs the right
    to change the needs of both."""
    require(access.can_change_need(actor, need.programme_id, need.partner_id),
            access.NEED_REFUSED)
    partner = fields.get("partner")
    if partner is not None:
        require(access.can_change_need(actor, need.programme_id, partner.pk),
                access.NEED_REFUSED)
    need = lock_for_update(LearningNeed, need.pk, version=version, if_match=if_match)
    if "programme" in fields and fields.pop("programme").pk != need.programme_id:
        raise DomainError("A learning need cannot move to another programme.", field="programme")
    was = need.status
    for name, value in fields.items():
        if name not in NEED_FIELDS:
            raise DomainError(f"{name} cannot be changed.", field=name)
        setattr(need, name, value)
    if ("workers_count" in fields and "status" not in fields and need.workers_trained
            and need.workers_trained >= need.workers_count):
        need.status = LearningNeed.Status.MET  # fewer workers, all of them trained
    if (need.status == LearningNeed.Status.MET and was != LearningNeed.Status.MET
            and need.workers_trained < need.workers_count):
        require(access.is_manager(actor, need.programme_id), MET_BY_HAND_REFUSED)
        if not need.met_reason.strip():
            raise DomainError("Say why the need is met before its workers have completed "
                              "training.", field="met_reason")
    _check_need_links(need, partner_ids=_partner_ids_for(need))
    need.version += 1
    need.full_clean()
    with integrity.translated():
        _by(actor, need).save()
    if need.status == LearningNeed.Status.MET and was != LearningNeed.Status.MET:
        why = f" {need.met_reason.strip()}" if need.met_reason.strip() else ""
        telling.tell_need(need, telling.approvers(need), actor=actor, kind=telling.NEED_MET,
                          message=f"The learning need “{need.topic}” of {need.partner.name} "
                                  f"is met.{why}")
    return need


# Training offers and their sessions ---------------------------------------------------
# An offer's capacity and places booked are the sums of its sessions'; an offer with one
# session can be changed as a whole (its capacity, dates and place pass to the session),
# one with more is changed session by session.

OFFER_TRANSITIONS = {
    TrainingOffer.Status.DRAFT: {TrainingOffer.Status.PUBLISHED, TrainingOffer.Status.WITHDRAWN},
    TrainingOffer.Status.PUBLISHED: {TrainingOffer.Status.WITHDRAWN, TrainingOffer.Status.DRAFT},
    TrainingOffer.Status.WITHDRAWN: {TrainingOffer.Status.PUBLISHED},
}
SESSION_FIELDS = {"starts_at", "ends_at", "location", "online", "capacity"}
# The offer's fields that belong to its sessions once it runs more than one.
_PER_SESSION = ("capacity", "start_date", "end_date")
WITHDRAWN_REASON = "The provider withdrew the offer."
SESSION_DELETE_REFUSED = "Only the provider's own people can remove its sessions."


def _at(day: datetime.date | None, hour: int, minute: int) -> datetime.datetime | None:
    """A local time on a day (an offer's dates become its session's times)."""
    if day is None:
        return None
    return datetime.datetime.combine(day, datetime.time(hour, minute),
                                     tzinfo=timezone.get_current_timezone())


def _lock_offer(pk) -> TrainingOffer:
    return TrainingOffer.objects.select_for_update().get(pk=pk)


def _lock_sessions(offer) -> list[TrainingSession]:
    return list(TrainingSession.objects.select_for_update().filter(offer=offer).order_by("pk"))


_SYNCED = ("capacity", "places_booked", "start_date", "end_date")


def _sync_offer(actor, offer: TrainingOffer, sessions: list[TrainingSession]) -> None:
    """Write the sessions' sums (and, when they have times, their first and last days)
    on the locked offer; an offer whose sums have not moved is not written again."""
    before = [getattr(offer, name) for name in _SYNCED]
    offer.capacity = sum(s.capacity for s in sessions)
    offer.places_booked = sum(s.places_booked for s in sessions)
    starts = [s.starts_at for s in sessions if s.starts_at]
    if starts:
        ends = [end for s in sessions if (end := s.ends_at or s.starts_at) is not None]
        offer.start_date = timezone.localtime(min(starts)).date()
        offer.end_date = timezone.localtime(max(ends)).date()
    if [getattr(offer, name) for name in _SYNCED] != before:
        _by(actor, offer).save(update_fields=list(_SYNCED))


def _save_counts(actor, session: TrainingSession) -> None:
    """Write a locked session's places booked and waiting."""
    _by(actor, session).save(update_fields=["places_booked", "places_waiting"])


def _session_from_offer(offer: TrainingOffer, session: TrainingSession) -> TrainingSession:
    """The one session of a simple offer, given the offer's capacity, dates and place."""
    session.capacity = offer.capacity
    session.starts_at = _at(offer.start_date, 9, 30)
    session.ends_at = _at(offer.end_date or offer.start_date, 16, 30)
    session.location = offer.location
    session.online = offer.online
    return session


def _check_session(session: TrainingSession) -> None:
    session.full_clean(exclude=["offer"], validate_constraints=False)


@transaction.atomic
def offer_create(*, actor, provider, principles=(), sessions=None, **fields) -> TrainingOffer:
    """A new offer with its sessions (``sessions``: a list of session fields), or with one
    session made from the offer's own capacity, dates and place."""
    require(access.provides_for(actor, provider.pk), access.OFFER_REFUSED)
    if not provider.provides_learning:
        raise DomainError("This partner does not provide learning.", field="provider")
    for spec in sessions or ():
        for name in spec:
            if name not in SESSION_FIELDS:
                raise DomainError(f"{name} cannot be set on a session.", field="sessions")
    if sessions:
        fields["capacity"] = sum(int(s.get("capacity") or 0) for s in sessions) or None
    offer = TrainingOffer(provider=provider, **fields)
    offer.full_clean()
    with integrity.translated():
        _by(actor, offer).save()
    rows = ([TrainingSession(offer=offer, **spec) for spec in sessions] if sessions
            else [_session_from_offer(offer, TrainingSession(offer=offer))])
    for session in rows:
        _check_session(session)
        with integrity.translated():
            _by(actor, session).save()
    _sync_offer(actor, offer, rows)
    offer.principles.set(principles)
    return offer


@transaction.atomic
def offer_update(*, actor, offer: TrainingOffer, principles=None, reason: str = "",
                 **fields) -> TrainingOffer:
    """Change an offer; withdrawing it cancels its open bookings (``offer_withdraw``)."""
    require(access.provides_for(actor, offer.provider_id), access.OFFER_REFUSED)
    offer = _lock_offer(offer.pk)
    sessions = _lock_sessions(offer)
    if "provider" in fields and fields.pop("provider").pk != offer.provider_id:
        raise DomainError("An offer cannot move to another provider.", field="provider")
    status = fields.pop("status", offer.status)
    if status != offer.status and status not in OFFER_TRANSITIONS[offer.status]:
        raise InvalidTransition(
            f"An offer cannot go from {offer.get_status_display().lower()} to "
            f"{TrainingOffer.Status(status).label.lower()}.")
    if (status == TrainingOffer.Status.DRAFT and status != offer.status
            and Placement.objects.filter(training_offer=offer,
                                         status__in=Placement.OPEN).exists()):
        raise InvalidTransition("Places are booked on this offer, so it cannot go back to "
                                "draft: withdraw it, which cancels the bookings.",
                                field="status")
    if len(sessions) > 1:
        for name in _PER_SESSION:
            if name in fields and fields[name] != getattr(offer, name):
                raise DomainError(
                    f"This offer runs {len(sessions)} sessions: change the places and dates "
                    "on each session.", field=name)
    elif sessions and fields.get("capacity", offer.capacity) < sessions[0].places_booked:
        raise LimitExceeded(
            f"{sessions[0].places_booked} places are already booked; the capacity cannot be "
            "lower.", field="capacity")
    for name, value in fields.items():
        setattr(offer, name, value)
    offer.full_clean()
    with integrity.translated():
        _by(actor, offer).save()
    if len(sessions) == 1 and set(fields) & {*_PER_SESSION, "location", "online"}:
        session = _session_from_offer(offer, sessions[0])
        _check_session(session)
        _by(actor, session).save()
        _promote_waiting(session, offer=offer, actor=actor)
    if status != offer.status:
        if status == TrainingOffer.Status.WITHDRAWN:
            _withdraw(actor, offer, sessions, reason=reason or WITHDRAWN_REASON)
        offer.status = status
        _by(actor, offer).save(update_fields=["status"])
    _sync_offer(actor, offer, sessions)
    if principles is not None:
        offer.principles.set(principles)
    return offer


@transaction.atomic
def offer_delete(*, actor, offer: TrainingOffer) -> None:
    """Delete an offer nobody has booked; one with placements must be withdrawn instead."""
    require(access.provides_for(actor, offer.provider_id),
            "Only the provider's own people can delete its offers.")
    offer = _lock_offer(offer.pk)
    if offer.placements.exists():
        raise InvalidTransition("This offer has placements: withdraw it instead of deleting it.")
    for session in _lock_sessions(offer):
        _by(actor, session).delete()
    _by(actor, offer).delete()


def offer_publish(*, actor, offer: TrainingOffer) -> TrainingOffer:
    return offer_update(actor=actor, offer=offer, status=TrainingOffer.Status.PUBLISHED)


def offer_withdraw(*, actor, offer: TrainingOffer, reason: str = "") -> TrainingOffer:
    """Withdraw an offer: its open bookings are cancelled, the money planned or committed
    for them goes back to its streams, and each booking partner is told once."""
    return offer_update(actor=actor, offer=offer, status=TrainingOffer.Status.WITHDRAWN,
                        reason=reason)


def _withdraw(actor, offer: TrainingOffer, sessions: list[TrainingSession], *,
              reason: str) -> None:
    """Cancel the open placements of a (locked) offer, locking their streams, needs,
    placements and allocations in that order; one notice per booking partner."""
    by_session = {s.pk: s for s in sessions}
    open_rows = Placement.objects.filter(training_offer=offer, status__in=Placement.OPEN)
    streams = _lock_streams(FundingAllocation.objects.filter(
        placement__in=open_rows.values("pk"), status__in=RELEASABLE)
        .values_list("stream_id", flat=True))
    need_ids = sorted(set(open_rows.values_list("learning_need_id", flat=True)))
    needs = {n.pk: n for n in LearningNeed.objects.select_for_update(of=("self",))
             .select_related("partner").filter(pk__in=need_ids).order_by("pk")}
    placements = list(Placement.objects.select_for_update()
                      .filter(training_offer=offer, status__in=Placement.OPEN).order_by("pk"))
    if {p.learning_need_id for p in placements} - set(needs):
        raise Conflict("Places were booked on this offer a moment ago; try again.")
    reason = _check_reason(reason)
    for placement in placements:
        placement.training_offer = offer
        placement.session = by_session[placement.session_id]
        placement.learning_need = needs[placement.learning_need_id]
        _end(actor, placement, status=Placement.Status.CANCELLED, reason=reason)
    _release(actor, placements, streams)
    for session in sessions:
        _save_counts(actor, session)
    _reopen_needs(actor, needs.values())
    told: dict[tuple[int, int], set[int]] = defaultdict(set)
    first_need: dict[tuple[int, int], LearningNeed] = {}
    for placement in placements:
        need = placement.learning_need
        key = (need.programme_id, need.partner_id)
        first_need.setdefault(key, need)
        if placement.requested_by_id:
            told[key].add(placement.requested_by_id)
    for key, leads in telling.leads_of(first_need).items():
        told[key] |= leads
    for key, need in first_need.items():
        telling.tell(
            told[key], actor=actor, kind=telling.OFFER_WITHDRAWN, programme=need.programme,
            subject_type="training_offer", subject_id=offer.pk,
            data={"id": offer.pk, "title": offer.title, "learning_need": need.pk},
            message=(f"{offer.provider.name} withdrew “{offer.title}”: the places booked "
                     f"for {need.partner.name} are cancelled and any money planned for "
                     f"them is back in its funding stream. {reason}").strip(),
            link=telling.need_link(need.pk))


@transaction.atomic
def session_create(*, actor, offer: TrainingOffer, **fields) -> TrainingSession:
    """Add a session to an offer (a cohort, a date, a place)."""
    require(access.provides_for(actor, offer.provider_id), access.OFFER_REFUSED)
    offer = _lock_offer(offer.pk)
    if offer.status == TrainingOffer.Status.WITHDRAWN:
        raise InvalidTransition("This offer is withdrawn: publish it again before adding "
                                "sessions.")
    sessions = _lock_sessions(offer)
    for name in fields:
        if name not in SESSION_FIELDS:
            raise DomainError(f"{name} cannot be set on a session.", field=name)
    session = TrainingSession(offer=offer, **fields)
    _check_session(session)
    with integrity.translated():
        _by(actor, session).save()
    _sync_offer(actor, offer, [*sessions, session])
    return session


@transaction.atomic
def session_update(*, actor, session: TrainingSession, **fields) -> TrainingSession:
    """Change a session; more places promote the waiting list, fewer than are booked are
    refused."""
    offer_id = TrainingSession.objects.values_list("offer_id", flat=True).get(pk=session.pk)
    offer = TrainingOffer.objects.get(pk=offer_id)
    require(access.provides_for(actor, offer.provider_id), access.OFFER_REFUSED)
    offer = _lock_offer(offer_id)
    sessions = _lock_sessions(offer)
    session = next(s for s in sessions if s.pk == session.pk)
    if "offer" in fields and fields.pop("offer").pk != offer.pk:
        raise DomainError("A session cannot move to another offer.", field="offer")
    for name, value in fields.items():
        if name not in SESSION_FIELDS:
            raise DomainError(f"{name} cannot be changed on a session.", field=name)
        setattr(session, name, value)
    if session.capacity < session.places_booked:
        raise LimitExceeded(
            f"{session.places_booked} places are already booked on this session; its "
            "capacity cannot be lower.", field="capacity")
    _check_session(session)
    with integrity.translated():
        _by(actor, session).save()
    _promote_waiting(session, offer=offer, actor=actor)
    _sync_offer(actor, offer, sessions)
    return session


@transaction.atomic
def session_delete(*, actor, session: TrainingSession) -> None:
    """Remove a session nobody has booked; an offer keeps at least one."""
    offer_id = TrainingSession.objects.values_list("offer_id", flat=True).get(pk=session.pk)
    provider_id = TrainingOffer.objects.values_list("provider_id", flat=True).get(pk=offer_id)
    require(access.provides_for(actor, provider_id),
            SESSION_DELETE_REFUSED)
    offer = _lock_offer(offer_id)
    sessions = _lock_sessions(offer)
    session = next(s for s in sessions if s.pk == session.pk)
    if session.placements.exists():
        raise InvalidTransition(
            "Places have been booked on this session, so it is kept for the record: cancel "
            "its bookings, or withdraw the offer.")
    if len(sessions) == 1:
        raise InvalidTransition("An offer runs at least one session: add another before "
                                "removing this one, or delete the offer.")
    _by(actor, session).delete()
    _sync_offer(actor, offer, [s for s in sessions if s.pk != session.pk])


# Placements -----------------------------------------------------------------
# requested -> approved (the need's partner lead or a manager) -> confirmed (the
# provider); declined or cancelled give the places back. A request beyond the free
# places waits (waitlisted) and is promoted to requested, in order, when places free up.

BOOK_REFUSED = "Only the programme's managers and this partner's leads can book places."
APPROVE_REFUSED = ("Only the programme's managers and this partner's leads can approve or "
                   "decline its requests for places.")
CONFIRM_REFUSED = "Only the training provider's people can confirm these places."
ATTENDANCE_REFUSED = "Only the training provider's people can record attendance."
CANCEL_REFUSED = ("Only the programme's managers, this partner's leads and the training "
                  "provider's people can cancel these places.")
RELEASABLE = FundingAllocation.RELEASABLE


@dataclass
class _Booking:
    """A placement with the rows a change to it locks, in the lock order."""

    offer: TrainingOffer
    session: TrainingSession
    streams: dict[int, FundingStream]
    need: LearningNeed
    placement: Placement


def _lock_booking(placement_pk: int) -> _Booking:
    offer_id, session_id, need_id = Placement.objects.values_list(
        "training_offer_id", "session_id", "learning_need_id").get(pk=placement_pk)
    offer = _lock_offer(offer_id)
    session = TrainingSession.objects.select_for_update().get(pk=session_id)
    streams = _lock_streams(FundingAllocation.objects.filter(placement_id=placement_pk)
                            .values_list("stream_id", flat=True))
    need = LearningNeed.objects.select_for_update().select_related("partner").get(pk=need_id)
    placement = Placement.objects.select_for_update(of=("self",)).get(pk=placement_pk)
    placement.learning_need, placement.training_offer, placement.session = need, offer, session
    return _Booking(offer, session, streams, need, placement)


def _session_ended(session: TrainingSession) -> bool:
    end = session.ends_at or session.starts_at
    return end is not None and end < timezone.now()


def _lock_booked_session(training_offer, session) -> tuple[TrainingOffer, TrainingSession,
                                                            list[TrainingSession]]:
    """Lock the offer and all its sessions (the booking writes their sums on the offer),
    and pick the one booked: the session given, or the offer's only one."""
    if session is not None and training_offer is not None and \
            session.offer_id != training_offer.pk:
        raise DomainError("This session belongs to another offer.", field="session")
    if session is None and training_offer is None:
        raise DomainError("Choose the session to book.", field="session")
    offer = _lock_offer(session.offer_id if session is not None else training_offer.pk)
    sessions = _lock_sessions(offer)
    if session is None:
        if len(sessions) != 1:
            raise DomainError(
                "This offer runs more than one session: choose the one to book.",
                field="session")
        return offer, sessions[0], sessions
    return offer, next(s for s in sessions if s.pk == session.pk), sessions


def _check_learners(learners, places: int) -> list[str]:
    names = [str(name).strip() for name in (learners or [])]
    if any(not name for name in names):
        raise DomainError("Leave out empty learner names.", field="learners")
    if any(len(name) > 200 for name in names):
        raise DomainError("A learner's name must be 200 characters or fewer.", field="learners")
    if len(names) > places:
        raise DomainError(f"Name at most {places} learners: one for each place.",
                          field="learners")
    return names


@transaction.atomic
def placement_book(*, actor, learning_need: LearningNeed, places: int, training_offer=None,
                   session=None, learners=(), status=None) -> Placement:
    """Ask for places on a session for a need: requested when they are free, else on the
    session's waiting list (``waitlisted``) in order."""
    require(access.can_book_placement(actor, learning_need), BOOK_REFUSED)
    if status not in (None, Placement.Status.REQUESTED):
        raise DomainError("A booking starts as a request: it is approved by the partner's "
                          "lead or a manager, then confirmed by the provider.", field="status")
    if places < 1:
        raise DomainError("Book at least one place.", field="places")
    offer, session, sessions = _lock_booked_session(training_offer, session)
    if offer.status != TrainingOffer.Status.PUBLISHED:
        raise InvalidTransition("Places can only be booked on a published offer.")
    if _session_ended(session):
        raise InvalidTransition("This session has ended: choose a later one.", field="session")
    if places > session.capacity:
        raise LimitExceeded(
            f"This session has {telling.places(session.capacity)} in all, so "
            f"{telling.places(places)} can never be booked on it: book fewer, or more than "
            "one session.", field="places")
    names = _check_learners(learners, places)
    # Its programme and partner come with it, for the notices (only the need is locked).
    need = (LearningNeed.objects.select_for_update(of=("self",))
            .select_related("programme", "partner").get(pk=learning_need.pk))
    if need.status == LearningNeed.Status.MET:
        raise InvalidTransition("This need is met: no more places are needed for it.")
    waits = session.places_free < places
    if waits:
        session.places_waiting += places
    else:
        session.places_booked += places
    _save_counts(actor, session)
    placement = _by(actor, Placement(
        learning_need=need, training_offer=offer, session=session, places=places,
        learners=names, requested_by=actor if actor.is_authenticated else None,
        status=Placement.Status.WAITLISTED if waits else Placement.Status.REQUESTED))
    placement.save()
    if need.status == LearningNeed.Status.IDENTIFIED:
        need.status = LearningNeed.Status.PLANNED
        need.version += 1
        _by(actor, need).save(update_fields=["status", "version", "updated_at"])
    _sync_offer(actor, offer, sessions)  # ``session`` is one of them, counted in
    if not waits:
        _tell_request(actor, placement)
    return placement


def _tell_request(actor, placement: Placement) -> None:
    telling.tell_placement(
        placement, telling.request_recipients(placement.learning_need,
                                              placement.training_offer),
        actor=actor, kind=telling.REQUESTED,
        message=f"{telling.describe_first(placement)} is asked for: approve or decline it.")


def _promote_waiting(session: TrainingSession, *, offer: TrainingOffer, actor) -> list[Placement]:
    """Move the first waiting requests that fit the free places to requested, in order,
    and tell their bookers; the session is locked, so each is promoted once."""
    free = session.places_free
    if free <= 0 or session.places_waiting == 0 or offer.status != TrainingOffer.Status.PUBLISHED:
        return []
    promoted = []
    waiting = (Placement.objects.select_for_update(of=("self",))
               .filter(session=session, status=Placement.Status.WAITLISTED)
               .select_related("learning_need__partner").order_by("created_at", "pk"))
    for placement in waiting:
        if placement.places > free:
            continue
        free -= placement.places
        session.places_booked += placement.places
        session.places_waiting -= placement.places
        placement.status = Placement.Status.REQUESTED
        placement.session, placement.training_offer = session, offer
        _by(actor, placement).save(update_fields=["status"])
        promoted.append(placement)
        if free == 0:
            break
    if not promoted:
        return []
    _save_counts(actor, session)
    for placement in promoted:
        telling.tell_placement(
            placement, telling.bookers(placement), actor=actor, kind=telling.PROMOTED,
            message=(f"Places came free: {telling.describe(placement)} has left the "
                     "waiting list and waits for approval."))
        _tell_request(actor, placement)
    return promoted


def _end(actor, placement: Placement, *, status: str, reason: str) -> None:
    """Decline or cancel a placement, giving back what it held on its (locked) session."""
    session = placement.session
    if placement.status in Placement.HOLDING:
        session.places_booked -= placement.places
    elif placement.status == Placement.Status.WAITLISTED:
        session.places_waiting -= placement.places
    placement.status = status
    placement.decided_reason = _check_reason(reason)
    _by(actor, placement).save(update_fields=["status", "decided_reason"])


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise DomainError("Keep the reason to 500 characters or fewer.", field="reason")
    return reason


def _release(actor, placements: list[Placement], streams: dict[int, FundingStream]) -> None:
    """Cancel the planned and committed money for these placements, giving it back."""
    allocations = list(FundingAllocation.objects.select_for_update()
                       .filter(placement__in=placements, status__in=RELEASABLE).order_by("pk"))
    if {a.stream_id for a in allocations} - set(streams):
        raise Conflict("Money was allocated to these places a moment ago; try again.")
    for allocation in allocations:
        _hold_money(streams[allocation.stream_id], -allocation.amount)
        allocation.status = FundingAllocation.Status.CANCELLED
        _by(actor, allocation).save(update_fields=["status"])


def _reopen_needs(actor, needs) -> None:
    """A planned or in-training need with no open placement left is identified again
    (the needs are locked; each change is kept in the need's history)."""
    needs = [n for n in needs if n.status in (LearningNeed.Status.PLANNED,
                                              LearningNeed.Status.IN_TRAINING)]
    if not needs:
        return
    still_open = set(Placement.objects.filter(learning_need__in=[n.pk for n in needs],
                                              status__in=Placement.OPEN)
                     .values_list("learning_need_id", flat=True))
    for need in needs:
        if need.pk not in still_open:
            need.status = LearningNeed.Status.IDENTIFIED
            need.version += 1
            _by(actor, need).save(update_fields=["status", "version", "updated_at"])


def _finish(actor, booking: _Booking, *, status: str, reason: str) -> Placement:
    """Decline or cancel, then release its money and let the waiting list move up."""
    _end(actor, booking.placement, status=status, reason=reason)
    _release(actor, [booking.placement], booking.streams)
    _save_counts(actor, booking.session)
    _promote_waiting(booking.session, offer=booking.offer, actor=actor)
    _sync_offer(actor, booking.offer, _lock_sessions(booking.offer))
    _reopen_needs(actor, [booking.need])
    return booking.placement


def _require_status(placement: Placement, allowed, sentence: str) -> None:
    if placement.status not in allowed:
        raise InvalidTransition(sentence, field="status")


@transaction.atomic
def placement_approve(*, actor, placement: Placement) -> Placement:
    """The need's partner lead or a manager approves a request for places."""
    require(access.can_book_placement(actor, placement.learning_need), APPROVE_REFUSED)
    booking = _lock_booking(placement.pk)
    placement = booking.placement
    _require_status(placement, {Placement.Status.REQUESTED},
                    "Only a request can be approved; these places are "
                    f"{placement.get_status_display().lower()}.")
    placement.status = Placement.Status.APPROVED
    placement.approved_at = timezone.now()
    _by(actor, placement).save(update_fields=["status", "approved_at"])
    telling.tell_placement(
        placement, telling.providers(booking.offer, booking.need.programme_id), actor=actor,
        kind=telling.APPROVED, link=telling.offer_bookings_link(booking.offer.pk),
        message=f"{telling.describe_first(placement)} is approved: confirm it.",
        also=[Notice(kind=telling.APPROVED,
                     recipients=sorted(telling.partner_leads(booking.need)),
                     link=telling.need_link(booking.need.pk),
                     message=(f"{telling.describe_first(placement)} is approved; "
                              f"{booking.offer.provider.name} will confirm it."))])
    return placement


@transaction.atomic
def placement_confirm(*, actor, placement: Placement) -> Placement:
    """The provider confirms approved places."""
    require(access.can_confirm_placement(actor, placement), CONFIRM_REFUSED)
    booking = _lock_booking(placement.pk)
    placement = booking.placement
    if placement.status in (Placement.Status.REQUESTED, Placement.Status.WAITLISTED):
        raise InvalidTransition(
            "These places wait for approval by the partner's lead or a programme manager; "
            "they can be confirmed once approved.", field="status")
    _require_status(placement, {Placement.Status.APPROVED},
                    f"These places are {placement.get_status_display().lower()}: they cannot "
                    "be confirmed.")
    placement.status = Placement.Status.CONFIRMED
    placement.confirmed_at = timezone.now()
    _by(actor, placement).save(update_fields=["status", "confirmed_at"])
    need = booking.need
    if need.status in (LearningNeed.Status.IDENTIFIED, LearningNeed.Status.PLANNED):
        need.status = LearningNeed.Status.IN_TRAINING
        need.version += 1
        _by(actor, need).save(update_fields=["status", "version", "updated_at"])
    telling.tell_placement(placement, telling.bookers(placement), actor=actor,
                           kind=telling.CONFIRMED,
                           message=f"{telling.describe_first(placement)} is confirmed by "
                                   f"{booking.offer.provider.name}.")
    return placement


@transaction.atomic
def placement_decline(*, actor, placement: Placement, reason: str = "") -> Placement:
    """Refuse a request (the approvers) or approved places (the provider)."""
    approves = access.can_book_placement(actor, placement.learning_need)
    provides = access.can_confirm_placement(actor, placement)
    require(approves or provides, APPROVE_REFUSED)
    booking = _lock_booking(placement.pk)
    placement = booking.placement
    allowed = {status for status in Placement.OPEN if "decline" in access.placement_steps(
        status, books=approves, provides=provides)}
    _require_status(placement, allowed,
                    f"These places are {placement.get_status_display().lower()}: "
                    + ("cancel them instead." if placement.status in Placement.OPEN
                       else "they cannot be declined."))
    _finish(actor, booking, status=Placement.Status.DECLINED, reason=reason)
    by = booking.offer.provider.name if provides and not approves else "the partner"
    telling.tell_placement(placement, telling.bookers(placement), actor=actor,
                           kind=telling.DECLINED,
                           message=(f"{telling.describe_first(placement)} was declined by {by}. "
                                    f"{reason}").strip())
    return placement


@transaction.atomic
def placement_cancel(*, actor, placement: Placement, reason: str = "") -> Placement:
    """Cancel places (the need's side or the provider): they go back to the session, the
    money planned or committed for them to its stream, and the waiting list moves up."""
    books = access.can_book_placement(actor, placement.learning_need)
    provides = access.can_confirm_placement(actor, placement)
    require(books or provides, CANCEL_REFUSED)
    booking = _lock_booking(placement.pk)
    placement = booking.placement
    _require_status(placement, set(Placement.OPEN),
                    f"These places are already {placement.get_status_display().lower()}.")
    was = placement.status
    _finish(actor, booking, status=Placement.Status.CANCELLED, reason=reason)
    if books and was in (Placement.Status.APPROVED, Placement.Status.CONFIRMED):
        recipients = telling.providers(booking.offer, booking.need.programme_id)
        link = telling.offer_bookings_link(booking.offer.pk)
    elif not books:
        recipients, link = telling.bookers(placement), None
    else:
        recipients, link = set(), None
    telling.tell_placement(placement, recipients, actor=actor, kind=telling.CANCELLED,
                           link=link, message=(f"{telling.describe_first(placement)} is "
                                               f"cancelled. {reason}").strip())
    return placement


@transaction.atomic
def placement_record_attendance(*, actor, placement: Placement, places_attended: int,
                                places_completed: int, learners=None) -> Placement:
    """The provider records how many attended and completed; the need counts its trained
    workers and is met when they reach its workers."""
    require(access.can_confirm_placement(actor, placement), ATTENDANCE_REFUSED)
    booking = _lock_booking(placement.pk)
    placement, need = booking.placement, booking.need
    _require_status(placement, {Placement.Status.CONFIRMED},
                    "Attendance is recorded for confirmed places; these are "
                    f"{placement.get_status_display().lower()}.")
    starts = booking.session.starts_at
    if starts is not None and starts > timezone.now():
        raise InvalidTransition(
            f"Attendance is recorded once the session has started; it starts "
            f"{telling.when(booking.session)}.", field="places_attended")
    if not 0 <= places_attended <= placement.places:
        raise DomainError(f"Between 0 and {placement.places} people can have attended "
                          "these places.", field="places_attended")
    if not 0 <= places_completed <= places_attended:
        raise DomainError("No more people can complete than attended.",
                          field="places_completed")
    if learners is not None:
        placement.learners = _check_learners(learners, placement.places)
    before = placement.places_completed or 0
    placement.places_attended, placement.places_completed = places_attended, places_completed
    _by(actor, placement).save(update_fields=["places_attended", "places_completed",
                                               "learners"])
    need.workers_trained += places_completed - before
    was_met = need.status == LearningNeed.Status.MET
    if need.workers_trained >= need.workers_count:
        need.status = LearningNeed.Status.MET
    elif was_met and not need.met_reason:
        need.status = LearningNeed.Status.IN_TRAINING
    need.version += 1
    _by(actor, need).save(update_fields=["workers_trained", "status", "version", "updated_at"])
    if need.status == LearningNeed.Status.MET and not was_met:
        telling.tell_need(need, telling.approvers(need), actor=actor, kind=telling.NEED_MET,
                          message=(f"{need.workers_trained} of {need.workers_count} workers of "
                              f"{need.partner.name} have completed training: the need "
                              f"“{need.topic}” is met."))
    return placement


@transaction.atomic
@transaction.atomic
def placement_update(*, actor, placement: Placement, **fields) -> Placement:
    """A change through the API: the number of places or the learners (the need's side,
    before approval), or a step of the status, by the step's own service and rule."""
    require(access.can_change_placement(actor, placement), access.PLACEMENT_REFUSED)
    for name in ("learning_need", "training_offer", "session"):
        if name in fields and fields.pop(name).pk != getattr(placement, f"{name}_id"):
            raise DomainError("Book a new placement instead of moving this one.", field=name)
    status = fields.pop("status", None)
    attended = fields.pop("places_attended", None)
    completed = fields.pop("places_completed", None)
    if "reason" in fields:
        fields.pop("reason")
    if set(fields) - {"places", "learners"}:
        name = sorted(set(fields) - {"places", "learners"})[0]
        raise DomainError(f"{name} cannot be changed.", field=name)
    if fields:
        _change_places(actor, placement, **fields)
    steps = {
        Placement.Status.APPROVED: placement_approve,
        Placement.Status.CONFIRMED: placement_confirm,
        Placement.Status.DECLINED: placement_decline,
        Placement.Status.CANCELLED: placement_cancel,
    }
    current = Placement.objects.get(pk=placement.pk)
    if status is not None and status != current.status:
        if status not in steps:
            raise InvalidTransition(
                "Places go back to requested only from the waiting list, when places free up.",
                field="status")
        steps[status](actor=actor, placement=current)
    if attended is not None or completed is not None:
        current = Placement.objects.get(pk=placement.pk)
        placement_record_attendance(
            actor=actor, placement=current,
            places_attended=attended if attended is not None else current.places_attended or 0,
            places_completed=(completed if completed is not None
                              else current.places_completed or 0))
    return Placement.objects.select_related("learning_need", "training_offer", "session").get(
        pk=placement.pk)


CHANGE_PLACES_REFUSED = ("Only the programme's managers and this partner's leads can change "
                         "the places they asked for.")
PROVIDER_CHANGES_REFUSED = ("The training provider's people confirm, decline or cancel places "
                            "and record attendance; the booking partner changes the number "
                            "of places and the learners.")


def _change_places(actor, placement: Placement, *, places=None, learners=None) -> None:
    if not access.can_book_placement(actor, placement.learning_need):
        require(not access.can_confirm_placement(actor, placement), PROVIDER_CHANGES_REFUSED)
        require(False, CHANGE_PLACES_REFUSED)
    booking = _lock_booking(placement.pk)
    placement, session = booking.placement, booking.session
    if places is not None and places != placement.places:
        _require_status(placement, {Placement.Status.REQUESTED, Placement.Status.WAITLISTED},
                        f"These places are {placement.get_status_display().lower()}: cancel "
                        "them and book again to change the number.")
        if places < 1:
            raise DomainError("Book at least one place.", field="places")
        if places > session.capacity:
            raise LimitExceeded(
                f"This session has {telling.places(session.capacity)} in all, so "
                f"{telling.places(places)} can never be booked on it.", field="places")
        more = places - placement.places
        if placement.status == Placement.Status.REQUESTED:
            if more > session.places_free:
                raise LimitExceeded(
                    f"Only {session.places_free} more places are free on this session; "
                    f"{more} more were asked for.", field="places")
            session.places_booked += more
        else:
            session.places_waiting += more
        placement.places = places
    if learners is not None or places is not None:
        placement.learners = _check_learners(
            placement.learners if learners is None else learners, placement.places)
    _by(actor, placement).save(update_fields=["places", "learners"])
    _save_counts(actor, session)
    _promote_waiting(session, offer=booking.offer, actor=actor)
    _sync_offer(actor, booking.offer, _lock_sessions(booking.offer))


# Funding ----------------------------------------------------------------------
# A stream's rules (DESIGN.md, "Funding rules"): the principles and staff groups it pays
# for, a cap on what one partner may draw, and a claim window. Each refusal names the
# rule in the sentence the user reads (400, ``FundingRuleBroken``); the stream's own
# amount is a limit like an offer's places (409, ``LimitExceeded``). The stream row is
# locked before any rule is checked, so the amount and the caps hold under concurrency.


class FundingRuleBroken(DomainError):
    """An allocation the stream's rules do not pay for; ``rule`` names the rule."""

    code = "funding_rule"

    def __init__(self, message: str, *, rule: str, field: str | None = None):
        super().__init__(message, field=field)
        self.rule = rule

    def extra(self) -> dict:
        return {"rule": self.rule}


def _day(day) -> str:
    return f"{day:%-d %B %Y}"


def _staff_group_key(name: str) -> str:
    """How staff groups are compared: without regard to case or spaces around words."""
    return " ".join(str(name).split()).casefold()


def _clean_staff_groups(groups) -> list[str]:
    """The groups as written, trimmed, without blanks or repeats (``_staff_group_key``)."""
    if groups is None:
        return []
    if isinstance(groups, str) or not all(isinstance(g, str) for g in groups):
        raise DomainError("List the staff groups as words, one group each.",
                          field="eligible_staff_groups")
    cleaned, seen = [], set()
    for group in groups:
        name = " ".join(group.split())
        if name and _staff_group_key(name) not in seen:
            if len(name) > 200:
                raise DomainError("Keep each staff group to 200 characters.",
                                  field="eligible_staff_groups")
            seen.add(_staff_group_key(name))
            cleaned.append(name)
    return cleaned


def _check_stream_principles(programme, principles) -> list:
    principles = list(principles)
    foreign = [p for p in principles if p.framework_id != programme.framework_id]
    if foreign:
        raise DomainError(f"“{foreign[0]}” is not a principle of this programme's framework.",
                          field="eligible_principles")
    return principles


def _partner_holdings(stream: FundingStream):
    """(partner id, partner name, money held) of each partner drawing on the stream."""
    return (FundingAllocation.objects
            .filter(stream=stream, status__in=FundingAllocation.HOLDING, partner__isnull=False)
            .values_list("partner_id", "partner__name")
            .annotate(held=Sum("amount")).order_by("-held", "partner__name"))


def _check_stream(stream: FundingStream) -> None:
    if not stream.programme.partners.filter(pk=stream.funder_id).exists():
        raise DomainError("The funder must be a partner of the programme.", field="funder")
    if stream.claims_open and stream.claims_close and stream.claims_close < stream.claims_open:
        raise DomainError(
            f"Claims must not close before they open: they open on "
            f"{_day(stream.claims_open)}, so they can close on that day or later.",
            field="claims_close")


@transaction.atomic
def stream_create(*, actor, programme, eligible_principles=(), **fields) -> FundingStream:
    """A new funding stream; its rules (principles, staff groups, cap, claim window) are
    optional: a rule left empty allows everything."""
    require(access.can_manage_funding(actor, programme.pk), access.STREAM_REFUSED)
    fields["eligible_staff_groups"] = _clean_staff_groups(fields.get("eligible_staff_groups"))
    principles = _check_stream_principles(programme, eligible_principles or ())
    stream = FundingStream(programme=programme, **fields)
    _check_stream(stream)
    stream.full_clean()
    with integrity.translated():
        _by(actor, stream).save()
    stream.eligible_principles.set(principles)
    return stream


@transaction.atomic
def stream_update(*, actor, stream: FundingStream, eligible_principles=None,
                  **fields) -> FundingStream:
    """Change a stream or its rules. New rules apply to new allocations (and to changes
    of what an allocation pays for); money allocated already stays where it is, but
    neither the amount nor the cap per partner may fall below what is held."""
    require(access.can_manage_funding(actor, stream.programme_id), access.STREAM_REFUSED)
    stream = FundingStream.objects.select_for_update().get(pk=stream.pk)
    if "programme" in fields and fields.pop("programme").pk != stream.programme_id:
        raise DomainError("A funding stream cannot move to another programme.", field="programme")
    if fields.get("amount", stream.amount) < stream.allocated:
        raise LimitExceeded(
            f"{_money(stream.allocated)} is already allocated; the amount cannot be lower.",
            field="amount",
        )
    if "eligible_staff_groups" in fields:
        fields["eligible_staff_groups"] = _clean_staff_groups(fields["eligible_staff_groups"])
    cap = fields.get("cap_per_partner", stream.cap_per_partner)
    if cap is not None and cap != stream.cap_per_partner:
        biggest = _partner_holdings(stream).first()
        if biggest and biggest[2] > cap:
            raise LimitExceeded(
                f"{biggest[1]} already holds {_money(biggest[2])} from this stream, so the "
                f"cap per partner cannot be lower than that.", field="cap_per_partner")
    for name, value in fields.items():
        setattr(stream, name, value)
    principles = (None if eligible_principles is None
                  else _check_stream_principles(stream.programme, eligible_principles))
    _check_stream(stream)
    stream.full_clean()
    with integrity.translated():
        _by(actor, stream).save()
    if principles is not None:
        stream.eligible_principles.set(principles)
    return stream


def _hold_money(stream: FundingStream, amount: Decimal) -> None:
    if amount > 0 and stream.allocated + amount > stream.amount:
        raise LimitExceeded(
            f"Only {_money(stream.amount - stream.allocated)} of this stream's "
            f"{_money(stream.amount)} is unallocated; {_money(amount)} was asked for.",
            field="amount",
        )
    stream.allocated += amount
    stream.save(update_fields=["allocated"])


def _check_allocation_target(stream, learning_need, action) -> None:
    if bool(learning_need) == bool(action):
        raise DomainError("Allocate to one learning need or one action.", field="learning_need")
    target = learning_need or action
    if target.programme_id != stream.programme_id:
        field = "learning_need" if learning_need else "action"
        raise DomainError("This belongs to another programme than the stream.", field=field)


def _allocation_partner_id(learning_need, action) -> int | None:
    """Whose cap the money draws on: the need's partner, or the action's owner partner
    (an action no partner owns draws on no partner's cap)."""
    return learning_need.partner_id if learning_need else action.owner_partner_id


def _principle_list(principles) -> str:
    names = [f"{p.number}. {p.title}" for p in sorted(principles, key=lambda p: p.number)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _check_stream_rules(stream: FundingStream, learning_need, action) -> None:
    """The stream pays for this need or action: its principle and its staff group."""
    field = "learning_need" if learning_need else "action"
    eligible = list(stream.eligible_principles.all())
    if eligible:
        if learning_need:
            principle_id = learning_need.principle_id
        else:
            principle_id = action.gap.principle_id if action.gap_id else None
        if principle_id not in {p.pk for p in eligible}:
            what = "This learning need" if learning_need else "This action"
            why = ("has no principle" if principle_id is None
                   else "is for another principle")
            raise FundingRuleBroken(
                f"This stream pays only for principle {_principle_list(eligible)}; "
                f"{what.lower()} {why}.", rule="eligible_principles", field=field)
    groups = stream.eligible_staff_groups or []
    if groups:
        listed = ", ".join(groups[:-1]) + " or " + groups[-1] if len(groups) > 1 else groups[0]
        if action is not None:
            raise FundingRuleBroken(
                f"This stream pays only for learning for {listed}; an action has no staff "
                f"group, so fund a learning need instead.",
                rule="eligible_staff_groups", field=field)
        if _staff_group_key(learning_need.staff_group) not in {_staff_group_key(g) for g in groups}:
            raise FundingRuleBroken(
                f"This stream pays only for learning for {listed}, not for "
                f"{learning_need.staff_group}.", rule="eligible_staff_groups", field=field)


def _check_cap(stream: FundingStream, partner_id, amount: Decimal, *, exclude=None) -> None:
    """The partner's money on the stream stays within ``cap_per_partner`` (the stream
    row is locked, so the sum cannot change under us)."""
    if stream.cap_per_partner is None or partner_id is None or amount <= 0:
        return
    holding = FundingAllocation.objects.filter(
        stream=stream, partner_id=partner_id, status__in=FundingAllocation.HOLDING)
    if exclude is not None:
        holding = holding.exclude(pk=exclude)
    held = holding.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    if held + amount > stream.cap_per_partner:
        name = Partner.objects.values_list("name", flat=True).get(pk=partner_id)
        left = max(stream.cap_per_partner - held, Decimal("0.00"))
        raise FundingRuleBroken(
            f"This stream's cap per partner is {_money(stream.cap_per_partner)}: {name} has "
            f"{_money(held)} from it already, so {_money(left)} is left under the cap and "
            f"{_money(amount)} was asked for.", rule="cap_per_partner", field="amount")


def _check_placement(placement, learning_need) -> None:
    if placement is not None and placement.learning_need_id != getattr(learning_need, "pk", None):
        raise DomainError("The placement must be one of this learning need's bookings.",
                          field="placement")


@transaction.atomic
def allocation_create(*, actor, stream: FundingStream, amount: Decimal, learning_need=None,
                      action=None, placement=None, status=FundingAllocation.Status.PLANNED,
                      note="") -> FundingAllocation:
    """Allocate money from a stream to a learning need (or one of its placements) or an
    action, within the stream's amount and its rules. It starts planned (or committed)."""
    require(access.can_manage_funding(actor, stream.programme_id), access.ALLOCATION_REFUSED)
    if status not in (FundingAllocation.Status.PLANNED, FundingAllocation.Status.COMMITTED):
        raise DomainError("A new allocation starts planned or committed; it is claimed once "
                          "the money is spent.", field="status")
    if placement is not None and learning_need is None and action is None:
        learning_need = placement.learning_need
    stream = FundingStream.objects.select_for_update().get(pk=stream.pk)
    _check_allocation_target(stream, learning_need, action)
    _check_placement(placement, learning_need)
    today = timezone.localdate()
    if stream.claims_close and today > stream.claims_close:
        raise FundingRuleBroken(
            f"Claims on this stream closed on {_day(stream.claims_close)}, so no new money "
            f"can be allocated from it.", rule="claims_close", field="stream")
    _check_stream_rules(stream, learning_need, action)
    partner_id = _allocation_partner_id(learning_need, action)
    _check_cap(stream, partner_id, amount)
    allocation = FundingAllocation(stream=stream, learning_need=learning_need, action=action,
                                   placement=placement, partner_id=partner_id,
                                   amount=amount, status=status, note=note)
    allocation.full_clean()
    _hold_money(stream, amount)
    with integrity.translated():
        _by(actor, allocation).save()
    return allocation


# The steps an allocation may take, and the sentence for each one it may not.
_NEXT_STEPS: dict[str, set[str]] = {
    FundingAllocation.Status.PLANNED: {FundingAllocation.Status.COMMITTED,
                                       FundingAllocation.Status.CANCELLED},
    FundingAllocation.Status.COMMITTED: {FundingAllocation.Status.CLAIMED,
                                         FundingAllocation.Status.CANCELLED},
    FundingAllocation.Status.CLAIMED: {FundingAllocation.Status.PAID},
    FundingAllocation.Status.PAID: set(),
    FundingAllocation.Status.CANCELLED: set(),
}


def _step_refusal(current: str, new: str) -> str:
    S = FundingAllocation.Status
    if current == S.CANCELLED:
        return ("This allocation was cancelled and its money given back; make a new "
                "allocation instead.")
    if new == S.CANCELLED and current == S.CLAIMED:
        return ("This money has been claimed from the funder, so it cannot be cancelled; "
                "a claim stays on the record.")
    if new == S.CANCELLED:
        return ("This money has been paid, so it cannot be cancelled; a payment stays on "
                "the record.")
    if current == S.PAID:
        return "This money has been paid; a paid allocation does not change."
    if new == S.CLAIMED:
        return "Commit the money before it is claimed."
    if new == S.PAID:
        return "The money must be claimed, with its evidence, before it is paid."
    return (f"A {S(current).label.lower()} allocation cannot go back to "
            f"{S(new).label.lower()}.")


def _check_claim_day(stream: FundingStream, day: datetime.date) -> None:
    opens, closes = stream.claims_open, stream.claims_close
    if (opens is not None and day < opens) or (closes is not None and day > closes):
        if opens and closes:
            window = f"from {_day(opens)} to {_day(closes)}"
        elif opens:
            window = f"from {_day(opens)}"
        else:
            window = f"until {_day(closes)}"
        raise FundingRuleBroken(
            f"Claims on this stream are made {window}; {_day(day)} is outside that window.",
            rule="claim_window", field="claimed_on")


_CLAIM_FIELDS = ("evidence", "claimed_on")
_TARGET_FIELDS = ("learning_need", "action", "placement")


def _allocation_change(actor, allocation: FundingAllocation, fields: dict) -> FundingAllocation:
    """Every change of an allocation, by whichever door: the steps of its life, what it
    pays for and its amount, each within the stream's amount and rules."""
    S = FundingAllocation.Status
    stream_id = FundingAllocation.objects.values_list("stream_id", flat=True).get(pk=allocation.pk)
    stream = FundingStream.objects.select_for_update().get(pk=stream_id)
    require(access.can_manage_funding(actor, stream.programme_id), access.ALLOCATION_REFUSED)
    allocation = FundingAllocation.objects.select_for_update().get(pk=allocation.pk)
    fields = dict(fields)
    if "stream" in fields and fields.pop("stream").pk != allocation.stream_id:
        raise DomainError("Cancel this allocation and make one on the other stream.",
                          field="stream")
    current = allocation.status
    new = fields.pop("status", current)
    if new != current and new not in _NEXT_STEPS[current]:
        raise InvalidTransition(_step_refusal(current, new), field="status")
    held_before = allocation.amount if current in FundingAllocation.HOLDING else Decimal("0")
    retarget = any(name in fields and fields[name] != getattr(allocation, name)
                   for name in _TARGET_FIELDS)
    reamount = "amount" in fields and fields["amount"] != allocation.amount
    if (retarget or reamount) and current not in (S.PLANNED, S.COMMITTED):
        raise InvalidTransition(
            f"This money has been {current}, so its amount and what it pays for stay as "
            f"they are.", field="amount" if reamount else "learning_need")
    for name, value in fields.items():
        setattr(allocation, name, value)
    _check_allocation_target(stream, allocation.learning_need, allocation.action)
    _check_placement(allocation.placement, allocation.learning_need)
    if retarget:
        _check_stream_rules(stream, allocation.learning_need, allocation.action)
    allocation.partner_id = _allocation_partner_id(allocation.learning_need, allocation.action)
    # The claim: evidence and a day inside the window; payment: a day, not before the claim.
    claiming = new == S.CLAIMED and current != S.CLAIMED
    if new in (S.CLAIMED, S.PAID):
        if claiming and not fields.get("claimed_on"):
            allocation.claimed_on = timezone.localdate()
        if not (allocation.evidence or "").strip():
            raise DomainError("Say what shows the money was spent as agreed: a claim needs "
                              "its evidence.", field="evidence")
        if allocation.claimed_on is None:
            raise DomainError("Enter the day the money was claimed.", field="claimed_on")
        if claiming or "claimed_on" in fields:
            _check_claim_day(stream, allocation.claimed_on)
    elif any(fields.get(name) for name in _CLAIM_FIELDS):
        raise DomainError("The evidence and the claim date are recorded when the money is "
                          "claimed.", field="evidence" if fields.get("evidence") else "claimed_on")
    if new == S.PAID:
        if current != S.PAID and not fields.get("paid_on"):
            allocation.paid_on = timezone.localdate()
        if allocation.paid_on is None:
            raise DomainError("Enter the day the money was paid.", field="paid_on")
        if allocation.claimed_on and allocation.paid_on < allocation.claimed_on:
            raise DomainError(
                f"The money cannot be paid before it was claimed ({_day(allocation.claimed_on)}).",
                field="paid_on")
    elif fields.get("paid_on"):
        raise DomainError("The payment date is recorded when the money is paid.",
                          field="paid_on")
    allocation.status = new
    held_after = allocation.amount if new in FundingAllocation.HOLDING else Decimal("0")
    if held_after and (retarget or reamount):
        _check_cap(stream, allocation.partner_id, held_after, exclude=allocation.pk)
    allocation.full_clean()
    if held_after != held_before:
        _hold_money(stream, Decimal(held_after) - Decimal(held_before))
    with integrity.translated():
        _by(actor, allocation).save()
    return allocation


@transaction.atomic
def allocation_update(*, actor, allocation: FundingAllocation, **fields) -> FundingAllocation:
    """Change an allocation (the API's PATCH): its amount, note or what it pays for while
    planned or committed, and its status by the steps ``allocation_commit``,
    ``allocation_claim``, ``allocation_pay`` and ``allocation_cancel`` take, by the same
    rules."""
    return _allocation_change(actor, allocation, fields)


@transaction.atomic
def allocation_commit(*, actor, allocation: FundingAllocation) -> FundingAllocation:
    """Planned money becomes committed: promised to the need or action."""
    return _allocation_change(actor, allocation, {"status": FundingAllocation.Status.COMMITTED})


@transaction.atomic
def allocation_claim(*, actor, allocation: FundingAllocation, evidence: str,
                     claimed_on=None) -> FundingAllocation:
    """Committed money is claimed from the funder, with its evidence, on ``claimed_on``
    (today unless given), inside the stream's claim window."""
    fields = {"status": FundingAllocation.Status.CLAIMED, "evidence": evidence}
    if claimed_on is not None:
        fields["claimed_on"] = claimed_on
    return _allocation_change(actor, allocation, fields)


@transaction.atomic
def allocation_pay(*, actor, allocation: FundingAllocation, paid_on=None) -> FundingAllocation:
    """The funder paid a claim, on ``paid_on`` (today unless given)."""
    fields: dict = {"status": FundingAllocation.Status.PAID}
    if paid_on is not None:
        fields["paid_on"] = paid_on
    return _allocation_change(actor, allocation, fields)


@transaction.atomic
def allocation_cancel(*, actor, allocation: FundingAllocation) -> FundingAllocation:
    """Planned or committed money is cancelled, and given back to the stream."""
    return _allocation_change(actor, allocation, {"status": FundingAllocation.Status.CANCELLED})


# Deletes ----------------------------------------------------------------------------
# Each gives back what the deleted rows held, so an offer's ``places_booked`` and a
# stream's ``allocated`` always equal what their placements and allocations hold.
# What someone has confirmed or committed is cancelled, not deleted.


def _lock_offers(offer_ids) -> dict[int, TrainingOffer]:
    return {o.pk: o for o in TrainingOffer.objects.select_for_update()
            .filter(pk__in=sorted(set(offer_ids))).order_by("pk")}


def _lock_streams(stream_ids) -> dict[int, FundingStream]:
    return {s.pk: s for s in FundingStream.objects.select_for_update()
            .filter(pk__in=sorted(set(stream_ids))).order_by("pk")}


@transaction.atomic
def placement_delete(*, actor, placement: Placement) -> None:
    """Remove a placement made in error, giving its places back (the waiting list moves
    up); approved and confirmed places, and places with money, are cancelled instead."""
    require(access.can_book_placement(actor, placement.learning_need),
            "Only the programme's managers and this partner's leads can remove placements.")
    booking = _lock_booking(placement.pk)
    placement = booking.placement
    if placement.status in (Placement.Status.APPROVED, Placement.Status.CONFIRMED):
        raise InvalidTransition(
            f"These places are {placement.get_status_display().lower()}: cancel the "
            "placement instead of deleting it.")
    if FundingAllocation.objects.filter(placement=placement).exists():
        raise InvalidTransition(
            "Money has been allocated to these places: cancel the placement instead of "
            "deleting it.")
    if placement.status in Placement.OPEN:
        _end(actor, placement, status=Placement.Status.CANCELLED, reason="")
    _save_counts(actor, booking.session)
    _by(actor, placement).delete()
    _promote_waiting(booking.session, offer=booking.offer, actor=actor)
    _sync_offer(actor, booking.offer, _lock_sessions(booking.offer))
    _reopen_needs(actor, [booking.need])


@transaction.atomic
def allocation_delete(*, actor, allocation: FundingAllocation) -> None:
    """Remove a planned allocation, giving its money back; committed money is cancelled."""
    stream_id = FundingAllocation.objects.values_list("stream_id", flat=True).get(pk=allocation.pk)
    stream = FundingStream.objects.select_for_update().get(pk=stream_id)
    require(access.can_manage_funding(actor, stream.programme_id),
            "Only the programme's managers can remove funding allocations.")
    allocation = FundingAllocation.objects.select_for_update().get(pk=allocation.pk)
    if allocation.status == FundingAllocation.Status.COMMITTED:
        raise InvalidTransition(
            "This money is committed: cancel the allocation instead of deleting it.")
    if allocation.status in (FundingAllocation.Status.CLAIMED, FundingAllocation.Status.PAID):
        raise InvalidTransition(
            f"This money has been {allocation.status}, so the allocation is kept for the "
            f"record.")
    if allocation.status in FundingAllocation.HOLDING:
        _hold_money(stream, -allocation.amount)
    allocation.delete()


# Many new learning needs at once (a spreadsheet's import) ------------------------------

# Relations the batch has checked itself from what it read once; full_clean would read
# each of them again, row by row.
_NEED_BATCH_CHECKED = ["programme", "partner", "gap", "principle"]


class NeedBatch:
    """New learning needs of one programme, checked one by one with ``add`` and written
    together with ``save``: the rules and messages of ``need_create``, with the
    programme's partners read once, so each need costs no query until the few
    statements that write them all with their history."""

    def __init__(self, *, actor, programme):
        self.actor = actor
        self.programme = programme
        self.needs: list[LearningNeed] = []
        self._partner_ids = set(programme.partners.values_list("pk", flat=True))

    def add(self, *, partner, **fields) -> LearningNeed:
        """Check one new need as ``need_create`` would (raising the same errors); it is
        written by ``save``. ``partner``, ``gap`` and ``principle`` are objects; a gap's
        principle must come with it (``select_related``)."""
        require(access.can_change_need(self.actor, self.programme.pk, partner.pk),
                access.NEED_REFUSED)
        need = LearningNeed(programme=self.programme, partner=partner, **fields)
        _check_need_links(need, partner_ids=self._partner_ids)
        # No field but the id is unique, and the check constraint (workers at least 1)
        # is the field's own validator: what is left to check needs no query.
        need.full_clean(exclude=_NEED_BATCH_CHECKED, validate_unique=False,
                        validate_constraints=False)
        self.needs.append(need)
        return need

    @transaction.atomic
    def save(self) -> list[LearningNeed]:
        """Write every need added, with its history."""
        return bulk_create_with_history(self.needs, LearningNeed, batch_size=500,
                                        default_user=(self.actor if self.actor.is_authenticated
                                                      else None))


@transaction.atomic
def need_delete(*, actor, need: LearningNeed) -> None:
    """Delete a learning need with what hangs off it, giving its places and money back.

    A need with places approved or confirmed, or money committed, claimed or paid, is
    kept: cancel those first (or mark the need met). Its requested, waiting, declined
    and cancelled placements and its planned and cancelled allocations go with it; the
    history keeps them all.
    """
    require(access.can_change_need(actor, need.programme_id, need.partner_id),
            "Only the programme's managers and this partner's leads can delete its "
            "learning needs.")
    offer_ids = set(Placement.objects.filter(learning_need_id=need.pk)
                    .values_list("training_offer_id", flat=True))
    stream_ids = set(FundingAllocation.objects.filter(learning_need_id=need.pk)
                     .values_list("stream_id", flat=True))
    offers = _lock_offers(offer_ids)
    sessions = {s.pk: s for s in TrainingSession.objects.select_for_update()
                .filter(offer_id__in=sorted(offers)).order_by("offer_id", "pk")}
    streams = _lock_streams(stream_ids)
    need = LearningNeed.objects.select_for_update().get(pk=need.pk)
    placements = list(Placement.objects.select_for_update().filter(learning_need=need)
                      .order_by("pk"))
    allocations = list(FundingAllocation.objects.select_for_update().filter(learning_need=need)
                       .order_by("pk"))
    if ({p.training_offer_id for p in placements} - set(offers)
            or {a.stream_id for a in allocations} - set(streams)):
        raise Conflict("This need was booked or funded a moment ago; try again.")
    if any(p.status in (Placement.Status.APPROVED, Placement.Status.CONFIRMED)
           for p in placements):
        raise InvalidTransition(
            "Places for this need are approved or confirmed: cancel them first, or mark "
            "the need met.")
    if any(a.status in (FundingAllocation.Status.CLAIMED, FundingAllocation.Status.PAID)
           for a in allocations):
        raise InvalidTransition(
            "Money for this need has been claimed, so the need is kept for the record; "
            "mark it met instead.")
    if any(a.status == FundingAllocation.Status.COMMITTED for a in allocations):
        raise InvalidTransition(
            "Money for this need is committed: cancel the allocation first.")
    for placement in placements:
        placement.session = sessions[placement.session_id]
        if placement.status in Placement.OPEN:
            _end(actor, placement, status=Placement.Status.CANCELLED, reason="")
    money = defaultdict(Decimal)
    for allocation in allocations:
        if allocation.status in FundingAllocation.HOLDING:
            money[allocation.stream_id] += allocation.amount
    for stream_id, amount in sorted(money.items()):
        _hold_money(streams[stream_id], -amount)
    for row in (*allocations, *placements):
        _by(actor, row).delete()
    _by(actor, need).delete()
    touched = {p.session_id for p in placements}
    for session in sessions.values():
        if session.pk in touched:
            _save_counts(actor, session)
            _promote_waiting(session, offer=offers[session.offer_id], actor=actor)
    for offer in offers.values():
        _sync_offer(actor, offer, [s for s in sessions.values() if s.offer_id == offer.pk])


@transaction.atomic
def stream_delete(*, actor, stream: FundingStream) -> None:
    """Delete a funding stream nothing has been allocated from."""
    require(access.can_manage_funding(actor, stream.programme_id),
            "Only the programme's managers can delete funding streams.")
    stream = FundingStream.objects.select_for_update().get(pk=stream.pk)
    if stream.allocations.exists():
        raise InvalidTransition(
            "Money from this stream has been allocated, so it is kept for the record; "
            "cancel its allocations instead.")
    stream.delete()


# Proposals: a provider offers its training to a need -----------------------------------

PROPOSE_REFUSED = "Only the provider's own people can propose its offers."
OFFER_PROPOSED = telling.OFFER_PROPOSED


@transaction.atomic
def offer_propose(*, actor, offer: TrainingOffer, learning_need: LearningNeed,
                  message: str = "") -> OfferProposal:
    """The provider's people propose one of its published offers to an open need of a
    programme they share with the provider; the need's partner leads are told. Once per
    offer and need."""
    require(access.provides_for(actor, offer.provider_id), PROPOSE_REFUSED)
    # Lock order: the offer, then the need (a second proposal waits, then sees the first).
    offer = TrainingOffer.objects.select_for_update().select_related("provider").get(
        pk=offer.pk)
    need = LearningNeed.objects.select_for_update().get(pk=learning_need.pk)
    if offer.status != TrainingOffer.Status.PUBLISHED:
        raise InvalidTransition("Only a published offer can be proposed: publish it first.")
    if need.status not in OPEN_NEEDS:
        raise InvalidTransition(
            "This learning need is no longer open, so offers cannot be proposed for it.")
    shared = demand_programme_ids(user=actor, provider=offer.provider)
    if not shared.filter(programme_id=need.programme_id).exists():
        raise DomainError("This learning need is not in a programme you share with "
                          f"{offer.provider.name}.", field="learning_need")
    if OfferProposal.objects.filter(offer=offer, learning_need=need).exists():
        raise Conflict("You have already proposed this offer for this need.")
    with integrity.translated():
        proposal = OfferProposal.objects.create(
            offer=offer, learning_need=need, message=message.strip(),
            proposed_by=actor if getattr(actor, "is_authenticated", False) else None)
    leads = telling.partner_leads(need)
    text = (f"{offer.provider.name} proposes “{offer.title}” for your learning need "
            f"“{need.topic}”.")
    telling.tell_need(need, leads, actor=actor, kind=OFFER_PROPOSED, message=text)
    return proposal
