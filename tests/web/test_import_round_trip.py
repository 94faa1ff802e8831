"""The pages' downloads (action board, learning needs) import back through the import
page: the changed cells change their records, nothing else changes."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

import pytest

from actions.models import Action
from learning.models import LearningNeed

from .. import factories as f
from ..exchange.test_round_trip import read_csv, snapshot, write_csv

pytestmark = pytest.mark.django_db


def test_the_board_download_imports_back_through_the_import_page(site, as_user):
    # given the action board's Excel download, with the owner and title of a row changed
    w = site.world
    page = as_user(w.manager)
    action = Action.objects.get(title="Agree a shared induction")
    others = snapshot(Action)
    response = page.get(reverse("web:action-board", args=[w.programme.pk]), {"download": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    for cells in sheet.iter_rows(min_row=2):
        if cells[header.index("ID")].value == action.pk:
            cells[header.index("Title")].value = "Agree one shared induction"
            cells[header.index("Owner username")].value = w.manager.username
    out = io.BytesIO()
    workbook.save(out)
    url = reverse("web:import", args=[w.programme.pk])

    # when it is checked and confirmed on the import page
    check = page.post(url, {"kind": "actions", "file": SimpleUploadedFile("board.xlsx",
                                                                        out.getvalue())})
    html = check.content.decode()
    assert check.status_code == 200, html
    assert "1 action to change" in html
    token = html.split('name="confirm" value="')[1].split('"')[0]
    done = page.post(url, {"confirm": token}, follow=True)

    # then the action has its new title and owner, and no other action changed
    assert "1 action changed" in done.content.decode()
    action.refresh_from_db()
    assert (action.title, action.owner) == ("Agree one shared induction", w.manager)
    assert action.history.first().history_user == w.manager
    after = snapshot(Action)
    assert {k: v for k, v in after.items() if k != action.pk} == {
        k: v for k, v in others.items() if k != action.pk}


def test_the_learning_needs_download_imports_back_with_changes(site, as_user):
    w = site.world
    f.LearningNeedFactory(programme=w.programme, partner=w.partner_b, topic="Falls")
    page = as_user(w.manager)
    response = page.get(reverse("web:learning-needs", args=[w.programme.pk]),
                        {"download": "csv"})
    headers, rows = read_csv(b"".join(response.streaming_content))
    need = LearningNeed.objects.get(topic="Falls")
    before = snapshot(LearningNeed)
    for row in rows:
        if row["ID"] == str(need.pk):
            row["Workers"], row["Status"] = "14", "Planned"
    check = page.post(reverse("web:import", args=[w.programme.pk]), {
        "kind": "learning_needs", "file": SimpleUploadedFile("n.csv", write_csv(headers, rows))})
    token = check.content.decode().split('name="confirm" value="')[1].split('"')[0]
    page.post(reverse("web:import", args=[w.programme.pk]), {"confirm": token})

    need.refresh_from_db()
    assert (need.workers_count, need.status, need.version) == (14, "planned", 2)
    assert need.history.count() == before[need.pk][1] + 1
    after = snapshot(LearningNeed)
    assert {k: v for k, v in after.items() if k != need.pk} == {
        k: v for k, v in before.items() if k != need.pk}


