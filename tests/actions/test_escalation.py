"""Escalation of overdue actions (DESIGN.md, "Events, escalation and webhooks"): at 7
days overdue the partner's leads are told, at 21 days the programme's managers, once
each per action and due date, through the daily job; managers set the days per
programme on the page and through the API."""

import datetime
import importlib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from actions.escalation import TO_LEADS, TO_MANAGERS
from notifications import services
from notifications.models import Notification
from notifications.schedule import add_entries
from programmes.models import Membership, Programme

from .. import factories as f

pytestmark = pytest.mark.django_db

DUE = datetime.date(2026, 11, 2)
LONDON = ZoneInfo("Europe/London")


def run(day: datetime.date) -> int:
    """The job, found through its schedule entry, on the morning of ``day``."""
    from config.celery import app

    app.loader.import_default_modules()
    task = PeriodicTask.objects.get(name="Escalate overdue actions").task
    with time_machine.travel(datetime.datetime(day.year, day.month, day.day, 7, 15,
                                               tzinfo=LONDON), tick=False):
        return app.tasks[task].apply().get()


def overdue(n: int) -> datetime.date:
    return DUE + datetime.timedelta(days=n)


def told(kind: str | None = None) -> list[tuple[str, str, datetime.date]]:
    rows = Notification.objects.filter(kind__in=[kind] if kind else [TO_LEADS, TO_MANAGERS])
    return sorted(rows.values_list("kind", "recipient__username", "occurrence"))


@pytest.fixture
def late(world):
    """Partner A's action owned by its lead, due on 2 November; partner A has a second
    lead, and the programme a second manager."""
    f.MembershipFactory(programme=world.programme, user=f.UserFactory(username="lead_a2"),
                        role=Membership.Role.PARTNER_LEAD, partner=world.partner_a)
    f.MembershipFactory(programme=world.programme, user=f.UserFactory(username="manager2"),
                        role=Membership.Role.MANAGER)
    return f.ActionFactory(programme=world.programme, title="Agree the shared rota",
                           owner=world.lead_a, owner_partner=world.partner_a, due_date=DUE)


def test_an_action_7_and_21_days_overdue_climbs_to_the_leads_then_the_managers_once_each(
    late, world
):
    # given an action due on 2 November, when the job runs before 7 days overdue
    assert run(overdue(6)) == 0

    # when it runs twice at 7 days overdue
    assert run(overdue(7)) == 1
    assert run(overdue(7)) == 0

    # then partner A's other lead is told, not the owner nor partner B's lead
    assert told() == [(TO_LEADS, "lead_a2", overdue(7))]
    note = Notification.objects.get(kind=TO_LEADS)
    assert note.message == (
        "Escalated: \u201cAgree the shared rota\u201d is 7 days overdue (it was due on "
        "Monday 2 November 2026). Owner: lead_a. Partner: Alpha Council. You are told as "
        "a partner lead of Alpha Council.")
    assert note.link == f"/actions/{late.pk}/"
    assert note.programme_name == world.programme.name
    assert note.due_date == DUE

    # when it runs on the days between and twice at 21 days overdue
    assert run(overdue(20)) == 0
    assert run(overdue(21)) == 2
    assert run(overdue(21)) == 0

    # then each manager is told once, and nobody twice
    assert told(TO_MANAGERS) == [(TO_MANAGERS, "manager", overdue(21)),
                                 (TO_MANAGERS, "manager2", overdue(21))]
    assert len(told()) == 3
    assert services.send_pending_emails() == 3
    assert sorted(m.to[0] for m in mail.outbox) == [
        "lead_a2@example.org", "manager2@example.org", "manager@example.org"]
    assert all("21 days overdue" in m.body for m in mail.outbox if "manager" in m.to[0])


def test_a_job_that_missed_days_catches_up_once(late):
    assert run(overdue(25)) == 3  # both steps fell due while the job did not run

    assert run(overdue(26)) == 0
    assert told() == [(TO_LEADS, "lead_a2", overdue(7)),
                      (TO_MANAGERS, "manager", overdue(21)),
                      (TO_MANAGERS, "manager2", overdue(21))]
    assert "25 days overdue" in Notification.objects.filter(kind=TO_LEADS).get().message


def test_a_new_due_date_starts_the_climb_again(late):
    assert run(overdue(7)) == 1
    late.due_date = overdue(10)
    late.save()

    assert run(overdue(16)) == 0  # 6 days past the new date
    assert run(overdue(17)) == 1

    assert told(TO_LEADS) == [(TO_LEADS, "lead_a2", overdue(7)),
                              (TO_LEADS, "lead_a2", overdue(17))]


