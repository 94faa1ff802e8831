"""Spreadsheets and reports on the pages: downloads that keep the page's filters, the
import page's check and commit, joint commissioning and the highlight report links."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from actions.models import Action
from learning.models import LearningNeed
from programmes.models import Gap, Programme

from .. import factories as f

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def xlsx_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_gap_register_downloads_hold_exactly_the_filtered_gaps(site, as_user):
    # given: partner A has two open gaps (high and medium); partner B has one
    w = site.world
    other = Gap.objects.create(programme=w.programme, partner=w.partner_b,
                               checklist_item=w.items[1], principle=w.items[1].principle,
                               severity="high", opened_at=timezone.now())
    page = as_user(w.manager)
    url = reverse("web:gaps", args=[w.programme.pk])

    # when: the register is filtered to partner A's high gaps
    html = page.get(url, {"partner": w.partner_a.pk, "severity": "high"}).content.decode()

    # then: its download links carry the filters, and the files hold that one gap only
    assert f"partner={w.partner_a.pk}" in html and "download=csv" in html
    query = {"partner": w.partner_a.pk, "severity": "high"}
    rows = csv_rows(page.get(url, {**query, "download": "csv"}))
    assert [int(r["ID"]) for r in rows] == [site.gap.pk]
    assert rows[0]["Partner"] == w.partner_a.name and rows[0]["Severity"] == "High"
    assert [r["ID"] for r in xlsx_rows(page.get(url, {**query, "download": "xlsx"}))] == [
        site.gap.pk]
    # and without filters: every open gap of the programme, as on the page
    everything = {int(r["ID"]) for r in csv_rows(page.get(url, {"download": "csv"}))}
    assert everything == set(w.programme.gaps.filter(status="open").values_list("pk", flat=True))
    assert other.pk in everything


def test_learning_needs_download_keeps_the_status_filter(site, as_user):
    w = site.world
    planned = f.LearningNeedFactory(programme=w.programme, partner=w.partner_b,
                                    topic="Moving and handling", status="planned")
    page = as_user(w.reviewer)
    url = reverse("web:learning-needs", args=[w.programme.pk])

    html = page.get(url, {"status": "planned"}).content.decode()
    assert "Moving and handling" in html and site.need.topic not in html
    assert "status=planned&amp;download=xlsx" in html

    rows = xlsx_rows(page.get(url, {"status": "planned", "download": "xlsx"}))
    assert [(r["ID"], r["Topic"], r["Status"]) for r in rows] == [
        (planned.pk, "Moving and handling", "Planned")]
    assert {int(r["ID"]) for r in csv_rows(page.get(url, {"download": "csv"}))} == {
        site.need.pk, planned.pk}


def test_my_actions_download_lists_my_open_actions_only(site, as_user):
    w = site.world
    f.ActionFactory(programme=w.programme, owner=w.lead_a, status="done",
                    completed_at=timezone.now(), title="Done already")
    f.ActionFactory(programme=w.programme, owner=w.lead_b, title="Someone else's")
    rows = csv_rows(as_user(w.lead_a).get(reverse("web:my-actions"), {"download": "csv"}))
    assert [r["Title"] for r in rows] == ["Agree a shared induction"]


def test_catalogue_download_keeps_the_format_filter(site, as_user):
    w = site.world
    f.TrainingOfferFactory(provider=w.provider, title="Coaching for leaders", format="coaching")
    f.TrainingOfferFactory(provider=w.provider, title="Draft course", format="coaching",
                           status="draft")
    page = as_user(w.lead_a)
    rows = csv_rows(page.get(reverse("web:catalogue"), {"format": "coaching", "download": "csv"}))
    assert [r["Title"] for r in rows] == ["Coaching for leaders"]
    assert len(csv_rows(page.get(reverse("web:catalogue"), {"download": "csv"}))) == 2


def test_dashboard_downloads_progress_by_principle(site, as_user):
    w = site.world
    page = as_user(w.reviewer)
    url = reverse("web:dashboard", args=[w.programme.pk])
    html = page.get(url).content.decode()
    assert "Download as CSV" in html and "Download as Excel" in html
    rows = xlsx_rows(page.get(url, {"download": "xlsx"}))
    assert [r["Principle"] for r in rows] == [
        *(p.number for p in w.principles), "Overall"]
    api = page.get(f"/api/v1/programmes/{w.programme.pk}/progress/").json()
    assert rows[-1]["Gaps open"] == api["overall"]["gaps_open"] == 2


def test_downloads_are_refused_to_people_outside_the_programme(site, as_user):
    w = site.world
    page = as_user(w.outsider)
    for name in ("web:gaps", "web:learning-needs", "web:dashboard"):
        assert page.get(reverse(name, args=[w.programme.pk]), {"download": "csv"}
                        ).status_code == 404


def test_dashboard_links_the_highlight_report_and_joint_commissioning(site, as_user):
    w = site.world
    page = as_user(w.reviewer)
    html = page.get(reverse("web:dashboard", args=[w.programme.pk])).content.decode()
    report = f"/api/v1/programmes/{w.programme.pk}/highlight-report/"
    assert f"{report}?format=html" in html and f"{report}?format=pdf" in html
    assert reverse("web:joint-commissioning", args=[w.programme.pk]) in html
    assert reverse("web:import", args=[w.programme.pk]) not in html  # managers only
    # the links work with the signed-in session
    assert page.get(report, {"format": "html"}).status_code == 200
    pdf = page.get(report, {"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert reverse("web:import", args=[w.programme.pk]) in as_user(w.manager).get(
        reverse("web:dashboard", args=[w.programme.pk])).content.decode()


# Joint commissioning -----------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "lead_a", "provider_user", "reviewer", "staff"])
def test_joint_commissioning_page_is_for_everyone_in_the_programme(site, as_user, who):
    w = site.world
    response = as_user(getattr(w, who)).get(
        reverse("web:joint-commissioning", args=[w.programme.pk]))
    assert response.status_code == 200
    assert "<h1>Joint commissioning</h1>" in response.content.decode()


def test_joint_commissioning_page_is_hidden_from_outsiders(site, as_user):
    w = site.world
    url = reverse("web:joint-commissioning", args=[w.programme.pk])
    assert as_user(w.outsider).get(url).status_code == 404
    assert as_user(w.manager).get(reverse("web:joint-commissioning", args=[999999])
                                  ).status_code == 404


def test_joint_commissioning_page_shows_the_demo_proposals(client):
    call_command("seed_demo", verbosity=0)
    programme = Programme.objects.get()
    manager = programme.memberships.filter(role="manager").first().user
    client.force_login(manager)

    html = client.get(reverse("web:joint-commissioning", args=[programme.pk])).content.decode()
    api = client.get(f"/api/v1/programmes/{programme.pk}/joint-commissioning/").json()

    assert api["proposals"]
    assert html.count('data-testid="proposal"') == len(api["proposals"])
    first = api["proposals"][0]
    assert first["topic"] in html
    for partner in first["partners"]:
        assert partner["name"] in html
    if first["estimated_cost"] is not None:
        assert f"£{float(first['estimated_cost']):,.2f}" in html


# Import ------------------------------------------------------------------------------


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.mark.parametrize("who,status", [("lead_a", 403), ("provider_user", 403),
                                        ("reviewer", 403), ("outsider", 404)])
def test_import_page_is_for_managers_only(site, as_user, who, status):
    w = site.world
    page = as_user(getattr(w, who))
    url = reverse("web:import", args=[w.programme.pk])
    assert page.get(url).status_code == status
    body = {"kind": "learning_needs",
            "file": upload("needs.csv", f"Partner,Staff group,Topic,Workers\n"
                                        f"{w.partner_a.name},Nurses,Falls,3\n")}
    assert page.post(url, body).status_code == status
    assert LearningNeed.objects.filter(topic="Falls").count() == 0


def test_import_page_renders_for_managers_and_staff(site, as_user):
    w = site.world
    for user in (w.manager, w.staff):
        html = as_user(user).get(reverse("web:import", args=[w.programme.pk])).content.decode()
        assert 'enctype="multipart/form-data"' in html and "Learning needs" in html


def test_import_dry_run_shows_each_bad_row_and_changes_nothing(site, as_user):
    w = site.world
    page = as_user(w.manager)
    url = reverse("web:import", args=[w.programme.pk])
    before = LearningNeed.objects.count()
    text = ("Partner,Staff group,Topic,Workers,Needed by\n"
            f"{w.partner_a.name},Nurses,Falls prevention,3,31/03/2027\n"
            "Nobody Trust,Nurses,Falls prevention,2,31/03/2027\n"
            f"{w.partner_b.name},Care workers,Pressure care,many,31/13/2027\n")

    response = page.post(url, {"kind": "learning_needs", "file": upload("needs.csv", text)})

    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "Nothing has been imported" in html
    assert "Row 3, Partner: “Nobody Trust” is not a partner of this programme." in html
    assert "Row 4, Workers" in html and "Row 4, Needed by" in html
    assert "Row 2" not in html
    assert 'name="confirm"' not in html
    assert LearningNeed.objects.count() == before
    # and a confirmation sent anyway commits nothing
    page.post(url, {"confirm": "guessed"})
    assert LearningNeed.objects.count() == before


def test_import_dry_run_then_confirm_commits_every_row(site, as_user):
    w = site.world
    page = as_user(w.manager)
    url = reverse("web:import", args=[w.programme.pk])
    text = ("Title,Owner username,Owner partner,Due date,Priority\n"
            f"Run a joint induction,{w.lead_a.username},{w.partner_a.name},30/04/2027,High\n"
            f"Share rotas,,{w.partner_b.name},2027-05-31,\n")

    check = page.post(url, {"kind": "actions", "file": upload("actions.csv", text)})

    assert check.status_code == 200
    html = check.content.decode()
    assert "Ready to import 2 actions" in html
    assert not Action.objects.filter(title__in=["Run a joint induction", "Share rotas"]).exists()
    token = html.split('name="confirm" value="')[1].split('"')[0]

    done = page.post(url, {"confirm": token}, follow=True)

    assert done.status_code == 200
    assert "2 actions imported from actions.csv" in done.content.decode()
    induction = Action.objects.get(title="Run a joint induction")
    assert (induction.owner, induction.owner_partner, str(induction.due_date),
            induction.priority) == (w.lead_a, w.partner_a, "2027-04-30", "high")
    assert Action.objects.filter(title="Share rotas", programme=w.programme).count() == 1
    # the same confirmation twice imports nothing more
    page.post(url, {"confirm": token})
    assert Action.objects.filter(title="Share rotas").count() == 1


def test_import_of_an_unreadable_file_is_an_error_on_the_field(site, as_user):
    w = site.world
    page = as_user(w.manager)
    url = reverse("web:import", args=[w.programme.pk])
    response = page.post(url, {"kind": "actions", "file": upload("x.csv", "Name\nSomething\n")})
    assert response.status_code == 400
    assert "The file has no column “Title”" in response.content.decode()
    response = page.post(url, {"kind": "actions"})
    assert response.status_code == 400 and "There is a problem" in response.content.decode()
