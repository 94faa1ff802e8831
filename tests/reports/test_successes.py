"""Successes to celebrate: gaps closed, actions done and needs met in a period."""

import datetime
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from actions.models import Action
from learning.models import LearningNeed
from notifications import services as notification_services
from notifications.models import NotificationPreference
from programmes.models import Gap, Programme
from reports.successes import successes
from tests import factories as f
from tests.programmes.test_coproduction import _rated_and_submitted

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def at(day: datetime.date, hour=12):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=LONDON)


def closed_gap(world, partner, item, when):
    return Gap.objects.create(
        programme=world.programme, partner=partner, checklist_item=item,
        principle_id=item.principle_id, severity="medium", opened_at=when - datetime.timedelta(
            days=60), status=Gap.Status.CLOSED, closed_at=when, closed_reason="closed_by_manager")


def done_action(world, title, when, gap=None, partner=None):
    action = f.ActionFactory(programme=world.programme, gap=gap, owner_partner=partner,
                             title=title, status=Action.Status.DONE, completed_at=when)
    Action.objects.filter(pk=action.pk).update(completed_at=when)
    return action


def met_need(world, partner, topic, when, principle=None):
    need = f.LearningNeedFactory(programme=world.programme, partner=partner, topic=topic,
                                 principle=principle, status=LearningNeed.Status.MET)
    LearningNeed.objects.filter(pk=need.pk).update(met_at=when)
    return need


@pytest.fixture
def celebrated(world):
    """A week of successes (from 23 to 29 November 2026) and some from before it."""
    day = datetime.date(2026, 11, 25)
    gap = closed_gap(world, world.partner_a, world.items[0], at(day))
    closed_gap(world, world.partner_b, world.items[2], at(datetime.date(2026, 10, 1)))
    done_action(world, "Run the carers' listening event", at(day), gap=gap)
    done_action(world, "Share the rota template", at(datetime.date(2026, 11, 23), 0),
                partner=world.partner_b)
    done_action(world, "Old work", at(datetime.date(2026, 11, 22), 23))
    met_need(world, world.partner_b, "Moving and handling", at(datetime.date(2026, 11, 29), 23),
             principle=world.principles[1])
    return world


def test_the_period_counts_what_was_achieved_by_partner_and_principle(celebrated):
    world = celebrated
    found = successes(programme=world.programme, start=datetime.date(2026, 11, 23),
                      end=datetime.date(2026, 11, 29))
    assert (found["gaps_closed"], found["actions_done"], found["learning_needs_met"]) == (1, 2, 1)
    alpha, beta = found["partners"]
    assert alpha["name"] == "Alpha Council"
    assert [g["title"] for g in alpha["gaps_closed_items"]] == [
        f"{world.items[0].code} {world.items[0].text}"]
    assert [a["title"] for a in alpha["actions_done_items"]] == ["Run the carers' listening event"]
    assert beta["name"] == "Beta Trust"
    assert [a["title"] for a in beta["actions_done_items"]] == ["Share the rota template"]
    assert [n["title"] for n in beta["learning_needs_met_items"]] == [
        "Moving and handling (Home care workers)"]
    first, second = found["principles"]
    assert (first["gaps_closed"], first["actions_done"], first["learning_needs_met"]) == (1, 1, 0)
    assert (second["gaps_closed"], second["actions_done"], second["learning_needs_met"]) == (
        0, 0, 1)

    # and one partner's successes are theirs only
    mine = successes(programme=world.programme, start=datetime.date(2026, 11, 23),
                     end=datetime.date(2026, 11, 29), partner_id=world.partner_b.pk)
    assert [p["name"] for p in mine["partners"]] == ["Beta Trust"]
    assert (mine["gaps_closed"], mine["actions_done"], mine["learning_needs_met"]) == (0, 1, 1)


def test_successes_take_a_fixed_number_of_queries(celebrated, django_assert_num_queries):
    world = celebrated
    period = {"programme": world.programme, "start": datetime.date(2026, 1, 1),
              "end": datetime.date(2026, 12, 31)}
    with django_assert_num_queries(4):
        successes(**period)
    for n in range(10):
        gap = closed_gap(world, world.partner_b, world.items[n % 5], at(datetime.date(2026, 6, 1)))
        done_action(world, f"More {n}", at(datetime.date(2026, 6, 2)), gap=gap)
        met_need(world, world.partner_a, f"Topic {n}", at(datetime.date(2026, 6, 3)),
                 principle=world.principles[0])
    with django_assert_num_queries(4):
        assert successes(**period)["total"] == 36


