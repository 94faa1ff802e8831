"""Exports: ``?format=csv|xlsx`` on the lists gives the rows the list gives."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from actions.models import Action
from programmes import services as programme_services

from .. import factories as f

pytestmark = pytest.mark.django_db


def sheet_rows(response):
    """Header and rows of an XLSX response, as openpyxl reads them."""
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    return rows[0], rows[1:]


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def all_pages(client, url, params):
    results, page = [], 1
    while True:
        body = client.get(url, {**params, "page": page, "page_size": 7}).json()
        results += body["results"]
        if not body["next"]:
            return results
        page += 1


@pytest.fixture
def actions(world):
    owners = [(world.lead_a, world.partner_a), (world.lead_b, world.partner_b)]
    made = []
    for i in range(30):
        owner, partner = owners[i % 2]
        made.append(f.ActionFactory(
            programme=world.programme, owner=owner, owner_partner=partner,
            title=f"Action number {i}", status=["not_started", "in_progress", "blocked"][i % 3],
            due_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=9 * i),
            priority=["low", "medium", "high"][i % 3],
        ))
    other = f.ProgrammeFactory(framework=world.framework, partners=[world.partner_a])
    f.ActionFactory(programme=other, title="Someone else's action")
    return made


def test_xlsx_export_has_the_rows_of_the_filtered_list(api, world, actions):
    # given a manager and a filter a person would use
    client = api.as_user(world.manager)
    params = {"programme": world.programme.pk, "owner_partner": world.partner_b.pk,
              "status": "in_progress", "ordering": "-due_date"}

    # when the list is read page by page, and exported as XLSX with the same filters
    listed = all_pages(client, "/api/v1/actions/", params)
    response = client.get("/api/v1/actions/", {**params, "format": "xlsx"})

    # then the workbook holds the same rows, in the same order, with plain headers and ids
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    header, rows = sheet_rows(response)
    assert header[:3] == ["ID", "Programme ID", "Gap ID"]
    assert "Owner partner" in header and "Due date" in header
    assert len(listed) == 5
    assert [r[0] for r in rows] == [a["id"] for a in listed]
    col = {h: i for i, h in enumerate(header)}
    for row, item in zip(rows, listed, strict=True):
        assert row[col["Title"]] == item["title"]
        assert row[col["Owner partner ID"]] == item["owner_partner"]
        assert row[col["Status"]] == "In progress"
        assert row[col["Due date"]].date().isoformat() == item["due_date"]


def test_csv_export_has_iso_dates_and_every_page(api, world, actions):
    client = api.as_user(world.reviewer)
    response = client.get("/api/v1/actions/", {"programme": world.programme.pk, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, rows = csv_rows(response)
    assert len(rows) == 30  # more than a page, and nothing from the other programme
    due = header.index("Due date")
    assert sorted(r[due] for r in rows)[0] == "2026-01-01"
    assert "Someone else's action" not in {r[header.index("Title")] for r in rows}
    # the same file at the address with a suffix
    suffixed = client.get("/api/v1/actions.csv", {"programme": world.programme.pk})
    assert csv_rows(suffixed) == (header, rows)


def test_export_shows_only_what_the_user_may_see(api, world, actions):
    f.TrainingOfferFactory(provider=world.provider, title="Draft course", status="draft")
    f.TrainingOfferFactory(provider=world.provider, title="Published course")

    outsider = api.as_user(world.outsider)
    _, rows = csv_rows(outsider.get("/api/v1/actions/", {"format": "csv"}))
    assert rows == []
    header, rows = csv_rows(outsider.get("/api/v1/training-offers/", {"format": "csv"}))
    assert [r[header.index("Title")] for r in rows] == ["Published course"]

    provider = api.as_user(world.provider_user)
    header, rows = csv_rows(provider.get("/api/v1/training-offers/", {"format": "csv"}))
    assert sorted(r[header.index("Title")] for r in rows) == ["Draft course", "Published course"]


def test_bad_filters_on_an_export_are_a_json_400(api, world):
    client = api.as_user(world.manager)
    response = client.get("/api/v1/actions/", {"format": "xlsx", "due_before": "not-a-date"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "due_before" in response.json()
    # and other formats are refused as DRF refuses any unknown format
    assert client.get("/api/v1/actions/", {"format": "pdf"}).status_code == 404


@pytest.mark.parametrize("url,make", [
    ("/api/v1/actions/", "actions"),
    ("/api/v1/learning-needs/", "needs"),
    ("/api/v1/gaps/", "gaps"),
    ("/api/v1/training-offers/", "offers"),
])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_queries_do_not_grow_with_rows(api, world, url, make, fmt):
    client = api.as_user(world.manager)

    def seed(n):
        for _ in range(n):
            if make == "actions":
                gap = _gap(world)
                f.ActionFactory(programme=world.programme, gap=gap, owner=world.lead_a,
                                owner_partner=world.partner_a)
            elif make == "needs":
                f.LearningNeedFactory(programme=world.programme, partner=world.partner_a,
                                      gap=_gap(world), principle=world.principles[0])
            elif make == "gaps":
                _gap(world)
            else:
                f.TrainingOfferFactory(provider=world.provider, principles=world.principles)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"format": fmt})
            body = b"".join(response.streaming_content)
        assert response.status_code == 200 and body
        return len(queries)

    seed(2)
    few = count()
    seed(20)
    many = count()
    assert many == few, f"{few} queries for 2 rows, {many} for 22"


_items = iter(range(10_000))


def _gap(world):
    """A fresh open gap of partner A (a new checklist item each time)."""
    item = f.ChecklistItemFactory(principle=world.principles[0], order=100 + next(_items))
    return programme_services.gap_create(
        actor=world.manager, programme=world.programme, partner=world.partner_a,
        checklist_item=item, severity="high")


def test_progress_exports_one_row_per_principle_and_overall(api, world, actions):
    client = api.as_user(world.reviewer)
    url = f"/api/v1/programmes/{world.programme.pk}/progress/"
    figures = client.get(url).json()
    header, rows = sheet_rows(client.get(url, {"format": "xlsx"}))
    assert [r[header.index("Principle")] for r in rows] == [1, 2, "Overall"]
    assert rows[-1][header.index("Actions")] == figures["overall"]["actions"] == 30
    header, rows = csv_rows(client.get(url, {"format": "csv", "partner": world.partner_a.pk}))
    assert rows[-1][header.index("Actions")] == "15"
    assert client.get(url, {"format": "csv", "partner": 999999}).status_code == 400
    assert api.as_user(world.outsider).get(url, {"format": "csv"}).status_code == 404


def test_text_that_looks_like_a_formula_is_not_run_and_reads_back_the_same(api, world):
    title = "=HYPERLINK(\"http://x\")"
    f.ActionFactory(programme=world.programme, title=title)
    client = api.as_user(world.manager)
    response = client.get("/api/v1/actions/", {"format": "csv"})
    content = b"".join(response.streaming_content)
    header, rows = csv_rows(type("R", (), {"streaming_content": [content]}))
    assert rows[0][header.index("Title")] == "'" + title

    other = f.ProgrammeFactory(framework=world.framework)
    f.MembershipFactory(programme=other, user=world.manager)
    imported = client.post("/api/v1/actions/import/", {
        "programme": other.pk, "file": SimpleUploadedFile("a.csv", content)}, format="multipart")
    assert imported.status_code == 201, imported.content
    assert Action.objects.get(programme=other).title == title


@pytest.mark.parametrize("url,params", [
    ("/api/v1/gaps/", {"severity": "high", "ordering": "-opened_at"}),
    ("/api/v1/learning-needs/", {"partner": "A", "status": "identified"}),
    ("/api/v1/training-offers/", {"principle": "P1", "search": "course"}),
])
def test_other_lists_export_the_rows_they_list(api, world, url, params):
    for i in range(12):
        gap = _gap(world)
        if i % 3:
            gap.severity = "medium"
            gap.save()
        f.LearningNeedFactory(programme=world.programme,
                              partner=[world.partner_a, world.partner_b][i % 2],
                              status=["identified", "planned", "identified"][i % 3])
        f.TrainingOfferFactory(provider=world.provider,
                               title=f"Course {i}" if i % 2 else f"Talk {i}",
                               principles=[world.principles[0 if i % 3 else 1]])
    params = {k: {"A": world.partner_a.pk, "P1": world.principles[0].pk}.get(v, v)
              for k, v in params.items()}
    client = api.as_user(world.manager)

    listed = [row["id"] for row in all_pages(client, url, params)]
    header, rows = sheet_rows(client.get(url, {**params, "format": "xlsx"}))

    assert 0 < len(listed) < 12
    assert header[0] == "ID" and [r[0] for r in rows] == listed


def test_xlsx_exports_are_bounded(api, world, settings):
    settings.EXPORT_XLSX_MAX_ROWS = 3
    for _ in range(4):
        f.ActionFactory(programme=world.programme)
    client = api.as_user(world.manager)
    response = client.get("/api/v1/actions/", {"format": "xlsx"})
    assert response.status_code == 400
    assert "CSV" in response.json()["format"][0]
    _, rows = csv_rows(client.get("/api/v1/actions/", {"format": "csv"}))
    assert len(rows) == 4
