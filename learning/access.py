"""Who may change learning needs, offers, placements and funding (DESIGN.md)."""

from programmes import access
from programmes.models import Membership, Programme

from .models import Placement

# What a refused user reads, the same on the API and the pages (the services raise them).
NEED_REFUSED = ("Only the programme's managers and this partner's leads can change its "
                "learning needs.")
OFFER_REFUSED = "Only the provider's own people can change its offers."
STREAM_REFUSED = "Only the programme's managers can change funding."
ALLOCATION_REFUSED = "Only the programme's managers can allocate funding."
PLACEMENT_REFUSED = "You may not change this placement."
DEMAND_REFUSED = ("Only the provider's own people and the programme's managers can see the "
                  "needs its offers could meet.")


def can_change_need(user, programme_id, partner_id) -> bool:
    """Managers all; partner leads their own partner's needs."""
    return access.is_manager(user, programme_id) or access.is_partner_lead_for(
        user, programme_id, partner_id
    )


def provides_for(user, provider_id) -> bool:
    """The user is a learning provider member for this provider (in any programme)."""
    if user.is_staff:
        return True
    return any(
        m.role == Membership.Role.LEARNING_PROVIDER and m.partner_id == provider_id
        for m in access.memberships_of(user).values()
    )


def can_book_placement(user, need) -> bool:
    return can_change_need(user, need.programme_id, need.partner_id)


def can_change_placement(user, placement) -> bool:
    need = placement.learning_need
    return can_change_need(user, need.programme_id, need.partner_id) or provides_for(
        user, placement.training_offer.provider_id
    )


def can_confirm_placement(user, placement) -> bool:
    """Confirming places is the provider's step: its own people (and staff) only."""
    return provides_for(user, placement.training_offer.provider_id)


def is_manager(user, programme_id) -> bool:
    return access.is_manager(user, programme_id)


def can_manage_funding(user, programme_id) -> bool:
    return access.is_manager(user, programme_id)


def can_see_demand(user, provider_id) -> bool:
    """Needs we could meet: the provider's own people, and managers of a programme the
    provider is in (who see their programmes' needs)."""
    if provides_for(user, provider_id):
        return True
    managed = [m.programme_id for m in access.memberships_of(user).values()
               if m.role == Membership.Role.MANAGER]
    return bool(managed) and Programme.partners.through.objects.filter(
        programme_id__in=managed, partner_id=provider_id).exists()


def placement_steps(status: str, *, books: bool, provides: bool) -> frozenset[str]:
    """The steps of a placement at ``status`` open to the need's side (``books``: its
    partner leads and the managers) and to the provider's people (``provides``). The
    services refuse the others; the pages offer these."""
    S = Placement.Status
    steps = set()
    if books and status == S.REQUESTED:
        steps.add("approve")
    if provides and status == S.APPROVED:
        steps.add("confirm")
    if (books or provides) and status in (S.REQUESTED, S.WAITLISTED) or (
            provides and status == S.APPROVED):
        steps.add("decline")
    if (books or provides) and status in Placement.OPEN:
        steps.add("cancel")
    if books and status in Placement.OPEN:
        steps.add("change")
    if books and status not in (S.APPROVED, S.CONFIRMED):
        steps.add("remove")
    if provides and status == S.CONFIRMED:
        steps.add("record")
    return frozenset(steps)
