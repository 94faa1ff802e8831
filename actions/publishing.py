"""The events of actions (DESIGN.md, "Events, escalation and webhooks").

``action.created``, ``action.updated`` and ``action.done`` go to webhooks with the
action's fields; the notices say who hears of them: a new owner is told the action is
theirs ("Action given to you"), and the programme's managers that it is blocked. Nobody
is told of their own change (the event's actor is left out when it is delivered).
"""

from collections.abc import Iterable

from notifications import events
from notifications.events import Notice
from programmes import audience

from .models import Action
from .reminders import action_link

ASSIGNED = "action_assigned"
BLOCKED = "action_blocked"

CREATED_EVENT = "action.created"
UPDATED_EVENT = "action.updated"
DONE_EVENT = "action.done"


def action_data(action: Action, changed: Iterable[str] = ()) -> dict:
    data = {
        "id": action.pk,
        "programme": action.programme_id,
        "title": action.title,
        "status": action.status,
        "priority": action.priority,
        "owner": action.owner_id,
        "owner_partner": action.owner_partner_id,
        "gap": action.gap_id,
        "due_date": action.due_date.isoformat() if action.due_date else None,
        "link": action_link(action.pk),
    }
    changed = sorted(changed)
    if changed:
        data["changed"] = changed
    return data


def _name(user) -> str:
    return user.get_full_name() or user.username


def _due(action: Action) -> str:
    return f", due {action.due_date:%-d %B %Y}" if action.due_date else ""


def assignment(action: Action, actor) -> Notice | None:
    """"Action given to you" for the owner of a saved action (not when they took it)."""
    if action.owner_id is None or (actor is not None and actor.pk == action.owner_id):
        return None
    by = f" by {_name(actor)}" if actor is not None else ""
    return Notice(
        kind=ASSIGNED, recipients=[action.owner_id], due_date=action.due_date,
        message=f"Action given to you{by}: \u201c{action.title}\u201d{_due(action)}.",
        link=action_link(action.pk),
    )


def blocked(action: Action, actor) -> Notice:
    by = f" by {_name(actor)}" if actor is not None else ""
    owner = f", owned by {_name(action.owner)}" if action.owner_id else ""
    return Notice(
        kind=BLOCKED, recipients=audience.managers(action.programme_id),
        message=f"Action blocked{by}: \u201c{action.title}\u201d{owner}.",
        link=action_link(action.pk),
    )


def _event(kind: str, action: Action, actor, notices, changed=()):
    return events.event(
        kind, programme=action.programme, subject_type="action", subject_id=action.pk,
        actor=actor, data=action_data(action, changed),
        notices=[n for n in notices if n is not None],
    )


def created(actions: Iterable[Action], actor) -> None:
    """``action.created`` for each new action (and ``action.done`` for one made done)."""
    published = []
    for action in actions:
        notices = [assignment(action, actor)]
        if action.status == Action.Status.BLOCKED:
            notices.append(blocked(action, actor))
        published.append(_event(CREATED_EVENT, action, actor, notices))
    events.publish_many(published)


def updated(action: Action, actor, *, changed: set[str], previous_status: str,
            owner_changed: bool) -> None:
    """``action.updated``, or ``action.done`` when it became done; its notices."""
    if not changed:
        return
    notices = [assignment(action, actor) if owner_changed else None]
    published = []
    if action.status != previous_status and action.status == Action.Status.BLOCKED:
        notices.append(blocked(action, actor))
    kind = (DONE_EVENT if action.status == Action.Status.DONE
            and previous_status != Action.Status.DONE else UPDATED_EVENT)
    published.append(_event(kind, action, actor, notices, changed))
    events.publish_many(published)
