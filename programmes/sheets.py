"""Spreadsheet columns of programmes, gaps, progress, partners and memberships, and
imports of a programme's partner list and memberships (``exchange`` does the files)."""

from decimal import Decimal

from django.contrib.auth import get_user_model

from core.errors import DomainError
from exchange import importing, tabular
from exchange.tabular import Column

from . import access, services
from .models import Gap, Membership, Partner, Programme


def label(choices):
    """A source that shows a choice field's label (``In progress``), not its code; it
    carries the same from the field's plain value for exports (``tabular.Column``)."""
    names = dict(choices)

    def source(name):
        def read(obj):
            return names.get(getattr(obj, name), getattr(obj, name)) or None

        def from_values(code):
            return names.get(code, code) or None

        read.fields, read.from_values = (name,), from_values
        return read

    return source


def day_of(name):
    """A source that shows the day of a date and time field (``completed_at``), as it is
    stored (UTC), or nothing."""
    def read(obj):
        value = getattr(obj, name)
        return value.date() if value else None

    def from_values(value):
        return value.date() if value else None

    read.fields, read.from_values = (name,), from_values
    return read


def full_name(first_name, last_name) -> str:
    """``User.get_full_name`` from the two plain values."""
    return f"{first_name} {last_name}".strip()


# Importing: what every sheet of a programme shares ------------------------------------


class ProgrammeSheet:
    """Import into one programme, by its managers, through the programme's services."""

    columns: list[Column] = []
    required_headers: tuple[str, ...] = ()
    field_headers: dict[str, str] = {}
    errors = (DomainError,)

    def prepare(self, *, user, programme_id):
        programme = Programme.objects.visible_to(user).filter(pk=programme_id).first()
        if programme is None:
            raise importing.FileRefused("There is no programme with this id that you can see.",
                                        field="programme")
        access.require(access.can_manage_programme(user, programme.pk),
                       "Only the programme's managers can import into it.")
        return {"programme": programme, "user": user,
                "partners": list(programme.partners.all())}

    def import_row(self, context, row):
        raise NotImplementedError

    def example(self, context) -> dict:
        """One row of the import's template, by header, from the programme's own data."""
        raise NotImplementedError

    def template_columns(self) -> list[Column]:
        """The template's columns: the importable ones, in the export's order."""
        return [Column(c.header, _by_header(c.header)) for c in self.columns if c.importable]


def _by_header(header):
    return lambda row: row.get(header)


def resolve_partner(row, context, *, id_header: str, name_header: str, required: bool):
    """A partner of the programme, by its id or else by its name (any case)."""
    by_id, by_name = _partner_index(context)
    partner_id = row.get(id_header, tabular.whole_number)
    name = row.get(name_header)
    if partner_id is not None:
        found = by_id.get(partner_id)
        if found is not None and (not name or found.name.casefold() == name.casefold()):
            return found
    if name:
        found = by_name.get(name.casefold())
        if found is not None:
            return found
        row.error(name_header, f"\u201c{name}\u201d is not a partner of this programme.")
    elif partner_id is not None:
        row.error(id_header, f"Partner {partner_id} is not in this programme.")
    elif required:
        row.error(name_header, f"{name_header} is needed (a partner's name or id).")
    return None


def _partner_index(context) -> tuple[dict, dict]:
    """The programme's partners by id and by name (any case; the first of a name wins),
    made again only when the list has grown (the partner list import adds to it)."""
    partners = context["partners"]
    index = context.get("partner_index")
    if index is None or index[0] != len(partners):
        by_id, by_name = {}, {}
        for partner in partners:
            by_id.setdefault(partner.pk, partner)
            by_name.setdefault(partner.name.casefold(), partner)
        index = context["partner_index"] = (len(partners), by_id, by_name)
    return index[1], index[2]


# Rows that name a record already there ---------------------------------------------------


def preload_existing(context, table, queryset) -> None:
    """Read once the records the file names in its ``ID`` column, among ``queryset`` (the
    ones the user can see), for ``existing_record``."""
    ids = tabular.column_values(table, "ID", tabular.whole_number)
    context["existing"] = {obj.pk: obj for obj in queryset.filter(pk__in=ids)} if ids else {}
    context["named"] = set()


