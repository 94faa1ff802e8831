"""Writes of actions: create, change (with optimistic concurrency), notes, delete.

Each takes the person acting and checks their role here (``actions.access``): who may
change an action, and to whom a partner lead may give one, are the same rules whether
the change comes from the API, a page or an import.
"""

from collections.abc import Container, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from core import integrity
from core.errors import DomainError, InvalidTransition
from core.versioning import lock_for_update
from programmes import access as programme_access
from programmes.models import Membership, Partner, Programme

from . import access, publishing
from .models import Action, ActionNote

ASSIGNED = publishing.ASSIGNED

EDITABLE = {
    "gap", "title", "description", "owner", "owner_partner", "due_date", "status", "priority",
}

_UNSET = object()


@dataclass(frozen=True)
class _Links:
    """What the link checks of an action look up in its programme: the ids of its
    partners, and each member's (role, partner id). A single change reads just what its
    action names (``for_action``); a batch reads the whole programme's once."""

    partner_ids: Container[int]
    members: Mapping[int, tuple[str, int | None]]
    # The members' partners, loaded with their memberships (a single change's).
    partners: Mapping[int, Partner] = field(default_factory=dict)

    @classmethod
    def of(cls, partners, memberships) -> "_Links":
        return cls(set(partners.values_list("pk", flat=True)),
                   {user_id: (role, partner_id) for user_id, role, partner_id
                    in memberships.values_list("user_id", "role", "partner_id")})

    @classmethod
    def for_programme(cls, programme) -> "_Links":
        return cls.of(programme.partners.all(),
                      Membership.objects.active().filter(programme=programme))

    @classmethod
    def for_action(cls, action: Action, found: Mapping[int, Membership], *,
                   follow: bool = False, known_partner_id: int | None = None) -> "_Links":
        """From the owner's membership in the programme (``found``, read with the actor's
        own by ``memberships_in``), and whether the owning partner is in the programme:
        known from the owner's membership when it is theirs, from the caller when it is
        ``known_partner_id`` (the row's as it was locked), else one query. ``follow``: a new
        owner brings their organisation (``action_update``)."""
        partner_ids = set()
        partners: dict[int, Partner] = {}
        for membership in found.values():
            if membership.partner is not None:
                partners[membership.partner.pk] = membership.partner
                if membership.partner_in_programme:  # type: ignore[attr-defined]
                    partner_ids.add(membership.partner.pk)
        owner = found.get(action.owner_id) if action.owner_id else None
        if (follow and owner is not None and owner.partner is not None
                and action.owner is not None and not action.owner.is_staff):
            action.owner_partner = owner.partner  # a staff owner acts for no partner
        partner_id = action.owner_partner_id
        if partner_id and partner_id == known_partner_id:
            partner_ids.add(partner_id)
        elif partner_id and partner_id not in partner_ids and (
                Programme.partners.through.objects.filter(
                    programme_id=action.programme_id, partner_id=partner_id).exists()):
            partner_ids.add(partner_id)
        return cls(partner_ids, {user_id: (m.role, m.partner_id) for user_id, m in found.items()},
                   partners)


def _check_links(action: Action, links: _Links) -> None:
    """The gap, the owning partner and the owner all belong to the action's programme;
    an owner's partner becomes the owning partner when none is given."""
    if action.gap_id and action.gap.programme_id != action.programme_id:
        raise DomainError("This gap belongs to another programme.", field="gap")
    partner_id = action.owner_partner_id
    if partner_id and partner_id not in links.partner_ids:
        raise DomainError("This partner is not in the programme.", field="owner_partner")
    if action.owner_id:
        role, member_partner_id = links.members.get(action.owner_id, (None, None))
        _check_owner(action.owner, role)
        if not action.owner_partner_id and member_partner_id:
            if member_partner_id in links.partners:
                action.owner_partner = links.partners[member_partner_id]
            else:
                action.owner_partner_id = member_partner_id


OWNER_ROLES = (Membership.Role.MANAGER, Membership.Role.PARTNER_LEAD)


