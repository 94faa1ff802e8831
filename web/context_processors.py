from notifications.models import Notification
from programmes.models import Membership


def tracker(request):
    """What the layout shows on every page: unread count, and the provider's menu."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count(),
        "provides_learning": user.is_staff
        or Membership.objects.active()
        .filter(user=user, role=Membership.Role.LEARNING_PROVIDER).exists(),
    }
