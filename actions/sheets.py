"""Actions as spreadsheet rows: the export's columns, and the import of a row, new
through ``services.ActionBatch`` (``action_create``'s rules) or, with the ``ID`` of an
action of the programme, a change through ``services.action_update`` (the files
themselves are ``exchange``'s work)."""

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from core.errors import StaleVersion
from exchange import importing, tabular
from exchange.tabular import Column
from programmes.models import Gap, Membership
from programmes.sheets import (
    ProgrammeSheet,
    _partner_index,
    day_of,
    existing_record,
    full_name,
    label,
    preload_existing,
    resolve_partner,
    warn_left_out,
)

from . import services
from .models import CLOSED_STATUSES, Action

ACTION_COLUMNS = [
    Column("ID", "pk"),
    Column("Programme ID", "programme_id"),
    Column("Gap ID", "gap_id", importable=True),
    Column("Partner of the gap", "gap.partner.name"),
    Column("Principle", "gap.principle.number"),
    Column("Item code", "gap.checklist_item.code", importable=True),
    Column("Title", "title", importable=True),
    Column("Description", "description", importable=True),
    Column("Owner ID", "owner_id", importable=True),
    Column("Owner username", "owner.username", importable=True),
    Column("Owner name",
           lambda a: (a.owner.get_full_name() or a.owner.username) if a.owner else None,
           fields=("owner_id", "owner__first_name", "owner__last_name", "owner__username"),
           from_values=lambda owner_id, first, last, username: (
               (full_name(first, last) or username) if owner_id is not None else None)),
    Column("Owner partner ID", "owner_partner_id", importable=True),
    Column("Owner partner", "owner_partner.name", importable=True),
    Column("Due date", "due_date", importable=True),
    Column("Status", label(Action.Status.choices)("status"), importable=True),
    Column("Priority", label(Action.Priority.choices)("priority"), importable=True),
    Column("Overdue", "is_overdue", fields=("status", "due_date"),
           from_values=lambda status, due_date: (  # ``Action.is_overdue``
               status not in CLOSED_STATUSES and due_date is not None
               and due_date < timezone.localdate())),
    Column("Completed on", day_of("completed_at")),
    Column("Version", "version"),
]
ACTION_SELECT = ("owner", "owner_partner", "gap__partner", "gap__principle",
                 "gap__checklist_item")


def preload_gaps(context, table, *, id_header="Gap ID", code_header="Item code") -> None:
    """Read once the programme's gaps the file names: by id, and open ones by checklist
    item code (for ``resolve_gap``)."""
    gaps = Gap.objects.filter(programme=context["programme"]).select_related(
        "principle", "checklist_item")
    ids = tabular.column_values(table, id_header, tabular.whole_number)
    codes = tabular.column_values(table, code_header)
    context["gaps_by_id"] = {g.pk: g for g in gaps.filter(pk__in=ids)} if ids else {}
    context["open_gaps"] = {
        (g.partner_id, g.checklist_item.code): g
        for g in gaps.filter(status__in=Gap.OPEN_STATUSES, checklist_item__code__in=codes)
    } if codes else {}


def resolve_gap(row, context, partner, *, id_header="Gap ID", code_header="Item code"):
    """The gap in this programme with the row's id, or else the partner's open gap for the
    row's checklist item; without either, none (with a warning, as a file from another
    programme names gaps this one does not have). Needs ``preload_gaps``."""
    gap_id = row.get(id_header, tabular.whole_number)
    code = row.get(code_header)
    gap = context["gaps_by_id"].get(gap_id) if gap_id is not None else None
    if gap is None and code and partner is not None:
        gap = context["open_gaps"].get((partner.pk, code))
    if gap is None and (gap_id is not None or code):
        row.warn(id_header, "No such gap in this programme; the row is imported without a gap.")
    return gap


def preload_users(context, table, *, id_header: str, name_header: str) -> None:
    """Read once the active accounts the file names, by username (any case) or id (for
    ``resolve_user``)."""
    names = tabular.column_values(table, name_header)
    ids = tabular.column_values(table, id_header, tabular.whole_number)
    users = get_user_model().objects.filter(is_active=True).annotate(folded=Lower("username"))
    found = list(users.filter(Q(username__in=names) | Q(folded__in={n.lower() for n in names})
                              | Q(pk__in=ids))) if names or ids else []
    context["users_by_name"] = {u.username: u for u in found}
    context["users_by_folded_name"] = {u.folded: u for u in found}
    context["users_by_id"] = {u.pk: u for u in found}


def resolve_user(row, context, *, id_header: str, name_header: str):
    """The account the row names by username (exact, else in any case) or else by id.
    Needs ``preload_users``."""
    username = row.get(name_header)
    user_id = row.get(id_header, tabular.whole_number)
    if username:
        user = (context["users_by_name"].get(username)
                or context["users_by_folded_name"].get(username.lower()))
        if user is None:
            row.error(name_header, f"No account \u201c{username}\u201d.")
        return user
    if user_id is not None:
        user = context["users_by_id"].get(user_id)
        if user is None:
            row.error(id_header, f"No account with id {user_id}.")
        return user
    return None


