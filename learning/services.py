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

import datetime
from collections import defaultdict
from collections.abc import Container
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core import integrity
from core.errors import Conflict, DomainError, InvalidTransition, LimitExceeded
from core.versioning import lock_for_update
from programmes.access import require
from programmes.models import Partner

from . import access
from .models import FundingAllocation, FundingStream, LearningNeed, Placement, TrainingOffer


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


def _money(amount) -> str:
    return f"£{Decimal(amount):,.2f}"


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
            f"£{stream.allocated} is already allocated; the amount cannot be lower.", field="amount"
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
    if any(a.status in (FundingAllocation.Status.CLAIMED, FundingAllocation.Status.PAID)
           for a in allocations):
        raise InvalidTransition(
            "Money for this need has been claimed, so the need is kept for the record; "
            "mark it met instead.")
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
