"""Who may change actions (DESIGN.md): managers all; partner leads the ones owned by
their partner or by themselves; everyone in the programme sees them."""

from programmes import access
from programmes.models import Membership


def can_assign(user, programme_id, *, owner_id, owner_partner_id, before=None,
               members=None) -> bool:
    """May this user leave an action with this owner and owning partner?

    Managers assign to anyone. A partner lead keeps work within their own partner: an
    owning partner they set must be theirs, and an owner they set must be themselves or
    one of their partner's people in the programme. ``before`` is the action as it was:
    what a change leaves as it was is not a hand-over. ``members``, when the caller has
    read them, maps the owner's user id to their (role, partner id) in the programme
    (absent: no active membership there).
    """
    if access.is_manager(user, programme_id):
        return True
    if access.role_in(user, programme_id) != access.Role.PARTNER_LEAD:
        return False
    mine = access.partner_in(user, programme_id)
    if before is None or owner_partner_id != before.owner_partner_id:
        if owner_partner_id != mine:
            return False
    if before is None or owner_id != before.owner_id:
        if owner_id not in (None, user.pk) and not _member_of(
                members, programme_id, owner_id, mine):
            return False
    return True


def _member_of(members, programme_id, user_id, partner_id) -> bool:
    """The person is an active member of the programme for this partner."""
    if members is not None:
        return user_id in members and members[user_id][1] == partner_id
    return Membership.objects.active().filter(
        programme_id=programme_id, user_id=user_id, partner_id=partner_id).exists()


def can_change_action(user, action) -> bool:
    if access.is_manager(user, action.programme_id):
        return True
    if access.role_in(user, action.programme_id) != access.Role.PARTNER_LEAD:
        return False
    return action.owner_id == user.pk or (
        action.owner_partner_id is not None
        and action.owner_partner_id == access.partner_in(user, action.programme_id)
    )


def can_delete_action(user, action) -> bool:
    return access.is_manager(user, action.programme_id)
