from notifications.models import Notification
from programmes import access
from programmes.models import Membership


def tracker(request):
    """What the layout shows on every page: unread count, and the menu for the person."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # The memberships the page's own role checks read (one query a request, not two).
    roles = {m.role for m in access.memberships_of(user).values()}
    return {
        "unread_notifications": Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count(),
        "provides_learning": user.is_staff or Membership.Role.LEARNING_PROVIDER in roles,
        # A person asked only to give their views on an assessment belongs to no
        # programme: their menu leads home, not to actions and training they cannot use.
        "is_member": user.is_staff or bool(roles),
    }
