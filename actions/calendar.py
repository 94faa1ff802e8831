"""The iCalendar feed of a person's actions, for Outlook, Google Calendar and the rest."""

import datetime

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Action, CalendarFeed, new_feed_token
from .reminders import action_link


def feed_for(user) -> CalendarFeed:
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return feed


def feed_reset(user) -> CalendarFeed:
    """A new secret address; the old one stops working at once."""
    feed = feed_for(user)
    feed.token = new_feed_token()
    feed.save(update_fields=["token", "created_at"])
    return feed


def feed_url(feed: CalendarFeed) -> str:
    return f"{settings.SITE_URL}/calendar/{feed.token}.ics"


def calendar_for(user) -> bytes:
    """All-day events on the due dates of the user's open actions, in the programmes they
    still belong to: someone who left a programme stops seeing its actions here, as in
    the API."""
    calendar = Calendar()
    calendar.add("prodid", "-//Workforce integration programme tracker//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "My actions (workforce integration)")
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    stamp = timezone.now()
    actions = (
        Action.objects.visible_to(user)
        .open()
        .filter(owner=user, due_date__isnull=False)
        .select_related("programme")
        .order_by("due_date", "pk")
    )
    for action in actions:
        event = Event()
        event.add("uid", f"action-{action.pk}@{settings.SITE_URL.split('://')[-1]}")
        event.add("dtstamp", stamp)
        event.add("dtstart", action.due_date)
        event.add("dtend", action.due_date + datetime.timedelta(days=1))
        event.add("summary", f"Due: {action.title}")
        url = f"{settings.SITE_URL}{action_link(action.pk)}"
        event.add("description", f"{action.programme.name}\n{action.get_status_display()}\n{url}")
        event.add("url", url)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
