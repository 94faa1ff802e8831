"""Bulk invitations from a spreadsheet of the programme's people: one invitation a row,
each through ``invitation_create``, with the import's dry run and all-or-nothing rule."""

from exchange import tabular
from exchange.tabular import Column
from programmes.models import Membership
from programmes.sheets import ProgrammeSheet, label, resolve_partner

from . import services
from .models import Invitation

INVITATION_COLUMNS = [
    Column("Email", "email", importable=True),
    Column("Role", label(Membership.Role.choices)("role"), importable=True),
    Column("Partner", "partner.name", importable=True),
    Column("Status", lambda i: i.get_effective_status_display()),
    Column("Expires", "expires_at"),
]


class InvitationSheet(ProgrammeSheet):
    """Columns Email, Role and Partner (its name; needed for partner leads and learning
    providers). Each row invites the person by e-mail; nobody is e-mailed unless every
    row is right."""

    columns = INVITATION_COLUMNS
    required_headers = ("Email", "Role")
    field_headers = {"email": "Email", "role": "Role", "partner": "Partner"}

    def import_row(self, context, row) -> Invitation:
        email = row.get("Email", required=True)
        role = row.get("Role", tabular.choice, Membership.Role.choices, required=True)
        partner = resolve_partner(row, context, id_header="Partner ID", name_header="Partner",
                                  required=role in Membership.PARTNER_ROLES)
        row.check()
        return services.invitation_create(actor=context["user"],
                                          programme=context["programme"],
                                          email=email, role=role, partner=partner)

    def example(self, context) -> dict:
        partners = sorted(context["partners"], key=lambda p: p.name)
        return {"Email": "new.colleague@example.org",
                "Role": Membership.Role.PARTNER_LEAD.label,
                "Partner": partners[0].name if partners else None}
