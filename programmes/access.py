"""The role rules of the programme (DESIGN.md, "Who may do what"), in one place.

Seeing is decided by ``Model.objects.visible_to(user)`` (an unseen object is a 404);
the functions here decide changing (a seen object the user may not change is a
403). The API and the web pages both call them.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q

from .models import Membership, Programme
from .querysets import MEMBERSHIPS

Role = Membership.Role


def memberships_of(user) -> dict[int, Membership]:
    """The user's memberships by programme id, loaded once per user object (one query)."""
    cached = getattr(user, MEMBERSHIPS, None)
    if cached is None:
        cached = {m.programme_id: m for m in Membership.objects.active().filter(user_id=user.pk)}
        setattr(user, MEMBERSHIPS, cached)
    return cached


def memberships_in(user, programme_id, user_ids: Iterable[int | None]) -> dict[int, Membership]:
    """The active memberships in one programme of the people ``user_ids``, by user id, each
    with its partner and ``partner_in_programme`` (whether that partner is still one of
    the programme's). When ``user``'s own memberships are not loaded yet they come in the
    same query (and are kept as ``memberships_of`` keeps them): a write that checks the
    actor's role and the people it names reads the memberships once."""
    wanted = {pk for pk in user_ids if pk is not None}
    loaded = getattr(user, MEMBERSHIPS, None)
    ask = set(wanted)
    if loaded is not None and user.pk in ask and (
            programme_id not in loaded or hasattr(loaded[programme_id], "partner_in_programme")):
        ask.discard(user.pk)  # known already
    if loaded is None:
        where: Q | None = Q(user_id=user.pk) | Q(programme_id=programme_id, user_id__in=ask)
    else:
        where = Q(programme_id=programme_id, user_id__in=ask) if ask else None
    rows = [] if where is None else list(
        Membership.objects.active().filter(where).select_related("partner").annotate(
            partner_in_programme=Exists(Programme.partners.through.objects.filter(
                programme_id=OuterRef("programme_id"), partner_id=OuterRef("partner_id")))))
    if loaded is None:
        loaded = {m.programme_id: m for m in rows if m.user_id == user.pk}
        setattr(user, MEMBERSHIPS, loaded)
    found = {m.user_id: m for m in rows if m.programme_id == programme_id and m.user_id in ask}
    if user.pk in wanted and user.pk not in ask and programme_id in loaded:
        found[user.pk] = loaded[programme_id]
    return found


def forget_memberships(user) -> None:
    user.__dict__.pop(MEMBERSHIPS, None)


def role_in(user, programme_id) -> str | None:
    if not user.is_authenticated:
        return None
    if user.is_staff:
        return Role.MANAGER
    membership = memberships_of(user).get(programme_id)
    return membership.role if membership else None


def partner_in(user, programme_id) -> int | None:
    """The partner a partner lead or learning provider acts for in this programme."""
    if not user.is_authenticated or user.is_staff:
        return None
    membership = memberships_of(user).get(programme_id)
    return membership.partner_id if membership else None


def is_member(user, programme_id) -> bool:
    return role_in(user, programme_id) is not None


def is_manager(user, programme_id) -> bool:
    return role_in(user, programme_id) == Role.MANAGER


def is_partner_lead_for(user, programme_id, partner_id) -> bool:
    return (
        role_in(user, programme_id) == Role.PARTNER_LEAD
        and partner_in(user, programme_id) == partner_id
    )


def is_provider_for(user, programme_id, partner_id) -> bool:
    return (
        role_in(user, programme_id) == Role.LEARNING_PROVIDER
        and partner_in(user, programme_id) == partner_id
    )


def require(allowed: bool, message: str = "You do not have permission to do this.") -> None:
    if not allowed:
        raise PermissionDenied(message)


# Programmes, partners, cycles and memberships: managers change, members see.


def can_create_programme(user) -> bool:
    return user.is_staff or user.has_perm("programmes.add_programme")


def can_manage_programme(user, programme_id) -> bool:
    return is_manager(user, programme_id)


def can_create_partner(user) -> bool:
    return user.is_staff or any(
        m.role == Role.MANAGER for m in memberships_of(user).values()
    )


def can_delete_programme(user) -> bool:
    """Deleting a programme or a partner is for administrators (docs/decisions.md)."""
    return user.is_staff


def can_delete_partner(user) -> bool:
    return user.is_staff


def can_change_partner(user, partner) -> bool:
    if user.is_staff:
        return True
    programme_ids = {
        pid for pid, m in memberships_of(user).items() if m.role == Role.MANAGER
    }
    return partner.programmes.filter(pk__in=programme_ids).exists()


# Assessments and their responses: managers all, partner leads their own partner's.


def can_answer_assessment(user, programme_id, partner_id) -> bool:
    return is_manager(user, programme_id) or is_partner_lead_for(user, programme_id, partner_id)


# Gaps: managers all, partner leads change their own partner's; only managers
# open gaps by hand and close or reopen them.


def can_change_gap(user, gap) -> bool:
    return is_manager(user, gap.programme_id) or is_partner_lead_for(
        user, gap.programme_id, gap.partner_id
    )


def can_set_gap_status(user, gap) -> bool:
    return is_manager(user, gap.programme_id)


# Champions: managers name them for every partner, a partner lead for their own partner.

CHAMPION_REFUSED = ("Only the programme's managers, and a partner's leads for their own "
                    "partner, can name champions.")


def can_change_champion(user, programme_id, partner_id) -> bool:
    return is_manager(user, programme_id) or is_partner_lead_for(user, programme_id, partner_id)
