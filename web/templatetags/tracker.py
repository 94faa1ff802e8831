"""Small template helpers for the pages: tag colours and figures."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

TAG_COLOURS = {
    # ratings
    "met": "green", "partly_met": "yellow", "not_met": "red", "not_applicable": "grey",
    # gaps
    "open": "orange", "closed": "green", "high": "red", "medium": "yellow",
    # actions
    "not_started": "grey", "in_progress": "blue", "blocked": "red", "done": "green",
    "cancelled": "grey",
    # learning needs and offers
    "identified": "grey", "planned": "blue", "in_training": "purple",
    "draft": "grey", "published": "green", "withdrawn": "red",
    # assessments, placements, funding
    "submitted": "green", "requested": "blue", "confirmed": "green", "committed": "green",
}


@register.filter
def tag_colour(value):
    return TAG_COLOURS.get(str(value), "grey")


@register.inclusion_tag("components/tag.html")
def status_tag(value, label=None):
    """An NHS tag for a status: the words always, the colour as well."""
    return {"text": label or str(value).replace("_", " ").capitalize(), "colour": tag_colour(value)}


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def percent(part, whole):
    try:
        return round(100 * part / whole) if whole else 0
    except (TypeError, ZeroDivisionError):
        return 0


@register.filter
def money(value):
    """Pounds with thousands separators and two decimals: £12,500.00."""
    if value in (None, ""):
        return "£0.00"
    try:
        return f"£{Decimal(value):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return value
