"""Writes of learning: needs, offers, placements (within capacity) and funding
(within the stream's amount). Limits hold under concurrent requests because the
offer or stream row is locked before it is checked and changed.

Rows are locked in one order everywhere (offers, then streams, then the need, then its
placements and allocations), so two writers never wait for each other in a circle.
Every write takes the person acting (``actor``, keyword-only) and checks their role
here (``learning.access``), whichever page, API route, import or command calls it; a
refusal is ``PermissionDenied`` with the sentence the user reads. The actor is also
the ``history_user`` of the rows written.
"""

from collections import defaultdict
from collections.abc import Container
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core import integrity
from core.errors import Conflict, DomainError, InvalidTransition, LimitExceeded
from core.versioning import lock_for_update
from notifications.services import notify
from programmes.access import require
from programmes.models import Membership

from . import access
from .models import (
    FundingAllocation,
    FundingStream,
    LearningNeed,
    OfferProposal,
    Placement,
    TrainingOffer,
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
               "status", "notes", "partner"}


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
    for name, value in fields.items():
        if name not in NEED_FIELDS:
            raise DomainError(f"{name} cannot be changed.", field=name)
        setattr(need, name, value)
    _check_need_links(need, partner_ids=_partner_ids_for(need))
    need.version += 1
    need.full_clean()
    with integrity.translated():
        _by(actor, need).save()
    return need


# Training offers ------------------------------------------------------------

OFFER_TRANSITIONS = {
    TrainingOffer.Status.DRAFT: {TrainingOffer.Status.PUBLISHED, TrainingOffer.Status.WITHDRAWN},
    TrainingOffer.Status.PUBLISHED: {TrainingOffer.Status.WITHDRAWN, TrainingOffer.Status.DRAFT},
    TrainingOffer.Status.WITHDRAWN: {TrainingOffer.Status.PUBLISHED},
}


@transaction.atomic
def offer_create(*, actor, provider, principles=(), **fields) -> TrainingOffer:
    require(access.provides_for(actor, provider.pk), access.OFFER_REFUSED)
    if not provider.provides_learning:
        raise DomainError("This partner does not provide learning.", field="provider")
    offer = TrainingOffer(provider=provider, **fields)
    offer.full_clean()
    with integrity.translated():
        _by(actor, offer).save()
    offer.principles.set(principles)
    return offer


@transaction.atomic
def offer_update(*, actor, offer: TrainingOffer, principles=None, **fields) -> TrainingOffer:
    require(access.provides_for(actor, offer.provider_id), access.OFFER_REFUSED)
    offer = TrainingOffer.objects.select_for_update().get(pk=offer.pk)
    if "provider" in fields and fields.pop("provider").pk != offer.provider_id:
        raise DomainError("An offer cannot move to another provider.", field="provider")
    status = fields.pop("status", offer.status)
    if status != offer.status and status not in OFFER_TRANSITIONS[offer.status]:
        raise InvalidTransition(f"An offer cannot go from {offer.status} to {status}.")
    if fields.get("capacity", offer.capacity) < offer.places_booked:
        raise LimitExceeded(
            f"{offer.places_booked} places are already booked; the capacity cannot be lower.",
            field="capacity",
        )
    for name, value in fields.items():
        setattr(offer, name, value)
    offer.status = status
    offer.full_clean()
    with integrity.translated():
        _by(actor, offer).save()
    if principles is not None:
        offer.principles.set(principles)
    return offer


@transaction.atomic
def offer_delete(*, actor, offer: TrainingOffer) -> None:
    """Delete an offer nobody has booked; one with placements must be withdrawn instead."""
    require(access.provides_for(actor, offer.provider_id),
            "Only the provider's own people can delete its offers.")
    offer = TrainingOffer.objects.select_for_update().get(pk=offer.pk)
    if offer.placements.exists():
        raise InvalidTransition("This offer has placements: withdraw it instead of deleting it.")
    offer.delete()


def offer_publish(*, actor, offer: TrainingOffer) -> TrainingOffer:
    return offer_update(actor=actor, offer=offer, status=TrainingOffer.Status.PUBLISHED)


