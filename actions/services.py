"""Writes of actions: create, change (with optimistic concurrency), notes, delete.

Each takes the person acting and checks their role here (``actions.access``): who may
change an action, and to whom a partner lead may give one, are the same rules whether
the change comes from the API, a page or an import.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core import integrity
from core.errors import DomainError, InvalidTransition
from core.versioning import lock_for_update
from notifications.services import Reminder, notify, notify_many
from programmes import access as programme_access
from programmes.models import Membership, Partner

from . import access
from .models import Action, ActionNote
from .reminders import action_link

ASSIGNED = "action_assigned"

EDITABLE = {
    "gap", "title", "description", "owner", "owner_partner", "due_date", "status", "priority",
}

_UNSET = object()


def _check_links(action: Action) -> None:
    """The gap, the owning partner and the owner all belong to the action's programme."""
    programme = action.programme
    if action.gap_id and action.gap.programme_id != programme.pk:
        raise DomainError("This gap belongs to another programme.", field="gap")
    partner_id = action.owner_partner_id
    if partner_id and not programme.partners.filter(pk=partner_id).exists():
        raise DomainError("This partner is not in the programme.", field="owner_partner")
    if action.owner_id:
        membership = (Membership.objects.active()
                      .filter(programme=programme, user_id=action.owner_id).first())
        if membership is None and not action.owner.is_staff:
            raise DomainError("The owner must be a member of the programme.", field="owner")
        if membership and not action.owner_partner_id and membership.partner_id:
            action.owner_partner_id = membership.partner_id


def _apply_status(action: Action, status: str) -> None:
    if status == Action.Status.DONE and action.completed_at is None:
        action.completed_at = timezone.now()
    elif status != Action.Status.DONE:
        action.completed_at = None
    action.status = status


def _tell_new_owner(action: Action, actor) -> None:
    """Let the owner know an action is theirs (not when they took it themselves)."""
    reminder = _assignment(action, actor)
    if reminder is not None:
        notify(**vars(reminder))


def _assignment(action: Action, actor) -> Reminder | None:
    """The "new action for you" notice for the owner of a saved action, if one is due."""
    if action.owner_id is None or (actor is not None and actor.pk == action.owner_id):
        return None
    by = f" by {actor.get_full_name() or actor.username}" if actor is not None else ""
    due = f", due {action.due_date:%-d %B %Y}" if action.due_date else ""
    return Reminder(
        recipient_id=action.owner_id,
        kind=ASSIGNED,
        subject_type="action",
        subject_id=action.pk,
        occurrence=timezone.localdate(),
        due_date=action.due_date,
        message=f"New action for you{by}: \u201c{action.title}\u201d{due}.",
        link=action_link(action.pk),
    )


def _full_save(action: Action) -> Action:
    action.full_clean()
    with integrity.translated():
        action.save()
    return action


HAND_OVER_REFUSED = (
    "A partner lead can give actions only to their own organisation and its people; "
    "ask a programme manager to hand this one to another partner."
)


def _require_assignable(actor, action: Action, before: Action | None = None) -> None:
    programme_access.require(
        access.can_assign(actor, action.programme_id, owner_id=action.owner_id,
                          owner_partner_id=action.owner_partner_id, before=before),
        HAND_OVER_REFUSED,
    )


@transaction.atomic
def action_create(*, programme, created_by, status=Action.Status.NOT_STARTED,
                  **fields) -> Action:
    """Add an action; ``created_by`` is the person acting, and their role is checked.

    A partner lead's action without an owning partner is their partner's.
    """
    unknown = set(fields) - EDITABLE
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    action = Action(programme=programme, created_by=created_by, **fields)
    _apply_status(action, status)
    _check_links(action)
    if action.owner_partner_id is None and programme_access.role_in(
        created_by, programme.pk
    ) == programme_access.Role.PARTNER_LEAD:
        action.owner_partner_id = programme_access.partner_in(created_by, programme.pk)
    _require_assignable(created_by, action)
    _full_save(action)
    _tell_new_owner(action, created_by)
    return action


@transaction.atomic
def action_update(*, actor, action: Action, version=None, if_match=None, **fields) -> Action:
    """Change an action; a stale ``version`` or ``If-Match`` changes nothing.

    Managers change any action; a partner lead the ones their partner or they own, and
    never hands one to another partner or another partner's person.
    """
    action = lock_for_update(Action, action.pk, version=version, if_match=if_match)
    programme_access.require(access.can_change_action(actor, action),
                             "You can change actions owned by you or your organisation only.")
    before = Action(owner_id=action.owner_id, owner_partner_id=action.owner_partner_id)
    if "programme" in fields and fields.pop("programme").pk != action.programme_id:
        raise DomainError("An action cannot move to another programme.", field="programme")
    unknown = set(fields) - EDITABLE
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    status = fields.pop("status", None)
    previous_owner_id = action.owner_id
    for name, value in fields.items():
        setattr(action, name, value)
    if status is not None:
        _apply_status(action, status)
    _check_links(action)
    if (action.owner_id, action.owner_partner_id) != (before.owner_id, before.owner_partner_id):
        _require_assignable(actor, action, before)
    action.version += 1
    owner_changed = "owner" in fields and action.owner_id != previous_owner_id
    _full_save(action)
    if owner_changed:
        _tell_new_owner(action, actor)
    return action


BULK_LIMIT = 1000


def _naming(action: Action, exc: Exception) -> Exception:
    """The same refusal, its message starting with the action it is about."""
    message = getattr(exc, "message", None) or (exc.args[0] if exc.args else str(exc))
    named = f"Action {action.pk} (\u201c{action.title}\u201d): {message}"
    if isinstance(exc, PermissionDenied):
        return PermissionDenied(named)
    if isinstance(exc, DomainError):
        exc.message = named
        exc.args = (named,)
        return exc
    if isinstance(exc, ValidationError):
        return DomainError(named + " " + " ".join(exc.messages))
    return exc


