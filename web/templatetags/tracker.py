"""Small template helpers for the pages: tag colours and figures."""

import functools
import html

from django import template
from django.forms import BaseForm
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.money import format_money

from ..glossary import BY_ANCHOR

register = template.Library()

TAG_COLOURS = {
    # ratings
    "met": "green", "partly_met": "yellow", "not_met": "red", "not_applicable": "grey",
    # gaps
    "open": "orange", "closure_proposed": "blue", "closed": "green", "high": "red",
    "medium": "yellow",
    # actions
    "not_started": "grey", "in_progress": "blue", "blocked": "red", "done": "green",
    "cancelled": "grey",
    # learning needs and offers
    "identified": "grey", "planned": "blue", "in_training": "purple",
    "draft": "grey", "published": "green", "withdrawn": "red",
    # assessments, placements, funding
    "submitted": "green", "requested": "blue", "confirmed": "green", "committed": "green",
    "claimed": "purple", "paid": "green",
    "waitlisted": "yellow", "approved": "aqua-green", "declined": "red",
}


@register.filter
def tag_colour(value):
    return TAG_COLOURS.get(str(value), "grey")


@register.simple_tag
def status_tag(value, label=None):
    """An NHS tag for a status: the words always, the colour as well.

    Built in Python rather than from a template: registers show two tags a row.
    """
    if label is None and isinstance(value, str):
        return _plain_tag(value)
    return _tag(value, label or str(value).replace("_", " ").capitalize())


def _tag(value, text):
    return format_html('<strong class="nhsuk-tag nhsuk-tag--{}">{}</strong>',
                       tag_colour(value), text)


@functools.lru_cache(maxsize=256)
def _plain_tag(value: str):
    """The tag of a status without a label of its own: built once per status (a
    register's page shows a hundred tags of a handful of statuses)."""
    return _tag(value, value.replace("_", " ").capitalize())


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
def money(value, empty="£0.00"):
    """Pounds in the service's one format (``core.money``): £12,500.00.

    An amount not set reads as ``empty``: £0.00 unless the page says otherwise,
    e.g. ``{{ stream.cap|money:"No cap" }}``.
    """
    try:
        return format_money(value, empty=empty)
    except ValueError:
        return value


@register.simple_tag
def select_options(field):
    """The ``<option>`` elements of a filter's drop-down, built in one pass.

    A filter form's partner drop-down can hold hundreds of partners; a template per
    option (Django's widget renderer, or a template loop) costs tens of milliseconds
    a page. The empty choice reads "Any <label>"; the current value is selected.
    """
    current = field.value()
    if isinstance(current, (list, tuple)):
        chosen = {str(v) for v in current}
    else:
        chosen = {"" if current is None else str(current)}
    escape = html.escape  # the standard library's: Django's wraps every call for lazy text
    parts = []
    # A view may give plain (value, label) pairs read in one query (``partner_choices``).
    choices = getattr(field.field, "option_pairs", None) or field.field.choices
    for value, label in choices:
        raw = "" if value is None else str(value)
        text = escape(f"Any {str(field.label).lower()}" if raw == "" else str(label))
        selected = " selected" if raw in chosen else ""
        # An id needs no escaping; any other value is escaped like the labels.
        shown = raw if type(value) is int else escape(raw)
        parts.append(f'<option value="{shown}"{selected}>{text}</option>')
    return mark_safe("".join(parts))  # noqa: S308 - every value and label escaped above


@register.simple_tag(takes_context=True)
def success_items(context, items, words):
    """The ``<li>`` lines of one kind of a partner's successes ("Gap closed: 1.2 Shared
    induction (principle 1), 3 June"), built in one pass: the dashboard lists every
    success of the period, and a template loop with a date filter per line was most of
    its template time."""
    parts = []
    for item in items:
        number = item["principle_number"]
        on = date_filter(timezone.template_localtime(item["on"], context.use_tz), "j F")
        parts.append(format_html("<li>{}: {}{}, {}</li>", words, item["title"],
                                 format_html(" (principle {})", number) if number else "", on))
    return mark_safe("".join(parts))  # noqa: S308 - each part is built by format_html


