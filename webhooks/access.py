"""Who may change a webhook: the programme's managers, and the member who added it."""

from programmes import access


def can_add_webhook(user, programme_id) -> bool:
    return access.is_member(user, programme_id)


def can_change_webhook(user, webhook) -> bool:
    return access.is_manager(user, webhook.programme_id) or (
        webhook.owner_id == user.pk and access.is_member(user, webhook.programme_id))