def existing_record(row, context, *, noun: str):
    """The record of this programme the row changes, or None for a new row.

    A row without an ``ID`` is new, and so is a row whose ``Programme ID`` names another
    programme (a file exported there and imported here copies its rows). An ``ID`` that
    names nothing the user can see, a record of another programme, or a record named
    twice in the file is a problem of the row. Needs ``preload_existing``.
    """
    record_id = row.get("ID", tabular.whole_number)
    source = row.get("Programme ID", tabular.whole_number)
    programme = context["programme"]
    if record_id is None:
        return None
    if source is not None and source != programme.pk:
        row.warn("Programme ID", f"This row is from programme {source}; it is added to this "
                                 f"programme as a new {noun}.")
        return None
    found = context["existing"].get(record_id)
    named = noun[:1].upper() + noun[1:]
    if found is None:
        row.error("ID", f"There is no {noun} {record_id} that you can see. Clear the ID to "
                        f"add the row as a new {noun}.")
    elif found.programme_id != programme.pk:
        row.error("ID", f"{named} {record_id} belongs to another programme: import the row "
                        "there, or clear the ID to add a copy to this one.")
    elif record_id in context["named"]:
        row.error("ID", f"{named} {record_id} is in the file more than once; keep one row "
                        "for it.")
    context["named"].add(record_id)
    row.check()
    return found


def warn_left_out(row, noun: str, checks) -> None:
    """Warn when the row changes columns an import leaves as they are on a record already
    there. ``checks`` are ``(header, parse, current value)``; a cell that cannot be read
    is left out too."""
    changed = []
    for header, parse, current in checks:
        if not row.has(header):
            continue
        try:
            value = parse(row.raw(header))
        except ValueError:
            value = object()
        if isinstance(value, str) and isinstance(current, str | None):
            value, current = (" ".join(v.split()).casefold() for v in (value, current or ""))
        if value != current:
            changed.append(header)
    if changed:
        names = " and ".join([", ".join(changed[:-1]), changed[-1]] if len(changed) > 1
                             else changed)
        many = len(changed) > 1
        row.warn(None, f"An import changes only some columns of an existing {noun}: {names} "
                       f"{'were' if many else 'was'} left as {'they were' if many else 'it was'}; "
                       f"change {'them' if many else 'it'} on the {noun}'s page.")


# Gaps and progress (export) ------------------------------------------------------------

_gap = label(Gap.Severity.choices)
_gap_status = label(Gap.Status.choices)
_gap_reason = label(Gap.ClosedReason.choices)

GAP_COLUMNS = [
    Column("ID", "pk"),
    Column("Programme ID", "programme_id"),
    Column("Partner ID", "partner_id"),
    Column("Partner", "partner.name"),
    Column("Principle", "principle.number"),
    Column("Item code", "checklist_item.code"),
    Column("Checklist question", "checklist_item.text"),
    Column("Severity", _gap("severity")),
    Column("Status", _gap_status("status")),
    Column("Opened on", day_of("opened_at")),
    Column("Closed on", day_of("closed_at")),
    Column("Closed because", _gap_reason("closed_reason")),
    Column("Description", "description"),
    Column("Version", "version"),
]
GAP_SELECT = ("partner", "principle", "checklist_item")

PROGRESS_COLUMNS = [
    Column("Programme ID", "programme"),
    Column("Partner ID", "partner"),
    Column("Principle", "number"),
    Column("Title", "title"),
    Column("Items", "items"),
    Column("Assessed", "assessed"),
    Column("Met", "met"),
    Column("Partly met", "partly_met"),
    Column("Not met", "not_met"),
    Column("Not applicable", "not_applicable"),
    Column("Score (%)", "score"),
    Column("Gaps open", "gaps_open"),
    Column("Gaps closed", "gaps_closed"),
    Column("Actions", "actions"),
    Column("Actions done", "actions_done"),
    Column("Actions overdue", "actions_overdue"),
    Column("Learning needs", "learning_needs"),
    Column("Learning needs met", "learning_needs_met"),
    Column("Funding allocated (£)", "funding_allocated"),
]


def progress_rows(figures: dict) -> list[dict]:
    """One row per principle, then the programme's overall figures."""
    common = {"programme": figures["programme"], "partner": figures["partner"]}
    rows = [{**common, **p} for p in figures["principles"]]
    rows.append({**common, "number": "Overall", "title": "All principles", **figures["overall"]})
    for row in rows:
        row["funding_allocated"] = Decimal(row["funding_allocated"])
    return rows


# Partners ------------------------------------------------------------------------------

PARTNER_COLUMNS = [
    Column("ID", "pk"),
    Column("Name", "name", importable=True),
    Column("Sector", label(Partner.Sector.choices)("sector"), importable=True),
    Column("Provides learning", "provides_learning", importable=True),
    Column("Contact email", "contact_email", importable=True),
]


