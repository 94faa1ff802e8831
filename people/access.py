"""Who may invite people and end memberships: the programme's managers (and staff)."""

from programmes.access import can_manage_programme, require

__all__ = ["can_invite", "can_end_membership", "require"]


def can_invite(user, programme_id) -> bool:
    return can_manage_programme(user, programme_id)


def can_end_membership(user, membership) -> bool:
    return can_manage_programme(user, membership.programme_id)
