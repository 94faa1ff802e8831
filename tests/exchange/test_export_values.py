"""Exports read plain values (``values_list``), and give the same bytes as when they read
objects: the file of each list is compared with the one the former code makes of the
same queryset, on rows with dates, money, choices, related names, empty values, and
text with commas, quotes, newlines and formula signs."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions.sheets import ACTION_COLUMNS
from exchange import tabular
from learning.sheets import NEED_COLUMNS, OFFER_COLUMNS
from programmes.models import Champion, Gap
from programmes.sheets import CHAMPION_COLUMNS, GAP_COLUMNS, MEMBERSHIP_COLUMNS, PARTNER_COLUMNS

from .. import factories as f

pytestmark = pytest.mark.django_db

TEXTS = [
    "",
    "plain",
    'Said "yes", then no',
    "line one\nline two\r\nline three",
    "=SUM(A1:A3)",
    "-5",
    "-minus sign",
    "+44 20 7946 0000",
    "@someone",
    "\ttabbed",
    "Ünïcode — ‘quotes’, £120",
    " leading and trailing spaces ",
]


# The CSV writer as it was before exports read plain values, kept here unchanged as the
# reference: every value read from the object with ``Column.value``.

def _old_plain(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (int, float, Decimal, datetime.date, str)) or value is None:
        return value
    return str(value)


def _old_is_number(text):
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def _old_csv_text(value):
    value = _old_plain(value)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _old_is_number(text):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def old_csv(columns, objects) -> bytes:
    writer = csv.writer(_Echo())
    lines = ["\ufeff" + writer.writerow([c.header for c in columns])]
    for obj in objects:
        lines.append(writer.writerow([_old_csv_text(c.value(obj)) for c in columns]))
    return "".join(lines).encode("utf-8")


@pytest.fixture
def varied(world):
    """Rows of every list with each kind of value, some of them empty."""
    named = f.UserFactory(username="named", first_name="Ada", last_name="O'Neil, Jr")
    f.MembershipFactory(programme=world.programme, user=named, role="partner_lead",
                        partner=world.partner_a)
    half = f.UserFactory(username="half", first_name="", last_name="Solo")
    now = timezone.now()
    gaps = []
    for i, item in enumerate(world.items):
        closed = i % 2 == 1
        gaps.append(Gap.objects.create(
            programme=world.programme, partner=[world.partner_a, world.partner_b][i % 2],
            checklist_item=item, principle=item.principle, severity=["high", "medium"][i % 2],
            status="closed" if closed else "open", description=TEXTS[i % len(TEXTS)],
            opened_at=now - datetime.timedelta(days=40 + i, hours=23),
            closed_at=now - datetime.timedelta(days=i) if closed else None,
            closed_reason="closed_by_manager" if closed else ""))
    owners = [(named, world.partner_a), (half, None), (None, world.partner_b),
              (world.lead_b, world.partner_b)]
    statuses = ["not_started", "in_progress", "blocked", "done", "cancelled"]
    today = timezone.localdate()
    for i, text in enumerate(TEXTS * 2):
        owner, partner = owners[i % len(owners)]
        status = statuses[i % len(statuses)]
        f.ActionFactory(
            programme=world.programme, gap=gaps[i % len(gaps)] if i % 3 else None,
            title=text or f"Untitled {i}", description=TEXTS[(i + 3) % len(TEXTS)],
            owner=owner, owner_partner=partner, status=status,
            priority=["low", "medium", "high"][i % 3],
            due_date=[None, today - datetime.timedelta(days=3), today,
                      today + datetime.timedelta(days=30)][i % 4],
            completed_at=now - datetime.timedelta(days=i) if status == "done" else None)
        f.LearningNeedFactory(
            programme=world.programme, partner=[world.partner_a, world.partner_b][i % 2],
            gap=gaps[i % len(gaps)] if i % 2 else None,
            principle=world.principles[i % 2] if i % 3 else None,
            staff_group=text or "Carers", topic=TEXTS[(i + 5) % len(TEXTS)] or "Topic",
            workers_count=i + 1, needed_by=None if i % 4 == 0 else today,
            status=["identified", "planned", "met"][i % 3], notes=text)
    for i in range(6):
        f.TrainingOfferFactory(
            provider=world.provider, title=TEXTS[i + 1], location=TEXTS[i],
            cost_per_place=[Decimal("0.00"), Decimal("120.50"), Decimal("1234567.89")][i % 3],
            principles=[[], world.principles, world.principles[1:]][i % 3],
            online=bool(i % 2), end_date=None if i % 2 else datetime.date(2027, 2, 1))
    for i, principle in enumerate(world.principles):
        Champion.objects.create(
            programme=world.programme, partner=world.partner_a, principle=principle,
            user=named if i == 0 else None, name=TEXTS[i + 2], job_title=TEXTS[i + 3],
            email="" if i else "ada@example.org")
    return world


EXPORTS = [
    ("/api/v1/actions/", ACTION_COLUMNS, {}),
    ("/api/v1/actions/", ACTION_COLUMNS, {"status": "in_progress"}),
    ("/api/v1/actions/", ACTION_COLUMNS, {"search": "line", "ordering": "-due_date"}),
    ("/api/v1/gaps/", GAP_COLUMNS, {"ordering": "-opened_at"}),
    ("/api/v1/learning-needs/", NEED_COLUMNS, {}),
    ("/api/v1/training-offers/", OFFER_COLUMNS, {}),
    ("/api/v1/champions/", CHAMPION_COLUMNS, {}),
    ("/api/v1/memberships/", MEMBERSHIP_COLUMNS, {}),
    ("/api/v1/partners/", PARTNER_COLUMNS, {}),
]


@pytest.mark.parametrize("url,columns,params", EXPORTS)
def test_csv_from_plain_values_has_the_bytes_the_objects_gave(
        api, varied, monkeypatch, url, columns, params):
    seen = []
    real = tabular.csv_file

    def recording(columns, rows, **kwargs):
        seen.append(rows)
        return real(columns, rows, **kwargs)

    monkeypatch.setattr(tabular, "csv_file", recording)
    client = api.as_user(varied.manager)
    response = client.get(url, {**params, "format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)

    (queryset,) = seen
    # the rows are read as plain values, not as objects
    assert tabular.values_plan(columns, queryset) is not None
    # and make the file the objects of the same queryset (same filters, search, order,
    # visible rows) made before
    assert body == old_csv(columns, queryset.iterator(chunk_size=100))
    assert body.count(b"\n") > 2


def test_every_export_column_is_read_from_plain_values():
    from actions.models import Action
    from learning.models import LearningNeed, TrainingOffer
    from programmes.models import Membership, Partner

    for columns, model in [(ACTION_COLUMNS, Action), (GAP_COLUMNS, Gap),
                           (NEED_COLUMNS, LearningNeed), (OFFER_COLUMNS, TrainingOffer),
                           (CHAMPION_COLUMNS, Champion), (MEMBERSHIP_COLUMNS, Membership),
                           (PARTNER_COLUMNS, Partner)]:
        assert tabular.values_plan(columns, model.objects.all()) is not None, model


def test_a_property_without_its_fields_is_read_from_the_object(world):
    from actions.models import Action

    action = f.ActionFactory(programme=world.programme, due_date=datetime.date(2000, 1, 1))
    columns = [tabular.Column("ID", "pk"), tabular.Column("Overdue", "is_overdue")]
    queryset = Action.objects.filter(pk=action.pk)
    assert tabular.values_plan(columns, queryset) is None  # a property, not a field
    assert list(tabular.cells(columns, queryset)) == [[action.pk, True]]


def test_the_export_reads_only_its_columns_in_few_queries(api, varied):
    client = api.as_user(varied.manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/actions/", {"format": "csv"})
        b"".join(response.streaming_content)
    read = [q["sql"] for q in queries.captured_queries if '"actions_action"."title"' in q["sql"]]
    assert len(read) == 1
    text = b"".join(client.get("/api/v1/actions/", {"format": "csv"}).streaming_content)
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert len(rows) == 1 + 2 * len(TEXTS)