@transaction.atomic
def actions_bulk_update(*, actor, ids: list[int], owner=_UNSET, status=None) -> int:
    """Give many actions one new owner, or one new status, or both: all or none.

    Each action changes through ``action_update`` (its role rules, its checks, its
    history row); the first refusal undoes every change already made, and its message
    names the action. Only the programmes' managers may change actions in bulk. An
    action that already has what was asked is left as it is. Returns how many changed.
    """
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise DomainError("Choose at least one action.", field="ids")
    if len(ids) > BULK_LIMIT:
        raise DomainError(f"Change at most {BULK_LIMIT} actions at once.", field="ids")
    if owner is _UNSET and status is None:
        raise DomainError("Choose a new owner or a new status.")
    found = {a.pk: a for a in Action.objects.visible_to(actor).filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise DomainError(
            "There is no action you can see with the id "
            + ", ".join(str(pk) for pk in missing[:10]) + ".", field="ids")
    for pk in ids:
        action = found[pk]
        if not programme_access.is_manager(actor, action.programme_id):
            raise _naming(action, PermissionDenied(
                "Only the programme's managers can change actions in bulk."))
    changed = 0
    for pk in ids:
        action = found[pk]
        fields: dict = {}
        if owner is not _UNSET and action.owner_id != getattr(owner, "pk", None):
            fields["owner"] = owner
            if owner is not None:
                partner_id = programme_access.partner_in(owner, action.programme_id)
                if partner_id is not None:
                    fields["owner_partner"] = Partner(pk=partner_id)
        if status is not None and action.status != status:
            fields["status"] = status
        if not fields:
            continue
        try:
            action_update(actor=actor, action=action, **fields)
        except (DomainError, PermissionDenied, ValidationError) as exc:
            raise _naming(action, exc) from exc
        changed += 1
    return changed


@transaction.atomic
def action_delete(*, actor, action: Action) -> None:
    """Delete an action (managers only). Its progress notes go with it, and stay in the
    notes' history; an action with funding is cancelled instead, so the money stays
    on record."""
    programme_access.require(access.can_delete_action(actor, action),
                             "Only the programme's managers can delete actions.")
    action = Action.objects.select_for_update().get(pk=action.pk)
    if action.funding_allocations.exists():
        raise InvalidTransition(
            "Money has been allocated to this action: cancel the action instead of "
            "deleting it, so its funding stays on record.")
    action.delete()


def action_add_note(*, action: Action, author, text: str) -> ActionNote:
    text = text.strip()
    if not text:
        raise DomainError("Write the progress note before saving it.", field="text")
    note = ActionNote(action=action, author=author, text=text)
    note.full_clean()
    note.save()
    return note


# Many new actions at once (a spreadsheet's import) -----------------------------------

# Relations the batch has checked itself from what it read once; full_clean would read
# each of them again, row by row.
_BATCH_CHECKED = ["programme", "gap", "owner", "owner_partner", "created_by"]


class ActionBatch:
    """New actions of one programme, checked one by one with ``add`` and written together
    with ``save``: the rules and messages of ``action_create``, with what they look up
    (the programme's partners and memberships) read once, so each action costs no query
    until the few statements that write them all, their history and the owners' notices.
    """

    def __init__(self, *, programme, created_by=None):
        self.programme = programme
        self.created_by = created_by
        self.actions: list[Action] = []
        self._partner_ids = set(programme.partners.values_list("pk", flat=True))
        self._member_partner = dict(
            Membership.objects.active().filter(programme=programme)
            .values_list("user_id", "partner_id"))

    def add(self, *, status=Action.Status.NOT_STARTED, **fields) -> Action:
        """Check one new action as ``action_create`` would (raising the same errors); it is
        written by ``save``. ``gap``, ``owner`` and ``owner_partner`` are objects."""
        unknown = set(fields) - EDITABLE
        if unknown:
            raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")
        action = Action(programme=self.programme, created_by=self.created_by, **fields)
        _apply_status(action, status)
        if action.gap_id and action.gap.programme_id != self.programme.pk:
            raise DomainError("This gap belongs to another programme.", field="gap")
        if action.owner_partner_id and action.owner_partner_id not in self._partner_ids:
            raise DomainError("This partner is not in the programme.", field="owner_partner")
        if action.owner_id:
            member = action.owner_id in self._member_partner
            if not member and not action.owner.is_staff:
                raise DomainError("The owner must be a member of the programme.", field="owner")
            if member and not action.owner_partner_id and self._member_partner[action.owner_id]:
                action.owner_partner_id = self._member_partner[action.owner_id]
        # No field but the id is unique, and the one check constraint holds by
        # _apply_status: what is left to check needs no query.
        action.full_clean(exclude=_BATCH_CHECKED, validate_unique=False,
                          validate_constraints=False)
        self.actions.append(action)
        return action

    @transaction.atomic
    def save(self) -> list[Action]:
        """Write every action added, with its history, and tell each owner."""
        saved = bulk_create_with_history(self.actions, Action, batch_size=500,
                                         default_user=self.created_by)
        notify_many(r for r in (_assignment(a, self.created_by) for a in saved) if r)
        return saved

def apply_gap_decision(sender, *, gap, outcomes: dict[int, str], actor=None, **kwargs) -> None:
    """A manager closed a gap and said what becomes of its open actions: apply each."""
    for action in Action.objects.filter(gap=gap, pk__in=outcomes).order_by("pk"):
        action_update(action=action, status=outcomes[action.pk], actor=actor)
