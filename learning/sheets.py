"""Learning needs and training offers as spreadsheet rows: the export's columns, and
the import of learning needs, new through ``services.NeedBatch`` (``need_create``'s
rules) or, with the ``ID`` of a need of the programme, a change through
``services.need_update``."""

import datetime

from django.utils import timezone

from actions.sheets import preload_gaps, resolve_gap
from core.errors import StaleVersion
from exchange import importing, tabular
from exchange.tabular import Column
from programmes.models import Principle
from programmes.sheets import (
    ProgrammeSheet,
    existing_record,
    label,
    preload_existing,
    resolve_partner,
    warn_left_out,
)

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
    Column("Principles", lambda o: ", ".join(str(p.number) for p in o.principles.all()) or None,
           many="principles__number",
           from_values=lambda numbers: ", ".join(str(n) for n in numbers) or None),
    Column("Topics", "topics"),
    Column("Staff groups", "staff_groups"),
    Column("Start date", "start_date"),
    Column("End date", "end_date"),
    Column("Capacity", "capacity"),
    Column("Places booked", "places_booked"),
    Column("Places free", "places_free", fields=("capacity", "places_booked"),
           from_values=lambda capacity, booked: capacity - booked),  # ``places_free``
    Column("Cost per place (£)", "cost_per_place"),
    Column("Location", "location"),
    Column("Online", "online"),
    Column("Status", label(TrainingOffer.Status.choices)("status")),
]


class LearningNeedSheet(ProgrammeSheet):
    """Learning needs from a file: each new row checked with what the whole file needs
    read once, then all of them written together (``services.NeedBatch``). A row with the
    ``ID`` of a need of the programme changes its status, needed by date, workers and
    topic through ``services.need_update`` instead; its other columns are left as they
    are."""

    columns = NEED_COLUMNS
    required_headers = ("Staff group", "Topic", "Workers")
    field_headers = {
        "partner": "Partner", "gap": "Gap ID", "principle": "Principle",
        "staff_group": "Staff group", "topic": "Topic", "workers_count": "Workers",
        "needed_by": "Needed by", "status": "Status", "notes": "Notes", "version": "Version",
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
        preload_existing(context, table, LearningNeed.objects.visible_to(context["user"])
                         .select_related("partner", "principle"))
        preload_gaps(context, table)
        context["batch"] = services.NeedBatch(actor=context["user"], programme=programme)

    def check_row(self, context, row):
        need = existing_record(row, context, noun="learning need")
        if need is not None:
            return self._change(context, row, need)
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

    def _change(self, context, row, need):
        """Change what the row changes of a need already there, through the service."""
        changes: dict = {}
        for header, name, parse, args in [
            ("Topic", "topic", tabular.text, ()),
            ("Workers", "workers_count", tabular.whole_number, ()),
            ("Needed by", "needed_by", tabular.date, ()),
            ("Status", "status", tabular.choice, (LearningNeed.Status.choices,)),
        ]:
            if not row.has(header):
                continue
            value = row.get(header, parse, *args, required=name in ("topic", "workers_count"))
            if value in (None, "") and name != "needed_by":
                continue  # needed (and so a problem of the row), or a blank status: kept
            if value != getattr(need, name):
                changes[name] = value
        version = row.get("Version", tabular.whole_number) if row.has("Version") else None
        row.check()
        warn_left_out(row, "learning need", [
            ("Partner", tabular.text, need.partner.name),
            ("Staff group", tabular.text, need.staff_group),
            ("Gap ID", tabular.whole_number, need.gap_id),
            ("Principle", tabular.whole_number,
             need.principle.number if need.principle else None),
            ("Notes", tabular.text, need.notes),
        ])
        if not changes:
            return importing.Updated(need, changed=False)
        try:
            need = services.need_update(actor=context["user"], need=need, version=version,
                                         **changes)
        except StaleVersion:
            row.error("Version", f"Learning need {need.pk} was changed by someone else after "
                                 "this file was downloaded: download the list again and make "
                                 "the change there.")
            raise importing.RowInvalid from None
        return importing.Updated(need, changed=True)

    def write_rows(self, context, needs):
        return context["batch"].save()

    def example(self, context):
        partners = sorted(context["partners"], key=lambda p: p.name)
        return {"Partner": partners[0].name if partners else None,
                "Principle": min(context["principles"], default=None),
                "Staff group": "Home care workers", "Topic": "Dementia awareness",
                "Workers": 12, "Needed by": timezone.localdate() + datetime.timedelta(days=120),
                "Status": "Identified"}
