"""Actions as spreadsheet rows: the export's columns, and the import of a row through
``services.action_create`` (the files themselves are ``exchange``'s work)."""

from django.contrib.auth import get_user_model

from exchange import tabular
from exchange.tabular import Column
from programmes.models import Gap
from programmes.sheets import ProgrammeSheet, label, resolve_partner

from . import services
from .models import Action

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
           lambda a: (a.owner.get_full_name() or a.owner.username) if a.owner else None),
    Column("Owner partner ID", "owner_partner_id", importable=True),
    Column("Owner partner", "owner_partner.name", importable=True),
    Column("Due date", "due_date", importable=True),
    Column("Status", label(Action.Status.choices)("status"), importable=True),
    Column("Priority", label(Action.Priority.choices)("priority"), importable=True),
    Column("Overdue", "is_overdue"),
    Column("Completed on", lambda a: a.completed_at.date() if a.completed_at else None),
    Column("Version", "version"),
]
ACTION_SELECT = ("owner", "owner_partner", "gap__partner", "gap__principle",
                 "gap__checklist_item")


def resolve_gap(row, programme, partner, *, id_header="Gap ID", code_header="Item code"):
    """The gap in this programme with the row's id, or else the partner's open gap for the
    row's checklist item; without either, none (with a warning, as a file from another
    programme names gaps this one does not have)."""
    gap_id = row.get(id_header, tabular.whole_number)
    code = row.get(code_header)
    gaps = Gap.objects.filter(programme=programme)
    gap = gaps.filter(pk=gap_id).first() if gap_id is not None else None
    if gap is None and code and partner is not None:
        gap = gaps.filter(partner=partner, checklist_item__code=code,
                          status__in=Gap.OPEN_STATUSES).first()
    if gap is None and (gap_id is not None or code):
        row.warn(id_header, "No such gap in this programme; the row is imported without a gap.")
    return gap


def resolve_user(row, *, id_header: str, name_header: str):
    users = get_user_model().objects.filter(is_active=True)
    username = row.get(name_header)
    user_id = row.get(id_header, tabular.whole_number)
    if username:
        user = (users.filter(username=username).first()
                or users.filter(username__iexact=username).first())
        if user is None:
            row.error(name_header, f"No account \u201c{username}\u201d.")
        return user
    if user_id is not None:
        user = users.filter(pk=user_id).first()
        if user is None:
            row.error(id_header, f"No account with id {user_id}.")
        return user
    return None


class ActionSheet(ProgrammeSheet):
    columns = ACTION_COLUMNS
    required_headers = ("Title",)
    field_headers = {
        "title": "Title", "description": "Description", "owner": "Owner username",
        "owner_partner": "Owner partner", "due_date": "Due date", "status": "Status",
        "priority": "Priority", "gap": "Gap ID",
    }

    def import_row(self, context, row):
        programme = context["programme"]
        existing = row.get("ID", tabular.whole_number)
        if existing and Action.objects.filter(programme=programme, pk=existing).exists():
            row.error("ID", f"Action {existing} is already in this programme; "
                            "clear the ID to add a copy.")
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
        owner = resolve_user(row, id_header="Owner ID", name_header="Owner username")
        partner = resolve_partner(row, context, id_header="Owner partner ID",
                                  name_header="Owner partner", required=False)
        row.check()
        gap = resolve_gap(row, programme, partner)
        return services.action_create(
            programme=programme, created_by=context["user"], status=status, gap=gap,
            owner=owner, owner_partner=partner, **fields,
        )