_GAP_ROW = (
    '<tr class="nhsuk-table__row">'
    '<td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" '
    'aria-hidden="true">Item </span><a href="{}">{} {}</a></td>'
    '<td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" '
    'aria-hidden="true">Partner </span>{}</td>'
    '<td class="nhsuk-table__cell nhsuk-table__cell--numeric"><span '
    'class="nhsuk-table-responsive__heading" aria-hidden="true">Actions </span>'
    '{} of {} done</td>'
    '<td class="nhsuk-table__cell nhsuk-table__cell--numeric"><span '
    'class="nhsuk-table-responsive__heading" aria-hidden="true">Learning needs </span>{}</td>'
    '<td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" '
    'aria-hidden="true">Severity </span>{}</td>'
    '<td class="nhsuk-table__cell"><span class="nhsuk-table-responsive__heading" '
    'aria-hidden="true">Status </span>{}</td></tr>'
)


@register.simple_tag
def gap_register_rows(rows):
    """The ``<tr>`` lines of the gap register's table, built in one pass: fifty rows of
    six cells through the template language were most of the page's template time.
    Each row is one of ``_register_rows``'s (web.views.programmes)."""
    escape = html.escape  # the standard library's: Django's wraps every call for lazy text
    parts = [
        _GAP_ROW.format(
            escape(row["url"]), escape(row["checklist_item__code"]), escape(row["item_words"]),
            escape(row["partner__name"]), int(row["actions_done"]), int(row["action_count"]),
            int(row["need_count"]), status_tag(row["severity"]), status_tag(row["status"]))
        for row in rows
    ]
    return mark_safe("".join(parts))  # noqa: S308 - every text escaped, tags built safe


# Bookings -------------------------------------------------------------------------------

PLACEMENT_WORDS = {
    "requested": "Requested – waiting for approval",
    "waitlisted": "On the waiting list",
    "approved": "Approved – waiting for the provider",
    "confirmed": "Confirmed",
    "declined": "Declined",
    "cancelled": "Cancelled",
}


@register.simple_tag
def placement_tag(placement):
    """A placement's status as a tag, in words that say what happens next."""
    return status_tag(placement.status, PLACEMENT_WORDS.get(placement.status))


def _clock(moment) -> str:
    """9:30am, 12pm, 4:15pm."""
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


@register.filter
def session_when(session) -> str:
    """“Tuesday 12 January 2027, 9:30am to 4:30pm”; a session without a time runs “At
    any time”."""
    if session.starts_at is None:
        return "At any time"
    starts = timezone.localtime(session.starts_at)
    text = f"{starts:%A %-d %B %Y}, {_clock(starts)}"
    if session.ends_at:
        ends = timezone.localtime(session.ends_at)
        if ends.date() == starts.date():
            return f"{text} to {_clock(ends)}"
        return f"{text} to {ends:%A %-d %B %Y}, {_clock(ends)}"
    return text


@register.filter
def session_where(session) -> str:
    if session.online and session.location:
        return f"Online and at {session.location}"
    if session.online:
        return "Online"
    return session.location or "Place to be confirmed"


# The glossary ---------------------------------------------------------------------------


@register.simple_tag
def glossary(anchor: str, text: str = "") -> str:
    """A link to the word's entry in the glossary: ``{% glossary "gap" %}`` gives
    ``<a href="/glossary/#gap">gap</a>``; ``{% glossary "gap" "Gaps" %}`` shows other
    words. An anchor the glossary lacks is a mistake in the template, so it fails."""
    if anchor not in BY_ANCHOR:
        raise template.TemplateSyntaxError(f"The glossary has no entry “{anchor}”.")
    return format_html('<a href="{}#{}">{}</a>', reverse("web:glossary"), anchor,
                       text or anchor.replace("-", " "))


# "Error: " before a page's title ----------------------------------------------------------

# What a view puts in the context when the page shows a mistake to put right: a refusal
# from the service, or a list of mistakes outside a form.
ERROR_KEYS = ("errors", "error", "refusal", "decision_errors")


@register.simple_tag(takes_context=True)
def error_prefix(context) -> str:
    """“Error: ” when the page shows a mistake (a sent form with errors, a refusal), as
    the NHS pattern asks, so that someone who hears only the title knows; else ""."""
    values = context.flatten()
    if any(values.get(key) for key in ERROR_KEYS):
        return "Error: "
    for value in values.values():
        if isinstance(value, BaseForm) and value.is_bound and value.errors:
            return "Error: "
    return ""
