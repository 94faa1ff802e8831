"""Who in a programme hears of a change: its managers, a partner's leads (active members)."""

from collections.abc import Iterable

from django.db.models import Q

from .models import Membership


def _active(programme_id: int, role: str, **filters) -> list[int]:
    return sorted(Membership.objects.active().filter(
        programme_id=programme_id, role=role, **filters).values_list("user_id", flat=True))


def managers(programme_id: int) -> list[int]:
    return _active(programme_id, Membership.Role.MANAGER)


def partner_leads(programme_id: int, partner_id: int | None) -> list[int]:
    if partner_id is None:
        return []
    return _active(programme_id, Membership.Role.PARTNER_LEAD, partner_id=partner_id)


def managers_and_leads(programme_id: int, partner_id: int) -> tuple[list[int], list[int]]:
    """``managers(programme_id)`` and ``partner_leads(programme_id, partner_id)`` in one
    query."""
    rows = Membership.objects.active().filter(programme_id=programme_id).filter(
        Q(role=Membership.Role.MANAGER)
        | Q(role=Membership.Role.PARTNER_LEAD, partner_id=partner_id)
    ).order_by().values_list("role", "user_id")
    found: dict[str, set[int]] = {Membership.Role.MANAGER: set(),
                                  Membership.Role.PARTNER_LEAD: set()}
    for role, user_id in rows:
        found[role].add(user_id)
    return sorted(found[Membership.Role.MANAGER]), sorted(found[Membership.Role.PARTNER_LEAD])


def without(ids: Iterable[int], *others: Iterable[int]) -> list[int]:
    """``ids`` less everyone in ``others``."""
    left = set(ids)
    for other in others:
        left -= set(other)
    return sorted(left)
