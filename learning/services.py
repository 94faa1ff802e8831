"""Writes of learning: needs, offers, placements (within capacity) and funding
(within the stream's amount). Limits hold under concurrent requests because the
offer or stream row is locked before it is checked and changed."""

from decimal import Decimal

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from programmes.errors import DomainError, InvalidTransition, LimitExceeded
from programmes.versioning import lock_for_update

from .models import FundingAllocation, FundingStream, LearningNeed, Placement, TrainingOffer

# Learning needs -------------------------------------------------------------


def _check_need_links(need: LearningNeed) -> None:
    if not need.programme.partners.filter(pk=need.partner_id).exists():
        raise DomainError("This partner is not in the programme.", field="partner")
    if need.gap_id:
        gap = need.gap
        if gap.programme_id != need.programme_id:
            raise DomainError("This gap belongs to another programme.", field="gap")
        if gap.partner_id != need.partner_id:
            raise DomainError("This gap belongs to another partner.", field="gap")
        if need.principle_id and need.principle_id != gap.principle_id:
            raise DomainError("The principle must be the gap's principle.", field="principle")
        need.principle_id = gap.principle_id
    if need.principle_id and need.principle.framework_id != need.programme.framework_id:
        raise DomainError("This principle is not in the programme's framework.", field="principle")


NEED_FIELDS = {"gap", "principle", "staff_group", "topic", "workers_count", "needed_by",
               "status", "notes", "partner"}


@transaction.atomic
def need_create(*, programme, partner, **fields) -> LearningNeed:
    need = LearningNeed(programme=programme, partner=partner, **fields)
    _check_need_links(need)
    need.full_clean()
    need.save()
    return need


@transaction.atomic
def need_update(*, need: LearningNeed, version=None, if_match=None, **fields) -> LearningNeed:
    need = lock_for_update(LearningNeed, need.pk, version=version, if_match=if_match)
    if "programme" in fields and fields.pop("programme").pk != need.programme_id:
        raise DomainError("A learning need cannot move to another programme.", field="programme")
    for name, value in fields.items():
        if name not in NEED_FIELDS:
            raise DomainError(f"{name} cannot be changed.", field=name)
        setattr(need, name, value)
    _check_need_links(need)
    need.version += 1
    need.full_clean()
    need.save()
    return need


# Training offers ------------------------------------------------------------

OFFER_TRANSITIONS = {
    TrainingOffer.Status.DRAFT: {TrainingOffer.Status.PUBLISHED, TrainingOffer.Status.WITHDRAWN},
    TrainingOffer.Status.PUBLISHED: {TrainingOffer.Status.WITHDRAWN, TrainingOffer.Status.DRAFT},
    TrainingOffer.Status.WITHDRAWN: {TrainingOffer.Status.PUBLISHED},
}


@transaction.atomic
def offer_create(*, provider, principles=(), **fields) -> TrainingOffer:
    if not provider.provides_learning:
        raise DomainError("This partner does not provide learning.", field="provider")
    offer = TrainingOffer(provider=provider, **fields)
    offer.full_clean()
    offer.save()
    offer.principles.set(principles)
    return offer


@transaction.atomic
def offer_update(*, offer: TrainingOffer, principles=None, **fields) -> TrainingOffer:
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
    offer.save()
    if principles is not None:
        offer.principles.set(principles)
    return offer


@transaction.atomic
def offer_delete(*, offer: TrainingOffer) -> None:
    """Delete an offer nobody has booked; one with placements must be withdrawn instead."""
    offer = TrainingOffer.objects.select_for_update().get(pk=offer.pk)
    if offer.placements.exists():
        raise InvalidTransition("This offer has placements: withdraw it instead of deleting it.")
    offer.delete()


def offer_publish(*, offer: TrainingOffer) -> TrainingOffer:
    return offer_update(offer=offer, status=TrainingOffer.Status.PUBLISHED)


def offer_withdraw(*, offer: TrainingOffer) -> TrainingOffer:
    return offer_update(offer=offer, status=TrainingOffer.Status.WITHDRAWN)


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
def placement_book(*, learning_need: LearningNeed, training_offer: TrainingOffer, places: int,
                   requested_by=None, status=Placement.Status.REQUESTED) -> Placement:
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
        requested_by=requested_by, status=status,
    )
    need = LearningNeed.objects.select_for_update().get(pk=learning_need.pk)
    if need.status == LearningNeed.Status.IDENTIFIED:
        need.status = LearningNeed.Status.PLANNED
        need.version += 1
        need.save(update_fields=["status", "version", "updated_at"])
    return placement


@transaction.atomic
def placement_update(*, placement: Placement, **fields) -> Placement:
    """Change the places or the status; places are taken or given back on the offer."""
    placement = Placement.objects.select_for_update().get(pk=placement.pk)
    for name in ("learning_need", "training_offer"):
        if name in fields and fields.pop(name).pk != getattr(placement, f"{name}_id"):
            raise DomainError("Book a new placement instead of moving this one.", field=name)
    offer = TrainingOffer.objects.select_for_update().get(pk=placement.training_offer_id)
    held_before = placement.places if placement.status in Placement.HOLDING else 0
    places = fields.get("places", placement.places)
    status = fields.get("status", placement.status)
    held_after = places if status in Placement.HOLDING else 0
    if held_after > held_before and offer.status != TrainingOffer.Status.PUBLISHED:
        raise InvalidTransition("More places can only be taken on a published offer.")
    if held_after != held_before:
        _hold_places(offer, held_after - held_before)
    placement.places = places
    placement.status = status
    placement.full_clean()
    placement.save()
    return placement


