"""Round trips: a list downloaded, a few cells changed, the file imported back.

A row with the ID of a record of the programme changes that record through its update
service (with its history); everything the file did not change stays as it was.
"""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from actions.models import Action
from learning.models import LearningNeed
from programmes.models import Membership

from .. import factories as f

pytestmark = pytest.mark.django_db

Role = Membership.Role


def post(client, collection, programme, content, name="file.csv", dry_run=False):
    return client.post(f"/api/v1/{collection}/import/", {
        "programme": programme.pk, "dry_run": "true" if dry_run else "false",
        "file": SimpleUploadedFile(name, content)}, format="multipart")


def read_csv(content: bytes) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    return list(reader.fieldnames or []), list(reader)


def write_csv(headers, rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, headers)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def snapshot(model):
    """Every row's fields and how many history rows it has."""
    return {obj.pk: ({k: v for k, v in vars(obj).items() if not k.startswith("_")},
                     obj.history.count()) for obj in model.objects.all()}


@pytest.fixture
def actions(world):
    return [f.ActionFactory(programme=world.programme, title=f"Action {i}",
                            description=f"Why {i}", owner=world.lead_a,
                            owner_partner=world.partner_a, status="not_started",
                            due_date=datetime.date(2027, 1, 10 + i)) for i in range(4)]


def test_an_exported_action_list_imports_back_with_two_cells_changed(api, world, actions):
    # given the API's CSV export of the programme's actions
    client = api.as_user(world.manager)
    exported = b"".join(client.get("/api/v1/actions/", {
        "programme": world.programme.pk, "format": "csv", "ordering": "id"}).streaming_content)
    headers, rows = read_csv(exported)
    before = snapshot(Action)

    # when the file goes back unchanged, nothing changes
    same = post(client, "actions", world.programme, exported)
    assert same.status_code == 201, same.content
    assert (same.json()["created"], same.json()["updated"], same.json()["unchanged"]) == (0, 0, 4)
    assert snapshot(Action) == before

    # when one status and another due date are changed, checked, then imported
    rows[0]["Status"] = "In progress"
    rows[2]["Due date"] = "28/02/2027"
    edited = write_csv(headers, rows)
    dry = post(client, "actions", world.programme, edited, dry_run=True)
    assert dry.status_code == 200 and dry.json()["updated"] == 2, dry.content
    assert snapshot(Action) == before  # the dry run changed nothing
    done = post(client, "actions", world.programme, edited)

    # then those two actions changed, with a history row by the manager; nothing else did
    assert done.status_code == 201, done.content
    body = done.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 2, 2)
    assert body["ids"] == [a.pk for a in actions]
    after = snapshot(Action)
    first, third = Action.objects.get(pk=actions[0].pk), Action.objects.get(pk=actions[2].pk)
    assert first.status == "in_progress" and first.version == actions[0].version + 1
    assert third.due_date == datetime.date(2027, 2, 28)
    for action in (first, third):
        latest = action.history.first()
        assert latest.history_user == world.manager and latest.history_type == "~"
        assert after[action.pk][1] == before[action.pk][1] + 1
    assert {pk: v for pk, v in after.items() if pk not in (first.pk, third.pk)} == {
        pk: v for pk, v in before.items() if pk not in (first.pk, third.pk)}
    changed = {k for k, v in after[first.pk][0].items() if before[first.pk][0][k] != v}
    assert {"status", "version"} <= changed <= {"status", "version", "updated_at"}