def offer_withdraw(*, actor, offer: TrainingOffer) -> TrainingOffer:
    return offer_update(actor=actor, offer=offer, status=TrainingOffer.Status.WITHDRAWN)


# Placements -----------------------------------------------------------------


def _hold_places(offer: TrainingOffer, places: int) -> None:
    """Take ``places`` (negative: give back) on a locked offer, within its capacity."""
    if places > 0 and offer.places_booked + places > offer.capacity:
        raise LimitExceeded(
            f"Only {offer.capacity - offer.places_booked} of the {offer.capacity} places on "
            f"this offer are free; {places} were asked for.",
            field="places",
        )
    offer.places_booked += places
    offer.save(update_fields=["places_booked"])


@transaction.atomic
def placement_book(*, actor, learning_need: LearningNeed, training_offer: TrainingOffer,
                   places: int, status=Placement.Status.REQUESTED) -> Placement:
    """Book places for a need: the need's side asks; only the provider confirms."""
    require(access.can_book_placement(actor, learning_need),
            "Only the programme's managers and this partner's leads can book places.")
    if status == Placement.Status.CONFIRMED:
        require(access.provides_for(actor, training_offer.provider_id),
                "Only the training provider's people can confirm places: book them as "
                "requested and the provider will confirm them.")
    if places < 1:
        raise DomainError("Book at least one place.", field="places")
    offer = TrainingOffer.objects.select_for_update().get(pk=training_offer.pk)
    if offer.status != TrainingOffer.Status.PUBLISHED:
        raise InvalidTransition("Places can only be booked on a published offer.")
    if status == Placement.Status.CANCELLED:
        raise DomainError("A new placement cannot start cancelled.", field="status")
    _hold_places(offer, places)
    placement = Placement.objects.create(
        learning_need=learning_need, training_offer=offer, places=places,
        requested_by=actor if actor.is_authenticated else None, status=status,
    )
    need = LearningNeed.objects.select_for_update().get(pk=learning_need.pk)
    if need.status == LearningNeed.Status.IDENTIFIED:
        need.status = LearningNeed.Status.PLANNED
        need.version += 1
        need.save(update_fields=["status", "version", "updated_at"])
    return placement


def _check_placement_change(actor, placement: Placement, *, places: int, status: str) -> None:
    """The role rules of a change (DESIGN.md, "Training operations").

    The need's side (managers, the partner's leads) asks for places, changes how many
    and cancels; the provider's people confirm or cancel and change nothing else.
    """
    books = access.can_book_placement(actor, placement.learning_need)
    provides = access.can_confirm_placement(actor, placement)
    require(books or provides, "You may not change this placement.")
    status_changes = status != placement.status
    if not books:
        require(places == placement.places
                and status in (Placement.Status.CONFIRMED, Placement.Status.CANCELLED),
                "A provider can only confirm or cancel places on its offers.")
    if status_changes and status == Placement.Status.CONFIRMED:
        require(provides, "Only the training provider's people can confirm these places.")
    if placement.status == Placement.Status.CONFIRMED:
        if status == Placement.Status.REQUESTED:
            raise InvalidTransition(
                "The provider has confirmed these places; cancel the placement instead.",
                field="status")
        if status == Placement.Status.CONFIRMED and places != placement.places:
            raise InvalidTransition(
                "The provider has confirmed these places; cancel the placement and book "
                "again to change the number.", field="places")


@transaction.atomic
def placement_update(*, actor, placement: Placement, **fields) -> Placement:
    """Change the places or the status; places are taken or given back on the offer."""
    offer_id = Placement.objects.values_list("training_offer_id", flat=True).get(pk=placement.pk)
    offer = TrainingOffer.objects.select_for_update().get(pk=offer_id)
    placement = (Placement.objects.select_for_update(of=("self",))
                 .select_related("learning_need").get(pk=placement.pk))
    placement.training_offer = offer
    for name in ("learning_need", "training_offer"):
        if name in fields and fields.pop(name).pk != getattr(placement, f"{name}_id"):
            raise DomainError("Book a new placement instead of moving this one.", field=name)
    held_before = placement.places if placement.status in Placement.HOLDING else 0
    places = fields.get("places", placement.places)
    status = fields.get("status", placement.status)
    _check_placement_change(actor, placement, places=places, status=status)
    held_after = places if status in Placement.HOLDING else 0
    if held_after > held_before and offer.status != TrainingOffer.Status.PUBLISHED:
        raise InvalidTransition("More places can only be taken on a published offer.")
    if held_after != held_before:
        _hold_places(offer, held_after - held_before)
    placement.places = places
    placement.status = status
    placement.full_clean()
    with integrity.translated():
        _by(actor, placement).save()
    return placement