def owner_refusal(user, role: str | None) -> str | None:
    """Why this person cannot own an action of the programme, or None when they can.

    Only the programme's managers and partner leads own actions (and staff, who may
    do everything): reviewers and learning providers see actions but do not carry them.
    """
    if user.is_staff or role in OWNER_ROLES:
        return None
    name = user.get_full_name() or user.username
    if role is None:
        return (f"{name} is not a member of the programme: only its managers and "
                "partner leads can own actions.")
    label = Membership.Role(role).label.lower()
    return (f"{name} is a {label} in the programme: only its managers and partner leads "
            "can own actions.")


def _check_owner(user, role: str | None) -> None:
    refusal = owner_refusal(user, role)
    if refusal:
        raise DomainError(refusal, field="owner")


def _apply_status(action: Action, status: str) -> None:
    if status == Action.Status.DONE and action.completed_at is None:
        action.completed_at = timezone.now()
    elif status != Action.Status.DONE:
        action.completed_at = None
    action.status = status


# The relations ``_check_links`` has loaded or checked (the programme and the actor are
# the caller's): full_clean would read each of them again, row by row.
_LINKS_CHECKED = ["programme", "gap", "owner", "owner_partner", "created_by"]


def _full_save(action: Action) -> Action:
    # The one check constraint holds by _apply_status (and the database keeps it:
    # integrity.translated says why a write it refuses was refused).
    action.full_clean(exclude=_LINKS_CHECKED, validate_constraints=False)
    with integrity.translated():
        action.save()
    return action


HAND_OVER_REFUSED = (
    "A partner lead can give actions only to their own organisation and its people; "
    "ask a programme manager to hand this one to another partner."
)


def _require_assignable(actor, action: Action, links: _Links,
                        before: Action | None = None) -> None:
    programme_access.require(
        access.can_assign(actor, action.programme_id, owner_id=action.owner_id,
                          owner_partner_id=action.owner_partner_id, before=before,
                          members=links.members),
        HAND_OVER_REFUSED,
    )


CREATE_REFUSED = "Only the programme's managers and partner leads can add actions."
CHANGE_REFUSED = "You can change actions owned by you or your organisation only."
BULK_REFUSED = "Only the programme's managers can change actions in bulk."


@transaction.atomic
def action_create(*, actor, programme, status=Action.Status.NOT_STARTED, **fields) -> Action:
    """Add an action; ``actor`` is the person acting (kept as ``created_by``), and their
    role is checked: managers add any action, partner leads their own partner's.

    The owning organisation follows the owner (a partner lead's partner) unless one is
    given; a partner lead's action without either is their partner's.
    """
    unknown = set(fields) - EDITABLE
    action = Action(programme=programme, created_by=actor,
                    **{name: value for name, value in fields.items() if name in EDITABLE})
    # The actor's role comes with the owner's membership.
    links = _Links.for_action(
        action, programme_access.memberships_in(actor, programme.pk, [action.owner_id]))
    programme_access.require(
        programme_access.role_in(actor, programme.pk) in OWNER_ROLES, CREATE_REFUSED)
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _apply_status(action, status)
    _check_links(action, links)
    if action.owner_partner_id is None and programme_access.role_in(
        actor, programme.pk
    ) == programme_access.Role.PARTNER_LEAD:
        mine = programme_access.memberships_of(actor)[programme.pk]
        action.owner_partner = mine.partner
    _require_assignable(actor, action, links)
    _full_save(action)
    publishing.created([action], actor)
    return action


REASON_LIMIT = 100  # the history's reason column


def _due_date_reason(action: Action, previous, reason: str) -> None:
    """Moving a due date that was set needs a reason; it is kept in the history row."""
    if previous is None or action.due_date == previous:
        return
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the due date is moving.", field="due_date_reason")
    if len(reason) > REASON_LIMIT:
        raise DomainError(
            f"Keep the reason for moving the due date to {REASON_LIMIT} characters or fewer.",
            field="due_date_reason")
    # simple_history writes it on the history row
    action._change_reason = reason  # type: ignore[attr-defined]