# Funding ----------------------------------------------------------------------


@transaction.atomic
def stream_create(**fields) -> FundingStream:
    stream = FundingStream(**fields)
    if not stream.programme.partners.filter(pk=stream.funder_id).exists():
        raise DomainError("The funder must be a partner of the programme.", field="funder")
    stream.full_clean()
    stream.save()
    return stream


@transaction.atomic
def stream_update(*, stream: FundingStream, **fields) -> FundingStream:
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
    stream.save()
    return stream


def _hold_money(stream: FundingStream, amount: Decimal) -> None:
    if amount > 0 and stream.allocated + amount > stream.amount:
        raise LimitExceeded(
            f"Only £{stream.amount - stream.allocated} of this stream's £{stream.amount} is "
            f"unallocated; £{amount} was asked for.",
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
def allocation_create(*, stream: FundingStream, amount: Decimal, learning_need=None, action=None,
                      status=FundingAllocation.Status.PLANNED, note="") -> FundingAllocation:
    if status == FundingAllocation.Status.CANCELLED:
        raise DomainError("A new allocation cannot start cancelled.", field="status")
    stream = FundingStream.objects.select_for_update().get(pk=stream.pk)
    _check_allocation_target(stream, learning_need, action)
    allocation = FundingAllocation(stream=stream, learning_need=learning_need, action=action,
                                   amount=amount, status=status, note=note)
    allocation.full_clean()
    _hold_money(stream, amount)
    allocation.save()
    return allocation


@transaction.atomic
def allocation_update(*, allocation: FundingAllocation, **fields) -> FundingAllocation:
    allocation = FundingAllocation.objects.select_for_update().get(pk=allocation.pk)
    if "stream" in fields and fields.pop("stream").pk != allocation.stream_id:
        raise DomainError("Cancel this allocation and make one on the other stream.", field="stream")
    stream = FundingStream.objects.select_for_update().get(pk=allocation.stream_id)
    held_before = allocation.amount if allocation.status in FundingAllocation.HOLDING else 0
    for name, value in fields.items():
        setattr(allocation, name, value)
    _check_allocation_target(stream, allocation.learning_need, allocation.action)
    held_after = allocation.amount if allocation.status in FundingAllocation.HOLDING else 0
    allocation.full_clean()
    if held_after != held_before:
        _hold_money(stream, Decimal(held_after) - Decimal(held_before))
    allocation.save()
    return allocation


@transaction.atomic
def allocation_delete(*, allocation: FundingAllocation) -> None:
    allocation = FundingAllocation.objects.select_for_update().get(pk=allocation.pk)
    if allocation.status in FundingAllocation.HOLDING:
        stream = FundingStream.objects.select_for_update().get(pk=allocation.stream_id)
        _hold_money(stream, -allocation.amount)
    allocation.delete()


@transaction.atomic
def placement_delete(*, placement: Placement) -> None:
    placement = Placement.objects.select_for_update().get(pk=placement.pk)
    if placement.status in Placement.HOLDING:
        offer = TrainingOffer.objects.select_for_update().get(pk=placement.training_offer_id)
        _hold_places(offer, -placement.places)
    placement.delete()


# Many new learning needs at once (a spreadsheet's import) ------------------------------

# Relations the batch has checked itself from what it read once; full_clean would read
# each of them again, row by row.
_NEED_BATCH_CHECKED = ["programme", "partner", "gap", "principle"]


class NeedBatch:
    """New learning needs of one programme, checked one by one with ``add`` and written
    together with ``save``: the rules and messages of ``need_create``, with the
    programme's partners read once, so each need costs no query until the few
    statements that write them all with their history."""

    def __init__(self, *, programme, created_by=None):
        self.programme = programme
        self.created_by = created_by
        self.needs: list[LearningNeed] = []
        self._partner_ids = set(programme.partners.values_list("pk", flat=True))

    def add(self, *, partner, **fields) -> LearningNeed:
        """Check one new need as ``need_create`` would (raising the same errors); it is
        written by ``save``. ``partner``, ``gap`` and ``principle`` are objects; a gap's
        principle must come with it (``select_related``)."""
        need = LearningNeed(programme=self.programme, partner=partner, **fields)
        if need.partner_id not in self._partner_ids:
            raise DomainError("This partner is not in the programme.", field="partner")
        if need.gap_id:
            gap = need.gap
            if gap.programme_id != need.programme_id:
                raise DomainError("This gap belongs to another programme.", field="gap")
            if gap.partner_id != need.partner_id:
                raise DomainError("This gap belongs to another partner.", field="gap")
            if need.principle_id and need.principle_id != gap.principle_id:
                raise DomainError("The principle must be the gap's principle.",
                                  field="principle")
            need.principle = gap.principle
        if need.principle_id and need.principle.framework_id != self.programme.framework_id:
            raise DomainError("This principle is not in the programme's framework.",
                              field="principle")
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
                                        default_user=self.created_by)
