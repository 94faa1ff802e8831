"""Which escalations of overdue actions fall due on a day (DESIGN.md, "Events,
escalation and webhooks").

An open action of an active programme that is overdue climbs in up to two steps, the
programme's ``escalation_days`` (default ``[7, 21]``): at the first number of days
overdue its partner's leads are told (``action_escalated_to_leads``; an action with no
owning partner, or whose partner has no lead but the owner, goes to the programme's
managers instead), at the second the programme's managers (``action_escalated_to_managers``).
The owner is not told again: they have the overdue reminders (``actions/reminders.py``).

Each step's occurrence is the day it fell due (``due_date + N days``), so the
notifications' unique key makes it once per person, action and due date: a run that
missed days catches up once, a new due date starts again, and a second run writes
nothing. A run reads three queries (the actions, the people to tell, the escalations
already made), whatever the number of actions, and then writes in batches.
"""

import datetime
from collections.abc import Iterator

from notifications.models import Notification
from notifications.services import Reminder
from programmes.models import Membership, Programme

from .models import Action
from .reminders import action_link

TO_LEADS = "action_escalated_to_leads"
TO_MANAGERS = "action_escalated_to_managers"
STEP_KINDS = (TO_LEADS, TO_MANAGERS)


def steps_due(
    due: datetime.date, escalation_days, today: datetime.date
) -> list[tuple[str, datetime.date]]:
    """The kind and the day of each step that has fallen due by ``today``."""
    steps = []
    for kind, days in zip(STEP_KINDS, escalation_days or [], strict=False):
        day = due + datetime.timedelta(days=days)
        if day <= today:
            steps.append((kind, day))
    return steps


def _overdue_actions(today: datetime.date):
    return Action.objects.open().filter(
        due_date__lt=today, programme__status=Programme.Status.ACTIVE)


def _people(actions) -> tuple[dict[int, list[int]], dict[tuple[int, int], list[int]]]:
    """The active managers of each programme, and the active leads of each (programme,
    partner), of the programmes with overdue actions: one query."""
    managers: dict[int, list[int]] = {}
    leads: dict[tuple[int, int], list[int]] = {}
    rows = (
        Membership.objects.active()
        .filter(user__is_active=True, programme_id__in=actions.values("programme_id"),
                role__in=[Membership.Role.MANAGER, Membership.Role.PARTNER_LEAD])
        .order_by("user_id")
        .values_list("programme_id", "role", "partner_id", "user_id")
    )
    for programme_id, role, partner_id, user_id in rows:
        if role == Membership.Role.MANAGER:
            managers.setdefault(programme_id, []).append(user_id)
        elif partner_id is not None:
            leads.setdefault((programme_id, partner_id), []).append(user_id)
    return managers, leads


def _made(actions) -> set[tuple[int, str, int, datetime.date]]:
    """The escalations of these actions already made (the unique key would drop them)."""
    return set(
        Notification.objects.filter(
            kind__in=STEP_KINDS, subject_type="action",
            subject_id__in=actions.values("pk"),
        ).values_list("recipient_id", "kind", "subject_id", "occurrence")
    )


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def _message(*, title, due, today, owner, partner, told_as) -> str:
    when = f"{due:%A} {due.day} {due:%B %Y}"
    return (
        f"Escalated: \u201c{title}\u201d is {_days((today - due).days)} overdue (it was due "
        f"on {when}). Owner: {owner or 'nobody yet'}. Partner: {partner or 'none'}. "
        f"You are told as {told_as}."
    )


def due_escalations(today: datetime.date, *, chunk_size: int = 2000) -> Iterator[Reminder]:
    """The escalations of the day not yet made, one per person told."""
    actions = _overdue_actions(today)
    managers, leads = _people(actions)
    made = _made(actions)
    rows = actions.order_by("pk").values_list(
        "pk", "title", "due_date", "programme_id", "programme__name",
        "programme__escalation_days", "owner_id", "owner__first_name", "owner__last_name",
        "owner__username", "owner_partner_id", "owner_partner__name",
    )
    for (pk, title, due, programme_id, programme_name, escalation_days, owner_id, first,
         last, username, partner_id, partner_name) in rows.iterator(chunk_size=chunk_size):
        steps = steps_due(due, escalation_days, today)
        if not steps:
            continue
        owner = f"{first} {last}".strip() or username
        programme_managers = [u for u in managers.get(programme_id, []) if u != owner_id]
        partner_leads = [u for u in leads.get((programme_id, partner_id), []) if u != owner_id]
        for kind, occurrence in steps:
            if kind == TO_LEADS and partner_leads:
                recipients, told_as = partner_leads, f"a partner lead of {partner_name}"
            else:
                recipients, told_as = programme_managers, "a manager of the programme"
            message = _message(title=title, due=due, today=today, owner=owner,
                               partner=partner_name, told_as=told_as)
            for recipient_id in recipients:
                if (recipient_id, kind, pk, occurrence) in made:
                    continue
                yield Reminder(
                    recipient_id=recipient_id,
                    kind=kind,
                    subject_type="action",
                    subject_id=pk,
                    occurrence=occurrence,
                    due_date=due,
                    message=message,
                    link=action_link(pk),
                    programme_name=programme_name,
                )
