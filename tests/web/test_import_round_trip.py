"""The import page: the pages' downloads (action board, learning needs) import back with
the changed cells changing their records and nothing else; each kind's template; and
partners imported for a programme."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from actions.models import Action
from learning.models import LearningNeed
from people.models import Invitation
from programmes.models import Partner
from web.views import imports

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




def confirm(page, url, kind, name, content):
    """Check a file on the import page, then confirm it; the page after the commit."""
    check = page.post(url, {"kind": kind, "file": SimpleUploadedFile(name, content)})
    html = check.content.decode()
    assert check.status_code == 200, html
    token = html.split('name="confirm" value="')[1].split('"')[0]
    return page.post(url, {"confirm": token}, follow=True)


@pytest.mark.parametrize("kind,model_count", [
    ("actions", lambda: Action.objects.count()),
    ("learning_needs", lambda: LearningNeed.objects.count()),
    ("partners", lambda: Partner.objects.count()),
    ("memberships", lambda: Invitation.objects.count()),
])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_template_has_the_import_columns_and_an_example_that_imports(
        site, as_user, kind, model_count, fmt):
    # given the import page, which links a template of each kind
    w = site.world
    page = as_user(w.manager)
    url = reverse("web:import", args=[w.programme.pk])
    template_url = reverse("web:import-template", args=[w.programme.pk, kind, fmt])
    assert f'href="{template_url}"' in page.get(url).content.decode()

    # when the template is downloaded
    response = page.get(template_url)

    # then it holds the importable columns of the export and one example row
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    if fmt == "csv":
        headers, rows = read_csv(content)
    else:
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        headers, *body = [list(r) for r in sheet.iter_rows(values_only=True)]
        rows = [dict(zip(headers, r, strict=True)) for r in body]
    sheet_columns = imports.SHEETS[kind].columns
    assert headers == [c.header for c in sheet_columns if c.importable]
    assert len(rows) == 1
    # and the example imports as it is
    before = model_count()
    done = confirm(page, url, kind, f"template.{fmt}", content)
    done_word = "sent" if kind == "memberships" else "imported"
    assert f"1 {imports.NAMES[kind][0]} {done_word} from template" in done.content.decode()
    assert model_count() == before + 1


@pytest.mark.parametrize("who,status", [("lead_a", 403), ("reviewer", 403), ("outsider", 404)])
def test_templates_are_for_managers_only(site, as_user, who, status):
    w = site.world
    url = reverse("web:import-template", args=[w.programme.pk, "actions", "csv"])
    assert as_user(getattr(w, who)).get(url).status_code == status


def test_a_template_of_an_unknown_kind_or_format_is_not_found(site, as_user):
    w = site.world
    page = as_user(w.manager)
    for kind, fmt in [("gaps", "csv"), ("actions", "pdf")]:
        url = reverse("web:import-template", args=[w.programme.pk, kind, fmt])
        assert page.get(url).status_code == 404


def test_partners_import_on_the_page_adds_new_ones_and_matches_existing_names(site, as_user):
    # given a partner of the directory outside this programme, and one already in it
    w = site.world
    page = as_user(w.manager)
    url = reverse("web:import", args=[w.programme.pk])
    known = f.PartnerFactory(name="Gamma Hospice", sector="voluntary_community")
    f.ProgrammeFactory(partners=[known], framework=w.framework)
    f.MembershipFactory(programme=known.programmes.get(), user=w.manager, role="manager")
    count = Partner.objects.count()
    text = ("Name,Sector,Provides learning\n"
            "Delta Home Care,Adult social care provider,no\n"
            "gamma hospice,,\n"
            f"{w.partner_a.name.upper()},,\n"
            "Epsilon Academy,learning_provider,yes\n")

    # when the file is checked and confirmed
    check = page.post(url, {"kind": "partners", "file": SimpleUploadedFile(
        "partners.csv", text.encode())})
    html = check.content.decode()
    assert check.status_code == 200, html
    assert "2 new to the directory" in html
    assert "1 from the directory to join the programme" in html
    assert "1 already in the programme" in html
    assert Partner.objects.count() == count  # the check changed nothing
    done = confirm(page, url, "partners", "partners.csv", text.encode())

    # then two partners are new, the known one joined, none was made twice
    assert "4 partners imported from partners.csv" in done.content.decode()
    assert Partner.objects.count() == count + 2
    names = set(w.programme.partners.values_list("name", flat=True))
    assert {"Delta Home Care", "Gamma Hospice", "Epsilon Academy", w.partner_a.name} <= names
    assert Partner.objects.get(name="Epsilon Academy").provides_learning is True
    assert Partner.objects.filter(name__iexact="gamma hospice").count() == 1


def test_a_partner_row_with_a_problem_adds_no_partner(site, as_user):
    w = site.world
    page = as_user(w.manager)
    count = Partner.objects.count()
    text = "Name,Sector,Provides learning\nDelta Home Care,Adult social care provider,no\nZeta,,\n"
    response = page.post(reverse("web:import", args=[w.programme.pk]), {
        "kind": "partners", "file": SimpleUploadedFile("p.csv", text.encode())})
    assert response.status_code == 400
    assert "Row 3, Sector: Sector is needed for a partner new to the directory." in (
        response.content.decode())
    assert Partner.objects.count() == count