def placement_confirm(*, actor, placement: Placement) -> Placement:
    return placement_update(actor=actor, placement=placement, status=Placement.Status.CONFIRMED)


def placement_cancel(*, actor, placement: Placement) -> Placement:
    return placement_update(actor=actor, placement=placement, status=Placement.Status.CANCELLED)


# Funding ----------------------------------------------------------------------


@transaction.atomic
def stream_create(*, actor, programme, **fields) -> FundingStream:
    require(access.can_manage_funding(actor, programme.pk), access.STREAM_REFUSED)
    stream = FundingStream(programme=programme, **fields)
    if not stream.programme.partners.filter(pk=stream.funder_id).exists():
        raise DomainError("The funder must be a partner of the programme.", field="funder")
    stream.full_clean()
    with integrity.translated():
        _by(actor, stream).save()
    return stream


@transaction.atomic
def stream_update(*, actor, stream: FundingStream, **fields) -> FundingStream:
    require(access.can_manage_funding(actor, stream.programme_id), access.STREAM_REFUSED)
    stream = FundingStream.objects.select_for_update().get(pk=stream.pk)
    if "programme" in fields and fields.pop("programme").pk != stream.programme_id:
        raise DomainError("A funding stream cannot move to another programme.", field="programme")
    if fields.get("amount", stream.amount) < stream.allocated:
        raise LimitExceeded(
            f"£{stream.allocated} is already allocated; the amount cannot be lower.", field="amount"
        )
    for name, value in fields.items():
        setattr(stream, name, value)
    if not stream.programme.partners.filter(pk=stream.funder_id).exists():
        raise DomainError("The funder must be a partner of the programme.", field="funder")
    stream.full_clean()
    with integrity.translated():
        _by(actor, stream).save()
    return stream


