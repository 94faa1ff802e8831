"""Imports: a dry run reports each bad row; a commit writes every row or none."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from actions.models import Action
from learning.models import LearningNeed
from programmes.models import Membership, Partner

from .. import factories as f

pytestmark = pytest.mark.django_db

Role = Membership.Role


def upload(content: bytes, name: str):
    return SimpleUploadedFile(name, content)


def post(client, collection, programme, content, name="file.xlsx", dry_run=False):
    return client.post(f"/api/v1/{collection}/import/", {
        "programme": programme.pk, "dry_run": "true" if dry_run else "false",
        "file": upload(content, name)}, format="multipart")


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def fresh(world):
    """A second programme with the same partners and people, and nothing else yet."""
    programme = f.ProgrammeFactory(framework=world.framework, name="Fresh programme",
                                   partners=[world.partner_a, world.partner_b, world.provider])
    for user, role, partner in [(world.manager, Role.MANAGER, None),
                                (world.lead_a, Role.PARTNER_LEAD, world.partner_a),
                                (world.lead_b, Role.PARTNER_LEAD, world.partner_b)]:
        f.MembershipFactory(programme=programme, user=user, role=role, partner=partner)
    return programme


ACTION_FIELDS = ("title", "description", "owner_id", "owner_partner_id", "due_date", "status",
                 "priority")
NEED_FIELDS = ("partner_id", "principle_id", "staff_group", "topic", "workers_count",
               "needed_by", "status", "notes")


def test_exported_actions_imported_into_a_fresh_programme_reproduce_them(api, world, fresh):
    # given actions in one programme, exported as XLSX with a filter
    for i in range(12):
        f.ActionFactory(programme=world.programme, title=f"Action {i}", description=f"Why {i}",
                        owner=[world.lead_a, world.lead_b][i % 2],
                        owner_partner=[world.partner_a, world.partner_b][i % 2],
                        due_date=datetime.date(2026, 5, 1) + datetime.timedelta(days=i),
                        status=["not_started", "in_progress", "blocked"][i % 3],
                        priority=["low", "high"][i % 2])
    client = api.as_user(world.manager)
    params = {"programme": world.programme.pk, "status": "in_progress"}
    exported = b"".join(
        client.get("/api/v1/actions/", {**params, "format": "xlsx"}).streaming_content)

    # when the file is checked in a dry run, then imported into the fresh programme
    dry = post(client, "actions", fresh, exported, dry_run=True)
    assert dry.status_code == 200, dry.content
    assert dry.json()["valid"] is True and dry.json()["rows"] == 4
    assert not Action.objects.filter(programme=fresh).exists()  # the dry run wrote nothing
    done = post(client, "actions", fresh, exported)

    # then the fresh programme holds the same actions, and its export has the same rows
    assert done.status_code == 201, done.content
    assert done.json()["imported"] == 4
    original = Action.objects.filter(programme=world.programme, status="in_progress")
    copies = Action.objects.filter(programme=fresh)
    key = lambda a: tuple(getattr(a, n) for n in ACTION_FIELDS)  # noqa: E731
    assert sorted(map(key, copies)) == sorted(map(key, original))
    again = b"".join(client.get("/api/v1/actions/", {"programme": fresh.pk, "format": "xlsx"})
                     .streaming_content)
    def rows(data):
        sheet = load_workbook(io.BytesIO(data)).active
        header, *body = [list(r) for r in sheet.iter_rows(values_only=True)]
        keep = [header.index(h) for h in ("Title", "Owner username", "Owner partner", "Due date",
                                          "Status", "Priority")]
        return sorted([r[i] for i in keep] for r in body)
    assert rows(again) == rows(exported)


def test_exported_learning_needs_reproduce_in_a_fresh_programme_from_csv(api, world, fresh):
    for i in range(5):
        f.LearningNeedFactory(programme=world.programme,
                              partner=[world.partner_a, world.partner_b][i % 2],
                              principle=world.principles[i % 2], topic=f"Topic {i}",
                              staff_group="Care workers", workers_count=3 + i, notes="n",
                              status=["identified", "planned"][i % 2])
    client = api.as_user(world.manager)
    exported = b"".join(client.get("/api/v1/learning-needs/", {
        "programme": world.programme.pk, "format": "csv"}).streaming_content)

    response = post(client, "learning-needs", fresh, exported, name="needs.csv")

    assert response.status_code == 201, response.content
    key = lambda n: tuple(getattr(n, k) for k in NEED_FIELDS)  # noqa: E731
    assert sorted(map(key, LearningNeed.objects.filter(programme=fresh))) == sorted(
        map(key, LearningNeed.objects.filter(programme=world.programme)))


def test_a_file_with_bad_rows_changes_nothing_and_reports_each_row(api, world):
    client = api.as_user(world.manager)
    content = xlsx([
        ["Title", "Owner username", "Owner partner", "Due date", "Status", "Priority"],
        ["Good row", "lead_a", "Alpha Council", "31/03/2027", "In progress", "High"],
        ["Bad date", "lead_a", "Alpha Council", "31/02/2027", "", ""],
        ["", "lead_b", "Beta Trust", "01/04/2027", "", ""],
        ["Unknown partner", "", "Nobody Ltd", "", "", ""],
        ["Unknown status", "", "", "", "Finished-ish", ""],
        ["Owner not a member", "outsider", "", "", "", ""],
        ["Another good row", "", "Beta Trust", datetime.date(2027, 5, 1), "", "low"],
    ])

    for dry_run in (True, False):
        response = post(client, "actions", world.programme, content, dry_run=dry_run)
        body = response.json()
        assert response.status_code == (200 if dry_run else 400)
        assert body["valid"] is False and body["committed"] is False
        assert body["rows"] == 7
        errors = {(e["row"], e["column"]) for e in body["errors"]}
        assert errors == {(3, "Due date"), (4, "Title"), (5, "Owner partner"), (6, "Status"),
                          (7, "Owner username")}
        assert Action.objects.count() == 0


def test_uk_dates_names_and_labels_are_accepted(api, world):
    client = api.as_user(world.manager)
    content = ("Staff group,Topic,Workers,Needed by,Partner,Principle,Status\n"
               "Care workers,Dementia awareness,12,31/03/2027,beta trust,2,Planned\n").encode()
    response = post(client, "learning-needs", world.programme, content, name="needs.csv")
    assert response.status_code == 201, response.content
    need = LearningNeed.objects.get()
    assert (need.partner, need.needed_by, need.principle, need.status) == (
        world.partner_b, datetime.date(2027, 3, 31), world.principles[1], "planned")


@pytest.mark.parametrize("content,name,message", [
    (b"", "empty.csv", "empty"),
    (b"PK\x03\x04not really a zip", "broken.xlsx", "XLSX"),
    (b"Name,Colour\nAlpha,blue\n", "wrong.csv", "Title"),
    (b"Title\n", "headers-only.csv", "no rows"),
    (b"\x00\x01\x02binary", "binary.csv", "CSV"),
])
def test_bad_files_get_a_clear_400(api, world, content, name, message):
    response = post(api.as_user(world.manager), "actions", world.programme, content, name=name)
    assert response.status_code == 400
    assert message in " ".join(response.json()["file"])
    assert Action.objects.count() == 0


def test_only_managers_import(api, world):
    content = b"Title,Owner partner\nMine,Alpha Council\n"
    assert post(api.as_user(world.lead_a), "actions", world.programme, content,
                name="a.csv").status_code == 403
    outsider = post(api.as_user(world.outsider), "actions", world.programme, content, name="a.csv")
    assert outsider.status_code == 400 and "programme" in outsider.json()
    missing = api.as_user(world.manager).post("/api/v1/actions/import/",
                                              {"programme": world.programme.pk})
    assert missing.status_code == 400 and "file" in missing.json()
    assert Action.objects.count() == 0


def test_partner_list_and_memberships_from_csv(api, world, fresh):
    f.UserFactory(username="new.lead", email="new.lead@example.org")
    f.UserFactory(username="new.provider")
    client = api.as_user(world.manager)
    partners = ("Name,Sector,Provides learning,Contact email\n"
                "Delta Home Care,Adult social care provider,no,hello@delta.example.org\n"
                "Epsilon Learning,learning_provider,yes,\n"
                "alpha council,,,\n").encode()
    response = post(client, "partners", fresh, partners, name="partners.csv")
    assert response.status_code == 201, response.content
    names = set(fresh.partners.values_list("name", flat=True))
    assert {"Delta Home Care", "Epsilon Learning", "Alpha Council"} <= names
    assert Partner.objects.filter(name="Alpha Council").count() == 1  # found, not duplicated

    members = ("Username,Email,Role,Partner\n"
               "new.lead,,Partner lead,Delta Home Care\n"
               ",,Reviewer,\n"
               "new.provider,,learning_provider,Epsilon Learning\n"
               "nobody,,Reviewer,\n"
               "lead_a,,Partner lead,Alpha Council\n").encode()
    bad = post(client, "memberships", fresh, members, name="members.csv")
    assert bad.status_code == 400
    assert [e["row"] for e in bad.json()["errors"]] == [3, 5, 6]
    assert not Membership.objects.filter(programme=fresh, user__username="new.lead").exists()

    good = ("Username,Email,Role,Partner\n"
            ",NEW.LEAD@example.org,Reviewer,\n"
            "new.provider,,learning_provider,Epsilon Learning\n").encode()
    response = post(client, "memberships", fresh, good, name="members.csv")
    assert response.status_code == 201, response.content
    roles = dict(Membership.objects.filter(programme=fresh).values_list("user__username", "role"))
    assert roles["new.lead"] == "reviewer" and roles["new.provider"] == "learning_provider"

    assert post(api.as_user(world.lead_a), "partners", world.programme, partners,
                name="p.csv").status_code == 403

    # a partner of someone else's programme is not joined through a file
    elsewhere = f.PartnerFactory(name="Zeta Hospice")
    f.ProgrammeFactory(partners=[elsewhere])
    hidden = post(api.as_user(world.manager), "partners", fresh, b"Name\nZeta Hospice\n",
                  name="p.csv")
    assert hidden.status_code == 400
    assert hidden.json()["errors"][0]["row"] == 2
    assert not fresh.partners.filter(pk=elsewhere.pk).exists()
