"""Which action reminders fall due on a day (DESIGN.md, "Reminders and notifications").

For each open action with an owner and a due date, the latest reminder that has
fallen due by ``today`` is chosen: 7 days before the due date
(``action_due_in_7_days``), the day before (``action_due_tomorrow``), or the day
after and then every 7 days while it stays open (``action_overdue``). A missed day is
caught up by the next run without stale reminders: once an action is overdue, only
the overdue reminder of the current week can be chosen. The notifications' unique
key makes each one happen once, however often this runs.
"""

import datetime
from collections.abc import Iterator

from core.links import page_link
from notifications.services import Reminder
from programmes.querysets import belongs
from programmes.reminders import members_among

from .models import Action

DUE_IN_7_DAYS = "action_due_in_7_days"
DUE_TOMORROW = "action_due_tomorrow"
OVERDUE = "action_overdue"
ONE_DAY = datetime.timedelta(days=1)


def action_link(action_id: int) -> str:
    """The action's page."""
    return page_link("web:action", action_id)


def latest_reminder(due: datetime.date, today: datetime.date) -> tuple[str, datetime.date] | None:
    """The kind and the day of the latest reminder of an action due on ``due``."""
    days_left = (due - today).days
    if days_left > 7:
        return None
    if days_left >= 2:
        return DUE_IN_7_DAYS, due - datetime.timedelta(days=7)
    if days_left >= 0:
        return DUE_TOMORROW, due - ONE_DAY
    first_overdue = due + ONE_DAY
    weeks = (today - first_overdue).days // 7
    return OVERDUE, first_overdue + datetime.timedelta(days=7 * weeks)


def _message(kind: str, title: str, due: datetime.date, today: datetime.date) -> str:
    days_left = (due - today).days
    when = f"{due:%A} {due.day} {due:%B %Y}"
    if kind == OVERDUE:
        late = -days_left
        days = f"{late} day{'s' if late != 1 else ''}"
        return f"Overdue: \u201c{title}\u201d was due on {when}, {days} ago."
    if days_left == 0:
        return f"Due today: \u201c{title}\u201d is due today, {when}."
    if days_left == 1:
        return f"Due tomorrow: \u201c{title}\u201d is due on {when}."
    return f"Due soon: \u201c{title}\u201d is due in {days_left} days, on {when}."


def _due_actions(today: datetime.date):
    return (
        Action.objects.open()
        .filter(owner__isnull=False, due_date__isnull=False)
        .filter(due_date__lte=today + datetime.timedelta(days=7))
        .filter(belongs("owner_id", "programme_id"))  # not to owners who left
    )


def due_action_batches(today: datetime.date, *, size: int) -> list[tuple[int, int]]:
    """The run cut into ranges of action ids, ``(first, last)``, of ``size`` actions each.

    Each range is a batch task of its own; an action outside every range on the day
    (created while the run goes on) is picked up by the next day's run.
    """
    pks = _due_actions(today).order_by("pk").values_list("pk", flat=True)
    batches: list[tuple[int, int]] = []
    first = previous = None
    count = 0
    for pk in pks.iterator(chunk_size=10000):
        if first is None:
            first = pk
        previous, count = pk, count + 1
        if count == size:
            batches.append((first, previous))
            first, count = None, 0
    if first is not None:
        batches.append((first, previous))
    return batches


def due_action_reminders(
    today: datetime.date,
    *,
    chunk_size: int = 5000,
    first_pk: int | None = None,
    last_pk: int | None = None,
) -> Iterator[Reminder]:
    """The reminders of the day, or of one batch (actions ``first_pk``..``last_pk``)."""
    rows = _due_actions(today)
    if first_pk is not None:
        rows = rows.filter(pk__gte=first_pk)
    if last_pk is not None:
        rows = rows.filter(pk__lte=last_pk)
    rows = rows.values_list("pk", "owner_id", "due_date", "title", "programme__name").order_by(
        "pk")
    for pk, owner_id, due, title, programme_name in rows.iterator(chunk_size=chunk_size):
        kind, occurrence = latest_reminder(due, today)
        yield Reminder(
            recipient_id=owner_id,
            kind=kind,
            subject_type="action",
            subject_id=pk,
            occurrence=occurrence,
            due_date=due,
            message=_message(kind, title, due, today),
            link=action_link(pk),
            programme_name=programme_name,
        )


def still_told_about_actions(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of (person, action id) pairs, those whose person still belongs to the action's
    programme: the e-mails about the others are not sent (``notifications.audience``)."""
    programme_of = dict(
        Action.objects.filter(pk__in={action for _, action in pairs}).values_list(
            "pk", "programme_id")
    )
    return members_among(pairs, programme_of)