def _hold_money(stream: FundingStream, amount: Decimal) -> None:
    if amount > 0 and stream.allocated + amount > stream.amount:
        raise LimitExceeded(
            f"Only £{stream.amount - stream.allocated:,.2f} of this stream's "
            f"£{stream.amount:,.2f} is unallocated; £{amount:,.2f} was asked for.",
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


@transaction.atomic
def allocation_create(*, actor, stream: FundingStream, amount: Decimal, learning_need=None,
                      action=None, status=FundingAllocation.Status.PLANNED,
                      note="") -> FundingAllocation:
    require(access.can_manage_funding(actor, stream.programme_id), access.ALLOCATION_REFUSED)
    if status == FundingAllocation.Status.CANCELLED:
        raise DomainError("A new allocation cannot start cancelled.", field="status")
    stream = FundingStream.objects.select_for_update().get(pk=stream.pk)
    _check_allocation_target(stream, learning_need, action)
    allocation = FundingAllocation(stream=stream, learning_need=learning_need, action=action,
                                   amount=amount, status=status, note=note)
    allocation.full_clean()
    _hold_money(stream, amount)
    with integrity.translated():
        _by(actor, allocation).save()
    return allocation


@transaction.atomic
def allocation_update(*, actor, allocation: FundingAllocation, **fields) -> FundingAllocation:
    stream_id = FundingAllocation.objects.values_list("stream_id", flat=True).get(pk=allocation.pk)
    stream = FundingStream.objects.select_for_update().get(pk=stream_id)
    require(access.can_manage_funding(actor, stream.programme_id), access.ALLOCATION_REFUSED)
    allocation = FundingAllocation.objects.select_for_update().get(pk=allocation.pk)
    if "stream" in fields and fields.pop("stream").pk != allocation.stream_id:
        raise DomainError("Cancel this allocation and make one on the other stream.",
                          field="stream")
    held_before = allocation.amount if allocation.status in FundingAllocation.HOLDING else 0
    for name, value in fields.items():
        setattr(allocation, name, value)
    _check_allocation_target(stream, allocation.learning_need, allocation.action)
    held_after = allocation.amount if allocation.status in FundingAllocation.HOLDING else 0
    allocation.full_clean()
    if held_after != held_before:
        _hold_money(stream, Decimal(held_after) - Decimal(held_before))
    with integrity.translated():
        _by(actor, allocation).save()
    return allocation


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
    """Remove a placement made in error, giving its places back; a confirmed one is cancelled."""
    require(access.can_book_placement(actor, placement.learning_need),
            "Only the programme's managers and this partner's leads can remove placements.")
    offer_id = Placement.objects.values_list("training_offer_id", flat=True).get(pk=placement.pk)
    offer = TrainingOffer.objects.select_for_update().get(pk=offer_id)
    placement = Placement.objects.select_for_update().get(pk=placement.pk)
    if placement.status == Placement.Status.CONFIRMED:
        raise InvalidTransition(
            "The provider has confirmed these places: cancel the placement instead of "
            "deleting it.")
    if placement.status in Placement.HOLDING:
        _hold_places(offer, -placement.places)
    placement.delete()


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

    A need with places the provider has confirmed, or money that is committed, is kept:
    cancel those first (or mark the need met). Its requested and cancelled placements
    and its planned and cancelled allocations go with it; the history keeps them all.
    """
    require(access.can_change_need(actor, need.programme_id, need.partner_id),
            "Only the programme's managers and this partner's leads can delete its "
            "learning needs.")
    offer_ids = set(Placement.objects.filter(learning_need_id=need.pk)
                    .values_list("training_offer_id", flat=True))
    stream_ids = set(FundingAllocation.objects.filter(learning_need_id=need.pk)
                     .values_list("stream_id", flat=True))
    offers = _lock_offers(offer_ids)
    streams = _lock_streams(stream_ids)
    need = LearningNeed.objects.select_for_update().get(pk=need.pk)
    placements = list(Placement.objects.select_for_update().filter(learning_need=need)
                      .order_by("pk"))
    allocations = list(FundingAllocation.objects.select_for_update().filter(learning_need=need)
                       .order_by("pk"))
    if ({p.training_offer_id for p in placements} - set(offers)
            or {a.stream_id for a in allocations} - set(streams)):
        raise Conflict("This need was booked or funded a moment ago; try again.")
    if any(p.status == Placement.Status.CONFIRMED for p in placements):
        raise InvalidTransition(
            "The provider has confirmed places for this need: cancel them first, or mark "
            "the need met.")
    if any(a.status == FundingAllocation.Status.COMMITTED for a in allocations):
        raise InvalidTransition(
            "Money for this need is committed: cancel the allocation first.")
    places = defaultdict(int)
    for placement in placements:
        if placement.status in Placement.HOLDING:
            places[placement.training_offer_id] += placement.places
    for offer_id, count in sorted(places.items()):
        _hold_places(offers[offer_id], -count)
    money = defaultdict(Decimal)
    for allocation in allocations:
        if allocation.status in FundingAllocation.HOLDING:
            money[allocation.stream_id] += allocation.amount
    for stream_id, amount in sorted(money.items()):
        _hold_money(streams[stream_id], -amount)
    for row in (*placements, *allocations):
        row.delete()
    need.delete()


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
OFFER_PROPOSED = "offer_proposed"


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
    leads = Membership.objects.active().filter(
        programme_id=need.programme_id, partner_id=need.partner_id,
        role=Membership.Role.PARTNER_LEAD,
    ).values_list("user_id", flat=True)
    text = (f"{offer.provider.name} proposes “{offer.title}” for your learning need "
            f"“{need.topic}”.")
    for recipient_id in sorted(set(leads)):
        notify(recipient_id=recipient_id, kind=OFFER_PROPOSED, subject_type="learning_need",
               subject_id=need.pk, occurrence=timezone.localdate(), message=text,
               link=reverse("web:learning-need", args=[need.pk]))
    return proposal