class PartnerSheet(ProgrammeSheet):
    """A programme's partner list: each row names a partner; one the directory does not
    hold yet is added to it; each joins the programme."""

    columns = PARTNER_COLUMNS
    required_headers = ("Name",)
    field_headers = {"name": "Name", "sector": "Sector", "contact_email": "Contact email",
                     "provides_learning": "Provides learning"}

    def prepare(self, *, user, programme_id):
        context = super().prepare(user=user, programme_id=programme_id)
        context["seen"] = set()
        return context

    def import_row(self, context, row):
        name = row.get("Name", required=True)
        sector = row.get("Sector", tabular.choice, Partner.Sector.choices)
        provides = row.get("Provides learning", tabular.yes_no)
        email = row.get("Contact email")
        row.check()
        if name.casefold() in context["seen"]:
            row.error("Name", f"\u201c{name}\u201d is named twice in this file.")
            row.check()
        context["seen"].add(name.casefold())
        # As in the API, only partners the manager can see may join the programme.
        partner = Partner.objects.visible_to(context["user"]).filter(name__iexact=name).first()
        if partner is None and Partner.objects.filter(name__iexact=name).exists():
            row.error("Name", f"\u201c{name}\u201d belongs to other programmes; ask an "
                              "administrator to add it to this one.")
            row.check()
        if partner is None:
            if not sector:
                row.error("Sector", "Sector is needed for a partner new to the directory.")
                row.check()
            partner = services.partner_create(
                actor=context["user"], name=name, sector=sector,
                provides_learning=bool(provides), contact_email=email)
            services.programme_partner_add(actor=context["user"], programme=context["programme"],
                                           partner=partner)
            context["partners"].append(partner)
            return partner
        if sector and sector != partner.sector:
            row.warn("Sector", f"\u201c{partner.name}\u201d is already in the directory as "
                               f"{partner.get_sector_display()}; it was left as it is.")
        # A partner of the directory is matched by its name, never made twice; it joins the
        # programme unless it is in it already.
        added = services.programme_partner_add(actor=context["user"],
                                               programme=context["programme"], partner=partner)
        if added:
            context["partners"].append(partner)
        return importing.Updated(partner, changed=added)

    def example(self, context):
        return {"Name": "Riverside Carers Centre", "Sector": "Voluntary and community organisation",
                "Provides learning": "No", "Contact email": "workforce@carers.example.org"}


# Memberships ---------------------------------------------------------------------------

MEMBERSHIP_COLUMNS = [
    Column("ID", "pk"),
    Column("Programme ID", "programme_id"),
    Column("User ID", "user_id"),
    Column("Username", "user.username", importable=True),
    Column("Name", lambda m: m.user.get_full_name() or None,
           fields=("user__first_name", "user__last_name"),
           from_values=lambda first, last: full_name(first, last) or None),
    Column("Email", "user.email", importable=True),
    Column("Role", label(Membership.Role.choices)("role"), importable=True),
    Column("Partner ID", "partner_id", importable=True),
    Column("Partner", "partner.name", importable=True),
]


class MembershipSheet(ProgrammeSheet):
    """Who has which role in the programme. User accounts are made in the admin; a row
    names an existing account by username or e-mail address."""

    columns = MEMBERSHIP_COLUMNS
    required_headers = ("Role",)
    field_headers = {"role": "Role", "partner": "Partner", "user": "Username"}

    def import_row(self, context, row):
        username = row.get("Username")
        email = row.get("Email")
        role = row.get("Role", tabular.choice, Membership.Role.choices, required=True)
        partner = resolve_partner(row, context, id_header="Partner ID", name_header="Partner",
                                  required=role in Membership.PARTNER_ROLES)
        row.check()
        users = get_user_model().objects.filter(is_active=True)
        if username:
            user = users.filter(username__iexact=username).first()
            column, given = "Username", username
        elif email:
            user = users.filter(email__iexact=email).first()
            column, given = "Email", email
        else:
            row.error("Username", "Name the person by username or e-mail address.")
            row.check()
        if user is None:
            row.error(column, f"No account \u201c{given}\u201d: "
                              "ask an administrator to add it first.")
            row.check()
        programme = context["programme"]
        existing = Membership.objects.filter(programme=programme, user=user).first()
        if existing is not None:
            row.error(column, f"{user.username} is already a member of this programme "
                              f"({existing.get_role_display()}).")
            row.check()
        return services.membership_create(actor=context["user"], programme=programme,
                                          user=user, role=role, partner=partner)


# Champions -----------------------------------------------------------------------------

CHAMPION_COLUMNS = [
    Column("ID", "pk"),
    Column("Programme ID", "programme_id"),
    Column("Partner ID", "partner_id"),
    Column("Partner", "partner.name"),
    Column("Principle", "principle.number"),
    Column("Principle title", "principle.title"),
    Column("Name", "name"),
    Column("Job title", "job_title"),
    Column("Email", "email"),
    Column("Username", lambda c: c.user.username if c.user_id else None,
           fields=("user_id", "user__username"),
           from_values=lambda user_id, username: username if user_id else None),
    Column("Added on", day_of("created_at")),
]
CHAMPION_SELECT = ("partner", "principle", "user")