def test_ids_that_cannot_be_changed_from_this_file_are_problems_of_their_rows(api, world,
                                                                              actions):
    # given actions of another programme: one the manager sees (as a reviewer), one not
    seen = f.ProgrammeFactory(framework=world.framework, partners=[world.partner_a])
    f.MembershipFactory(programme=seen, user=world.manager, role=Role.REVIEWER)
    theirs = f.ActionFactory(programme=seen, title="Theirs")
    hidden = f.ActionFactory(title="Hidden")
    before = snapshot(Action)
    content = write_csv(["ID", "Title", "Status", "Version"], [
        {"ID": actions[0].pk, "Title": "Renamed", "Status": "Done", "Version": ""},
        {"ID": theirs.pk, "Title": "Mine now", "Status": "", "Version": ""},
        {"ID": hidden.pk, "Title": "Found you", "Status": "", "Version": ""},
        {"ID": 999999, "Title": "Nobody", "Status": "", "Version": ""},
        {"ID": actions[0].pk, "Title": "Twice", "Status": "", "Version": ""},
        {"ID": actions[1].pk, "Title": "Stale", "Status": "", "Version": "7"},
    ])

    response = post(api.as_user(world.manager), "actions", world.programme, content)

    # then each bad row is named, and not even the good row was written
    assert response.status_code == 400
    errors = {e["row"]: e for e in response.json()["errors"]}
    assert set(errors) == {3, 4, 5, 6, 7}
    assert all(e["column"] in ("ID", "Version") for e in errors.values())
    assert "belongs to another programme" in errors[3]["message"]
    assert errors[4]["message"] == (f"There is no action {hidden.pk} that you can see. Clear "
                                    "the ID to add the row as a new action.")
    assert "There is no action 999999" in errors[5]["message"]
    assert "more than once" in errors[6]["message"]
    assert errors[7]["column"] == "Version" and "download the list again" in errors[7]["message"]
    assert snapshot(Action) == before


def test_columns_an_import_does_not_change_are_left_with_a_warning(api, world, actions):
    client = api.as_user(world.manager)
    content = write_csv(["ID", "Title", "Description", "Priority"], [
        {"ID": actions[0].pk, "Title": "Action 0", "Description": "Another reason",
         "Priority": "High"}])

    response = post(client, "actions", world.programme, content)

    assert response.status_code == 201, response.content
    assert response.json()["unchanged"] == 1
    [warning] = response.json()["warnings"]
    assert warning["message"] == ("An import changes only some columns of an existing action: "
                                  "Description and Priority were left as they were; change "
                                  "them on the action's page.")
    actions[0].refresh_from_db()
    assert (actions[0].description, actions[0].priority) == ("Why 0", "medium")


def test_new_and_changed_rows_in_one_file(api, world, actions):
    client = api.as_user(world.manager)
    content = write_csv(["ID", "Title", "Owner username", "Due date"], [
        {"ID": "", "Title": "Brand new", "Owner username": "lead_b", "Due date": "01/03/2027"},
        {"ID": actions[3].pk, "Title": "Action 3", "Owner username": "lead_b",
         "Due date": ""},
    ])

    response = post(client, "actions", world.programme, content)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["created"], body["updated"]) == (1, 1)
    new = Action.objects.get(title="Brand new")
    assert body["ids"] == [new.pk, actions[3].pk]
    actions[3].refresh_from_db()
    # the action goes with its new owner's organisation, and its due date was cleared
    assert (actions[3].owner, actions[3].owner_partner, actions[3].due_date) == (
        world.lead_b, world.partner_b, None)


def test_a_need_from_another_programmes_file_is_copied_not_changed(api, world):
    other = f.ProgrammeFactory(framework=world.framework, partners=[world.partner_a])
    f.MembershipFactory(programme=other, user=world.manager, role=Role.MANAGER)
    need = f.LearningNeedFactory(programme=other, partner=world.partner_a, topic="Copied")
    content = write_csv(["ID", "Programme ID", "Partner", "Staff group", "Topic", "Workers"], [
        {"ID": need.pk, "Programme ID": other.pk, "Partner": world.partner_a.name,
         "Staff group": "Nurses", "Topic": "Copied", "Workers": "3"}])

    response = post(api.as_user(world.manager), "learning-needs", world.programme, content)

    assert response.status_code == 201, response.content
    assert response.json()["created"] == 1
    assert LearningNeed.objects.filter(topic="Copied").count() == 2
    need.refresh_from_db()
    assert need.workers_count == 10