def test_the_api_gives_the_period_to_members_only(api, celebrated):
    world = celebrated
    url = f"/api/v1/programmes/{world.programme.pk}/successes/"
    body = api.as_user(world.lead_b).get(url, {"from": "2026-11-23", "to": "2026-11-29"}).json()
    assert body["from"] == "2026-11-23" and body["to"] == "2026-11-29"
    assert (body["gaps_closed"], body["actions_done"], body["learning_needs_met"]) == (1, 2, 1)
    assert body["partners"][0]["actions_done_items"][0]["title"] == (
        "Run the carers' listening event")
    only_b = api.as_user(world.manager).get(
        url, {"from": "2026-11-23", "to": "2026-11-29", "partner": world.partner_b.pk}).json()
    assert only_b["actions_done"] == 1
    assert api.as_user(world.outsider).get(url).status_code == 404


def test_the_api_defaults_to_the_last_30_days(api, world):
    today = timezone.localdate()
    done_action(world, "Done this week", timezone.now())
    done_action(world, "Done long ago", timezone.now() - datetime.timedelta(days=40))
    body = api.as_user(world.manager).get(
        f"/api/v1/programmes/{world.programme.pk}/successes/").json()
    assert body["to"] == today.isoformat()
    assert body["from"] == (today - datetime.timedelta(days=29)).isoformat()
    titles = [a["title"] for p in body["partners"] for a in p["actions_done_items"]]
    assert titles == ["Done this week"]


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"from": "30/11/2026"}, "from", "Write the date as year-month-day, for example 2026-11-30."),
    ({"to": "yesterday"}, "to", "Write the date as year-month-day, for example 2026-11-30."),
    ({"from": "2026-11-30", "to": "2026-11-01"}, "from",
     "The first day must be on or before the last day."),
    ({"from": "2099-01-01"}, "from", "The first day must be on or before the last day."),
])
def test_bad_periods_are_refused_in_plain_english(api, world, params, field, message):
    answer = api.as_user(world.manager).get(
        f"/api/v1/programmes/{world.programme.pk}/successes/", params)
    assert answer.status_code == 400
    assert message in str(answer.json())
    assert field in str(answer.json())


def pdftotext(content: bytes) -> str:
    program = shutil.which("pdftotext")
    if not program:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run([program, "-layout", "-", "-"], input=content,  # noqa: S603
                          capture_output=True, check=True).stdout.decode()


def test_the_highlight_report_pdf_celebrates_the_period(api, world):
    now = timezone.now()
    closed_gap(world, world.partner_a, world.items[0], now)
    done_action(world, "Ran the carers listening event", now, partner=world.partner_b)
    _rated_and_submitted(world, world.partner_a, world.lead_a, ["carer"], ["met"])
    response = api.as_user(world.manager).get(
        f"/api/v1/programmes/{world.programme.pk}/highlight-report/", {"format": "pdf"})
    assert response.status_code == 200
    text = pdftotext(response.content)
    assert "Successes to celebrate" in text
    assert "Ran the carers listening event" in text
    assert world.items[0].code in text
    assert "Co-produced" in text and "100.0" in text


def test_a_managers_weekly_digest_celebrates_the_week(world):
    # given a manager and a lead who take a weekly digest, with a notification waiting
    for user in (world.manager, world.lead_a):
        NotificationPreference.objects.create(user=user, email_frequency="weekly_digest")
        notification_services.notify(
            recipient_id=user.pk, kind="action_assigned", subject_type="action",
            subject_id=done_action(world, f"For {user.username}", timezone.now()).pk,
            occurrence=datetime.date(2026, 11, 30), message="A new action for you.")
    # and a gap closed and an action done in the week before the digest
    closed_gap(world, world.partner_a, world.items[1], at(datetime.date(2026, 11, 26)))
    done_action(world, "Shared the rota template", at(datetime.date(2026, 11, 27)),
                partner=world.partner_b)
    done_action(world, "Far too old", at(datetime.date(2026, 10, 1)))

    # when the digests are queued and sent (week of Monday 30 November)
    notification_services.queue_weekly_digests(today=datetime.date(2026, 11, 30))
    notification_services.send_pending_emails()

    # then the manager's digest celebrates them, by name; the lead's has no such section
    by_recipient = {m.to[0]: m for m in mail.outbox}
    body = by_recipient[world.manager.email].body
    assert f"Successes to celebrate: {world.programme.name}" in body
    assert f"Alpha Council: Gap closed: {world.items[1].code}" in body
    assert "Beta Trust: Action done: Shared the rota template" in body
    assert "Far too old" not in body
    html = by_recipient[world.manager.email].alternatives[0][0]
    assert "Successes to celebrate" in html and "Shared the rota template" in html
    assert "Successes to celebrate" not in by_recipient[world.lead_a.email].body


def test_the_demo_programme_has_successes_in_the_last_30_days():
    call_command("seed_demo", verbosity=0)
    programme = Programme.objects.get(name__icontains="demo") if Programme.objects.filter(
        name__icontains="demo").exists() else Programme.objects.order_by("pk").last()
    today = timezone.localdate()
    found = successes(programme=programme, start=today - datetime.timedelta(days=29), end=today)
    assert found["gaps_closed"] >= 1, found
    assert found["actions_done"] >= 1, found
    assert found["learning_needs_met"] >= 1, found
