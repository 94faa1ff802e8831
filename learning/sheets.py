"""Learning needs and training offers as spreadsheet rows: the export's columns, and
the import of learning needs through ``services.need_create``."""

from actions.sheets import preload_gaps, resolve_gap
from exchange import tabular
from exchange.tabular import Column
from programmes.models import Principle
from programmes.sheets import ProgrammeSheet, label, resolve_partner

from . import services
from .models import LearningNeed, TrainingOffer

NEED_COLUMNS = [
    Column("ID", "pk"),
    Column("Programme ID", "programme_id"),
    Column("Partner ID", "partner_id", importable=True),
    Column("Partner", "partner.name", importable=True),
    Column("Gap ID", "gap_id", importable=True),
    Column("Item code", "gap.checklist_item.code", importable=True),
    Column("Principle", "principle.number", importable=True),
    Column("Staff group", "staff_group", importable=True),
    Column("Topic", "topic", importable=True),
    Column("Workers", "workers_count", importable=True),
    Column("Needed by", "needed_by", importable=True),
    Column("Status", label(LearningNeed.Status.choices)("status"), importable=True),
    Column("Notes", "notes", importable=True),
    Column("Version", "version"),
]
NEED_SELECT = ("partner", "principle", "gap__checklist_item")

OFFER_COLUMNS = [
    Column("ID", "pk"),
    Column("Provider ID", "provider_id"),
    Column("Provider", "provider.name"),
    Column("Title", "title"),
    Column("Format", label(TrainingOffer.Format.choices)("format")),
    Column("Principles", lambda o: ", ".join(str(p.number) for p in o.principles.all()) or None),
    Column("Topics", "topics"),
    Column("Staff groups", "staff_groups"),
    Column("Start date", "start_date"),
    Column("End date", "end_date"),
    Column("Capacity", "capacity"),
    Column("Places booked", "places_booked"),
    Column("Places free", "places_free"),
    Column("Cost per place (£)", "cost_per_place"),
    Column("Location", "location"),
    Column("Online", "online"),
    Column("Status", label(TrainingOffer.Status.choices)("status")),
]


class LearningNeedSheet(ProgrammeSheet):
    """Learning needs from a file: each row checked with what the whole file needs read
    once, then all of them written together (``services.NeedBatch``)."""

    columns = NEED_COLUMNS
    required_headers = ("Staff group", "Topic", "Workers")
    field_headers = {
        "partner": "Partner", "gap": "Gap ID", "principle": "Principle",
        "staff_group": "Staff group", "topic": "Topic", "workers_count": "Workers",
        "needed_by": "Needed by", "status": "Status", "notes": "Notes",
    }

    def prepare(self, *, user, programme_id):
        context = super().prepare(user=user, programme_id=programme_id)
        programme = context["programme"]
        context["principles"] = {
            p.number: p for p in Principle.objects.filter(framework_id=programme.framework_id)
        }
        return context

    def preload(self, context, table):
        programme = context["programme"]
        ids = tabular.column_values(table, "ID", tabular.whole_number)
        context["existing"] = set(LearningNeed.objects.filter(
            programme=programme, pk__in=ids).values_list("pk", flat=True)) if ids else set()
        preload_gaps(context, table)
        context["batch"] = services.NeedBatch(actor=context["user"], programme=programme)

    def check_row(self, context, row):
        existing = row.get("ID", tabular.whole_number)
        if existing and existing in context["existing"]:
            row.error("ID", f"Learning need {existing} is already in this programme; "
                            "clear the ID to add a copy.")
        partner = resolve_partner(row, context, id_header="Partner ID", name_header="Partner",
                                  required=True)
        number = row.get("Principle", tabular.whole_number)
        principle = None
        if number is not None:
            principle = context["principles"].get(number)
            if principle is None:
                row.error("Principle", f"The programme's framework has no principle {number}.")
        workers = row.get("Workers", tabular.whole_number, required=True)
        fields = {
            "staff_group": row.get("Staff group", required=True),
            "topic": row.get("Topic", required=True),
            "needed_by": row.get("Needed by", tabular.date),
            "status": row.get("Status", tabular.choice, LearningNeed.Status.choices)
            or LearningNeed.Status.IDENTIFIED,
            "notes": row.get("Notes"),
        }
        row.check()
        gap = resolve_gap(row, context, partner)
        if gap is not None and principle is not None and gap.principle_id != principle.pk:
            row.error("Principle", f"Gap {gap.pk} is under principle {gap.principle.number}, "
                                   f"not {number}.")
            row.check()
        return context["batch"].add(partner=partner, gap=gap,
                                    principle=None if gap else principle,
                                    workers_count=workers, **fields)

    def write_rows(self, context, needs):
        return context["batch"].save()
