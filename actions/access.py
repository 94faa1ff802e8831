"""Who may change actions (DESIGN.md): managers all; partner leads the ones owned by
their partner or by themselves; everyone in the programme sees them."""

from programmes import access


def can_assign(user, programme_id, *, owner_id, owner_partner_id) -> bool:
    """May this user leave an action with this owner and owning partner?

    Managers assign to anyone; a partner lead only keeps actions within their own
    partner or owned by themselves, so they cannot hand work to others.
    """
    if access.is_manager(user, programme_id):
        return True
    if access.role_in(user, programme_id) != access.Role.PARTNER_LEAD:
        return False
    return owner_id == user.pk or (
        owner_partner_id is not None and owner_partner_id == access.partner_in(user, programme_id)
    )


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