@transaction.atomic
def action_update(*, actor, action: Action, version=None, if_match=None,
                  due_date_reason: str = "", **fields) -> Action:
    """Change an action; a stale ``version`` or ``If-Match`` changes nothing.

    Managers change any action; a partner lead the ones their partner or they own, and
    never hands one to another partner or another partner's person. A new owner brings
    their organisation with them unless ``owner_partner`` is given too. Moving a set due
    date needs ``due_date_reason``, kept in the history.
    """
    action = lock_for_update(
        Action.objects.select_related("programme", "gap", "owner", "owner_partner").annotate(
            partner_in_programme=Exists(Programme.partners.through.objects.filter(
                programme_id=OuterRef("programme_id"), partner_id=OuterRef("owner_partner_id")))),
        action.pk, version=version, if_match=if_match)
    # The actor's role is read with the membership of the owner the change leaves.
    owner = fields["owner"] if "owner" in fields else action.owner
    found = programme_access.memberships_in(actor, action.programme_id,
                                            [getattr(owner, "pk", None)])
    programme_access.require(access.can_change_action(actor, action), CHANGE_REFUSED)
    before = Action(owner_id=action.owner_id, owner_partner_id=action.owner_partner_id)
    if "programme" in fields and fields.pop("programme").pk != action.programme_id:
        raise DomainError("An action cannot move to another programme.", field="programme")
    unknown = set(fields) - EDITABLE
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    status = fields.pop("status", None)
    previous = {name: getattr(action, name) for name in _TRACKED}
    previous_owner_id = action.owner_id
    previous_due = action.due_date
    for name, value in fields.items():
        setattr(action, name, value)
    if status is not None:
        _apply_status(action, status)
    follow = ("owner" in fields and "owner_partner" not in fields
              and action.owner_id is not None and action.owner_id != previous_owner_id)
    # Whether the owning partner as it was locked is in the programme came with the lock.
    links = _Links.for_action(
        action, found, follow=follow,
        known_partner_id=(before.owner_partner_id
                          if action.partner_in_programme  # type: ignore[attr-defined]
                          else None))
    _check_links(action, links)
    _due_date_reason(action, previous_due, due_date_reason)
    if (action.owner_id, action.owner_partner_id) != (before.owner_id, before.owner_partner_id):
        _require_assignable(actor, action, links, before)
    action.version += 1
    owner_changed = "owner" in fields and action.owner_id != previous_owner_id
    _full_save(action)
    publishing.updated(
        action, actor, changed={name.removesuffix("_id") for name in _TRACKED
                                if getattr(action, name) != previous[name]},
        previous_status=previous["status"], owner_changed=owner_changed)
    return action


# What an ``action.updated`` event lists as changed.
_TRACKED = ["gap_id", "title", "description", "owner_id", "owner_partner_id", "due_date",
            "status", "priority"]


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
            raise _naming(action, PermissionDenied(BULK_REFUSED))
    changed = 0
    for pk in ids:
        action = found[pk]
        fields: dict = {}
        if owner is not _UNSET and action.owner_id != getattr(owner, "pk", None):
            fields["owner"] = owner  # action_update: the owner's organisation follows
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


def action_add_note(*, actor, action: Action, text: str) -> ActionNote:
    """Add a progress note (by those who may change the action); ``actor`` is its author."""
    programme_access.require(access.can_change_action(actor, action),
                             "You can add notes to actions you may change only.")
    text = text.strip()
    if not text:
        raise DomainError("Write the progress note before saving it.", field="text")
    note = ActionNote(action=action, author=actor, text=text)
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

    def __init__(self, *, actor, programme):
        programme_access.require(programme_access.can_manage_programme(actor, programme.pk),
                                 "Only the programme's managers can import actions.")
        self.programme = programme
        self.actor = actor
        self.actions: list[Action] = []
        self._links = _Links.for_programme(programme)

    def add(self, *, status=Action.Status.NOT_STARTED, **fields) -> Action:
        """Check one new action as ``action_create`` would (raising the same errors); it is
        written by ``save``. ``gap``, ``owner`` and ``owner_partner`` are objects."""
        unknown = set(fields) - EDITABLE
        if unknown:
            raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}.")
        action = Action(programme=self.programme, created_by=self.actor, **fields)
        _apply_status(action, status)
        _check_links(action, self._links)
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
                                         default_user=self.actor)
        publishing.created(saved, self.actor)
        return saved

def apply_gap_decision(sender, *, gap, outcomes: dict[int, str], actor=None, **kwargs) -> None:
    """A manager closed a gap and said what becomes of its open actions: apply each."""
    for action in Action.objects.filter(gap=gap, pk__in=outcomes).order_by("pk"):
        action_update(action=action, status=outcomes[action.pk], actor=actor)