def test_each_programme_has_its_own_days_and_none_means_no_escalation(late, world):
    Programme.objects.filter(pk=world.programme.pk).update(escalation_days=[3, 10])
    other = f.ProgrammeFactory(framework=world.framework, escalation_days=[])
    f.MembershipFactory(programme=other, user=world.manager, role=Membership.Role.MANAGER)
    f.ActionFactory(programme=other, due_date=DUE)

    assert run(overdue(3)) == 1
    assert run(overdue(10)) == 2
    assert run(overdue(60)) == 0

    assert told() == [(TO_LEADS, "lead_a2", overdue(3)),
                      (TO_MANAGERS, "manager", overdue(10)),
                      (TO_MANAGERS, "manager2", overdue(10))]


def test_done_and_cancelled_actions_and_closed_programmes_are_never_escalated(late, world):
    late.status = "done"
    late.completed_at = datetime.datetime(2026, 11, 3, tzinfo=LONDON)
    late.save()
    f.ActionFactory(programme=world.programme, owner_partner=world.partner_b, due_date=DUE,
                    status="cancelled")
    closed = f.ProgrammeFactory(framework=world.framework, status=Programme.Status.CLOSED)
    f.MembershipFactory(programme=closed, user=world.manager, role=Membership.Role.MANAGER)
    f.ActionFactory(programme=closed, due_date=DUE)

    assert run(overdue(30)) == 0
    assert told() == []


def test_an_action_without_a_partner_goes_to_the_managers_and_the_owner_is_not_told(world):
    f.ActionFactory(programme=world.programme, title="Write the plan", owner=world.manager,
                    due_date=DUE)

    assert run(overdue(7)) == 0  # its only manager owns it
    f.MembershipFactory(programme=world.programme, user=f.UserFactory(username="manager2"),
                        role=Membership.Role.MANAGER)
    assert run(overdue(8)) == 1

    assert told() == [(TO_LEADS, "manager2", overdue(7))]
    message = Notification.objects.get().message
    assert "Partner: none." in message and "as a manager of the programme" in message


def test_a_partner_whose_only_lead_owns_the_action_goes_to_the_managers(world):
    f.ActionFactory(programme=world.programme, owner=world.lead_b,
                    owner_partner=world.partner_b, due_date=DUE)

    assert run(overdue(7)) == 1

    assert told() == [(TO_LEADS, "manager", overdue(7))]


def test_people_who_left_the_programme_are_not_told(late, world):
    Membership.objects.filter(user__username="lead_a2").update(
        ended_at=datetime.datetime(2026, 11, 1, tzinfo=LONDON))
    world.manager.is_active = False
    world.manager.save()

    assert run(overdue(21)) == 2

    assert told() == [(TO_LEADS, "manager2", overdue(7)),
                      (TO_MANAGERS, "manager2", overdue(21))]


def test_the_run_costs_the_same_queries_however_many_actions(transactional_db, world):
    # the schedule entry as its migration writes it: a transactional test before this one
    # may have emptied every table, the migrations' rows too
    from django.apps import apps

    migration = importlib.import_module("actions.migrations.0005_escalation_schedule")
    add_entries(apps, migration.ENTRIES)

    def actions(n, day):
        for _ in range(n):
            f.ActionFactory(programme=world.programme, owner_partner=world.partner_a,
                            due_date=day - datetime.timedelta(days=21))

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # each run commits, as a worker's does (the e-mail task is asked for once in each)
    actions(2, datetime.date(2026, 12, 1))
    with CaptureQueriesContext(connection) as few:
        assert run(datetime.date(2026, 12, 1)) == 4
    actions(30, datetime.date(2026, 12, 2))
    with CaptureQueriesContext(connection) as many:
        assert run(datetime.date(2026, 12, 2)) == 60

    assert len(many) == len(few) <= 15, "\n".join(q["sql"] for q in many.captured_queries)
    with CaptureQueriesContext(connection) as again:
        assert run(datetime.date(2026, 12, 2)) == 0
    assert len(again) <= 4  # only the reading, nothing written


# The days, on the page and through the API --------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_body(world, **change):
    p = world.programme
    return {"name": p.name, "description": p.description, "framework": p.framework_id,
            "start_date": p.start_date, "end_date": p.end_date, **change}


