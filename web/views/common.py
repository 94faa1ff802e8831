"""Helpers shared by the page views: access in the same terms as the API."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from programmes import access


def visible_or_404(model, user, **lookup):
    """An object the user may see, or a 404 (the API's rule, on the pages)."""
    return get_object_or_404(model.objects.visible_to(user), **lookup)


def require(allowed: bool, message: str = "You do not have permission to do this.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def role_context(user, programme_id) -> dict:
    """What the templates need to show or hide buttons."""
    return {
        "role": access.role_in(user, programme_id),
        "is_manager": access.is_manager(user, programme_id),
        "my_partner_id": access.partner_in(user, programme_id),
    }