IMPORT_REASON = "Changed in a spreadsheet import."


class ActionSheet(ProgrammeSheet):
    """Actions from a file: each new row checked with what the whole file needs read
    once, then all of them written together (``services.ActionBatch``). A row with the
    ``ID`` of an action of the programme changes its title, owner, due date and status
    through ``services.action_update`` instead; its other columns are left as they are."""

    columns = ACTION_COLUMNS
    required_headers = ("Title",)
    field_headers = {
        "title": "Title", "description": "Description", "owner": "Owner username",
        "owner_partner": "Owner partner", "due_date": "Due date", "status": "Status",
        "priority": "Priority", "gap": "Gap ID", "version": "Version",
    }

    def preload(self, context, table):
        programme = context["programme"]
        preload_existing(context, table, Action.objects.visible_to(context["user"])
                         .select_related("owner", "owner_partner"))
        context["member_partner"] = dict(Membership.objects.filter(programme=programme)
                                         .values_list("user_id", "partner_id"))
        preload_users(context, table, id_header="Owner ID", name_header="Owner username")
        preload_gaps(context, table)
        context["batch"] = services.ActionBatch(actor=context["user"], programme=programme)

    def check_row(self, context, row):
        action = existing_record(row, context, noun="action")
        if action is not None:
            return self._change(context, row, action)
        title = row.get("Title", required=True)
        fields = {
            "title": title,
            "description": row.get("Description"),
            "due_date": row.get("Due date", tabular.date),
            "priority": row.get("Priority", tabular.choice, Action.Priority.choices)
            or Action.Priority.MEDIUM,
        }
        status = (row.get("Status", tabular.choice, Action.Status.choices)
                  or Action.Status.NOT_STARTED)
        owner = resolve_user(row, context, id_header="Owner ID", name_header="Owner username")
        partner = resolve_partner(row, context, id_header="Owner partner ID",
                                  name_header="Owner partner", required=False)
        row.check()
        gap = resolve_gap(row, context, partner)
        return context["batch"].add(status=status, gap=gap, owner=owner, owner_partner=partner,
                                    **fields)

    def _change(self, context, row, action):
        """Change what the row changes of an action already there, through the service."""
        changes: dict = {}
        if row.has("Title"):
            title = row.get("Title", required=True)
            if title and title != action.title:
                changes["title"] = title
        if row.has("Status"):
            status = row.get("Status", tabular.choice, Action.Status.choices)
            if status and status != action.status:
                changes["status"] = status
        if row.has("Due date"):
            due = row.get("Due date", tabular.date)
            if due != action.due_date:
                changes["due_date"] = due
        owner_changed = False
        if row.has("Owner username") or row.has("Owner ID"):
            # A blank username clears the owner, whatever the (exported) owner id says.
            owner = (None if row.has("Owner username") and not row.get("Owner username")
                     else resolve_user(row, context, id_header="Owner ID",
                                       name_header="Owner username"))
            if not row.problems and getattr(owner, "pk", None) != action.owner_id:
                owner_changed = True
                changes["owner"] = owner
                # As in a bulk change: the action goes with its new owner's organisation.
                partner_id = context["member_partner"].get(owner.pk) if owner else None
                partner = _partner_index(context)[0].get(partner_id)
                if partner is not None and partner.pk != action.owner_partner_id:
                    changes["owner_partner"] = partner
        version = row.get("Version", tabular.whole_number) if row.has("Version") else None
        row.check()
        checks = [("Description", tabular.text, action.description),
                  ("Priority", _priority, action.priority),
                  ("Gap ID", tabular.whole_number, action.gap_id)]
        if not owner_changed:
            checks.append(("Owner partner", tabular.text,
                           action.owner_partner.name if action.owner_partner else None))
        warn_left_out(row, "action", checks)
        if not changes:
            return importing.Updated(action, changed=False)
        if "due_date" in changes and action.due_date is not None:
            # A moved due date keeps a reason in the history; a spreadsheet row has no
            # place for one, so the history says where the change came from.
            changes["due_date_reason"] = IMPORT_REASON
        try:
            action = services.action_update(actor=context["user"], action=action,
                                            version=version, **changes)
        except StaleVersion:
            row.error("Version", f"Action {action.pk} was changed by someone else after this "
                                 "file was downloaded: download the list again and make the "
                                 "change there.")
            raise importing.RowInvalid from None
        return importing.Updated(action, changed=True)

    def write_rows(self, context, actions):
        return context["batch"].save()

    def example(self, context):
        partners = sorted(context["partners"], key=lambda p: p.name)
        return {"Title": "Run a joint induction for new team members",
                "Description": "Agreed at the partnership workforce group.",
                "Owner username": context["user"].username,
                "Owner partner": partners[0].name if partners else None,
                "Due date": timezone.localdate() + datetime.timedelta(days=60),
                "Status": "Not started", "Priority": "Medium"}


def _priority(value):
    return tabular.choice(value, Action.Priority.choices)
