"""The role rules of the programme (DESIGN.md, "Who may do what"), in one place.

Seeing is decided by ``Model.objects.visible_to(user)`` (an unseen object is a 404);
the functions here decide changing (a seen object the user may not change is a
403). The API and the web pages both call them.
"""

from django.core.exceptions import PermissionDenied

from .models import Membership

Role = Membership.Role


def memberships_of(user) -> dict[int, Membership]:
    """The user's memberships by programme id, loaded once per user object (one query)."""
    cached = getattr(user, "_tracker_memberships", None)
    if cached is None:
        cached = {m.programme_id: m for m in Membership.objects.active().filter(user_id=user.pk)}
        user._tracker_memberships = cached
    return cached


def forget_memberships(user) -> None:
    user.__dict__.pop("_tracker_memberships", None)


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