def test_a_manager_changes_the_escalation_days_on_the_programme_page(world):
    client = client_for(world.manager)
    url = reverse("web:programme-edit", args=[world.programme.pk])

    page = client.get(url).content.decode()
    assert "Tell the partner&#x27;s leads when an action is this many days overdue" in page
    assert 'name="escalate_to_leads" value="7"' in page
    assert 'name="escalate_to_managers" value="21"' in page

    response = client.post(url, edit_body(world, escalate_to_leads="3",
                                          escalate_to_managers="10"))
    assert response.status_code == 302
    world.programme.refresh_from_db()
    assert world.programme.escalation_days == [3, 10]

    client.post(url, edit_body(world, escalate_to_leads="", escalate_to_managers=""))
    world.programme.refresh_from_db()
    assert world.programme.escalation_days == []


@pytest.mark.parametrize(("leads", "managers", "field", "message"), [
    ("10", "3", "escalate_to_managers",
     "Enter more days than for the partner&#x27;s leads: the managers are told after them"),
    ("", "21", "escalate_to_leads", "Enter when the partner&#x27;s leads are told"),
    ("seven", "21", "escalate_to_leads", "Enter a whole number of days from 1 to 365"),
    ("0", "21", "escalate_to_leads", "Enter a whole number of days from 1 to 365"),
    ("7", "400", "escalate_to_managers", "Enter a whole number of days from 1 to 365"),
])
def test_bad_escalation_days_get_the_error_summary_and_change_nothing(
    world, leads, managers, field, message
):
    response = client_for(world.manager).post(
        reverse("web:programme-edit", args=[world.programme.pk]),
        edit_body(world, escalate_to_leads=leads, escalate_to_managers=managers))

    assert response.status_code == 400
    page = response.content.decode()
    assert "nhsuk-error-summary" in page and message in page
    assert f'href="#id_{field}"' in page
    world.programme.refresh_from_db()
    assert world.programme.escalation_days == [7, 21]


@pytest.mark.parametrize("role", ["lead_a", "reviewer"])
def test_other_roles_get_no_form_and_a_403(world, role):
    client = client_for(getattr(world, role))
    url = reverse("web:programme-edit", args=[world.programme.pk])

    assert client.get(url).status_code == 403
    response = client.post(url, edit_body(world, escalate_to_leads="1", escalate_to_managers=""))

    assert response.status_code == 403
    world.programme.refresh_from_db()
    assert world.programme.escalation_days == [7, 21]


def test_a_new_programme_starts_with_7_and_21_days(world):
    page = client_for(world.staff).get(reverse("web:programme-new")).content.decode()
    assert 'name="escalate_to_leads" value="7"' in page
    assert 'name="escalate_to_managers" value="21"' in page


def test_a_manager_patches_the_escalation_days_through_the_api(world, api):
    url = f"/api/v1/programmes/{world.programme.pk}/"
    assert api.as_user(world.manager).get(url).json()["escalation_days"] == [7, 21]

    response = api.as_user(world.manager).patch(url, {"escalation_days": [5]}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["escalation_days"] == [5]
    world.programme.refresh_from_db()
    assert world.programme.escalation_days == [5]


@pytest.mark.parametrize(("value", "words"), [
    ([21, 7], "the second number of days must be more than the first"),
    ([7, 7], "the second number of days must be more than the first"),
    ([0, 21], "between 1 and 365 days"),
    ([7, 366], "between 1 and 365 days"),
    ([7, 14, 21], "at most two escalation days"),
    ([7.5], "whole number of days"),
    (["7"], "whole number of days"),
    ([True], "whole number of days"),
    ("7, 21", "as a list of up to two whole numbers"),
    ({"leads": 7}, "as a list of up to two whole numbers"),
    (None, "as a list, for example [7, 21]"),
])
def test_bad_escalation_days_get_a_400_in_words(world, api, value, words):
    response = api.as_user(world.manager).patch(
        f"/api/v1/programmes/{world.programme.pk}/", {"escalation_days": value}, format="json")

    assert response.status_code == 400
    assert words in str(response.json())
    world.programme.refresh_from_db()
    assert world.programme.escalation_days == [7, 21]


@pytest.mark.parametrize("role", ["reviewer", "lead_a"])
def test_other_roles_cannot_change_the_escalation_days_through_the_api(world, api, role):
    response = api.as_user(getattr(world, role)).patch(
        f"/api/v1/programmes/{world.programme.pk}/", {"escalation_days": [1]}, format="json")

    assert response.status_code == 403
    assert "Only the programme's managers can change it." in str(response.json())
    world.programme.refresh_from_db()
    assert world.programme.escalation_days == [7, 21]
